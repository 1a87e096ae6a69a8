//! Coordinate systems of incoming data, converted to WGS84 longitude/latitude (the stored system),
//! and a local metric frame for distances in metres.
//!
//! | system | [`Crs`] | conversion to WGS84 |
//! |---|---|---|
//! | WGS84 lon/lat, EPSG:4326 | `Wgs84` | none |
//! | CGCS2000 lon/lat, EPSG:4490, China's datum | `Cgcs2000` | none, treated as equal at the metre level: the frames agree to centimetres at epoch 2000.0 and have since drifted apart by China's plate motion, under a metre, below the accuracy of this data |
//! | GCJ-02, BD-09 of Chinese web maps | `Gcj02`, `Bd09` | the published transforms, inverted exactly ([`web_maps`]) |
//! | CGCS2000 Gauss-Krüger zones, EPSG:4491–4554 | `GaussKruger` | inverse transverse Mercator ([`gauss_kruger`], codes in [`epsg`]) |
//!
//! [`from_prj`] reads the system from a Shapefile's `.prj`. Beijing 1954, New Beijing and Xian 1980
//! are refused: they differ from CGCS2000 by tens of metres or more, and converting them needs a
//! datum grid or local parameters this program does not have.
//!
//! Import converts with [`Crs::to_wgs84_checked`], which refuses a coordinate that cannot belong to
//! the declared system (a wrong zone, swapped axes, metres given as degrees) instead of placing it
//! somewhere else; [`Crs::to_wgs84`] converts without asking.

pub mod epsg;
pub mod gauss_kruger;
mod local;
mod lonlat;
pub mod prj;
pub mod web_maps;
mod wkt;

use std::fmt;
use std::str::FromStr;

use geo_types::Coord;

use crate::Reason;

pub use gauss_kruger::{GkZone, ZoneWidth};
pub use local::{LocalFrame, EARTH_RADIUS_M};
pub use prj::from_prj;
pub use web_maps::{bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02};

/// What an unchecked conversion gives for a coordinate a zone cannot convert.
const NOWHERE: Coord = Coord {
    x: f64::NAN,
    y: f64::NAN,
};

/// The coordinate system of incoming data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Crs {
    /// WGS84 longitude/latitude, EPSG:4326 (no conversion).
    #[default]
    Wgs84,
    /// CGCS2000 longitude/latitude, EPSG:4490: taken as WGS84, equal at the metre level.
    Cgcs2000,
    /// GCJ-02 "Mars coordinates" (`AMap`, Tencent, Google China).
    Gcj02,
    /// BD-09 (Baidu Maps).
    Bd09,
    /// A CGCS2000 Gauss-Krüger zone, easting/northing in metres (EPSG:4491–4554).
    GaussKruger(GkZone),
}

/// Why a coordinate system or a coordinate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    #[error("unknown coordinate system \"{0}\" (use wgs84, cgcs2000, gcj02, bd09, EPSG:4326, EPSG:4490 or a CGCS2000 Gauss-Krüger zone EPSG:4491–4554)")]
    Unknown(String),
    /// Beijing 1954, New Beijing, Xian 1980 and their projections.
    #[error("{system} is on the {datum} datum, which differs from CGCS2000/WGS84 by tens of metres or more; converting it needs a datum grid or local transformation parameters and is not supported: reproject the data to CGCS2000 (EPSG:4490 or a CGCS2000 Gauss-Krüger zone) first")]
    NeedsDatumGrid { system: String, datum: &'static str },
    #[error("{system} is not supported: {reason}")]
    Unsupported { system: String, reason: Reason },
    #[error("the .prj cannot be read: {0}")]
    Prj(Reason),
    /// A coordinate that cannot belong to the declared system; callers add where it was.
    #[error("({x}, {y}) cannot be a coordinate in {crs}: {reason}")]
    Refused {
        x: f64,
        y: f64,
        crs: Crs,
        reason: Reason,
    },
}

impl CrsError {
    /// The refusal in English and Chinese, for a [`crate::Problem`].
    pub fn reason(&self) -> Reason {
        let zh = match self {
            CrsError::Unknown(name) => format!(
                "未知的坐标系“{name}”（可用：wgs84、cgcs2000、gcj02、bd09、EPSG:4326、EPSG:4490，或 CGCS2000 高斯-克吕格投影带 EPSG:4491–4554）"
            ),
            CrsError::NeedsDatumGrid { system, datum } => format!(
                "{system} 是{}坐标系，与 CGCS2000/WGS84 相差数十米以上；转换需要格网文件或当地转换参数，本系统不支持：请先把数据转换为 CGCS2000（EPSG:4490 或 CGCS2000 高斯-克吕格投影带）",
                datum_zh(datum)
            ),
            CrsError::Unsupported { system, reason } => {
                format!("不支持 {system}：{}", reason.zh)
            }
            CrsError::Prj(reason) => format!(".prj 文件无法识别：{}", reason.zh),
            CrsError::Refused { x, y, crs, reason } => format!(
                "({x}, {y}) 不可能是 {}的坐标：{}",
                crs.name_zh(),
                reason.zh
            ),
        };
        Reason::new(self.to_string(), zh)
    }
}

/// China's older datums by their Chinese names (北京54, 新北京54, 西安80).
fn datum_zh(datum: &str) -> String {
    match datum {
        "Beijing 1954" => "北京54（Beijing 1954）".into(),
        "New Beijing" => "新北京54（New Beijing）".into(),
        "Xian 1980" => "西安80（Xian 1980）".into(),
        other => other.into(),
    }
}

impl FromStr for Crs {
    type Err = CrsError;

    /// `wgs84`, `cgcs2000`, `gcj02`, `bd09` (any case, `gcj-02`, `bd-09` too), `EPSG:nnnn`
    /// (`epsg:nnnn`, `EPSG::nnnn`, `urn:ogc:def:crs:EPSG::nnnn`) and `CRS84`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        match name.as_str() {
            "wgs84" | "wgs-84" | "crs84" | "ogc:crs84" => return Ok(Crs::Wgs84),
            "cgcs2000" => return Ok(Crs::Cgcs2000),
            "gcj02" | "gcj-02" => return Ok(Crs::Gcj02),
            "bd09" | "bd-09" => return Ok(Crs::Bd09),
            _ => {}
        }
        let code = name
            .strip_prefix("urn:ogc:def:crs:epsg:")
            .or_else(|| name.strip_prefix("epsg:"))
            .and_then(|rest| rest.rsplit(':').next())
            .and_then(|n| n.parse::<u32>().ok());
        match code {
            Some(code) => Crs::from_epsg(code),
            None => Err(CrsError::Unknown(s.to_owned())),
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Wgs84 => f.write_str("WGS84 (EPSG:4326)"),
            Crs::Cgcs2000 => f.write_str("CGCS2000 (EPSG:4490)"),
            Crs::Gcj02 => f.write_str("GCJ-02"),
            Crs::Bd09 => f.write_str("BD-09"),
            Crs::GaussKruger(zone) => write!(f, "EPSG:{} ({zone})", zone.epsg()),
        }
    }
}

impl Crs {
    /// The system as Chinese users name it (`EPSG:4523（CGCS2000 3度带高斯-克吕格 第35带，中央经线
    /// 105°E）`, `GCJ-02（火星坐标，高德、腾讯地图）`).
    pub fn name_zh(self) -> String {
        match self {
            Crs::Wgs84 => "WGS84（EPSG:4326）".into(),
            Crs::Cgcs2000 => "CGCS2000（EPSG:4490）".into(),
            Crs::Gcj02 => "GCJ-02（火星坐标，高德、腾讯地图）".into(),
            Crs::Bd09 => "BD-09（百度坐标）".into(),
            Crs::GaussKruger(zone) => format!("EPSG:{}（{}）", zone.epsg(), zone.name_zh()),
        }
    }

    /// The system of an EPSG code: 4326, 4490 or a CGCS2000 Gauss-Krüger zone 4491–4554.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        epsg::crs_of(code)
    }

    /// The system a Shapefile's `.prj` (WKT1, ESRI or GDAL style) declares.
    pub fn from_prj(text: &str) -> Result<Crs, CrsError> {
        prj::from_prj(text)
    }

    /// The EPSG code, for systems that have one.
    pub fn epsg(self) -> Option<u16> {
        match self {
            Crs::Wgs84 => Some(4326),
            Crs::Cgcs2000 => Some(4490),
            Crs::Gcj02 | Crs::Bd09 => None,
            Crs::GaussKruger(zone) => Some(zone.epsg()),
        }
    }

    /// Whether coordinates are longitude/latitude degrees (else easting/northing metres).
    pub fn is_geographic(self) -> bool {
        !matches!(self, Crs::GaussKruger(_))
    }

    /// Converts a coordinate in this system to WGS84 lon/lat without checking that it can belong
    /// to the system (a projected coordinate that cannot be inverted becomes NaN). Import uses
    /// [`Crs::to_wgs84_checked`].
    pub fn to_wgs84(self, c: Coord) -> Coord {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => c,
            Crs::Gcj02 => gcj02_to_wgs84(c),
            Crs::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(c)),
            Crs::GaussKruger(zone) => zone.inverse(c).unwrap_or(NOWHERE),
        }
    }

    /// Converts a coordinate in this system to WGS84 lon/lat, or says why it cannot belong to the
    /// system: see [`GkZone::check`] for the zones and the `lonlat` module for lon/lat systems
    /// (ranges, swapped axes, metres given as degrees, GCJ-02/BD-09 outside China).
    pub fn to_wgs84_checked(self, c: Coord) -> Result<Coord, CrsError> {
        let checked = match self {
            Crs::GaussKruger(zone) => zone.check(c),
            _ => lonlat::check(self, c).map(|()| self.to_wgs84(c)),
        };
        checked.map_err(|reason| CrsError::Refused {
            x: c.x,
            y: c.y,
            crs: self,
            reason,
        })
    }

    /// Converts WGS84 lon/lat to this system (for export); NaN where a zone cannot project it.
    pub fn from_wgs84(self, c: Coord) -> Coord {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => c,
            Crs::Gcj02 => wgs84_to_gcj02(c),
            Crs::Bd09 => gcj02_to_bd09(wgs84_to_gcj02(c)),
            Crs::GaussKruger(zone) => zone.forward(c).unwrap_or(NOWHERE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    #[test]
    fn crs_names_parse_and_unknown_ones_are_refused() {
        assert_eq!("GCJ02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!("bd09".parse::<Crs>(), Ok(Crs::Bd09));
        assert_eq!("wgs84".parse::<Crs>(), Ok(Crs::Wgs84));
        assert_eq!("CGCS2000".parse::<Crs>(), Ok(Crs::Cgcs2000));
        let err = "utm".parse::<Crs>().expect_err("refused");
        assert!(matches!(err, CrsError::Unknown(_)));
        assert!(err.to_string().contains("\"utm\""), "{err}");
    }

    #[test]
    fn epsg_codes_parse_in_every_spelling() {
        let zone35 = Crs::GaussKruger(GkZone::from_epsg(4523).expect("a zone"));
        for s in [
            "EPSG:4523",
            "epsg:4523",
            " EPSG::4523 ",
            "urn:ogc:def:crs:EPSG::4523",
        ] {
            assert_eq!(s.parse::<Crs>(), Ok(zone35), "{s}");
        }
        assert_eq!("EPSG:4490".parse::<Crs>(), Ok(Crs::Cgcs2000));
        assert_eq!("epsg:4326".parse::<Crs>(), Ok(Crs::Wgs84));
        assert_eq!(zone35.epsg(), Some(4523));
        assert_eq!(
            zone35.to_string(),
            "EPSG:4523 (CGCS2000 3-degree Gauss-Krüger zone 35, CM 105°E)"
        );
        assert!(matches!(
            "EPSG:2383".parse::<Crs>(),
            Err(CrsError::NeedsDatumGrid { .. })
        ));
        assert!(matches!(
            "EPSG:32648".parse::<Crs>(),
            Err(CrsError::Unsupported { .. })
        ));
        assert!(matches!("EPSG:x".parse::<Crs>(), Err(CrsError::Unknown(_))));
    }

    #[test]
    fn conversions_of_every_system_round_trip() {
        let w = coord! { x: 105.4420, y: 28.9010 };
        for crs in [Crs::Wgs84, Crs::Cgcs2000, Crs::Gcj02, Crs::Bd09]
            .into_iter()
            .chain([4523, 4544, 4496, 4507].map(|c| Crs::from_epsg(c).expect("known")))
        {
            let there = crs.from_wgs84(w);
            let back = crs.to_wgs84_checked(there).expect("valid");
            assert!(
                (back.x - w.x).abs() < 1e-9 && (back.y - w.y).abs() < 1e-9,
                "{crs}: {back:?}"
            );
            assert_eq!(crs.is_geographic(), crs.epsg().is_none_or(|e| e < 4491));
        }
    }

    #[test]
    fn refusals_name_the_coordinate_and_the_system() {
        let err = Crs::Wgs84
            .to_wgs84_checked(coord! { x: 28.9, y: 105.44 })
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            text.starts_with("(28.9, 105.44) cannot be a coordinate in WGS84 (EPSG:4326): ")
                && text.contains("swapped"),
            "{text}"
        );
        assert_eq!(
            err.reason().zh,
            "(28.9, 105.44) 不可能是 WGS84（EPSG:4326）的坐标：纬度超出范围：经度和纬度似乎填反了（经度在前）"
        );
        assert_eq!(err.reason().en, text);
        let unknown = "utm".parse::<Crs>().expect_err("refused").reason();
        assert!(unknown.zh.starts_with("未知的坐标系“utm”"), "{unknown:?}");
    }
}
