//! Siting suggestions 选址建议: where `k` new facilities of a service type would newly cover
//! the most target population, existing facilities kept fixed.
//!
//! Greedy maximal covering with lazy evaluation (CELF): a candidate's gain can only shrink as
//! sites are chosen (coverage is submodular), so a priority queue of stale gains is an upper
//! bound; the top candidate is re-evaluated and chosen only when its fresh gain still tops the
//! queue. The result equals plain greedy's (ties go to the earlier candidate), with far fewer
//! evaluations. Greedy is within 1 − 1/e of the optimum.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo::Centroid;
use geo_types::{Coord, Point};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::{Deserialize, Serialize};

use crate::model::{FacilityLevel, ServiceType};
use crate::snapshot::Snapshot;

use super::coverage::Coverage;
use super::metric::Shape;
use super::reach::UnitCoverage;
use super::standards::{check_threshold, ServiceStandard, TargetGroup};
use super::{AnalysisError, DistanceMetric};
use crate::network::Walk;

/// A vacant site 闲置用房/空地 offered as a candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VacantSite {
    pub name: String,
    /// Longitude, latitude (WGS84).
    pub lonlat: [f64; 2],
    /// Floor area, m², for the record.
    #[serde(default)]
    pub floor_area_m2: Option<f64>,
}

/// What to site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SitingRequest {
    pub service: ServiceType,
    /// Number of sites to choose.
    pub k: usize,
    /// Walking threshold, metres (default: the standard's).
    pub threshold_m: Option<f64>,
    /// Existing stations with room (floor area ≥ `min_room_m2`) as candidates.
    pub include_stations: bool,
    /// Existing service spaces with room (floor area ≥ `min_room_m2`) as candidates.
    pub include_service_spaces: bool,
    /// Every compound's centroid as a candidate.
    pub include_compound_centroids: bool,
    /// Minimum floor area, m², of a station or space to host the service (100).
    pub min_room_m2: f64,
    pub vacant_sites: Vec<VacantSite>,
}

impl Default for SitingRequest {
    fn default() -> Self {
        SitingRequest {
            service: ServiceType::ElderlyCare,
            k: 3,
            threshold_m: None,
            include_stations: true,
            include_service_spaces: true,
            include_compound_centroids: true,
            min_room_m2: 100.0,
            vacant_sites: Vec::new(),
        }
    }
}

/// Where a candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CandidateKind {
    Station,
    ServiceSpace,
    CompoundCentroid,
    VacantSite,
}

/// One chosen site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteChoice {
    /// 1-based order of choice.
    pub rank: usize,
    pub kind: CandidateKind,
    /// The station's, space's or compound's id (`None` for a vacant site).
    pub id: Option<i64>,
    pub name: String,
    /// Longitude, latitude (WGS84).
    pub lonlat: [f64; 2],
    /// Target population newly covered by this site, given the sites chosen before it.
    pub gain_target: f64,
    /// Households newly covered.
    pub gain_households: i64,
    /// Compounds and scattered buildings newly covered.
    pub gain_units: usize,
}

/// The suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitingResult {
    pub service: ServiceType,
    /// How reach was measured (the coverage's metric).
    pub metric: DistanceMetric,
    pub threshold_m: f64,
    pub target_group: TargetGroup,
    pub candidates: usize,
    /// The target group's size (households, or persons).
    pub target_total: f64,
    pub target_covered_before: f64,
    pub target_covered_after: f64,
    pub households_total: i64,
    pub households_covered_before: i64,
    pub households_covered_after: i64,
    /// At most `k`; fewer when no candidate adds anything.
    pub sites: Vec<SiteChoice>,
}

pub(crate) struct Candidate {
    pub(crate) kind: CandidateKind,
    pub(crate) id: Option<i64>,
    pub(crate) name: String,
    pub(crate) lonlat: Coord,
}

/// A queue entry: a (possibly stale) gain of a candidate.
#[derive(PartialEq)]
struct Bound {
    gain: f64,
    candidate: usize,
    round: usize,
}
impl Eq for Bound {}
impl Ord for Bound {
    fn cmp(&self, o: &Self) -> Ordering {
        self.gain
            .total_cmp(&o.gain)
            .then(o.candidate.cmp(&self.candidate))
    }
}
impl PartialOrd for Bound {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Suggests up to `k` sites for a service type.
pub fn suggest_sites(
    snapshot: &Snapshot,
    coverage: &Coverage,
    request: &SitingRequest,
) -> Result<SitingResult, AnalysisError> {
    coverage.check_snapshot(snapshot)?;
    let pos = coverage
        .service_position(request.service)
        .ok_or(AnalysisError::NotAnalysed(request.service))?;
    let standard = &coverage.standards.services[pos];
    let threshold = match request.threshold_m {
        Some(t) => {
            check_threshold("threshold_m", t)?;
            t
        }
        None => standard.threshold_m,
    };
    if !(request.min_room_m2.is_finite() && request.min_room_m2 >= 0.0) {
        return Err(invalid("min_room_m2", "must be a non-negative number"));
    }
    let candidates = candidates(snapshot, request, standard)?;
    let group = standard.target_group;
    let units = &coverage.units;
    let target: Vec<f64> = units.iter().map(|u| u.target(group)).collect();
    let covered: Vec<bool> = units
        .iter()
        .map(|u| u.services[pos].distance_m.is_some_and(|d| d <= threshold))
        .collect();

    let reach = candidate_reach(coverage, &candidates, &covered, &target, threshold);
    let sites = choose_sites(&candidates, &reach, &target, units, request.k);

    let target_total: f64 = target.iter().sum();
    let households_total: i64 = units.iter().map(|u| u.households).sum();
    let before: f64 = (0..units.len())
        .filter(|&u| covered[u])
        .map(|u| target[u])
        .sum();
    let households_before: i64 = (0..units.len())
        .filter(|&u| covered[u])
        .map(|u| units[u].households)
        .sum();
    Ok(SitingResult {
        service: request.service,
        metric: coverage.metric,
        threshold_m: threshold,
        target_group: group,
        candidates: candidates.len(),
        target_total,
        target_covered_before: before,
        target_covered_after: before + sites.iter().map(|s| s.gain_target).sum::<f64>(),
        households_total,
        households_covered_before: households_before,
        households_covered_after: households_before
            + sites.iter().map(|s| s.gain_households).sum::<i64>(),
        sites,
    })
}

/// Each candidate's reach: the units not yet covered (with a target or households) within the
/// threshold of its point, in unit order.
fn candidate_reach(
    coverage: &Coverage,
    candidates: &[Candidate],
    covered: &[bool],
    target: &[f64],
    threshold: f64,
) -> Vec<Vec<usize>> {
    let units = &coverage.units;
    // The units not yet covered, indexed by their metric bounding boxes.
    let open: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = coverage
        .measured
        .shapes
        .iter()
        .enumerate()
        .filter(|&(u, _)| !covered[u] && (target[u] > 0.0 || units[u].households > 0))
        .filter_map(|(u, s)| {
            let r = s.as_ref()?.shape.bbox()?;
            Some(GeomWithData::new(
                Rectangle::from_corners(r.min().into(), r.max().into()),
                u,
            ))
        })
        .collect();
    let open = RTree::bulk_load(open);

    let metric = &coverage.measured.metric;
    // Walking never beats the straight line, so the straight box holds every unit in reach.
    let box_m = metric.frame_reach(threshold);
    let network = match coverage.metric {
        DistanceMetric::Walk => coverage.measured.walk.as_ref().map(|w| &*w.network),
        DistanceMetric::Straight => None,
    };
    candidates
        .par_iter()
        .map_init(
            || network.map(|n| Walk::new(&n.graph)),
            |walk, c| {
                let q = metric.frame.to_metres(c.lonlat);
                let point = Shape::Point(Point(q));
                let env =
                    AABB::from_corners([q.x - box_m, q.y - box_m], [q.x + box_m, q.y + box_m]);
                let near = open.locate_in_envelope_intersecting(&env).map(|e| e.data);
                let mut hits: Vec<usize> = match (network, walk.as_mut()) {
                    // On foot: a bounded search from the candidate's joining point.
                    (Some(n), Some(walk)) => {
                        let Some(join) = n.index.point(&n.graph, c.lonlat, n.join_limit_m) else {
                            return Vec::new();
                        };
                        walk.run(&n.graph, &[join], threshold);
                        near.filter(|&u| {
                            n.unit_joins(u).iter().any(|j| {
                                walk.to(&n.graph, j)
                                    .is_some_and(|r| r.distance_m <= threshold)
                            })
                        })
                        .collect()
                    }
                    _ => near
                        .filter(|&u| {
                            coverage.measured.shapes[u].as_ref().is_some_and(|s| {
                                let centre = Coord {
                                    x: s.centre[0],
                                    y: s.centre[1],
                                };
                                metric.distance(&s.shape, centre, &point, q) <= threshold
                            })
                        })
                        .collect(),
                };
                hits.sort_unstable();
                hits
            },
        )
        .collect()
}

/// Greedy maximal covering with lazy evaluation (CELF): up to `k` sites, each the candidate
/// with the largest fresh gain given the sites before it; stops early when nothing is gained.
fn choose_sites(
    candidates: &[Candidate],
    reach: &[Vec<usize>],
    target: &[f64],
    units: &crate::snapshot::Shared<UnitCoverage>,
    k: usize,
) -> Vec<SiteChoice> {
    let mut newly = vec![false; units.len()];
    let gain_of = |c: usize, newly: &[bool]| -> f64 {
        reach[c]
            .iter()
            .filter(|&&u| !newly[u])
            .map(|&u| target[u])
            .sum()
    };
    let mut queue: BinaryHeap<Bound> = (0..candidates.len())
        .map(|c| Bound {
            gain: gain_of(c, &newly),
            candidate: c,
            round: 0,
        })
        .collect();
    let mut sites = Vec::new();
    let mut round = 0;
    while sites.len() < k {
        let Some(top) = queue.pop() else { break };
        if top.round != round {
            queue.push(Bound {
                gain: gain_of(top.candidate, &newly),
                candidate: top.candidate,
                round,
            });
            continue;
        }
        if top.gain <= 0.0 {
            break;
        }
        let c = &candidates[top.candidate];
        let mut gain_households = 0;
        let mut gain_units = 0;
        for &u in &reach[top.candidate] {
            if !newly[u] {
                newly[u] = true;
                gain_households += units[u].households;
                gain_units += 1;
            }
        }
        sites.push(SiteChoice {
            rank: sites.len() + 1,
            kind: c.kind,
            id: c.id,
            name: c.name.clone(),
            lonlat: [c.lonlat.x, c.lonlat.y],
            gain_target: top.gain,
            gain_households,
            gain_units,
        });
        round += 1;
    }
    sites
}

fn invalid(field: &str, reason: impl Into<String>) -> AnalysisError {
    AnalysisError::InvalidRequest {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The candidates in a fixed order: stations, service spaces, compound centroids, vacant sites.
/// Stations and spaces that already count for the service are left out.
pub(crate) fn candidates(
    snapshot: &Snapshot,
    request: &SitingRequest,
    standard: &ServiceStandard,
) -> Result<Vec<Candidate>, AnalysisError> {
    let data = &snapshot.data;
    let counts = |level: FacilityLevel| standard.life_circle.admits(level);
    let mut out = Vec::new();
    if request.include_stations {
        out.extend(
            data.stations
                .iter()
                .filter(|s| {
                    s.floor_area.is_some_and(|a| a >= request.min_room_m2)
                        && !(counts(s.level) && standard.facilities.selects_station(s))
                })
                .map(|s| Candidate {
                    kind: CandidateKind::Station,
                    id: Some(s.id),
                    name: s.name.clone(),
                    lonlat: s.geometry.0,
                }),
        );
    }
    if request.include_service_spaces {
        out.extend(
            data.service_spaces
                .iter()
                .filter(|s| {
                    s.floor_area >= request.min_room_m2
                        && !(counts(s.level) && standard.facilities.selects_space(s))
                })
                .filter_map(|s| {
                    Some(Candidate {
                        kind: CandidateKind::ServiceSpace,
                        id: Some(s.id),
                        name: s.name.clone(),
                        lonlat: s.geometry.centroid()?.0,
                    })
                }),
        );
    }
    if request.include_compound_centroids {
        out.extend(data.compounds.iter().filter_map(|c| {
            Some(Candidate {
                kind: CandidateKind::CompoundCentroid,
                id: Some(c.id),
                name: c.name.clone(),
                lonlat: c.geometry.centroid()?.0,
            })
        }));
    }
    for (i, v) in request.vacant_sites.iter().enumerate() {
        let [lon, lat] = v.lonlat;
        if !((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)) {
            return Err(invalid(
                &format!("vacant_sites[{i}].lonlat"),
                format!("[{lon}, {lat}] is not a WGS84 longitude/latitude"),
            ));
        }
        out.push(Candidate {
            kind: CandidateKind::VacantSite,
            id: None,
            name: v.name.clone(),
            lonlat: Coord { x: lon, y: lat },
        });
    }
    Ok(out)
}
