//! The walking network of a snapshot 步行网络: the graph of its walkable ways with every unit
//! (compound 小区, scattered building 散居楼栋) and facility (station, service space) joined to
//! it, built once per snapshot and join limit (memoized on the snapshot, so an edit of ways,
//! gates or facilities is in the next request's network).
//!
//! - A compound with gates 小区出入口 joins at each gate (its walking distance is the nearest
//!   gate's); one without gates joins from its polygon's boundary; a scattered building and a
//!   facility from their point or outline ([`SegmentIndex`]).
//! - A unit or facility farther than the join limit from every walkable way is not joined:
//!   it has no walking distance and is listed in [`WalkNetwork::unjoined`] (a unit is not
//!   covered on foot; a facility serves nobody on foot), so the gaps of the network are seen,
//!   not hidden.
//! - Per facility rule, one multi-source search from all counting facilities ([`Nearest`]) gives every node
//!   its nearest facility ([`WalkNetwork::nearest`]).

use std::sync::Arc;
use std::time::Instant;

use geo_types::{Geometry, LineString, MultiPolygon};
use rayon::prelude::*;
use serde::Serialize;

use crate::model::{Layer, ServiceType};
use crate::network::{Graph, Join, Nearest, SegmentIndex, Skeleton, Walk};
use crate::snapshot::Snapshot;

use crate::memo::Touched;

use super::coverage::{distances_read, Coverage, FacilityRef, UnitKind};
use super::metric::counting_facilities;
use super::standards::ServiceStandard;
use super::AnalysisError;

/// A unit or facility not joined to the network: farther than the join limit from every
/// walkable way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unjoined {
    /// `compounds`, `buildings`, `stations` or `service_spaces`.
    pub layer: Layer,
    pub id: i64,
    pub name: Option<String>,
    pub community_code: String,
    /// A representative point, lon/lat.
    pub at: [f64; 2],
}

/// The size and cost of a snapshot's walking network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NetworkReport {
    /// Ways in the snapshot, and of them walkable.
    pub ways: usize,
    pub walkable_ways: usize,
    pub nodes: usize,
    pub edges: usize,
    /// Bytes of the graph, its skeleton and its segment index.
    pub memory_bytes: usize,
    /// Seconds to build the graph and index, and to join every unit and facility.
    pub build_s: f64,
    pub join_s: f64,
    /// Units (compound gates or polygons, scattered buildings) and facilities joined.
    pub joined_units: usize,
    pub joined_facilities: usize,
}

/// A snapshot's walking graph with its units and facilities joined. The graph, its skeleton
/// and its segment index depend on the ways alone, and are shared with the network updated
/// from this one after an edit that left the ways alone ([`WalkNetwork::after_edit`]).
pub struct WalkNetwork {
    pub graph: Arc<Graph>,
    /// The graph's skeleton, for the searches that reach every node ([`WalkNetwork::nearest`]).
    pub skeleton: Arc<Skeleton>,
    pub index: Arc<SegmentIndex>,
    /// Metres: farther from every walkable way, a unit or facility is not joined.
    pub join_limit_m: f64,
    /// Per unit (compounds in snapshot order, then scattered buildings, as in coverage):
    /// `unit_offsets[u]..unit_offsets[u + 1]` of `unit_joins`.
    unit_offsets: Vec<u32>,
    unit_joins: Vec<Join>,
    /// The joined units in the order of their first join's node (the graph numbers nodes in
    /// space order): reading every unit's distance in this order reads a search's arrays
    /// nearly in sequence instead of at random.
    unit_order: Vec<u32>,
    /// Per facility (stations, then service spaces): its join.
    facility_joins: Vec<Option<Join>>,
    /// Units and facilities left unjoined, in that order, as (layer, position in the layer):
    /// described from the snapshot when asked ([`WalkNetwork::unjoined`]), so a renamed unit
    /// does not make the network stale.
    unjoined: Vec<(Layer, usize)>,
    pub report: NetworkReport,
}

impl std::fmt::Debug for WalkNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalkNetwork")
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

/// The walking network of a snapshot, memoized on it; `None` when it has no walkable way.
/// After an edit that left the ways alone it is the network before with the moved units and
/// facilities joined again ([`WalkNetwork::after_edit`]).
pub fn walk_network(snapshot: &Snapshot, join_limit_m: f64) -> Option<Arc<WalkNetwork>> {
    if !snapshot.data.ways.iter().any(crate::model::Way::walkable) {
        return None;
    }
    let key = format!("walk network {join_limit_m}");
    snapshot
        .memo
        .get_or_try_insert_updating_reading::<_, std::convert::Infallible>(
            &key,
            distances_read(),
            |before: Option<(Arc<WalkNetwork>, &Touched)>| {
                let updated = before.and_then(|(before, edit)| {
                    let moved = Moved::of(snapshot, edit)?;
                    before.after_edit(snapshot, &moved)
                });
                Ok(updated.unwrap_or_else(|| WalkNetwork::build(snapshot, join_limit_m)))
            },
        )
        .ok()
}

/// What an edit that kept every unit and facility in its position moved: the units
/// (compounds in snapshot order, then scattered buildings) and the facilities (stations, then
/// service spaces) to measure again. `None` when units or facilities came, went or were
/// reordered, or a way changed: then everything is measured again.
#[derive(Debug, Default)]
pub(crate) struct Moved {
    /// Units whose shape changed (a compound's polygon or gates, a scattered building), as
    /// (unit, its layer, its position in the layer).
    pub(crate) units: Vec<(usize, Layer, usize)>,
    /// Facilities that moved or changed any field.
    pub(crate) facilities: Vec<usize>,
}

impl Moved {
    pub(crate) fn of(snapshot: &Snapshot, edit: &Touched) -> Option<Moved> {
        let layout = [
            Layer::Compounds,
            Layer::Buildings,
            Layer::Stations,
            Layer::ServiceSpaces,
        ];
        if edit.touches(Layer::Ways) || edit.reorders(&layout) {
            return None;
        }
        let mut moved = Moved::default();
        let compounds = snapshot.data.compounds.len();
        let position = |layer: Layer, id: i64| snapshot.index(layer).by_id.get(id);
        for &(layer, id) in edit.moved() {
            match layer {
                // A compound or facility that came or went is not in its old position.
                Layer::Compounds => {
                    let at = position(layer, id)?;
                    moved.units.push((at, layer, at));
                }
                Layer::Buildings => {
                    let at = position(layer, id)?;
                    if snapshot.data.buildings[at].scattered() {
                        moved
                            .units
                            .push((compounds + scattered_rank(snapshot, at), layer, at));
                    }
                }
                _ => {}
            }
        }
        // A facility counts as changed whether it moved or changed fields in place.
        for &(layer, id) in edit.moved().iter().chain(edit.kept_place()) {
            match layer {
                Layer::Stations => moved.facilities.push(position(layer, id)?),
                Layer::ServiceSpaces => moved
                    .facilities
                    .push(snapshot.data.stations.len() + position(layer, id)?),
                _ => {}
            }
        }
        for &c in edit.gate_owners() {
            if let Some(u) = position(Layer::Compounds, c) {
                moved.units.push((u, Layer::Compounds, u));
            }
        }
        moved.units.sort_unstable();
        moved.units.dedup();
        moved.facilities.sort_unstable();
        moved.facilities.dedup();
        Some(moved)
    }
}

/// The rank among the scattered buildings of the one at `at` (its unit is the compounds'
/// count plus this).
fn scattered_rank(snapshot: &Snapshot, at: usize) -> usize {
    let buildings = &snapshot.data.buildings;
    (0..at)
        .into_par_iter()
        .filter(|&i| buildings[i].scattered())
        .count()
}

/// Positions of the scattered buildings in the buildings layer (the coverage's unit order).
pub(crate) fn scattered_positions(snapshot: &Snapshot) -> Vec<usize> {
    snapshot
        .data
        .buildings
        .iter()
        .enumerate()
        .filter(|(_, b)| b.scattered())
        .map(|(i, _)| i)
        .collect()
}

impl WalkNetwork {
    /// Builds the graph of the snapshot's ways and joins every unit and facility.
    pub fn build(snapshot: &Snapshot, join_limit_m: f64) -> WalkNetwork {
        let data = &snapshot.data;
        let started = Instant::now();
        let graph = Graph::of_ways(&data.ways);
        let (skeleton, index) = rayon::join(|| Skeleton::of(&graph), || SegmentIndex::new(&graph));
        let build_s = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let scattered = scattered_positions(snapshot);
        let (graph, skeleton, index) = (Arc::new(graph), Arc::new(skeleton), Arc::new(index));
        let mut network = WalkNetwork {
            graph,
            skeleton,
            index,
            join_limit_m,
            unit_offsets: Vec::new(),
            unit_joins: Vec::new(),
            unit_order: Vec::new(),
            facility_joins: Vec::new(),
            unjoined: Vec::new(),
            report: NetworkReport::default(),
        };
        let per_unit: Vec<Vec<Join>> = (0..data.compounds.len())
            .into_par_iter()
            .map(|c| network.join_unit(snapshot, Layer::Compounds, c))
            .chain(
                scattered
                    .par_iter()
                    .map(|&i| network.join_unit(snapshot, Layer::Buildings, i)),
            )
            .collect();
        let facilities = data.stations.len() + data.service_spaces.len();
        network.facility_joins = (0..facilities)
            .into_par_iter()
            .map(|i| network.join_facility(snapshot, i))
            .collect();
        network.unjoined = unjoined_of(data, &scattered, &per_unit, &network.facility_joins);
        network.unit_offsets = Vec::with_capacity(per_unit.len() + 1);
        network.unit_offsets.push(0);
        for joins in per_unit {
            network.unit_joins.extend(joins);
            network.unit_offsets.push(network.unit_joins.len() as u32);
        }
        network.order_units();
        network.report = NetworkReport {
            ways: data.ways.len(),
            walkable_ways: data.ways.iter().filter(|w| w.walkable()).count(),
            nodes: network.graph.node_count(),
            edges: network.graph.edge_count(),
            memory_bytes: network.graph.memory_bytes()
                + network.skeleton.memory_bytes()
                + network.index.memory_bytes(),
            build_s,
            join_s: started.elapsed().as_secs_f64(),
            ..NetworkReport::default()
        };
        network.count_joined();
        network
    }

    /// The joins of the compound (`layer` compounds) or scattered building at `position` of
    /// its layer: a compound with gates is left through them only, joined or not; one without
    /// from its polygon; a building from its point or outline.
    fn join_unit(&self, snapshot: &Snapshot, layer: Layer, position: usize) -> Vec<Join> {
        let (graph, index, limit) = (&*self.graph, &*self.index, self.join_limit_m);
        if layer == Layer::Compounds {
            let c = &snapshot.data.compounds[position];
            let mut gates = snapshot.gates_of(c.id).peekable();
            if gates.peek().is_some() {
                gates
                    .filter_map(|g| index.point(graph, g.geometry.0, limit))
                    .collect()
            } else {
                index
                    .polygon(graph, &c.geometry, limit)
                    .into_iter()
                    .collect()
            }
        } else {
            self.join_geometry(&snapshot.data.buildings[position].geometry)
                .into_iter()
                .collect()
        }
    }

    /// The join of facility `i` (stations first, then service spaces).
    fn join_facility(&self, snapshot: &Snapshot, i: usize) -> Option<Join> {
        let data = &snapshot.data;
        match data.stations.get(i) {
            Some(s) => self
                .index
                .point(&self.graph, s.geometry.0, self.join_limit_m),
            None => self.join_geometry(&data.service_spaces[i - data.stations.len()].geometry),
        }
    }

    fn join_geometry(&self, g: &Geometry) -> Option<Join> {
        let (graph, index, limit) = (&*self.graph, &*self.index, self.join_limit_m);
        match g {
            Geometry::Point(p) => index.point(graph, p.0, limit),
            Geometry::Polygon(p) => index.polygon(graph, p, limit),
            _ => None,
        }
    }

    /// Orders the joined units by their first join's node.
    fn order_units(&mut self) {
        let mut order: Vec<(u32, u32)> = (self.unit_offsets.windows(2).enumerate())
            .filter(|(_, w)| w[1] > w[0])
            .map(|(u, w)| {
                let node = self.graph.edge_nodes(self.unit_joins[w[0] as usize].edge)[0];
                (node, u as u32)
            })
            .collect();
        order.par_sort_unstable();
        self.unit_order = order.into_iter().map(|(_, u)| u).collect();
    }

    fn count_joined(&mut self) {
        self.report.joined_units = self.unit_order.len();
        self.report.joined_facilities = self.facility_joins.iter().flatten().count();
    }

    /// This network after an edit that left the ways alone and moved only `moved`: the
    /// graph, skeleton and segment index shared, the moved units and facilities joined again.
    /// `None` when the units or facilities are not those it was built with.
    pub(crate) fn after_edit(&self, snapshot: &Snapshot, moved: &Moved) -> Option<WalkNetwork> {
        let data = &snapshot.data;
        let units = self.unit_offsets.len() - 1;
        let scattered = units.checked_sub(data.compounds.len())?;
        let facilities = data.stations.len() + data.service_spaces.len();
        if self.facility_joins.len() != facilities || snapshot.data.buildings.len() < scattered {
            return None;
        }
        let started = Instant::now();
        let rejoined: Vec<(usize, Vec<Join>)> = (moved.units.iter())
            .map(|&(u, layer, at)| (u, self.join_unit(snapshot, layer, at)))
            .collect();
        let mut unit_offsets = Vec::with_capacity(units + 1);
        let mut unit_joins = Vec::with_capacity(self.unit_joins.len() + 4);
        unit_offsets.push(0);
        let mut next = rejoined.iter().peekable();
        for u in 0..units {
            match next.next_if(|(v, _)| *v == u) {
                Some((_, joins)) => unit_joins.extend_from_slice(joins),
                None => unit_joins.extend_from_slice(self.unit_joins(u)),
            }
            unit_offsets.push(unit_joins.len() as u32);
        }
        let mut facility_joins = self.facility_joins.clone();
        for &f in &moved.facilities {
            facility_joins[f] = self.join_facility(snapshot, f);
        }
        let mut unjoined = self.unjoined.clone();
        for &(u, layer, at) in &moved.units {
            unjoined.retain(|&x| x != (layer, at));
            if unit_offsets[u + 1] == unit_offsets[u] {
                unjoined.push((layer, at));
            }
        }
        for &f in &moved.facilities {
            let at = match f.checked_sub(data.stations.len()) {
                None => (Layer::Stations, f),
                Some(s) => (Layer::ServiceSpaces, s),
            };
            unjoined.retain(|&x| x != at);
            if facility_joins[f].is_none() {
                unjoined.push(at);
            }
        }
        // Units first, then facilities, each in layer order, as built.
        let rank = |&(layer, at): &(Layer, usize)| match layer {
            Layer::Compounds => (0, at),
            Layer::Buildings => (1, at),
            Layer::Stations => (2, at),
            _ => (3, at),
        };
        unjoined.sort_by_key(rank);
        let mut network = WalkNetwork {
            graph: Arc::clone(&self.graph),
            skeleton: Arc::clone(&self.skeleton),
            index: Arc::clone(&self.index),
            join_limit_m: self.join_limit_m,
            unit_offsets,
            unit_joins,
            unit_order: Vec::new(),
            facility_joins,
            unjoined,
            report: self.report,
        };
        if moved.units.is_empty() {
            network.unit_order.clone_from(&self.unit_order);
        } else {
            network.order_units();
        }
        network.report.join_s = started.elapsed().as_secs_f64();
        network.count_joined();
        Some(network)
    }

    /// A unit's joins (its gates', or its polygon's or point's), in coverage unit order.
    pub fn unit_joins(&self, unit: usize) -> &[Join] {
        match (self.unit_offsets.get(unit), self.unit_offsets.get(unit + 1)) {
            (Some(&a), Some(&b)) => &self.unit_joins[a as usize..b as usize],
            _ => &[],
        }
    }

    /// A facility's join (stations first, then service spaces).
    pub fn facility_join(&self, facility: usize) -> Option<&Join> {
        self.facility_joins.get(facility).and_then(Option::as_ref)
    }

    /// The walk from the joined facilities among `facilities` (stations first, then service
    /// spaces) up to `bound_m`; the walk's sources are those facilities' joins, and
    /// `sources[i]` is the facility of the walk's `i`-th source.
    pub fn walk_from(&self, facilities: &[usize], bound_m: f64) -> (Walk, Vec<usize>) {
        let (sources, joins) = self.joined(facilities);
        (Walk::from_sources(&self.graph, &joins, bound_m), sources)
    }

    /// The joined facilities among `facilities`, and their joins.
    fn joined(&self, facilities: &[usize]) -> (Vec<usize>, Vec<Join>) {
        facilities
            .iter()
            .filter_map(|&f| self.facility_join(f).map(|j| (f, *j)))
            .unzip()
    }

    /// The search from the joined facilities among `facilities` that gives every node its
    /// nearest (one multi-source search), kept so that a unit joined again after an edit reads
    /// its distance from it.
    pub(crate) fn rule_walk(&self, facilities: &[usize]) -> RuleWalk {
        let (sources, joins) = self.joined(facilities);
        RuleWalk {
            nearest: Nearest::from_sources(&self.graph, &self.skeleton, &joins),
            sources,
        }
    }

    /// Unit `u`'s walking distance (metres) to the nearest facility of `walk`, and which one.
    pub(crate) fn unit_nearest(&self, walk: &RuleWalk, u: usize) -> Option<(f64, usize)> {
        self.unit_joins(u)
            .iter()
            .filter_map(|j| walk.nearest.to(&self.graph, j))
            .min_by(|a, b| a.distance_m.total_cmp(&b.distance_m))
            .map(|r| (r.distance_m, walk.sources[r.source]))
    }

    /// Per unit, its walking distance to the nearest facility of `walk` and which one (`None`:
    /// not joined, or no facility reachable).
    pub(crate) fn units_nearest(&self, walk: &RuleWalk) -> Vec<Option<(f64, usize)>> {
        let found: Vec<(u32, Option<(f64, usize)>)> = self
            .unit_order
            .par_iter()
            .map(|&u| (u, self.unit_nearest(walk, u as usize)))
            .collect();
        let mut nearest = vec![None; self.unit_offsets.len() - 1];
        for (u, reach) in found {
            nearest[u as usize] = reach;
        }
        nearest
    }

    /// Per unit, its walking distance (metres) to the nearest of `facilities` and which one
    /// (`None`: not joined, or no facility reachable): one multi-source search for all of them.
    pub fn nearest(&self, facilities: &[usize]) -> Vec<Option<(f64, usize)>> {
        self.units_nearest(&self.rule_walk(facilities))
    }
}

/// One facility rule's walk over a network: every node's nearest counting facility.
pub(crate) struct RuleWalk {
    nearest: Nearest,
    /// The facility (stations first, then service spaces) of each of the search's sources.
    pub(crate) sources: Vec<usize>,
}

impl std::fmt::Debug for RuleWalk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RuleWalk({} sources)", self.sources.len())
    }
}

/// The units (compounds in snapshot order, then the scattered buildings at `scattered`) and
/// facilities left without a join, as (layer, position).
fn unjoined_of(
    data: &crate::snapshot::Dataset,
    scattered: &[usize],
    per_unit: &[Vec<Join>],
    facility_joins: &[Option<Join>],
) -> Vec<(Layer, usize)> {
    let units = per_unit.iter().enumerate().filter(|(_, j)| j.is_empty());
    let facilities = facility_joins
        .iter()
        .enumerate()
        .filter(|(_, j)| j.is_none());
    units
        .map(|(u, _)| match u.checked_sub(data.compounds.len()) {
            None => (Layer::Compounds, u),
            Some(s) => (Layer::Buildings, scattered[s]),
        })
        .chain(
            facilities.map(|(i, _)| match i.checked_sub(data.stations.len()) {
                None => (Layer::Stations, i),
                Some(s) => (Layer::ServiceSpaces, s),
            }),
        )
        .collect()
}

impl WalkNetwork {
    /// The units and facilities left unjoined, described from `snapshot` (the snapshot the
    /// network was built on, or one whose edits since moved nothing).
    pub fn unjoined(&self, snapshot: &Snapshot) -> Vec<Unjoined> {
        let data = &snapshot.data;
        let at = |layer, id, name, community_code: &str, g: &Geometry| Unjoined {
            layer,
            id,
            name,
            community_code: community_code.to_owned(),
            at: super::reach::representative(g),
        };
        (self.unjoined.iter())
            .filter_map(|&(layer, i)| {
                Some(match layer {
                    Layer::Compounds => {
                        let c = data.compounds.get(i)?;
                        let g = Geometry::Polygon(c.geometry.clone());
                        at(layer, c.id, Some(c.name.clone()), &c.community_code, &g)
                    }
                    Layer::Buildings => {
                        let b = data.buildings.get(i)?;
                        at(layer, b.id, b.name.clone(), &b.community_code, &b.geometry)
                    }
                    Layer::Stations => {
                        let s = data.stations.get(i)?;
                        let g = Geometry::Point(s.geometry);
                        at(layer, s.id, Some(s.name.clone()), &s.community_code, &g)
                    }
                    _ => {
                        let s = data.service_spaces.get(i)?;
                        at(
                            layer,
                            s.id,
                            Some(s.name.clone()),
                            &s.community_code,
                            &s.geometry,
                        )
                    }
                })
            })
            .collect()
    }
}

/// A walking isochrone 步行等时圈: the area within some minutes' walk of a service's counting
/// facilities (or of one facility).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Isochrone {
    pub service: ServiceType,
    /// The facility it is drawn from; `None`: from all counting facilities of the service.
    pub facility: Option<FacilityRef>,
    pub minutes: f64,
    /// The walking distance of `minutes` at the standards' speed.
    pub distance_m: f64,
    /// Lon/lat; empty when no facility is joined.
    #[serde(skip)]
    pub area: MultiPolygon,
}

/// The walking route 步行路线 from a unit to its nearest counting facility of a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitRoute {
    pub service: ServiceType,
    pub facility: FacilityRef,
    /// Walking metres, joining distances included; and the straight-line metres.
    pub distance_m: f64,
    pub straight_m: Option<f64>,
    pub minutes: f64,
    /// From the unit's gate (or boundary, or point) along the ways to the facility, lon/lat.
    #[serde(skip)]
    pub line: LineString,
}

/// The most minutes an isochrone may have (an hour's walk).
pub const MAX_ISOCHRONE_MINUTES: f64 = 60.0;

fn network_of(coverage: &Coverage) -> Result<&WalkNetwork, AnalysisError> {
    coverage
        .measured
        .walk
        .as_ref()
        .map(|w| &*w.network)
        .ok_or(AnalysisError::NoWalkingNetwork)
}

fn service_standard(
    coverage: &Coverage,
    service: ServiceType,
) -> Result<&ServiceStandard, AnalysisError> {
    coverage
        .standards
        .services
        .iter()
        .find(|s| s.service == service)
        .ok_or(AnalysisError::NotAnalysed(service))
}

/// Walking isochrones of a service for each of `minutes` (ascending, each above 0 and at most
/// [`MAX_ISOCHRONE_MINUTES`]): from every counting facility at once, or from one `facility`
/// (which must count for the service).
pub fn isochrones(
    snapshot: &Snapshot,
    coverage: &Coverage,
    service: ServiceType,
    facility: Option<FacilityRef>,
    minutes: &[f64],
) -> Result<Vec<Isochrone>, AnalysisError> {
    coverage.check_snapshot(snapshot)?;
    let network = network_of(coverage)?;
    let standard = service_standard(coverage, service)?;
    if minutes.is_empty()
        || minutes
            .iter()
            .any(|m| !(m.is_finite() && *m > 0.0 && *m <= MAX_ISOCHRONE_MINUTES))
    {
        return Err(AnalysisError::InvalidRequest {
            field: "minutes".into(),
            reason: format!(
                "one or more walking times above 0 and at most {MAX_ISOCHRONE_MINUTES} minutes"
            ),
        });
    }
    let data = &snapshot.data;
    let mut sources = counting_facilities(data, &standard.facilities, standard.life_circle);
    if let Some(f) = facility {
        let i = sources
            .iter()
            .copied()
            .find(|&i| FacilityRef::of(data, i) == f)
            .ok_or_else(|| AnalysisError::InvalidRequest {
                field: "facility".into(),
                reason: format!(
                    "{} {} is not a facility counting for {}",
                    f.layer,
                    f.id,
                    service.name()
                ),
            })?;
        sources = vec![i];
    }
    let speed = coverage.standards.walking.speed_mps;
    let bands: Vec<f64> = minutes.iter().map(|m| m * 60.0 * speed).collect();
    let max = bands.iter().copied().fold(0.0, f64::max);
    let (walk, _) = network.walk_from(&sources, max);
    let areas = crate::network::isochrones(&network.graph, &walk, &bands);
    Ok(minutes
        .iter()
        .zip(bands)
        .zip(areas)
        .map(|((&minutes, distance_m), area)| Isochrone {
            service,
            facility,
            minutes,
            distance_m,
            area,
        })
        .collect())
}

/// A unit's walking routes to the nearest counting facility of each analysed service (one per
/// service it reaches on foot); each search stops at the walking distance the coverage found.
pub fn routes(
    snapshot: &Snapshot,
    coverage: &Coverage,
    kind: UnitKind,
    id: i64,
) -> Result<Vec<UnitRoute>, AnalysisError> {
    coverage.check_snapshot(snapshot)?;
    let network = network_of(coverage)?;
    let u = coverage
        .unit_position(kind, id)
        .ok_or_else(|| AnalysisError::InvalidRequest {
            field: "unit".into(),
            reason: format!(
                "no {} with id {id}",
                match kind {
                    UnitKind::Compound => "compound",
                    UnitKind::ScatteredBuilding => "scattered building",
                }
            ),
        })?;
    let data = &snapshot.data;
    let joins = network.unit_joins(u);
    let unit = &coverage.units[u];
    Ok(coverage
        .standards
        .services
        .par_iter()
        .enumerate()
        .filter_map(|(k, standard)| {
            // The coverage knows how far the nearest one is: search no farther.
            let known = unit.services.get(k)?.walk_m?;
            let sources = counting_facilities(data, &standard.facilities, standard.life_circle);
            let (walk, facilities) = network.walk_from(&sources, known * (1.0 + 1e-9) + 1e-6);
            let route = joins
                .iter()
                .filter_map(|j| walk.route(&network.graph, j))
                .min_by(|a, b| a.reach.distance_m.total_cmp(&b.reach.distance_m))?;
            let distance_m = route.reach.distance_m;
            Some(UnitRoute {
                service: standard.service,
                facility: FacilityRef::of(data, facilities[route.reach.source]),
                distance_m,
                straight_m: unit.services.get(k).and_then(|s| s.straight_m),
                minutes: coverage.standards.walking.minutes(distance_m),
                line: route.line,
            })
        })
        .collect())
}
