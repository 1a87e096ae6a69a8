//! Tessellation of an area by its units: a Voronoi diagram of points sampled along each unit's
//! geometry (densified polygon vertices, building points), built from the circumcentres of
//! their Delaunay triangulation; a unit's cell is the union of its points' cells, clipped to the
//! area's boundary. Units are adjacent when their cells share a boundary longer than a
//! tolerance.
//!
//! Everything here is in metres of a local frame.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use std::collections::HashMap;

use geo::orient::{Direction, Orient};
use geo::{
    Area, BooleanOps, BoundingRect, CoordsIter, InteriorPoint, TriangulateDelaunayUnconstrained,
};
use geo_types::{Coord, Geometry, LineString, MultiPoint, MultiPolygon, Point, Polygon, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::{Deserialize, Serialize};

use super::graph::UnitGraph;

/// How units are sampled and when their cells count as adjacent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TessellationOptions {
    /// Spacing of the points sampled along a polygon's outline, metres (default 10).
    pub spacing_m: f64,
    /// At most this many points per unit; long outlines are sampled more sparsely (default 48).
    pub max_sites_per_unit: usize,
    /// Two cells are adjacent when their shared boundary is longer than this, metres
    /// (default 1; corners touching at a point never count).
    pub edge_tolerance_m: f64,
}

impl Default for TessellationOptions {
    fn default() -> Self {
        TessellationOptions {
            spacing_m: 10.0,
            max_sites_per_unit: 48,
            edge_tolerance_m: 1.0,
        }
    }
}

/// Something about one unit the tessellation could not do as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellIssue {
    /// The unit's representative point lies outside the boundary.
    OutsideBoundary,
    /// The unit's cell is empty after clipping to the boundary; its adjacency uses the
    /// unclipped Voronoi cell.
    EmptyCell,
    /// Every point of the unit coincides with another unit's; it is linked to those units.
    NoSites,
}

/// The cells of an area's units and their adjacency.
#[derive(Debug, Clone)]
pub struct Tessellation {
    /// Each unit's cell (metres), clipped to the boundary; empty for units with no cell.
    pub cells: Vec<MultiPolygon>,
    /// The Voronoi cell of every sampled point (metres, unclipped but for a frame around the
    /// area); neighbouring cells share identical vertices.
    pub site_cells: Vec<Polygon>,
    /// The sampled points of each unit (indices into `site_cells`).
    pub unit_sites: Vec<Vec<u32>>,
    index: BoundaryIndex,
    /// Adjacency with shared boundary lengths (metres).
    pub graph: UnitGraph,
    /// The boundary (metres), oriented.
    pub boundary: MultiPolygon,
    /// Area of the boundary, m².
    pub boundary_area_m2: f64,
    /// Units the tessellation had trouble with, by unit index.
    pub issues: Vec<(usize, CellIssue)>,
}

type EdgeEntry = GeomWithData<Rectangle<[f64; 2]>, (Coord, Coord)>;

/// Fast point-in-area and segment clipping against a (multi)polygon boundary.
#[derive(Debug, Clone)]
struct BoundaryIndex {
    edges: RTree<EdgeEntry>,
}

impl BoundaryIndex {
    fn new(boundary: &MultiPolygon) -> Self {
        let mut entries = Vec::new();
        for poly in &boundary.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for l in ring.lines() {
                    if l.start == l.end {
                        continue;
                    }
                    entries.push(GeomWithData::new(
                        Rectangle::from_corners(
                            [l.start.x.min(l.end.x), l.start.y.min(l.end.y)],
                            [l.start.x.max(l.end.x), l.start.y.max(l.end.y)],
                        ),
                        (l.start, l.end),
                    ));
                }
            }
        }
        BoundaryIndex {
            edges: RTree::bulk_load(entries),
        }
    }

    /// Even-odd ray casting to +x.
    fn contains(&self, p: Coord) -> bool {
        let env = AABB::from_corners([p.x, p.y], [f64::INFINITY, p.y]);
        let mut inside = false;
        for e in self.edges.locate_in_envelope_intersecting(&env) {
            let (a, b) = e.data;
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                if x > p.x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    fn touches(&self, r: Rect) -> bool {
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        self.edges
            .locate_in_envelope_intersecting(&env)
            .next()
            .is_some()
    }

    /// Length of the segment `a`–`b` inside the boundary.
    fn length_inside(&self, a: Coord, b: Coord) -> f64 {
        let len = (b.x - a.x).hypot(b.y - a.y);
        if len == 0.0 {
            return 0.0;
        }
        let env = AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
        let mut ts = vec![0.0, 1.0];
        for e in self.edges.locate_in_envelope_intersecting(&env) {
            let (c, d) = e.data;
            let r = Coord {
                x: b.x - a.x,
                y: b.y - a.y,
            };
            let s = Coord {
                x: d.x - c.x,
                y: d.y - c.y,
            };
            let den = r.x * s.y - r.y * s.x;
            if den.abs() < 1e-12 {
                continue;
            }
            let t = ((c.x - a.x) * s.y - (c.y - a.y) * s.x) / den;
            let u = ((c.x - a.x) * r.y - (c.y - a.y) * r.x) / den;
            if (0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u) {
                ts.push(t);
            }
        }
        if ts.len() == 2 {
            let mid = Coord {
                x: a.x.midpoint(b.x),
                y: a.y.midpoint(b.y),
            };
            return if self.contains(mid) { len } else { 0.0 };
        }
        ts.sort_by(f64::total_cmp);
        let mut inside = 0.0;
        for w in ts.windows(2) {
            if w[1] - w[0] <= 0.0 {
                continue;
            }
            let tm = w[0].midpoint(w[1]);
            let mid = Coord {
                x: a.x + (b.x - a.x) * tm,
                y: a.y + (b.y - a.y) * tm,
            };
            if self.contains(mid) {
                inside += (w[1] - w[0]) * len;
            }
        }
        inside
    }
}

/// Points sampled along a unit's geometry: polygon outline vertices densified to the spacing,
/// plus an interior point; a point as itself; other geometries by their vertices.
fn sample(g: &Geometry, opts: &TessellationOptions) -> Vec<Coord> {
    let finite = |c: &Coord| c.x.is_finite() && c.y.is_finite();
    let polys: Vec<Polygon> = match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(mp) => mp.0.clone(),
        Geometry::Rect(r) => vec![r.to_polygon()],
        Geometry::Triangle(t) => vec![t.to_polygon()],
        _ => return g.coords_iter().filter(finite).collect(),
    };
    let mut out = Vec::new();
    let perimeter: f64 = polys
        .iter()
        .flat_map(|p| p.exterior().lines())
        .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
        .sum();
    let budget = opts.max_sites_per_unit.max(4) as f64;
    let spacing = opts.spacing_m.max(perimeter / budget).max(1e-6);
    for p in &polys {
        for l in p.exterior().lines() {
            let len = (l.end.x - l.start.x).hypot(l.end.y - l.start.y);
            let steps = (len / spacing).ceil().max(1.0) as usize;
            for k in 0..steps {
                let t = k as f64 / steps as f64;
                out.push(Coord {
                    x: l.start.x + (l.end.x - l.start.x) * t,
                    y: l.start.y + (l.end.y - l.start.y) * t,
                });
            }
        }
        if let Some(ip) = p.interior_point() {
            out.push(ip.0);
        }
    }
    out.retain(finite);
    out
}

fn key(c: Coord) -> (u64, u64) {
    // +0.0 and -0.0 are the same site.
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

fn lex_less(a: Coord, b: Coord) -> bool {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)).is_lt()
}

/// Clips a convex ring to the half-plane `n·p ≤ c`. Crossing points are computed from the
/// edge's endpoints in lexicographic order, so two cells sharing an edge get bit-identical
/// points (their union then has no hairline gaps).
fn clip_ring(ring: &[Coord], n: Coord, c: f64, out: &mut Vec<Coord>) {
    out.clear();
    let d = |p: Coord| n.x * p.x + n.y * p.y - c;
    let len = ring.len();
    for i in 0..len {
        let (p, q) = (ring[i], ring[(i + 1) % len]);
        let (dp, dq) = (d(p), d(q));
        if dp <= 0.0 {
            out.push(p);
        }
        if (dp <= 0.0) != (dq <= 0.0) {
            let (a, b, da, db) = if lex_less(p, q) {
                (p, q, dp, dq)
            } else {
                (q, p, dq, dp)
            };
            let t = da / (da - db);
            out.push(Coord {
                x: a.x + (b.x - a.x) * t,
                y: a.y + (b.y - a.y) * t,
            });
        }
    }
    out.dedup();
    while out.len() > 1 && out[0] == out[out.len() - 1] {
        out.pop();
    }
}

/// An axis-aligned box `[x0, y0, x1, y1]` every cell is clipped to.
#[derive(Debug, Clone, Copy)]
struct Frame([f64; 4]);

impl Frame {
    fn clip(&self, ring: Vec<Coord>) -> Vec<Coord> {
        let [x0, y0, x1, y1] = self.0;
        let sides = [
            (Coord { x: -1.0, y: 0.0 }, -x0),
            (Coord { x: 1.0, y: 0.0 }, x1),
            (Coord { x: 0.0, y: -1.0 }, -y0),
            (Coord { x: 0.0, y: 1.0 }, y1),
        ];
        let mut cur = ring;
        let mut buf = Vec::with_capacity(cur.len() + 4);
        for (n, c) in sides {
            clip_ring(&cur, n, c, &mut buf);
            std::mem::swap(&mut cur, &mut buf);
            if cur.len() < 3 {
                return Vec::new();
            }
        }
        cur
    }

    fn diagonal(&self) -> f64 {
        let [x0, y0, x1, y1] = self.0;
        (x1 - x0).hypot(y1 - y0)
    }

    fn centre(&self) -> Coord {
        let [x0, y0, x1, y1] = self.0;
        Coord {
            x: x0.midpoint(x1),
            y: y0.midpoint(y1),
        }
    }

    /// The part of segment `a`–`b` inside the box (Liang–Barsky), if any.
    fn clip_segment(&self, a: Coord, b: Coord) -> Option<(Coord, Coord)> {
        let [x0, y0, x1, y1] = self.0;
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.x - x0),
            (dx, x1 - a.x),
            (-dy, a.y - y0),
            (dy, y1 - a.y),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        (t0 <= t1).then_some((
            Coord {
                x: a.x + dx * t0,
                y: a.y + dy * t0,
            },
            Coord {
                x: a.x + dx * t1,
                y: a.y + dy * t1,
            },
        ))
    }
}

fn signed_area(ring: &[Coord]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (p, q) = (ring[i], ring[(i + 1) % n]);
            p.x * q.y - q.x * p.y
        })
        .sum::<f64>()
        / 2.0
}

fn circumcentre(a: Coord, b: Coord, c: Coord) -> Option<Coord> {
    let (bx, by, cx, cy) = (b.x - a.x, b.y - a.y, c.x - a.x, c.y - a.y);
    let d = 2.0 * (bx * cy - by * cx);
    if d == 0.0 {
        return None;
    }
    let (b2, c2) = (bx * bx + by * by, cx * cx + cy * cy);
    let x = a.x + (cy * b2 - by * c2) / d;
    let y = a.y + (bx * c2 - cx * b2) / d;
    (x.is_finite() && y.is_finite()).then_some(Coord { x, y })
}

/// The Voronoi edge two neighbouring sites `s < t` share: `(s, t, from, to)`.
type VoronoiEdge = (u32, u32, Coord, Coord);

/// Voronoi cells of the sites (clipped to the frame) and, for every pair of neighbouring
/// sites `(s, t)` with `s < t`, the Voronoi edge they share (clipped to the frame).
///
/// Eight guard sites on a circle of three frame diagonals around the frame make every real site
/// interior to the triangulation: every cell is a closed fan of circumcentres (no rays, no
/// slivers along the hull, collinear input is fine), and no point of the frame is nearer a
/// guard than a real site (a frame point is within one diagonal of some site, and at least 2.5
/// diagonals from every guard), so the real cells tile the frame. Each circumcentre is computed
/// once, so neighbouring cells share bit-identical vertices.
fn voronoi(sites: &[Coord], frame: Frame) -> (Vec<Vec<Coord>>, Vec<VoronoiEdge>) {
    let m = sites.len();
    let mid = frame.centre();
    let radius = 3.0 * frame.diagonal();
    let mut all: Vec<Coord> = sites.to_vec();
    for k in 0..8 {
        let a = f64::from(k) * std::f64::consts::FRAC_PI_4 + 0.3;
        all.push(Coord {
            x: mid.x + radius * a.cos(),
            y: mid.y + radius * a.sin(),
        });
    }
    let mut ids: HashMap<(u64, u64), u32> = HashMap::with_capacity(all.len());
    for (i, &c) in all.iter().enumerate() {
        ids.entry(key(c)).or_insert(i as u32);
    }
    let triangles = MultiPoint(all.iter().map(|&c| Point(c)).collect())
        .unconstrained_triangulation()
        .unwrap_or_default();
    let mut cc: Vec<Coord> = Vec::with_capacity(triangles.len());
    let mut fans: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); m];
    let mut edge_tris: HashMap<(u32, u32), (u32, u32)> =
        HashMap::with_capacity(3 * triangles.len());
    for t in &triangles {
        let v = t.to_array();
        let (Some(&a), Some(&b), Some(&c)) = (
            ids.get(&key(v[0])),
            ids.get(&key(v[1])),
            ids.get(&key(v[2])),
        ) else {
            continue;
        };
        let (pa, pb, pc) = (all[a as usize], all[b as usize], all[c as usize]);
        let orient = (pb.x - pa.x) * (pc.y - pa.y) - (pb.y - pa.y) * (pc.x - pa.x);
        let Some(centre) = circumcentre(pa, pb, pc) else {
            continue;
        };
        let [a, b, c] = if orient >= 0.0 { [a, b, c] } else { [a, c, b] };
        let ti = cc.len() as u32;
        cc.push(centre);
        for (x, y, z) in [(a, b, c), (b, c, a), (c, a, b)] {
            if (x as usize) < m {
                fans[x as usize].push((y, z, ti));
            }
            if (x as usize) < m && (y as usize) < m {
                let e = edge_tris
                    .entry((x.min(y), x.max(y)))
                    .or_insert((u32::MAX, u32::MAX));
                if e.0 == u32::MAX {
                    e.0 = ti;
                } else {
                    e.1 = ti;
                }
            }
        }
    }
    let cells: Vec<Vec<Coord>> = (0..m)
        .into_par_iter()
        .map(|s| {
            let fan = &fans[s];
            let Some(&(start, _, _)) = fan.first() else {
                return Vec::new();
            };
            let mut ring = Vec::with_capacity(fan.len());
            let mut cur = start;
            for _ in 0..fan.len() {
                let Some(&(_, to, ti)) = fan.iter().find(|&&(from, _, _)| from == cur) else {
                    break;
                };
                ring.push(cc[ti as usize]);
                cur = to;
                if cur == start {
                    break;
                }
            }
            ring.dedup();
            while ring.len() > 1 && ring[0] == ring[ring.len() - 1] {
                ring.pop();
            }
            if ring.len() < 3 {
                return Vec::new();
            }
            if signed_area(&ring) < 0.0 {
                ring.reverse();
            }
            frame.clip(ring)
        })
        .collect();
    let edges = edge_tris
        .iter()
        .filter(|(_, &(_, t2))| t2 != u32::MAX)
        .filter_map(|(&(s, t), &(t1, t2))| {
            let (a, b) = frame.clip_segment(cc[t1 as usize], cc[t2 as usize])?;
            Some((s, t, a, b))
        })
        .collect();
    (cells, edges)
}

/// Tessellates the area `boundary` (metres) by the units `geometries` (metres).
pub(crate) fn tessellate(
    geometries: &[Geometry],
    boundary: &MultiPolygon,
    opts: &TessellationOptions,
) -> Tessellation {
    let n = geometries.len();
    let boundary = boundary.orient(Direction::Default);
    let boundary_area_m2 = boundary.unsigned_area();
    let index = BoundaryIndex::new(&boundary);
    let mut issues: Vec<(usize, CellIssue)> = Vec::new();

    let sites = Sites::place(geometries, &boundary, &index, opts, &mut issues);
    let frame = frame_around(&boundary, &sites.coords);
    let (rings, voronoi_edges) = if sites.coords.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        voronoi(&sites.coords, frame)
    };
    let site_cells: Vec<Polygon> = rings
        .into_iter()
        .map(|mut r| {
            if r.len() < 3 {
                return Polygon::new(LineString(vec![]), vec![]);
            }
            r.push(r[0]);
            Polygon::new(LineString(r), vec![])
        })
        .collect();
    let mut unit_sites: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (s, &u) in sites.owner.iter().enumerate() {
        unit_sites[u as usize].push(s as u32);
    }
    let pair_lengths = shared_lengths(&voronoi_edges, &sites.owner, &boundary, &index);

    let mut tess = Tessellation {
        cells: Vec::new(),
        site_cells,
        unit_sites,
        graph: UnitGraph::default(),
        boundary,
        boundary_area_m2,
        issues: Vec::new(),
        index,
    };
    let cells: Vec<MultiPolygon> = (0..n).into_par_iter().map(|i| tess.dissolve([i])).collect();
    let empty: Vec<bool> = cells.iter().map(|c| c.unsigned_area() <= 1e-6).collect();
    for (i, e) in empty.iter().enumerate() {
        if *e && !tess.unit_sites[i].is_empty() {
            issues.push((i, CellIssue::EmptyCell));
        }
    }
    let mut edges = unit_edges(pair_lengths, &empty, opts.edge_tolerance_m);
    edges.extend(sites.forced);
    edges.sort_by_key(|x| (x.0, x.1));
    issues.sort_unstable_by_key(|&(i, c)| (i, c as u8));
    issues.dedup();
    tess.cells = cells;
    tess.graph = UnitGraph::from_edges(n, edges);
    tess.issues = issues;
    tess
}

/// The Voronoi sites of the units, deduplicated: the first unit to claim a point owns it.
struct Sites {
    coords: Vec<Coord>,
    /// The unit owning each site.
    owner: Vec<u32>,
    /// Edges (unit, unit, length 0) forced from a unit left without sites to the units that
    /// claimed its points first.
    forced: Vec<(usize, usize, f64)>,
}

impl Sites {
    /// Samples every unit's sites; reports units left without sites and units whose
    /// representative point lies outside a (non-empty) boundary.
    fn place(
        geometries: &[Geometry],
        boundary: &MultiPolygon,
        index: &BoundaryIndex,
        opts: &TessellationOptions,
        issues: &mut Vec<(usize, CellIssue)>,
    ) -> Sites {
        let mut sites: Vec<Coord> = Vec::new();
        let mut owner: Vec<u32> = Vec::new();
        let mut ids: HashMap<(u64, u64), u32> = HashMap::new();
        let mut forced: Vec<(usize, usize, f64)> = Vec::new();
        for (i, g) in geometries.iter().enumerate() {
            let mut own = 0usize;
            let mut clashes: Vec<usize> = Vec::new();
            for c in sample(g, opts) {
                match ids.get(&key(c)) {
                    Some(&s) if owner[s as usize] as usize != i => {
                        clashes.push(owner[s as usize] as usize);
                    }
                    Some(_) => {}
                    None => {
                        ids.insert(key(c), sites.len() as u32);
                        sites.push(c);
                        owner.push(i as u32);
                        own += 1;
                    }
                }
            }
            if own == 0 {
                issues.push((i, CellIssue::NoSites));
                clashes.sort_unstable();
                clashes.dedup();
                forced.extend(clashes.into_iter().map(|j| (i, j, 0.0)));
            }
            let p = super::units::representative_point(g).0;
            if !boundary.0.is_empty() && !index.contains(p) && own > 0 {
                issues.push((i, CellIssue::OutsideBoundary));
            }
        }
        Sites {
            coords: sites,
            owner,
            forced,
        }
    }
}

/// A frame around every site and the boundary, padded by a tenth of its size (at least 50 m).
fn frame_around(boundary: &MultiPolygon, sites: &[Coord]) -> Frame {
    let mut bbox: Option<Rect> = boundary.bounding_rect();
    for &c in sites {
        bbox = Some(match bbox {
            None => Rect::new(c, c),
            Some(r) => Rect::new(
                Coord {
                    x: r.min().x.min(c.x),
                    y: r.min().y.min(c.y),
                },
                Coord {
                    x: r.max().x.max(c.x),
                    y: r.max().y.max(c.y),
                },
            ),
        });
    }
    let bbox =
        bbox.unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }));
    let pad = (bbox.width().max(bbox.height()) * 0.1).max(50.0);
    Frame([
        bbox.min().x - pad,
        bbox.min().y - pad,
        bbox.max().x + pad,
        bbox.max().y + pad,
    ])
}

/// Shared boundary between units: Voronoi edges between sites of different units, as (unit
/// pair, length clipped to the boundary, raw length — for units whose clipped cell is empty).
fn shared_lengths(
    voronoi_edges: &[VoronoiEdge],
    owner: &[u32],
    boundary: &MultiPolygon,
    index: &BoundaryIndex,
) -> Vec<((u32, u32), f64, f64)> {
    voronoi_edges
        .par_iter()
        .filter_map(|&(s, t, a, b)| {
            let (us, ut) = (owner[s as usize], owner[t as usize]);
            if us == ut {
                return None;
            }
            let raw = (b.x - a.x).hypot(b.y - a.y);
            let inside = if boundary.0.is_empty() {
                raw
            } else {
                index.length_inside(a, b)
            };
            Some(((us.min(ut), us.max(ut)), inside, raw))
        })
        .collect()
}

/// The adjacency edges between units: their summed shared lengths (raw where either cell is
/// empty), those longer than `tol`.
fn unit_edges(
    pair_lengths: Vec<((u32, u32), f64, f64)>,
    empty: &[bool],
    tol: f64,
) -> Vec<(usize, usize, f64)> {
    let mut sums: HashMap<(u32, u32), (f64, f64)> = HashMap::new();
    for (k, inside, raw) in pair_lengths {
        let e = sums.entry(k).or_insert((0.0, 0.0));
        e.0 += inside;
        e.1 += raw;
    }
    sums.into_iter()
        .filter_map(|((a, b), (inside, raw))| {
            let (a, b) = (a as usize, b as usize);
            let len = if empty[a] || empty[b] { raw } else { inside };
            (len > tol).then_some((a, b, len))
        })
        .collect()
}

impl Tessellation {
    /// The dissolved cells of units (by index), clipped to the boundary, metres. Dissolving the
    /// units' Voronoi site cells in one union (their shared vertices are identical) before
    /// clipping keeps adjacent units' polygons in one piece.
    pub fn dissolve(&self, units: impl IntoIterator<Item = usize>) -> MultiPolygon {
        let polys: Vec<&Polygon> = units
            .into_iter()
            .flat_map(|u| self.unit_sites[u].iter())
            .map(|&s| &self.site_cells[s as usize])
            .filter(|p| p.exterior().0.len() >= 4)
            .collect();
        let merged = match polys.len() {
            0 => return MultiPolygon(vec![]),
            1 => MultiPolygon(vec![polys[0].clone()]),
            _ => geo::unary_union(polys),
        };
        if self.boundary.0.is_empty() {
            return merged;
        }
        // No boundary edge near the cells: they lie wholly inside or wholly outside.
        if let Some(r) = merged.bounding_rect() {
            if !self.index.touches(r) {
                let probe = merged
                    .0
                    .first()
                    .and_then(|p| p.exterior().0.first().copied());
                return match probe {
                    Some(c) if self.index.contains(c) => merged,
                    _ => MultiPolygon(vec![]),
                };
            }
        }
        merged.intersection(&self.boundary)
    }
}

/// Perimeter of a (multi)polygon including holes, metres.
pub(crate) fn perimeter(mp: &MultiPolygon) -> f64 {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(LineString::lines)
        .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn square(x: f64, y: f64, s: f64) -> Geometry {
        Geometry::Polygon(
            polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)],
        )
    }

    fn area_box(w: f64, h: f64) -> MultiPolygon {
        MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: w, y: 0.0), (x: w, y: h), (x: 0.0, y: h)],
        ])
    }

    #[test]
    fn three_squares_in_a_row_tile_the_area_and_chain() {
        let units = vec![
            square(10.0, 10.0, 30.0),
            square(60.0, 10.0, 30.0),
            square(110.0, 10.0, 30.0),
        ];
        let t = tessellate(
            &units,
            &area_box(150.0, 50.0),
            &TessellationOptions::default(),
        );
        let total: f64 = t.cells.iter().map(Area::unsigned_area).sum();
        assert!(
            (total - 7500.0).abs() < 1e-6,
            "cells tile the area: {total}"
        );
        assert!(t
            .graph
            .shared_length(0, 1)
            .is_some_and(|l| (l - 50.0).abs() < 1e-6));
        assert!(t.graph.shared_length(1, 2).is_some());
        assert!(t.graph.shared_length(0, 2).is_none());
        assert!(t.issues.is_empty());
    }

    #[test]
    fn degenerate_inputs_one_unit_collinear_points_and_outside_units() {
        let one = tessellate(
            &[Geometry::Point(Point::new(5.0, 5.0))],
            &area_box(10.0, 10.0),
            &TessellationOptions::default(),
        );
        assert!((one.cells[0].unsigned_area() - 100.0).abs() < 1e-6);
        let line: Vec<Geometry> = (0..4)
            .map(|i| Geometry::Point(Point::new(1.0 + 2.0 * f64::from(i), 5.0)))
            .collect();
        let t = tessellate(&line, &area_box(8.0, 10.0), &TessellationOptions::default());
        assert_eq!(t.graph.edge_count(), 3);
        assert!((t.graph.shared_length(1, 2).unwrap_or(0.0) - 10.0).abs() < 1e-6);
        let total: f64 = t.cells.iter().map(Area::unsigned_area).sum();
        assert!((total - 80.0).abs() < 1e-6);
        let out = vec![
            Geometry::Point(Point::new(5.0, 5.0)),
            Geometry::Point(Point::new(50.0, 5.0)),
        ];
        let t = tessellate(&out, &area_box(10.0, 10.0), &TessellationOptions::default());
        assert!(t.issues.contains(&(1, CellIssue::OutsideBoundary)));
        assert!(t.issues.contains(&(1, CellIssue::EmptyCell)));
        assert_eq!(
            t.graph.edge_count(),
            1,
            "an outside unit stays linked through its raw cell"
        );
        let dup = vec![
            Geometry::Point(Point::new(5.0, 5.0)),
            Geometry::Point(Point::new(5.0, 5.0)),
        ];
        let t = tessellate(&dup, &area_box(10.0, 10.0), &TessellationOptions::default());
        assert!(t.issues.contains(&(1, CellIssue::NoSites)));
        assert_eq!(t.graph.edge_count(), 1);
    }
}
