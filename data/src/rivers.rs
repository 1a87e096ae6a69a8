//! The demo district's rivers: the 沱江 runs south through 红星街道 between its communities and
//! meets the 长江, which runs along the district's southern edge. A river is a corridor around
//! its centre line: no way enters it but a bridge, and nothing is built in it.

use geo_types::{Coord, LineString, Polygon};

use crate::net::densify;

/// A river in plan metres.
#[derive(Debug, Clone)]
pub(crate) struct River {
    pub name: &'static str,
    /// Centre line, upstream to downstream.
    pub centre: Vec<Coord>,
    pub half_width: f64,
}

/// Half the 沱江's width where it crosses 红星街道, metres (the river there is 80 m wide; its
/// riverside roads run along its banks).
pub(crate) const TUOJIANG_HALF_WIDTH: f64 = 40.0;
/// Along 红星街道 the 沱江 runs straight along x = 0 between these plan y (metres).
pub(crate) const TUOJIANG_STRAIGHT: (f64, f64) = (-1900.0, 1900.0);
/// Distance from the 沱江's centre that compounds, buildings and facilities keep, metres.
pub(crate) const TUOJIANG_CLEAR: f64 = 60.0;

const fn c(x: f64, y: f64) -> Coord {
    Coord { x, y }
}

/// The 沱江 comes in from the north-west across 胡市镇, runs straight south through 红星街道
/// (between its west and east communities) and 小市街道, and meets the 长江 at the district's
/// southern edge; the 长江 runs along that edge, just outside it.
pub(crate) fn rivers() -> Vec<River> {
    vec![
        River {
            name: "沱江",
            centre: vec![
                c(-8600.0, 8300.0),
                c(-7000.0, 7500.0),
                c(-5200.0, 6900.0),
                c(-3600.0, 5600.0),
                c(-2300.0, 4200.0),
                c(-900.0, 3000.0),
                c(-150.0, 2300.0),
                c(0.0, TUOJIANG_STRAIGHT.1),
                c(0.0, TUOJIANG_STRAIGHT.0),
                c(150.0, -2400.0),
                c(500.0, -3300.0),
                c(300.0, -4300.0),
                c(-100.0, -5200.0),
                c(0.0, -6000.0),
                c(0.0, -6450.0),
            ],
            half_width: TUOJIANG_HALF_WIDTH,
        },
        River {
            name: "长江",
            centre: vec![
                c(-9800.0, -6550.0),
                c(-6000.0, -6480.0),
                c(-3000.0, -6450.0),
                c(0.0, -6450.0),
                c(2000.0, -6450.0),
                c(2500.0, -6300.0),
                c(2900.0, -5500.0),
                c(5000.0, -5450.0),
                c(8000.0, -5450.0),
                c(9500.0, -5000.0),
            ],
            half_width: 400.0,
        },
    ]
}

impl River {
    /// Metres from `p` to the centre line.
    pub fn distance(&self, p: Coord) -> f64 {
        self.centre
            .windows(2)
            .map(|w| crate::net::project(p, w[0], w[1]).1)
            .fold(f64::INFINITY, f64::min)
    }

    /// How far along the centre line, metres from its start, the point nearest `p` lies.
    pub fn along(&self, p: Coord) -> f64 {
        let mut best = (f64::INFINITY, 0.0);
        let mut start = 0.0;
        for w in self.centre.windows(2) {
            let (t, d) = crate::net::project(p, w[0], w[1]);
            let len = (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
            if d < best.0 {
                best = (d, start + t * len);
            }
            start += len;
        }
        best.1
    }

    /// The corridor's outline in plan metres: the centre line offset to either side (mitred
    /// at the bends), counter-clockwise.
    #[allow(clippy::many_single_char_names)]
    fn outline(&self) -> Vec<Coord> {
        let n = self.centre.len();
        let normal = |i: usize| {
            let (a, b) = (self.centre[i], self.centre[i + 1]);
            let len = (b.x - a.x).hypot(b.y - a.y);
            c(-(b.y - a.y) / len, (b.x - a.x) / len)
        };
        let offset = |i: usize, side: f64| {
            let m = match i {
                0 => normal(0),
                i if i == n - 1 => normal(n - 2),
                i => {
                    let (a, b) = (normal(i - 1), normal(i));
                    let s = c(a.x + b.x, a.y + b.y);
                    let k = 1.0 + a.x * b.x + a.y * b.y;
                    c(s.x / k, s.y / k)
                }
            };
            let p = self.centre[i];
            c(
                p.x + side * self.half_width * m.x,
                p.y + side * self.half_width * m.y,
            )
        };
        let right: Vec<Coord> = (0..n).map(|i| offset(i, -1.0)).collect();
        let left: Vec<Coord> = (0..n).rev().map(|i| offset(i, 1.0)).collect();
        densify(&[right, left].concat(), 50.0)
    }
}

/// A river of the demo district 河流, WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRiver {
    /// 沱江 or 长江.
    pub name: &'static str,
    /// Centre line from upstream, a vertex at least every 50 m.
    pub centre: LineString,
    /// Metres. Within half of it from the centre line no way runs but a bridge, and no compound,
    /// building or facility lies.
    pub width_m: f64,
    /// The water: the centre line's corridor of that width.
    pub area: Polygon,
}

/// The rivers of the demo district: the 沱江, which runs south through 红星街道 between its
/// communities (crossed by bridges only), and the 长江 along the district's southern edge,
/// which it joins there.
pub fn demo_rivers() -> Vec<DemoRiver> {
    let plan = crate::demo::bare_plan();
    rivers()
        .into_iter()
        .map(|r| {
            let lonlat = |points: &[Coord]| -> Vec<Coord> {
                points.iter().map(|&p| plan.lonlat(p)).collect()
            };
            DemoRiver {
                name: r.name,
                centre: LineString(lonlat(&densify(&r.centre, 50.0))),
                width_m: 2.0 * r.half_width,
                area: Polygon::new(LineString(lonlat(&r.outline())), vec![]),
            }
        })
        .collect()
}
