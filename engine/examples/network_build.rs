//! Builds a walking graph of about a million edges (a jittered street grid of a synthetic city,
//! 20 km across, with lanes between the streets), joins a million points to it and runs one
//! multi-source search, printing times and memory. Nothing is asserted.
//!
//! `cargo run --release -p gridatlas-engine --example network_build [-- SIDE]`

use std::time::Instant;

use geo_types::{coord, Coord, LineString};
use gridatlas_engine::network::{Graph, SegmentIndex, Walk, WayInput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

const LON: f64 = 105.30;
const LAT: f64 = 28.80;
/// Street spacing, degrees (about 30 m).
const STEP: f64 = 0.0003;

/// A grid of `side` × `side` junctions: one way per row and per column through every junction
/// (shared vertices), each junction jittered, and a bend between junctions on every third way.
fn city(side: usize, rng: &mut ChaCha8Rng) -> Vec<WayInput> {
    let jitter: Vec<Coord> = (0..side * side)
        .map(|_| coord! { x: rng.random_range(-0.3..0.3) * STEP, y: rng.random_range(-0.3..0.3) * STEP })
        .collect();
    let at = |i: usize, j: usize| {
        let d = jitter[i * side + j];
        coord! { x: LON + i as f64 * STEP + d.x, y: LAT + j as f64 * STEP + d.y }
    };
    let mut ways = Vec::with_capacity(2 * side);
    for k in 0..side {
        for rows in [true, false] {
            let mut line = Vec::with_capacity(2 * side);
            for m in 0..side {
                let c = if rows { at(m, k) } else { at(k, m) };
                if k % 3 == 0 && m > 0 {
                    let prev: Coord = *line.last().expect("a vertex");
                    line.push(coord! { x: f64::midpoint(prev.x, c.x) + 2e-5, y: f64::midpoint(prev.y, c.y) - 2e-5 });
                }
                line.push(c);
            }
            ways.push(WayInput {
                id: ways.len() as i64,
                geometry: LineString::from(line),
                walkable: k % 50 != 7,
            });
        }
    }
    ways
}

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "?".into())
}

fn main() {
    let side: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(620);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let ways = city(side, &mut rng);
    println!("threads: {}", rayon::current_num_threads());

    let t = Instant::now();
    let graph = Graph::build(&ways);
    let build = t.elapsed();
    let mb = |b: usize| b as f64 / 1e6;
    println!(
        "graph: {} nodes, {} edges in {:.2?}; arrays {:.1} MB ({:.1} B per edge); {:?}",
        graph.node_count(),
        graph.edge_count(),
        build,
        mb(graph.memory_bytes()),
        graph.memory_bytes() as f64 / graph.edge_count() as f64,
        graph.report()
    );

    let t = Instant::now();
    let index = SegmentIndex::new(&graph);
    println!(
        "segment index: {:.2?}; entries {:.1} MB",
        t.elapsed(),
        mb(index.memory_bytes())
    );

    let extent = side as f64 * STEP;
    let points: Vec<Coord> = (0..1_000_000)
        .map(|_| coord! { x: LON + rng.random::<f64>() * extent, y: LAT + rng.random::<f64>() * extent })
        .collect();
    let t = Instant::now();
    let joins: Vec<_> = points
        .par_iter()
        .map(|&p| index.point(&graph, p, 500.0))
        .collect();
    let joined = joins.iter().flatten().count();
    println!(
        "joined {joined} of {} points in {:.2?}",
        points.len(),
        t.elapsed()
    );

    let sources: Vec<_> = joins.iter().step_by(1000).flatten().copied().collect();
    let t = Instant::now();
    let walk = Walk::from_sources(&graph, &sources, f64::INFINITY);
    let search = t.elapsed();
    let t = Instant::now();
    let reached = joins
        .iter()
        .flatten()
        .filter_map(|j| walk.to(&graph, j))
        .count();
    println!(
        "multi-source search from {} sources: {:.2?}; {} targets read in {:.2?}",
        sources.len(),
        search,
        reached,
        t.elapsed()
    );
    println!("peak resident memory: {}", peak_rss_mb());
}
