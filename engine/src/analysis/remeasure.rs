//! Coverage distances updated after an edit instead of measured again: only what the edit can
//! reach is measured (issue 16's edits at city scale).
//!
//! - A moved unit (a compound's polygon or gates, a scattered building): its shape, its
//!   straight distances to every rule's facilities, its joins to the walking network and its
//!   walking distances, read from the rule's kept search ([`RuleWalk`]).
//! - A moved or changed facility: for each rule it counts (or counted) for, the rule's index is
//!   built again; the units whose nearest it was are measured again, and every other unit is
//!   offered the facility where it may be nearer than the unit's nearest (the metric's lower
//!   bound rules out the rest without measuring). On foot, that rule's one multi-source search
//!   runs again over the kept network.
//! - Anything else — units or facilities added or deleted, a way changed, the data's extent
//!   moved the metric's frame — is measured afresh.

use std::sync::Arc;

use rayon::prelude::*;

use crate::memo::Touched;
use crate::snapshot::Snapshot;

use super::metric::{counts_for, snapshot_metric, FacilityIndex};
use super::reach::{rules_of, unit_shape, Measured, Walked};
use super::standards::Standards;
use super::walking::{walk_network, Moved};

impl Measured {
    /// This measure updated for `snapshot`, the snapshot after `edit`; `None` when the edit
    /// needs everything measured again.
    pub(crate) fn after_edit(
        &self,
        snapshot: &Snapshot,
        standards: &Standards,
        edit: &Touched,
    ) -> Option<Measured> {
        let data = &snapshot.data;
        #[allow(clippy::float_cmp)] // the very value the network was built with
        let same_standards = rules_of(standards) == self.rules
            && standards.walking.join_limit_m == self.join_limit_m;
        let units = data.compounds.len() + self.scattered.len();
        let facilities = data.stations.len() + data.service_spaces.len();
        if !same_standards
            || units != self.shapes.len()
            || facilities != self.facilities.shapes.len()
        {
            return None;
        }
        let moved = Moved::of(snapshot, edit)?;
        let metric = snapshot_metric(snapshot);
        if metric != self.metric {
            return None;
        }

        // The facilities: projected again where they changed, and the rules they count for
        // (or counted for) indexed again.
        let mut projected = (*self.facilities).clone();
        for &f in &moved.facilities {
            projected.reproject(data, f, &metric.frame);
        }
        let projected = Arc::new(projected);
        let affected: Vec<bool> = (self.rules.iter().enumerate())
            .map(|(r, (sel, lc))| {
                moved.facilities.iter().any(|&f| {
                    self.indexes[r].members.binary_search(&f).is_ok()
                        || counts_for(data, sel, *lc, f)
                })
            })
            .collect();
        let indexes: Vec<Arc<FacilityIndex>> = (self.rules.iter().enumerate())
            .map(|(r, (sel, lc))| {
                if affected[r] {
                    Arc::new(FacilityIndex::build(data, &projected, sel, *lc))
                } else {
                    Arc::clone(&self.indexes[r])
                }
            })
            .collect();
        // Per rule, the changed facilities that count for it now.
        let gained: Vec<Vec<usize>> = (self.rules.iter())
            .map(|(sel, lc)| {
                (moved.facilities.iter().copied())
                    .filter(|&f| counts_for(data, sel, *lc, f))
                    .collect()
            })
            .collect();

        let mut shapes = self.shapes.clone();
        for &(u, layer, at) in &moved.units {
            shapes[u] = unit_shape(snapshot, layer, at, &metric);
        }
        let moved_units: Vec<usize> = moved.units.iter().map(|m| m.0).collect();
        let is_moved = |u: usize| moved_units.binary_search(&u).is_ok();
        let was_changed = |f: u32| moved.facilities.binary_search(&(f as usize)).is_ok();

        let width = self.rules.len();
        let mut distances = self.distances.clone();
        let nearest = |u: usize, r: usize| {
            (shapes[u].as_ref())
                .and_then(|shape| indexes[r].nearest(shape, &projected, &metric))
                .map(|(m, f)| (m, f as u32))
        };
        let mut changed: Vec<usize> = if width == 0 || moved.facilities.is_empty() {
            for &u in &moved_units {
                for r in 0..width {
                    distances[u * width + r] = nearest(u, r);
                }
            }
            moved_units.clone()
        } else {
            distances
                .par_chunks_mut(width)
                .enumerate()
                .filter_map(|(u, row)| {
                    let mut differs = is_moved(u);
                    for (r, d) in row.iter_mut().enumerate() {
                        let found = if is_moved(u) || d.is_some_and(|(_, f)| was_changed(f)) {
                            nearest(u, r)
                        } else {
                            let Some(shape) = shapes[u].as_ref() else {
                                continue;
                            };
                            let mut best = *d;
                            for &g in &gained[r] {
                                let below = best.map_or(f64::INFINITY, |(m, _)| m);
                                match projected.distance_below(shape, g, &metric, below) {
                                    Some(m) if m < below => best = Some((m, g as u32)),
                                    _ => {}
                                }
                            }
                            best
                        };
                        differs |= found != *d;
                        *d = found;
                    }
                    differs.then_some(u)
                })
                .collect()
        };

        // On foot: over the kept network when the ways are those it was built on.
        let walk = walk_network(snapshot, self.join_limit_m).map(|network| {
            let kept = self.walk.as_ref().filter(|w| {
                Arc::ptr_eq(&w.network.graph, &network.graph) && w.rules.len() == width
            });
            let Some(before) = kept else {
                changed = (0..units).collect();
                return Walked::measure(network, &indexes, units);
            };
            let mut walked = before.distances.clone();
            let mut rules = Vec::with_capacity(width);
            for (r, kept_walk) in before.rules.iter().enumerate() {
                if affected[r] {
                    let walk = Arc::new(network.rule_walk(&indexes[r].members));
                    for (u, d) in network.units_nearest(&walk).into_iter().enumerate() {
                        let d = d.map(|(m, f)| (m, f as u32));
                        if walked[u * width + r] != d {
                            walked[u * width + r] = d;
                            changed.push(u);
                        }
                    }
                    rules.push(walk);
                } else {
                    for &u in &moved_units {
                        walked[u * width + r] = network
                            .unit_nearest(kept_walk, u)
                            .map(|(m, f)| (m, f as u32));
                    }
                    rules.push(Arc::clone(kept_walk));
                }
            }
            Walked {
                network,
                distances: walked,
                rules,
            }
        });
        changed.sort_unstable();
        changed.dedup();
        Some(Measured {
            metric,
            shapes,
            scattered: Arc::clone(&self.scattered),
            rules: self.rules.clone(),
            distances,
            walk,
            join_limit_m: self.join_limit_m,
            facilities: projected,
            indexes,
            updated_from: Some((std::ptr::from_ref(self) as usize, changed)),
        })
    }
}
