//! Life-circle coverage 生活圈覆盖 of a snapshot under a set of standards: every unit's reach
//! ([`reach`](super::reach): metres from each compound 小区 and scattered building 散居楼栋 to the
//! nearest counting facility of each service type and checklist item) and the area summaries
//! built from it ([`areas`](super::areas): per grid 网格, community 社区, street 街道 and the
//! whole snapshot).

use std::collections::HashMap;
use std::sync::Arc;

use crate::memo::{Reads, Touched};
use crate::model::{Layer, ServiceType};
use crate::snapshot::{Shared, Snapshot};

use super::areas::{resummarize, summarize, Lookups, Totals};
use super::reach::{Measured, Rows};
use super::standards::Standards;
use super::walking::{NetworkReport, Unjoined};
use super::{AnalysisError, DistanceMetric};

pub use super::areas::{
    AreaLevel, AreaServiceCoverage, AreaSummary, ChecklistStatus, FloorAreaStatus, Governance,
};
pub use super::reach::{
    ChecklistReach, CompoundFacts, FacilityRef, ServiceReach, UnitCoverage, UnitKind,
};

/// The coverage of a snapshot under a set of standards: every unit and every area summary.
/// Cache it by (snapshot version, standards); recompute after an edit.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// The snapshot version it was computed on.
    pub snapshot_version: i64,
    pub standards: Standards,
    /// How its distances were measured: walking when asked and the snapshot has a walking
    /// network, else straight.
    pub metric: DistanceMetric,
    /// Compounds (in snapshot order), then scattered buildings (in snapshot order); in pieces
    /// shared with the coverage before an edit ([`Shared`]).
    pub units: Shared<UnitCoverage>,
    /// One per grid, in snapshot order.
    pub grids: Vec<AreaSummary>,
    /// One per community, in snapshot order.
    pub communities: Vec<AreaSummary>,
    /// One per street, in snapshot order.
    pub streets: Vec<AreaSummary>,
    /// The whole snapshot.
    pub all: AreaSummary,
    /// The distances, shared by the coverages of one snapshot under several standards.
    pub(crate) measured: Arc<Measured>,
    /// Each unit's position in `units`, shared by the coverages updated one from another.
    pub(crate) by_key: Arc<HashMap<(UnitKind, i64), usize>>,
    /// The running totals the summaries were finished from.
    totals: Arc<Totals>,
}

/// What coverage distances and the walking network read of a snapshot: where the units are
/// (compounds, buildings, gates) and every field of the facilities and the ways.
pub(crate) fn distances_read() -> Reads {
    Reads::of(
        &[Layer::Stations, Layer::ServiceSpaces, Layer::Ways],
        &[Layer::Compounds, Layer::Buildings, Layer::Gates],
    )
}

/// Verdicts, unit rows and summaries from measured distances, by `metric` (the measured
/// default when `None`).
fn assemble(
    snapshot: &Snapshot,
    standards: &Standards,
    measured: Arc<Measured>,
    metric: Option<DistanceMetric>,
) -> Coverage {
    let metric = match (metric, measured.walk.is_some()) {
        (Some(DistanceMetric::Walk), false) => DistanceMetric::Straight,
        (Some(m), _) => m,
        (None, _) => measured.default_metric(),
    };
    let lookups = Lookups::new(snapshot);
    let units: Shared<UnitCoverage> = Rows::new(snapshot, standards, &measured, &lookups, metric)
        .all()
        .into();
    let by_key = units
        .iter()
        .enumerate()
        .map(|(i, u)| ((u.kind, u.id), i))
        .collect();
    let ((grids, communities, streets, all), totals) =
        summarize(snapshot, standards, &units, &lookups);
    Coverage {
        snapshot_version: snapshot.version,
        standards: standards.clone(),
        metric,
        units,
        grids,
        communities,
        streets,
        all,
        measured,
        by_key: Arc::new(by_key),
        totals: Arc::new(totals),
    }
}

impl Coverage {
    /// Computes the coverage of every unit and area, on foot when the snapshot has walkable
    /// ways, else in a straight line.
    pub fn compute(snapshot: &Snapshot, standards: &Standards) -> Result<Coverage, AnalysisError> {
        Coverage::compute_by(snapshot, standards, None)
    }

    /// The coverage of a snapshot under the default standards, memoized on it. Its distances
    /// are memoized apart and read only where units are and the facilities and ways
    /// ([`distances_read`]), so after an edit that moved nothing — a rename, a household count,
    /// a grid — the next snapshot reuses them and only the verdicts and summaries are redone;
    /// after one that moved units or facilities they are updated for what it can reach
    /// ([`Measured::after_edit`]), and so are the rows and summaries.
    pub fn memoized(snapshot: &Snapshot) -> Result<Arc<Coverage>, AnalysisError> {
        snapshot.memo.get_or_try_insert_updating(
            "coverage",
            |before: Option<(Arc<Coverage>, &Touched)>| {
                let standards = Standards::default();
                standards.validate()?;
                let measured = snapshot
                    .memo
                    .get_or_try_insert_updating_reading::<_, std::convert::Infallible>(
                        "coverage distances",
                        distances_read(),
                        |before: Option<(Arc<Measured>, &Touched)>| {
                            let updated = before.and_then(|(before, edit)| {
                                before.after_edit(snapshot, &standards, edit)
                            });
                            Ok(updated.unwrap_or_else(|| Measured::measure(snapshot, &standards)))
                        },
                    )
                    .unwrap_or_else(|never| match never {});
                let updated = before.and_then(|(before, edit)| {
                    before.after_edit(snapshot, &standards, &measured, edit)
                });
                Ok(updated.unwrap_or_else(|| assemble(snapshot, &standards, measured, None)))
            },
        )
    }

    /// This coverage updated for the snapshot after `edit`, when the edit changed only fields
    /// of compounds, buildings and gates and kept the distances, or changed only units and
    /// facilities in their positions and the distances were updated from this coverage's: the
    /// rows of the units it changed are made again, their old rows taken from the totals and
    /// the new ones added. `None` when it must be assembled afresh.
    fn after_edit(
        &self,
        snapshot: &Snapshot,
        standards: &Standards,
        measured: &Arc<Measured>,
        edit: &Touched,
    ) -> Option<Coverage> {
        let unit_layers = [Layer::Compounds, Layer::Buildings, Layer::Gates];
        let placed_layers = [
            Layer::Compounds,
            Layer::Buildings,
            Layer::Gates,
            Layer::Stations,
            Layer::ServiceSpaces,
        ];
        let kept = Arc::ptr_eq(&self.measured, measured) && edit.only_fields_of(&unit_layers);
        let remeasured = (measured.updated_from.as_ref())
            .filter(|(from, _)| *from == Arc::as_ptr(&self.measured) as usize)
            .filter(|_| edit.only_of(&placed_layers) && !edit.reorders(&placed_layers))
            .map(|(_, units)| units);
        let same_basis = self.standards == *standards && self.metric == measured.default_metric();
        if !same_basis || !(kept || remeasured.is_some()) {
            return None;
        }
        let lookups = Lookups::new(snapshot);
        let rows = Rows::new(snapshot, standards, measured, &lookups, self.metric);
        let mut changed: Vec<usize> = (edit.kept_place().iter())
            .filter_map(|&(layer, id)| {
                let position = snapshot.index(layer).by_id.get(id)?;
                rows.unit_of(layer, position)
            })
            .chain(remeasured.into_iter().flatten().copied())
            .collect();
        changed.sort_unstable();
        changed.dedup();
        let mut units = self.units.clone();
        let new_rows: Vec<UnitCoverage> = changed.iter().map(|&u| rows.row(u)).collect();
        let pairs: Vec<(&UnitCoverage, &UnitCoverage)> = changed
            .iter()
            .map(|&u| &self.units[u])
            .zip(&new_rows)
            .collect();
        let ((grids, communities, streets, all), totals) =
            resummarize(snapshot, standards, &lookups, &self.totals, &pairs);
        for (u, row) in changed.into_iter().zip(new_rows) {
            units[u] = row;
        }
        Some(Coverage {
            snapshot_version: snapshot.version,
            standards: standards.clone(),
            metric: self.metric,
            units,
            grids,
            communities,
            streets,
            all,
            measured: Arc::clone(measured),
            by_key: Arc::clone(&self.by_key),
            totals: Arc::new(totals),
        })
    }

    /// [`Coverage::compute`] by a metric (`None`: the default). Both distances are measured
    /// either way and reported per unit; the metric decides `distance_m` and `covered`.
    pub fn compute_by(
        snapshot: &Snapshot,
        standards: &Standards,
        metric: Option<DistanceMetric>,
    ) -> Result<Coverage, AnalysisError> {
        standards.validate()?;
        let measured = Measured::measure(snapshot, standards);
        Ok(assemble(snapshot, standards, Arc::new(measured), metric))
    }

    /// The same coverage by another metric (distances reused).
    #[must_use]
    pub fn by_metric(&self, snapshot: &Snapshot, metric: DistanceMetric) -> Coverage {
        assemble(
            snapshot,
            &self.standards,
            Arc::clone(&self.measured),
            Some(metric),
        )
    }

    /// Whether walking distances were measured (the snapshot has walkable ways).
    pub fn has_walking(&self) -> bool {
        self.measured.walk.is_some()
    }

    /// The walking network's size and cost, when there is one.
    pub fn network(&self) -> Option<NetworkReport> {
        self.measured.walk.as_ref().map(|w| w.network.report)
    }

    /// Units and facilities not joined to the walking network (empty without one), described
    /// from the snapshot the coverage is of.
    pub fn unjoined(&self, snapshot: &Snapshot) -> Vec<Unjoined> {
        self.measured
            .walk
            .as_ref()
            .map_or_else(Vec::new, |w| w.network.unjoined(snapshot))
    }

    /// The coverage of the same snapshot under other standards. When every facility rule
    /// (selector and life circle) of `standards` was measured already — an official changed
    /// thresholds, target groups, ratios, the floor-area or underserved rules — the distances
    /// are reused and only the verdicts and summaries are redone; otherwise it is computed anew.
    pub fn with_standards(
        &self,
        snapshot: &Snapshot,
        standards: &Standards,
    ) -> Result<Coverage, AnalysisError> {
        self.check_snapshot(snapshot)?;
        standards.validate()?;
        if self.measured.covers(standards) {
            Ok(assemble(
                snapshot,
                standards,
                Arc::clone(&self.measured),
                Some(self.metric),
            ))
        } else {
            Coverage::compute_by(snapshot, standards, Some(self.metric))
        }
    }

    /// The summaries of one level (one element for [`AreaLevel::All`]).
    pub fn areas(&self, level: AreaLevel) -> &[AreaSummary] {
        match level {
            AreaLevel::Grid => &self.grids,
            AreaLevel::Community => &self.communities,
            AreaLevel::Street => &self.streets,
            AreaLevel::All => std::slice::from_ref(&self.all),
        }
    }

    /// One area's summary by its code.
    pub fn area(&self, level: AreaLevel, code: &str) -> Option<&AreaSummary> {
        self.areas(level).iter().find(|a| a.code == code)
    }

    /// A unit by kind and id.
    pub fn unit(&self, kind: UnitKind, id: i64) -> Option<&UnitCoverage> {
        self.by_key.get(&(kind, id)).map(|&i| &self.units[i])
    }

    /// A unit's position in `units`.
    pub fn unit_position(&self, kind: UnitKind, id: i64) -> Option<usize> {
        self.by_key.get(&(kind, id)).copied()
    }

    /// Position of a service type among the standards' services (and in every unit's and
    /// area's `services`).
    pub fn service_position(&self, service: ServiceType) -> Option<usize> {
        self.standards
            .services
            .iter()
            .position(|s| s.service == service)
    }

    /// Refuses a snapshot other than the one the coverage was computed on.
    pub fn check_snapshot(&self, snapshot: &Snapshot) -> Result<(), AnalysisError> {
        if snapshot.version == self.snapshot_version {
            Ok(())
        } else {
            Err(AnalysisError::StaleCoverage {
                coverage: self.snapshot_version,
                snapshot: snapshot.version,
            })
        }
    }
}
