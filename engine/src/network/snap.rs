//! Joining to the network 接入路网: a gate 小区出入口, a facility point or a scattered building's
//! point joins the nearest point of a walkable segment; a polygon (a compound without gates, a
//! facility's outline) joins from the point of its boundary nearest a segment, since its
//! walls are where people come out. The joining distance 接入距离 is part of every walking
//! distance. Nothing farther than the caller's limit (a few hundred metres) is joined: such a
//! unit is reported as unjoined rather than joined to a way far away.
//!
//! Segments sit in an rstar tree in one equirectangular frame around the middle of the graph.
//! That frame is true only near its middle, so it only orders the search: each candidate is
//! measured exactly ([`metres`]), and the walk stops once the frame distance times the frame's
//! least stretch over the graph's latitudes (± 1°) passes the best found — the analyses' rule
//! for their facility index.

use geo::line_intersection::{line_intersection, LineIntersection};
use geo_types::{Coord, Line, LineString, Polygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line as SegmentLine};
use rstar::{RTree, AABB};

use super::graph::Graph;
use super::{metres, scales};

/// Latitude margin, degrees, around the graph within which the search's bound holds; points
/// farther from every way than this (111 km) are never joined.
const MARGIN_DEG: f64 = 1.0;

/// Slack, metres, on the bound that ends a search, against rounding.
const SLACK_M: f64 = 1e-6;

/// Where a point or polygon joins the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Join {
    /// The edge (segment) joined.
    pub edge: u32,
    /// The position along the edge: 0 at its first node, 1 at its second.
    pub t: f64,
    /// The joining point on the edge, lon/lat.
    pub at: Coord,
    /// Where the join leaves from, lon/lat: the point itself, or the polygon's boundary point.
    pub from: Coord,
    /// The joining distance 接入距离, metres from `from` to `at`.
    pub distance_m: f64,
    /// Metres along the edge from `at` to the edge's first and to its second node, each part
    /// measured as it lies (`t` times the length would be off by up to 10⁻⁵ on a segment
    /// running north–south, where the metre per degree of longitude changes).
    pub along_m: [f64; 2],
}

impl Join {
    /// The join of `from` at the point `t` of an edge (0 at its first node), `distance_m` away.
    pub fn on_edge(graph: &Graph, edge: u32, t: f64, from: Coord, distance_m: f64) -> Join {
        let [a, b] = graph.edge_nodes(edge);
        let (a, b) = (graph.coord(a), graph.coord(b));
        let at = lerp(a, b, t);
        Join {
            edge,
            t,
            at,
            from,
            distance_m,
            along_m: [metres(a, at), metres(at, b)],
        }
    }
}

type Entry = GeomWithData<SegmentLine<[f64; 2]>, u32>;

/// An rstar index of a graph's segments for joining points and polygons to it.
pub struct SegmentIndex {
    tree: RTree<Entry>,
    origin: Coord,
    /// The frame's metres per degree, east and north.
    kx: f64,
    ky: f64,
    /// The latitudes, degrees, where `min_scale` holds.
    south: f64,
    north: f64,
    /// The least ratio of true to frame metres over `south..=north`.
    min_scale: f64,
}

impl SegmentIndex {
    /// Indexes every edge of the graph.
    pub fn new(graph: &Graph) -> SegmentIndex {
        let (mut lo, mut hi) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        for c in graph.coords() {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
        if graph.node_count() == 0 {
            (lo, hi) = (Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 });
        }
        let origin = Coord {
            x: f64::midpoint(lo.x, hi.x),
            y: f64::midpoint(lo.y, hi.y),
        };
        let (kx, ky) = scales(origin.y);
        let south = (lo.y - MARGIN_DEG).max(-89.0);
        let north = (hi.y + MARGIN_DEG).min(89.0);
        // East–west stretch falls away from the equator and north–south stretch grows, so the
        // least of either is at an end of the band or at the equator.
        let min_scale = [south, north, 0.0_f64.clamp(south, north)]
            .into_iter()
            .map(|lat| {
                let (x, y) = scales(lat);
                (x / kx).min(y / ky)
            })
            .fold(1.0, f64::min);
        let mut index = SegmentIndex {
            tree: RTree::new(),
            origin,
            kx,
            ky,
            south,
            north,
            min_scale,
        };
        let entries: Vec<Entry> = (0..graph.edge_count() as u32)
            .into_par_iter()
            .map(|e| {
                let [a, b] = graph.edge_nodes(e);
                let line =
                    SegmentLine::new(index.frame(graph.coord(a)), index.frame(graph.coord(b)));
                GeomWithData::new(line, e)
            })
            .collect();
        index.tree = RTree::bulk_load(entries);
        index
    }

    /// Frame metres of a lon/lat point.
    fn frame(&self, c: Coord) -> [f64; 2] {
        [
            (c.x - self.origin.x) * self.kx,
            (c.y - self.origin.y) * self.ky,
        ]
    }

    /// Bytes of the index (its entries; the tree's inner nodes add about a tenth).
    pub fn memory_bytes(&self) -> usize {
        self.tree.size() * std::mem::size_of::<Entry>()
    }

    /// Joins a point (a gate, a facility or a building, lon/lat) to the nearest point of a
    /// walkable segment, or `None` when none lies within `limit_m` metres (at most 100 km).
    pub fn point(&self, graph: &Graph, p: Coord, limit_m: f64) -> Option<Join> {
        self.nearest(graph, p, limit_m)
            .map(|(edge, t, distance_m)| Join::on_edge(graph, edge, t, p, distance_m))
    }

    /// The nearest segment point to `p` within `limit_m`: edge, position and metres.
    fn nearest(&self, graph: &Graph, point: Coord, limit_m: f64) -> Option<(u32, f64, f64)> {
        if !(self.south..=self.north).contains(&point.y) {
            return None;
        }
        let mut best: Option<(u32, f64, f64)> = None;
        let mut bound = limit_m;
        for (entry, frame_d2) in self
            .tree
            .nearest_neighbor_iter_with_distance_2(&self.frame(point))
        {
            if frame_d2.sqrt() * self.min_scale - SLACK_M > bound {
                break;
            }
            let [first, second] = graph.edge_nodes(entry.data);
            let (t, _, metres) = nearest_on_segment(point, graph.coord(first), graph.coord(second));
            if metres <= bound && best.is_none_or(|(_, _, best_m)| metres < best_m) {
                best = Some((entry.data, t, metres));
                bound = metres;
            }
        }
        best
    }

    /// Joins a polygon (a compound without gates, a facility's outline, lon/lat) from the point
    /// of its boundary nearest a walkable segment: 0 m where a segment crosses or touches the
    /// boundary. Ways wholly inside count by their distance to the boundary. `None` when no
    /// segment lies within `limit_m` metres (at most 100 km) of the boundary.
    pub fn polygon(&self, graph: &Graph, polygon: &Polygon, limit_m: f64) -> Option<Join> {
        let rings: Vec<&LineString> = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .filter(|r| !r.0.is_empty())
            .collect();
        if rings.is_empty() {
            return None;
        }
        if let Some(join) = self.crossing(graph, &rings) {
            return Some(join);
        }
        let mut best: Option<Join> = None;
        let bound = |best: &Option<Join>| best.map_or(limit_m, |j| j.distance_m);
        // The nearest points of two segments apart are an end of one and a point of the other:
        // a boundary vertex and a way's segment, ...
        for &v in rings.iter().flat_map(|r| r.0.iter()) {
            if let Some(j) = self.point(graph, v, bound(&best)) {
                if best.is_none_or(|b| j.distance_m < b.distance_m) {
                    best = Some(j);
                }
            }
        }
        // ... or a way's node and a boundary segment.
        for ring in &rings {
            for side in ring.lines() {
                if let Some(j) = self.node_near_side(graph, side, bound(&best)) {
                    best = Some(j);
                }
            }
        }
        best
    }

    /// The first segment (lowest edge) crossing or touching a ring, joined at the crossing.
    fn crossing(&self, graph: &Graph, rings: &[&LineString]) -> Option<Join> {
        let envelope = self.envelope(rings.iter().flat_map(|r| r.0.iter()).copied(), 0.0);
        let mut candidates: Vec<u32> = self
            .tree
            .locate_in_envelope_intersecting(&envelope)
            .map(|e| e.data)
            .collect();
        candidates.sort_unstable();
        for edge in candidates {
            let [a, b] = graph.edge_nodes(edge);
            let way = Line::new(graph.coord(a), graph.coord(b));
            for side in rings.iter().flat_map(|r| r.lines()) {
                let at = match line_intersection(way, side) {
                    Some(LineIntersection::SinglePoint { intersection, .. }) => intersection,
                    Some(LineIntersection::Collinear { intersection }) => intersection.start,
                    None => continue,
                };
                let (t, at, _) = nearest_on_segment(at, way.start, way.end);
                let join = Join::on_edge(graph, edge, t, at, 0.0);
                return Some(Join {
                    from: join.at,
                    ..join
                });
            }
        }
        None
    }

    /// The way node nearest a boundary segment, if nearer than `bound` metres.
    fn node_near_side(&self, graph: &Graph, side: Line, bound: f64) -> Option<Join> {
        let reach = bound / self.min_scale + SLACK_M;
        let envelope = self.envelope([side.start, side.end].into_iter(), reach);
        let mut best: Option<Join> = None;
        for entry in self.tree.locate_in_envelope_intersecting(&envelope) {
            let [a, b] = graph.edge_nodes(entry.data);
            for (node, t) in [(a, 0.0), (b, 1.0)] {
                let at = graph.coord(node);
                let (_, from, d) = nearest_on_segment(at, side.start, side.end);
                let better = best.map_or(d < bound, |j| d < j.distance_m);
                if better {
                    best = Some(Join::on_edge(graph, entry.data, t, from, d));
                }
            }
        }
        best
    }

    /// The frame envelope of lon/lat points, grown by `reach` frame metres.
    fn envelope(&self, points: impl Iterator<Item = Coord>, reach: f64) -> AABB<[f64; 2]> {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for c in points {
            let p = self.frame(c);
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        AABB::from_corners(
            [lo[0] - reach, lo[1] - reach],
            [hi[0] + reach, hi[1] + reach],
        )
    }
}

/// The nearest point to `p` of the segment `a`–`b` (lon/lat): its position `t` (0 at `a`), the
/// point, and the metres to it. Found in the plane of the radii at `p`'s latitude (within
/// 10⁻⁹ of the ellipsoid's answer for joins of a few hundred metres), measured by [`metres`].
pub(crate) fn nearest_on_segment(p: Coord, a: Coord, b: Coord) -> (f64, Coord, f64) {
    let (kx, ky) = scales(p.y);
    let (ax, ay) = (kx * (a.x - p.x), ky * (a.y - p.y));
    let (dx, dy) = (kx * (b.x - a.x), ky * (b.y - a.y));
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let at = lerp(a, b, t);
    (t, at, metres(p, at))
}

/// The point `t` of the way from `a` to `b` (exactly `a` at 0 and `b` at 1).
#[allow(clippy::float_cmp)] // the ends exactly, so that a join at a node is at the node
fn lerp(a: Coord, b: Coord, t: f64) -> Coord {
    if t == 0.0 {
        a
    } else if t == 1.0 {
        b
    } else {
        Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        }
    }
}
