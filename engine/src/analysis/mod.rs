//! Coverage analyses 服务覆盖分析: pure functions over a [`Snapshot`](crate::Snapshot).
//!
//! - [`standards`]: the service standards as configuration, with national defaults and sources.
//! - [`coverage`]: per compound 小区 and scattered building 散居楼栋, metres to the nearest
//!   counting facility of each service type and checklist item (`reach.rs`); summaries per
//!   grid, community, street and the whole snapshot (`areas.rs`).
//! - [`heatmap`](mod@heatmap): H3 hexagons with households not covered and household-weighted distance.
//! - [`underserved`](mod@underserved): the underserved-compound list in rule tiers, with evidence.
//! - [`siting`]: greedy maximal-covering siting suggestions with lazy evaluation.
//!
//! Distances are ellipsoidal (WGS84) metres wherever the data lies, within 0.1 % of the geodesic
//! (10⁻⁵ in practice): shapes and indexes share one frame per snapshot ([`metric_frame`]), and
//! each pair is measured at its own mid-latitude (see `distance.rs`),
//! from the unit's geometry (a compound's nearest gate 小区出入口 when it has gates,
//! else its polygon; a building's point or footprint) to
//! the facility's geometry (point or polygon); 0 when they touch or overlap. A unit is covered
//! when the distance is at most the threshold (`≤`, as `ST_DWithin`).
//!
//! ```
//! use gridatlas_engine::analysis::{Coverage, Standards};
//! use gridatlas_engine::{ServiceType, Snapshot};
//!
//! let snapshot = Snapshot::default();
//! let mut standards = Standards::default();
//! standards.set_threshold(ServiceType::ElderlyCare, 300.0).unwrap();
//! let coverage = Coverage::compute(&snapshot, &standards).unwrap();
//! assert!(coverage.units.is_empty());
//! ```

mod areas;
pub mod coverage;
pub(crate) mod distance;
pub mod heatmap;
mod metric;
mod reach;
mod remeasure;
pub mod report;
pub mod siting;
pub mod standards;
pub mod trends;
pub mod underserved;
pub mod walking;

use geo_types::Coord;
use serde::{Deserialize, Serialize};

use crate::crs::LocalFrame;
use crate::model::ServiceType;

pub use coverage::{
    AreaLevel, AreaServiceCoverage, AreaSummary, ChecklistReach, ChecklistStatus, CompoundFacts,
    Coverage, FacilityRef, FloorAreaStatus, Governance, ServiceReach, UnitCoverage, UnitKind,
};
pub use heatmap::{heatmap, HeatCell};
pub use siting::{
    suggest_sites, CandidateKind, SiteChoice, SitingRequest, SitingResult, VacantSite,
};
pub use standards::{
    ChecklistItem, ChecklistStandard, ComplexStandard, CountedNames, Demography, FacilitySelector,
    FloorAreaStandard, LifeCircle, ServiceStandard, Standards, TargetGroup, WalkingStandard,
};
pub use underserved::{
    underserved, ServiceEvidence, UnderservedFilter, UnderservedRow, UnderservedRules,
    UnderservedTier,
};
pub use walking::{
    isochrones, routes, walk_network, Isochrone, NetworkReport, UnitRoute, Unjoined, WalkNetwork,
};

/// How distances are measured 距离口径: along the walking network or in a straight line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceMetric {
    /// Along the walkable ways 步行距离 (the default once a snapshot has ways).
    Walk,
    /// In a straight line 直线距离.
    Straight,
}

impl DistanceMetric {
    /// The metric's wire name.
    pub fn name(self) -> &'static str {
        match self {
            DistanceMetric::Walk => "walk",
            DistanceMetric::Straight => "straight",
        }
    }
}

/// What can go wrong in an analysis.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// A rule of the standards is out of range.
    #[error("invalid standards: {field}: {reason}")]
    InvalidStandards { field: String, reason: String },
    /// The service type has no standard, so it is not analysed.
    #[error("service type {} is not analysed: the standards have no rule for it", .0.name())]
    NotAnalysed(ServiceType),
    /// An analysis was given a coverage computed on another snapshot.
    #[error("coverage was computed on snapshot version {coverage} but the snapshot is version {snapshot}; recompute it")]
    StaleCoverage { coverage: i64, snapshot: i64 },
    /// The H3 resolution is not one of 0–15.
    #[error("H3 resolution {0} does not exist (0–15; the heatmap uses 9 and 10)")]
    Resolution(u8),
    /// A walking analysis of a snapshot without walkable ways.
    #[error("there is no walking network: the atlas has no walkable ways (import them, e.g. `gridatlas import city.osm.pbf`)")]
    NoWalkingNetwork,
    /// No area with this code (a report's street or community).
    #[error("no {level} with code {code}")]
    UnknownArea { level: &'static str, code: String },
    /// A request parameter is out of range.
    #[error("invalid request: {field}: {reason}")]
    InvalidRequest { field: String, reason: String },
}

/// WGS84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 first eccentricity squared.
const WGS84_E2: f64 = 0.006_694_379_990_14;

/// The metric frame of the analyses: a [`LocalFrame`] centred on `origin` (lon/lat) whose
/// scales are the WGS84 ellipsoid's radii of curvature there (meridional for latitude, prime
/// vertical for longitude), so distances agree with geodesic ones on the ellipsoid (`PostGIS`
/// `geography`) to about 0.1 % within 10 km of the origin; a spherical frame would be off by up
/// to 0.3 % north–south at China's latitudes.
///
/// ```
/// use geo_types::coord;
/// use gridatlas_engine::analysis::metric_frame;
/// let f = metric_frame(coord! { x: 105.44, y: 28.9 });
/// // One second of latitude is about 30.8 m at 29° N.
/// assert!((f.m_per_deg_lat / 3600.0 - 30.8).abs() < 0.1);
/// ```
pub fn metric_frame(origin: Coord) -> LocalFrame {
    let phi = origin.y.to_radians();
    let w = 1.0 - WGS84_E2 * phi.sin().powi(2);
    let meridional = WGS84_A * (1.0 - WGS84_E2) / w.powf(1.5);
    let prime_vertical = WGS84_A / w.sqrt();
    LocalFrame {
        origin,
        m_per_deg_lon: prime_vertical * phi.cos() * std::f64::consts::PI / 180.0,
        m_per_deg_lat: meridional * std::f64::consts::PI / 180.0,
    }
}

/// Share as a percentage (0–100), or `None` when the whole is zero.
pub(crate) fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| 100.0 * part / whole)
}

#[cfg(test)]
mod far_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod walking_tests;
