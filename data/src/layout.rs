//! Plan geometry: administrative units are drawn as rectangles ("blocks") on a 50 m lattice in a
//! local metric plane, then made irregular by moving every lattice node a little (the same amount
//! for every polygon that uses it) and bending the plane with a smooth warp, and finally placed in
//! WGS84 through a [`LocalFrame`].
//!
//! Every tile's ring passes through every node lying on its sides (its neighbours' corners and a
//! node every 200 m), so neighbours share their boundaries vertex for vertex: tiles of a level
//! cover their parent exactly, without gaps or overlaps. Nodes are ≥ 50 m apart and move ≤ 8 m,
//! and the warp's gradient stays below 0.4, so every ring stays simple.

use std::collections::HashMap;
use std::f64::consts::TAU;

use engine::crs::LocalFrame;
use engine::feature::snap;
use geo_types::{Coord, LineString, Polygon};

/// Spacing of the lattice every block corner lies on, in metres.
pub(crate) const LATTICE: i32 = 50;
/// Blocks' sides get an extra node at every multiple of this many metres.
const DENSIFY: i32 = 200;
/// Preferred smallest side of a block, in metres.
const MIN_SIDE: i32 = 100;
/// Largest displacement of a lattice node, in metres.
const NODE_JITTER: f64 = 8.0;

/// An axis-aligned rectangle on the lattice, in metres of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Block {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Block {
    pub const fn new(x0: i32, y0: i32, x1: i32, y1: i32) -> Self {
        Block { x0, y0, x1, y1 }
    }

    pub fn width(self) -> i32 {
        self.x1 - self.x0
    }

    pub fn height(self) -> i32 {
        self.y1 - self.y0
    }

    pub fn centre(self) -> Coord {
        Coord {
            x: f64::from(self.x0 + self.x1) / 2.0,
            y: f64::from(self.y0 + self.y1) / 2.0,
        }
    }

    /// The block shrunk by `margin` metres on every side.
    pub fn inset(self, margin: f64) -> Rect {
        Rect::new(
            f64::from(self.x0),
            f64::from(self.y0),
            f64::from(self.x1),
            f64::from(self.y1),
        )
        .inset(margin)
    }
}

/// An axis-aligned rectangle in plan metres, not bound to the lattice.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn new(x0: f64, y0: f64, x1: f64, y1: f64) -> Self {
        Rect { x0, y0, x1, y1 }
    }

    pub fn width(self) -> f64 {
        self.x1 - self.x0
    }

    pub fn height(self) -> f64 {
        self.y1 - self.y0
    }

    pub fn centre(self) -> Coord {
        Coord {
            x: f64::midpoint(self.x0, self.x1),
            y: f64::midpoint(self.y0, self.y1),
        }
    }

    /// The rectangle shrunk by `margin` on every side (never past its centre).
    pub fn inset(self, margin: f64) -> Rect {
        let mx = margin.min(self.width() * 0.45);
        let my = margin.min(self.height() * 0.45);
        Rect::new(self.x0 + mx, self.y0 + my, self.x1 - mx, self.y1 - my)
    }

    /// The point at fractions (`fx`, `fy`) of the rectangle.
    pub fn at(self, fx: f64, fy: f64) -> Coord {
        Coord {
            x: self.x0 + fx * self.width(),
            y: self.y0 + fy * self.height(),
        }
    }

    /// Cuts the rectangle into at least `n` cells on a near-square grid, cells about `aspect`
    /// times as wide as tall, `gap` metres apart (less where cells would get narrow).
    pub fn grid(self, n: usize, gap: f64, aspect: f64) -> CellGrid {
        let n = n.max(1);
        let (w, h) = (self.width().max(1e-3), self.height().max(1e-3));
        let cols = ((n as f64 * w / (h * aspect)).sqrt().round() as usize).clamp(1, n);
        let rows = n.div_ceil(cols);
        let gap_x = gap.min(w / cols as f64 * 0.3);
        let gap_y = gap.min(h / rows as f64 * 0.3);
        CellGrid {
            area: self,
            cols,
            rows,
            cw: (w - gap_x * (cols - 1) as f64) / cols as f64,
            ch: (h - gap_y * (rows - 1) as f64) / rows as f64,
            gap_x,
            gap_y,
        }
    }

    /// Whether the two rectangles overlap (not merely touch).
    pub fn overlaps(self, other: Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// The largest of the four parts of the rectangle left of, right of, below or above
    /// `other` (the rectangle itself when they do not overlap).
    pub fn clear_of(self, other: Rect) -> Rect {
        if !self.overlaps(other) {
            return self;
        }
        let parts = [
            Rect::new(self.x0, self.y0, other.x0.min(self.x1), self.y1),
            Rect::new(other.x1.max(self.x0), self.y0, self.x1, self.y1),
            Rect::new(self.x0, self.y0, self.x1, other.y0.min(self.y1)),
            Rect::new(self.x0, other.y1.max(self.y0), self.x1, self.y1),
        ];
        parts
            .into_iter()
            .max_by(|a, b| (a.width() * a.height()).total_cmp(&(b.width() * b.height())))
            .unwrap_or(self)
    }
}

/// Cells laid out on a grid of `cols` × `rows` within `area`, `gap_x`/`gap_y` apart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CellGrid {
    pub area: Rect,
    pub cols: usize,
    pub rows: usize,
    pub cw: f64,
    pub ch: f64,
    pub gap_x: f64,
    pub gap_y: f64,
}

impl CellGrid {
    /// Every cell, row by row from the south-west.
    pub fn cells(&self) -> Vec<Rect> {
        let mut out = Vec::with_capacity(self.cols * self.rows);
        for r in 0..self.rows {
            for c in 0..self.cols {
                let x0 = self.area.x0 + c as f64 * (self.cw + self.gap_x);
                let y0 = self.area.y0 + r as f64 * (self.ch + self.gap_y);
                out.push(Rect::new(x0, y0, x0 + self.cw, y0 + self.ch));
            }
        }
        out
    }

    /// The middle of the gap west of column `c` (1 ≤ `c` < `cols`).
    pub fn gap_x_at(&self, c: usize) -> f64 {
        self.area.x0 + c as f64 * (self.cw + self.gap_x) - self.gap_x / 2.0
    }

    /// The middle of the gap south of row `r` (1 ≤ `r` < `rows`).
    pub fn gap_y_at(&self, r: usize) -> f64 {
        self.area.y0 + r as f64 * (self.ch + self.gap_y) - self.gap_y / 2.0
    }

    /// The column and row of a cell of this grid.
    pub fn position(&self, cell: Rect) -> (usize, usize) {
        let c = ((cell.x0 - self.area.x0) / (self.cw + self.gap_x)).round();
        let r = ((cell.y0 - self.area.y0) / (self.ch + self.gap_y)).round();
        (c.max(0.0) as usize, r.max(0.0) as usize)
    }
}

/// Splits a block into one block per weight, areas roughly proportional to the weights, by
/// repeated cuts across the longer side at lattice positions (a guillotine partition).
pub(crate) fn split(block: Block, weights: &[f64]) -> Vec<Block> {
    let mut out = Vec::with_capacity(weights.len());
    split_into(block, weights, &mut out);
    out
}

/// Splits a block into horizontal bands, south to north, heights roughly proportional to the
/// weights (each at least one lattice step, 100 m where room allows).
pub(crate) fn split_bands(block: Block, weights: &[f64]) -> Vec<Block> {
    let n = weights.len() as i32;
    let total: f64 = weights.iter().sum();
    let min = if block.height() >= n * MIN_SIDE {
        MIN_SIDE
    } else {
        LATTICE
    };
    let mut out = Vec::with_capacity(weights.len());
    let mut y = block.y0;
    let mut acc = 0.0;
    for (i, w) in weights.iter().enumerate() {
        acc += w;
        let left = n - 1 - i as i32;
        let y1 = if left == 0 {
            block.y1
        } else {
            let wanted = block.y0
                + ((f64::from(block.height()) * acc
                    / total.max(f64::MIN_POSITIVE)
                    / f64::from(LATTICE))
                .round() as i32)
                    * LATTICE;
            wanted.clamp(y + min, (block.y1 - left * min).max(y + min))
        };
        out.push(Block { y0: y, y1, ..block });
        y = y1;
    }
    out
}

fn split_into(block: Block, weights: &[f64], out: &mut Vec<Block>) {
    match weights.len() {
        0 => return,
        1 => {
            out.push(block);
            return;
        }
        _ => {}
    }
    let total: f64 = weights.iter().sum();
    let mut k = 1;
    let mut best = f64::MAX;
    let mut acc = 0.0;
    for i in 1..weights.len() {
        acc += weights[i - 1];
        let off = (acc - total / 2.0).abs();
        if off < best {
            best = off;
            k = i;
        }
    }
    let frac = if total > 0.0 {
        weights[..k].iter().sum::<f64>() / total
    } else {
        k as f64 / weights.len() as f64
    };
    let across_x = block.width() >= block.height();
    let (lo, hi) = if across_x {
        (block.x0, block.x1)
    } else {
        (block.y0, block.y1)
    };
    let len = hi - lo;
    let wanted = lo + ((f64::from(len) * frac / f64::from(LATTICE)).round() as i32) * LATTICE;
    let cut = if len >= 2 * MIN_SIDE {
        wanted.clamp(lo + MIN_SIDE, hi - MIN_SIDE)
    } else if len >= 2 * LATTICE {
        wanted.clamp(lo + LATTICE, hi - LATTICE)
    } else {
        lo + len / 2
    };
    let (a, b) = if across_x {
        (Block { x1: cut, ..block }, Block { x0: cut, ..block })
    } else {
        (Block { y1: cut, ..block }, Block { y0: cut, ..block })
    };
    split_into(a, &weights[..k], out);
    split_into(b, &weights[k..], out);
}

/// The corners of every block of every level, by lattice line, so a tile's ring can pass through
/// every node on its sides.
#[derive(Debug, Default)]
pub(crate) struct Tiling {
    /// Node x positions on each horizontal line y.
    rows: HashMap<i32, Vec<i32>>,
    /// Node y positions on each vertical line x.
    cols: HashMap<i32, Vec<i32>>,
}

impl Tiling {
    /// Registers a block's corners.
    pub fn add(&mut self, b: Block) {
        for (x, y) in [(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)] {
            self.rows.entry(y).or_default().push(x);
            self.cols.entry(x).or_default().push(y);
        }
    }

    /// Sorts the registry; call once after every block is added.
    pub fn seal(&mut self) {
        for v in self.rows.values_mut().chain(self.cols.values_mut()) {
            v.sort_unstable();
            v.dedup();
        }
    }

    /// Nodes on line `at` between `from` and `to` (inclusive, ascending).
    fn side(line: &HashMap<i32, Vec<i32>>, at: i32, from: i32, to: i32) -> Vec<i32> {
        let mut pts: Vec<i32> = line
            .get(&at)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|v| (from..=to).contains(v))
            .collect();
        let mut d = from.div_euclid(DENSIFY) * DENSIFY;
        while d <= to {
            if d >= from {
                pts.push(d);
            }
            d += DENSIFY;
        }
        pts.push(from);
        pts.push(to);
        pts.sort_unstable();
        pts.dedup();
        pts
    }

    /// The nodes nearest `pos` on either side along a line (`lines`: `rows` or `cols`),
    /// equal when `pos` is a node.
    fn around(line: &HashMap<i32, Vec<i32>>, at: i32, pos: f64) -> (i32, i32) {
        let corners = line.get(&at).map_or(&[][..], Vec::as_slice);
        let below = corners.partition_point(|&v| f64::from(v) <= pos);
        let above = corners.partition_point(|&v| f64::from(v) < pos);
        let step = f64::from(DENSIFY);
        let mut lo = ((pos / step).floor() * step) as i32;
        let mut hi = ((pos / step).ceil() * step) as i32;
        if below > 0 {
            lo = lo.max(corners[below - 1]);
        }
        if let Some(&c) = corners.get(above) {
            hi = hi.min(c);
        }
        (lo, hi)
    }

    /// The lattice nodes along a rectilinear outline given by its corners (counter-clockwise,
    /// open, every edge horizontal or vertical), open.
    pub fn outline(&self, corners: &[(i32, i32)]) -> Vec<(i32, i32)> {
        let mut ring = Vec::new();
        for (i, &(ax, ay)) in corners.iter().enumerate() {
            let (bx, by) = corners[(i + 1) % corners.len()];
            if ay == by {
                let xs = Self::side(&self.rows, ay, ax.min(bx), ax.max(bx));
                if ax <= bx {
                    ring.extend(xs[..xs.len() - 1].iter().map(|&x| (x, ay)));
                } else {
                    ring.extend(xs[1..].iter().rev().map(|&x| (x, ay)));
                }
            } else {
                let ys = Self::side(&self.cols, ax, ay.min(by), ay.max(by));
                if ay <= by {
                    ring.extend(ys[..ys.len() - 1].iter().map(|&y| (ax, y)));
                } else {
                    ring.extend(ys[1..].iter().rev().map(|&y| (ax, y)));
                }
            }
        }
        ring
    }

    /// The lattice nodes of a block's ring, counter-clockwise from the south-west corner, open.
    pub fn ring(&self, b: Block) -> Vec<(i32, i32)> {
        let mut ring = Vec::new();
        let bottom = Self::side(&self.rows, b.y0, b.x0, b.x1);
        ring.extend(bottom[..bottom.len() - 1].iter().map(|&x| (x, b.y0)));
        let right = Self::side(&self.cols, b.x1, b.y0, b.y1);
        ring.extend(right[..right.len() - 1].iter().map(|&y| (b.x1, y)));
        let top = Self::side(&self.rows, b.y1, b.x0, b.x1);
        ring.extend(top[1..].iter().rev().map(|&x| (x, b.y1)));
        let left = Self::side(&self.cols, b.x0, b.y0, b.y1);
        ring.extend(left[1..].iter().rev().map(|&y| (b.x0, y)));
        ring
    }
}

/// A smooth, gently bending deformation of the plan (gradient below 0.4, so it never folds).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Warp {
    /// Per axis: (amplitude m, wavenumber along x, wavenumber along y, phase).
    dx: [(f64, f64, f64, f64); 2],
    dy: [(f64, f64, f64, f64); 2],
    origin_shift: Coord,
}

impl Warp {
    /// A warp with the given phases (radians); wavelengths of 16 km and 4 km.
    pub fn new(phases: [f64; 4]) -> Self {
        let k_long = TAU / 16_000.0;
        let k_mid = TAU / 4_000.0;
        let mut w = Warp {
            dx: [
                (260.0, 0.0, k_long, phases[0]),
                (110.0, k_mid * 0.7, k_mid * 0.7, phases[1]),
            ],
            dy: [
                (220.0, k_long, 0.0, phases[2]),
                (100.0, k_mid * 0.7, -k_mid * 0.7, phases[3]),
            ],
            origin_shift: Coord { x: 0.0, y: 0.0 },
        };
        w.origin_shift = w.displacement(Coord { x: 0.0, y: 0.0 });
        w
    }

    fn displacement(&self, p: Coord) -> Coord {
        let sum = |terms: &[(f64, f64, f64, f64); 2]| {
            terms
                .iter()
                .map(|&(a, kx, ky, ph)| a * (kx * p.x + ky * p.y + ph).sin())
                .sum::<f64>()
        };
        Coord {
            x: sum(&self.dx),
            y: sum(&self.dy),
        }
    }

    /// Plan metres → warped metres (the plan origin stays put).
    pub fn apply(&self, p: Coord) -> Coord {
        let d = self.displacement(p);
        Coord {
            x: p.x + d.x - self.origin_shift.x,
            y: p.y + d.y - self.origin_shift.y,
        }
    }
}

/// Where a plan lands on the Earth: node jitter, warp and local frame.
#[derive(Debug)]
pub(crate) struct Plan {
    pub frame: LocalFrame,
    pub warp: Warp,
    /// Seeds the node jitter.
    salt: u64,
    pub tiling: Tiling,
}

/// `splitmix64`: a fast, well-mixed hash of one word.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Plan {
    pub fn new(centre: Coord, warp: Warp, salt: u64) -> Self {
        Plan {
            frame: LocalFrame::new(centre),
            warp,
            salt,
            tiling: Tiling::default(),
        }
    }

    /// Plan metres → warped metres east/north of the frame's origin.
    pub fn metres(&self, p: Coord) -> Coord {
        self.warp.apply(p)
    }

    /// Plan metres → WGS84 lon/lat on the stores' 1e-9° grid.
    pub fn lonlat(&self, p: Coord) -> Coord {
        snap(self.frame.to_lonlat(self.metres(p)))
    }

    /// A lattice node, moved by its own fixed jitter, in plan metres.
    fn node(&self, x: i32, y: i32) -> Coord {
        let h = mix((u64::from(x as u32) << 32 | u64::from(y as u32)) ^ self.salt);
        let unit = |bits: u64| (bits & 0xFFFF) as f64 / 65_535.0 * 2.0 - 1.0;
        Coord {
            x: f64::from(x) + unit(h) * NODE_JITTER,
            y: f64::from(y) + unit(h >> 16) * NODE_JITTER,
        }
    }

    /// The ring of a tile, in plan metres (jittered nodes), open.
    pub fn tile_ring(&self, b: Block) -> Vec<Coord> {
        self.tiling
            .ring(b)
            .into_iter()
            .map(|(x, y)| self.node(x, y))
            .collect()
    }

    /// The nodes of a lattice line between `from` and `to` (a horizontal line at y = `at` when
    /// `horizontal`, else a vertical one at x = `at`), as every tile along it has them: their
    /// positions along the line and their plan metres (jittered).
    pub fn line_nodes(&self, horizontal: bool, at: i32, from: i32, to: i32) -> Vec<(f64, Coord)> {
        let line = if horizontal {
            &self.tiling.rows
        } else {
            &self.tiling.cols
        };
        Tiling::side(line, at, from, to)
            .into_iter()
            .map(|p| (f64::from(p), self.line_node(horizontal, at, p)))
            .collect()
    }

    fn line_node(&self, horizontal: bool, at: i32, p: i32) -> Coord {
        if horizontal {
            self.node(p, at)
        } else {
            self.node(at, p)
        }
    }

    /// The point at position `pos` of a lattice line as the tiles draw it (between its
    /// jittered nodes), in plan metres.
    pub fn on_line(&self, horizontal: bool, at: i32, pos: f64) -> Coord {
        let line = if horizontal {
            &self.tiling.rows
        } else {
            &self.tiling.cols
        };
        let (lo, hi) = Tiling::around(line, at, pos);
        let a = self.line_node(horizontal, at, lo);
        if hi == lo {
            return a;
        }
        let b = self.line_node(horizontal, at, hi);
        let t = (pos - f64::from(lo)) / f64::from(hi - lo);
        Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        }
    }

    /// A tile as a WGS84 polygon.
    pub fn tile(&self, b: Block) -> Polygon {
        self.polygon(&self.tile_ring(b))
    }

    /// A rectilinear outline (corners counter-clockwise, on the lattice) as a WGS84 polygon that
    /// shares its nodes with the tiles along it.
    pub fn outline(&self, corners: &[(i32, i32)]) -> Polygon {
        let ring: Vec<Coord> = self
            .tiling
            .outline(corners)
            .into_iter()
            .map(|(x, y)| self.node(x, y))
            .collect();
        self.polygon(&ring)
    }

    /// A ring in plan metres as a WGS84 polygon.
    pub fn polygon(&self, ring: &[Coord]) -> Polygon {
        Polygon::new(
            LineString(ring.iter().map(|&p| self.lonlat(p)).collect()),
            vec![],
        )
    }

    /// A ring in plan metres as a polygon in warped metres (for distances).
    pub fn polygon_metres(&self, ring: &[Coord]) -> Polygon {
        Polygon::new(
            LineString(ring.iter().map(|&p| self.metres(p)).collect()),
            vec![],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Validation};

    #[test]
    fn split_covers_the_block_with_lattice_aligned_parts() {
        let b = Block::new(0, 0, 2000, 1200);
        let parts = split(b, &[1.0, 2.0, 3.0, 1.0, 1.0]);
        assert_eq!(parts.len(), 5);
        let area: i64 = parts
            .iter()
            .map(|p| i64::from(p.width()) * i64::from(p.height()))
            .sum();
        assert_eq!(area, 2000 * 1200);
        for p in &parts {
            assert!(p.width() >= MIN_SIDE && p.height() >= MIN_SIDE, "{p:?}");
            assert!([p.x0, p.x1, p.y0, p.y1].iter().all(|v| v % LATTICE == 0));
        }
    }

    #[test]
    fn neighbouring_tiles_share_their_boundary_nodes_and_stay_valid() {
        let outer = Block::new(-1000, -1000, 1000, 1000);
        let mut plan = Plan::new(
            Coord {
                x: 105.437,
                y: 28.913,
            },
            Warp::new([0.3, 1.1, 2.0, 4.0]),
            9,
        );
        let parts = split(outer, &[1.0, 1.0, 2.0]);
        let fine = split(parts[2], &[1.0, 1.0, 1.0, 1.0]);
        plan.tiling.add(outer);
        for b in parts.iter().chain(&fine) {
            plan.tiling.add(*b);
        }
        plan.tiling.seal();
        let area = |b: Block| plan.tile(b).unsigned_area();
        let whole = area(outer);
        let sum: f64 = parts.iter().map(|&b| area(b)).sum();
        let sum_fine: f64 = fine.iter().map(|&b| area(b)).sum();
        assert!((whole - sum).abs() / whole < 1e-9, "{whole} vs {sum}");
        assert!((area(parts[2]) - sum_fine).abs() / whole < 1e-9);
        for b in parts.iter().chain(&fine).chain([&outer]) {
            assert!(plan.tile(*b).is_valid(), "{b:?}");
        }
    }

    #[test]
    fn the_warp_keeps_the_origin_and_moves_far_points_by_at_most_a_few_hundred_metres() {
        let w = Warp::new([0.7, 2.1, 1.3, 0.4]);
        let o = w.apply(Coord { x: 0.0, y: 0.0 });
        assert!(o.x.abs() < 1e-9 && o.y.abs() < 1e-9);
        let p = w.apply(Coord {
            x: 8000.0,
            y: -5000.0,
        });
        assert!((p.x - 8000.0).abs() < 800.0 && (p.y + 5000.0).abs() < 800.0);
    }
}
