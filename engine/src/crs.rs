//! Coordinate systems: WGS84 (stored; CGCS2000 treated as equal), the GCJ-02 and BD-09
//! systems of Chinese web maps (converted on import, explicitly), and a local metric frame
//! for distances in metres.

use std::f64::consts::PI;
use std::str::FromStr;

use geo_types::Coord;

/// The coordinate system of incoming data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// WGS84 / CGCS2000 longitude-latitude (no conversion).
    #[default]
    Wgs84,
    /// GCJ-02 "Mars coordinates" (AMap, Tencent, Google China).
    Gcj02,
    /// BD-09 (Baidu Maps).
    Bd09,
}

impl FromStr for Crs {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "cgcs2000" | "epsg:4326" => Ok(Crs::Wgs84),
            "gcj02" | "gcj-02" => Ok(Crs::Gcj02),
            "bd09" | "bd-09" => Ok(Crs::Bd09),
            _ => Err(format!(
                "unknown coordinate system \"{s}\" (use wgs84, gcj02 or bd09)"
            )),
        }
    }
}

impl Crs {
    /// Converts a lon/lat coordinate in this system to WGS84.
    pub fn to_wgs84(self, c: Coord) -> Coord {
        match self {
            Crs::Wgs84 => c,
            Crs::Gcj02 => gcj02_to_wgs84(c),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(c)),
        }
    }
}

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether GCJ-02 leaves the coordinate as it is (outside mainland China's rough box).
fn outside_china(c: Coord) -> bool {
    !(72.004..=137.8347).contains(&c.x) || !(0.8293..=55.8271).contains(&c.y)
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02 (the published forward transform).
pub fn wgs84_to_gcj02(c: Coord) -> Coord {
    if outside_china(c) {
        return c;
    }
    let d_lat = offset_lat(c.x - 105.0, c.y - 35.0);
    let d_lon = offset_lon(c.x - 105.0, c.y - 35.0);
    let rad_lat = c.y / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let d_lat = d_lat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lon = d_lon * 180.0 / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    Coord {
        x: c.x + d_lon,
        y: c.y + d_lat,
    }
}

/// GCJ-02 → BD-09 (the published forward transform).
pub fn gcj02_to_bd09(c: Coord) -> Coord {
    let z = c.x.hypot(c.y) + 0.000_02 * (c.y * BD_X_PI).sin();
    let theta = c.y.atan2(c.x) + 0.000_003 * (c.x * BD_X_PI).cos();
    Coord {
        x: z * theta.cos() + 0.0065,
        y: z * theta.sin() + 0.006,
    }
}

/// Inverts a forward transform by fixed-point iteration to 1e-12°.
fn invert(forward: impl Fn(Coord) -> Coord, target: Coord) -> Coord {
    let mut guess = target;
    for _ in 0..30 {
        let image = forward(guess);
        let (dx, dy) = (image.x - target.x, image.y - target.y);
        guess = Coord {
            x: guess.x - dx,
            y: guess.y - dy,
        };
        if dx.abs() < 1e-12 && dy.abs() < 1e-12 {
            break;
        }
    }
    guess
}

/// GCJ-02 → WGS84, the exact inverse of [`wgs84_to_gcj02`] (to 1e-12°).
///
/// ```
/// use geo_types::coord;
/// use gridatlas_engine::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
/// let wgs = coord! { x: 105.4420, y: 28.9010 };
/// let back = gcj02_to_wgs84(wgs84_to_gcj02(wgs));
/// assert!((back.x - wgs.x).abs() < 1e-9 && (back.y - wgs.y).abs() < 1e-9);
/// ```
pub fn gcj02_to_wgs84(c: Coord) -> Coord {
    if outside_china(c) {
        return c;
    }
    invert(wgs84_to_gcj02, c)
}

/// BD-09 → GCJ-02, the exact inverse of [`gcj02_to_bd09`] (to 1e-12°).
pub fn bd09_to_gcj02(c: Coord) -> Coord {
    invert(gcj02_to_bd09, c)
}

/// Mean Earth radius in metres (IUGG), used by the local frame.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A local equirectangular frame in metres around a reference latitude, cheap enough for
/// millions of distance computations. [`LocalFrame::new`] scales by the mean Earth radius (up to
/// 0.3 % off the ellipsoid; used to place generated data); the analyses and planning use
/// `analysis::metric_frame`, with the WGS84 radii, and measure each pair at its own latitude.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    pub origin: Coord,
    /// Metres per degree of longitude at the origin's latitude.
    pub m_per_deg_lon: f64,
    /// Metres per degree of latitude.
    pub m_per_deg_lat: f64,
}

impl LocalFrame {
    /// A frame centred on `origin` (lon/lat degrees).
    pub fn new(origin: Coord) -> Self {
        let m_per_deg_lat = EARTH_RADIUS_M * PI / 180.0;
        LocalFrame {
            origin,
            m_per_deg_lon: m_per_deg_lat * origin.y.to_radians().cos(),
            m_per_deg_lat,
        }
    }

    /// Lon/lat degrees → metres east/north of the origin.
    pub fn to_metres(&self, c: Coord) -> Coord {
        Coord {
            x: (c.x - self.origin.x) * self.m_per_deg_lon,
            y: (c.y - self.origin.y) * self.m_per_deg_lat,
        }
    }

    /// Metres east/north of the origin → lon/lat degrees.
    pub fn to_lonlat(&self, c: Coord) -> Coord {
        Coord {
            x: self.origin.x + c.x / self.m_per_deg_lon,
            y: self.origin.y + c.y / self.m_per_deg_lat,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine, Point};
    use geo_types::coord;

    /// Reference pairs produced by the peer implementation `prcoords` 1.0.2 (PyPI, public domain;
    /// see `data/reference/crs_vectors.py`), in WGS84 / GCJ-02 / BD-09.
    const VECTORS: &str = include_str!("../../data/reference/crs_vectors.csv");

    fn vectors() -> Vec<[f64; 6]> {
        VECTORS
            .lines()
            .skip(1)
            .map(|l| {
                let v: Vec<f64> = l.split(',').map(|x| x.parse().expect("number")).collect();
                [v[0], v[1], v[2], v[3], v[4], v[5]]
            })
            .collect()
    }

    #[test]
    fn forward_and_inverse_match_the_peer_within_1e_6_degrees() {
        let vs = vectors();
        assert!(vs.len() >= 20, "reference vectors present");
        for [wx, wy, gx, gy, bx, by] in vs {
            let w = coord! { x: wx, y: wy };
            let g = wgs84_to_gcj02(w);
            assert!(
                (g.x - gx).abs() < 1e-6 && (g.y - gy).abs() < 1e-6,
                "gcj of {w:?}: {g:?} vs {gx},{gy}"
            );
            let b = gcj02_to_bd09(g);
            assert!(
                (b.x - bx).abs() < 1e-6 && (b.y - by).abs() < 1e-6,
                "bd of {w:?}: {b:?} vs {bx},{by}"
            );
            let back = Crs::Gcj02.to_wgs84(coord! { x: gx, y: gy });
            assert!(
                (back.x - wx).abs() < 1e-6 && (back.y - wy).abs() < 1e-6,
                "wgs from gcj {back:?} vs {w:?}"
            );
            let back = Crs::Bd09.to_wgs84(coord! { x: bx, y: by });
            assert!(
                (back.x - wx).abs() < 1e-6 && (back.y - wy).abs() < 1e-6,
                "wgs from bd {back:?} vs {w:?}"
            );
        }
    }

    #[test]
    fn gcj02_shifts_luzhou_by_hundreds_of_metres_and_leaves_abroad_alone() {
        let w = coord! { x: 105.4420, y: 28.9010 };
        let g = wgs84_to_gcj02(w);
        let shift = Haversine.distance(Point::from(w), Point::from(g));
        assert!((100.0..1000.0).contains(&shift), "shift {shift} m");
        let paris = coord! { x: 2.35, y: 48.85 };
        assert_eq!(wgs84_to_gcj02(paris), paris);
    }

    #[test]
    fn local_frame_distances_agree_with_haversine_within_0_1_percent() {
        let frame = LocalFrame::new(coord! { x: 105.44, y: 28.90 });
        let a = coord! { x: 105.40, y: 28.88 };
        let b = coord! { x: 105.48, y: 28.93 };
        let (ma, mb) = (frame.to_metres(a), frame.to_metres(b));
        let local = (ma.x - mb.x).hypot(ma.y - mb.y);
        let reference = Haversine.distance(Point::from(a), Point::from(b));
        assert!(
            (local - reference).abs() / reference < 1e-3,
            "{local} vs {reference}"
        );
        let back = frame.to_lonlat(ma);
        assert!((back.x - a.x).abs() < 1e-12 && (back.y - a.y).abs() < 1e-12);
    }

    #[test]
    fn crs_names_parse_and_unknown_ones_are_refused() {
        assert_eq!("GCJ02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!("bd09".parse::<Crs>(), Ok(Crs::Bd09));
        assert!("utm".parse::<Crs>().unwrap_err().contains("utm"));
    }
}
