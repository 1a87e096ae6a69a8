//! Coverage analyses over HTTP: the standards, coverage per area and per unit, the underserved
//! compound list (JSON or CSV), the H3 heatmap (GeoJSON) and siting suggestions.
//!
//! The coverage of the current snapshot under the default standards and its heatmaps are
//! computed once per snapshot (off the async runtime) and memoized on it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::analysis::{
    self, AnalysisError, AreaLevel, Coverage, DistanceMetric, SitingRequest, Standards,
    UnderservedFilter,
};
use engine::{ServiceType, Snapshot};
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::blocking;
use super::AppState;
use crate::io::formula::neutralize;

/// Heatmap cells of the current snapshot, computed once per snapshot, service, resolution and
/// threshold (memoized on the snapshot).
pub(super) async fn heat_cells(
    state: &AppState,
    s: ServiceType,
    resolution: u8,
    threshold: Option<f64>,
    metric: Option<DistanceMetric>,
    as_of: Option<DateTime<Utc>>,
) -> Result<(Arc<Snapshot>, Arc<Vec<analysis::HeatCell>>), ApiError> {
    let (snapshot, cov) = coverage(state, &Overrides::at(as_of), metric).await?;
    let snap = snapshot.clone();
    let by = cov.metric.name();
    let cells = blocking(move || {
        let key = format!("heatmap {} {resolution} {threshold:?} {by}", s.name());
        Ok(snap.memo.get_or_try_insert(&key, || {
            analysis::heatmap(&snap, &cov, s, resolution, threshold)
        })?)
    })
    .await?;
    Ok((snapshot, cells))
}

/// Heatmap tile properties, in order.
pub(super) const HEAT_KEYS: &[&str] = &[
    "cell",
    "service",
    "households",
    "households_uncovered",
    "mean_distance_m",
];

/// Heatmap parameters of a request: `service` (default elderly_care), `resolution`, `threshold`,
/// `metric`.
pub(super) fn heat_params(
    raw: Option<&str>,
    default_resolution: u8,
) -> Result<(ServiceType, u8, Option<f64>, Option<DistanceMetric>), ApiError> {
    let q = params(raw);
    let s = service(q.get("service").map_or("elderly_care", String::as_str))?;
    let resolution = match q.get("resolution") {
        None => default_resolution,
        Some(r) => r
            .parse::<u8>()
            .ok()
            .filter(|r| (7..=11).contains(r))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "resolution: an H3 resolution from 7 to 11, got \"{r}\""
                ))
            })?,
    };
    let threshold = q
        .get("threshold")
        .map(|t| metres("threshold", t))
        .transpose()?;
    Ok((s, resolution, threshold, metric(&q)?))
}

/// The `metric` of a request: `walk` (along the ways) or `straight`; `None`: the default
/// (walking once the atlas has ways).
pub(super) fn metric(q: &HashMap<String, String>) -> Result<Option<DistanceMetric>, ApiError> {
    match q.get("metric").map(String::as_str) {
        None | Some("") => Ok(None),
        Some("walk") => Ok(Some(DistanceMetric::Walk)),
        Some("straight") => Ok(Some(DistanceMetric::Straight)),
        Some(other) => Err(ApiError::BadRequest(format!(
            "metric: walk (along the ways) or straight, got \"{other}\""
        ))),
    }
}

/// What a coverage response says about how it measured: the metric used, whether walking
/// distances exist, the walking speed and the network's size.
pub(super) fn measured_by(cov: &Coverage) -> Value {
    json!({
        "metric": cov.metric,
        "walking_available": cov.has_walking(),
        "walking_speed_mps": cov.standards.walking.speed_mps,
        "network": cov.network(),
    })
}

impl From<AnalysisError> for ApiError {
    fn from(e: AnalysisError) -> Self {
        match e {
            // Asked rightly, but the atlas lacks what it needs: 409, as for other states.
            AnalysisError::NoWalkingNetwork => ApiError::NoWalkingNetwork(e.to_string()),
            AnalysisError::UnknownArea { .. } => ApiError::NotFound(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

pub(super) fn service(name: &str) -> Result<ServiceType, ApiError> {
    ServiceType::from_name(name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "service: unknown service type \"{name}\" (one of {})",
            ServiceType::NAMES.join(", ")
        ))
    })
}

pub(super) fn metres(field: &str, s: &str) -> Result<f64, ApiError> {
    s.parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m <= 20_000.0)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{field}: a distance in metres from 1 to 20000, got \"{s}\""
            ))
        })
}

/// What a request changes of the standards for its answer: thresholds and the walking speed;
/// and the moment whose data it asks about (`as_of=`, now when none).
#[derive(Debug, Clone, Default)]
pub(super) struct Overrides {
    thresholds: Vec<(ServiceType, f64)>,
    /// Metres per second for the minutes (`walking_speed=`).
    speed: Option<f64>,
    pub(super) as_of: Option<DateTime<Utc>>,
}

impl Overrides {
    /// No change of the standards, the data of `as_of`.
    pub(super) fn at(as_of: Option<DateTime<Utc>>) -> Overrides {
        Overrides {
            as_of,
            ..Overrides::default()
        }
    }
}

/// `as_of`: a day (its end, China time), a month (its end) or an RFC 3339 moment.
pub(super) fn as_of(q: &HashMap<String, String>) -> Result<Option<DateTime<Utc>>, ApiError> {
    q.get("as_of")
        .map(|v| {
            analysis::trends::moment(v).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "as_of: a day YYYY-MM-DD, a month YYYY-MM or a moment such as 2026-11-30T16:00:00Z, got \"{v}\""
                ))
            })
        })
        .transpose()
}

/// Threshold overrides from `service=X&threshold=M` and/or `thresholds=X:M,Y:M`, and the walking
/// speed from `walking_speed=`.
pub(super) fn overrides(q: &HashMap<String, String>) -> Result<Overrides, ApiError> {
    let speed = q
        .get("walking_speed")
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|m| m.is_finite() && (0.1..=5.0).contains(m))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "walking_speed: metres per second from 0.1 to 5, got \"{v}\""
                    ))
                })
        })
        .transpose()?;
    let mut out = Vec::new();
    if let Some(t) = q.get("threshold") {
        let s = q.get("service").ok_or_else(|| {
            ApiError::BadRequest("threshold: name the service it applies to (service=…)".into())
        })?;
        out.push((service(s)?, metres("threshold", t)?));
    }
    if let Some(list) = q.get("thresholds") {
        for pair in list.split(',').filter(|p| !p.is_empty()) {
            let (s, m) = pair.split_once(':').ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "thresholds: expected service:metres, got \"{pair}\""
                ))
            })?;
            out.push((service(s)?, metres("thresholds", m)?));
        }
    }
    Ok(Overrides {
        thresholds: out,
        speed,
        as_of: as_of(q)?,
    })
}

pub(super) fn params(raw: Option<&str>) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// The coverage of the current snapshot by a metric, with threshold overrides applied. Under
/// the default standards it is computed once per snapshot and metric (memoized on it; both
/// metrics share one measurement); an override re-thresholds those distances, so an official
/// sees the effect of 500 → 300 m at once.
pub(super) async fn coverage(
    state: &AppState,
    overrides: &Overrides,
    metric: Option<DistanceMetric>,
) -> Result<(Arc<Snapshot>, Arc<Coverage>), ApiError> {
    let snapshot = match overrides.as_of {
        Some(at) => state.atlas.snapshot_at(at).await?,
        None => state.atlas.snapshot(),
    };
    let snap = snapshot.clone();
    let overrides = overrides.clone();
    let coverage = blocking(move || {
        let mut base = Coverage::memoized(&snap)?;
        if let Some(m) = metric.filter(|m| *m != base.metric && base.has_walking()) {
            let first = Arc::clone(&base);
            base = snap.memo.get_or_try_insert::<_, AnalysisError>(
                &format!("coverage by {}", m.name()),
                || Ok(first.by_metric(&snap, m)),
            )?;
        }
        if overrides.thresholds.is_empty() && overrides.speed.is_none() {
            return Ok(base);
        }
        let mut standards = base.standards.clone();
        for (s, m) in &overrides.thresholds {
            standards.set_threshold(*s, *m)?;
        }
        if let Some(speed) = overrides.speed {
            standards.walking.speed_mps = speed;
        }
        Ok(Arc::new(base.with_standards(&snap, &standards)?))
    })
    .await?;
    Ok((snapshot, coverage))
}

/// `GET /api/standards`: the standards in force, each rule with its source.
pub async fn standards() -> Json<Standards> {
    Json(Standards::default())
}

/// `level=grid|community|street|all` (community when none).
pub(super) fn level(q: &HashMap<String, String>) -> Result<AreaLevel, ApiError> {
    let name = q.get("level").map_or("community", String::as_str);
    AreaLevel::from_name(name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "level: grid, community, street or all, got \"{name}\""
        ))
    })
}

/// `GET /api/coverage?level=grid|community|street|all&code=&service=&threshold=`
pub async fn areas(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = params(raw.as_deref());
    let level = level(&q)?;
    let (snapshot, cov) = coverage(&state, &overrides(&q)?, metric(&q)?).await?;
    let areas: Vec<_> = cov
        .areas(level)
        .iter()
        .filter(|a| q.get("code").is_none_or(|c| &a.code == c))
        .collect();
    if let (Some(code), true) = (q.get("code"), areas.is_empty()) {
        return Err(ApiError::NotFound(
            format!("no {level:?} with code {code}").to_lowercase(),
        ));
    }
    Ok(Json(
        json!({ "data_version": snapshot.version, "level": level, "standards": cov.standards, "measured": measured_by(&cov), "areas": areas }),
    ))
}

/// `GET /api/coverage/units?community_code=&grid_code=&unit=compound:ID&service=&threshold=
/// &lost_on_foot=true`: per compound and scattered building, metres to the nearest facility of
/// every service and covered or not; `lost_on_foot`: only the units `service` covers in a
/// straight line and not on foot.
pub async fn units(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = params(raw.as_deref());
    let unit = q.get("unit").map(|u| unit_ref(u)).transpose()?;
    let lost = if flag(&q, "lost_on_foot")? {
        Some(
            service(q.get("service").map_or("", String::as_str)).map_err(|_| {
                ApiError::BadRequest("lost_on_foot: name the service (service=…)".into())
            })?,
        )
    } else {
        None
    };
    let (snapshot, cov) = coverage(&state, &overrides(&q)?, metric(&q)?).await?;
    let units: Vec<_> = cov
        .units
        .iter()
        .filter(|u| unit.is_none_or(|(kind, id)| u.kind == kind && u.id == id))
        .filter(|u| {
            lost.is_none_or(|s| {
                u.reach(s)
                    .is_some_and(|r| r.covered_straight && r.covered_walk == Some(false))
            })
        })
        .filter(|u| {
            q.get("community_code")
                .is_none_or(|c| &u.community_code == c)
        })
        .filter(|u| {
            q.get("grid_code")
                .is_none_or(|g| u.grid_code.as_ref() == Some(g))
        })
        .collect();
    Ok(Json(
        json!({ "data_version": snapshot.version, "measured": measured_by(&cov), "units": units }),
    ))
}

/// `compound:ID` or `building:ID` (a scattered building).
fn unit_ref(s: &str) -> Result<(analysis::UnitKind, i64), ApiError> {
    let bad = || ApiError::BadRequest(format!("unit: compound:<id> or building:<id>, got \"{s}\""));
    let (kind, id) = s.split_once(':').ok_or_else(bad)?;
    let kind = match kind {
        "compound" => analysis::UnitKind::Compound,
        "building" => analysis::UnitKind::ScatteredBuilding,
        _ => return Err(bad()),
    };
    Ok((kind, id.parse().map_err(|_| bad())?))
}

fn flag(q: &HashMap<String, String>, name: &str) -> Result<bool, ApiError> {
    match q.get(name).map(String::as_str) {
        None | Some("false" | "0") => Ok(false),
        Some("true" | "1" | "") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!(
            "{name}: true or false, got \"{other}\""
        ))),
    }
}

fn number(q: &HashMap<String, String>, name: &str) -> Result<Option<i64>, ApiError> {
    q.get(name)
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("{name}: a whole number, got \"{s}\"")))
        })
        .transpose()
}

/// `GET /api/underserved?three_no_only=&any_flag_missing=&build_year_min=&build_year_max=&min_elderly=
/// &out_of_reach=elderly_care,meal_help&out_of_reach_threshold=&community_code=&grid_code=&street_code=
/// &include_untiered=&format=csv`: the ranked list with its evidence.
pub async fn underserved(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = params(raw.as_deref());
    let filter = UnderservedFilter {
        three_no_only: flag(&q, "three_no_only")?,
        any_flag_missing: flag(&q, "any_flag_missing")?,
        build_year_min: number(&q, "build_year_min")?,
        build_year_max: number(&q, "build_year_max")?,
        min_elderly: number(&q, "min_elderly")?,
        out_of_reach: q
            .get("out_of_reach")
            .map(|l| {
                l.split(',')
                    .filter(|s| !s.is_empty())
                    .map(service)
                    .collect::<Result<_, _>>()
            })
            .transpose()?
            .unwrap_or_default(),
        out_of_reach_threshold_m: q
            .get("out_of_reach_threshold")
            .map(|s| metres("out_of_reach_threshold", s))
            .transpose()?,
        include_untiered: flag(&q, "include_untiered")?,
        grid_code: q.get("grid_code").cloned(),
        community_code: q.get("community_code").cloned(),
        street_code: q.get("street_code").cloned(),
    };
    let (snapshot, cov) = coverage(&state, &overrides(&q)?, metric(&q)?).await?;
    let rows = analysis::underserved(&cov, &filter)?;
    if q.get("format").map(String::as_str) == Some("csv") {
        return csv_rows(&rows);
    }
    Ok(Json(
        json!({ "data_version": snapshot.version, "measured": measured_by(&cov), "rows": rows }),
    )
    .into_response())
}

/// The underserved list as CSV; text cells neutralized against formula injection.
fn csv_rows(rows: &[analysis::UnderservedRow]) -> Result<Response, ApiError> {
    let err = |e: csv::Error| ApiError::Internal(e.to_string());
    let mut w = csv::Writer::from_writer(Vec::new());
    let services: Vec<ServiceType> = rows
        .first()
        .map(|r| r.services.iter().map(|s| s.service).collect())
        .unwrap_or_default();
    let mut header: Vec<String> = [
        "rank",
        "tier",
        "compound_id",
        "name",
        "community_code",
        "grid_code",
        "three_no",
        "property_management",
        "owners_committee",
        "competent_unit",
        "build_year",
        "households",
        "elderly",
        "gaps",
        "unserved_target",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for s in &services {
        header.push(format!("{}_distance_m", s.name()));
        header.push(format!("{}_threshold_m", s.name()));
        header.push(format!("{}_straight_m", s.name()));
        header.push(format!("{}_walk_m", s.name()));
        header.push(format!("{}_detour", s.name()));
    }
    w.write_record(&header).map_err(err)?;
    let text = |s: &str| neutralize(s).into_owned();
    for r in rows {
        let mut rec = vec![
            r.rank.to_string(),
            text(
                &r.tier
                    .map(|t| {
                        serde_json::to_value(t)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default()
                    })
                    .unwrap_or_default(),
            ),
            r.compound_id.to_string(),
            text(r.name.as_deref().unwrap_or_default()),
            text(&r.community_code),
            text(r.grid_code.as_deref().unwrap_or_default()),
            r.flags.three_no.to_string(),
            text(r.flags.property_management.name()),
            r.flags.owners_committee.to_string(),
            r.flags.competent_unit.to_string(),
            r.flags
                .build_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            r.households.to_string(),
            format!("{:.0}", r.elderly),
            text(
                &r.gaps
                    .iter()
                    .map(|g| g.name())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            format!("{:.0}", r.unserved_target),
        ];
        for s in &services {
            let e = r.services.iter().find(|e| e.service == *s);
            rec.push(
                e.and_then(|e| e.distance_m)
                    .map(|d| format!("{d:.0}"))
                    .unwrap_or_default(),
            );
            rec.push(
                e.map(|e| format!("{:.0}", e.threshold_m))
                    .unwrap_or_default(),
            );
            let fixed = |v: Option<f64>, digits: usize| {
                v.map(|d| format!("{d:.digits$}")).unwrap_or_default()
            };
            rec.push(fixed(e.and_then(|e| e.straight_m), 0));
            rec.push(fixed(e.and_then(|e| e.walk_m), 0));
            rec.push(fixed(e.and_then(|e| e.detour), 2));
        }
        w.write_record(&rec).map_err(err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"underserved.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `GET /api/heatmap?service=elderly_care&resolution=9|10&threshold=500`: H3 cells as GeoJSON with
/// households not covered and the household-weighted mean distance to the nearest facility.
pub async fn heatmap(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    if params(raw.as_deref()).get("service").is_none() {
        return Err(ApiError::BadRequest(
            "service: name the service type (e.g. service=elderly_care)".into(),
        ));
    }
    let (s, resolution, threshold, by) = heat_params(raw.as_deref(), 9)?;
    let as_of = as_of(&params(raw.as_deref()))?;
    let (snapshot, cells) = heat_cells(&state, s, resolution, threshold, by, as_of).await?;
    let features: Vec<Value> = cells
        .iter()
        .map(|c| {
            let mut props = serde_json::to_value(c).unwrap_or(Value::Null);
            props["service"] = json!(s.name());
            json!({ "type": "Feature", "id": c.index, "geometry": geojson::Geometry::new(geojson::Value::from(&c.polygon)), "properties": props })
        })
        .collect();
    Ok(feature_collection(snapshot.version, features))
}

/// A GeoJSON FeatureCollection answer (`application/geo+json`) with the data version it was
/// computed on.
pub(super) fn feature_collection(version: i64, features: Vec<Value>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(json!({ "type": "FeatureCollection", "data_version": version, "features": features })),
    )
        .into_response()
}

/// `GET /api/siting?service=elderly_care&k=3&threshold=`: k sites adding the most newly covered
/// target population, existing facilities kept.
pub async fn siting(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = params(raw.as_deref());
    let s = service(q.get("service").map_or("", String::as_str))?;
    let k = number(&q, "k")?.unwrap_or(3);
    if !(1..=100).contains(&k) {
        return Err(ApiError::BadRequest(format!(
            "k: from 1 to 100 sites, got {k}"
        )));
    }
    let threshold = q
        .get("threshold")
        .map(|t| metres("threshold", t))
        .transpose()?;
    let (snapshot, cov) = coverage(&state, &Overrides::default(), metric(&q)?).await?;
    let request = SitingRequest {
        service: s,
        k: k as usize,
        threshold_m: threshold,
        ..SitingRequest::default()
    };
    let snap = snapshot.clone();
    let result = blocking(move || Ok(analysis::suggest_sites(&snap, &cov, &request)?)).await?;
    Ok(Json(
        json!({ "data_version": snapshot.version, "result": result }),
    ))
}
