//! The demo district: 龙马潭区 (Luzhou, Sichuan) with its real streets, communities and villages
//! and their statistical codes, on generated shapes. 红星街道 is filled in detail; 龙南社区 follows
//! the 2022 case study of the district's organisation department (4 grids, 21 compounds of which
//! 19 three-no, 3,056 households, 10,398 residents).
//!
//! Layout (plan metres east/north of [`DEMO_CENTRE`], before a gentle warp): the district spans
//! x −9…8 km, y −6…16.5 km (≈ 335 km²; 龙马潭区 has ≈ 333 km²). The urban streets lie in the
//! south — 红星街道 in the middle (x −2…2 km, y −1.5…1.5 km) with 小市 south of it, 罗汉 and 特兴
//! to the west, 莲花池 and 安宁 to the east, 鱼塘 to the north — and the towns 胡市, 石洞, 双加,
//! 金龙 fill the north. 龙南社区 sits at x 0…650 m, y −300…300 m.
//!
//! The 沱江 (80 m wide here) runs south along x = 0 through 红星街道, between its west and
//! east communities, and on through 小市 to the 长江 along the district's southern edge
//! (`rivers`); nothing is built within 60 m of it there. Ways (`demo_ways`) are drawn last, on
//! the finished plan: boundary roads, lanes, riverside roads, bridges, compound paths.

use std::collections::HashMap;

use engine::{
    CommunityKind, CompoundClass, Dataset, FacilityLevel, Gate, GateKind, OperatingModel,
    PropertyManagement, ServiceType, StationKind,
};
use geo::{Distance, Euclidean};
use geo_types::{Coord, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};

use crate::contents::{
    apportion, everyday_facilities, CommunityPlan, CompoundSpec, Filled, GridSpec, Namer,
    PlacedCompound, Profile, Rand, ScatteredSpec, SpaceSpec, Writer,
};
use crate::demo_ways::{demo_ways, DemoLayout};
use crate::divisions::{self, Division, DivisionLevel};
use crate::layout::{mix, split, Block, Plan, Rect, Warp};
use crate::rivers::{rivers, TUOJIANG_CLEAR, TUOJIANG_STRAIGHT};

/// 龙马潭区's 6-digit code.
pub const DISTRICT_CODE: &str = "510504";
/// 龙马潭区.
pub const DISTRICT_NAME: &str = "龙马潭区";
/// Where the plan's origin lands (WGS84 lon/lat): the west edge of 龙南社区, in 红星街道.
pub const DEMO_CENTRE: Coord = Coord {
    x: 105.437,
    y: 28.913,
};
/// 红星街道, the street laid out in detail.
pub const HONGXING_STREET: &str = "510504003";
/// 龙南社区, modelled on the source documents.
pub const LONGNAN_COMMUNITY: &str = "510504003004";
/// 奥体社区, laid out within the 150/300 households-per-grid rule.
pub const AOTI_COMMUNITY: &str = "510504003006";
/// Deliberately underserved communities: 龙桥子社区 and 玉带桥社区, old communities whose
/// three-no compounds (many elderly residents) have no elderly care or meal help within
/// [`UNDERSERVED_RADIUS_M`]. Their neighbours (长桥, 红星, 大驿坝, 春晖) keep such services on
/// their east side and stay served.
pub const UNDERSERVED_COMMUNITIES: &[&str] = &["510504003001", "510504003002"];
/// Radius, in metres, kept free of elderly care and meal help around the underserved communities'
/// three-no compounds.
pub const UNDERSERVED_RADIUS_M: f64 = 1000.0;

/// Communities of 红星街道 on the 沱江's east bank (双桂社区, 天立社区) whose riverside compounds
/// lie within 300 m in a straight line of elderly care on the west bank ([`RIVER_FACILITIES`])
/// but reach it on foot only over a bridge, far away; their own elderly care keeps 600 m from
/// that riverside, so on foot these compounds are not covered.
pub const RIVER_DIVIDED_COMMUNITIES: &[&str] = &[RIVER_CARE[0].across, RIVER_CARE[1].across];
/// The elderly care on the 沱江's west bank across from each of [`RIVER_DIVIDED_COMMUNITIES`],
/// in that order (in 红星社区 and 大驿坝社区).
pub const RIVER_FACILITIES: &[&str] = &[RIVER_CARE[0].name, RIVER_CARE[1].name];
/// The elderly care across the river from [`RIVER_EXAMPLE_COMPOUND`].
pub const RIVER_FACILITY: &str = RIVER_CARE[1].name;
/// A compound of 天立社区 by the 沱江 that elderly care covers in a straight line
/// ([`RIVER_FACILITY`], about 130 m across the river) but not on foot: the walk there crosses
/// the nearest bridge (about 1.9 km), and its own bank's elderly care is over 700 m away.
pub const RIVER_EXAMPLE_COMPOUND: &str = "玉龙湾";
/// [`RIVER_EXAMPLE_COMPOUND`]'s community.
pub const RIVER_EXAMPLE_COMMUNITY: &str = RIVER_CARE[1].across;

/// Elderly care by the 沱江 across from a river-divided community.
struct RiverCare {
    /// The river-divided community across the river.
    across: &'static str,
    /// The facility's own community, name and place in the plan (between the west riverside
    /// road and the compounds).
    community: &'static str,
    name: &'static str,
    at: Coord,
    /// How far the community across keeps its own elderly care from the riverside facing the
    /// facility, metres.
    keep_m: f64,
}

const RIVER_CARE: [RiverCare; 2] = [
    RiverCare {
        across: "510504003012",
        community: "510504003003",
        name: "红星社区滨江老年活动室",
        at: Coord {
            x: -50.0,
            y: -600.0,
        },
        keep_m: 600.0,
    },
    RiverCare {
        across: "510504003007",
        community: "510504003009",
        name: "大驿坝社区滨江长者服务站",
        at: Coord { x: -50.0, y: 500.0 },
        keep_m: 600.0,
    },
];

/// Safety margin on top of [`UNDERSERVED_RADIUS_M`] when placing services, in metres.
const UNDERSERVED_MARGIN_M: f64 = 100.0;
/// Warp phases; the 4 km terms are flat at the origin so 红星街道 keeps its planned areas.
const DEMO_WARP: [f64; 4] = [
    0.7,
    std::f64::consts::FRAC_PI_2,
    1.3,
    std::f64::consts::FRAC_PI_2,
];
const DEMO_SALT: u64 = 0x006c_6f6e_676e_616e;

/// The district's outline in the plan: corners counter-clockwise from the south-west.
const DISTRICT_OUTLINE: &[(i32, i32)] = &[
    (-9000, -6000),
    (2000, -6000),
    (2000, -5000),
    (8000, -5000),
    (8000, 16500),
    (0, 16500),
    (0, 15000),
    (-6000, 15000),
    (-6000, 9500),
    (-8000, 9500),
    (-8000, -1500),
    (-9000, -1500),
];

/// Each street's block in the plan; together they fill [`DISTRICT_OUTLINE`].
const STREET_BLOCKS: &[(&str, Block)] = &[
    ("510504001", Block::new(-2000, -6000, 2000, -1500)), // 小市街道
    ("510504003", Block::new(-2000, -1500, 2000, 1500)),  // 红星街道
    ("510504004", Block::new(2000, -5000, 8000, -1500)),  // 莲花池街道
    ("510504005", Block::new(-9000, -6000, -2000, -1500)), // 罗汉街道
    ("510504006", Block::new(-2000, 1500, 2000, 5000)),   // 鱼塘街道
    ("510504007", Block::new(2000, -1500, 8000, 5000)),   // 安宁街道
    ("510504008", Block::new(0, 5000, 8000, 9500)),       // 石洞街道
    ("510504009", Block::new(-8000, -1500, -2000, 5000)), // 特兴街道
    ("510504103", Block::new(-8000, 5000, 0, 9500)),      // 胡市镇
    ("510504106", Block::new(-6000, 9500, 0, 15000)),     // 双加镇
    ("510504107", Block::new(0, 9500, 8000, 16500)),      // 金龙镇
];

/// Each 红星街道 community's block: the underserved pair in the west column, a buffer column of
/// four, then 龙南 between 双桂 and 天立, and the new-build east (奥体, 金井湾).
const HONGXING_BLOCKS: &[(&str, Block)] = &[
    ("510504003001", Block::new(-2000, -1500, -1200, 0)), // 龙桥子
    ("510504003002", Block::new(-2000, 0, -1200, 1500)),  // 玉带桥
    ("510504003003", Block::new(-1200, -700, 0, 50)),     // 红星
    ("510504003004", Block::new(0, -300, 650, 300)),      // 龙南
    ("510504003006", Block::new(650, -1500, 2000, -250)), // 奥体
    ("510504003007", Block::new(0, 300, 650, 1500)),      // 天立
    ("510504003008", Block::new(-1200, -1500, 0, -700)),  // 长桥
    ("510504003009", Block::new(-1200, 50, 0, 800)),      // 大驿坝
    ("510504003010", Block::new(650, -250, 2000, 1500)),  // 金井湾
    ("510504003011", Block::new(-1200, 800, 0, 1500)),    // 春晖
    ("510504003012", Block::new(0, -1500, 650, -300)),    // 双桂
];

/// The other 红星街道 communities: kind, residents' groups, grids, compounds, scattered buildings.
const HONGXING_GENERIC: &[(&str, CommunityKind, i64, usize, usize, usize)] = &[
    ("510504003001", CommunityKind::Old, 7, 6, 24, 6),
    ("510504003002", CommunityKind::Old, 6, 5, 20, 5),
    ("510504003003", CommunityKind::Old, 8, 6, 20, 4),
    ("510504003007", CommunityKind::NewBuild, 4, 6, 9, 0),
    ("510504003008", CommunityKind::Urban, 6, 5, 14, 2),
    ("510504003009", CommunityKind::VillageConverted, 9, 5, 10, 3),
    ("510504003010", CommunityKind::NewBuild, 5, 8, 14, 0),
    ("510504003011", CommunityKind::Urban, 6, 5, 14, 2),
    ("510504003012", CommunityKind::VillageConverted, 7, 5, 10, 3),
];

fn block_of(table: &[(&str, Block)], code: &str) -> Option<Block> {
    table.iter().find(|(c, _)| *c == code).map(|&(_, b)| b)
}

/// A random stream of its own for each community and purpose, so one community's changes never
/// ripple into another's.
fn rng_for(code: &str, purpose: u64) -> Rand {
    Rand::seed_from_u64(mix(code.parse::<u64>().unwrap_or(0)
        ^ purpose.rotate_left(48)
        ^ DEMO_SALT))
}

struct DemoPlan {
    plan: Plan,
    streets: Vec<(Division, Block)>,
    communities: Vec<CommunityPlan>,
}

/// The plan's placement (warp and frame) without its tiles.
pub(crate) fn bare_plan() -> Plan {
    Plan::new(DEMO_CENTRE, Warp::new(DEMO_WARP), DEMO_SALT)
}

fn demo_plan() -> DemoPlan {
    let divisions = divisions::longmatan();
    let mut plan = bare_plan();
    let mut streets = Vec::new();
    let mut communities = Vec::new();
    for street in divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::Street)
    {
        let Some(street_block) = block_of(STREET_BLOCKS, &street.code) else {
            continue;
        };
        streets.push((street.clone(), street_block));
        let members: Vec<&Division> = divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::Community && d.parent_code == street.code)
            .collect();
        if street.code == HONGXING_STREET {
            communities.extend(
                members.iter().filter_map(|d| {
                    Some(hongxing_community(d, block_of(HONGXING_BLOCKS, &d.code)?))
                }),
            );
        } else {
            let weights: Vec<f64> = members
                .iter()
                .map(|d| if d.is_village() { 4.0 } else { 1.0 })
                .collect();
            for (d, block) in members.iter().zip(split(street_block, &weights)) {
                let mut rng = rng_for(&d.code, 1);
                let (kind, groups) = if d.is_village() {
                    (CommunityKind::VillageConverted, rng.random_range(8..=15))
                } else if rng.random_bool(0.4) {
                    (CommunityKind::Old, rng.random_range(4..=10))
                } else {
                    (CommunityKind::Urban, rng.random_range(4..=10))
                };
                communities.push(CommunityPlan::new(
                    &d.code,
                    &d.name,
                    &street.code,
                    kind,
                    groups,
                    block,
                    Vec::new(),
                ));
            }
        }
    }
    // Nothing is built within reach of the 沱江 where it runs between 红星街道's communities.
    let river = Rect::new(
        -TUOJIANG_CLEAR,
        TUOJIANG_STRAIGHT.0,
        TUOJIANG_CLEAR,
        TUOJIANG_STRAIGHT.1,
    );
    for c in communities
        .iter_mut()
        .filter(|c| c.street_code == HONGXING_STREET)
    {
        c.keep_clear.push(river);
    }
    for (_, b) in &streets {
        plan.tiling.add(*b);
    }
    for c in &communities {
        plan.tiling.add(c.block);
        for g in &c.grid_blocks {
            plan.tiling.add(*g);
        }
    }
    plan.tiling.seal();
    DemoPlan {
        plan,
        streets,
        communities,
    }
}

/// The outline of the demo district (the union of its streets), WGS84.
pub fn district_boundary() -> MultiPolygon {
    let p = demo_plan();
    MultiPolygon(vec![p.plan.outline(DISTRICT_OUTLINE)])
}

/// Compounds spread over `grids` grids in order; scattered buildings over random grids.
fn generic_grids(
    rng: &mut Rand,
    profile: Profile,
    namer: &mut Namer,
    grids: usize,
    compounds: usize,
    scattered: usize,
) -> Vec<GridSpec> {
    let specs: Vec<CompoundSpec> = (0..compounds)
        .map(|_| CompoundSpec::random(rng, profile, namer, None))
        .collect();
    let mut out: Vec<GridSpec> = (0..grids)
        .map(|g| {
            let cs = specs[g * compounds / grids..(g + 1) * compounds / grids].to_vec();
            let households: i64 = cs.iter().map(|c| c.households).sum();
            GridSpec {
                extra_free: usize::from(cs.len() >= 3),
                workers: if households > 600 { 2 } else { 1 },
                compounds: cs,
                ..GridSpec::default()
            }
        })
        .collect();
    for _ in 0..scattered {
        let g = rng.random_range(0..grids);
        out[g].scattered.push(ScatteredSpec::random(rng, namer));
    }
    out
}

fn hongxing_community(d: &Division, block: Block) -> CommunityPlan {
    let mut rng = rng_for(&d.code, 1);
    let mut namer = Namer::new(&d.name);
    match d.code.as_str() {
        LONGNAN_COMMUNITY => CommunityPlan::new(
            &d.code,
            &d.name,
            HONGXING_STREET,
            CommunityKind::Old,
            6,
            block,
            longnan_grids(&mut rng, &mut namer),
        ),
        AOTI_COMMUNITY => CommunityPlan::new(
            &d.code,
            &d.name,
            HONGXING_STREET,
            CommunityKind::NewBuild,
            5,
            block,
            aoti_grids(&mut rng, &mut namer),
        ),
        code => {
            let &(_, kind, groups, grids, compounds, scattered) = HONGXING_GENERIC
                .iter()
                .find(|row| row.0 == code)
                .unwrap_or(&("", CommunityKind::Urban, 6, 4, 10, 0));
            let underserved = UNDERSERVED_COMMUNITIES.contains(&code);
            let profile = if underserved {
                Profile::Underserved
            } else {
                Profile::of(kind)
            };
            let specs = generic_grids(&mut rng, profile, &mut namer, grids, compounds, scattered);
            let plan =
                CommunityPlan::new(code, &d.name, HONGXING_STREET, kind, groups, block, specs);
            if underserved {
                plan.with_three_no_west()
            } else {
                plan
            }
        }
    }
}

/// 龙南社区's 21 compounds: name, class, build year, households. The first two are the
/// professionally managed 巴士天福苑 and 聚福苑; the other 19 are three-no.
const LONGNAN_COMPOUNDS: [(&str, CompoundClass, i64, i64); 21] = [
    ("巴士天福苑", CompoundClass::Old, 1998, 268),
    ("聚福苑", CompoundClass::Old, 2000, 236),
    ("龙南路1号院", CompoundClass::Old, 1988, 120),
    ("龙南路17号院", CompoundClass::Old, 1986, 72),
    ("丝绸厂宿舍", CompoundClass::UnitOwned, 1984, 168),
    ("龙南巷院落", CompoundClass::Old, 1990, 204),
    ("粮食局宿舍", CompoundClass::UnitOwned, 1987, 84),
    ("龙南苑", CompoundClass::Old, 1997, 186),
    ("南苑小区", CompoundClass::Old, 1995, 152),
    ("建安小区", CompoundClass::Old, 1993, 138),
    ("机械厂家属院", CompoundClass::UnitOwned, 1985, 176),
    ("供销社宿舍", CompoundClass::UnitOwned, 1989, 84),
    ("电机厂宿舍", CompoundClass::UnitOwned, 1991, 118),
    ("龙南新村", CompoundClass::Resettlement, 1999, 160),
    ("春光院落", CompoundClass::Old, 1992, 80),
    ("育英院落", CompoundClass::Old, 1994, 92),
    ("鸿福苑", CompoundClass::Old, 2001, 144),
    ("鑫源小区", CompoundClass::Old, 2002, 126),
    ("桂花院落", CompoundClass::Old, 1996, 90),
    ("运输公司宿舍", CompoundClass::UnitOwned, 1988, 108),
    ("棉纺厂宿舍", CompoundClass::UnitOwned, 1983, 150),
];
/// 龙南社区's residents, as reported, scattered buildings' estimated residents counted.
pub const LONGNAN_POPULATION: i64 = 10_398;
/// 龙南社区's households, as reported: its 21 compounds' and its scattered buildings'.
pub const LONGNAN_HOUSEHOLDS: i64 = 3_056;
/// Households in each of 龙南社区's five scattered buildings (100 in all).
const LONGNAN_SCATTERED_HOUSEHOLDS: i64 = 20;
/// 龙南社区's scattered buildings.
const LONGNAN_SCATTERED: usize = 5;

fn longnan_grids(rng: &mut Rand, namer: &mut Namer) -> Vec<GridSpec> {
    let weights: Vec<f64> = LONGNAN_COMPOUNDS
        .iter()
        .map(|c| c.3 as f64 * rng.random_range(3.1..3.7))
        .collect();
    // The compounds hold what the scattered buildings do not; their residents are estimated
    // as the analyses estimate them.
    let scattered_households = LONGNAN_SCATTERED_HOUSEHOLDS * LONGNAN_SCATTERED as i64;
    let persons = engine::analysis::Standards::default()
        .demography
        .persons_per_household;
    let scattered_residents = (scattered_households as f64 * persons).round() as i64;
    let population = apportion(LONGNAN_POPULATION - scattered_residents, &weights);
    let compounds: Vec<CompoundSpec> = LONGNAN_COMPOUNDS
        .iter()
        .zip(population)
        .enumerate()
        .map(|(i, (&(name, class, year, households), population))| {
            namer.reserve(name);
            // Since November 2021 a social service company manages the first two together (连片
            // 物业, a joint-management unit) at a four-star standard; 巴士天福苑 has elected an
            // owners' committee. The community takes responsibility for the other 19 (兜底):
            // they stay three-no.
            let (pm, oc) = match i {
                0 => (PropertyManagement::Joint, true),
                1 => (PropertyManagement::Joint, false),
                _ => (PropertyManagement::CommunityFallback, false),
            };
            // About a fifth of the residents are 60+ (300+ of them take the meal service).
            let share = if class == CompoundClass::UnitOwned {
                rng.random_range(0.20..0.27)
            } else {
                rng.random_range(0.16..0.24)
            };
            let elderly = (population as f64 * share).round() as i64;
            let buildings =
                ((households as f64 / rng.random_range(22.0..34.0)).round() as usize).max(2);
            CompoundSpec {
                name: name.to_owned(),
                class,
                households,
                population,
                elderly,
                build_year: year,
                property_management: pm,
                owners_committee: oc,
                competent_unit: false,
                buildings,
            }
        })
        .collect();
    let mut grids: Vec<GridSpec> = [0..6, 6..11, 11..16, 16..21]
        .into_iter()
        .map(|r| GridSpec {
            compounds: compounds[r].to_vec(),
            extra_free: 1,
            workers: 2,
            ..GridSpec::default()
        })
        .collect();
    for g in [0, 1, 1, 2, 3] {
        let mut b = ScatteredSpec::random(rng, namer);
        b.households = LONGNAN_SCATTERED_HOUSEHOLDS;
        grids[g].scattered.push(b);
    }
    grids
}

/// 奥体社区's grids, each within the rule (Σ households / cap ≤ 1, cap 150 for old, unit-owned,
/// resettlement compounds and scattered buildings, 300 for new and commodity ones).
fn aoti_grids(rng: &mut Rand, namer: &mut Namer) -> Vec<GridSpec> {
    use CompoundClass::{Commodity, New, Old, Resettlement, UnitOwned};
    use PropertyManagement::{CommunityHosted, Joint, None as Unmanaged, Professional};
    type Row = (
        &'static str,
        CompoundClass,
        i64,
        i64,
        PropertyManagement,
        bool,
        bool,
    );
    let grids: [&[Row]; 10] = [
        &[("奥体花园一期", New, 2014, 286, Professional, true, false)],
        &[("奥体花园二期", New, 2016, 272, Professional, false, false)],
        &[
            (
                "体育馆宿舍",
                UnitOwned,
                1992,
                64,
                CommunityHosted,
                false,
                true,
            ),
            ("龙腾小区", Old, 1998, 78, Unmanaged, false, false),
        ],
        &[("滨江华庭", Commodity, 2012, 248, Professional, true, false)],
        &[("奥体安置小区", Resettlement, 2010, 138, Joint, false, true)],
        &[
            ("金桂苑", Commodity, 2008, 150, Joint, false, false),
            ("锦华小区", Old, 1996, 60, CommunityHosted, false, false),
        ],
        &[("天府名都", New, 2019, 240, Professional, true, false)],
        &[("龙城国际", Commodity, 2017, 290, Professional, true, false)],
        &[("体校宿舍", UnitOwned, 1989, 80, Unmanaged, false, true)],
        &[
            ("翡翠湾", New, 2021, 198, Professional, false, false),
            ("奥体苑", Old, 2001, 36, CommunityHosted, true, false),
        ],
    ];
    let scattered: [&[(&str, i64)]; 10] = [
        &[],
        &[],
        &[],
        &[],
        &[],
        &[],
        &[("滨江路8号", 12)],
        &[],
        &[("滨江路21号", 18), ("滨江路23号", 12), ("体育路5号", 24)],
        &[],
    ];
    grids
        .iter()
        .zip(scattered)
        .enumerate()
        .map(|(i, (rows, loose))| GridSpec {
            compounds: rows
                .iter()
                .map(|&(name, class, year, households, pm, oc, cu)| {
                    namer.reserve(name);
                    CompoundSpec::sized(rng, name, class, households, year, pm, oc, cu)
                })
                .collect(),
            scattered: loose
                .iter()
                .map(|&(name, households)| ScatteredSpec {
                    name: name.to_owned(),
                    households,
                    floors: rng.random_range(4..=7),
                    build_year: rng.random_range(1982..=1996),
                })
                .collect(),
            extra_free: 0,
            workers: 1,
            locked: i == 0,
        })
        .collect()
}

/// The demo district 龙马潭区: 11 streets, 92 communities and villages with their real codes;
/// 红星街道's 11 communities with grids, compounds, buildings, stations and service spaces.
/// Deterministic: every call returns the same dataset.
pub fn demo_district() -> Dataset {
    let DemoPlan {
        plan,
        streets,
        communities,
    } = demo_plan();
    let mut data = Dataset::default();
    let mut w = Writer {
        plan: &plan,
        data: &mut data,
        footprints: true,
    };
    for (s, block) in &streets {
        w.street(&s.code, &s.name, *block);
    }
    let mut filled: Vec<Filled> = communities
        .iter()
        .map(|cp| w.community(cp, &mut rng_for(&cp.code, 2)))
        .collect();

    // Elderly care and meal help stay clear of the underserved communities' three-no compounds.
    let blocked: Vec<Polygon> = filled
        .iter()
        .filter(|f| UNDERSERVED_COMMUNITIES.contains(&f.code.as_str()))
        .flat_map(|f| {
            f.compounds
                .iter()
                .filter(|c| c.three_no)
                .map(|c| plan.polygon_metres(&c.ring))
        })
        .collect();
    let elderly_ok = |p: Coord| {
        let m = Point(plan.metres(p));
        blocked
            .iter()
            .all(|poly| Euclidean.distance(&m, poly) >= UNDERSERVED_RADIUS_M + UNDERSERVED_MARGIN_M)
    };
    let nowhere = |_: Coord| false;

    for f in &mut filled {
        if f.grid_codes.is_empty() && f.compounds.is_empty() && f.free.is_empty() {
            continue;
        }
        let mut rng = rng_for(&f.code, 3);
        match f.code.as_str() {
            LONGNAN_COMMUNITY => longnan_facilities(&mut w, f, &mut rng, &elderly_ok),
            AOTI_COMMUNITY => aoti_facilities(&mut w, f, &mut rng, &elderly_ok),
            code if UNDERSERVED_COMMUNITIES.contains(&code) => {
                everyday_facilities(&mut w, f, &mut rng, &nowhere);
            }
            code if RIVER_DIVIDED_COMMUNITIES.contains(&code) => {
                let code = code.to_owned();
                let far = |p: Coord| away_from_river_care(&code, p) && elderly_ok(p);
                everyday_facilities(&mut w, f, &mut rng, &far);
            }
            _ => everyday_facilities(&mut w, f, &mut rng, &elderly_ok),
        }
    }
    hongxing_street_facilities(&mut w, &mut filled, &elderly_ok);
    river_facilities(&mut w, &elderly_ok);
    // The other streets: their party-mass service centre and social-work station.
    for (s, _) in streets.iter().filter(|(s, _)| s.code != HONGXING_STREET) {
        let mut members = communities.iter().filter(|c| c.street_code == s.code);
        if let Some(first) = members.next() {
            w.station(
                &first.code,
                format!("{}党群服务中心", s.name),
                StationKind::PartyMassCentre,
                FacilityLevel::Street,
                Some(1200.0),
                clear_of_rivers(first.block.centre()),
            );
            let second = members.next().unwrap_or(first);
            let at = Coord {
                x: second.block.centre().x + 40.0,
                y: second.block.centre().y,
            };
            w.station(
                &second.code,
                format!("{}社工站", s.name),
                StationKind::SocialWorkStation,
                FacilityLevel::Street,
                Some(180.0),
                clear_of_rivers(at),
            );
        }
    }
    let placed: HashMap<i64, &PlacedCompound> = filled
        .iter()
        .flat_map(|f| &f.compounds)
        .map(|c| (c.id, c))
        .collect();
    let gates = add_gates(&mut data, &placed);
    let layout = DemoLayout {
        plan: &plan,
        streets: &streets,
        communities: &communities,
        filled: &filled,
        gates: &gates,
    };
    data.ways = demo_ways(&layout, &data).into();
    data
}

/// A point moved east, in steps of 50 m, until it lies 30 m clear of every river.
fn clear_of_rivers(mut p: Coord) -> Coord {
    let rivers = rivers();
    while rivers.iter().any(|r| r.distance(p) < r.half_width + 30.0) {
        p.x += 50.0;
    }
    p
}

/// Whether a river-divided community's own elderly care may stand at `p`: far enough from the
/// riverside facing the elderly care across the river.
fn away_from_river_care(community: &str, p: Coord) -> bool {
    RIVER_CARE
        .iter()
        .filter(|c| c.across == community)
        .all(|c| {
            let facing_x = -c.at.x.signum() * TUOJIANG_CLEAR;
            (p.x - facing_x).hypot(p.y - c.at.y) >= c.keep_m
        })
}

/// [`RIVER_FACILITIES`]: elderly care on the 沱江's west bank.
fn river_facilities(w: &mut Writer, elderly_ok: &dyn Fn(Coord) -> bool) {
    for (k, c) in RIVER_CARE.iter().enumerate() {
        if !elderly_ok(c.at) {
            continue;
        }
        let (services, area, capacity): (&[ServiceType], f64, i64) = if k == 0 {
            (&[ServiceType::ElderlyCare, ServiceType::Culture], 120.0, 30)
        } else {
            (
                &[ServiceType::ElderlyCare, ServiceType::MealHelp],
                260.0,
                40,
            )
        };
        w.space_at(
            c.community,
            SpaceSpec::new(
                c.name,
                services,
                area,
                OperatingModel::LowCost,
                FacilityLevel::Community,
            )
            .capacity(capacity)
            .hours("08:00-18:00"),
            c.at,
        );
    }
}

/// A gate as the ways need it: its compound and kind, where it is (WGS84, and in the plan) and
/// which way is out (a unit vector in the plan).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GatePlan {
    pub compound_id: i64,
    pub kind: GateKind,
    pub at: Coord,
    pub at_plan: Coord,
    pub outward: Coord,
}

/// Gates 小区出入口 of 红星街道's compounds: every 龙南社区 compound and about half of the others
/// get 1–3, each at the middle of an edge of the compound's polygon facing a different side and
/// named after it (北门, 南门, 东门, 西门). A gate on the polygon's edge is never nearer a facility
/// than the polygon, so the deliberately underserved compounds stay underserved.
fn add_gates(data: &mut Dataset, placed: &HashMap<i64, &PlacedCompound>) -> Vec<GatePlan> {
    let mut gates = Vec::new();
    let mut plans = Vec::new();
    for c in &data.compounds {
        if !c.community_code.starts_with(HONGXING_STREET) {
            continue;
        }
        let mut rng = rng_for(&c.community_code, 0x6a7e_0000 + c.id.unsigned_abs());
        if c.community_code != LONGNAN_COMMUNITY && !rng.random_bool(0.5) {
            continue;
        }
        let ring = &c.geometry.exterior().0;
        let Some(first) = ring.first() else { continue };
        let (mut sx, mut sy) = (0.0, 0.0);
        let corners = &ring[..ring.len() - 1];
        for p in corners {
            sx += p.x - first.x;
            sy += p.y - first.y;
        }
        let n = corners.len().max(1) as f64;
        let centre = Coord {
            x: first.x + sx / n,
            y: first.y + sy / n,
        };
        let east_scale = centre.y.to_radians().cos();
        let wanted = rng.random_range(1..=3_usize);
        let start = rng.random_range(0..corners.len().max(1));
        let mut sides_used: Vec<&str> = Vec::new();
        for k in 0..corners.len() {
            if sides_used.len() == wanted {
                break;
            }
            let edge = (start + k) % corners.len();
            let (a, b) = (ring[edge], ring[edge + 1]);
            let length_m = ((b.x - a.x) * east_scale).hypot(b.y - a.y) * 111_000.0;
            if length_m < 15.0 {
                continue;
            }
            let mid = engine::feature::snap(Coord {
                x: f64::midpoint(a.x, b.x),
                y: f64::midpoint(a.y, b.y),
            });
            let (dx, dy) = ((mid.x - centre.x) * east_scale, mid.y - centre.y);
            let side = if dx.abs() > dy.abs() {
                if dx > 0.0 {
                    "东门"
                } else {
                    "西门"
                }
            } else if dy > 0.0 {
                "北门"
            } else {
                "南门"
            };
            if sides_used.contains(&side) {
                continue;
            }
            let kind = match sides_used.len() {
                0 if c.households >= 200 => GateKind::Mixed,
                0 => GateKind::Pedestrian,
                _ if rng.random_bool(0.5) => GateKind::Vehicle,
                _ => GateKind::Pedestrian,
            };
            sides_used.push(side);
            if let Some(pc) = placed.get(&c.id) {
                let (pa, pb) = (pc.ring[edge], pc.ring[(edge + 1) % pc.ring.len()]);
                let outward = match side {
                    "东门" => Coord { x: 1.0, y: 0.0 },
                    "西门" => Coord { x: -1.0, y: 0.0 },
                    "北门" => Coord { x: 0.0, y: 1.0 },
                    _ => Coord { x: 0.0, y: -1.0 },
                };
                plans.push(GatePlan {
                    compound_id: c.id,
                    kind,
                    at: mid,
                    at_plan: Coord {
                        x: f64::midpoint(pa.x, pb.x),
                        y: f64::midpoint(pa.y, pb.y),
                    },
                    outward,
                });
            }
            gates.push(Gate {
                id: gates.len() as i64 + 1,
                version: 1,
                name: Some(side.to_owned()),
                community_code: c.community_code.clone(),
                compound_id: c.id,
                kind,
                geometry: Point(mid),
            });
        }
    }
    data.gates = gates.into();
    plans
}

/// 龙南社区's facilities as the source documents describe them.
fn longnan_facilities(
    w: &mut Writer,
    f: &mut Filled,
    rng: &mut Rand,
    elderly_ok: &dyn Fn(Coord) -> bool,
) {
    let code = f.code.clone();
    longnan_centre(w, f, &code, elderly_ok);
    longnan_spaces(w, f, rng, &code);
    longnan_stations(w, f, rng, &code);
}

/// 龙南社区's party-mass service centre and what it hosts.
fn longnan_centre(w: &mut Writer, f: &mut Filled, code: &str, elderly_ok: &dyn Fn(Coord) -> bool) {
    let target = f.block.centre();
    // The party-mass centre hosts the community's elderly care centre (meals for 300+ residents
    // aged 60+, delivered to the disabled) and the residents' school run with 泸州开放大学.
    if let Some(at) = f.take_near(target, elderly_ok) {
        let centre = w.station(
            code,
            "龙南社区党群服务中心",
            StationKind::PartyMassCentre,
            FacilityLevel::Community,
            Some(680.0),
            at,
        );
        w.space_at(
            code,
            SpaceSpec::new(
                "龙南社区养老服务中心",
                &[ServiceType::ElderlyCare, ServiceType::MealHelp],
                320.0,
                OperatingModel::LowCost,
                FacilityLevel::Community,
            )
            .hosted_by(centre)
            .capacity(80)
            .hours("07:30-19:00"),
            at,
        );
        w.space_at(
            code,
            SpaceSpec::new(
                "龙南社区居民学校",
                &[ServiceType::Culture, ServiceType::Study],
                150.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Community,
            )
            .hosted_by(centre)
            .capacity(60)
            .hours("09:00-21:00"),
            at,
        );
    }
}

/// 龙南社区's childcare, youth, housekeeping, health and fitness spaces.
fn longnan_spaces(w: &mut Writer, f: &mut Filled, rng: &mut Rand, code: &str) {
    if let Some(at) = f.take_central() {
        w.space_at(
            code,
            SpaceSpec::new(
                "龙南社区托幼中心",
                &[ServiceType::Childcare],
                180.0,
                OperatingModel::LowCost,
                FacilityLevel::Community,
            )
            .capacity(30)
            .hours("07:30-18:00"),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.space_at(
            code,
            SpaceSpec::new(
                "龙南社区“成长吧”青少年活动室",
                &[ServiceType::AfterSchool, ServiceType::ChildrenPlay],
                90.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Community,
            )
            .capacity(30)
            .hours("15:30-20:00"),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.space_at(
            code,
            SpaceSpec::new(
                "泾华家政便民服务点",
                &[ServiceType::Housekeeping],
                45.0,
                OperatingModel::Market,
                FacilityLevel::Compound,
            )
            .hours("08:00-20:00"),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        let station = w.station(
            code,
            "龙南社区卫生服务站",
            StationKind::HealthStation,
            FacilityLevel::Community,
            Some(160.0),
            at,
        );
        w.space_at(
            code,
            SpaceSpec::new(
                "龙南社区健康小屋",
                &[ServiceType::Health],
                30.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Community,
            )
            .hosted_by(station)
            .hours("08:00-17:00"),
            at,
        );
    }
    if let Some(cell) = f.take_cell_any(rng) {
        w.space_area(
            code,
            SpaceSpec::new(
                "龙南社区全民健身点",
                &[ServiceType::Fitness],
                220.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Compound,
            )
            .hours("06:00-22:00"),
            cell,
        );
    }
}

/// 龙南社区's parcel station, convenience store, grid posts and party post.
fn longnan_stations(w: &mut Writer, f: &mut Filled, rng: &mut Rand, code: &str) {
    if let Some(at) = f.take_any(rng) {
        w.station(
            code,
            "龙南社区速递驿站",
            StationKind::ParcelStation,
            FacilityLevel::Compound,
            Some(40.0),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.station(
            code,
            "龙南社区便民超市",
            StationKind::ConveniencePoint,
            FacilityLevel::Compound,
            Some(120.0),
            at,
        );
    }
    for (gi, n) in ["一", "二", "三", "四"].iter().enumerate() {
        if let Some(at) = f.take_in_grid(gi) {
            w.station(
                code,
                format!("龙南社区第{n}网格驿站"),
                StationKind::GridPost,
                FacilityLevel::Compound,
                Some(25.0),
                at,
            );
        }
    }
    if let Some(bus) = f.compounds.iter().find(|c| c.name == "巴士天福苑") {
        w.station(
            code,
            "老旧小区联合党支部党员服务点",
            StationKind::PartyPost,
            FacilityLevel::Compound,
            Some(20.0),
            bus.centre,
        );
    }
}

/// 奥体社区's facilities, among them an embedded service complex.
fn aoti_facilities(
    w: &mut Writer,
    f: &mut Filled,
    rng: &mut Rand,
    elderly_ok: &dyn Fn(Coord) -> bool,
) {
    let code = f.code.clone();
    aoti_centre(w, f, &code, elderly_ok);
    aoti_community_stations(w, f, rng, &code);
    aoti_local_stations(w, f, rng, &code);
    aoti_spaces(w, f, rng, &code);
}

/// 奥体社区's party-mass service centre hosting its neighbourhood centre.
fn aoti_centre(w: &mut Writer, f: &mut Filled, code: &str, elderly_ok: &dyn Fn(Coord) -> bool) {
    let target = f.block.centre();
    // An embedded service complex: ≥ 600 m², five functions, four of them for the old and young.
    if let Some(at) = f.take_near(target, elderly_ok) {
        let centre = w.station(
            code,
            "奥体社区党群服务中心",
            StationKind::PartyMassCentre,
            FacilityLevel::Community,
            Some(900.0),
            at,
        );
        w.space_at(
            code,
            SpaceSpec::new(
                "奥体社区邻里中心",
                &[
                    ServiceType::ElderlyCare,
                    ServiceType::Childcare,
                    ServiceType::MealHelp,
                    ServiceType::AfterSchool,
                    ServiceType::Fitness,
                ],
                860.0,
                OperatingModel::LowCost,
                FacilityLevel::Community,
            )
            .hosted_by(centre)
            .capacity(150)
            .hours("08:00-20:00"),
            at,
        );
    }
}

/// 奥体社区's community service station, kindergarten and health station.
fn aoti_community_stations(w: &mut Writer, f: &mut Filled, rng: &mut Rand, code: &str) {
    if let Some(at) = f.take_central() {
        w.station(
            code,
            "奥体社区综合服务站",
            StationKind::CommunityServiceStation,
            FacilityLevel::Community,
            Some(220.0),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.station(
            code,
            "奥体幼儿园",
            StationKind::Kindergarten,
            FacilityLevel::Community,
            Some(2800.0),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        let station = w.station(
            code,
            "奥体社区卫生服务站",
            StationKind::HealthStation,
            FacilityLevel::Community,
            Some(240.0),
            at,
        );
        w.space_at(
            code,
            SpaceSpec::new(
                "奥体社区健康驿站",
                &[ServiceType::Health],
                40.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Community,
            )
            .hosted_by(station)
            .hours("08:00-17:30"),
            at,
        );
    }
}

/// 奥体社区's parcel stations, convenience point, grid posts and party posts.
fn aoti_local_stations(w: &mut Writer, f: &mut Filled, rng: &mut Rand, code: &str) {
    for name in ["奥体社区快递驿站", "奥体花园快递驿站"] {
        if let Some(at) = f.take_any(rng) {
            w.station(
                code,
                name,
                StationKind::ParcelStation,
                FacilityLevel::Compound,
                Some(45.0),
                at,
            );
        }
    }
    if let Some(at) = f.take_any(rng) {
        w.station(
            code,
            "奥体社区便民服务点",
            StationKind::ConveniencePoint,
            FacilityLevel::Compound,
            Some(60.0),
            at,
        );
    }
    for gi in 0..f.grid_codes.len() {
        if let Some(at) = f.take_in_grid(gi) {
            w.station(
                code,
                format!("奥体社区第{}网格驿站", gi + 1),
                StationKind::GridPost,
                FacilityLevel::Compound,
                Some(20.0),
                at,
            );
        }
    }
    for c in f
        .compounds
        .iter()
        .filter(|c| ["奥体花园一期", "滨江华庭"].contains(&c.name.as_str()))
    {
        w.station(
            code,
            format!("{}党员服务点", c.name),
            StationKind::PartyPost,
            FacilityLevel::Compound,
            Some(18.0),
            c.centre,
        );
    }
}

/// 奥体社区's nursery, gym, playground and housekeeping service.
fn aoti_spaces(w: &mut Writer, f: &mut Filled, rng: &mut Rand, code: &str) {
    if let Some(at) = f.take_any(rng) {
        w.space_at(
            code,
            SpaceSpec::new(
                "奥体社区托育园",
                &[ServiceType::Childcare],
                420.0,
                OperatingModel::Market,
                FacilityLevel::Community,
            )
            .capacity(60)
            .hours("07:30-18:30"),
            at,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.space_at(
            code,
            SpaceSpec::new(
                "奥体健身中心",
                &[ServiceType::Fitness],
                600.0,
                OperatingModel::Market,
                FacilityLevel::Community,
            )
            .capacity(80)
            .hours("06:30-22:00"),
            at,
        );
    }
    if let Some(cell) = f.take_cell_any(rng) {
        w.space_area(
            code,
            SpaceSpec::new(
                "奥体花园儿童游乐场",
                &[ServiceType::ChildrenPlay],
                320.0,
                OperatingModel::PublicBenefit,
                FacilityLevel::Compound,
            )
            .hours("07:00-21:00"),
            cell,
        );
    }
    if let Some(at) = f.take_any(rng) {
        w.space_at(
            code,
            SpaceSpec::new(
                "奥体社区家政服务站",
                &[ServiceType::Housekeeping],
                60.0,
                OperatingModel::Market,
                FacilityLevel::Compound,
            )
            .hours("08:00-20:00"),
            at,
        );
    }
}

/// 红星街道's own facilities: its party-mass service centre, social-work station and sports and
/// culture centre in 红星社区, and its area elderly care centre in 金井湾社区.
fn hongxing_street_facilities(
    w: &mut Writer,
    filled: &mut [Filled],
    elderly_ok: &dyn Fn(Coord) -> bool,
) {
    if let Some(f) = filled.iter_mut().find(|f| f.code == "510504003003") {
        let code = f.code.clone();
        if let Some(at) = f.take_central() {
            let centre = w.station(
                &code,
                "红星街道党群服务中心",
                StationKind::PartyMassCentre,
                FacilityLevel::Street,
                Some(1500.0),
                at,
            );
            w.space_at(
                &code,
                SpaceSpec::new(
                    "红星街道文体活动中心",
                    &[
                        ServiceType::Culture,
                        ServiceType::Fitness,
                        ServiceType::Study,
                    ],
                    1600.0,
                    OperatingModel::PublicBenefit,
                    FacilityLevel::Street,
                )
                .hosted_by(centre)
                .capacity(300)
                .hours("08:30-21:00"),
                at,
            );
        }
        if let Some(at) = f.take_central() {
            w.station(
                &code,
                "红星街道社工站",
                StationKind::SocialWorkStation,
                FacilityLevel::Street,
                Some(200.0),
                at,
            );
        }
    }
    if let Some(f) = filled.iter_mut().find(|f| f.code == "510504003010") {
        let code = f.code.clone();
        if let Some(at) = f.take_near(f.block.centre(), elderly_ok) {
            w.space_at(
                &code,
                SpaceSpec::new(
                    "红星街道区域养老服务中心",
                    &[
                        ServiceType::ElderlyCare,
                        ServiceType::MealHelp,
                        ServiceType::Health,
                    ],
                    1200.0,
                    OperatingModel::LowCost,
                    FacilityLevel::Street,
                )
                .capacity(120)
                .hours("00:00-24:00"),
                at,
            );
        }
    }
}
