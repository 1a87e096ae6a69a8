//! Compound internal paths 小区内部道路, shared by the demo district and the synthetic city: a main
//! path running north–south through the middle gap between the buildings' columns, and paths
//! between pairs of building rows branching off it, so every building lies beside a path.

use geo_types::Coord;

use crate::layout::{CellGrid, Rect};

/// A compound's internal paths in plan metres.
#[derive(Debug, Clone)]
pub(crate) struct CompoundPaths {
    /// The main path, south to north, through its junction with each row path.
    pub spine: Vec<Coord>,
    /// Paths between building rows, west to east, each through its junction with the spine.
    pub rows: Vec<Vec<Coord>>,
}

/// The paths of a compound whose buildings fill the cells of `site`. A row path at y runs
/// across `span_x(y)`, the spine at x along `span_y(x)`. With one column of buildings the spine
/// runs along their west side (the row paths start on it); with one row there are no row paths.
pub(crate) fn compound_paths(
    site: &CellGrid,
    pad: f64,
    span_x: impl Fn(f64) -> (f64, f64),
    span_y: impl Fn(f64) -> (f64, f64),
) -> CompoundPaths {
    let mut row_ys: Vec<f64> = (1..site.rows)
        .step_by(2)
        .map(|r| site.gap_y_at(r))
        .collect();
    if site.rows >= 3 && site.rows % 2 == 1 {
        row_ys.push(site.gap_y_at(site.rows - 1));
    }
    let spine_x = if site.cols >= 2 {
        site.gap_x_at(site.cols / 2)
    } else {
        site.area.x0 - pad
    };
    let (bottom, top) = span_y(spine_x);
    let mut spine = vec![Coord {
        x: spine_x,
        y: bottom,
    }];
    spine.extend(row_ys.iter().map(|&y| Coord { x: spine_x, y }));
    spine.push(Coord { x: spine_x, y: top });
    let rows = row_ys
        .iter()
        .map(|&y| {
            let (west, east) = span_x(y);
            let west = if site.cols >= 2 { west } else { spine_x };
            let mut row = vec![Coord { x: west, y }];
            if site.cols >= 2 {
                row.push(Coord { x: spine_x, y });
            }
            row.push(Coord { x: east, y });
            row
        })
        .collect();
    CompoundPaths { spine, rows }
}

/// A rectangle with its corners cut (a compound's loop path, clear of cut-off corners).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Octagon {
    pub rect: Rect,
    pub cut: f64,
}

impl Octagon {
    pub fn new(rect: Rect, cut: f64) -> Self {
        let cut = cut.min(rect.width().min(rect.height()) * 0.3);
        Octagon { rect, cut }
    }

    /// Its ring, closed, counter-clockwise from the south side.
    pub fn ring(&self) -> Vec<Coord> {
        let Rect { x0, y0, x1, y1 } = self.rect;
        let c = self.cut;
        let p = |x, y| Coord { x, y };
        vec![
            p(x0 + c, y0),
            p(x1 - c, y0),
            p(x1, y0 + c),
            p(x1, y1 - c),
            p(x1 - c, y1),
            p(x0 + c, y1),
            p(x0, y1 - c),
            p(x0, y0 + c),
            p(x0 + c, y0),
        ]
    }

    /// Where a horizontal line at `y` enters and leaves it.
    pub fn span_x(&self, y: f64) -> (f64, f64) {
        let r = self.rect;
        let d = (self.cut - (y - r.y0)).max(self.cut - (r.y1 - y)).max(0.0);
        (r.x0 + d, r.x1 - d)
    }

    /// Where a vertical line at `x` enters and leaves it.
    pub fn span_y(&self, x: f64) -> (f64, f64) {
        let r = self.rect;
        let d = (self.cut - (x - r.x0)).max(self.cut - (r.x1 - x)).max(0.0);
        (r.y0 + d, r.y1 - d)
    }
}

/// `r` grown by `d` on every side.
pub(crate) fn grown(r: Rect, d: f64) -> Rect {
    Rect::new(r.x0 - d, r.y0 - d, r.x1 + d, r.y1 + d)
}

/// How far outside a compound's buildings its paths run: half the margin its site keeps from
/// the slot, at most 3 m.
pub(crate) fn path_pad(slot: Rect, site: Rect) -> f64 {
    ((site.x0 - slot.x0).min(site.y0 - slot.y0) / 2.0).clamp(0.2, 3.0)
}

/// Chinese numerals 1–99 (一 … 九十九), for numbered bridges and lanes.
pub(crate) fn numeral(n: usize) -> String {
    const D: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0 => "零".to_owned(),
        1..=9 => D[n].to_owned(),
        10..=19 => format!("十{}", D[n % 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}
