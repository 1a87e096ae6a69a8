//! Geometry for one tile: projection to tile units, clipping to the buffered tile, simplification,
//! quantization, repair into valid polygons, and the MVT command encoding.
//!
//! Polygons go through: project (skipping vertices closer than half the tolerance to the last
//! one) → drop when smaller than the minimum size → Sutherland–Hodgman clip of each ring to the
//! buffered tile when it crosses it → Ramer–Douglas–Peucker simplification → rounding to whole
//! tile units → repair. Small simple rings that were not clipped are checked exactly in integers
//! and kept as they are; every other polygon is rebuilt by `i_overlay` (geo's overlay engine) on
//! the integer grid with OGC-valid output, so what is encoded is valid without a second rounding.
//!
//! Lines go through the same steps without the repair: project (every vertex) → Liang–Barsky clip
//! of each segment to the buffered tile, which cuts a line leaving and re-entering it into several
//! parts → Ramer–Douglas–Peucker with the polygons' tolerance (ends kept) → rounding to whole tile
//! units, consecutive repeats and vertices on a straight run dropped → parts left with fewer than
//! two distinct points dropped. A feature whose simplified lines span less than half a unit both
//! ways is dropped whole first. Each step is the one `PostGIS` takes, so that the tile functions
//! of the migrations carry the same ways.

use std::ops::Range;

use geo_types::{Coord, LineString, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay};
use i_overlay::i_float::int::point::IntPoint;
use i_overlay::i_shape::int::shape::IntContour;

use crate::tile_id::{mercator_unit, TileId};

/// Tile extent in units (MVT default).
pub const EXTENT: u32 = 4096;
/// Buffer around the tile kept for clipped polygons and points, in tile units.
pub const BUFFER: u32 = 64;

const LO: f64 = -(BUFFER as f64);
const HI: f64 = (EXTENT + BUFFER) as f64;
/// Rings up to this many vertices are checked for simplicity directly instead of by `i_overlay`.
const SMALL_RING: usize = 32;

/// The `i_overlay` fill rule that fills rings of positive area in tile units.
const POSITIVE_AREA_FILL: FillRule = FillRule::Positive;

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Maps WGS84 coordinates to the units of one tile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projector {
    scale: f64,
    ox: f64,
    oy: f64,
    /// Longitude and latitude steps (degrees) below which a vertex is skipped before projection.
    skip_lon: f64,
    skip_lat: f64,
}

impl Projector {
    /// A projector for `tile`, skipping vertices within `skip_units` tile units of the previous.
    pub fn new(tile: TileId, skip_units: f64) -> Self {
        let n = f64::from(1u32 << tile.z());
        let scale = n * f64::from(EXTENT);
        let unit_lon = 360.0 / scale;
        let b = tile.buffered_bounds(f64::from(BUFFER) / f64::from(EXTENT));
        let max_abs_lat = b.min().y.abs().max(b.max().y.abs()).min(89.0);
        Projector {
            scale,
            ox: f64::from(tile.x()) * f64::from(EXTENT),
            oy: f64::from(tile.y()) * f64::from(EXTENT),
            skip_lon: skip_units * unit_lon,
            skip_lat: skip_units * unit_lon * max_abs_lat.to_radians().cos(),
        }
    }

    /// Tile units of a WGS84 coordinate (x right, y down).
    #[inline]
    pub fn project(&self, c: Coord) -> [f64; 2] {
        let (mx, my) = mercator_unit(c.x, c.y);
        [mx * self.scale - self.ox, my * self.scale - self.oy]
    }

    /// Tile units of the ring's vertices (without the closing repeat), skipping near repeats.
    fn project_ring(&self, ring: &LineString, out: &mut Vec<[f64; 2]>) {
        out.clear();
        let coords = ring.0.as_slice();
        let coords = match (coords.first(), coords.last()) {
            (Some(a), Some(b)) if coords.len() > 1 && a == b => &coords[..coords.len() - 1],
            _ => coords,
        };
        let mut last: Option<Coord> = None;
        for &c in coords {
            if let Some(l) = last {
                if (c.x - l.x).abs() < self.skip_lon && (c.y - l.y).abs() < self.skip_lat {
                    continue;
                }
            }
            last = Some(c);
            out.push(self.project(c));
        }
    }
}

impl Projector {
    /// Appends the tile units of every vertex of a line to `out` (no skipping: lines are
    /// simplified from their own vertices, as `PostGIS` simplifies them).
    fn project_line(&self, line: &LineString, out: &mut Vec<[f64; 2]>) {
        out.extend(line.0.iter().map(|c| self.project(*c)));
    }
}

/// Whole tile units of a point, when it lies within the buffered tile.
pub(crate) fn quantize_point(p: [f64; 2]) -> Option<[i32; 2]> {
    let inside = (LO..=HI).contains(&p[0]) && (LO..=HI).contains(&p[1]);
    inside.then(|| [p[0].round() as i32, p[1].round() as i32])
}

/// Settings of the polygon pipeline, in tile units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shaping {
    /// Douglas–Peucker tolerance.
    pub tolerance: f64,
    /// Parts whose bounding box is smaller than this on both sides are dropped.
    pub min_size: f64,
}

/// Reusable buffers for encoding the polygons of one tile.
pub(crate) struct PolygonEncoder {
    ring: Vec<[f64; 2]>,
    tmp: Vec<[f64; 2]>,
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    contours: Vec<IntContour>,
    /// Whether each of `contours` is an exterior ring.
    roles: Vec<bool>,
    overlay: Overlay,
}

impl PolygonEncoder {
    pub fn new() -> Self {
        let options = IntOverlayOptions {
            ogc: true,
            ..IntOverlayOptions::default()
        };
        PolygonEncoder {
            ring: Vec::new(),
            tmp: Vec::new(),
            keep: Vec::new(),
            stack: Vec::new(),
            contours: Vec::new(),
            roles: Vec::new(),
            overlay: Overlay::new_custom(64, options, i_overlay::core::solver::Solver::default()),
        }
    }

    /// Encodes the polygons (parts of one feature) into `out` as MVT commands; returns the area in
    /// square tile units, or `None` when nothing is left in the tile.
    pub fn encode<'p>(
        &mut self,
        parts: impl IntoIterator<Item = &'p Polygon>,
        projector: &Projector,
        shaping: Shaping,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        self.contours.clear();
        self.roles.clear();
        let mut clipped = false;
        for part in parts {
            let Some(exterior) = self.ring(part.exterior(), projector, shaping, true, &mut clipped)
            else {
                continue;
            };
            self.contours.push(exterior);
            self.roles.push(true);
            for hole in part.interiors() {
                if let Some(h) = self.ring(hole, projector, shaping, false, &mut clipped) {
                    self.contours.push(h);
                    self.roles.push(false);
                }
            }
        }
        if self.contours.is_empty() {
            return None;
        }
        out.clear();
        let mut cursor = [0i32; 2];
        if !clipped
            && self.contours.len() == 1
            && self.contours[0].len() <= SMALL_RING
            && ring_is_simple(&self.contours[0])
        {
            let ring = &mut self.contours[0];
            let area = orient(ring, true);
            write_ring(ring, &mut cursor, out);
            return Some(area);
        }
        // Exteriors with positive area in tile units, holes the other way, then fill where the
        // winding is positive: overlapping parts unite and holes subtract, whatever
        // simplification and rounding did to them.
        for (ring, &exterior) in self.contours.iter_mut().zip(&self.roles) {
            orient(ring, exterior);
        }
        let shapes = match self
            .overlay
            .simplify_shape(&self.contours, POSITIVE_AREA_FILL)
        {
            Some(shapes) => shapes,
            None => vec![self.contours.clone()],
        };
        let mut area = 0.0;
        for mut shape in shapes {
            for (i, ring) in shape.iter_mut().enumerate() {
                if ring.len() < 3 {
                    if i == 0 {
                        break;
                    }
                    continue;
                }
                let a = orient(ring, i == 0);
                area += if i == 0 { a } else { -a };
                write_ring(ring, &mut cursor, out);
            }
        }
        (!out.is_empty() && area > 0.0).then_some(area)
    }

    /// One ring in whole tile units, clipped and simplified; `None` when it vanished.
    fn ring(
        &mut self,
        ring: &LineString,
        projector: &Projector,
        shaping: Shaping,
        exterior: bool,
        clipped: &mut bool,
    ) -> Option<IntContour> {
        projector.project_ring(ring, &mut self.ring);
        if self.ring.len() < 3 {
            return None;
        }
        let (min, max) = bbox(&self.ring);
        if max[0] < LO || max[1] < LO || min[0] > HI || min[1] > HI {
            return None;
        }
        if exterior && max[0] - min[0] < shaping.min_size && max[1] - min[1] < shaping.min_size {
            return None;
        }
        if min[0] < LO || min[1] < LO || max[0] > HI || max[1] > HI {
            clip_ring(&mut self.ring, &mut self.tmp);
            *clipped = true;
            if self.ring.len() < 3 {
                return None;
            }
        }
        simplify(
            &self.ring,
            shaping.tolerance,
            true,
            &mut self.keep,
            &mut self.stack,
        );
        let mut out: IntContour = Vec::with_capacity(self.ring.len());
        for (p, keep) in self.ring.iter().zip(&self.keep) {
            if !keep {
                continue;
            }
            let q = IntPoint::new(p[0].round() as i32, p[1].round() as i32);
            if out.last() != Some(&q) {
                out.push(q);
            }
        }
        while out.len() > 1 && out.first() == out.last() {
            out.pop();
        }
        (out.len() >= 3 && area2(&out) != 0).then_some(out)
    }
}

/// Reusable buffers for encoding the lines of one tile.
pub(crate) struct LineEncoder {
    /// The feature's lines in tile units, one range each.
    line: Vec<[f64; 2]>,
    lines: Vec<Range<usize>>,
    clipped: Vec<[f64; 2]>,
    parts: Vec<Range<usize>>,
    keep: Vec<bool>,
    stack: Vec<(usize, usize)>,
    part: Vec<[i32; 2]>,
}

impl LineEncoder {
    pub fn new() -> Self {
        LineEncoder {
            line: Vec::new(),
            lines: Vec::new(),
            clipped: Vec::new(),
            parts: Vec::new(),
            keep: Vec::new(),
            stack: Vec::new(),
            part: Vec::new(),
        }
    }

    /// Encodes the lines (parts of one feature) into `out` as MVT commands, one `MoveTo` and
    /// `LineTo` run per part left in the tile; returns their length in tile units, or `None` when
    /// nothing is left. A feature spanning less than half the tolerance both ways once simplified
    /// is left out whole (as `tile_ways` leaves out one under half a unit).
    pub fn encode<'l>(
        &mut self,
        parts_in: impl IntoIterator<Item = &'l LineString>,
        projector: &Projector,
        shaping: Shaping,
        out: &mut Vec<u32>,
    ) -> Option<f64> {
        let LineEncoder {
            line,
            lines,
            clipped,
            parts,
            keep,
            stack,
            part,
        } = self;
        line.clear();
        lines.clear();
        for l in parts_in {
            let start = line.len();
            projector.project_line(l, line);
            if line.len() - start >= 2 {
                lines.push(start..line.len());
            } else {
                line.truncate(start);
            }
        }
        if lines.is_empty() || too_small(line, lines, shaping.tolerance, keep, stack) {
            return None;
        }
        out.clear();
        let mut cursor = [0i32; 2];
        let mut length = 0.0;
        for range in lines.iter() {
            let line = &line[range.clone()];
            let (min, max) = bbox(line);
            if max[0] < LO || max[1] < LO || min[0] > HI || min[1] > HI {
                continue;
            }
            parts.clear();
            let points: &[[f64; 2]] = if min[0] < LO || min[1] < LO || max[0] > HI || max[1] > HI {
                clip_line(line, clipped, parts);
                clipped
            } else {
                parts.push(0..line.len());
                line
            };
            for range in parts.iter() {
                let points = &points[range.clone()];
                simplify(points, shaping.tolerance, false, keep, stack);
                part.clear();
                for (p, _) in points.iter().zip(keep.iter()).filter(|(_, k)| **k) {
                    let q = [p[0].round() as i32, p[1].round() as i32];
                    if part.last() != Some(&q) {
                        part.push(q);
                    }
                }
                drop_straight(part);
                if part.len() >= 2 {
                    length += write_line(part, &mut cursor, out);
                }
            }
        }
        (!out.is_empty()).then_some(length)
    }
}

/// Drops each vertex of a line in whole units lying on the segment from the last kept vertex to
/// the next one: straight runs, and a tip the line comes straight back from. A line whose two
/// ends then coincide is emptied. `PostGIS` does the same after snapping, so both drop a line
/// that folds back onto itself.
fn drop_straight(line: &mut Vec<[i32; 2]>) {
    let n = line.len();
    if n < 3 {
        return;
    }
    let mut kept = 0;
    for i in 1..n - 1 {
        let (k, c, next) = (line[kept], line[i], line[i + 1]);
        let ba = [i64::from(next[0] - k[0]), i64::from(next[1] - k[1])];
        let ca = [i64::from(c[0] - k[0]), i64::from(c[1] - k[1])];
        let dot = ca[0] * ba[0] + ca[1] * ba[1];
        let cross = ca[0] * ba[1] - ca[1] * ba[0];
        if dot < 0 || dot > ba[0] * ba[0] + ba[1] * ba[1] || cross != 0 {
            kept += 1;
            line[kept] = c;
        }
    }
    kept += 1;
    line[kept] = line[n - 1];
    line.truncate(kept + 1);
    if line.len() == 2 && line[0] == line[1] {
        line.clear();
    }
}

/// Whether lines (`ranges` of `points`) span less than half of `tolerance` both ways once
/// simplified by it. Only small lines are simplified to find out.
fn too_small(
    points: &[[f64; 2]],
    ranges: &[Range<usize>],
    tolerance: f64,
    keep: &mut Vec<bool>,
    stack: &mut Vec<(usize, usize)>,
) -> bool {
    let min_size = tolerance / 2.0;
    let (lo, hi) = bbox(points);
    if hi[0] - lo[0] >= 4.0 * tolerance || hi[1] - lo[1] >= 4.0 * tolerance {
        return false;
    }
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for range in ranges {
        let line = &points[range.clone()];
        simplify(line, tolerance, false, keep, stack);
        for (p, _) in line.iter().zip(keep.iter()).filter(|(_, k)| **k) {
            for axis in 0..2 {
                min[axis] = min[axis].min(p[axis]);
                max[axis] = max[axis].max(p[axis]);
            }
        }
    }
    max[0] - min[0] < min_size && max[1] - min[1] < min_size
}

/// Clips a line to the buffered tile, segment by segment (Liang–Barsky): the parts inside go to
/// `out`, each one a range in `parts`. A line leaving the tile and coming back is cut into two.
fn clip_line(line: &[[f64; 2]], out: &mut Vec<[f64; 2]>, parts: &mut Vec<Range<usize>>) {
    out.clear();
    parts.clear();
    let mut start: Option<usize> = None;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let Some((t0, t1)) = clip_segment(a, b) else {
            if let Some(s) = start.take() {
                parts.push(s..out.len());
            }
            continue;
        };
        if start.is_none() || t0 > 0.0 {
            if let Some(s) = start.take() {
                parts.push(s..out.len());
            }
            start = Some(out.len());
            out.push(along(a, b, t0));
        }
        out.push(along(a, b, t1));
        if t1 < 1.0 {
            if let Some(s) = start.take() {
                parts.push(s..out.len());
            }
        }
    }
    if let Some(s) = start {
        parts.push(s..out.len());
    }
}

/// The range `t0..=t1` of the segment `a + t (b − a)`, `0 ≤ t ≤ 1`, inside the buffered tile.
fn clip_segment(a: [f64; 2], b: [f64; 2]) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for axis in 0..2 {
        let d = b[axis] - a[axis];
        // Inside where p·t ≤ q, for the low and the high side of the axis.
        for (p, q) in [(-d, a[axis] - LO), (d, HI - a[axis])] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else if p < 0.0 {
                t0 = t0.max(q / p);
            } else {
                t1 = t1.min(q / p);
            }
        }
    }
    (t0 <= t1).then_some((t0, t1))
}

/// The point at `t` along `a`→`b`, exactly `a` or `b` at the ends and never outside the buffer.
fn along(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    if t <= 0.0 {
        a
    } else if t >= 1.0 {
        b
    } else {
        [
            (a[0] + t * (b[0] - a[0])).clamp(LO, HI),
            (a[1] + t * (b[1] - a[1])).clamp(LO, HI),
        ]
    }
}

fn bbox(points: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for p in points {
        min[0] = min[0].min(p[0]);
        min[1] = min[1].min(p[1]);
        max[0] = max[0].max(p[0]);
        max[1] = max[1].max(p[1]);
    }
    (min, max)
}

/// Clips an open ring to the buffered tile (Sutherland–Hodgman, one pass per side). The result
/// may run along the tile edge twice where a concave ring left and re-entered; the overlay that
/// follows removes such zero-width parts.
fn clip_ring(ring: &mut Vec<[f64; 2]>, tmp: &mut Vec<[f64; 2]>) {
    for (axis, bound, keep_above) in [(0, LO, true), (0, HI, false), (1, LO, true), (1, HI, false)]
    {
        tmp.clear();
        let n = ring.len();
        if n == 0 {
            return;
        }
        let inside = |p: &[f64; 2]| {
            if keep_above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut prev = ring[n - 1];
        let mut prev_in = inside(&prev);
        for &cur in ring.iter() {
            let cur_in = inside(&cur);
            if cur_in != prev_in {
                let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
                let mut p = [
                    prev[0] + t * (cur[0] - prev[0]),
                    prev[1] + t * (cur[1] - prev[1]),
                ];
                p[axis] = bound;
                tmp.push(p);
            }
            if cur_in {
                tmp.push(cur);
            }
            prev = cur;
            prev_in = cur_in;
        }
        std::mem::swap(ring, tmp);
    }
}

/// Marks the vertices kept by Ramer–Douglas–Peucker with `tolerance`, of an open ring (closed by
/// its first vertex) or of a line (both ends kept).
fn simplify(
    ring: &[[f64; 2]],
    tolerance: f64,
    closed: bool,
    keep: &mut Vec<bool>,
    stack: &mut Vec<(usize, usize)>,
) {
    let n = ring.len();
    keep.clear();
    keep.resize(n, false);
    if n == 0 {
        return;
    }
    keep[0] = true;
    keep[n - 1] |= !closed;
    // A ring is closed by vertex 0, written as index n.
    let at = |i: usize| if i == n { ring[0] } else { ring[i] };
    let tol2 = tolerance * tolerance;
    stack.clear();
    stack.push((0, if closed { n } else { n - 1 }));
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (at(a), at(b));
        let mut far = 0.0;
        let mut far_i = a;
        for (i, p) in ring.iter().enumerate().take(b).skip(a + 1) {
            let d = segment_distance2(*p, pa, pb);
            if d > far {
                far = d;
                far_i = i;
            }
        }
        if far > tol2 {
            keep[far_i] = true;
            stack.push((a, far_i));
            stack.push((far_i, b));
        }
    }
}

fn segment_distance2(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    ex * ex + ey * ey
}

/// Twice the signed area by the surveyor's formula in tile units (y down): positive for the
/// clockwise-looking exterior rings MVT 2.1 requires.
pub(crate) fn area2(ring: &[IntPoint]) -> i64 {
    let n = ring.len();
    let mut s = 0i64;
    for i in 0..n {
        let (a, b) = (ring[i], ring[(i + 1) % n]);
        s += i64::from(a.x) * i64::from(b.y) - i64::from(b.x) * i64::from(a.y);
    }
    s
}

/// Winds a ring as an exterior (positive area) or interior (negative); returns its unsigned area.
fn orient(ring: &mut [IntPoint], exterior: bool) -> f64 {
    let a = area2(ring);
    if (a > 0) != exterior {
        ring.reverse();
    }
    a.unsigned_abs() as f64 / 2.0
}

fn orientation(a: IntPoint, b: IntPoint, c: IntPoint) -> i64 {
    let v = (i64::from(b.x) - i64::from(a.x)) * (i64::from(c.y) - i64::from(a.y))
        - (i64::from(b.y) - i64::from(a.y)) * (i64::from(c.x) - i64::from(a.x));
    v.signum()
}

fn on_segment(a: IntPoint, b: IntPoint, p: IntPoint) -> bool {
    a.x.min(b.x) <= p.x && p.x <= a.x.max(b.x) && a.y.min(b.y) <= p.y && p.y <= a.y.max(b.y)
}

/// Whether two closed segments share any point.
fn segments_meet(a: IntPoint, b: IntPoint, c: IntPoint, d: IntPoint) -> bool {
    let (o1, o2, o3, o4) = (
        orientation(a, b, c),
        orientation(a, b, d),
        orientation(c, d, a),
        orientation(c, d, b),
    );
    if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// Exact test that an open ring without repeated consecutive vertices is simple: no two edges
/// meet except neighbours at their shared vertex, and no neighbours fold back onto each other.
fn ring_is_simple(ring: &[IntPoint]) -> bool {
    let n = ring.len();
    if n < 3 || area2(ring) == 0 {
        return false;
    }
    for i in 0..n {
        let (a, b, c) = (ring[i], ring[(i + 1) % n], ring[(i + 2) % n]);
        // A spike: the next edge doubles back along this one.
        let dot = (i64::from(b.x) - i64::from(a.x)) * (i64::from(c.x) - i64::from(b.x))
            + (i64::from(b.y) - i64::from(a.y)) * (i64::from(c.y) - i64::from(b.y));
        if orientation(a, b, c) == 0 && dot < 0 {
            return false;
        }
        for j in (i + 2)..n {
            if i == 0 && j == n - 1 {
                continue;
            }
            if segments_meet(a, b, ring[j], ring[(j + 1) % n]) {
                return false;
            }
        }
    }
    true
}

#[inline]
fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

#[inline]
fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

/// Appends one ring (open, at least three vertices) as `MoveTo`, `LineTo` and `ClosePath`.
fn write_ring(ring: &[IntPoint], cursor: &mut [i32; 2], out: &mut Vec<u32>) {
    out.reserve(ring.len() * 2 + 3);
    for (i, p) in ring.iter().enumerate() {
        if i == 0 {
            out.push(command(MOVE_TO, 1));
        } else if i == 1 {
            out.push(command(LINE_TO, ring.len() as u32 - 1));
        }
        out.push(zigzag(p.x - cursor[0]));
        out.push(zigzag(p.y - cursor[1]));
        *cursor = [p.x, p.y];
    }
    out.push(command(CLOSE_PATH, 1));
}

/// Appends one line (at least two points, no consecutive repeats) as `MoveTo` and `LineTo`;
/// returns its length.
fn write_line(line: &[[i32; 2]], cursor: &mut [i32; 2], out: &mut Vec<u32>) -> f64 {
    out.reserve(line.len() * 2 + 2);
    let mut length = 0.0;
    for (i, p) in line.iter().enumerate() {
        if i == 0 {
            out.push(command(MOVE_TO, 1));
        } else {
            if i == 1 {
                out.push(command(LINE_TO, line.len() as u32 - 1));
            }
            length += f64::from(p[0] - cursor[0]).hypot(f64::from(p[1] - cursor[1]));
        }
        out.push(zigzag(p[0] - cursor[0]));
        out.push(zigzag(p[1] - cursor[1]));
        *cursor = *p;
    }
    length
}

/// Appends a single point as `MoveTo`.
pub(crate) fn write_point(p: [i32; 2], out: &mut Vec<u32>) {
    out.push(command(MOVE_TO, 1));
    out.push(zigzag(p[0]));
    out.push(zigzag(p[1]));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo_types::polygon;

    fn p(x: i32, y: i32) -> IntPoint {
        IntPoint::new(x, y)
    }

    #[test]
    fn positive_fill_keeps_positive_area_rings_and_subtracts_holes() {
        let mut outer = vec![p(0, 0), p(100, 0), p(100, 100), p(0, 100)];
        let mut hole = vec![p(20, 20), p(40, 20), p(40, 40), p(20, 40)];
        orient(&mut outer, true);
        orient(&mut hole, false);
        let options = IntOverlayOptions {
            ogc: true,
            ..IntOverlayOptions::default()
        };
        let mut overlay =
            Overlay::new_custom(8, options, i_overlay::core::solver::Solver::default());
        let shapes = overlay
            .simplify_shape(&[outer.clone(), hole], POSITIVE_AREA_FILL)
            .unwrap_or_else(|| vec![vec![outer]]);
        assert_eq!(shapes.len(), 1);
        assert_eq!(shapes[0].len(), 2, "{shapes:?}");
        let area: i64 = shapes[0].iter().map(|r| area2(r).abs()).sum::<i64>();
        assert_eq!(area, 2 * (10_000 + 400));
    }

    #[test]
    fn simple_ring_test_is_exact() {
        assert!(ring_is_simple(&[p(0, 0), p(10, 0), p(10, 10), p(0, 10)]));
        assert!(
            !ring_is_simple(&[p(0, 0), p(10, 10), p(10, 0), p(0, 10)]),
            "bow tie"
        );
        assert!(
            !ring_is_simple(&[p(0, 0), p(10, 0), p(5, 0), p(5, 5)]),
            "spike"
        );
        assert!(
            !ring_is_simple(&[p(0, 0), p(10, 0), p(10, 10), p(5, 0), p(0, 10)]),
            "touches itself"
        );
        assert!(
            ring_is_simple(&[p(0, 0), p(5, 0), p(10, 0), p(10, 10)]),
            "collinear vertex"
        );
        assert!(!ring_is_simple(&[p(0, 0), p(5, 0), p(10, 0)]), "no area");
    }

    #[test]
    fn clipping_keeps_the_part_inside_the_buffer() {
        let mut ring = vec![
            [-500.0, 100.0],
            [200.0, 100.0],
            [200.0, 300.0],
            [-500.0, 300.0],
        ];
        clip_ring(&mut ring, &mut Vec::new());
        let (min, max) = bbox(&ring);
        assert_eq!((min, max), ([LO, 100.0], [200.0, 300.0]));
    }

    #[test]
    fn polygons_come_out_wound_as_mvt_requires() {
        let tile = TileId::new(0, 0, 0).unwrap();
        let projector = Projector::new(tile, 0.0);
        let shaping = Shaping {
            tolerance: 1.0,
            min_size: 2.0,
        };
        let mut enc = PolygonEncoder::new();
        // Counter-clockwise in lon/lat (as GeoJSON wants), so clockwise on screen after flipping y.
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 90.0, y: 0.0), (x: 90.0, y: 45.0), (x: 0.0, y: 45.0)];
        let mut out = Vec::new();
        let area = enc
            .encode([&square], &projector, shaping, &mut out)
            .unwrap();
        assert!(area > 0.0);
        assert_eq!(out[0], command(MOVE_TO, 1));
        assert_eq!(out[3], command(LINE_TO, 3));
        assert_eq!(*out.last().unwrap(), command(CLOSE_PATH, 1));
        let corners: Vec<(u32, u32)> = square
            .exterior()
            .coords()
            .map(|c| {
                let [x, y] = projector.project(*c);
                (zigzag(x.round() as i32), zigzag(y.round() as i32))
            })
            .collect();
        assert!(corners.contains(&(out[1], out[2])));
        // A polygon smaller than two units vanishes.
        let tiny = polygon![(x: 0.0, y: 0.0), (x: 0.01, y: 0.0), (x: 0.01, y: 0.01)];
        assert!(enc.encode([&tiny], &projector, shaping, &mut out).is_none());
    }

    /// WGS84 position of tile units `(ux, uy)` of `tile`.
    fn lonlat(tile: TileId, ux: f64, uy: f64) -> Coord {
        let n = f64::from(1u32 << tile.z());
        let mx = (f64::from(tile.x()) + ux / f64::from(EXTENT)) / n;
        let my = (f64::from(tile.y()) + uy / f64::from(EXTENT)) / n;
        Coord {
            x: mx * 360.0 - 180.0,
            y: (std::f64::consts::PI * (1.0 - 2.0 * my))
                .sinh()
                .atan()
                .to_degrees(),
        }
    }

    fn unzigzag(v: u32) -> i32 {
        (v >> 1) as i32 ^ -((v & 1) as i32)
    }

    /// Decodes `MoveTo`/`LineTo` commands into lines, checking the counts MVT 2.1 requires.
    fn decode_lines(cmds: &[u32]) -> Vec<Vec<[i32; 2]>> {
        let (mut lines, mut cursor, mut i) = (Vec::<Vec<[i32; 2]>>::new(), [0, 0], 0);
        while i < cmds.len() {
            let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
            i += 1;
            match id {
                MOVE_TO => assert_eq!(count, 1, "one MoveTo per line"),
                LINE_TO => assert!(count >= 1 && lines.last().is_some_and(|l| l.len() == 1)),
                other => panic!("command {other} in a line"),
            }
            for _ in 0..count {
                let d = [unzigzag(cmds[i]), unzigzag(cmds[i + 1])];
                i += 2;
                if id == LINE_TO {
                    assert_ne!(d, [0, 0], "a LineTo that does not move");
                }
                cursor = [cursor[0] + d[0], cursor[1] + d[1]];
                if id == MOVE_TO {
                    lines.push(vec![cursor]);
                } else {
                    lines.last_mut().unwrap().push(cursor);
                }
            }
        }
        lines
    }

    fn line(tile: TileId, units: &[(f64, f64)]) -> LineString {
        LineString(units.iter().map(|&(x, y)| lonlat(tile, x, y)).collect())
    }

    fn encode_lines(tile: TileId, lines: &[LineString]) -> Option<(f64, Vec<Vec<[i32; 2]>>)> {
        let projector = Projector::new(tile, 0.5);
        let shaping = Shaping {
            tolerance: 1.0,
            min_size: 2.0,
        };
        let mut out = Vec::new();
        let length = LineEncoder::new().encode(lines, &projector, shaping, &mut out)?;
        Some((length, decode_lines(&out)))
    }

    #[test]
    fn liang_barsky_cuts_lines_at_the_buffer_into_parts() {
        let (mut out, mut parts) = (Vec::new(), Vec::new());
        let parts_of = |out: &[[f64; 2]], parts: &[Range<usize>]| -> Vec<Vec<[f64; 2]>> {
            parts.iter().map(|r| out[r.clone()].to_vec()).collect()
        };
        // Crossing the east edge: cut 64 units past it.
        clip_line(&[[100.0, 100.0], [5000.0, 100.0]], &mut out, &mut parts);
        assert_eq!(parts_of(&out, &parts), [vec![[100.0, 100.0], [HI, 100.0]]]);
        // Out and back in: two parts, each ending on the buffer's edge.
        let u = [
            [100.0, 100.0],
            [5000.0, 100.0],
            [5000.0, 300.0],
            [100.0, 300.0],
        ];
        clip_line(&u, &mut out, &mut parts);
        assert_eq!(
            parts_of(&out, &parts),
            [
                vec![[100.0, 100.0], [HI, 100.0]],
                vec![[HI, 300.0], [100.0, 300.0]]
            ]
        );
        // Through the tile from corner to corner, both ends outside.
        clip_line(
            &[[-1000.0, -1000.0], [5000.0, 5000.0]],
            &mut out,
            &mut parts,
        );
        assert_eq!(parts_of(&out, &parts), [vec![[LO, LO], [HI, HI]]]);
        // Wholly outside, though its box overlaps the buffered tile: nothing.
        clip_line(&[[-600.0, 200.0], [200.0, -600.0]], &mut out, &mut parts);
        assert!(parts.is_empty());
        clip_line(&[[5000.0, 0.0], [6000.0, 100.0]], &mut out, &mut parts);
        assert!(parts.is_empty());
        // Inside vertices are kept as they are.
        let zig = [[-100.0, 10.0], [10.0, 10.0], [20.0, 30.0], [30.0, -100.0]];
        clip_line(&zig, &mut out, &mut parts);
        assert_eq!(
            parts_of(&out, &parts),
            [vec![
                [LO, 10.0],
                [10.0, 10.0],
                [20.0, 30.0],
                [20.0 + 10.0 * (30.0 + 64.0) / 130.0, LO]
            ]]
        );
    }

    #[test]
    fn lines_encode_as_move_to_and_line_to_runs_in_tile_units() {
        let tile = TileId::new(14, 12990, 6817).unwrap();
        // A bent line inside the tile, with a vertex a tenth of a unit from the previous one.
        let bent = line(
            tile,
            &[
                (100.0, 200.0),
                (100.1, 200.0),
                (900.0, 200.0),
                (900.0, 1300.0),
            ],
        );
        let (length, lines) = encode_lines(tile, std::slice::from_ref(&bent)).unwrap();
        assert_eq!(lines, [vec![[100, 200], [900, 200], [900, 1300]]]);
        assert!((length - 1900.0).abs() < 1e-9);
        // Two parts, one crossing the west edge: several MoveTo runs, the crossing one cut at
        // the buffer.
        let crossing = line(tile, &[(-1000.0, 500.0), (300.0, 500.0)]);
        let (_, lines) = encode_lines(tile, &[bent.clone(), crossing]).unwrap();
        assert_eq!(
            lines,
            [
                vec![[100, 200], [900, 200], [900, 1300]],
                vec![[-64, 500], [300, 500]]
            ]
        );
        // Wholly outside the buffer, or collapsing to one point: nothing.
        let outside = line(tile, &[(4200.0, 100.0), (5000.0, 100.0)]);
        assert!(encode_lines(tile, std::slice::from_ref(&outside)).is_none());
        let dot = line(tile, &[(10.0, 10.0), (10.2, 10.1), (10.3, 10.2)]);
        assert!(encode_lines(tile, std::slice::from_ref(&dot)).is_none());
        let (_, lines) = encode_lines(tile, &[outside, dot, bent]).unwrap();
        assert_eq!(lines.len(), 1, "the empty parts leave no commands");
        // Under half a unit both ways, even across a rounding edge: left out, as by PostGIS; so
        // is a line wandering 0.9 units off and back, whose simplified ends lie 0.3 apart.
        let short = line(tile, &[(10.3, 10.3), (10.7, 10.7)]);
        assert!(encode_lines(tile, std::slice::from_ref(&short)).is_none());
        let wander = line(tile, &[(10.3, 10.3), (11.2, 10.5), (10.6, 10.3)]);
        assert!(encode_lines(tile, std::slice::from_ref(&wander)).is_none());
        let longer = line(tile, &[(10.3, 10.3), (10.9, 10.4)]);
        let (_, lines) = encode_lines(tile, &[longer]).unwrap();
        assert_eq!(lines, [vec![[10, 10], [11, 10]]]);
        // A nearly straight line of many vertices keeps its ends and little else.
        let wiggle: Vec<(f64, f64)> = (0..=400)
            .map(|i| (f64::from(i) * 10.0, 2000.0 + 0.3 * f64::from(i % 2)))
            .collect();
        let (_, lines) = encode_lines(tile, &[line(tile, &wiggle)]).unwrap();
        assert_eq!(lines, [vec![[0, 2000], [4000, 2000]]]);
        // Straight runs lose their inner vertices; a line folding straight back onto itself
        // within a unit is left out, as by PostGIS.
        let straight = line(tile, &[(100.0, 100.0), (200.0, 100.0), (300.0, 100.0)]);
        let (_, lines) = encode_lines(tile, &[straight]).unwrap();
        assert_eq!(lines, [vec![[100, 100], [300, 100]]]);
        let folded = line(tile, &[(100.2, 100.3), (101.4, 101.3), (100.3, 99.9)]);
        assert!(encode_lines(tile, &[folded]).is_none());
        let mut spike = vec![[0, 0], [10, 0], [5, 0]];
        drop_straight(&mut spike);
        assert_eq!(
            spike,
            [[0, 0], [10, 0], [5, 0]],
            "a spike that does not return is kept"
        );
        // A closed way keeps its closing vertex.
        let loop_ = line(
            tile,
            &[(10.0, 10.0), (50.0, 10.0), (50.0, 50.0), (10.0, 10.0)],
        );
        let (_, lines) = encode_lines(tile, &[loop_]).unwrap();
        assert_eq!(lines, [vec![[10, 10], [50, 10], [50, 50], [10, 10]]]);
    }

    #[test]
    fn zigzag_matches_the_spec() {
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2)], [0, 1, 2, 3]);
        assert_eq!(command(MOVE_TO, 1), 9);
        assert_eq!(command(CLOSE_PATH, 1), 15);
    }
}
