//! Whether a coordinate can be longitude/latitude in a geographic system: within ±180°/±90°, not
//! projected metres, not latitude/longitude swapped, and in China for GCJ-02 and BD-09.

use geo_types::Coord;

use super::web_maps::outside_china;
use super::Crs;
use crate::Reason;

/// Why `c` cannot be lon/lat in `crs` (a geographic system), if it cannot.
pub(super) fn check(crs: Crs, c: Coord) -> Result<(), Reason> {
    if !c.x.is_finite() || !c.y.is_finite() {
        return Err(Reason::new("not a number", "不是有效数字"));
    }
    let swapped = Coord { x: c.y, y: c.x };
    let swapped_words = Reason::new(
        "longitude and latitude look swapped (longitude comes first)",
        "经度和纬度似乎填反了（经度在前）",
    );
    if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
        return Err(if c.x.abs() > 1000.0 || c.y.abs() > 1000.0 {
            Reason::new(
                "these look like projected metres, not longitude/latitude degrees: declare the projected system (e.g. EPSG:4545) or read the Shapefile's .prj",
                "这看起来是投影坐标（米），不是经纬度（度）：请注明投影坐标系（如 EPSG:4545），或附上 Shapefile 的 .prj 文件",
            )
        } else if swapped.x.abs() <= 180.0 && swapped.y.abs() <= 90.0 {
            swapped_words.prefixed("latitude out of range: ", "纬度超出范围：")
        } else {
            Reason::new(
                "longitude must lie within ±180° and latitude within ±90°",
                "经度应在 ±180° 以内，纬度应在 ±90° 以内",
            )
        });
    }
    if outside_china(c) && !outside_china(swapped) {
        return Err(swapped_words.prefixed(
            "outside China, while the swapped coordinate lies in China: ",
            "位置在中国境外，而交换经纬度后在中国境内：",
        ));
    }
    if matches!(crs, Crs::Gcj02 | Crs::Bd09) && outside_china(c) {
        return Err(Reason::new(
            format!("{crs} exists only in China (about 72°–138°E, 0.8°–55.8°N)"),
            format!(
                "{}只用于中国境内（约东经 72°–138°、北纬 0.8°–55.8°）",
                crs.name_zh()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn reason(crs: Crs, x: f64, y: f64) -> String {
        let r = check(crs, coord! { x: x, y: y }).expect_err("refused");
        assert!(!r.zh.is_ascii(), "{r:?}");
        r.en
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
        let zh = check(Crs::Wgs84, coord! { x: 28.9, y: 105.44 })
            .expect_err("refused")
            .zh;
        assert_eq!(zh, "纬度超出范围：经度和纬度似乎填反了（经度在前）");
        // Kashgar swapped: (39.5, 75.99) is a valid point in the Arctic, but outside China.
        assert!(reason(Crs::Cgcs2000, 39.47, 75.99).contains("swapped"));
        assert!(reason(Crs::Wgs84, 35_512_345.0, 3_200_000.0).contains("projected metres"));
        assert!(reason(Crs::Gcj02, 512_345.0, 3_200_000.0).contains("projected metres"));
        assert!(reason(Crs::Wgs84, 200.0, 100.0).contains("±180°"));
        assert!(reason(Crs::Wgs84, f64::INFINITY, 0.0).contains("not a number"));
    }
}
