//! The coverage heatmap 覆盖热力图: H3 hexagons with households not covered by a service type and
//! the household-weighted mean distance to its nearest facility.
//!
//! A compound's households are spread over its buildings in proportion to their households (at
//! the compound's centroid when it has none), so a compound larger than a resolution-10 cell
//! (≈ 65 m edge) colours the cells it spans; every building of a compound shares the compound's
//! distance. Scattered buildings sit at their own point.

use std::collections::HashMap;

use geo::Centroid;
use geo_types::{Coord, LineString, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;
use serde::Serialize;

use crate::model::{Layer, ServiceType};
use crate::snapshot::{IdLookup, Snapshot};

use super::coverage::{Coverage, UnitKind};
use super::standards::check_threshold;
use super::AnalysisError;

/// One H3 cell of the heatmap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatCell {
    /// The H3 index as 15 hex digits.
    pub cell: String,
    /// The H3 index as a number.
    pub index: u64,
    pub resolution: u8,
    /// The hexagon, lon/lat, closed ring (for MVT or `GeoJSON`).
    #[serde(skip)]
    pub polygon: Polygon,
    /// Households located in the cell (fractional where a compound spans cells).
    pub households: f64,
    /// Of them, households not covered (farther than the threshold, or no facility at all).
    pub households_uncovered: f64,
    /// Household-weighted mean distance to the nearest facility, metres, over households that
    /// have one at all.
    pub mean_distance_m: Option<f64>,
    /// Households with no counting facility anywhere.
    pub households_without_facility: f64,
}

#[derive(Default, Clone, Copy)]
struct CellAcc {
    households: f64,
    uncovered: f64,
    distance_households: f64,
    reached: f64,
    without: f64,
}

impl CellAcc {
    fn add(&mut self, households: f64, distance: Option<f64>, threshold: f64) {
        self.households += households;
        if let Some(d) = distance {
            self.distance_households += d * households;
            self.reached += households;
            if d > threshold {
                self.uncovered += households;
            }
        } else {
            self.uncovered += households;
            self.without += households;
        }
    }
    fn merge(&mut self, o: &CellAcc) {
        self.households += o.households;
        self.uncovered += o.uncovered;
        self.distance_households += o.distance_households;
        self.reached += o.reached;
        self.without += o.without;
    }
}

/// The heatmap of a service type at an H3 resolution (9 and 10 are the intended ones), with the
/// standard's threshold or `threshold_m` (metres) instead. Cells holding no households are left
/// out; the result is sorted by H3 index.
pub fn heatmap(
    snapshot: &Snapshot,
    coverage: &Coverage,
    service: ServiceType,
    resolution: u8,
    threshold_m: Option<f64>,
) -> Result<Vec<HeatCell>, AnalysisError> {
    coverage.check_snapshot(snapshot)?;
    let res =
        Resolution::try_from(resolution).map_err(|_| AnalysisError::Resolution(resolution))?;
    let pos = coverage
        .service_position(service)
        .ok_or(AnalysisError::NotAnalysed(service))?;
    let threshold = match threshold_m {
        Some(t) => {
            check_threshold("threshold_m", t)?;
            t
        }
        None => coverage.standards.services[pos].threshold_m,
    };
    let data = &snapshot.data;
    let compounds_by_id = &snapshot.index(Layer::Compounds).by_id;

    let building_households = building_households(snapshot, compounds_by_id);

    let distance = |unit: usize| coverage.units[unit].services[pos].distance_m;
    let cell_of = |p: Coord| {
        LatLng::new(p.y, p.x)
            .ok()
            .map(|ll| u64::from(ll.to_cell(res)))
    };

    // Buildings: compounds' (with a share of the compound) and scattered ones.
    let scattered_unit: HashMap<i64, usize> = coverage
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.kind == UnitKind::ScatteredBuilding)
        .map(|(i, u)| (u.id, i))
        .collect();
    let from_buildings = data
        .buildings
        .par_iter()
        .fold(HashMap::<u64, CellAcc>::new, |mut map, b| {
            let placed = match b.compound_id {
                Some(id) => compounds_by_id.get(id).and_then(|c| {
                    let total = building_households[c];
                    (total > 0).then(|| {
                        let share = b.households.max(0) as f64 / total as f64;
                        (data.compounds[c].households as f64 * share, c)
                    })
                }),
                None => scattered_unit
                    .get(&b.id)
                    .map(|&u| (coverage.units[u].households as f64, u)),
            };
            if let Some((households, unit)) = placed.filter(|(h, _)| *h > 0.0) {
                if let Some(cell) = b.geometry.centroid().and_then(|p| cell_of(p.0)) {
                    map.entry(cell)
                        .or_default()
                        .add(households, distance(unit), threshold);
                }
            }
            map
        })
        .reduce(HashMap::new, merge);

    // Compounds without buildings that carry households: at their centroid.
    let mut cells = from_buildings;
    for (c, compound) in data.compounds.iter().enumerate() {
        if building_households[c] == 0 && compound.households > 0 {
            let [x, y] = coverage.units[c].centroid;
            if let Some(cell) = cell_of(Coord { x, y }) {
                cells.entry(cell).or_default().add(
                    compound.households as f64,
                    distance(c),
                    threshold,
                );
            }
        }
    }

    let mut out: Vec<HeatCell> = cells
        .into_par_iter()
        .filter_map(|(index, acc)| heat_cell(index, resolution, &acc))
        .collect();
    out.sort_unstable_by_key(|c| c.index);
    Ok(out)
}

/// Households of each compound's buildings (by compound position), to spread the compound's
/// households over them.
fn building_households(snapshot: &Snapshot, compounds_by_id: &IdLookup) -> Vec<i64> {
    let data = &snapshot.data;
    let mut building_households = vec![0_i64; data.compounds.len()];
    for b in &data.buildings {
        if let Some(c) = b.compound_id.and_then(|id| compounds_by_id.get(id)) {
            building_households[c] += b.households.max(0);
        }
    }
    building_households
}

/// The heatmap cell of an H3 index with its totals (`None` for an invalid index).
fn heat_cell(index: u64, resolution: u8, acc: &CellAcc) -> Option<HeatCell> {
    let cell = CellIndex::try_from(index).ok()?;
    let ring: Vec<Coord> = cell
        .boundary()
        .iter()
        .map(|ll| Coord {
            x: ll.lng(),
            y: ll.lat(),
        })
        .collect();
    Some(HeatCell {
        cell: cell.to_string(),
        index,
        resolution,
        polygon: Polygon::new(LineString::from(ring), vec![]),
        households: acc.households,
        households_uncovered: acc.uncovered,
        mean_distance_m: (acc.reached > 0.0).then(|| acc.distance_households / acc.reached),
        households_without_facility: acc.without,
    })
}

fn merge(mut a: HashMap<u64, CellAcc>, b: HashMap<u64, CellAcc>) -> HashMap<u64, CellAcc> {
    if a.len() < b.len() {
        return merge(b, a);
    }
    for (k, v) in b {
        a.entry(k).or_default().merge(&v);
    }
    a
}
