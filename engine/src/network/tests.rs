//! The network against brute force, with fixed seeds: random planar-ish ways (some not
//! walkable, some ends a few millimetres apart, some a few centimetres), random sources and
//! targets (some on one segment). Every joining distance must equal an exhaustive search over
//! all segments, and every walking distance a plain O(V²) Dijkstra over the graph rebuilt
//! naively with the sources and targets inserted as nodes, to 10⁻⁹.

use geo::{Distance, Geodesic, Intersects};
use geo_types::{coord, Coord, Line, LineString, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const LON: f64 = 105.44;
const LAT: f64 = 28.90;
/// About 1 km in degrees.
const SPAN: f64 = 0.01;
const LIMIT_M: f64 = 150.0;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) + 1e-9
}

/// Random ways over a pool of junctions: chains of 2–4 junctions with bends between; some not
/// walkable; some junction copies moved by at most 3·10⁻⁸° (one node) or by 3·10⁻⁷° (two
/// nodes: ends that do not meet).
fn random_ways(rng: &mut ChaCha8Rng) -> Vec<WayInput> {
    let junctions: Vec<Coord> = (0..rng.random_range(8..30))
        .map(
            |_| coord! { x: LON + rng.random::<f64>() * SPAN, y: LAT + rng.random::<f64>() * SPAN },
        )
        .collect();
    (0..rng.random_range(6..25))
        .map(|id| {
            let mut line = Vec::new();
            for k in 0..rng.random_range(2..5) {
                let j = junctions[rng.random_range(0..junctions.len())];
                if k > 0 && rng.random_bool(0.5) {
                    let last: Coord = *line.last().expect("a junction");
                    let f = rng.random::<f64>();
                    line.push(coord! {
                        x: last.x + f * (j.x - last.x) + (rng.random::<f64>() - 0.5) * 0.002,
                        y: last.y + f * (j.y - last.y) + (rng.random::<f64>() - 0.5) * 0.002,
                    });
                }
                let moved = match rng.random_range(0..10) {
                    0 => 3e-8,
                    1 => 3e-7,
                    _ => 0.0,
                };
                line.push(coord! { x: j.x + moved, y: j.y - moved });
            }
            WayInput {
                id,
                geometry: LineString::from(line),
                walkable: rng.random_bool(0.85),
            }
        })
        .collect()
}

/// The graph rebuilt naively: vertices merged by a linear scan, the segments in way order.
struct Naive {
    nodes: Vec<Coord>,
    segments: Vec<[usize; 2]>,
}

fn naive(ways: &[WayInput]) -> Naive {
    let mut nodes: Vec<Coord> = Vec::new();
    let mut segments = Vec::new();
    for way in ways.iter().filter(|w| w.walkable) {
        let mut previous = None;
        for &c in &way.geometry.0 {
            let n = nodes
                .iter()
                .position(|n| (n.x - c.x).abs() <= MERGE_DEG && (n.y - c.y).abs() <= MERGE_DEG)
                .unwrap_or_else(|| {
                    nodes.push(c);
                    nodes.len() - 1
                });
            if let Some(p) = previous.filter(|&p| p != n) {
                segments.push([p, n]);
            }
            previous = Some(n);
        }
    }
    Naive { nodes, segments }
}

/// Metres from `p` to the segment, by ternary search along it (no projection formula: the
/// distance along a straight segment has one minimum).
fn brute_to_segment(p: Coord, a: Coord, b: Coord) -> f64 {
    let at = |t: f64| {
        metres(
            p,
            coord! { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) },
        )
    };
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while hi - lo > 1e-12 {
        let third = (hi - lo) / 3.0;
        if at(lo + third) < at(hi - third) {
            hi -= third;
        } else {
            lo += third;
        }
    }
    at(lo).min(at(0.0)).min(at(1.0))
}

/// Plain O(V²) Dijkstra over an adjacency matrix (`∞`: no edge).
fn plain_dijkstra(matrix: &[Vec<f64>], from: usize) -> Vec<f64> {
    let n = matrix.len();
    let mut dist = vec![f64::INFINITY; n];
    let mut done = vec![false; n];
    dist[from] = 0.0;
    for _ in 0..n {
        let Some(u) = (0..n)
            .filter(|&u| !done[u] && dist[u].is_finite())
            .min_by(|&a, &b| dist[a].total_cmp(&dist[b]))
        else {
            break;
        };
        done[u] = true;
        for v in 0..n {
            if matrix[u][v].is_finite() && dist[u] + matrix[u][v] < dist[v] {
                dist[v] = dist[u] + matrix[u][v];
            }
        }
    }
    dist
}

/// The naive graph with each joined point inserted: its joining point splits its segment and
/// the point itself hangs off it by its joining distance. Returns the matrix and each point's
/// node.
fn subdivided(naive: &Naive, joins: &[Join]) -> (Vec<Vec<f64>>, Vec<usize>) {
    let n = naive.nodes.len() + 2 * joins.len();
    let mut m = vec![vec![f64::INFINITY; n]; n];
    let link = |m: &mut Vec<Vec<f64>>, a: usize, b: usize, len: f64| {
        if len < m[a][b] {
            m[a][b] = len;
            m[b][a] = len;
        }
    };
    let mut point_nodes = Vec::new();
    for (k, &[a, b]) in naive.segments.iter().enumerate() {
        let mut on: Vec<(f64, Coord, usize)> = joins
            .iter()
            .enumerate()
            .filter(|(_, j)| j.edge as usize == k)
            .map(|(i, j)| (j.t, j.at, naive.nodes.len() + 2 * i))
            .collect();
        on.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (mut at, mut node) = (naive.nodes[a], a);
        for &(_, foot_at, foot) in &on {
            link(&mut m, node, foot, metres(at, foot_at));
            (at, node) = (foot_at, foot);
        }
        link(&mut m, node, b, metres(at, naive.nodes[b]));
    }
    for (i, j) in joins.iter().enumerate() {
        let (foot, point) = (naive.nodes.len() + 2 * i, naive.nodes.len() + 2 * i + 1);
        link(&mut m, foot, point, j.distance_m);
        point_nodes.push(point);
    }
    (m, point_nodes)
}

/// Random points: anywhere around the ways, and a few metres off segments that already hold a
/// point (so that sources and targets share segments).
fn random_points(rng: &mut ChaCha8Rng, graph: &Graph, count: usize) -> Vec<Coord> {
    let mut points: Vec<Coord> = Vec::new();
    for _ in 0..count {
        if graph.edge_count() > 0 && rng.random_bool(0.3) {
            let e = rng.random_range(0..graph.edge_count() as u32);
            let [a, b] = graph.edge_nodes(e);
            let (a, b) = (graph.coord(a), graph.coord(b));
            let t = rng.random::<f64>();
            points.push(coord! {
                x: a.x + t * (b.x - a.x) + (rng.random::<f64>() - 0.5) * 1e-4,
                y: a.y + t * (b.y - a.y) + (rng.random::<f64>() - 0.5) * 1e-4,
            });
        } else {
            points.push(coord! {
                x: LON - 0.002 + rng.random::<f64>() * (SPAN + 0.004),
                y: LAT - 0.002 + rng.random::<f64>() * (SPAN + 0.004),
            });
        }
    }
    points
}

/// Joins every point and checks each against the exhaustive nearest segment.
fn checked_joins(graph: &Graph, naive: &Naive, points: &[Coord]) -> Vec<Option<Join>> {
    let index = SegmentIndex::new(graph);
    points
        .iter()
        .map(|&p| {
            let join = index.point(graph, p, LIMIT_M);
            let nearest = naive
                .segments
                .iter()
                .map(|&[a, b]| brute_to_segment(p, naive.nodes[a], naive.nodes[b]))
                .fold(f64::INFINITY, f64::min);
            match join {
                None => assert!(
                    nearest > LIMIT_M - 1e-6,
                    "{p:?} left unjoined at {nearest} m"
                ),
                Some(j) => {
                    assert!((j.distance_m - nearest).abs() < 1e-6, "{j:?} vs {nearest}");
                    assert!(close(j.distance_m, metres(p, j.at)));
                    let [a, b] = graph.edge_nodes(j.edge);
                    let (a, b) = (graph.coord(a), graph.coord(b));
                    let on = coord! { x: a.x + j.t * (b.x - a.x), y: a.y + j.t * (b.y - a.y) };
                    assert!(metres(on, j.at) < 1e-6, "the joining point lies at t");
                }
            }
            join
        })
        .collect()
}

/// The random ways of a seed, their graph and its naive twin, and the generator to go on with.
fn random_case(seed: u64) -> (ChaCha8Rng, Graph, Naive) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ways = random_ways(&mut rng);
    let graph = Graph::build(&ways);
    let naive = naive(&ways);
    (rng, graph, naive)
}

#[test]
fn network_distances_equal_brute_force_dijkstra_on_random_graphs() {
    let mut same_edge_cases = 0;
    let mut unjoined = 0;
    let mut compared = 0;
    for seed in 0..40 {
        let (mut rng, graph, naive) = random_case(seed);
        assert_eq!(graph.node_count(), naive.nodes.len(), "seed {seed}: nodes");
        assert_eq!(
            graph.edge_count(),
            naive.segments.len(),
            "seed {seed}: edges"
        );
        for (e, &[a, b]) in naive.segments.iter().enumerate() {
            let [ga, gb] = graph.edge_nodes(e as u32);
            assert_eq!(
                (graph.coord(ga), graph.coord(gb)),
                (naive.nodes[a], naive.nodes[b])
            );
        }
        let points = random_points(&mut rng, &graph, 24);
        let joins = checked_joins(&graph, &naive, &points);
        unjoined += joins.iter().filter(|j| j.is_none()).count();
        let joined: Vec<Join> = joins.into_iter().flatten().collect();
        let split = joined.len() / 3;
        let (sources, targets) = joined.split_at(split);
        let (matrix, point_nodes) = subdivided(&naive, &joined);
        let from_sources: Vec<Vec<f64>> = (0..sources.len())
            .map(|s| plain_dijkstra(&matrix, point_nodes[s]))
            .collect();
        let expected = |node: usize| {
            from_sources
                .iter()
                .map(|d| d[node])
                .fold(f64::INFINITY, f64::min)
        };
        let walk = Walk::from_sources(&graph, sources, f64::INFINITY);
        let nearest = Nearest::from_sources(&graph, &Skeleton::of(&graph), sources);
        for (i, target) in targets.iter().enumerate() {
            let want = expected(point_nodes[split + i]);
            same_edge_cases += usize::from(sources.iter().any(|s| s.edge == target.edge));
            // The plain Dijkstra (whose route is checked too) and the skeleton's search.
            for (reach, of_walk) in [
                (walk.to(&graph, target), true),
                (nearest.to(&graph, target), false),
            ] {
                match reach {
                    None => assert!(want.is_infinite(), "seed {seed}: target {i} unreached"),
                    Some(r) => {
                        assert!(close(r.distance_m, want), "seed {seed}: {r:?} vs {want}");
                        let own = from_sources[r.source][point_nodes[split + i]];
                        assert!(close(own, want), "seed {seed}: the source named is nearest");
                        if of_walk {
                            compared += 1;
                            check_route(&graph, &walk, target, r);
                        }
                    }
                }
            }
        }
        // The graph numbers its nodes in space order; the naive twin in input order.
        let naive_of: std::collections::HashMap<(u64, u64), usize> = naive
            .nodes
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.x.to_bits(), c.y.to_bits()), i))
            .collect();
        let node_expected = |node: u32| {
            let c = graph.coord(node);
            expected(naive_of[&(c.x.to_bits(), c.y.to_bits())])
        };
        for node in 0..graph.node_count() as u32 {
            let want = node_expected(node);
            for found in [walk.node(node), nearest.node(node)] {
                match found {
                    None => assert!(want.is_infinite()),
                    Some((d, _)) => {
                        assert!(close(d, want), "seed {seed}: node {node}: {d} vs {want}");
                    }
                }
            }
        }
        check_bounded(
            &graph,
            sources,
            targets,
            (&expected, &node_expected),
            &point_nodes[split..],
        );
    }
    assert!(compared > 300, "compared {compared} targets");
    assert!(
        same_edge_cases > 10,
        "{same_edge_cases} targets shared a source's segment"
    );
    assert!(unjoined > 10, "{unjoined} points beyond the limit");
}

/// The route runs from the target to its source and is as long as its distance.
fn check_route(graph: &Graph, walk: &Walk, target: &Join, reach: Reach) {
    let route = walk.route(graph, target).expect("a route");
    assert_eq!(route.reach, reach);
    let line = &route.line.0;
    assert_eq!(line.first(), Some(&target.from));
    assert_eq!(line.last(), Some(&walk.sources()[reach.source].from));
    let length: f64 = line.windows(2).map(|w| metres(w[0], w[1])).sum();
    assert!(
        close(length, reach.distance_m),
        "route of {length} m for {reach:?}"
    );
}

/// A search bounded at the median target distance settles exactly the nodes and targets
/// within it, at the same distances.
fn check_bounded(
    graph: &Graph,
    sources: &[Join],
    targets: &[Join],
    (expected, node_expected): (&dyn Fn(usize) -> f64, &dyn Fn(u32) -> f64),
    target_nodes: &[usize],
) {
    let mut finite: Vec<f64> = target_nodes
        .iter()
        .map(|&n| expected(n))
        .filter(|d| d.is_finite())
        .collect();
    if finite.is_empty() {
        return;
    }
    finite.sort_by(f64::total_cmp);
    let bound = finite[finite.len() / 2] + 0.5;
    // Reused from an unrelated run: only the touched entries are reset.
    let mut walk = Walk::from_sources(graph, targets, f64::INFINITY);
    walk.run(graph, sources, bound);
    for node in 0..graph.node_count() as u32 {
        let want = node_expected(node);
        match walk.node(node) {
            Some((d, _)) => assert!(close(d, want) && d <= bound),
            None => assert!(want > bound),
        }
    }
    let within = walk.reached().count();
    let want_within = (0..graph.node_count() as u32)
        .filter(|&n| node_expected(n) <= bound)
        .count();
    assert_eq!(within, want_within);
    for (target, &n) in targets.iter().zip(target_nodes) {
        let want = expected(n);
        match walk.to(graph, target) {
            Some(r) => assert!(close(r.distance_m, want)),
            None => assert!(want > bound),
        }
    }
}

/// Metres between two segments by brute force: 0 when they cross, else the least of each
/// end's distance to the other segment.
fn segment_to_segment(a: Line, b: Line) -> f64 {
    if a.intersects(&b) {
        return 0.0;
    }
    [
        brute_to_segment(a.start, b.start, b.end),
        brute_to_segment(a.end, b.start, b.end),
        brute_to_segment(b.start, a.start, a.end),
        brute_to_segment(b.end, a.start, a.end),
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min)
}

#[test]
fn network_polygon_joins_equal_brute_force_boundary_distance() {
    let mut crossings = 0;
    let mut apart = 0;
    for seed in 100..124 {
        let (mut rng, graph, naive) = random_case(seed);
        let index = SegmentIndex::new(&graph);
        for centre in random_points(&mut rng, &graph, 12) {
            let (r, turn) = (
                0.0002 + rng.random::<f64>() * 0.0006,
                rng.random::<f64>() * 6.3,
            );
            let corners = rng.random_range(3..7);
            let ring: Vec<Coord> = (0..=corners)
                .map(|k| {
                    let angle = turn + f64::from(k) * std::f64::consts::TAU / f64::from(corners);
                    coord! { x: centre.x + r * angle.cos(), y: centre.y + r * angle.sin() }
                })
                .collect();
            let polygon = Polygon::new(LineString::from(ring), vec![]);
            let nearest = polygon
                .exterior()
                .lines()
                .flat_map(|side| naive.segments.iter().map(move |&[a, b]| (side, a, b)))
                .map(|(side, a, b)| {
                    segment_to_segment(side, Line::new(naive.nodes[a], naive.nodes[b]))
                })
                .fold(f64::INFINITY, f64::min);
            match index.polygon(&graph, &polygon, LIMIT_M) {
                None => assert!(nearest > LIMIT_M - 1e-6),
                Some(j) => {
                    assert!((j.distance_m - nearest).abs() < 1e-6, "{j:?} vs {nearest}");
                    assert!(close(j.distance_m, metres(j.from, j.at)));
                    let on_boundary = polygon
                        .exterior()
                        .lines()
                        .map(|s| brute_to_segment(j.from, s.start, s.end))
                        .fold(f64::INFINITY, f64::min);
                    assert!(on_boundary < 1e-6, "joined from the boundary");
                    if j.distance_m == 0.0 {
                        crossings += 1;
                    } else {
                        apart += 1;
                    }
                }
            }
        }
    }
    assert!(
        crossings > 20 && apart > 20,
        "{crossings} crossings, {apart} apart"
    );
}

#[test]
fn network_polygon_around_a_path_joins_from_its_wall() {
    // A courtyard path wholly inside a compound, and a street 40 m east of its wall.
    let path = WayInput {
        id: 1,
        geometry: LineString::from(vec![(105.4401, 28.9002), (105.4403, 28.9004)]),
        walkable: true,
    };
    let street = WayInput {
        id: 2,
        geometry: LineString::from(vec![(105.4410, 28.8990), (105.4410, 28.9020)]),
        walkable: true,
    };
    let graph = Graph::build(&[path, street]);
    let index = SegmentIndex::new(&graph);
    let compound = Polygon::new(
        LineString::from(vec![
            (105.4400, 28.9000),
            (105.4406, 28.9000),
            (105.4406, 28.9006),
            (105.4400, 28.9006),
            (105.4400, 28.9000),
        ]),
        vec![],
    );
    let j = index.polygon(&graph, &compound, 500.0).expect("joined");
    assert_eq!(
        graph.edge_way(j.edge),
        1,
        "the inner path is nearer the wall"
    );
    let wall = coord! { x: 105.4400, y: 28.9002 };
    assert!(close(
        j.distance_m,
        metres(wall, coord! { x: 105.4401, y: 28.9002 })
    ));
}

#[test]
fn network_graph_merges_near_ends_only_and_leaves_out_what_is_not_walkable() {
    let way = |id, pts: Vec<(f64, f64)>, walkable| WayInput {
        id,
        geometry: LineString::from(pts),
        walkable,
    };
    let graph = Graph::build(&[
        way(10, vec![(105.0, 29.0), (105.001, 29.0)], true),
        // Ends 3·10⁻⁸° from way 10's: one node.
        way(
            11,
            vec![(105.001 + 3e-8, 29.0 - 3e-8), (105.002, 29.0)],
            true,
        ),
        // 3·10⁻⁷° away: a node of its own.
        way(12, vec![(105.002 + 3e-7, 29.0), (105.003, 29.0)], true),
        way(13, vec![(105.0, 29.0), (105.0, 29.001)], false),
        way(14, vec![(105.0, 29.0), (105.0, 29.0)], true),
    ]);
    let report = graph.report();
    assert_eq!(
        report,
        BuildReport {
            ways: 3,
            not_walkable: 1,
            degenerate: 1,
            near_merges: 1,
        }
    );
    assert_eq!((graph.node_count(), graph.edge_count()), (5, 3));
    assert_eq!(graph.edge_nodes(0)[1], graph.edge_nodes(1)[0]);
    assert_ne!(graph.edge_nodes(1)[1], graph.edge_nodes(2)[0]);
    assert_eq!(
        [0, 1, 2].map(|e| graph.edge_way(e)),
        [10, 11, 12],
        "edges keep their way's id"
    );
    // CSR: each edge once from either end.
    let offsets = graph.offsets();
    assert_eq!(offsets.len(), graph.node_count() + 1);
    assert_eq!(offsets[graph.node_count()] as usize, 2 * graph.edge_count());
    for e in 0..graph.edge_count() as u32 {
        let [a, b] = graph.edge_nodes(e);
        let length = graph.edge_length(e).to_bits();
        assert!(graph
            .neighbours(a)
            .any(|(n, l)| n == b && l.to_bits() == length));
        assert!(graph
            .neighbours(b)
            .any(|(n, l)| n == a && l.to_bits() == length));
    }
    let bytes = 5 * 16 + 6 * 4 + 6 * 4 + 6 * 8 + 3 * 8 + 3 * 8 + 3 * 4 + 3 * 8;
    assert!(graph.memory_bytes() >= bytes);
}

#[test]
fn network_unjoined_beyond_the_limit_and_empty_graphs() {
    let graph = Graph::build(&[WayInput {
        id: 1,
        geometry: LineString::from(vec![(105.44, 28.90), (105.45, 28.90)]),
        walkable: true,
    }]);
    let index = SegmentIndex::new(&graph);
    // 0.005° north is 554 m.
    let p = coord! { x: 105.445, y: 28.905 };
    assert!(index.point(&graph, p, 500.0).is_none());
    let j = index.point(&graph, p, 600.0).expect("within 600 m");
    assert!((j.distance_m - 554.17).abs() < 0.01, "{}", j.distance_m);
    // Far beyond the data, never joined.
    assert!(index
        .point(&graph, coord! { x: 105.44, y: 31.0 }, 50_000.0)
        .is_none());

    let empty = Graph::build(&[]);
    let index = SegmentIndex::new(&empty);
    assert!(index.point(&empty, p, 500.0).is_none());
    let walk = Walk::from_sources(&empty, &[], f64::INFINITY);
    assert_eq!(walk.reached().count(), 0);
}

#[test]
fn network_metres_agree_with_the_karney_geodesic() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut worst: f64 = 0.0;
    for _ in 0..20_000 {
        let lat = rng.random_range(-70.0..70.0);
        let a = coord! { x: rng.random_range(-180.0..179.0), y: lat };
        let reach = if rng.random_bool(0.8) { 0.01 } else { 0.05 };
        let b = coord! {
            x: a.x + rng.random_range(-reach..reach),
            y: a.y + rng.random_range(-reach..reach),
        };
        let geodesic = Geodesic.distance(Point(a), Point(b));
        if geodesic > 0.0 {
            worst = worst.max((metres(a, b) - geodesic).abs() / geodesic);
        }
    }
    assert!(worst < 1e-7, "worst relative difference {worst}");
}

#[test]
fn network_scales_are_the_analyses_radii() {
    for i in -900..=900 {
        let lat = f64::from(i) / 10.0;
        let frame = crate::analysis::metric_frame(coord! { x: 0.0, y: lat });
        let (kx, ky) = scales(lat);
        assert!(
            (kx - frame.m_per_deg_lon).abs() <= 1e-12 * frame.m_per_deg_lat,
            "{lat}"
        );
        assert!(
            (ky - frame.m_per_deg_lat).abs() <= 1e-12 * frame.m_per_deg_lat,
            "{lat}"
        );
    }
}
