//! Tile addresses in the XYZ scheme (Web Mercator, EPSG:3857; row 0 at the top) and their
//! bounds in WGS84 longitude/latitude.

use std::f64::consts::PI;
use std::fmt;

use geo_types::{coord, Rect};

/// The highest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// The latitude limit of Web Mercator, in degrees.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Why a tile address or a tile could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TileError {
    #[error("zoom {z} is out of range: the highest zoom is {MAX_ZOOM}")]
    Zoom { z: u8 },
    #[error("tile column x={x} is out of range at zoom {z}: it must be below {limit}")]
    Column { z: u8, x: u32, limit: u32 },
    #[error("tile row y={y} is out of range at zoom {z}: it must be below {limit}")]
    Row { z: u8, y: u32, limit: u32 },
    #[error("gzip compression of tile {tile} failed: {source}")]
    Compression {
        tile: TileId,
        source: std::io::Error,
    },
}

/// A tile address `z/x/y`: zoom, column from the west, row from the north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    z: u8,
    x: u32,
    y: u32,
}

impl TileId {
    /// A tile address, checked: `z ≤ 22` and `x, y < 2^z`.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::Zoom { z });
        }
        let limit = 1u32 << z;
        if x >= limit {
            return Err(TileError::Column { z, x, limit });
        }
        if y >= limit {
            return Err(TileError::Row { z, y, limit });
        }
        Ok(TileId { z, x, y })
    }

    /// The tile at zoom `z` containing a WGS84 position (latitude clamped to Web Mercator's).
    pub fn containing(lon: f64, lat: f64, z: u8) -> Result<TileId, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::Zoom { z });
        }
        let n = f64::from(1u32 << z);
        let (mx, my) = mercator_unit(lon, lat);
        let max = (1u32 << z) - 1;
        let x = ((mx * n).floor().max(0.0) as u32).min(max);
        let y = ((my * n).floor().max(0.0) as u32).min(max);
        TileId::new(z, x, y)
    }

    pub fn z(self) -> u8 {
        self.z
    }

    pub fn x(self) -> u32 {
        self.x
    }

    pub fn y(self) -> u32 {
        self.y
    }

    /// The tile's bounds in longitude/latitude degrees.
    pub fn bounds(self) -> Rect {
        self.buffered_bounds(0.0)
    }

    /// The tile's bounds grown by `fraction` of the tile's width on every side, in degrees.
    pub fn buffered_bounds(self, fraction: f64) -> Rect {
        let n = f64::from(1u32 << self.z);
        let west = (f64::from(self.x) - fraction) / n;
        let east = (f64::from(self.x) + 1.0 + fraction) / n;
        let north = (f64::from(self.y) - fraction) / n;
        let south = (f64::from(self.y) + 1.0 + fraction) / n;
        Rect::new(
            coord! { x: unit_to_lon(west), y: unit_to_lat(south) },
            coord! { x: unit_to_lon(east), y: unit_to_lat(north) },
        )
    }

    /// The tile one zoom out that contains this one (itself at zoom 0).
    #[must_use]
    pub fn parent(self) -> TileId {
        if self.z == 0 {
            self
        } else {
            TileId {
                z: self.z - 1,
                x: self.x / 2,
                y: self.y / 2,
            }
        }
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Web Mercator position of a WGS84 coordinate in world units: x and y in `0..1`, y down.
#[inline]
pub(crate) fn mercator_unit(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let s = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians().sin();
    // ln(tan(π/4 + φ/2)) = ½ ln((1 + sin φ) / (1 − sin φ))
    let y = 0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * PI);
    (x, y)
}

fn unit_to_lon(x: f64) -> f64 {
    x * 360.0 - 180.0
}

fn unit_to_lat(y: f64) -> f64 {
    (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn checks_the_address_and_names_the_bad_value() {
        assert!(TileId::new(22, (1 << 22) - 1, 0).is_ok());
        let e = TileId::new(23, 0, 0).unwrap_err();
        assert!(e.to_string().contains("zoom 23"), "{e}");
        let e = TileId::new(3, 8, 0).unwrap_err();
        assert!(
            e.to_string().contains("x=8") && e.to_string().contains("below 8"),
            "{e}"
        );
        let e = TileId::new(0, 0, 1).unwrap_err();
        assert!(e.to_string().contains("y=1"), "{e}");
    }

    #[test]
    fn bounds_follow_the_xyz_scheme() {
        let world = TileId::new(0, 0, 0).unwrap().bounds();
        assert!((world.min().x + 180.0).abs() < 1e-9 && (world.max().x - 180.0).abs() < 1e-9);
        assert!((world.max().y - MAX_LATITUDE).abs() < 1e-9);
        // Row 0 at zoom 1 is the northern half.
        let nw = TileId::new(1, 0, 0).unwrap().bounds();
        assert!(nw.min().y.abs() < 1e-9 && nw.max().y > 85.0);
        // 泸州 Luzhou at zoom 14.
        let t = TileId::containing(105.44, 28.89, 14).unwrap();
        assert_eq!((t.x(), t.y()), (12990, 6817));
        let b = t.bounds();
        assert!(
            b.min().x <= 105.44 && 105.44 < b.max().x && b.min().y <= 28.89 && 28.89 < b.max().y
        );
        assert_eq!(t.parent(), TileId::new(13, 6495, 3408).unwrap());
        assert_eq!(t.to_string(), "14/12990/6817");
    }
}
