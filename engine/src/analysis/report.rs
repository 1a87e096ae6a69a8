//! What a coverage report 覆盖报告 of a street or a community says: the area's coverage of one
//! service at its threshold, its parts (a street's communities, a community's grids) ranked
//! worst first, their governance, the underserved compounds with their evidence, the heatmap
//! cells over the area and the standards behind every threshold. Laying it out on paper is the
//! `print` crate's job.

use geo::{BoundingRect, Intersects};
use geo_types::MultiPolygon;

use super::coverage::Coverage;
use super::heatmap::HeatCell;
use super::underserved::{underserved, UnderservedFilter, UnderservedRow};
use super::{AnalysisError, AreaLevel, AreaSummary, DistanceMetric, Standards};
use crate::{ServiceType, Snapshot};

/// The area a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportArea {
    Street(String),
    Community(String),
}

impl ReportArea {
    /// The H3 resolution its heatmap is drawn at: 9 (≈ 0.1 km² a cell) for a street, 10
    /// (≈ 0.015 km²) for a community, so that either shows a few dozen cells.
    pub fn heat_resolution(&self) -> u8 {
        match self {
            ReportArea::Street(_) => 9,
            ReportArea::Community(_) => 10,
        }
    }
}

/// Everything a coverage report shows.
#[derive(Debug, Clone)]
pub struct ReportFacts {
    pub area: AreaSummary,
    /// WGS84 lon/lat.
    pub boundary: MultiPolygon,
    /// The area's parts (a street's communities, a community's grids), the least covered first
    /// (by households covered for `service`; parts without households last), with their
    /// boundaries.
    pub parts: Vec<(AreaSummary, MultiPolygon)>,
    pub service: ServiceType,
    pub threshold_m: f64,
    pub metric: DistanceMetric,
    /// Heatmap cells whose hexagon meets the area.
    pub cells: Vec<HeatCell>,
    /// The area's underserved compounds, ranked (tier 1, then tier 2).
    pub underserved: Vec<UnderservedRow>,
    pub standards: Standards,
    pub data_version: i64,
    /// The area at the end of the previous month (`YYYY-MM`), when the caller could rebuild it,
    /// or why not.
    pub previous: Option<(String, Result<AreaSummary, String>)>,
}

/// The facts of a report on `area` from a coverage of `snapshot` and its heatmap `cells` for
/// `service`.
pub fn report_facts(
    snapshot: &Snapshot,
    coverage: &Coverage,
    area: &ReportArea,
    service: ServiceType,
    cells: &[HeatCell],
) -> Result<ReportFacts, AnalysisError> {
    let position = coverage
        .service_position(service)
        .ok_or(AnalysisError::NotAnalysed(service))?;
    let d = &snapshot.data;
    let unknown = |level: &'static str, code: &str| AnalysisError::UnknownArea {
        level,
        code: code.to_owned(),
    };
    let (summary, boundary, parts, filter) = match area {
        ReportArea::Street(code) => {
            let summary =
                find(coverage, AreaLevel::Street, code).ok_or_else(|| unknown("street", code))?;
            let boundary = d
                .streets
                .iter()
                .find(|s| &s.code == code)
                .map(|s| s.geometry.clone())
                .unwrap_or_else(|| MultiPolygon(Vec::new()));
            let parts = coverage
                .areas(AreaLevel::Community)
                .iter()
                .filter(|a| a.parent_code.as_deref() == Some(code.as_str()))
                .map(|a| {
                    let geometry = snapshot
                        .community(&a.code)
                        .map(|c| c.geometry.clone())
                        .unwrap_or_else(|| MultiPolygon(Vec::new()));
                    (a.clone(), geometry)
                })
                .collect();
            let filter = UnderservedFilter {
                street_code: Some(code.clone()),
                ..UnderservedFilter::default()
            };
            (summary, boundary, parts, filter)
        }
        ReportArea::Community(code) => {
            let summary = find(coverage, AreaLevel::Community, code)
                .ok_or_else(|| unknown("community", code))?;
            let boundary = snapshot
                .community(code)
                .map(|c| c.geometry.clone())
                .unwrap_or_else(|| MultiPolygon(Vec::new()));
            let parts = coverage
                .areas(AreaLevel::Grid)
                .iter()
                .filter(|a| a.parent_code.as_deref() == Some(code.as_str()))
                .map(|a| {
                    let geometry = snapshot
                        .grid(&a.code)
                        .map(|g| MultiPolygon(vec![g.geometry.clone()]))
                        .unwrap_or_else(|| MultiPolygon(Vec::new()));
                    (a.clone(), geometry)
                })
                .collect();
            let filter = UnderservedFilter {
                community_code: Some(code.clone()),
                ..UnderservedFilter::default()
            };
            (summary, boundary, parts, filter)
        }
    };
    let mut parts: Vec<(AreaSummary, MultiPolygon)> = parts;
    let pct = |a: &AreaSummary| a.services.get(position).and_then(|s| s.households_pct);
    parts.sort_by(|(a, _), (b, _)| match (pct(a), pct(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.code.cmp(&b.code)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.code.cmp(&b.code),
    });
    let rect = boundary.bounding_rect();
    let cells = cells
        .iter()
        .filter(|c| {
            boundary.0.is_empty()
                || (rect.is_some_and(|r| c.polygon.intersects(&r))
                    && boundary.intersects(&c.polygon))
        })
        .cloned()
        .collect();
    Ok(ReportFacts {
        threshold_m: coverage.standards.services[position].threshold_m,
        area: summary,
        boundary,
        parts,
        service,
        metric: coverage.metric,
        cells,
        underserved: underserved(coverage, &filter)?,
        standards: coverage.standards.clone(),
        data_version: coverage.snapshot_version,
        previous: None,
    })
}

fn find(coverage: &Coverage, level: AreaLevel, code: &str) -> Option<AreaSummary> {
    coverage
        .areas(level)
        .iter()
        .find(|a| a.code == code)
        .cloned()
}
