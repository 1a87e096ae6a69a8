//! A planar network of way lines in plan metres (the demo district's): lines are added, cut
//! where they cross a river (a bridge where a road goes on across), noded — every crossing and
//! every end touching another line becomes a vertex of both, so the walking graph joins them —
//! trimmed, reduced to its connected whole and written as ways in WGS84.

use std::collections::HashMap;

use engine::{Way, WayKind};
use geo::{Contains, Distance, Euclidean, InterpolateLine};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Point};

use crate::layout::Plan;
use crate::rivers::River;

/// Vertices closer than this, metres, are one vertex; a vertex this close to a line lies on it.
const TOL: f64 = 1e-3;
/// Side of the cells of the segment indexes for casts and for noding, metres.
const CAST_CELL: f64 = 100.0;
const NODE_CELL: f64 = 25.0;
/// Longest segment of a free line (not drawn along a tile boundary), metres: the plan's warp
/// bends a straight plan line, and a chord of 50 m stays within 5 cm of the bent line.
pub(crate) const DENSIFY_M: f64 = 50.0;

/// What a line becomes as a way, and how the network treats it.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // the way's flags, then the network's rules
pub(crate) struct Attrs {
    pub name: Option<String>,
    pub kind: WayKind,
    pub bridge: bool,
    pub no_walking: bool,
    pub compound_id: Option<i64>,
    /// Crossing a river it gets a bridge; otherwise it stops at the banks.
    pub bridged: bool,
    /// Its loose ends beyond its first and last junction are cut off.
    pub trim: bool,
    /// Casts (lanes, gate paths) stop at it.
    pub target: bool,
}

impl Attrs {
    pub fn new(kind: WayKind) -> Self {
        Attrs {
            name: None,
            kind,
            bridge: false,
            no_walking: false,
            compound_id: None,
            bridged: false,
            trim: false,
            target: false,
        }
    }

    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub fn of_compound(mut self, id: i64) -> Self {
        self.compound_id = Some(id);
        self
    }

    pub fn bridged(mut self) -> Self {
        self.bridged = true;
        self
    }

    pub fn trimmed(mut self) -> Self {
        self.trim = true;
        self
    }

    pub fn target(mut self) -> Self {
        self.target = true;
        self
    }

    pub fn bridge(mut self) -> Self {
        self.bridge = true;
        self
    }
}

/// A line of the network: its vertices (ids into the network's points).
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub verts: Vec<u32>,
    pub attrs: Attrs,
}

/// The network: shared vertices (plan metres, some with an exact WGS84 position such as a
/// gate's) and the lines through them.
#[derive(Debug, Default)]
pub(crate) struct Net {
    points: Vec<Coord>,
    exact: Vec<Option<Coord>>,
    cells: HashMap<(i64, i64), Vec<u32>>,
    pub lines: Vec<Line>,
}

fn sub(a: Coord, b: Coord) -> Coord {
    Coord {
        x: a.x - b.x,
        y: a.y - b.y,
    }
}

fn cross(a: Coord, b: Coord) -> f64 {
    a.x * b.y - a.y * b.x
}

fn dot(a: Coord, b: Coord) -> f64 {
    a.x * b.x + a.y * b.y
}

fn lerp(a: Coord, b: Coord, t: f64) -> Coord {
    Coord {
        x: a.x + t * (b.x - a.x),
        y: a.y + t * (b.y - a.y),
    }
}

fn dist(a: Coord, b: Coord) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// The parameter (0 at `a`, 1 at `b`) and distance of the point of segment `a`–`b` nearest `p`.
#[allow(clippy::many_single_char_names)]
pub(crate) fn project(p: Coord, a: Coord, b: Coord) -> (f64, f64) {
    let d = sub(b, a);
    let len2 = dot(d, d);
    let t = if len2 > 0.0 {
        (dot(sub(p, a), d) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (t, dist(p, lerp(a, b, t)))
}

/// `points` with extra points so that no step is longer than `step`.
pub(crate) fn densify(points: &[Coord], step: f64) -> Vec<Coord> {
    let mut out = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        if let Some(&q) = i.checked_sub(1).and_then(|j| points.get(j)) {
            let n = (dist(q, p) / step).ceil().max(1.0) as usize;
            for k in 1..n {
                out.push(lerp(q, p, k as f64 / n as f64));
            }
        }
        out.push(p);
    }
    out
}

/// A segment: (line, index of its first vertex in the line).
type Seg = (u32, u32);
/// Per segment, the vertices to insert and their positions along it.
type Inserts = HashMap<Seg, Vec<(f64, u32)>>;

/// Segments by the cells of a square grid their bounding boxes touch.
struct SegIndex {
    cells: HashMap<(i64, i64), Vec<Seg>>,
    cell: f64,
}

fn cell_range(lo: f64, hi: f64, cell: f64) -> std::ops::RangeInclusive<i64> {
    ((lo / cell).floor() as i64)..=((hi / cell).floor() as i64)
}

impl SegIndex {
    fn new(net: &Net, keep: impl Fn(&Line) -> bool, cell: f64) -> SegIndex {
        let mut cells: HashMap<(i64, i64), Vec<Seg>> = HashMap::new();
        for (li, line) in net.lines.iter().enumerate() {
            if !keep(line) {
                continue;
            }
            for (si, w) in line.verts.windows(2).enumerate() {
                let (a, b) = (net.points[w[0] as usize], net.points[w[1] as usize]);
                for cx in cell_range(a.x.min(b.x) - TOL, a.x.max(b.x) + TOL, cell) {
                    for cy in cell_range(a.y.min(b.y) - TOL, a.y.max(b.y) + TOL, cell) {
                        cells
                            .entry((cx, cy))
                            .or_default()
                            .push((li as u32, si as u32));
                    }
                }
            }
        }
        SegIndex { cells, cell }
    }

    /// Segments whose cells meet the box (some more than once).
    fn near(&self, lo: Coord, hi: Coord) -> impl Iterator<Item = Seg> + '_ {
        let cell = self.cell;
        cell_range(lo.x, hi.x, cell)
            .flat_map(move |cx| cell_range(lo.y, hi.y, cell).map(move |cy| (cx, cy)))
            .filter_map(|c| self.cells.get(&c))
            .flatten()
            .copied()
    }
}

/// Casts rays at the lines marked as targets.
pub(crate) struct Caster<'a> {
    net: &'a Net,
    index: SegIndex,
}

impl Caster<'_> {
    /// The first point of a target line hit by the ray from `from` along the unit vector `dir`
    /// within `max` metres (a target line through `from` itself does not count).
    #[allow(clippy::many_single_char_names)]
    pub fn cast(&self, from: Coord, dir: Coord, max: f64) -> Option<Coord> {
        let to = Coord {
            x: from.x + dir.x * max,
            y: from.y + dir.y * max,
        };
        let lo = Coord {
            x: from.x.min(to.x),
            y: from.y.min(to.y),
        };
        let hi = Coord {
            x: from.x.max(to.x),
            y: from.y.max(to.y),
        };
        let mut best: Option<(f64, Coord)> = None;
        for (li, si) in self.index.near(lo, hi) {
            let line = &self.net.lines[li as usize];
            let a = self.net.points[line.verts[si as usize] as usize];
            let b = self.net.points[line.verts[si as usize + 1] as usize];
            let d = sub(b, a);
            let denom = cross(dir, d);
            if denom.abs() < 1e-12 {
                continue;
            }
            let w = sub(a, from);
            let s = cross(w, d) / denom;
            let t = cross(w, dir) / denom;
            if s > TOL && s <= max && (-1e-12..=1.0 + 1e-12).contains(&t) {
                let at = lerp(a, b, t.clamp(0.0, 1.0));
                if best.is_none_or(|(bs, _)| s < bs) {
                    best = Some((s, at));
                }
            }
        }
        best.map(|(_, at)| at)
    }
}

impl Net {
    /// The vertex at `p`: an existing one within [`TOL`], else a new one.
    pub fn vertex(&mut self, p: Coord) -> u32 {
        let key = ((p.x / TOL).floor() as i64, (p.y / TOL).floor() as i64);
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(ids) = self.cells.get(&(key.0 + dx, key.1 + dy)) {
                    if let Some(&v) = ids
                        .iter()
                        .find(|&&v| dist(self.points[v as usize], p) <= TOL)
                    {
                        return v;
                    }
                }
            }
        }
        let v = self.points.len() as u32;
        self.points.push(p);
        self.exact.push(None);
        self.cells.entry(key).or_default().push(v);
        v
    }

    /// A vertex at plan point `p` whose WGS84 position is exactly `lonlat` (a gate).
    pub fn exact_vertex(&mut self, p: Coord, lonlat: Coord) -> u32 {
        let v = self.vertex(p);
        self.exact[v as usize] = Some(lonlat);
        v
    }

    pub fn point(&self, v: u32) -> Coord {
        self.points[v as usize]
    }

    /// Adds a line through the given vertices (repeats in a row dropped); `None` when fewer
    /// than two remain.
    pub fn add_ids(&mut self, mut verts: Vec<u32>, attrs: Attrs) -> Option<usize> {
        verts.dedup();
        if verts.len() < 2 {
            return None;
        }
        self.lines.push(Line { verts, attrs });
        Some(self.lines.len() - 1)
    }

    /// Adds a line through plan points as they are (a tile boundary: its vertices are the
    /// tiles').
    pub fn add_exact(&mut self, points: &[Coord], attrs: Attrs) -> Option<usize> {
        let verts = points.iter().map(|&p| self.vertex(p)).collect();
        self.add_ids(verts, attrs)
    }

    /// Adds a free line through plan points, densified to [`DENSIFY_M`].
    pub fn add(&mut self, points: &[Coord], attrs: Attrs) -> Option<usize> {
        self.add_exact(&densify(points, DENSIFY_M), attrs)
    }

    /// A caster over the lines now marked as targets.
    pub fn caster(&self) -> Caster<'_> {
        Caster {
            net: self,
            index: SegIndex::new(self, |l| l.attrs.target, CAST_CELL),
        }
    }

    /// The point of a line nearest `p`.
    #[allow(clippy::many_single_char_names)]
    pub fn nearest_on(&self, line: usize, p: Coord) -> Coord {
        let verts = &self.lines[line].verts;
        let mut best = (f64::INFINITY, self.point(verts[0]));
        for w in verts.windows(2) {
            let (a, b) = (self.point(w[0]), self.point(w[1]));
            let (t, d) = project(p, a, b);
            if d < best.0 {
                best = (d, lerp(a, b, t));
            }
        }
        best.1
    }

    /// Cuts every line but the bridges where it crosses a river: the parts inside a river are
    /// dropped, or — for a line marked `bridged` that goes on across — become a bridge whose
    /// ends are the ends of the parts on either bank. Returns each new bridge's line with the
    /// river it crosses.
    pub fn clip(&mut self, rivers: &[River]) -> Vec<(usize, usize)> {
        let lines = std::mem::take(&mut self.lines);
        let mut bridges = Vec::new();
        for line in lines {
            if line.attrs.bridge {
                self.lines.push(line);
                continue;
            }
            let runs = self.runs(&line, rivers);
            if let [(false, _)] = runs[..] {
                self.lines.push(line);
                continue;
            }
            let last = runs.len() - 1;
            for (i, (inside, verts)) in runs.into_iter().enumerate() {
                if !inside {
                    self.add_ids(verts, line.attrs.clone());
                } else if line.attrs.bridged && i > 0 && i < last {
                    let mid = self.point(verts[verts.len() / 2]);
                    let river = (0..rivers.len())
                        .min_by(|&a, &b| {
                            rivers[a].distance(mid).total_cmp(&rivers[b].distance(mid))
                        })
                        .unwrap_or(0);
                    let mut attrs = line.attrs.clone().bridge();
                    attrs.trim = false;
                    attrs.name = None;
                    if let Some(l) = self.add_ids(verts, attrs) {
                        bridges.push((l, river));
                    }
                }
            }
        }
        bridges
    }

    /// A line cut into runs alternately outside and inside the rivers, each run's ends shared
    /// with its neighbours'.
    fn runs(&mut self, line: &Line, rivers: &[River]) -> Vec<(bool, Vec<u32>)> {
        let inside = |p: Coord| rivers.iter().any(|r| r.distance(p) < r.half_width);
        let clear = |p: Coord, margin: f64| {
            rivers
                .iter()
                .all(|r| r.distance(p) >= r.half_width + margin)
        };
        let first = self.point(line.verts[0]);
        let mut state = inside(first);
        let mut runs = Vec::new();
        let mut current = vec![line.verts[0]];
        for w in line.verts.windows(2) {
            let (a, b) = (self.point(w[0]), self.point(w[1]));
            let len = dist(a, b);
            let surely_outside = !state && clear(a, len) && clear(b, len);
            if !surely_outside {
                let step = rivers
                    .iter()
                    .map(|r| r.half_width / 4.0)
                    .fold(f64::INFINITY, f64::min)
                    .max(0.5);
                let n = (len / step).ceil().max(1.0) as usize;
                let mut prev = 0.0;
                for k in 1..=n {
                    let t = k as f64 / n as f64;
                    if inside(lerp(a, b, t)) == state {
                        prev = t;
                        continue;
                    }
                    // Bisect to the bank.
                    let (mut lo, mut hi) = (prev, t);
                    for _ in 0..80 {
                        let mid = f64::midpoint(lo, hi);
                        if inside(lerp(a, b, mid)) == state {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let bank = self.vertex(lerp(a, b, f64::midpoint(lo, hi)));
                    current.push(bank);
                    runs.push((state, std::mem::replace(&mut current, vec![bank])));
                    state = !state;
                    prev = t;
                }
            }
            current.push(w[1]);
        }
        runs.push((state, current));
        for (_, v) in &mut runs {
            v.dedup();
        }
        runs.retain(|(_, v)| v.len() >= 2);
        runs
    }

    /// Makes every crossing of two lines and every vertex lying on another line's segment a
    /// vertex of both.
    pub fn node(&mut self) {
        let index = SegIndex::new(self, |_| true, NODE_CELL);
        let mut cells: Vec<(&(i64, i64), &Vec<Seg>)> = index.cells.iter().collect();
        cells.sort_unstable_by_key(|c| *c.0);
        let mut pairs: Vec<(Seg, Seg)> = Vec::new();
        for (&cell, segs) in cells {
            for (i, &s) in segs.iter().enumerate() {
                for &t in &segs[i + 1..] {
                    // Each pair once: in the cell holding the corner of their boxes' overlap.
                    if s.0 != t.0 && self.overlap_cell(s, t, NODE_CELL) == cell {
                        pairs.push((s, t));
                    }
                }
            }
        }
        // Per (line, segment): the vertices to insert with their position along it.
        let mut inserts = Inserts::new();
        for (s, t) in pairs {
            self.meet(s, t, &mut inserts);
        }
        let mut inserts: Vec<_> = inserts.into_iter().collect();
        // From the back, so that the segment indices still to come stay valid.
        inserts.sort_unstable_by_key(|e| std::cmp::Reverse(e.0));
        for ((li, si), mut found) in inserts {
            found.sort_by(|a, b| a.0.total_cmp(&b.0));
            let verts = &mut self.lines[li as usize].verts;
            let (a, b) = (verts[si as usize], verts[si as usize + 1]);
            let mut add: Vec<u32> = found.into_iter().map(|(_, v)| v).collect();
            add.dedup();
            add.retain(|&v| v != a && v != b);
            let at = si as usize + 1;
            verts.splice(at..at, add);
            verts.dedup();
        }
    }

    /// The segment's ends.
    fn seg_ends(&self, (li, si): Seg) -> (Coord, Coord) {
        let v = &self.lines[li as usize].verts;
        (self.point(v[si as usize]), self.point(v[si as usize + 1]))
    }

    /// The cell holding the lower corner of the overlap of two segments' boxes (grown by
    /// [`TOL`], as the index has them).
    fn overlap_cell(&self, one: Seg, other: Seg, cell: f64) -> (i64, i64) {
        let (a, b) = self.seg_ends(one);
        let (c, d) = self.seg_ends(other);
        let lo_x = a.x.min(b.x).max(c.x.min(d.x)) - TOL;
        let lo_y = a.y.min(b.y).max(c.y.min(d.y)) - TOL;
        ((lo_x / cell).floor() as i64, (lo_y / cell).floor() as i64)
    }

    /// Records where segments `s` and `t` (of different lines) meet.
    #[allow(clippy::many_single_char_names)]
    fn meet(&mut self, s: Seg, t: Seg, inserts: &mut Inserts) {
        let ends = |net: &Net, (li, si): Seg| {
            let v = &net.lines[li as usize].verts;
            (v[si as usize], v[si as usize + 1])
        };
        let (sa, sb) = ends(self, s);
        let (ta, tb) = ends(self, t);
        let (p, p2, q, q2) = (
            self.point(sa),
            self.point(sb),
            self.point(ta),
            self.point(tb),
        );
        // A vertex of one lying on the other.
        let mut touched = false;
        for (v, seg, (a, b), (x, y)) in [
            (ta, s, (p, p2), (sa, sb)),
            (tb, s, (p, p2), (sa, sb)),
            (sa, t, (q, q2), (ta, tb)),
            (sb, t, (q, q2), (ta, tb)),
        ] {
            if v == x || v == y {
                touched = true;
                continue;
            }
            let (pos, d) = project(self.point(v), a, b);
            if d <= TOL && pos > 0.0 && pos < 1.0 {
                inserts.entry(seg).or_default().push((pos, v));
                touched = true;
            }
        }
        if touched {
            return;
        }
        // A proper crossing.
        let (d1, d2) = (sub(p2, p), sub(q2, q));
        let denom = cross(d1, d2);
        if denom.abs() < 1e-12 {
            return;
        }
        let w = sub(q, p);
        let u = cross(w, d2) / denom;
        let v = cross(w, d1) / denom;
        let (l1, l2) = (dot(d1, d1).sqrt(), dot(d2, d2).sqrt());
        if u * l1 > TOL && (1.0 - u) * l1 > TOL && v * l2 > TOL && (1.0 - v) * l2 > TOL {
            let x = self.vertex(lerp(p, p2, u));
            inserts.entry(s).or_default().push((u, x));
            inserts.entry(t).or_default().push((v, x));
        }
    }

    /// Cuts the loose ends of the lines marked `trim` back to their first and last junction
    /// (a vertex shared with another line); drops those without two junctions.
    pub fn trim(&mut self) {
        let uses = self.uses();
        for line in &mut self.lines {
            if !line.attrs.trim {
                continue;
            }
            let joined = |v: &u32| uses.get(v).copied().unwrap_or(0) >= 2;
            match (
                line.verts.iter().position(joined),
                line.verts.iter().rposition(joined),
            ) {
                (Some(a), Some(b)) if a < b => line.verts = line.verts[a..=b].to_vec(),
                _ => line.verts.clear(),
            }
        }
        self.lines.retain(|l| l.verts.len() >= 2);
    }

    /// How many line ends and inner vertices use each vertex.
    fn uses(&self) -> HashMap<u32, usize> {
        let mut uses: HashMap<u32, usize> = HashMap::new();
        for line in &self.lines {
            let mut seen = line.verts.clone();
            seen.sort_unstable();
            seen.dedup();
            for v in seen {
                *uses.entry(v).or_default() += 1;
            }
        }
        uses
    }

    /// Keeps the connected part with the most vertices (what clipping cut off, e.g. road ends
    /// beyond a river without a bridge, goes); returns how many lines went.
    pub fn keep_connected(&mut self) -> usize {
        let mut parent: Vec<u32> = (0..self.points.len() as u32).collect();
        for line in &self.lines {
            for w in line.verts.windows(2) {
                let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
                if a != b {
                    parent[a.max(b) as usize] = a.min(b);
                }
            }
        }
        let mut size: HashMap<u32, usize> = HashMap::new();
        let mut used: Vec<u32> = self
            .lines
            .iter()
            .flat_map(|l| l.verts.iter().copied())
            .collect();
        used.sort_unstable();
        used.dedup();
        for v in used {
            *size.entry(find(&mut parent, v)).or_default() += 1;
        }
        let Some(main) = size
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(&r, _)| r)
        else {
            return 0;
        };
        let before = self.lines.len();
        let lines = std::mem::take(&mut self.lines);
        self.lines = lines
            .into_iter()
            .filter(|l| find(&mut parent, l.verts[0]) == main)
            .collect();
        before - self.lines.len()
    }

    /// A vertex's WGS84 position.
    pub fn lonlat(&self, plan: &Plan, v: u32) -> Coord {
        self.exact[v as usize].unwrap_or_else(|| plan.lonlat(self.points[v as usize]))
    }

    /// The lines as ways numbered from `first_id`, each in the street holding its middle.
    pub fn ways(&self, plan: &Plan, streets: &Streets, first_id: i64) -> Vec<Way> {
        let mut ways = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            let mut coords: Vec<Coord> = line.verts.iter().map(|&v| self.lonlat(plan, v)).collect();
            coords.dedup();
            if coords.len() < 2 {
                continue;
            }
            let part = LineString(coords);
            let a = &line.attrs;
            let street_code = streets.code_of(&part);
            ways.push(Way {
                id: first_id + ways.len() as i64,
                version: 1,
                name: a.name.clone(),
                no_walking: a.no_walking,
                bridge: a.bridge,
                compound_id: a.compound_id,
                street_code,
                ..Way::new(a.kind, MultiLineString(vec![part]))
            });
        }
        ways
    }
}

/// The root of a vertex in a union-find forest (halving the path on the way).
fn find(parent: &mut [u32], mut v: u32) -> u32 {
    while parent[v as usize] != v {
        parent[v as usize] = parent[parent[v as usize] as usize];
        v = parent[v as usize];
    }
    v
}

/// The streets of a dataset, to find the one holding a way.
pub(crate) struct Streets<'a> {
    streets: Vec<(&'a str, &'a MultiPolygon)>,
}

/// How near a street's boundary, in degrees, a way's middle counts as in it (a road drawn along
/// the boundary between two streets has its middle on it).
const ON_BOUNDARY_DEG: f64 = 1e-6;

impl<'a> Streets<'a> {
    pub fn new(streets: &'a [engine::Street]) -> Self {
        Streets {
            streets: streets
                .iter()
                .map(|s| (s.code.as_str(), &s.geometry))
                .collect(),
        }
    }

    /// The street holding the middle of a line (halfway along it, in degrees): the first that
    /// contains it, else the first within [`ON_BOUNDARY_DEG`] of it; `None` beyond every street.
    pub fn code_of(&self, line: &LineString) -> Option<String> {
        let mid = Euclidean.point_at_ratio_from_start(line, 0.5)?;
        self.code_at(mid)
    }

    fn code_at(&self, p: Point) -> Option<String> {
        self.streets
            .iter()
            .find(|(_, g)| g.contains(&p))
            .or_else(|| {
                self.streets
                    .iter()
                    .find(|(_, g)| Euclidean.distance(&p, *g) <= ON_BOUNDARY_DEG)
            })
            .map(|(c, _)| (*c).to_owned())
    }
}
