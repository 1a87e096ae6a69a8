//! A local metric frame for distances in metres.

use std::f64::consts::PI;

use geo_types::Coord;

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
}
