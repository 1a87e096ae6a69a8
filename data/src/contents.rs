//! What a community holds and how it is laid out: grids cut from the community's block,
//! compounds in slots inside their grid, buildings inside their compound, scattered buildings
//! and facilities in the free slots. Shared by the demo district and the synthetic city.

use std::collections::HashSet;

use engine::{
    Building, Community, CommunityKind, Compound, CompoundClass, Dataset, FacilityLevel, Grid,
    OperatingModel, PropertyManagement, ServiceSpace, ServiceType, Station, StationKind,
};
use geo_types::{Coord, Geometry, MultiPolygon, Point};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore};

use crate::layout::{split, split_bands, Block, CellGrid, Plan, Rect};

/// The generators' random source (`ChaCha8`: fast, and the same stream on every platform).
pub(crate) type Rand = rand_chacha::ChaCha8Rng;

/// Margin between a grid's boundary and its slots, in metres.
const GRID_MARGIN: f64 = 30.0;
/// Width of the lanes between slots, in metres.
const LANE: f64 = 16.0;

/// Splits `total` into whole parts proportional to `weights` (largest remainder), summing to
/// `total` exactly.
pub(crate) fn apportion(total: i64, weights: &[f64]) -> Vec<i64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        let n = weights.len() as i64;
        return (0..n)
            .map(|i| total / n + i64::from(i < total % n))
            .collect();
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| e.floor() as i64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let short = total - parts.iter().sum::<i64>();
    for &i in order.iter().cycle().take(short.max(0) as usize) {
        parts[i] += 1;
    }
    parts
}

/// How a community's compounds tend to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Profile {
    /// Old town: old compounds and unit dormitories, many unmanaged.
    Old,
    /// Old town left behind: mostly three-no compounds with many elderly residents.
    Underserved,
    Urban,
    NewBuild,
    VillageConverted,
}

impl Profile {
    pub fn of(kind: CommunityKind) -> Profile {
        match kind {
            CommunityKind::Old => Profile::Old,
            CommunityKind::Urban => Profile::Urban,
            CommunityKind::NewBuild => Profile::NewBuild,
            CommunityKind::VillageConverted => Profile::VillageConverted,
        }
    }
}

fn pick<T: Copy>(rng: &mut Rand, weighted: &[(T, f64)]) -> T {
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let mut x = rng.random::<f64>() * total;
    for &(v, w) in weighted {
        if x < w {
            return v;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

/// A compound before it is placed.
#[derive(Debug, Clone)]
pub(crate) struct CompoundSpec {
    pub name: String,
    pub class: CompoundClass,
    pub households: i64,
    pub population: i64,
    pub elderly: i64,
    pub build_year: i64,
    pub property_management: PropertyManagement,
    pub owners_committee: bool,
    pub competent_unit: bool,
    /// Number of buildings.
    pub buildings: usize,
}

impl CompoundSpec {
    pub fn three_no(&self) -> bool {
        self.property_management == PropertyManagement::None
            && !self.owners_committee
            && !self.competent_unit
    }

    /// A compound with the given governance and size; population, elderly and buildings drawn
    /// from the class's typical ranges.
    #[allow(clippy::too_many_arguments)]
    pub fn sized(
        rng: &mut Rand,
        name: impl Into<String>,
        class: CompoundClass,
        households: i64,
        build_year: i64,
        property_management: PropertyManagement,
        owners_committee: bool,
        competent_unit: bool,
    ) -> Self {
        let population = (households as f64 * persons_per_household(rng, class)).round() as i64;
        let elderly = (population as f64 * elderly_share(rng, class, false)).round() as i64;
        CompoundSpec {
            name: name.into(),
            class,
            households,
            population,
            elderly,
            build_year,
            property_management,
            owners_committee,
            competent_unit,
            buildings: typical_buildings(rng, class, households),
        }
    }

    /// A compound typical of `profile`; `buildings` fixes the building count (synthetic city).
    pub fn random(
        rng: &mut Rand,
        profile: Profile,
        namer: &mut Namer,
        buildings: Option<usize>,
    ) -> Self {
        let class = random_class(rng, profile);
        let households = random_households(rng, class, buildings);
        let build_year = random_build_year(rng, class);
        let (pm, oc, cu) = if profile == Profile::Underserved {
            underserved_governance(rng)
        } else {
            usual_governance(rng, class)
        };
        let population = (households as f64 * persons_per_household(rng, class)).round() as i64;
        let three_no = pm == PropertyManagement::None && !oc && !cu;
        let share = elderly_share(rng, class, profile == Profile::Underserved && three_no);
        CompoundSpec {
            name: namer.compound(rng, class),
            class,
            households,
            population,
            elderly: (population as f64 * share).round() as i64,
            build_year,
            property_management: pm,
            owners_committee: oc,
            competent_unit: cu,
            buildings: buildings.unwrap_or_else(|| typical_buildings(rng, class, households)),
        }
    }
}

/// The class of a compound typical of `profile`.
fn random_class(rng: &mut Rand, profile: Profile) -> CompoundClass {
    match profile {
        Profile::Old => pick(
            rng,
            &[
                (CompoundClass::Old, 0.55),
                (CompoundClass::UnitOwned, 0.25),
                (CompoundClass::Resettlement, 0.1),
                (CompoundClass::Commodity, 0.1),
            ],
        ),
        Profile::Underserved => pick(
            rng,
            &[(CompoundClass::Old, 0.6), (CompoundClass::UnitOwned, 0.4)],
        ),
        Profile::Urban => pick(
            rng,
            &[
                (CompoundClass::Old, 0.3),
                (CompoundClass::UnitOwned, 0.1),
                (CompoundClass::Commodity, 0.4),
                (CompoundClass::New, 0.1),
                (CompoundClass::Resettlement, 0.1),
            ],
        ),
        Profile::NewBuild => pick(
            rng,
            &[
                (CompoundClass::Commodity, 0.45),
                (CompoundClass::New, 0.4),
                (CompoundClass::Resettlement, 0.1),
                (CompoundClass::Old, 0.05),
            ],
        ),
        Profile::VillageConverted => pick(
            rng,
            &[
                (CompoundClass::Resettlement, 0.55),
                (CompoundClass::Old, 0.15),
                (CompoundClass::Commodity, 0.15),
                (CompoundClass::New, 0.15),
            ],
        ),
    }
}

/// Households typical of `class`; with a fixed building count, at least one per building.
fn random_households(rng: &mut Rand, class: CompoundClass, buildings: Option<usize>) -> i64 {
    match (class, buildings) {
        (_, Some(b)) => rng.random_range(100..=600).max(b as i64),
        (CompoundClass::Old, None) => rng.random_range(50..=260),
        (CompoundClass::UnitOwned, None) => rng.random_range(40..=200),
        (CompoundClass::Resettlement, None) => rng.random_range(180..=600),
        (CompoundClass::Commodity, None) => rng.random_range(180..=700),
        (CompoundClass::New, None) => rng.random_range(160..=600),
    }
}

/// A build year typical of `class`.
fn random_build_year(rng: &mut Rand, class: CompoundClass) -> i64 {
    match class {
        CompoundClass::Old => rng.random_range(1982..=2003),
        CompoundClass::UnitOwned => rng.random_range(1975..=1998),
        CompoundClass::Resettlement => rng.random_range(2004..=2018),
        CompoundClass::Commodity => rng.random_range(2000..=2020),
        CompoundClass::New => rng.random_range(2012..=2023),
    }
}

/// Property management, owners' committee and competent unit of an underserved community's
/// compound: three-no unless the community has taken the compound in hand.
fn underserved_governance(rng: &mut Rand) -> (PropertyManagement, bool, bool) {
    if rng.random_bool(0.7) {
        (PropertyManagement::None, false, false)
    } else {
        let pm = pick(
            rng,
            &[
                (PropertyManagement::CommunityHosted, 0.6),
                (PropertyManagement::Joint, 0.4),
            ],
        );
        (pm, rng.random_bool(0.3), rng.random_bool(0.2))
    }
}

/// Property management, owners' committee and competent unit typical of `class`.
fn usual_governance(rng: &mut Rand, class: CompoundClass) -> (PropertyManagement, bool, bool) {
    let pm = match class {
        CompoundClass::Old => pick(
            rng,
            &[
                (PropertyManagement::None, 0.4),
                (PropertyManagement::CommunityHosted, 0.3),
                (PropertyManagement::Joint, 0.2),
                (PropertyManagement::Professional, 0.1),
            ],
        ),
        CompoundClass::UnitOwned => pick(
            rng,
            &[
                (PropertyManagement::None, 0.35),
                (PropertyManagement::CommunityHosted, 0.35),
                (PropertyManagement::Joint, 0.15),
                (PropertyManagement::Professional, 0.15),
            ],
        ),
        CompoundClass::Resettlement => pick(
            rng,
            &[
                (PropertyManagement::CommunityHosted, 0.4),
                (PropertyManagement::Professional, 0.4),
                (PropertyManagement::Joint, 0.2),
            ],
        ),
        CompoundClass::Commodity | CompoundClass::New => pick(
            rng,
            &[
                (PropertyManagement::Professional, 0.9),
                (PropertyManagement::Joint, 0.1),
            ],
        ),
    };
    let oc = rng.random_bool(match pm {
        PropertyManagement::Professional => 0.6,
        PropertyManagement::Joint => 0.25,
        PropertyManagement::CommunityHosted => 0.15,
        PropertyManagement::None | PropertyManagement::CommunityFallback => 0.1,
    });
    let cu = rng.random_bool(match class {
        CompoundClass::UnitOwned => 0.55,
        CompoundClass::Resettlement => 0.35,
        CompoundClass::Old => 0.1,
        CompoundClass::Commodity | CompoundClass::New => 0.02,
    });
    (pm, oc, cu)
}

fn persons_per_household(rng: &mut Rand, class: CompoundClass) -> f64 {
    match class {
        CompoundClass::Old | CompoundClass::UnitOwned => rng.random_range(2.8..3.5),
        CompoundClass::Resettlement => rng.random_range(2.9..3.4),
        CompoundClass::Commodity | CompoundClass::New => rng.random_range(2.5..3.1),
    }
}

/// Share of residents aged 60+; `left_behind` for three-no compounds of underserved communities.
pub(crate) fn elderly_share(rng: &mut Rand, class: CompoundClass, left_behind: bool) -> f64 {
    if left_behind {
        return rng.random_range(0.27..0.36);
    }
    match class {
        CompoundClass::Old => rng.random_range(0.19..0.28),
        CompoundClass::UnitOwned => rng.random_range(0.24..0.34),
        CompoundClass::Resettlement => rng.random_range(0.14..0.22),
        CompoundClass::Commodity => rng.random_range(0.10..0.18),
        CompoundClass::New => rng.random_range(0.07..0.14),
    }
}

fn typical_buildings(rng: &mut Rand, class: CompoundClass, households: i64) -> usize {
    let per = match class {
        CompoundClass::Old | CompoundClass::UnitOwned => rng.random_range(18.0..36.0),
        CompoundClass::Resettlement => rng.random_range(40.0..80.0),
        CompoundClass::Commodity | CompoundClass::New => rng.random_range(60.0..140.0),
    };
    ((households as f64 / per).round() as usize).max(1)
}

fn floors(rng: &mut Rand, class: CompoundClass) -> i64 {
    match class {
        CompoundClass::Old => rng.random_range(5..=7),
        CompoundClass::UnitOwned => rng.random_range(4..=7),
        CompoundClass::Resettlement => rng.random_range(11..=18),
        CompoundClass::Commodity => rng.random_range(18..=33),
        CompoundClass::New => rng.random_range(11..=33),
    }
}

/// A scattered building 散居楼栋 before it is placed.
#[derive(Debug, Clone)]
pub(crate) struct ScatteredSpec {
    pub name: String,
    pub households: i64,
    pub floors: i64,
    pub build_year: i64,
}

impl ScatteredSpec {
    pub fn random(rng: &mut Rand, namer: &mut Namer) -> Self {
        ScatteredSpec {
            name: namer.address(rng),
            households: rng.random_range(6..=24),
            floors: rng.random_range(3..=7),
            build_year: rng.random_range(1975..=1998),
        }
    }
}

const OLD_STEMS: &[&str] = &[
    "红旗", "光明", "建设", "和平", "团结", "向阳", "东风", "新华", "民主", "人民", "胜利", "幸福",
    "前进", "育才", "青年", "繁荣", "工农", "春光", "桂花", "文化",
];
const OLD_SUFFIXES: &[&str] = &["小区", "院落", "新村", "大院"];
const UNITS: &[&str] = &[
    "化工厂",
    "液压件厂",
    "起重机厂",
    "酒厂",
    "邮电局",
    "供电局",
    "粮站",
    "运输公司",
    "卫校",
    "建筑公司",
    "机械厂",
    "纺织厂",
    "水泥厂",
    "农机厂",
    "物资局",
    "商业局",
    "电机厂",
    "印刷厂",
];
const UNIT_SUFFIXES: &[&str] = &["宿舍", "家属院", "家属区"];
const MODERN_STEMS: &[&str] = &[
    "锦绣", "翡翠", "天府", "江岸", "滨江", "御景", "新城", "阳光", "金色", "紫荆", "香樟", "桂湖",
    "龙城", "书香", "云锦", "玉龙", "凤凰", "江山", "泰和", "华府",
];
const MODERN_SUFFIXES: &[&str] = &[
    "华庭", "名都", "花园", "家园", "雅苑", "公馆", "府", "湾", "里", "天地", "春天", "苑",
];
const ROADS: &[&str] = &["路", "街", "巷"];

/// Names compounds and addresses without repeats within one community.
#[derive(Debug)]
pub(crate) struct Namer {
    /// The community's name without "社区"/"村" ("龙南").
    stem: String,
    used: HashSet<String>,
}

impl Namer {
    pub fn new(community_name: &str) -> Self {
        let stem = community_name
            .trim_end_matches("社区")
            .trim_end_matches('村');
        let stem = if stem.is_empty() {
            community_name
        } else {
            stem
        };
        Namer {
            stem: stem.to_owned(),
            used: HashSet::new(),
        }
    }

    /// Marks a name as taken (for hand-written names).
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_owned());
    }

    fn unique(&mut self, name: String) -> String {
        if self.used.insert(name.clone()) {
            return name;
        }
        for phase in ["二期", "三期", "四期", "五期"] {
            let n = format!("{name}{phase}");
            if self.used.insert(n.clone()) {
                return n;
            }
        }
        let mut i = 2;
        loop {
            let n = format!("{name}{i}区");
            if self.used.insert(n.clone()) {
                return n;
            }
            i += 1;
        }
    }

    pub fn compound(&mut self, rng: &mut Rand, class: CompoundClass) -> String {
        let stem = &self.stem;
        let base = match class {
            CompoundClass::Old => match rng.random_range(0..3) {
                0 => format!("{stem}{}号院", rng.random_range(1..120)),
                _ => format!(
                    "{}{}",
                    OLD_STEMS.choose(rng).copied().unwrap_or("和平"),
                    OLD_SUFFIXES.choose(rng).copied().unwrap_or("小区")
                ),
            },
            CompoundClass::UnitOwned => format!(
                "{}{}",
                UNITS.choose(rng).copied().unwrap_or("机械厂"),
                UNIT_SUFFIXES.choose(rng).copied().unwrap_or("宿舍")
            ),
            CompoundClass::Resettlement => {
                if rng.random_bool(0.5) {
                    format!("{stem}安置小区")
                } else {
                    format!(
                        "{stem}还房{}期",
                        ["一", "二", "三"].choose(rng).copied().unwrap_or("一")
                    )
                }
            }
            CompoundClass::Commodity | CompoundClass::New => {
                format!(
                    "{}{}",
                    MODERN_STEMS.choose(rng).copied().unwrap_or("阳光"),
                    MODERN_SUFFIXES.choose(rng).copied().unwrap_or("花园")
                )
            }
        };
        self.unique(base)
    }

    /// A street address for a scattered building ("龙南路23号").
    pub fn address(&mut self, rng: &mut Rand) -> String {
        let road = ROADS.choose(rng).copied().unwrap_or("路");
        let base = format!("{}{road}{}号", self.stem, rng.random_range(1..200));
        self.unique(base)
    }
}

/// One grid's contents before layout.
#[derive(Debug, Clone, Default)]
pub(crate) struct GridSpec {
    pub compounds: Vec<CompoundSpec>,
    pub scattered: Vec<ScatteredSpec>,
    /// Free slots beyond the one every grid keeps for its grid post and the one scattered
    /// buildings need.
    pub extra_free: usize,
    pub workers: i64,
    pub locked: bool,
}

impl GridSpec {
    pub fn free_slots(&self) -> usize {
        1 + usize::from(!self.scattered.is_empty()) + self.extra_free
    }

    /// Slots the grid needs; its share of the community's area.
    pub fn slots(&self) -> usize {
        self.compounds.len() + self.free_slots()
    }
}

/// A community, its grids and where they lie.
#[derive(Debug, Clone)]
pub(crate) struct CommunityPlan {
    pub code: String,
    pub name: String,
    pub street_code: String,
    pub kind: CommunityKind,
    pub residents_groups: i64,
    pub block: Block,
    pub grids: Vec<GridSpec>,
    pub grid_blocks: Vec<Block>,
    /// Put three-no compounds in the westmost slots of each grid.
    pub three_no_west: bool,
    /// Plan rectangles no slot may reach into (a river and its banks).
    pub keep_clear: Vec<Rect>,
}

impl CommunityPlan {
    /// Plans a community; its grids split its block by the slots they need.
    pub fn new(
        code: &str,
        name: &str,
        street_code: &str,
        kind: CommunityKind,
        residents_groups: i64,
        block: Block,
        grids: Vec<GridSpec>,
    ) -> Self {
        let weights: Vec<f64> = grids.iter().map(|g| g.slots() as f64).collect();
        let grid_blocks = split(block, &weights);
        CommunityPlan {
            code: code.to_owned(),
            name: name.to_owned(),
            street_code: street_code.to_owned(),
            kind,
            residents_groups,
            block,
            grids,
            grid_blocks,
            three_no_west: false,
            keep_clear: Vec::new(),
        }
    }

    /// Lays the grids out as east–west bands and puts each band's three-no compounds in its
    /// west, so they can be kept far from services to the east.
    pub fn with_three_no_west(mut self) -> Self {
        let weights: Vec<f64> = self.grids.iter().map(|g| g.slots() as f64).collect();
        self.grid_blocks = split_bands(self.block, &weights);
        self.three_no_west = true;
        self
    }

    /// Households of every compound and scattered building.
    pub fn households(&self) -> i64 {
        self.grids
            .iter()
            .map(|g| {
                g.compounds.iter().map(|c| c.households).sum::<i64>()
                    + g.scattered.iter().map(|s| s.households).sum::<i64>()
            })
            .sum()
    }

    pub fn grid_code(&self, i: usize) -> String {
        format!("{}{:03}", self.code, i + 1)
    }
}

/// A free slot: open ground inside a grid for scattered buildings and facilities, handed out
/// one cell of a 4 × 4 raster at a time.
#[derive(Debug, Clone)]
pub(crate) struct FreeSlot {
    pub rect: Rect,
    pub grid: usize,
    taken: usize,
}

/// Order in which a free slot's cells are handed out (spread out first).
const CELL_ORDER: [usize; 16] = [5, 10, 0, 15, 3, 12, 6, 9, 1, 14, 4, 11, 2, 13, 7, 8];

impl FreeSlot {
    fn cell(&self, k: usize) -> Rect {
        let inner = self.rect.inset(3.0);
        let c = CELL_ORDER[k % 16];
        let (cw, ch) = (inner.width() / 4.0, inner.height() / 4.0);
        let x0 = inner.x0 + (c % 4) as f64 * cw;
        let y0 = inner.y0 + (c / 4) as f64 * ch;
        let cell = Rect::new(x0, y0, x0 + cw, y0 + ch);
        // Later rounds shrink towards the cell's corner so points do not repeat.
        let round = (k / 16) as f64;
        cell.inset(round.min(4.0) * cw.min(ch) * 0.05)
    }

    fn peek(&self) -> Coord {
        let cell = self.cell(self.taken);
        let round = (self.taken / 16) as f64;
        cell.at(0.5 - 0.08 * round.min(5.0), 0.5 - 0.06 * round.min(5.0))
    }

    /// The next free point.
    pub fn take(&mut self) -> Coord {
        let p = self.peek();
        self.taken += 1;
        p
    }

    /// The next free cell (for a footprint or a small open space).
    pub fn take_cell(&mut self) -> Rect {
        let c = self.cell(self.taken);
        self.taken += 1;
        c
    }
}

/// A compound as placed.
#[derive(Debug, Clone)]
pub(crate) struct PlacedCompound {
    pub id: i64,
    pub name: String,
    /// Ring in plan metres (open).
    pub ring: Vec<Coord>,
    pub centre: Coord,
    pub three_no: bool,
    /// Its slot in the grid's slot layout, and the grid's position in the community.
    pub slot: Rect,
    pub grid: usize,
    /// Its buildings' cells (the site: the slot less the margin kept along the ring).
    pub site: CellGrid,
}

/// Where a grid's slots lie: the grid's block, and the slots' grid within it (lanes run along
/// the gaps between slots).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GridLayout {
    pub block: Block,
    pub slots: CellGrid,
}

/// A community after its grids, compounds and buildings are placed.
#[derive(Debug)]
pub(crate) struct Filled {
    pub code: String,
    pub name: String,
    pub kind: CommunityKind,
    pub block: Block,
    pub grid_codes: Vec<String>,
    pub grids: Vec<GridLayout>,
    pub free: Vec<FreeSlot>,
    pub compounds: Vec<PlacedCompound>,
    pub households: i64,
}

impl Filled {
    /// A free point in the slot nearest `target` whose next point passes `ok`.
    pub fn take_near(&mut self, target: Coord, ok: &dyn Fn(Coord) -> bool) -> Option<Coord> {
        let mut order: Vec<usize> = (0..self.free.len()).collect();
        let d = |s: &FreeSlot| {
            let c = s.rect.centre();
            (c.x - target.x).hypot(c.y - target.y)
        };
        order.sort_by(|&a, &b| d(&self.free[a]).total_cmp(&d(&self.free[b])));
        let i = order.into_iter().find(|&i| ok(self.free[i].peek()))?;
        Some(self.free[i].take())
    }

    /// A free point near the community's centre.
    pub fn take_central(&mut self) -> Option<Coord> {
        self.take_near(self.block.centre(), &|_| true)
    }

    /// A free point in a grid's own free slot.
    pub fn take_in_grid(&mut self, grid: usize) -> Option<Coord> {
        self.free
            .iter_mut()
            .find(|s| s.grid == grid)
            .map(FreeSlot::take)
    }

    /// A free point anywhere, spreading over the slots.
    pub fn take_any(&mut self, rng: &mut Rand) -> Option<Coord> {
        if self.free.is_empty() {
            return None;
        }
        let i = rng.random_range(0..self.free.len());
        Some(self.free[i].take())
    }

    /// A free cell anywhere.
    pub fn take_cell_any(&mut self, rng: &mut Rand) -> Option<Rect> {
        if self.free.is_empty() {
            return None;
        }
        let i = rng.random_range(0..self.free.len());
        Some(self.free[i].take_cell())
    }
}

/// A service space before it is placed.
#[derive(Debug, Clone)]
pub(crate) struct SpaceSpec {
    pub name: String,
    pub services: Vec<ServiceType>,
    pub floor_area: f64,
    pub operating_model: OperatingModel,
    pub level: FacilityLevel,
    pub station_id: Option<i64>,
    pub capacity: Option<i64>,
    pub opening_hours: Option<&'static str>,
}

impl SpaceSpec {
    pub fn new(
        name: impl Into<String>,
        services: &[ServiceType],
        floor_area: f64,
        operating_model: OperatingModel,
        level: FacilityLevel,
    ) -> Self {
        SpaceSpec {
            name: name.into(),
            services: services.to_vec(),
            floor_area,
            operating_model,
            level,
            station_id: None,
            capacity: None,
            opening_hours: None,
        }
    }

    pub fn hosted_by(mut self, station: i64) -> Self {
        self.station_id = Some(station);
        self
    }

    pub fn capacity(mut self, people: i64) -> Self {
        self.capacity = Some(people);
        self
    }

    pub fn hours(mut self, hours: &'static str) -> Self {
        self.opening_hours = Some(hours);
        self
    }

    pub fn offers_elderly_care(&self) -> bool {
        self.services
            .iter()
            .any(|s| matches!(s, ServiceType::ElderlyCare | ServiceType::MealHelp))
    }
}

/// Writes features into a dataset, numbering each layer from 1.
pub(crate) struct Writer<'a> {
    pub plan: &'a Plan,
    pub data: &'a mut Dataset,
    /// Buildings as footprints (the demo) or as points (the synthetic city).
    pub footprints: bool,
}

impl Writer<'_> {
    pub fn street(&mut self, code: &str, name: &str, block: Block) {
        let id = self.data.streets.len() as i64 + 1;
        self.data.streets.push(engine::Street {
            id,
            version: 1,
            code: code.to_owned(),
            name: name.to_owned(),
            geometry: MultiPolygon(vec![self.plan.tile(block)]),
        });
    }

    pub fn station(
        &mut self,
        community: &str,
        name: impl Into<String>,
        kind: StationKind,
        level: FacilityLevel,
        floor_area: Option<f64>,
        at: Coord,
    ) -> i64 {
        let id = self.data.stations.len() as i64 + 1;
        self.data.stations.push(Station {
            id,
            version: 1,
            name: name.into(),
            kind,
            community_code: community.to_owned().into(),
            level,
            floor_area,
            geometry: Point(self.plan.lonlat(at)),
        });
        id
    }

    pub fn space_at(&mut self, community: &str, spec: SpaceSpec, at: Coord) -> i64 {
        let g = Geometry::Point(Point(self.plan.lonlat(at)));
        self.space(community, spec, g)
    }

    /// A service space drawn as its outline (an open-air space).
    pub fn space_area(&mut self, community: &str, spec: SpaceSpec, cell: Rect) -> i64 {
        let r = cell.inset(cell.width().min(cell.height()) * 0.15);
        let ring = [
            r.at(0.0, 0.0),
            r.at(1.0, 0.0),
            r.at(1.0, 1.0),
            r.at(0.0, 1.0),
        ];
        let g = Geometry::Polygon(self.plan.polygon(&ring));
        self.space(community, spec, g)
    }

    fn space(&mut self, community: &str, spec: SpaceSpec, geometry: Geometry) -> i64 {
        let id = self.data.service_spaces.len() as i64 + 1;
        self.data.service_spaces.push(ServiceSpace {
            id,
            version: 1,
            name: spec.name,
            community_code: community.to_owned().into(),
            services: spec.services,
            floor_area: spec.floor_area,
            operating_model: spec.operating_model,
            level: spec.level,
            station_id: spec.station_id,
            capacity: spec.capacity,
            opening_hours: spec.opening_hours.map(str::to_owned),
            geometry,
        });
        id
    }

    /// Writes a community with its grids, compounds and buildings.
    pub fn community(&mut self, cp: &CommunityPlan, rng: &mut Rand) -> Filled {
        let community_id = self.data.communities.len() as i64 + 1;
        self.data.communities.push(Community {
            id: community_id,
            version: 1,
            code: cp.code.clone(),
            name: cp.name.clone(),
            street_code: cp.street_code.clone(),
            kind: cp.kind,
            residents_groups: cp.residents_groups,
            geometry: MultiPolygon(vec![self.plan.tile(cp.block)]),
        });
        let mut filled = Filled {
            code: cp.code.clone(),
            name: cp.name.clone(),
            kind: cp.kind,
            block: cp.block,
            grid_codes: Vec::with_capacity(cp.grids.len()),
            grids: Vec::with_capacity(cp.grids.len()),
            free: Vec::new(),
            compounds: Vec::new(),
            households: cp.households(),
        };
        for (gi, (spec, &block)) in cp.grids.iter().zip(&cp.grid_blocks).enumerate() {
            let code = cp.grid_code(gi);
            filled.grid_codes.push(code.clone());
            let id = self.data.grids.len() as i64 + 1;
            self.data.grids.push(Grid {
                id,
                version: 1,
                code: code.clone(),
                name: format!("{}第{}网格", cp.name, gi + 1),
                community_code: cp.code.clone().into(),
                workers: spec.workers,
                locked: spec.locked,
                geometry: self.plan.tile(block),
            });
            let area = cp
                .keep_clear
                .iter()
                .fold(block.inset(GRID_MARGIN), |area, &k| area.clear_of(k));
            let layout = area.grid(spec.slots(), LANE, 1.0);
            filled.grids.push(GridLayout {
                block,
                slots: layout,
            });
            let mut slots = layout.cells();
            let mut compounds: Vec<&CompoundSpec> = spec.compounds.iter().collect();
            if cp.three_no_west {
                slots.sort_by(|a, b| a.x0.total_cmp(&b.x0).then(a.y0.total_cmp(&b.y0)));
                compounds.sort_by_key(|c| !c.three_no());
            } else {
                slots.shuffle(rng);
            }
            let (used, free) = slots.split_at(compounds.len().min(slots.len()));
            for (c, &slot) in compounds.iter().zip(used) {
                let placed = self.compound(cp, (gi, &code), c, slot, rng);
                filled.compounds.push(placed);
            }
            let first_free = filled.free.len();
            filled.free.extend(free.iter().map(|&rect| FreeSlot {
                rect,
                grid: gi,
                taken: 0,
            }));
            for s in &spec.scattered {
                let slot = &mut filled.free[first_free];
                let cell = slot.take_cell();
                self.scattered(cp, &code, s, cell, rng);
            }
        }
        filled
    }

    fn compound(
        &mut self,
        cp: &CommunityPlan,
        (grid, grid_code): (usize, &str),
        c: &CompoundSpec,
        slot: Rect,
        rng: &mut Rand,
    ) -> PlacedCompound {
        let side = slot.width().min(slot.height());
        let wobble = (0.04 * side).min(4.0);
        let cut = if side >= 40.0 && rng.random_bool(0.35) {
            Some(rng.random_range(0..4))
        } else {
            None
        };
        let mut w = || Coord {
            x: rng.random_range(-wobble..=wobble),
            y: rng.random_range(-wobble..=wobble),
        };
        let corners = [
            slot.at(0.0, 0.0),
            slot.at(1.0, 0.0),
            slot.at(1.0, 1.0),
            slot.at(0.0, 1.0),
        ];
        let chamfer = 0.2 * side;
        let mut ring = Vec::with_capacity(5);
        for (i, &p) in corners.iter().enumerate() {
            if cut == Some(i) {
                let prev = corners[(i + 3) % 4];
                let next = corners[(i + 1) % 4];
                let toward = |q: Coord| {
                    let len = (q.x - p.x).hypot(q.y - p.y);
                    Coord {
                        x: p.x + (q.x - p.x) / len * chamfer,
                        y: p.y + (q.y - p.y) / len * chamfer,
                    }
                };
                ring.push(toward(prev) + w());
                ring.push(toward(next) + w());
            } else {
                ring.push(p + w());
            }
        }
        let id = self.data.compounds.len() as i64 + 1;
        self.data.compounds.push(Compound {
            id,
            version: 1,
            name: c.name.clone(),
            community_code: cp.code.clone().into(),
            grid_code: Some(grid_code.to_owned().into()),
            households: c.households,
            population: c.population,
            elderly: c.elderly.min(c.population),
            build_year: Some(c.build_year),
            class: c.class,
            property_management: c.property_management,
            owners_committee: c.owners_committee,
            competent_unit: c.competent_unit,
            geometry: self.plan.polygon(&ring),
        });
        // Buildings keep clear of the (possibly cut) corners.
        let site = slot.inset(0.12 * side + wobble);
        let n = c.buildings.max(1).min(c.households.max(1) as usize);
        let shares: Vec<f64> = (0..n).map(|_| rng.random_range(0.7..1.3)).collect();
        let mut households = apportion(c.households - n as i64, &shares);
        for h in &mut households {
            *h += 1;
        }
        // Old walk-ups are slabs; towers are squarer.
        let aspect = match c.class {
            CompoundClass::Old | CompoundClass::UnitOwned | CompoundClass::Resettlement => 2.5,
            CompoundClass::Commodity | CompoundClass::New => 1.4,
        };
        let site = site.grid(n, 6.0, aspect);
        let cells = site.cells();
        for (k, (cell, hh)) in cells.iter().zip(households).enumerate() {
            let geometry = self.building_geometry(*cell, rng);
            let building_id = self.data.buildings.len() as i64 + 1;
            self.data.buildings.push(Building {
                id: building_id,
                version: 1,
                name: self.footprints.then(|| format!("{}栋", k + 1)),
                community_code: cp.code.clone().into(),
                compound_id: Some(id),
                grid_code: None,
                households: hh,
                floors: Some(floors(rng, c.class)),
                build_year: Some(c.build_year),
                location_approximate: false,
                geometry,
            });
        }
        PlacedCompound {
            id,
            name: c.name.clone(),
            ring,
            centre: slot.centre(),
            three_no: c.three_no(),
            slot,
            grid,
            site,
        }
    }

    fn scattered(
        &mut self,
        cp: &CommunityPlan,
        grid_code: &str,
        s: &ScatteredSpec,
        cell: Rect,
        rng: &mut Rand,
    ) {
        let geometry = self.building_geometry(cell, rng);
        let id = self.data.buildings.len() as i64 + 1;
        self.data.buildings.push(Building {
            id,
            version: 1,
            name: Some(s.name.clone()),
            community_code: cp.code.clone().into(),
            compound_id: None,
            grid_code: Some(grid_code.to_owned().into()),
            households: s.households,
            floors: Some(s.floors),
            build_year: Some(s.build_year),
            location_approximate: false,
            geometry,
        });
    }

    /// A building in its cell: a footprint filling most of the cell, or a point near its centre.
    fn building_geometry(&mut self, cell: Rect, rng: &mut Rand) -> Geometry {
        if self.footprints {
            let r = cell.inset(cell.width().min(cell.height()) * 0.15);
            let ring = [
                r.at(0.0, 0.0),
                r.at(1.0, 0.0),
                r.at(1.0, 1.0),
                r.at(0.0, 1.0),
            ];
            Geometry::Polygon(self.plan.polygon(&ring))
        } else {
            let fx = 0.5 + (f64::from(rng.next_u32() >> 16) / 65_536.0 - 0.5) * 0.4;
            let fy = 0.5 + (f64::from(rng.next_u32() >> 16) / 65_536.0 - 0.5) * 0.4;
            Geometry::Point(Point(self.plan.lonlat(cell.at(fx, fy))))
        }
    }
}

/// One kind of everyday service space communities set up.
struct Template {
    name: &'static str,
    services: &'static [ServiceType],
    model: OperatingModel,
    level: FacilityLevel,
    area: (f64, f64),
    outdoor: bool,
    capacity: Option<(i64, i64)>,
    hours: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        name: "四点半课堂",
        services: &[ServiceType::AfterSchool],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Community,
        area: (60.0, 150.0),
        outdoor: false,
        capacity: Some((20, 40)),
        hours: "15:30-18:30",
    },
    Template {
        name: "全民健身点",
        services: &[ServiceType::Fitness],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Compound,
        area: (200.0, 600.0),
        outdoor: true,
        capacity: None,
        hours: "06:00-22:00",
    },
    Template {
        name: "儿童游乐场",
        services: &[ServiceType::ChildrenPlay],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Compound,
        area: (150.0, 400.0),
        outdoor: true,
        capacity: None,
        hours: "07:00-21:00",
    },
    Template {
        name: "家政便民服务点",
        services: &[ServiceType::Housekeeping],
        model: OperatingModel::Market,
        level: FacilityLevel::Compound,
        area: (30.0, 80.0),
        outdoor: false,
        capacity: None,
        hours: "08:00-20:00",
    },
    Template {
        name: "托育园",
        services: &[ServiceType::Childcare],
        model: OperatingModel::Market,
        level: FacilityLevel::Community,
        area: (250.0, 600.0),
        outdoor: false,
        capacity: Some((30, 80)),
        hours: "07:30-18:00",
    },
    Template {
        name: "老年活动室",
        services: &[ServiceType::ElderlyCare, ServiceType::Culture],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Compound,
        area: (60.0, 150.0),
        outdoor: false,
        capacity: Some((20, 50)),
        hours: "08:30-17:30",
    },
    Template {
        name: "长者食堂",
        services: &[ServiceType::MealHelp],
        model: OperatingModel::LowCost,
        level: FacilityLevel::Community,
        area: (120.0, 300.0),
        outdoor: false,
        capacity: Some((40, 120)),
        hours: "10:30-13:30",
    },
    Template {
        name: "健身房",
        services: &[ServiceType::Fitness],
        model: OperatingModel::Market,
        level: FacilityLevel::Community,
        area: (300.0, 800.0),
        outdoor: false,
        capacity: Some((30, 100)),
        hours: "07:00-22:00",
    },
    Template {
        name: "文化活动室",
        services: &[ServiceType::Culture],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Compound,
        area: (50.0, 150.0),
        outdoor: false,
        capacity: Some((20, 60)),
        hours: "09:00-21:00",
    },
    Template {
        name: "亲子阅读角",
        services: &[ServiceType::Study, ServiceType::ChildrenPlay],
        model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Compound,
        area: (30.0, 80.0),
        outdoor: false,
        capacity: Some((10, 30)),
        hours: "09:00-20:00",
    },
    Template {
        name: "便民维修点",
        services: &[ServiceType::Housekeeping],
        model: OperatingModel::LowCost,
        level: FacilityLevel::Compound,
        area: (15.0, 40.0),
        outdoor: false,
        capacity: None,
        hours: "08:00-18:00",
    },
    Template {
        name: "托管班",
        services: &[ServiceType::AfterSchool, ServiceType::Study],
        model: OperatingModel::Market,
        level: FacilityLevel::Community,
        area: (80.0, 200.0),
        outdoor: false,
        capacity: Some((20, 60)),
        hours: "15:30-20:00",
    },
];

fn round_area(rng: &mut Rand, (lo, hi): (f64, f64)) -> f64 {
    (rng.random_range(lo..hi) / 5.0).round() * 5.0
}

/// Sets up a community's everyday stations and service spaces in proportion to its households
/// (about one service space per 300 households). `elderly_ok` says where elderly care and meal
/// help may go (the demo keeps them away from its deliberately underserved communities).
pub(crate) fn everyday_facilities(
    w: &mut Writer,
    f: &mut Filled,
    rng: &mut Rand,
    elderly_ok: &dyn Fn(Coord) -> bool,
) {
    let names = Names::of(f);
    let hh = f.households;
    let mut spaces_left = (hh as f64 / 300.0).round().max(2.0) as usize;
    let hosted = party_mass_centre(w, f, rng, elderly_ok, &names);
    spaces_left = spaces_left.saturating_sub(hosted);
    if matches!(f.kind, CommunityKind::Urban | CommunityKind::NewBuild) {
        service_station(w, f, rng, &names);
    }
    if hh > 1500 && rng.random_bool(0.7) {
        spaces_left = spaces_left.saturating_sub(health_station(w, f, rng, &names));
    }
    grid_posts(w, f, rng, &names);
    parcel_and_convenience_stations(w, f, rng, &names);
    if f.kind != CommunityKind::Old {
        kindergartens(w, f, rng, &names);
    }
    party_posts(w, f, rng, &names);
    template_spaces(w, f, rng, elderly_ok, &names.stem, spaces_left);
}

/// A community's code and names as its facilities use them.
struct Names {
    code: String,
    name: String,
    /// The name without "社区"/"村" ("龙南").
    stem: String,
}

impl Names {
    fn of(f: &Filled) -> Self {
        Names {
            code: f.code.clone(),
            name: f.name.clone(),
            stem: Namer::new(&f.name).stem,
        }
    }
}

/// The community's party-mass service centre with its book room and, where elderly care may go,
/// the day care centre (else near the centre of the community); returns the number of service
/// spaces set up.
fn party_mass_centre(
    w: &mut Writer,
    f: &mut Filled,
    rng: &mut Rand,
    elderly_ok: &dyn Fn(Coord) -> bool,
    n: &Names,
) -> usize {
    let Names { code, name, stem } = n;
    let Some(at) = f.take_central() else {
        return 0;
    };
    let area = round_area(rng, (300.0, 900.0));
    let centre = w.station(
        code,
        format!("{name}党群服务中心"),
        StationKind::PartyMassCentre,
        FacilityLevel::Community,
        Some(area),
        at,
    );
    w.space_at(
        code,
        SpaceSpec::new(
            format!("{stem}社区书屋"),
            &[ServiceType::Culture, ServiceType::Study],
            round_area(rng, (60.0, 150.0)),
            OperatingModel::PublicBenefit,
            FacilityLevel::Community,
        )
        .hosted_by(centre)
        .hours("09:00-21:00"),
        at,
    );
    let day_care = SpaceSpec::new(
        format!("{stem}日间照料中心"),
        &[ServiceType::ElderlyCare, ServiceType::MealHelp],
        round_area(rng, (200.0, 450.0)),
        OperatingModel::LowCost,
        FacilityLevel::Community,
    )
    .capacity(rng.random_range(40..=80))
    .hours("08:30-17:30");
    if elderly_ok(at) {
        w.space_at(code, day_care.hosted_by(centre), at);
        2
    } else if let Some(at) = f.take_near(f.block.centre(), elderly_ok) {
        w.space_at(code, day_care, at);
        2
    } else {
        1
    }
}

/// The community service station of an urban or new-build community.
fn service_station(w: &mut Writer, f: &mut Filled, rng: &mut Rand, n: &Names) {
    if let Some(at) = f.take_central() {
        w.station(
            &n.code,
            format!("{}综合服务站", n.name),
            StationKind::CommunityServiceStation,
            FacilityLevel::Community,
            Some(round_area(rng, (100.0, 250.0))),
            at,
        );
    }
}

/// A health station with its health hut; returns the number of service spaces set up.
fn health_station(w: &mut Writer, f: &mut Filled, rng: &mut Rand, n: &Names) -> usize {
    let Some(at) = f.take_any(rng) else {
        return 0;
    };
    let id = w.station(
        &n.code,
        format!("{}卫生服务站", n.name),
        StationKind::HealthStation,
        FacilityLevel::Community,
        Some(round_area(rng, (100.0, 300.0))),
        at,
    );
    w.space_at(
        &n.code,
        SpaceSpec::new(
            format!("{}健康小屋", n.stem),
            &[ServiceType::Health],
            round_area(rng, (20.0, 40.0)),
            OperatingModel::PublicBenefit,
            FacilityLevel::Community,
        )
        .hosted_by(id)
        .hours("08:00-17:00"),
        at,
    );
    1
}

/// A grid post in each grid's own free slot.
fn grid_posts(w: &mut Writer, f: &mut Filled, rng: &mut Rand, n: &Names) {
    for gi in 0..f.grid_codes.len() {
        if let Some(at) = f.take_in_grid(gi) {
            w.station(
                &n.code,
                format!("{}第{}网格驿站", n.name, gi + 1),
                StationKind::GridPost,
                FacilityLevel::Compound,
                Some(round_area(rng, (15.0, 40.0))),
                at,
            );
        }
    }
}

/// Distinguishes the `k`-th (from 0) of several like stations: nothing for the first, "2号",
/// "3号", … for the others.
fn number_suffix(k: i64) -> String {
    if k == 0 {
        String::new()
    } else {
        format!("{}号", k + 1)
    }
}

/// Parcel stations (one per 1,500 households) and convenience points (one per 2,000), at least
/// one of each.
fn parcel_and_convenience_stations(w: &mut Writer, f: &mut Filled, rng: &mut Rand, n: &Names) {
    let hh = f.households;
    for k in 0..(hh / 1500).max(1) {
        if let Some(at) = f.take_any(rng) {
            w.station(
                &n.code,
                format!("{}快递驿站{}", n.stem, number_suffix(k)),
                StationKind::ParcelStation,
                FacilityLevel::Compound,
                Some(round_area(rng, (20.0, 60.0))),
                at,
            );
        }
    }
    for k in 0..(hh / 2000).max(1) {
        if let Some(at) = f.take_any(rng) {
            w.station(
                &n.code,
                format!("{}便民服务点{}", n.stem, number_suffix(k)),
                StationKind::ConveniencePoint,
                FacilityLevel::Compound,
                Some(round_area(rng, (20.0, 120.0))),
                at,
            );
        }
    }
}

/// Kindergartens, one per 2,500 households.
fn kindergartens(w: &mut Writer, f: &mut Filled, rng: &mut Rand, n: &Names) {
    for k in 0..f.households / 2500 {
        if let Some(at) = f.take_any(rng) {
            let suffix = if k == 0 {
                String::new()
            } else {
                format!("第{}", k + 1)
            };
            w.station(
                &n.code,
                format!("{}{suffix}幼儿园", n.stem),
                StationKind::Kindergarten,
                FacilityLevel::Community,
                Some(round_area(rng, (1200.0, 3000.0))),
                at,
            );
        }
    }
}

/// A party post in every fourth compound.
fn party_posts(w: &mut Writer, f: &Filled, rng: &mut Rand, n: &Names) {
    for c in f.compounds.iter().step_by(4) {
        w.station(
            &n.code,
            format!("{}党员服务点", c.name),
            StationKind::PartyPost,
            FacilityLevel::Compound,
            Some(round_area(rng, (10.0, 30.0))),
            c.centre,
        );
    }
}

/// `count` service spaces drawn from [`TEMPLATES`]: open-air ones as areas, elderly care only
/// where `elderly_ok`.
fn template_spaces(
    w: &mut Writer,
    f: &mut Filled,
    rng: &mut Rand,
    elderly_ok: &dyn Fn(Coord) -> bool,
    stem: &str,
    count: usize,
) {
    let code = f.code.clone();
    let mut used = vec![0_u32; TEMPLATES.len()];
    for _ in 0..count {
        let k = rng.random_range(0..TEMPLATES.len());
        let t = &TEMPLATES[k];
        used[k] += 1;
        let label = if used[k] == 1 {
            format!("{stem}{}", t.name)
        } else {
            format!("{stem}{}（{}）", t.name, used[k])
        };
        let mut spec = SpaceSpec::new(label, t.services, round_area(rng, t.area), t.model, t.level)
            .hours(t.hours);
        if let Some((lo, hi)) = t.capacity {
            spec = spec.capacity(rng.random_range(lo..=hi));
        }
        if t.outdoor {
            if let Some(cell) = f.take_cell_any(rng) {
                if !spec.offers_elderly_care() || elderly_ok(cell.centre()) {
                    w.space_area(&code, spec, cell);
                }
            }
        } else if spec.offers_elderly_care() {
            if let Some(at) = f.take_near(f.block.centre(), elderly_ok) {
                w.space_at(&code, spec, at);
            }
        } else if let Some(at) = f.take_any(rng) {
            w.space_at(&code, spec, at);
        }
    }
}
