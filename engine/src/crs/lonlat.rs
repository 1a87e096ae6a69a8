//! Whether a coordinate can be longitude/latitude in a geographic system: within ±180°/±90°, not
//! projected metres, not latitude/longitude swapped, and in China for GCJ-02 and BD-09.

use geo_types::Coord;

use super::web_maps::outside_china;
use super::Crs;

/// Why `c` cannot be lon/lat in `crs` (a geographic system), if it cannot.
pub(super) fn check(crs: Crs, c: Coord) -> Result<(), String> {
    if !c.x.is_finite() || !c.y.is_finite() {
        return Err("not a number".into());
    }
    let swapped = Coord { x: c.y, y: c.x };
    if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
        return Err(if c.x.abs() > 1000.0 || c.y.abs() > 1000.0 {
            "these look like projected metres, not longitude/latitude degrees: declare the projected system (e.g. EPSG:4545) or read the Shapefile's .prj".into()
        } else if swapped.x.abs() <= 180.0 && swapped.y.abs() <= 90.0 {
            "latitude out of range: longitude and latitude look swapped (longitude comes first)"
                .into()
        } else {
            "longitude must lie within ±180° and latitude within ±90°".into()
        });
    }
    if outside_china(c) && !outside_china(swapped) {
        return Err("outside China, while the swapped coordinate lies in China: longitude and latitude look swapped (longitude comes first)".into());
    }
    if matches!(crs, Crs::Gcj02 | Crs::Bd09) && outside_china(c) {
        return Err(format!(
            "{crs} exists only in China (about 72°–138°E, 0.8°–55.8°N)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn reason(crs: Crs, x: f64, y: f64) -> String {
        check(crs, coord! { x: x, y: y }).expect_err("refused")
    }

    #[test]
    fn lonlat_in_china_passes_in_every_geographic_system() {
        for crs in [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09] {
            assert_eq!(check(crs, coord! { x: 105.44, y: 28.9 }), Ok(()), "{crs}");
        }
        // Abroad is fine in WGS84 (test worlds, neighbours), never in GCJ-02.
        assert_eq!(check(Crs::Wgs84, coord! { x: 2.35, y: 48.85 }), Ok(()));
        assert!(reason(Crs::Gcj02, 2.35, 48.85).contains("only in China"));
        assert!(reason(Crs::Bd09, 2.35, 48.85).contains("BD-09"));
    }

    #[test]
    fn swapped_axes_metres_and_ranges_are_named() {
        // Luzhou swapped: latitude 105 is out of range.
        assert!(reason(Crs::Wgs84, 28.9, 105.44).contains("swapped"));
        // Kashgar swapped: (39.5, 75.99) is a valid point in the Arctic, but outside China.
        assert!(reason(Crs::Cgcs2000, 39.47, 75.99).contains("swapped"));
        assert!(reason(Crs::Wgs84, 35_512_345.0, 3_200_000.0).contains("projected metres"));
        assert!(reason(Crs::Gcj02, 512_345.0, 3_200_000.0).contains("projected metres"));
        assert!(reason(Crs::Wgs84, 200.0, 100.0).contains("±180°"));
        assert!(reason(Crs::Wgs84, f64::INFINITY, 0.0).contains("not a number"));
    }
}
