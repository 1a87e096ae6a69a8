//! The walking network on a real OpenStreetMap extract against networkx and PROJ's geodesic:
//! the extract is read by the OSM reader, the graph built, random points and small polygons
//! joined, and every answer (edge lengths, joins, the nearest facility of every node and
//! target, routes between points, a bounded search) handed with the graph to
//! `tests/fixtures/osm/networkx_check.py`, which recomputes all of it independently (pyproj's
//! geodesic for every length, an exhaustive nearest-segment search, networkx's Dijkstra).
//! Needs python3 with networkx and pyproj; without them the test fails (it does not skip).

use std::path::Path;
use std::process::Command;

use engine::network::{Graph, Join, SegmentIndex, Walk, WayInput};
use geo_types::{coord, Coord, LineString, Polygon};
use gridatlas_server::io::osm::{read_pbf, OsmWay};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

const LIMIT_M: f64 = 500.0;
/// The extract's area.
const WEST: f64 = 26.930;
const SOUTH: f64 = 60.520;
const SPAN_LON: f64 = 0.040;
const SPAN_LAT: f64 = 0.020;

fn graph() -> Graph {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osm/pyrosm-test.osm.pbf");
    let read = read_pbf(&fixture).expect("the fixture reads");
    let ways: Vec<WayInput> = read.ways.iter().map(OsmWay::way_input).collect();
    Graph::build(&ways)
}

/// Random points over the extract and a little beyond it, some a few metres off the segments
/// of earlier points (so that sources and targets share segments), and small square polygons.
fn joins(graph: &Graph, rng: &mut ChaCha8Rng) -> (Vec<(Join, &'static str)>, Vec<Coord>) {
    let index = SegmentIndex::new(graph);
    let mut joined: Vec<(Join, &'static str)> = Vec::new();
    let mut unjoined = Vec::new();
    for k in 0..260 {
        let p = if k % 10 == 9 && !joined.is_empty() {
            let near = joined[rng.random_range(0..joined.len())].0.at;
            coord! { x: near.x + rng.random_range(-1e-4..1e-4), y: near.y + rng.random_range(-5e-5..5e-5) }
        } else {
            coord! {
                x: WEST - 0.015 + rng.random::<f64>() * (SPAN_LON + 0.03),
                y: SOUTH - 0.008 + rng.random::<f64>() * (SPAN_LAT + 0.016),
            }
        };
        match index.point(graph, p, LIMIT_M) {
            Some(j) => joined.push((j, "point")),
            None => unjoined.push(p),
        }
    }
    for _ in 0..20 {
        let c = coord! { x: WEST + rng.random::<f64>() * SPAN_LON, y: SOUTH + rng.random::<f64>() * SPAN_LAT };
        let (w, h) = (rng.random_range(2e-4..1e-3), rng.random_range(1e-4..5e-4));
        let ring = LineString::from(vec![
            (c.x, c.y),
            (c.x + w, c.y),
            (c.x + w, c.y + h),
            (c.x, c.y + h),
            (c.x, c.y),
        ]);
        if let Some(j) = index.polygon(graph, &Polygon::new(ring, vec![]), LIMIT_M) {
            joined.push((j, "polygon"));
        }
    }
    (joined, unjoined)
}

fn ll(c: Coord) -> Value {
    json!([c.x, c.y])
}

#[test]
fn osm_network_distances_agree_with_networkx_on_a_real_extract() {
    let graph = graph();
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    let (points, unjoined) = joins(&graph, &mut rng);
    let all: Vec<Join> = points.iter().map(|(j, _)| *j).collect();
    let sources: Vec<usize> = (0..12).collect();
    let source_joins: Vec<Join> = sources.iter().map(|&s| all[s]).collect();

    let walk = Walk::from_sources(&graph, &source_joins, f64::INFINITY);
    let targets: Vec<Value> = (sources.len()..all.len())
        .map(|t| {
            let reach = walk.to(&graph, &all[t]);
            json!({ "point": t, "distance_m": reach.map(|r| r.distance_m), "source": reach.map(|r| r.source) })
        })
        .collect();
    let node_distances: Vec<Option<f64>> = (0..graph.node_count() as u32)
        .map(|n| walk.node(n).map(|(d, _)| d))
        .collect();

    let mut single = Walk::new(&graph);
    let od: Vec<Value> = (0..60)
        .map(|_| {
            let (o, d) = (rng.random_range(0..all.len()), rng.random_range(0..all.len()));
            single.run(&graph, &[all[o]], f64::INFINITY);
            json!({ "o": o, "d": d, "distance_m": single.to(&graph, &all[d]).map(|r| r.distance_m) })
        })
        .collect();

    let bounded_sources = [20, 40, 60];
    let bound_m = 600.0;
    single.run(&graph, &bounded_sources.map(|s| all[s]), bound_m);
    let reached: Vec<u32> = single.reached().map(|(n, _)| n).collect();

    let same_edge = (sources.len()..all.len())
        .filter(|&t| source_joins.iter().any(|s| s.edge == all[t].edge))
        .count();
    assert!(
        same_edge >= 2,
        "{same_edge} targets share a source's segment"
    );
    assert!(
        unjoined.len() >= 5,
        "points beyond {LIMIT_M} m of any way are left unjoined"
    );

    let data = json!({
        "nodes": graph.coords().iter().map(|&c| ll(c)).collect::<Vec<_>>(),
        "edges": (0..graph.edge_count() as u32).map(|e| {
            let [a, b] = graph.edge_nodes(e);
            json!([a, b, graph.edge_length(e)])
        }).collect::<Vec<_>>(),
        "points": points.iter().map(|(j, kind)| json!({
            "kind": kind, "from": ll(j.from), "at": ll(j.at), "edge": j.edge, "t": j.t,
            "distance_m": j.distance_m, "along_m": j.along_m,
        })).collect::<Vec<_>>(),
        "unjoined": unjoined.iter().map(|&c| ll(c)).collect::<Vec<_>>(),
        "limit_m": LIMIT_M,
        "sources": sources,
        "targets": targets,
        "node_distances": node_distances,
        "od": od,
        "bounded": { "bound_m": bound_m, "sources": bounded_sources, "reached": reached },
    });
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("network.json");
    std::fs::write(&path, data.to_string()).expect("written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osm/networkx_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed to check against networkx: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "networkx disagrees (or python3 lacks networkx/pyproj: \
         pip install networkx==3.6.1 pyproj==3.7.2):\n{stdout}\n{stderr}"
    );
    let summary: Value = serde_json::from_str(stdout.trim()).expect("a JSON summary");
    println!("{summary}");
    assert!(summary["network_compared"].as_u64().expect("a count") > 1000);
    assert!(graph.edge_count() > 1500, "{} edges", graph.edge_count());
}
