//! A synthetic city of any size for benchmarks: streets → communities → grids → compounds →
//! buildings, with stations and service spaces in proportion, all as valid and as consistent as
//! the demo district. Buildings are points.

use engine::{CommunityKind, Dataset, FacilityLevel, OperatingModel, ServiceType, StationKind};
use rand::{Rng, SeedableRng};

use crate::contents::{
    everyday_facilities, CommunityPlan, CompoundSpec, Filled, GridSpec, Namer, Profile, Rand,
    ScatteredSpec, SpaceSpec, Writer,
};
use crate::demo::DEMO_CENTRE;
use crate::layout::{mix, split, Block, Plan, Warp, LATTICE};
use crate::synthetic_ways::CityWays;

/// Plan area per slot (a compound or a free plot, with lanes and the grid's margin), m².
const SLOT_AREA: f64 = 150.0 * 150.0;
/// Streets per pseudo-county code.
const STREETS_PER_COUNTY: usize = 50;

const NAME_HEADS: &[&str] = &[
    "东", "西", "南", "北", "新", "锦", "金", "玉", "龙", "凤", "青", "白", "红", "翠", "桂", "兴",
    "安", "福", "华", "春",
];
const NAME_TAILS: &[&str] = &[
    "城", "江", "山", "湖", "桥", "园", "林", "坝", "湾", "溪", "岭", "塘", "坪", "阳", "苑", "门",
    "关", "口", "河", "滨",
];
const COMMUNITY_STEMS: &[&str] = &[
    "和平", "幸福", "光明", "新华", "建设", "文化", "育才", "朝阳", "永宁", "长春", "民主", "团结",
    "友谊", "滨河", "桂园", "锦绣", "紫荆", "花园", "胜利", "东风", "青年", "健康", "长安", "太平",
];

struct StreetSpec {
    code: String,
    name: String,
    communities: Vec<CommunitySpec>,
}

struct CommunitySpec {
    code: String,
    name: String,
    kind: CommunityKind,
    residents_groups: i64,
    grids: Vec<GridSpec>,
}

impl CommunitySpec {
    fn slots(&self) -> f64 {
        self.grids.iter().map(|g| g.slots() as f64).sum()
    }
}

fn street_name(i: usize) -> String {
    let combos = NAME_HEADS.len() * NAME_TAILS.len();
    let stem = format!(
        "{}{}",
        NAME_HEADS[i % NAME_HEADS.len()],
        NAME_TAILS[(i / NAME_HEADS.len()) % NAME_TAILS.len()]
    );
    if i < combos {
        format!("{stem}街道")
    } else {
        format!("{stem}{}街道", i / combos + 1)
    }
}

/// Draws the city's make-up until exactly `buildings` buildings are placed.
fn specs(rng: &mut Rand, buildings: usize) -> Vec<StreetSpec> {
    let mut remaining = buildings;
    let mut streets = Vec::new();
    loop {
        let si = streets.len();
        let code = format!(
            "{:06}{:03}",
            990_101 + si / STREETS_PER_COUNTY,
            si % STREETS_PER_COUNTY + 1
        );
        let mut street = StreetSpec {
            name: street_name(si),
            communities: Vec::new(),
            code,
        };
        let stem_offset = rng.random_range(0..COMMUNITY_STEMS.len());
        for ci in 0..rng.random_range(6..=12_usize) {
            let kind = match rng.random_range(0..10) {
                0..=2 => CommunityKind::Old,
                3..=5 => CommunityKind::Urban,
                6..=8 => CommunityKind::NewBuild,
                _ => CommunityKind::VillageConverted,
            };
            let profile = Profile::of(kind);
            let name = format!(
                "{}社区",
                COMMUNITY_STEMS[(stem_offset + ci) % COMMUNITY_STEMS.len()]
            );
            let mut namer = Namer::new(&name);
            let mut grids = Vec::new();
            for _ in 0..rng.random_range(5..=12) {
                let mut g = GridSpec::default();
                let compounds = match rng.random_range(0..20) {
                    0..=5 => 1,
                    6..=14 => 2,
                    _ => 3,
                };
                for _ in 0..compounds {
                    if remaining == 0 {
                        break;
                    }
                    let b = rng.random_range(5..=30_usize).min(remaining);
                    remaining -= b;
                    g.compounds
                        .push(CompoundSpec::random(rng, profile, &mut namer, Some(b)));
                }
                if remaining > 0 && rng.random_bool(0.3) {
                    let n = rng.random_range(1..=4_usize).min(remaining);
                    remaining -= n;
                    g.scattered
                        .extend((0..n).map(|_| ScatteredSpec::random(rng, &mut namer)));
                }
                let households: i64 = g.compounds.iter().map(|c| c.households).sum();
                g.workers = if households > 600 { 2 } else { 1 };
                g.extra_free = g.compounds.len() / 3;
                grids.push(g);
                if remaining == 0 {
                    break;
                }
            }
            street.communities.push(CommunitySpec {
                code: format!("{}{:03}", street.code, ci + 1),
                name,
                kind,
                residents_groups: rng.random_range(4..=12),
                grids,
            });
            if remaining == 0 {
                break;
            }
        }
        streets.push(street);
        if remaining == 0 {
            return streets;
        }
    }
}

/// A street's own centre, social-work station and area elderly care centre, in its first
/// community.
fn street_facilities(w: &mut Writer, filled: &mut Filled, code: &str, street_name: &str) {
    if let Some(at) = filled.take_central() {
        let centre = w.station(
            code,
            format!("{street_name}党群服务中心"),
            StationKind::PartyMassCentre,
            FacilityLevel::Street,
            Some(1200.0),
            at,
        );
        let spec = SpaceSpec::new(
            format!("{street_name}区域养老服务中心"),
            &[
                ServiceType::ElderlyCare,
                ServiceType::MealHelp,
                ServiceType::Health,
            ],
            1000.0,
            OperatingModel::LowCost,
            FacilityLevel::Street,
        )
        .hosted_by(centre)
        .capacity(100)
        .hours("00:00-24:00");
        w.space_at(code, spec, at);
    }
    if let Some(at) = filled.take_central() {
        w.station(
            code,
            format!("{street_name}社工站"),
            StationKind::SocialWorkStation,
            FacilityLevel::Street,
            Some(180.0),
            at,
        );
    }
}

/// What a synthetic city holds beyond its areas, units and facilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntheticOptions {
    /// Its walking network (on by default): roads along every grid's boundary, lanes between
    /// the compounds, and each compound's internal paths out to a lane or road — about one
    /// edge per building.
    pub ways: bool,
}

impl Default for SyntheticOptions {
    fn default() -> Self {
        SyntheticOptions { ways: true }
    }
}

/// A synthetic city with exactly `buildings` buildings (as points), laid out around Luzhou:
/// compounds of 5–30 buildings and 100–600 households, 1–3 compounds per grid, 5–12 grids per
/// community, 6–12 communities per street, with stations per street, community and grid and
/// about one service space per 300 households. Streets get codes under the fictitious province
/// prefix 99. The same `seed` always gives the same city. It has no compound gates 小区出入口:
/// its compounds are measured from their polygons (the demo district has gates), whose
/// internal paths cross them on the way out. With its ways ([`SyntheticOptions`]).
pub fn synthetic_city(buildings: usize, seed: u64) -> Dataset {
    synthetic_city_with(buildings, seed, SyntheticOptions::default())
}

/// [`synthetic_city`] with or without its ways; everything else is the same either way.
pub fn synthetic_city_with(buildings: usize, seed: u64, options: SyntheticOptions) -> Dataset {
    let mut rng = Rand::seed_from_u64(mix(seed));
    let streets = specs(&mut rng, buildings);

    // The city is a square sized to its slots, cut into streets, communities and grids.
    let street_weights: Vec<f64> = streets
        .iter()
        .map(|s| s.communities.iter().map(CommunitySpec::slots).sum())
        .collect();
    let area = street_weights.iter().sum::<f64>() * SLOT_AREA;
    let half = ((area.sqrt() / 2.0 / f64::from(LATTICE)).ceil() as i32).max(4) * LATTICE;
    let city = Block::new(-half, -half, half, half);
    let phases = [0, 1, 2, 3].map(|i| (mix(seed ^ (0xA5A5 + i)) % 6283) as f64 / 1000.0);
    let mut plan = Plan::new(DEMO_CENTRE, Warp::new(phases), mix(seed ^ 0x5EED));
    plan.tiling.add(city);
    let mut layout: Vec<(String, String, Block, Vec<CommunityPlan>)> =
        Vec::with_capacity(streets.len());
    for (street, block) in streets.into_iter().zip(split(city, &street_weights)) {
        plan.tiling.add(block);
        let weights: Vec<f64> = street
            .communities
            .iter()
            .map(CommunitySpec::slots)
            .collect();
        let mut plans = Vec::with_capacity(street.communities.len());
        for (c, cblock) in street.communities.into_iter().zip(split(block, &weights)) {
            let cp = CommunityPlan::new(
                &c.code,
                &c.name,
                &street.code,
                c.kind,
                c.residents_groups,
                cblock,
                c.grids,
            );
            plan.tiling.add(cp.block);
            for g in &cp.grid_blocks {
                plan.tiling.add(*g);
            }
            plans.push(cp);
        }
        layout.push((street.code, street.name, block, plans));
    }
    plan.tiling.seal();

    let mut data = Dataset::default();
    let mut w = Writer {
        plan: &plan,
        data: &mut data,
        footprints: false,
    };
    for (code, name, block, _) in &layout {
        w.street(code, name, *block);
    }
    let mut rng = Rand::seed_from_u64(mix(seed ^ 0xF111));
    let anywhere = |_| true;
    let mut ways = options.ways.then(|| CityWays::new(&plan, city));
    for (street_code, street_name, street_block, communities) in &layout {
        if let Some(ways) = &mut ways {
            ways.street(street_code);
        }
        for (ci, cp) in communities.iter().enumerate() {
            let mut filled = w.community(cp, &mut rng);
            if let Some(ways) = &mut ways {
                ways.community(cp, *street_block, &filled);
            }
            if ci == 0 {
                street_facilities(&mut w, &mut filled, &cp.code, street_name);
            }
            everyday_facilities(&mut w, &mut filled, &mut rng, &anywhere);
        }
    }
    if let Some(ways) = ways {
        data.ways = ways.finish().into();
    }
    data
}
