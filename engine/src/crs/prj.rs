//! The coordinate system a Shapefile's `.prj` (WKT1) declares.
//!
//! Read in this order, and all that is present must agree:
//! 1. `AUTHORITY["EPSG", "nnnn"]` (GDAL writes it),
//! 2. the name: ESRI's `CGCS2000_3_Degree_GK_Zone_35`, `CGCS2000_3_Degree_GK_CM_105E`,
//!    `CGCS2000_GK_Zone_13`, `CGCS2000_GK_CM_75E` or GDAL's `CGCS2000 / 3-degree Gauss-Kruger zone 35`,
//! 3. the parameters: a CGCS2000 datum, `Transverse_Mercator` or `Gauss_Kruger`, scale 1, central
//!    meridian and false easting of a zone (see [`GkZone::from_parameters`]).
//!
//! A geographic `.prj` on the CGCS2000 or WGS84 datum is [`Crs::Cgcs2000`] or [`Crs::Wgs84`].
//! Beijing 1954, New Beijing and Xian 1980 are recognised by datum or spheroid and refused.

use super::epsg;
use super::gauss_kruger::{GkZone, ZoneWidth};
use super::wkt::{self, Node};
use super::{Crs, CrsError};
use crate::Reason;

/// The system a `.prj` declares, or why it cannot be used.
pub fn from_prj(text: &str) -> Result<Crs, CrsError> {
    let root = wkt::parse(text).map_err(CrsError::Prj)?;
    let cs = if root.keyword == "COMPD_CS" {
        root.child("PROJCS")
            .or_else(|| root.child("GEOGCS"))
            .ok_or_else(|| {
                CrsError::Prj(Reason::new(
                    "COMPD_CS without a horizontal system",
                    "COMPD_CS 中没有平面坐标系",
                ))
            })?
    } else {
        &root
    };
    match cs.keyword.as_str() {
        "GEOGCS" => geographic(cs),
        "PROJCS" => projected(cs),
        other => Err(CrsError::Unsupported {
            system: describe(cs),
            reason: Reason::new(
                format!("a {other} is not a longitude/latitude or projected system"),
                format!("{other} 既不是经纬度坐标系，也不是投影坐标系"),
            ),
        }),
    }
}

/// The datums taken without conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Datum {
    Cgcs2000,
    Wgs84,
}

fn geographic(cs: &Node) -> Result<Crs, CrsError> {
    let system = describe(cs);
    let datum = datum(cs, &system)?;
    let degree = 1f64.to_radians();
    if let Some(unit) = cs.child("UNIT").and_then(|u| u.number(1)) {
        if (unit - degree).abs() > 1e-12 {
            return Err(unsupported(
                &system,
                Reason::new("its angular unit is not the degree", "其角度单位不是度"),
            ));
        }
    }
    Ok(match datum {
        Datum::Cgcs2000 => Crs::Cgcs2000,
        Datum::Wgs84 => Crs::Wgs84,
    })
}

fn projected(cs: &Node) -> Result<Crs, CrsError> {
    let system = describe(cs);
    let geogcs = cs.child("GEOGCS").ok_or_else(|| {
        CrsError::Prj(Reason::new(
            format!("{system} has no GEOGCS"),
            format!("{system} 中没有 GEOGCS（地理坐标系）"),
        ))
    })?;
    let datum = datum(geogcs, &system)?;
    let by_authority = match authority(cs).map(epsg::crs_of).transpose()? {
        Some(Crs::GaussKruger(zone)) => Some(zone),
        Some(other) => {
            return Err(CrsError::Prj(Reason::new(
                format!("{system} is projected but its authority names {other}"),
                format!(
                    "{system} 是投影坐标系，但其 EPSG 代码指的是 {}",
                    other.name_zh()
                ),
            )))
        }
        None => None,
    };
    if datum == Datum::Wgs84 {
        return Err(unsupported(
            &system,
            Reason::new(
                "projected WGS84 systems (UTM, Web Mercator) are not supported; the projected systems supported are the CGCS2000 Gauss-Krüger zones",
                "不支持 WGS84 的投影坐标系（UTM、Web 墨卡托）；支持的投影坐标系为 CGCS2000 高斯-克吕格投影带",
            ),
        ));
    }
    if let Some(unit) = cs.child("UNIT").and_then(|u| u.number(1)) {
        if (unit - 1.0).abs() > 1e-12 {
            return Err(unsupported(
                &system,
                Reason::new("its unit is not the metre", "其长度单位不是米"),
            ));
        }
    }
    let declared = by_authority.or_else(|| zone_named(cs.name().unwrap_or_default()));
    let by_parameters = parameters(cs, declared.map(GkZone::width));
    match (declared, by_parameters) {
        (Some(zone), Ok(p)) if zone == p => Ok(Crs::GaussKruger(zone)),
        (Some(zone), Ok(p)) => Err(CrsError::Prj(Reason::new(
            format!(
                "{system} names {} but its parameters describe {}",
                Crs::GaussKruger(zone),
                Crs::GaussKruger(p)
            ),
            format!(
                "{system} 的名称是 {}，但其参数描述的是 {}",
                Crs::GaussKruger(zone).name_zh(),
                Crs::GaussKruger(p).name_zh()
            ),
        ))),
        (_, Err(reason)) => Err(unsupported(&system, reason)),
        (None, Ok(p)) => Ok(Crs::GaussKruger(p)),
    }
}

/// The zone of a Gauss-Krüger parameter set, or why the parameters are not one.
fn parameters(cs: &Node, width: Option<ZoneWidth>) -> Result<GkZone, Reason> {
    let lacks = |what: &str| Reason::new(format!("it has no {what}"), format!("其中没有 {what}"));
    let projection = cs
        .child("PROJECTION")
        .and_then(Node::name)
        .ok_or_else(|| lacks("PROJECTION"))?;
    if !matches!(
        normalize(projection).as_str(),
        "transverse_mercator" | "gauss_kruger"
    ) {
        return Err(Reason::new(
            format!("its projection {projection} is not Gauss-Krüger (transverse Mercator)"),
            format!("其投影方式 {projection} 不是高斯-克吕格（横轴墨卡托）"),
        ));
    }
    let value = |name: &str| {
        cs.children("PARAMETER")
            .find(|p| p.name().is_some_and(|n| normalize(n) == name))
            .and_then(|p| p.number(1))
    };
    let cm = value("central_meridian").ok_or_else(|| lacks("central_meridian"))?;
    let fe = value("false_easting").ok_or_else(|| lacks("false_easting"))?;
    let k = value("scale_factor").unwrap_or(1.0);
    let others = [value("latitude_of_origin"), value("false_northing")];
    if (k - 1.0).abs() > 1e-12 {
        return Err(Reason::new(
            format!("its scale factor is {k}; Gauss-Krüger zones have 1 (0.9996 is UTM)"),
            format!("其比例因子为 {k}；高斯-克吕格投影带为 1（0.9996 是 UTM）"),
        ));
    }
    if others.iter().flatten().any(|v| *v != 0.0) {
        return Err(Reason::new(
            "its latitude of origin or false northing is not 0",
            "其起始纬度或北偏移不为 0",
        ));
    }
    GkZone::from_parameters(cm, fe, width)
}

/// The zone an ESRI or GDAL name declares (`CGCS2000_3_Degree_GK_Zone_35`,
/// `CGCS2000 / Gauss-Kruger CM 75E`, …).
fn zone_named(name: &str) -> Option<GkZone> {
    let name = normalize(name);
    let rest = name
        .strip_prefix("cgcs2000_")
        .or_else(|| name.strip_prefix("cgcs_2000_"))?;
    let (width, rest) = match rest.strip_prefix("3_degree_") {
        Some(rest) => (ZoneWidth::Three, rest),
        None => (
            ZoneWidth::Six,
            rest.strip_prefix("6_degree_").unwrap_or(rest),
        ),
    };
    let rest = rest
        .strip_prefix("gk_")
        .or_else(|| rest.strip_prefix("gauss_kruger_"))?;
    if let Some(number) = rest.strip_prefix("zone_") {
        return GkZone::new(width, number.parse().ok()?, true);
    }
    let cm: f64 = rest.strip_prefix("cm_")?.strip_suffix('e')?.parse().ok()?;
    GkZone::new(width, width.zone_at(cm)?, false)
}

/// The datum of a GEOGCS, or the refusal naming `system`.
fn datum(geogcs: &Node, system: &str) -> Result<Datum, CrsError> {
    let node = geogcs.child("DATUM").ok_or_else(|| {
        CrsError::Prj(Reason::new(
            format!("{system} has no DATUM"),
            format!("{system} 中没有 DATUM（大地基准）"),
        ))
    })?;
    let name = normalize(node.name().unwrap_or_default());
    let spheroid = node.child("SPHEROID");
    let spheroid_name = normalize(spheroid.and_then(Node::name).unwrap_or_default());
    let (a, rf) = (
        spheroid.and_then(|s| s.number(1)),
        spheroid.and_then(|s| s.number(2)),
    );
    let has = |words: &[&str]| words.iter().any(|w| name.contains(w));
    let older = if has(&["new_beijing"]) {
        Some("New Beijing")
    } else if has(&["beijing_1954", "beijing1954"])
        || spheroid_name.contains("krass")
        || spheroid_name.contains("krasov")
    {
        Some("Beijing 1954")
    } else if has(&["xian_1980", "xian1980"]) || a == Some(6_378_140.0) {
        Some("Xian 1980")
    } else {
        None
    };
    if let Some(datum) = older {
        return Err(CrsError::NeedsDatumGrid {
            system: system.to_owned(),
            datum,
        });
    }
    let (datum, expected_rf) = if has(&["china_2000", "cgcs2000", "cgcs_2000", "china_geodetic"]) {
        (Datum::Cgcs2000, 298.257_222_101)
    } else if has(&["wgs_1984", "wgs84", "wgs_84", "world_geodetic_system_1984"]) {
        (Datum::Wgs84, 298.257_223_563)
    } else {
        let name = node.name().unwrap_or("(unnamed)");
        return Err(unsupported(
            system,
            Reason::new(
                format!("its datum {name} is neither CGCS2000 nor WGS84"),
                format!("其大地基准 {name} 既不是 CGCS2000 也不是 WGS84"),
            ),
        ));
    };
    let spheroid_agrees = a.is_none_or(|a| (a - 6_378_137.0).abs() < 1e-6)
        && rf.is_none_or(|rf| (rf - expected_rf).abs() < 1e-6);
    if !spheroid_agrees {
        return Err(unsupported(
            system,
            Reason::new(
                "its spheroid does not match its datum",
                "其椭球与大地基准不一致",
            ),
        ));
    }
    let greenwich = geogcs.child("PRIMEM").and_then(|p| p.number(1));
    if greenwich.is_some_and(|g| g != 0.0) {
        return Err(unsupported(
            system,
            Reason::new(
                "its prime meridian is not Greenwich",
                "其本初子午线不是格林尼治",
            ),
        ));
    }
    Ok(datum)
}

/// The EPSG code of a node's own `AUTHORITY`.
fn authority(node: &Node) -> Option<u32> {
    let authority = node.child("AUTHORITY")?;
    if !authority.name()?.eq_ignore_ascii_case("EPSG") {
        return None;
    }
    match authority.args.get(1)? {
        wkt::Arg::Text(code) => code.trim().parse().ok(),
        wkt::Arg::Number(code) => Some(*code as u32),
        _ => None,
    }
}

/// The system's name as the `.prj` gives it, with its EPSG code if it has one.
fn describe(node: &Node) -> String {
    let name = format!("\"{}\"", node.name().unwrap_or("unnamed"));
    match authority(node) {
        Some(code) => format!("{name} (EPSG:{code})"),
        None => name,
    }
}

fn unsupported(system: &str, reason: Reason) -> CrsError {
    CrsError::Unsupported {
        system: system.to_owned(),
        reason,
    }
}

/// Lower case, every run of other characters than letters and digits one `_`.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `gdalsrsinfo` output for every supported code and a sample of refused ones
    /// (`tests/data/make_prj_samples.sh`).
    const SAMPLES: &str = include_str!("../../tests/data/prj_samples.tsv");

    fn samples() -> impl Iterator<Item = (u32, &'static str, &'static str)> {
        SAMPLES.lines().filter(|l| !l.starts_with('#')).map(|l| {
            let mut cols = l.splitn(3, '\t');
            let code = cols.next().and_then(|c| c.parse().ok()).expect("a code");
            (
                code,
                cols.next().expect("a flavour"),
                cols.next().expect("wkt"),
            )
        })
    }

    #[test]
    fn every_supported_code_is_read_from_its_gdal_and_esri_prj() {
        let mut read = 0;
        for (code, flavour, wkt) in samples() {
            if let Ok(expected) = Crs::from_epsg(code) {
                assert_eq!(from_prj(wkt), Ok(expected), "EPSG:{code} {flavour}");
                read += 1;
            }
        }
        assert_eq!(read, 2 * 66, "66 codes, two flavours each");
    }

    #[test]
    fn unnamed_prj_files_are_read_from_their_parameters() {
        for (code, flavour, wkt) in samples() {
            let Ok(Crs::GaussKruger(zone)) = Crs::from_epsg(code) else {
                continue;
            };
            let name = wkt.split('"').nth(1).expect("a name");
            let anonymous = wkt
                .replacen(name, "Unknown", 1)
                .replace(&format!(",AUTHORITY[\"EPSG\",\"{code}\"]]"), "]");
            let Ok(Crs::GaussKruger(read)) = from_prj(&anonymous) else {
                panic!("EPSG:{code} {flavour}: {:?}", from_prj(&anonymous));
            };
            assert_eq!(
                (read.central_meridian(), read.false_easting()),
                (zone.central_meridian(), zone.false_easting()),
                "EPSG:{code} {flavour}"
            );
            // Without the prefix a 6° meridian is read as the 3° zone (same projection).
            if zone.prefixed() || zone.width() == ZoneWidth::Three {
                assert_eq!(read, zone, "EPSG:{code} {flavour}");
            }
        }
    }

    #[test]
    fn older_datums_are_refused_naming_the_system_and_the_datum() {
        let mut refused = 0;
        for (code, flavour, wkt) in samples() {
            let Some(datum) = epsg::older_datum(code) else {
                continue;
            };
            match from_prj(wkt) {
                Err(e @ CrsError::NeedsDatumGrid { datum: d, .. }) => {
                    assert_eq!(d, datum, "EPSG:{code} {flavour}");
                    let name = wkt.split('"').nth(1).expect("a name");
                    assert!(e.to_string().contains(name), "{e}");
                }
                other => panic!("EPSG:{code} {flavour}: {other:?}"),
            }
            refused += 1;
        }
        assert!(refused >= 30, "{refused}");
    }

    #[test]
    fn other_systems_are_refused_with_the_reason() {
        for (code, flavour, wkt) in samples() {
            if [32648, 3857, 4479].contains(&code) {
                let err = from_prj(wkt).expect_err("refused");
                assert!(
                    matches!(err, CrsError::Unsupported { .. }),
                    "EPSG:{code} {flavour}: {err:?}"
                );
            }
        }
    }

    const ARCGIS_TM: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_105E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;

    #[test]
    fn hand_written_variants_are_read_or_refused_with_the_reason() {
        let cm105 = Crs::from_epsg(4544).expect("known");
        assert_eq!(from_prj(ARCGIS_TM), Ok(cm105));
        assert_eq!(from_prj(&format!("{ARCGIS_TM}\r\n")), Ok(cm105));
        let compound =
            format!("COMPD_CS[\"with heights\",{ARCGIS_TM},VERT_CS[\"h\",VERT_DATUM[\"x\",2005]]]");
        assert_eq!(from_prj(&compound), Ok(cm105));
        let cases = [
            (
                ARCGIS_TM.replace("CM_105E", "Zone_35"),
                "parameters describe",
            ),
            (
                ARCGIS_TM
                    .replace("Central_Meridian\",105.0", "Central_Meridian\",104.5")
                    .replace("CM_105E", "Local"),
                "central meridian 104.5",
            ),
            (
                ARCGIS_TM.replace("Scale_Factor\",1.0", "Scale_Factor\",0.9996"),
                "scale factor",
            ),
            (
                ARCGIS_TM.replace("Transverse_Mercator", "Albers"),
                "projection Albers",
            ),
            (
                ARCGIS_TM.replace("UNIT[\"Meter\",1.0]", "UNIT[\"Foot\",0.3048]"),
                "metre",
            ),
            (
                ARCGIS_TM.replace("D_China_2000", "D_North_American_1983"),
                "D_North_American_1983",
            ),
            (ARCGIS_TM.replace("]]", "]"), "cannot be read"),
        ];
        for (wkt, expected) in cases {
            let err = from_prj(&wkt).expect_err("refused").to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }
}
