//! EPSG codes: the supported ones (4326, 4490 and the CGCS2000 Gauss-Krüger zones 4491–4554,
//! parameters checked against PROJ's database) and China's older datums, named when refused.

use super::gauss_kruger::{GkZone, ZoneWidth};
use super::{Crs, CrsError};
use crate::Reason;

/// The four families of CGCS2000 Gauss-Krüger codes: first code, width, prefixed.
const FAMILIES: [(u32, ZoneWidth, bool); 4] = [
    (4491, ZoneWidth::Six, true),
    (4502, ZoneWidth::Six, false),
    (4513, ZoneWidth::Three, true),
    (4534, ZoneWidth::Three, false),
];

/// China's older datums and their codes (geographic and Gauss-Krüger), from PROJ's database.
const OLDER_DATUMS: [(&str, &[(u32, u32)]); 3] = [
    (
        "Beijing 1954",
        &[
            (4214, 4214),
            (2401, 2442),
            (21413, 21423),
            (21453, 21463),
            (21473, 21483),
        ],
    ),
    (
        "New Beijing",
        &[
            (4555, 4555),
            (4568, 4589),
            (4652, 4656),
            (4766, 4800),
            (4812, 4812),
            (4822, 4822),
        ],
    ),
    ("Xian 1980", &[(4610, 4610), (2327, 2390)]),
];

/// The system of an EPSG code, or why it is refused.
pub fn crs_of(code: u32) -> Result<Crs, CrsError> {
    match code {
        4326 => return Ok(Crs::Wgs84),
        4490 => return Ok(Crs::Cgcs2000),
        _ => {}
    }
    if let Some(zone) = zone_of(code) {
        return Ok(Crs::GaussKruger(zone));
    }
    if let Some(datum) = older_datum(code) {
        return Err(CrsError::NeedsDatumGrid {
            system: format!("EPSG:{code}"),
            datum,
        });
    }
    let reason = match code {
        3857 | 900_913 => Reason::new(
            "Web Mercator holds tile coordinates, not survey data; give WGS84 lon/lat",
            "Web 墨卡托是地图瓦片用的坐标，不用于测绘数据；请提供 WGS84 经纬度",
        ),
        32601..=32660 | 32701..=32760 => Reason::new(
            "UTM zones are not used for Chinese survey data; give a CGCS2000 Gauss-Krüger zone",
            "国内测绘数据不使用 UTM 分带；请提供 CGCS2000 高斯-克吕格投影带的坐标",
        ),
        _ => Reason::new(
            "supported are EPSG:4326, EPSG:4490 and the CGCS2000 Gauss-Krüger zones EPSG:4491–4554",
            "支持的坐标系为 EPSG:4326、EPSG:4490 和 CGCS2000 高斯-克吕格投影带 EPSG:4491–4554",
        ),
    };
    Err(CrsError::Unsupported {
        system: format!("EPSG:{code}"),
        reason,
    })
}

/// The older datum an EPSG code is on, if it is one of China's.
pub fn older_datum(code: u32) -> Option<&'static str> {
    OLDER_DATUMS.iter().find_map(|(datum, ranges)| {
        ranges
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&code))
            .then_some(*datum)
    })
}

/// The Gauss-Krüger zone of a code 4491–4554.
pub fn zone_of(code: u32) -> Option<GkZone> {
    FAMILIES.iter().find_map(|&(first, width, prefixed)| {
        let count = width.zones().count() as u32;
        let index = code.checked_sub(first).filter(|&i| i < count)?;
        GkZone::new(width, width.zones().start() + index as u8, prefixed)
    })
}

/// The code of a Gauss-Krüger zone.
pub fn code_of(zone: GkZone) -> u16 {
    let (first, width, _) = FAMILIES
        .iter()
        .copied()
        .find(|&(_, w, p)| w == zone.width() && p == zone.prefixed())
        .expect("every width and prefix has a family");
    (first + u32::from(zone.number() - width.zones().start())) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `projinfo -o PROJ EPSG:n` for the first and last code of each family, and one inside.
    #[test]
    fn codes_carry_the_parameters_proj_gives_them() {
        // (code, +lon_0, +x_0)
        for (code, cm, fe) in [
            (4491, 75.0, 13_500_000.0),
            (4496, 105.0, 18_500_000.0),
            (4501, 135.0, 23_500_000.0),
            (4502, 75.0, 500_000.0),
            (4512, 135.0, 500_000.0),
            (4513, 75.0, 25_500_000.0),
            (4523, 105.0, 35_500_000.0),
            (4533, 135.0, 45_500_000.0),
            (4534, 75.0, 500_000.0),
            (4535, 78.0, 500_000.0),
            (4554, 135.0, 500_000.0),
        ] {
            let zone = zone_of(code).expect("a zone");
            assert_eq!(
                (zone.central_meridian(), zone.false_easting()),
                (cm, fe),
                "{code}"
            );
            assert_eq!(u32::from(code_of(zone)), code);
        }
        assert_eq!(zone_of(4490), None);
        assert_eq!(zone_of(4555), None);
    }

    #[test]
    fn older_datums_are_named() {
        for (code, datum) in [
            (4214, "Beijing 1954"),
            (2401, "Beijing 1954"),
            (21463, "Beijing 1954"),
            (4555, "New Beijing"),
            (4789, "New Beijing"),
            (4610, "Xian 1980"),
            (2383, "Xian 1980"),
        ] {
            match crs_of(code) {
                Err(e @ CrsError::NeedsDatumGrid { datum: d, .. }) => {
                    assert_eq!(d, datum, "{code}");
                    let text = e.to_string();
                    assert!(
                        text.contains(&format!("EPSG:{code}")) && text.contains("datum grid"),
                        "{text}"
                    );
                }
                other => panic!("{code}: {other:?}"),
            }
        }
        assert_eq!(older_datum(2391), None);
    }
}
