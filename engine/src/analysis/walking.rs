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

/// A snapshot's walking graph with its units and facilities joined.
pub struct WalkNetwork {
    pub graph: Graph,
    /// The graph's skeleton, for the searches that reach every node ([`WalkNetwork::nearest`]).
    pub skeleton: Skeleton,
    pub index: SegmentIndex,
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
pub fn walk_network(snapshot: &Snapshot, join_limit_m: f64) -> Option<Arc<WalkNetwork>> {
    if !snapshot.data.ways.iter().any(crate::model::Way::walkable) {
        return None;
    }
    let key = format!("walk network {join_limit_m}");
    snapshot
        .memo
        .get_or_try_insert_reading::<_, std::convert::Infallible>(&key, distances_read(), || {
            Ok(WalkNetwork::build(snapshot, join_limit_m))
        })
        .ok()
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
        let limit = join_limit_m;
        let join_geometry = |g: &Geometry| -> Option<Join> {
            match g {
                Geometry::Point(p) => index.point(&graph, p.0, limit),
                Geometry::Polygon(p) => index.polygon(&graph, p, limit),
                _ => None,
            }
        };
        let per_unit: Vec<Vec<Join>> = data
            .compounds
            .par_iter()
            .map(|c| {
                // A compound with gates is left through them only, joined or not.
                let mut gates = snapshot.gates_of(c.id).peekable();
                if gates.peek().is_some() {
                    gates
                        .filter_map(|g| index.point(&graph, g.geometry.0, limit))
                        .collect()
                } else {
                    index
                        .polygon(&graph, &c.geometry, limit)
                        .into_iter()
                        .collect()
                }
            })
            .chain(scattered.par_iter().map(|&i| {
                join_geometry(&data.buildings[i].geometry)
                    .into_iter()
                    .collect()
            }))
            .collect();
        let facility_joins: Vec<Option<Join>> = data
            .stations
            .par_iter()
            .map(|s| index.point(&graph, s.geometry.0, limit))
            .chain(
                data.service_spaces
                    .par_iter()
                    .map(|s| join_geometry(&s.geometry)),
            )
            .collect();

        let unjoined = unjoined_of(data, &scattered, &per_unit, &facility_joins);
        let mut unit_offsets = Vec::with_capacity(per_unit.len() + 1);
        let mut unit_joins = Vec::new();
        unit_offsets.push(0);
        for joins in per_unit {
            unit_joins.extend(joins);
            unit_offsets.push(unit_joins.len() as u32);
        }
        let joined_units = unit_offsets.windows(2).filter(|w| w[1] > w[0]).count();
        let mut unit_order: Vec<(u32, u32)> = unit_offsets
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] > w[0])
            .map(|(u, w)| {
                (
                    graph.edge_nodes(unit_joins[w[0] as usize].edge)[0],
                    u as u32,
                )
            })
            .collect();
        unit_order.sort_unstable();
        let unit_order = unit_order.into_iter().map(|(_, u)| u).collect();
        let joined_facilities = facility_joins.iter().flatten().count();
        let report = NetworkReport {
            ways: data.ways.len(),
            walkable_ways: data.ways.iter().filter(|w| w.walkable()).count(),
            nodes: graph.node_count(),
            edges: graph.edge_count(),
            memory_bytes: graph.memory_bytes() + skeleton.memory_bytes() + index.memory_bytes(),
            build_s,
            join_s: started.elapsed().as_secs_f64(),
            joined_units,
            joined_facilities,
        };
        WalkNetwork {
            graph,
            skeleton,
            index,
            join_limit_m,
            unit_offsets,
            unit_joins,
            unit_order,
            facility_joins,
            unjoined,
            report,
        }
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

    /// Per unit, its walking distance (metres) to the nearest of `facilities` and which one
    /// (`None`: not joined, or no facility reachable): one multi-source search for all of them.
    pub fn nearest(&self, facilities: &[usize]) -> Vec<Option<(f64, usize)>> {
        let (sources, joins) = self.joined(facilities);
        let walk = Nearest::from_sources(&self.graph, &self.skeleton, &joins);
        let found: Vec<(u32, Option<(f64, usize)>)> = self
            .unit_order
            .par_iter()
            .map(|&u| {
                let reach = self
                    .unit_joins(u as usize)
                    .iter()
                    .filter_map(|j| walk.to(&self.graph, j))
                    .min_by(|a, b| a.distance_m.total_cmp(&b.distance_m))
                    .map(|r| (r.distance_m, sources[r.source]));
                (u, reach)
            })
            .collect();
        let mut nearest = vec![None; self.unit_offsets.len() - 1];
        for (u, reach) in found {
            nearest[u as usize] = reach;
        }
        nearest
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
