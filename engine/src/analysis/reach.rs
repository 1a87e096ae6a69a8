//! Per-unit reach 服务可达: for every compound 小区 and scattered building 散居楼栋, metres to the
//! nearest counting facility of each service type and checklist item.
//!
//! - Distance: ellipsoidal (WGS84), metres, wherever the data lies (see [`distance`](super::distance):
//!   one frame for the indexes, each pair measured at its own latitude), from
//!   the unit's geometry to the facility's (point or polygon); 0 when they touch or overlap. A
//!   compound with gates 小区出入口 is measured from its nearest gate (the minimum over its gates
//!   of the gate point's distance), since residents leave through a gate; a compound without
//!   gates from its polygon; a scattered building from its point or footprint. Found with
//!   an rstar nearest-neighbour walk over the counting facilities' bounding boxes from the unit's
//!   centre, refined with exact distances, stopping once no further facility can be nearer.
//! - A facility counts for a rule when it is selected ([`FacilitySelector`]) and its level is
//!   admitted by the rule's life circle ([`LifeCircle::admits`]).
//! - Covered: distance ≤ threshold. Units with no counting facility anywhere are not covered.
//! - Households: a compound's own count (not the sum of its buildings'); a scattered
//!   building's count. Target groups: see [`UnitCoverage::target`].

use std::sync::Arc;

use geo::Centroid;
use geo_types::{Geometry, Point};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Building, Compound, CompoundClass, Layer, PropertyManagement, ServiceType};
use crate::snapshot::{Dataset, Shared, Snapshot};

use super::areas::Lookups;
use super::distance::Metric;
use super::metric::{snapshot_metric, Facilities, FacilityIndex, Shape, UnitShape};
use super::standards::{
    ChecklistItem, FacilitySelector, LifeCircle, ServiceStandard, Standards, TargetGroup,
    WalkingStandard,
};
use super::walking::{scattered_positions, walk_network, RuleWalk, WalkNetwork};
use super::DistanceMetric;

/// What a residential unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A compound 小区/院落, measured from its nearest gate when it has gates, else from its
    /// polygon.
    Compound,
    /// A building outside any compound 散居楼栋, measured from its point or footprint.
    ScatteredBuilding,
}

/// The governance facts of a compound, carried as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompoundFacts {
    pub class: CompoundClass,
    pub build_year: Option<i64>,
    pub property_management: PropertyManagement,
    pub owners_committee: bool,
    pub competent_unit: bool,
    /// Three-no 三无: none of the three.
    pub three_no: bool,
    /// How many of the three are missing (0–3).
    pub missing_flags: u8,
}

/// A station or service space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FacilityRef {
    /// `stations` or `service_spaces`.
    pub layer: Layer,
    pub id: i64,
}

impl FacilityRef {
    /// The `i`-th facility of a dataset, counting its stations first, then its service spaces
    /// (how the analyses number facilities).
    pub(crate) fn of(data: &Dataset, i: usize) -> FacilityRef {
        match data.stations.get(i) {
            Some(s) => FacilityRef {
                layer: Layer::Stations,
                id: s.id,
            },
            None => FacilityRef {
                layer: Layer::ServiceSpaces,
                id: data.service_spaces[i - data.stations.len()].id,
            },
        }
    }
}

/// How far a unit is from a service type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceReach {
    pub service: ServiceType,
    /// Metres to the nearest counting facility by the coverage's metric (walking or straight);
    /// `None` when none exists (on foot: none reachable, or the unit is not joined).
    pub distance_m: Option<f64>,
    /// That facility (one of them when several are equally near).
    pub nearest: Option<FacilityRef>,
    /// The standard's threshold, metres.
    pub threshold_m: f64,
    /// `distance_m ≤ threshold_m`.
    pub covered: bool,
    /// Straight-line metres to the nearest counting facility.
    #[serde(default)]
    pub straight_m: Option<f64>,
    /// Walking metres along the ways, joining distances included (`None` without a network,
    /// or when the unit is not joined or reaches no facility).
    #[serde(default)]
    pub walk_m: Option<f64>,
    /// Detour factor 绕行系数: `walk_m / straight_m` (when both are known and the straight
    /// distance is above 1 m).
    #[serde(default)]
    pub detour: Option<f64>,
    /// Minutes on foot for `distance_m` at the walking speed of the standards.
    #[serde(default)]
    pub minutes: Option<f64>,
    /// Covered measured in a straight line.
    #[serde(default)]
    pub covered_straight: bool,
    /// Covered measured on foot (`None` without a network).
    #[serde(default)]
    pub covered_walk: Option<bool>,
}

/// How far a unit is from a complete-community checklist facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChecklistReach {
    pub item: ChecklistItem,
    /// Metres to the nearest counting facility; `None` when none exists.
    pub distance_m: Option<f64>,
    /// That facility (one of them when several are equally near).
    pub nearest: Option<FacilityRef>,
    pub threshold_m: f64,
    /// `distance_m ≤ threshold_m`.
    pub within: bool,
    /// Straight-line and walking metres (as for [`ServiceReach`]).
    #[serde(default)]
    pub straight_m: Option<f64>,
    #[serde(default)]
    pub walk_m: Option<f64>,
}

/// One compound or scattered building with its distances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitCoverage {
    pub kind: UnitKind,
    /// The compound's or building's id.
    pub id: i64,
    pub name: Option<String>,
    pub community_code: String,
    pub grid_code: Option<String>,
    /// The street of the unit's community, when the community is known.
    pub street_code: Option<String>,
    pub households: i64,
    /// Residents (the compound's count; estimated for scattered buildings).
    pub population: f64,
    /// Residents aged 60+ (the compound's count; estimated for scattered buildings).
    pub elderly: f64,
    /// Children aged 0–3, estimated from population.
    pub infants: f64,
    /// Children aged 6–14, estimated from population.
    pub school_age: f64,
    /// Whether population and elderly are estimates ([`Demography`](super::Demography)).
    pub estimated: bool,
    /// The compound's gates the distances were measured from; 0: measured from the polygon
    /// (and for scattered buildings).
    #[serde(default)]
    pub gates: usize,
    /// Joined to the walking network (`None` without a network): `false` when farther than
    /// the join limit from every walkable way, so it has no walking distance.
    #[serde(default)]
    pub joined: Option<bool>,
    /// A representative point, lon/lat (polygon centroid or the building's point).
    pub centroid: [f64; 2],
    /// The compound's governance facts (`None` for scattered buildings).
    pub compound: Option<CompoundFacts>,
    /// One entry per service standard, in the standards' order.
    pub services: Vec<ServiceReach>,
    /// One entry per checklist item, in the standards' order.
    pub checklist: Vec<ChecklistReach>,
}

impl UnitCoverage {
    /// The size of a target group here: households, or persons.
    pub fn target(&self, group: TargetGroup) -> f64 {
        match group {
            TargetGroup::Households => self.households as f64,
            TargetGroup::Elderly => self.elderly,
            TargetGroup::Infants => self.infants,
            TargetGroup::SchoolAge => self.school_age,
        }
    }

    /// The unit's reach of a service type, if analysed.
    pub fn reach(&self, service: ServiceType) -> Option<&ServiceReach> {
        self.services.iter().find(|r| r.service == service)
    }
}

/// A distinct facility rule: which facilities, at which tier.
pub(super) type Rule = (FacilitySelector, LifeCircle);

fn rule_key(selector: &FacilitySelector, life_circle: LifeCircle) -> Rule {
    (selector.canonical(), life_circle)
}

/// The geometry work of a coverage: unit shapes and, per unit and distinct facility rule, the
/// distance to the nearest counting facility.
#[derive(Debug)]
pub(crate) struct Measured {
    /// The frame of the shapes, and how distances are measured in it.
    pub(crate) metric: Metric,
    /// Unit shapes in the metric frame (`None` for empty geometry): compounds, then scattered
    /// buildings; in pieces shared with the measure updated from this one.
    pub(crate) shapes: Shared<Option<UnitShape>>,
    /// Positions of the scattered buildings in the buildings layer.
    pub(super) scattered: Arc<Vec<usize>>,
    pub(super) rules: Vec<Rule>,
    /// `rules.len()` entries per unit: metres and the facility (stations then spaces).
    pub(super) distances: Vec<Option<(f64, u32)>>,
    /// Walking distances along the snapshot's network, laid out as `distances`.
    pub(crate) walk: Option<Walked>,
    /// The join limit the network was built with.
    pub(super) join_limit_m: f64,
    /// Every station and service space in the frame.
    pub(super) facilities: Arc<Facilities>,
    /// Per rule, its counting facilities indexed.
    pub(super) indexes: Vec<Arc<FacilityIndex>>,
    /// When updated from another measure after an edit ([`Measured::after_edit`]): that
    /// measure's address and the units whose shape or distances may differ from it.
    pub(crate) updated_from: Option<(usize, Vec<usize>)>,
}

/// Walking distances of every unit and facility rule.
#[derive(Debug)]
pub(crate) struct Walked {
    pub(crate) network: Arc<WalkNetwork>,
    pub(super) distances: Vec<Option<(f64, u32)>>,
    /// Per rule, the search that found them.
    pub(super) rules: Vec<Arc<RuleWalk>>,
}

impl Measured {
    pub(crate) fn measure(snapshot: &Snapshot, standards: &Standards) -> Measured {
        let data = &snapshot.data;
        let metric = snapshot_metric(snapshot);
        let frame = metric.frame;
        let rules = rules_of(standards);
        let facilities = Facilities::project(data, &frame);
        let indexes: Vec<Arc<FacilityIndex>> = rules
            .par_iter()
            .map(|(sel, lc)| Arc::new(FacilityIndex::build(data, &facilities, sel, *lc)))
            .collect();

        let scattered = scattered_positions(snapshot);
        let shapes: Vec<Option<UnitShape>> = (0..data.compounds.len())
            .into_par_iter()
            .map(|c| unit_shape(snapshot, Layer::Compounds, c, &metric))
            .chain(
                scattered
                    .par_iter()
                    .map(|&i| unit_shape(snapshot, Layer::Buildings, i, &metric)),
            )
            .collect();

        let width = rules.len();
        let mut distances: Vec<Option<(f64, u32)>> = vec![None; shapes.len() * width];
        if width > 0 {
            distances
                .par_chunks_mut(width)
                .zip(shapes.par_iter())
                .for_each(|(row, shape)| {
                    if let Some(shape) = shape {
                        for (d, index) in row.iter_mut().zip(&indexes) {
                            *d = index
                                .nearest(shape, &facilities, &metric)
                                .map(|(m, f)| (m, f as u32));
                        }
                    }
                });
        }
        let join_limit_m = standards.walking.join_limit_m;
        let walk = walk_network(snapshot, join_limit_m)
            .map(|network| Walked::measure(network, &indexes, shapes.len()));
        Measured {
            metric,
            shapes: shapes.into(),
            scattered: Arc::new(scattered),
            rules,
            distances,
            walk,
            join_limit_m,
            facilities: Arc::new(facilities),
            indexes,
            updated_from: None,
        }
    }

    /// The metric a coverage uses when none is asked for: walking when there is a network.
    pub(crate) fn default_metric(&self) -> DistanceMetric {
        if self.walk.is_some() {
            DistanceMetric::Walk
        } else {
            DistanceMetric::Straight
        }
    }

    fn rule(&self, selector: &FacilitySelector, life_circle: LifeCircle) -> Option<usize> {
        let key = rule_key(selector, life_circle);
        self.rules.iter().position(|r| *r == key)
    }

    /// Whether every facility rule of the standards was measured (with the same join limit).
    pub(crate) fn covers(&self, standards: &Standards) -> bool {
        #[allow(clippy::float_cmp)] // the very value the network was built with
        let same_network = self.join_limit_m == standards.walking.join_limit_m;
        same_network
            && standards
                .services
                .iter()
                .all(|s| self.rule(&s.facilities, s.life_circle).is_some())
            && standards
                .checklist
                .iter()
                .all(|c| self.rule(&c.facilities, c.life_circle).is_some())
    }
}

/// The distinct facility rules of some standards (a checklist item often shares its rule with a
/// service type).
pub(super) fn rules_of(standards: &Standards) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let keys = (standards.services.iter())
        .map(|s| rule_key(&s.facilities, s.life_circle))
        .chain((standards.checklist.iter()).map(|c| rule_key(&c.facilities, c.life_circle)));
    for key in keys {
        if !rules.contains(&key) {
            rules.push(key);
        }
    }
    rules
}

/// The shape of the compound (`layer` compounds) or scattered building at `position`: a
/// compound's gates when it has some, else its polygon; a building's point or footprint.
pub(super) fn unit_shape(
    snapshot: &Snapshot,
    layer: Layer,
    position: usize,
    metric: &Metric,
) -> Option<UnitShape> {
    let frame = &metric.frame;
    let data = &snapshot.data;
    if layer == Layer::Compounds {
        let c = &data.compounds[position];
        let gates: Vec<Point> = snapshot.gates_of(c.id).map(|g| g.geometry).collect();
        Shape::project_gates(&gates, frame)
            .or_else(|| Shape::project_polygon(&c.geometry, frame))
            .and_then(UnitShape::new)
    } else {
        Shape::project(&data.buildings[position].geometry, frame).and_then(UnitShape::new)
    }
}

impl Walked {
    /// Walking distances of every unit (of `units`) to each rule's facilities: one
    /// multi-source search per rule.
    pub(super) fn measure(
        network: Arc<WalkNetwork>,
        indexes: &[Arc<FacilityIndex>],
        units: usize,
    ) -> Walked {
        let rules: Vec<Arc<RuleWalk>> = indexes
            .par_iter()
            .map(|index| Arc::new(network.rule_walk(&index.members)))
            .collect();
        let width = rules.len();
        let mut distances = vec![None; units * width];
        for (r, walk) in rules.iter().enumerate() {
            for (u, d) in network.units_nearest(walk).into_iter().enumerate() {
                distances[u * width + r] = d.map(|(m, f)| (m, f as u32));
            }
        }
        Walked {
            network,
            distances,
            rules,
        }
    }
}

/// Distances of one unit to one facility rule, by both metrics.
struct Pair {
    straight: Option<(f64, u32)>,
    walk: Option<(f64, u32)>,
    /// Whether walking distances exist at all (a network).
    network: bool,
}

impl Pair {
    fn chosen(&self, metric: DistanceMetric) -> Option<(f64, u32)> {
        match metric {
            DistanceMetric::Walk if self.network => self.walk,
            _ => self.straight,
        }
    }

    fn walk_m(&self) -> Option<f64> {
        self.walk.map(|w| w.0)
    }

    fn detour(&self) -> Option<f64> {
        match (self.walk, self.straight) {
            (Some((w, _)), Some((s, _))) if s > 1.0 => Some(w / s),
            _ => None,
        }
    }
}

/// What a unit's row is made from: the snapshot, the standards, the measured distances and
/// the metric that decides.
pub(crate) struct Rows<'a> {
    snapshot: &'a Snapshot,
    standards: &'a Standards,
    measured: &'a Measured,
    lookups: &'a Lookups<'a>,
    metric: DistanceMetric,
    service_rule: Vec<usize>,
    checklist_rule: Vec<usize>,
}

impl<'a> Rows<'a> {
    pub(crate) fn new(
        snapshot: &'a Snapshot,
        standards: &'a Standards,
        measured: &'a Measured,
        lookups: &'a Lookups<'a>,
        metric: DistanceMetric,
    ) -> Self {
        // `covers` held, or the rules were measured from these very standards.
        let rule =
            |sel: &FacilitySelector, lc: LifeCircle| measured.rule(sel, lc).unwrap_or(usize::MAX);
        Rows {
            snapshot,
            standards,
            measured,
            lookups,
            metric,
            service_rule: (standards.services.iter())
                .map(|s| rule(&s.facilities, s.life_circle))
                .collect(),
            checklist_rule: (standards.checklist.iter())
                .map(|c| rule(&c.facilities, c.life_circle))
                .collect(),
        }
    }

    /// Every unit's row, in unit order.
    pub(crate) fn all(&self) -> Vec<UnitCoverage> {
        (0..self.measured.shapes.len())
            .into_par_iter()
            .map(|u| self.row(u))
            .collect()
    }

    /// The unit (its position in the rows) of the compound or scattered building at `position`
    /// of its layer; `None` for a building in a compound.
    pub(crate) fn unit_of(&self, layer: Layer, position: usize) -> Option<usize> {
        let compounds = self.snapshot.data.compounds.len();
        match layer {
            Layer::Compounds => (position < compounds).then_some(position),
            Layer::Buildings => {
                (self.measured.scattered.binary_search(&position).ok()).map(|s| compounds + s)
            }
            _ => None,
        }
    }

    /// The row of unit `u` (compounds in snapshot order, then the scattered buildings).
    pub(crate) fn row(&self, u: usize) -> UnitCoverage {
        let (data, m, standards, metric) = (
            &self.snapshot.data,
            self.measured,
            self.standards,
            self.metric,
        );
        let width = m.rules.len();
        let facility_ref = |i: u32| FacilityRef::of(data, i as usize);
        let walking = &standards.walking;
        let row = &m.distances[u * width..(u + 1) * width];
        let walk_row = m
            .walk
            .as_ref()
            .map(|w| &w.distances[u * width..(u + 1) * width]);
        let pair = |rule: usize| Pair {
            straight: row.get(rule).copied().flatten(),
            walk: walk_row.and_then(|w| w.get(rule).copied().flatten()),
            network: walk_row.is_some(),
        };
        let services = standards
            .services
            .iter()
            .zip(&self.service_rule)
            .map(|(s, &r)| service_reach(s, &pair(r), metric, walking, &facility_ref))
            .collect();
        let checklist = standards
            .checklist
            .iter()
            .zip(&self.checklist_rule)
            .map(|(c, &r)| {
                let p = pair(r);
                let chosen = p.chosen(metric);
                ChecklistReach {
                    item: c.item,
                    distance_m: chosen.map(|c| c.0),
                    nearest: chosen.map(|c| facility_ref(c.1)),
                    threshold_m: c.threshold_m,
                    within: chosen.is_some_and(|(d, _)| d <= c.threshold_m),
                    straight_m: p.straight.map(|d| d.0),
                    walk_m: p.walk_m(),
                }
            })
            .collect();
        let mut unit = if u < data.compounds.len() {
            let mut unit = compound_unit(&data.compounds[u], standards);
            unit.gates = self.snapshot.gates_of(unit.id).count();
            unit
        } else {
            scattered_unit(
                &data.buildings[m.scattered[u - data.compounds.len()]],
                standards,
            )
        };
        unit.joined = m.walk.as_ref().map(|w| !w.network.unit_joins(u).is_empty());
        unit.street_code = self
            .lookups
            .community(&unit.community_code)
            .map(|c| data.communities[c].street_code.clone());
        unit.services = services;
        unit.checklist = checklist;
        unit
    }
}

/// A unit's reach of one service from its distances by both metrics.
fn service_reach(
    s: &ServiceStandard,
    p: &Pair,
    metric: DistanceMetric,
    walking: &WalkingStandard,
    facility_ref: &dyn Fn(u32) -> FacilityRef,
) -> ServiceReach {
    let chosen = p.chosen(metric);
    let within = |d: Option<(f64, u32)>| d.is_some_and(|(d, _)| d <= s.threshold_m);
    ServiceReach {
        service: s.service,
        distance_m: chosen.map(|c| c.0),
        nearest: chosen.map(|c| facility_ref(c.1)),
        threshold_m: s.threshold_m,
        covered: within(chosen),
        straight_m: p.straight.map(|d| d.0),
        walk_m: p.walk_m(),
        detour: p.detour(),
        minutes: chosen.map(|c| walking.minutes(c.0)),
        covered_straight: within(p.straight),
        covered_walk: p.network.then(|| within(p.walk)),
    }
}

fn scattered_unit(b: &Building, standards: &Standards) -> UnitCoverage {
    let d = &standards.demography;
    let population = b.households as f64 * d.persons_per_household;
    UnitCoverage {
        kind: UnitKind::ScatteredBuilding,
        id: b.id,
        name: b.name.clone(),
        community_code: b.community_code.to_string(),
        grid_code: b.grid_code.as_deref().map(str::to_owned),
        street_code: None,
        households: b.households,
        population,
        elderly: population * d.elderly_share,
        infants: population * d.infants_share,
        school_age: population * d.school_age_share,
        estimated: true,
        gates: 0,
        joined: None,
        centroid: representative(&b.geometry),
        compound: None,
        services: Vec::new(),
        checklist: Vec::new(),
    }
}

fn compound_unit(c: &Compound, standards: &Standards) -> UnitCoverage {
    let d = &standards.demography;
    let estimated = c.population <= 0 && c.households > 0;
    let population = if estimated {
        c.households as f64 * d.persons_per_household
    } else {
        c.population as f64
    };
    let elderly = if estimated {
        population * d.elderly_share
    } else {
        c.elderly as f64
    };
    UnitCoverage {
        kind: UnitKind::Compound,
        id: c.id,
        name: Some(c.name.clone()),
        community_code: c.community_code.to_string(),
        grid_code: c.grid_code.as_deref().map(str::to_owned),
        street_code: None,
        households: c.households,
        population,
        elderly,
        infants: population * d.infants_share,
        school_age: population * d.school_age_share,
        estimated,
        gates: 0,
        joined: None,
        centroid: representative(&Geometry::Polygon(c.geometry.clone())),
        compound: Some(CompoundFacts {
            class: c.class,
            build_year: c.build_year,
            property_management: c.property_management,
            owners_committee: c.owners_committee,
            competent_unit: c.competent_unit,
            three_no: c.three_no(),
            missing_flags: c.missing_flags(),
        }),
        services: Vec::new(),
        checklist: Vec::new(),
    }
}

/// A representative lon/lat point: the point, or the centroid.
pub(crate) fn representative(g: &Geometry) -> [f64; 2] {
    g.centroid().map_or([0.0, 0.0], |p| [p.x(), p.y()])
}
