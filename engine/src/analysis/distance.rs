//! Ellipsoidal distances between shapes of the analyses' one metric frame.
//!
//! The snapshot's shapes and indexes live in one equirectangular frame (the
//! [`metric_frame`](super::metric_frame) at the middle of the data), which is true only near its
//! origin: 500 km north or south its east–west scale is off by several per cent. So a distance is
//! never read off the frame as it is. Each pair of shapes is measured in the frame stretched to
//! the WGS84 radii of curvature at the pair's mid-latitude (the frame's metric depends on latitude
//! only, so this is the local frame of the pair, within 10⁻⁵ of the geodesic up to 100 km), and
//! a pair farther apart than [`FAR_M`] is scaled by the ratio of the geodesic (Karney, `geo`'s
//! [`Geodesic`]) to the stretched distance between the shapes' centres.
//!
//! Searches stay exact: the stretched distance is at least [`Metric::lower_bound`] of the frame
//! distance, so an index walk in frame metres may stop once that bound passes the best distance.

use geo::{Distance, Euclidean, Geodesic, Intersects, MapCoords};
use geo_types::{Coord, Geometry, LineString, Point, Polygon};

use crate::crs::LocalFrame;

use super::metric::Shape;
use super::metric_frame;

/// Beyond this, metres, a pair's distance is corrected by the geodesic between the shapes'
/// centres: the mid-latitude plane drifts from the ellipsoid as the square of the distance
/// (10⁻⁶ at 20 km, 4·10⁻⁴ at 1,000 km).
pub(crate) const FAR_M: f64 = 20_000.0;

/// Latitude margin, degrees, around the data for the frame's distortion bound: geodesics bulge
/// poleward, and siting candidates may lie up to a threshold (≤ 100 km) outside the data.
const MARGIN_DEG: f64 = 1.0;

/// Spacing, degrees, of the tabulated stretches: linear interpolation between them is within
/// 10⁻⁸ of the formula, and a table look-up costs far less than the formula's trigonometry.
const STEP_DEG: f64 = 0.01;

/// The scales, east and north, that turn frame metres into local metres at some latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stretch {
    x: f64,
    y: f64,
}

impl Stretch {
    /// The stretched length of a frame vector.
    fn length(self, dx: f64, dy: f64) -> f64 {
        (self.x * dx).hypot(self.y * dy)
    }

    /// Stretched distance from `p` to the segment `a`–`b`.
    fn to_segment(self, p: Coord, a: Coord, b: Coord) -> f64 {
        let (ax, ay) = (self.x * (a.x - p.x), self.y * (a.y - p.y));
        let (dx, dy) = (self.x * (b.x - a.x), self.y * (b.y - a.y));
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (ax + t * dx).hypot(ay + t * dy)
    }

    /// Stretched distance from `p` to the nearest segment of a ring.
    fn to_ring(self, p: Coord, ring: &LineString) -> f64 {
        ring.0
            .windows(2)
            .map(|w| self.to_segment(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min)
    }

    /// Stretched distance from `p` to a polygon's boundary.
    fn to_boundary(self, p: Coord, polygon: &Polygon) -> f64 {
        polygon
            .interiors()
            .iter()
            .map(|r| self.to_ring(p, r))
            .fold(self.to_ring(p, polygon.exterior()), f64::min)
    }

    /// Stretched distance between two frame shapes (gates excepted); 0 when they touch or
    /// overlap. `origin` is any point near the pair (for the general case's precision).
    fn between(self, a: &Shape, b: &Shape, origin: Coord) -> f64 {
        match (a, b) {
            (Shape::Point(p), Shape::Point(q)) => self.length(p.x() - q.x(), p.y() - q.y()),
            (Shape::Point(p), Shape::Polygon(poly)) | (Shape::Polygon(poly), Shape::Point(p)) => {
                if poly.intersects(p) {
                    0.0
                } else {
                    self.to_boundary(p.0, poly)
                }
            }
            (Shape::Polygon(pa), Shape::Polygon(pb)) => {
                if pa.intersects(pb) {
                    return 0.0;
                }
                // Apart, the nearest points are a vertex of one and a segment of the other.
                let one_way = |from: &Polygon, to: &Polygon| {
                    from.exterior()
                        .0
                        .iter()
                        .chain(from.interiors().iter().flat_map(|r| r.0.iter()))
                        .map(|&v| self.to_boundary(v, to))
                        .fold(f64::INFINITY, f64::min)
                };
                one_way(pa, pb).min(one_way(pb, pa))
            }
            (a, b) => {
                let stretch = |g: Geometry| {
                    g.map_coords(|c| Coord {
                        x: self.x * (c.x - origin.x),
                        y: self.y * (c.y - origin.y),
                    })
                };
                Euclidean.distance(&stretch(a.geometry()), &stretch(b.geometry()))
            }
        }
    }
}

/// The analyses' metric: the frame the shapes and indexes are in, and how far it may shrink a
/// distance anywhere in the data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metric {
    pub(crate) frame: LocalFrame,
    /// The least stretch, over the data's latitudes and both axes, from frame to local metres.
    min_scale: f64,
    /// The southern end of the tabulated band, degrees.
    south: f64,
    /// The stretch every [`STEP_DEG`] from `south` across the data's latitudes.
    table: Vec<Stretch>,
}

impl Metric {
    /// The metric of a frame for data between latitudes `south` and `north` (degrees).
    pub(crate) fn new(frame: LocalFrame, south: f64, north: f64) -> Metric {
        let (lo, hi) = (
            (south.min(north) - MARGIN_DEG).max(-89.0),
            (south.max(north) + MARGIN_DEG).min(89.0),
        );
        // East–west stretch falls away from the equator and north–south stretch grows, so
        // the least of either is at an end of the band or at the equator.
        let min_scale = [lo, hi, 0.0_f64.clamp(lo, hi)]
            .into_iter()
            .map(|lat| {
                let s = exact_stretch(&frame, lat);
                s.x.min(s.y)
            })
            .fold(1.0, f64::min);
        let steps = ((hi - lo) / STEP_DEG).ceil() as usize + 1;
        let table = (0..=steps)
            .map(|i| exact_stretch(&frame, lo + i as f64 * STEP_DEG))
            .collect();
        Metric {
            frame,
            min_scale,
            south: lo,
            table,
        }
    }

    /// The metric of a frame for data near its origin (a gate and its compound).
    pub(crate) fn around(frame: LocalFrame) -> Metric {
        Metric::new(frame, frame.origin.y, frame.origin.y)
    }

    /// The stretch at a latitude, from the table (by the formula outside it).
    fn stretch_at(&self, lat: f64) -> Stretch {
        let at = (lat - self.south) / STEP_DEG;
        if at >= 0.0 && at < (self.table.len() - 1) as f64 {
            let step = at as usize;
            let frac = at - step as f64;
            let (lo, hi) = (self.table[step], self.table[step + 1]);
            Stretch {
                x: lo.x + frac * (hi.x - lo.x),
                y: lo.y + frac * (hi.y - lo.y),
            }
        } else {
            exact_stretch(&self.frame, lat)
        }
    }

    /// The stretch at the mid-latitude of two frame points.
    fn stretch(&self, a: Coord, b: Coord) -> Stretch {
        let mid_y = f64::midpoint(a.y, b.y);
        self.stretch_at(self.frame.origin.y + mid_y / self.frame.m_per_deg_lat)
    }

    /// A lower bound, metres, of the distance between shapes `frame_m` frame metres apart.
    pub(crate) fn lower_bound(&self, frame_m: f64) -> f64 {
        frame_m * self.min_scale
    }

    /// Frame metres that hold every shape within `metres` of a point.
    pub(crate) fn frame_reach(&self, metres: f64) -> f64 {
        metres / self.min_scale
    }

    /// The ellipsoidal distance, metres, between two frame shapes whose centres (or any points
    /// near them, for the latitude) are `ca` and `cb`; 0 when they touch or overlap. A
    /// compound's gates are measured each from its own point, and the nearest gate counts.
    pub(crate) fn distance(&self, a: &Shape, ca: Coord, b: &Shape, cb: Coord) -> f64 {
        match (a, b) {
            (Shape::Gates(g), _) => g
                .iter()
                .map(|p| self.distance(&Shape::Point(*p), p.0, b, cb))
                .fold(f64::INFINITY, f64::min),
            (_, Shape::Gates(g)) => g
                .iter()
                .map(|p| self.distance(a, ca, &Shape::Point(*p), p.0))
                .fold(f64::INFINITY, f64::min),
            _ => {
                let stretch = self.stretch(ca, cb);
                let d = stretch.between(a, b, ca);
                if d > FAR_M {
                    self.far(d, ca, cb, stretch)
                } else {
                    d
                }
            }
        }
    }

    /// A far pair's distance `d`, scaled by the geodesic over the stretched distance of the
    /// centres (whose direction and length are the pair's to within the shapes' size).
    fn far(&self, d: f64, ca: Coord, cb: Coord, stretch: Stretch) -> f64 {
        let flat = stretch.length(ca.x - cb.x, ca.y - cb.y);
        if flat <= 0.0 {
            return d;
        }
        let lonlat = |c| Point(self.frame.to_lonlat(c));
        d * Geodesic.distance(lonlat(ca), lonlat(cb)) / flat
    }
}

/// The stretch from `frame` metres to local metres at a latitude: the ratio of the WGS84 radii
/// there to the frame's.
fn exact_stretch(frame: &LocalFrame, lat: f64) -> Stretch {
    let local = metric_frame(Coord { x: 0.0, y: lat });
    Stretch {
        x: local.m_per_deg_lon / frame.m_per_deg_lon,
        y: local.m_per_deg_lat / frame.m_per_deg_lat,
    }
}

/// The ellipsoidal distance, metres, between a lon/lat point and a lon/lat polygon; 0 when the
/// polygon holds the point.
pub(crate) fn point_to_polygon_m(point: Point, polygon: &Polygon) -> f64 {
    let metric = Metric::around(metric_frame(point.0));
    let to = |c: Coord| metric.frame.to_metres(c);
    let p = to(point.0);
    let shape = Shape::Polygon(polygon.map_coords(to));
    let centre = shape.bbox().map_or(p, geo_types::Rect::center);
    metric.distance(&Shape::Point(Point(p)), p, &shape, centre)
}
