//! The skeleton's search against the plain Dijkstra ([`Walk`], itself checked against brute
//! force in `network::tests`) on random networks made of what the skeleton takes apart: a
//! lattice of streets bent into chains, trees of paths hung off them (some hung off other
//! trees), parallel ways, rings without a junction, a tree standing alone, a lone segment.
//! Sources sit anywhere, inside trees and chains too.

use geo_types::{coord, Coord, LineString};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const LON: f64 = 105.44;
const LAT: f64 = 28.90;
/// About 100 m in degrees.
const STEP: f64 = 0.001;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-9
}

fn way(id: i64, points: Vec<Coord>) -> WayInput {
    WayInput {
        id,
        geometry: LineString::from(points),
        walkable: true,
    }
}

fn jitter(rng: &mut ChaCha8Rng, c: Coord, by: f64) -> Coord {
    coord! {
        x: c.x + (rng.random::<f64>() - 0.5) * by,
        y: c.y + (rng.random::<f64>() - 0.5) * by,
    }
}

/// A random network of the kinds listed in the module comment.
fn random_network(rng: &mut ChaCha8Rng) -> Vec<WayInput> {
    let side = rng.random_range(2..6);
    let at = |i: usize, j: usize| coord! { x: LON + i as f64 * STEP, y: LAT + j as f64 * STEP };
    let mut ways = Vec::new();
    let mut id = 0;
    let mut next_id = || {
        id += 1;
        id
    };
    let mut anchors: Vec<Coord> = Vec::new();
    for i in 0..side {
        for j in 0..side {
            anchors.push(at(i, j));
            for (di, dj) in [(1, 0), (0, 1)] {
                if i + di >= side || j + dj >= side || rng.random_bool(0.25) {
                    continue;
                }
                let (a, b) = (at(i, j), at(i + di, j + dj));
                let mut line = vec![a];
                for k in 1..rng.random_range(1..5) {
                    let t = f64::from(k) / 5.0;
                    let bend = jitter(
                        rng,
                        coord! { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) },
                        STEP / 4.0,
                    );
                    anchors.push(bend);
                    line.push(bend);
                }
                line.push(b);
                ways.push(way(next_id(), line));
                if rng.random_bool(0.1) {
                    // A parallel way: straight, or the same line again.
                    let again = if rng.random_bool(0.5) {
                        vec![a, b]
                    } else {
                        ways.last()
                            .map(|w: &WayInput| w.geometry.0.clone())
                            .unwrap_or_default()
                    };
                    ways.push(way(next_id(), again));
                }
            }
        }
    }
    // Trees hung off the lattice, its bends and each other.
    for _ in 0..rng.random_range(3..25) {
        let root = anchors[rng.random_range(0..anchors.len())];
        let mut path = vec![root];
        for _ in 0..rng.random_range(1..5) {
            let next = jitter(rng, *path.last().expect("a point"), STEP);
            path.push(next);
            anchors.push(next);
        }
        ways.push(way(next_id(), path));
    }
    // Rings without a junction, a tree standing alone, a lone segment.
    for r in 0..rng.random_range(0..3u32) {
        let centre = coord! { x: LON - 0.003 * f64::from(r + 1), y: LAT - 0.003 };
        let n = rng.random_range(2..6u32);
        let mut ring: Vec<Coord> = (0..n)
            .map(|k| {
                let a = f64::from(k) / f64::from(n) * std::f64::consts::TAU;
                coord! { x: centre.x + a.cos() * STEP, y: centre.y + a.sin() * STEP }
            })
            .collect();
        ring.push(ring[0]);
        ways.push(way(next_id(), ring));
    }
    let alone = coord! { x: LON + 0.01, y: LAT - 0.004 };
    let fork = jitter(rng, alone, STEP);
    ways.push(way(next_id(), vec![alone, fork, jitter(rng, fork, STEP)]));
    ways.push(way(next_id(), vec![fork, jitter(rng, fork, STEP)]));
    ways.push(way(
        next_id(),
        vec![
            coord! { x: LON + 0.012, y: LAT },
            coord! { x: LON + 0.0121, y: LAT },
        ],
    ));
    ways
}

#[test]
fn network_nearest_over_the_skeleton_equals_plain_dijkstra() {
    let (mut peeled, mut inner, mut compared) = (0, 0, 0);
    for seed in 0..300 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let graph = Graph::build(&random_network(&mut rng));
        let skeleton = Skeleton::of(&graph);
        let (junctions, chained, in_trees) = skeleton.counts();
        assert_eq!(
            junctions + chained + in_trees,
            graph.node_count(),
            "seed {seed}: every node placed once"
        );
        (peeled, inner) = (peeled + in_trees, inner + chained);

        let index = SegmentIndex::new(&graph);
        let mut joins = Vec::new();
        for _ in 0..rng.random_range(1..10) {
            let e = rng.random_range(0..graph.edge_count() as u32);
            let [a, b] = graph.edge_nodes(e);
            let (a, b) = (graph.coord(a), graph.coord(b));
            let t = rng.random::<f64>();
            let near = coord! { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
            joins.extend(index.point(&graph, jitter(&mut rng, near, 1e-4), 500.0));
        }
        let (sources, targets) = joins.split_at(joins.len().div_ceil(2));
        let walk = Walk::from_sources(&graph, sources, f64::INFINITY);
        let nearest = Nearest::from_sources(&graph, &skeleton, sources);
        let alone: Vec<Walk> = sources
            .iter()
            .map(|s| Walk::from_sources(&graph, std::slice::from_ref(s), f64::INFINITY))
            .collect();
        // Junctions also in blocks of one, two and eight: searched block by block,
        // improvements crossing between blocks again and again, the same distances.
        let blocked: Vec<Nearest> = [0, 1, 3]
            .into_iter()
            .map(|bits| Nearest::in_blocks(&graph, &skeleton, sources, bits))
            .collect();
        for node in 0..graph.node_count() as u32 {
            for other in &blocked {
                match (walk.node(node), other.node(node)) {
                    (None, None) => {}
                    (Some((want, _)), Some((d, s))) => {
                        assert!(close(d, want), "seed {seed}: node {node} by blocks");
                        let own = alone[s].node(node).map(|(d, _)| d);
                        assert!(own.is_some_and(|o| close(o, want)), "seed {seed}: source");
                    }
                    other => panic!("seed {seed}: node {node} by blocks: {other:?}"),
                }
            }
            match (walk.node(node), nearest.node(node)) {
                (None, None) => {}
                (Some((want, _)), Some((d, s))) => {
                    assert!(close(d, want), "seed {seed}: node {node}: {d} vs {want}");
                    let own = alone[s].node(node).map(|(d, _)| d);
                    assert!(
                        own.is_some_and(|o| close(o, want)),
                        "seed {seed}: node {node}'s source"
                    );
                    compared += 1;
                }
                other => panic!("seed {seed}: node {node}: {other:?}"),
            }
        }
        for target in targets.iter().chain(sources) {
            match (walk.to(&graph, target), nearest.to(&graph, target)) {
                (None, None) => {}
                (Some(want), Some(r)) => assert!(close(r.distance_m, want.distance_m)),
                other => panic!("seed {seed}: {target:?}: {other:?}"),
            }
        }
    }
    assert!(
        peeled > 2_000 && inner > 2_000,
        "trees {peeled}, chains {inner}"
    );
    assert!(compared > 20_000, "compared {compared} nodes");
}

#[test]
fn network_skeleton_of_a_ring_a_segment_and_nothing() {
    let ring = |n: usize| {
        let mut points: Vec<Coord> = (0..n)
            .map(|k| {
                let a = k as f64 / n as f64 * std::f64::consts::TAU;
                coord! { x: LON + a.cos() * STEP, y: LAT + a.sin() * STEP }
            })
            .collect();
        points.push(points[0]);
        Graph::build(&[way(1, points)])
    };
    // A ring: one node becomes its junction, the rest one chain back to it.
    let graph = ring(6);
    assert_eq!(Skeleton::of(&graph).counts(), (1, 5, 0));
    // A segment: one end peeled off the other.
    let graph = Graph::build(&[way(
        1,
        vec![coord! { x: LON, y: LAT }, coord! { x: LON + STEP, y: LAT }],
    )]);
    assert_eq!(Skeleton::of(&graph).counts(), (1, 0, 1));
    let empty = Graph::build(&[]);
    assert_eq!(Skeleton::of(&empty).counts(), (0, 0, 0));
    assert!(Nearest::from_sources(&empty, &Skeleton::of(&empty), &[])
        .reached()
        .next()
        .is_none());
}
