//! CGCS2000 Gauss-Krüger zones: transverse Mercator on the CGCS2000 ellipsoid (a = 6378137 m,
//! 1/f = 298.257222101), scale 1 on the central meridian, latitude of origin 0, false northing 0,
//! false easting 500 km — plus the zone number × 1,000 km when the easting carries the zone prefix.
//!
//! | zones | central meridian | EPSG, prefixed | EPSG, without prefix |
//! |---|---|---|---|
//! | 6°, 13–23 | 6·n − 3 = 75°…135°E | 4491–4501 | 4502–4512 |
//! | 3°, 25–45 | 3·n = 75°…135°E | 4513–4533 | 4534–4554 |
//!
//! The projection is proj4rs's `tmerc`, the Poder/Engsager algorithm that PROJ uses: Krüger's
//! series to 6th order in n (Karney, "Transverse Mercator with an accuracy of a few nanometers",
//! J. Geodesy 85, 2011). It agrees with PROJ within 10⁻⁷ m in every zone
//! (`tests/crs_against_proj.rs`).

use std::fmt;
use std::sync::OnceLock;

use geo_types::Coord;
use proj4rs::proj::Proj;

use super::epsg;
use crate::Reason;

/// How far beyond its edge a zone's data may lie, in degrees of longitude. Covers the overlap
/// strips of Chinese survey practice (30′) and a city or county kept whole in one zone across its
/// edge. The check catches coordinates of another system or a far zone; zones without the prefix
/// share one easting range, so data of the *neighbouring* such zone cannot be told apart.
pub const ZONE_TOLERANCE_DEG: f64 = 1.0;

/// The latitudes a northing in China can give (the territory spans 3.8°–53.6°N).
pub const CHINA_LATITUDES: std::ops::RangeInclusive<f64> = 0.0..=56.0;

/// Width of a Gauss-Krüger zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneWidth {
    Three,
    Six,
}

impl ZoneWidth {
    pub fn degrees(self) -> f64 {
        match self {
            ZoneWidth::Three => 3.0,
            ZoneWidth::Six => 6.0,
        }
    }

    /// The zone numbers covering China.
    pub fn zones(self) -> std::ops::RangeInclusive<u8> {
        match self {
            ZoneWidth::Three => 25..=45,
            ZoneWidth::Six => 13..=23,
        }
    }

    /// The zone whose central meridian this is, if any.
    pub fn zone_at(self, central_meridian: f64) -> Option<u8> {
        self.zones()
            .find(|&n| (Self::meridian(self, n) - central_meridian).abs() < 1e-9)
    }

    fn meridian(self, number: u8) -> f64 {
        match self {
            ZoneWidth::Three => 3.0 * f64::from(number),
            ZoneWidth::Six => 6.0 * f64::from(number) - 3.0,
        }
    }
}

/// One CGCS2000 Gauss-Krüger zone as EPSG defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GkZone {
    width: ZoneWidth,
    number: u8,
    prefixed: bool,
}

impl GkZone {
    /// Zone `number` of `width`, its eastings with or without the zone prefix.
    pub fn new(width: ZoneWidth, number: u8, prefixed: bool) -> Option<GkZone> {
        width.zones().contains(&number).then_some(GkZone {
            width,
            number,
            prefixed,
        })
    }

    /// The zone of a central meridian and false easting. Without the prefix a 6° zone's meridian
    /// (75°, 81°, … 135°E) is also a 3° zone's and the projections are the same: `width` decides,
    /// else the 3° zone is taken, the one large-scale (city, street) surveys use.
    pub fn from_parameters(
        central_meridian: f64,
        false_easting: f64,
        width: Option<ZoneWidth>,
    ) -> Result<GkZone, Reason> {
        let widths = width.map_or([ZoneWidth::Three, ZoneWidth::Six], |w| [w, w]);
        let prefix = (false_easting - 500_000.0) / 1e6;
        let zone = widths.into_iter().find_map(|w| {
            let number = w.zone_at(central_meridian)?;
            let prefixed = (prefix - f64::from(number)).abs() < 1e-9;
            (prefixed || prefix.abs() < 1e-9).then_some(GkZone {
                width: w,
                number,
                prefixed,
            })
        });
        zone.ok_or_else(|| {
            Reason::new(
                format!(
                    "central meridian {central_meridian}°E with false easting {false_easting} is not a CGCS2000 Gauss-Krüger zone's (meridians 75°–135°E every 3° or 6°, false easting 500000 or the zone number × 1000000 + 500000)"
                ),
                format!(
                    "中央经线 {central_meridian}°E、东偏移 {false_easting} 不是任何 CGCS2000 高斯-克吕格投影带的参数（中央经线为 75°–135°E 之间每 3° 或 6° 一条，东偏移为 500000 或“带号 × 1000000 + 500000”）"
                ),
            )
        })
    }

    /// The zone of an EPSG code 4491–4554.
    pub fn from_epsg(code: u32) -> Option<GkZone> {
        epsg::zone_of(code)
    }

    /// Every zone, in EPSG order.
    pub fn all() -> impl Iterator<Item = GkZone> {
        (4491..=4554).filter_map(GkZone::from_epsg)
    }

    pub fn epsg(self) -> u16 {
        epsg::code_of(self)
    }

    pub fn width(self) -> ZoneWidth {
        self.width
    }

    pub fn number(self) -> u8 {
        self.number
    }

    pub fn prefixed(self) -> bool {
        self.prefixed
    }

    pub fn central_meridian(self) -> f64 {
        self.width.meridian(self.number)
    }

    pub fn false_easting(self) -> f64 {
        let prefix = if self.prefixed {
            f64::from(self.number) * 1e6
        } else {
            0.0
        };
        prefix + 500_000.0
    }

    /// The same zone with or without the prefix.
    #[must_use]
    pub fn with_prefix(self, prefixed: bool) -> GkZone {
        GkZone { prefixed, ..self }
    }

    /// Easting/northing → lon/lat degrees (None only far outside any zone).
    pub fn inverse(self, c: Coord) -> Option<Coord> {
        let p = projections();
        let mut point = (c.x, c.y, 0.0);
        proj4rs::transform::transform(p.zone(self), &p.geographic, &mut point).ok()?;
        let lonlat = Coord {
            x: point.0.to_degrees(),
            y: point.1.to_degrees(),
        };
        (lonlat.x.is_finite() && lonlat.y.is_finite()).then_some(lonlat)
    }

    /// Lon/lat degrees → easting/northing (None only far outside any zone).
    pub fn forward(self, c: Coord) -> Option<Coord> {
        let p = projections();
        let mut point = (c.x.to_radians(), c.y.to_radians(), 0.0);
        proj4rs::transform::transform(&p.geographic, p.zone(self), &mut point).ok()?;
        let en = Coord {
            x: point.0,
            y: point.1,
        };
        (en.x.is_finite() && en.y.is_finite()).then_some(en)
    }

    /// Lon/lat of an easting/northing that can belong to this zone, or why it cannot: the easting's
    /// millions are the zone number when prefixed (and no zone number otherwise), the northing
    /// lies in China ([`CHINA_LATITUDES`]) and the point within the zone plus
    /// [`ZONE_TOLERANCE_DEG`].
    pub fn check(self, c: Coord) -> Result<Coord, Reason> {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(Reason::new("not a number", "不是有效数字"));
        }
        if c.x.abs() <= 180.0 && c.y.abs() <= 90.0 {
            return Err(Reason::new(
                "these look like longitude/latitude degrees, not metres: declare a geographic system (wgs84, cgcs2000, EPSG:4490)",
                "这看起来是经纬度（度），不是投影坐标（米）：请改注明经纬度坐标系（wgs84、cgcs2000、EPSG:4490）",
            ));
        }
        self.check_prefix(c.x)?;
        if c.y < 0.0 {
            return Err(Reason::new(
                format!("northing {} is negative, south of the equator", c.y),
                format!("北坐标 {} 为负数，位于赤道以南", c.y),
            ));
        }
        let lonlat = self.inverse(c).ok_or_else(|| {
            Reason::new(
                format!("easting {} is far outside the zone", c.x),
                format!("东坐标 {} 远在本投影带之外", c.x),
            )
        })?;
        if !CHINA_LATITUDES.contains(&lonlat.y) {
            return Err(Reason::new(
                format!(
                    "northing {} gives latitude {:.2}°N, north of China (up to {}°N)",
                    c.y,
                    lonlat.y,
                    CHINA_LATITUDES.end()
                ),
                format!(
                    "北坐标 {} 对应北纬 {:.2}°，超出中国范围（最北约北纬 {}°）",
                    c.y,
                    lonlat.y,
                    CHINA_LATITUDES.end()
                ),
            ));
        }
        let off = (lonlat.x - self.central_meridian()).abs();
        let half = self.width.degrees() / 2.0;
        if off > half + ZONE_TOLERANCE_DEG {
            let cm = self.central_meridian();
            return Err(Reason::new(
                format!(
                    "it lies at {:.2}°E, {off:.2}° from the central meridian {cm}°E, beyond the zone's {half}° half-width plus {ZONE_TOLERANCE_DEG}°",
                    lonlat.x,
                ),
                format!(
                    "该点位于东经 {:.2}°，距中央经线 {cm}°E 有 {off:.2}°，超出本带半宽 {half}° 再加 {ZONE_TOLERANCE_DEG}° 的范围：请检查坐标或投影带",
                    lonlat.x,
                ),
            ));
        }
        Ok(lonlat)
    }

    /// The zone prefix an easting carries (its millions) must be this zone's, or none.
    fn check_prefix(self, easting: f64) -> Result<(), Reason> {
        let millions = (easting / 1e6).floor();
        if !(0.0..=99.0).contains(&millions) {
            return Err(Reason::new(
                format!("easting {easting} is out of range"),
                format!("东坐标 {easting} 超出范围"),
            ));
        }
        let millions = millions as u8;
        let named = [self.width, other(self.width)]
            .into_iter()
            .find_map(|w| GkZone::new(w, millions, true));
        let number = self.number;
        let crs = |zone: GkZone| super::Crs::GaussKruger(zone);
        match (self.prefixed, named) {
            (true, _) if millions == number => Ok(()),
            (true, _) if millions == 0 => {
                let bare = crs(self.with_prefix(false));
                Err(Reason::new(
                    format!(
                        "easting {easting} has no zone prefix, but eastings of zone {number} begin with {number}: is the data in {bare}?"
                    ),
                    format!(
                        "东坐标 {easting} 没有带号，而第 {number} 带的东坐标以 {number} 开头：数据是否其实是 {}？",
                        bare.name_zh()
                    ),
                ))
            }
            (true, Some(zone)) => Err(Reason::new(
                format!(
                    "easting {easting} begins with {millions}, the prefix of {}, not of zone {number}",
                    crs(zone)
                ),
                format!(
                    "东坐标 {easting} 以 {millions} 开头，这是 {} 的带号，不是第 {number} 带的",
                    crs(zone).name_zh()
                ),
            )),
            (true, None) => Err(Reason::new(
                format!("easting {easting} does not begin with the zone number {number}"),
                format!("东坐标 {easting} 没有以带号 {number} 开头"),
            )),
            (false, Some(zone)) => Err(Reason::new(
                format!(
                    "easting {easting} carries the zone prefix {millions}: is the data in {}?",
                    crs(zone)
                ),
                format!(
                    "东坐标 {easting} 带有带号 {millions}：数据是否其实是 {}？",
                    crs(zone).name_zh()
                ),
            )),
            (false, None) => Ok(()),
        }
    }

    /// The zone as a Chinese user names it (`CGCS2000 3度带高斯-克吕格 第35带，中央经线 105°E`).
    pub fn name_zh(self) -> String {
        let width = match self.width {
            ZoneWidth::Three => "3度带",
            ZoneWidth::Six => "6度带",
        };
        let cm = self.central_meridian();
        if self.prefixed {
            format!(
                "CGCS2000 {width}高斯-克吕格 第{}带，中央经线 {cm}°E",
                self.number
            )
        } else {
            format!("CGCS2000 {width}高斯-克吕格，中央经线 {cm}°E（东坐标不带带号）")
        }
    }
}

fn other(width: ZoneWidth) -> ZoneWidth {
    match width {
        ZoneWidth::Three => ZoneWidth::Six,
        ZoneWidth::Six => ZoneWidth::Three,
    }
}

impl fmt::Display for GkZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = match self.width {
            ZoneWidth::Three => "3-degree ",
            ZoneWidth::Six => "",
        };
        let cm = self.central_meridian();
        if self.prefixed {
            write!(
                f,
                "CGCS2000 {width}Gauss-Krüger zone {}, CM {cm}°E",
                self.number
            )
        } else {
            write!(f, "CGCS2000 {width}Gauss-Krüger CM {cm}°E")
        }
    }
}

/// The proj4rs definitions, made once: CGCS2000 lon/lat and every zone in EPSG order.
struct Projections {
    geographic: Proj,
    zones: Vec<Proj>,
}

impl Projections {
    fn zone(&self, zone: GkZone) -> &Proj {
        &self.zones[usize::from(zone.epsg() - 4491)]
    }
}

const ELLIPSOID: &str = "+a=6378137 +rf=298.257222101";

fn projections() -> &'static Projections {
    static PROJECTIONS: OnceLock<Projections> = OnceLock::new();
    PROJECTIONS.get_or_init(|| {
        let parse = |s: &str| Proj::from_proj_string(s).expect("a valid proj4rs definition");
        Projections {
            geographic: parse(&format!("+proj=longlat {ELLIPSOID} +no_defs")),
            zones: GkZone::all()
                .map(|z| {
                    parse(&format!(
                        "+proj=tmerc +lat_0=0 +lon_0={} +k=1 +x_0={} +y_0=0 {ELLIPSOID} +units=m +no_defs",
                        z.central_meridian(),
                        z.false_easting()
                    ))
                })
                .collect(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn zone(code: u32) -> GkZone {
        GkZone::from_epsg(code).expect("a zone")
    }

    #[test]
    fn zone_35_projects_as_proj_does() {
        // gdaltransform -s_srs EPSG:4490 -t_srs EPSG:4523: 105 30 → 35500000 3320113.39784502
        let en = zone(4523)
            .forward(coord! { x: 105.0, y: 30.0 })
            .expect("projects");
        assert!((en.x - 35_500_000.0).abs() < 1e-6, "{en:?}");
        assert!((en.y - 3_320_113.397_845_02).abs() < 1e-6, "{en:?}");
        // ... and 108 30 in EPSG:4545 (CM 108E, no prefix) → 210474.536576977 3323905.46647605
        let en = zone(4545)
            .forward(coord! { x: 105.0, y: 30.0 })
            .expect("projects");
        assert!((en.x - 210_474.536_576_977).abs() < 1e-6, "{en:?}");
        assert!((en.y - 3_323_905.466_476_05).abs() < 1e-6, "{en:?}");
    }

    #[test]
    fn a_prefixed_easting_must_carry_its_own_zone_number() {
        let z35 = zone(4523);
        let luzhou = z35
            .forward(coord! { x: 105.44, y: 28.9 })
            .expect("projects");
        assert!(z35.check(luzhou).is_ok());
        for (shift, expected) in [
            (1e6, ["EPSG:4524", "begins with 36"]),
            (-35e6, ["no zone prefix", "EPSG:4544"]),
            (-17e6, ["begins with 18", "EPSG:4496"]),
            (20e6, ["does not begin", "zone number 35"]),
        ] {
            let err = z35
                .check(coord! { x: luzhou.x + shift, y: luzhou.y })
                .expect_err("refused");
            assert!(expected.iter().all(|e| err.en.contains(e)), "{err}");
            assert!(!err.zh.is_ascii(), "{err:?}");
        }
    }

    #[test]
    fn an_unprefixed_zone_refuses_prefixed_eastings() {
        let cm105 = zone(4544);
        let err = cm105
            .check(coord! { x: 35_512_345.0, y: 3_200_000.0 })
            .expect_err("refused");
        assert!(
            err.en.contains("prefix 35") && err.en.contains("EPSG:4523"),
            "{err}"
        );
        assert_eq!(
            err.zh,
            "东坐标 35512345 带有带号 35：数据是否其实是 EPSG:4523（CGCS2000 3度带高斯-克吕格 第35带，中央经线 105°E）？"
        );
    }

    #[test]
    fn a_point_must_lie_in_its_zone_and_in_china() {
        for code in [4523, 4544, 4496, 4507] {
            let z = zone(code);
            let cm = z.central_meridian();
            let reach = z.width().degrees() / 2.0 + ZONE_TOLERANCE_DEG;
            let inside = z
                .forward(coord! { x: cm + reach - 0.01, y: 40.0 })
                .expect("ok");
            assert!(z.check(inside).is_ok(), "{code}");
            let outside = z
                .forward(coord! { x: cm - reach - 0.01, y: 40.0 })
                .expect("ok");
            let err = z.check(outside).expect_err("refused");
            assert!(
                err.en.contains("from the central meridian"),
                "{code}: {err}"
            );
            assert!(err.zh.contains("距中央经线"), "{code}: {err:?}");
            let north = z.forward(coord! { x: cm, y: 57.0 }).expect("ok");
            assert!(z
                .check(north)
                .expect_err("refused")
                .en
                .contains("north of China"));
            let south = coord! { x: z.false_easting(), y: -1000.0 };
            assert!(z.check(south).expect_err("refused").en.contains("negative"));
        }
    }

    #[test]
    fn degrees_and_garbage_are_refused() {
        let z = zone(4523);
        assert!(z
            .check(coord! { x: 105.4, y: 28.9 })
            .expect_err("refused")
            .en
            .contains("degrees"));
        assert!(z
            .check(coord! { x: f64::NAN, y: 1.0 })
            .expect_err("refused")
            .en
            .contains("not a number"));
        assert!(z
            .check(coord! { x: -5e6, y: 3e6 })
            .expect_err("refused")
            .en
            .contains("out of range"));
    }

    #[test]
    fn zones_describe_themselves_as_epsg_does() {
        assert_eq!(
            zone(4491).to_string(),
            "CGCS2000 Gauss-Krüger zone 13, CM 75°E"
        );
        assert_eq!(zone(4512).to_string(), "CGCS2000 Gauss-Krüger CM 135°E");
        assert_eq!(
            zone(4554).to_string(),
            "CGCS2000 3-degree Gauss-Krüger CM 135°E"
        );
        assert_eq!(GkZone::all().count(), 64);
    }
}
