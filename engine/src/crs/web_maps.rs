//! GCJ-02 and BD-09, the shifted longitude/latitude systems of Chinese web maps (`AMap`, Tencent,
//! Baidu): the published forward transforms and their exact inverses.

use std::f64::consts::PI;

use geo_types::Coord;

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const BD_X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether GCJ-02 leaves the coordinate as it is (outside mainland China's rough box).
pub(crate) fn outside_china(c: Coord) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use geo::{Distance, Haversine, Point};
    use geo_types::coord;

    /// Reference pairs produced by the peer implementation `prcoords` 1.0.2 (`PyPI`, public domain;
    /// see `data/reference/crs_vectors.py`), in WGS84 / GCJ-02 / BD-09.
    const VECTORS: &str = include_str!("../../../data/reference/crs_vectors.csv");

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
}
