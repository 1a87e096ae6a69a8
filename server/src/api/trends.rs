//! Trends over HTTP: an area's indicators at the end of each past month, rebuilt from the
//! audit log (so the same after a restart), with the month's visits and needs and the change
//! since the last month's end.

use axum::extract::{RawQuery, State};
use axum::Json;
use chrono::Utc;
use engine::analysis::trends::{work_of_month, Change, Indicators, Month, TrendPoint, Unavailable};
use engine::analysis::{AreaLevel, AreaSummary};
use engine::gridwork::{Need, Visit, WorkKind};
use engine::planning::Caps;
use serde_json::{json, Value};

use super::coverage::{coverage, params, Overrides};
use super::error::ApiError;
use super::AppState;
use crate::store::WorkQuery;

/// Most months a trend reaches back.
const MAX_MONTHS: usize = 36;

/// The summary of `code` at `level` at the moment `overrides` names.
pub(super) async fn area_at(
    state: &AppState,
    level: AreaLevel,
    code: &str,
    overrides: &Overrides,
) -> Result<(i64, Option<AreaSummary>), ApiError> {
    let (snapshot, cov) = coverage(state, overrides, None).await?;
    let area = cov.areas(level).iter().find(|a| a.code == code).cloned();
    Ok((snapshot.version, area))
}

/// The records of `kind` lying in the area, read as `T`.
async fn work_in<T: serde::de::DeserializeOwned>(
    state: &AppState,
    kind: WorkKind,
    level: AreaLevel,
    code: &str,
) -> Result<Vec<T>, ApiError> {
    let mut q = WorkQuery::all(kind);
    match level {
        AreaLevel::Street => q.street = Some(code.to_owned()),
        AreaLevel::Community => q.community = Some(code.to_owned()),
        AreaLevel::Grid => q.grid = Some(code.to_owned()),
        AreaLevel::All => {}
    }
    let all = super::work::bodies_where(state, &q, |r| Some(r.body.clone())).await?;
    Ok(all.into_iter().map(|(_, b)| b).collect())
}

/// `GET /api/trends?level=street|community|grid|all&code=&months=12`
pub async fn trends(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let q = params(raw.as_deref());
    let level = super::coverage::level(&q)?;
    let code = match (level, q.get("code")) {
        (AreaLevel::All, _) => "all".to_owned(),
        (_, Some(c)) => c.clone(),
        (_, None) => return Err(ApiError::BadRequest("code: name the area (code=…)".into())),
    };
    let months = match q.get("months") {
        None => 12,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=MAX_MONTHS).contains(m))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("months: 1 to {MAX_MONTHS}, got \"{m}\""))
            })?,
    };
    let now = Utc::now();
    let (version, current) = area_at(&state, level, &code, &Overrides::default()).await?;
    let current = current
        .ok_or_else(|| ApiError::NotFound(format!("no {} with code {code}", level.name())))?;
    let visits: Vec<Visit> = work_in(&state, WorkKind::Visit, level, &code).await?;
    let needs: Vec<Need> = work_in(&state, WorkKind::Need, level, &code).await?;
    let caps = Caps::default();
    let mut points = Vec::with_capacity(months);
    for month in Month::last_whole(now, months) {
        let end = month.end();
        let work = work_of_month(month, &visits, &needs);
        let point = match area_at(&state, level, &code, &Overrides::at(Some(end))).await {
            Ok((v, area)) => TrendPoint {
                month,
                as_of: end.to_rfc3339(),
                data_version: v,
                indicators: area.as_ref().map(|a| Indicators::of(a, caps)),
                unavailable: area.is_none().then_some(Unavailable::NotYet),
                reason: area
                    .is_none()
                    .then(|| format!("the {} had no data yet then", level.name())),
                work,
            },
            Err(ApiError::Conflict(reason)) => TrendPoint {
                month,
                as_of: end.to_rfc3339(),
                data_version: 0,
                indicators: None,
                unavailable: Some(Unavailable::Irreversible),
                reason: Some(reason),
                work,
            },
            Err(e) => return Err(e),
        };
        points.push(point);
    }
    let this_month = Month::of(
        now.with_timezone(&engine::analysis::trends::china_time())
            .date_naive(),
    );
    let now_indicators = Indicators::of(&current, caps);
    let change = points
        .last()
        .and_then(|p| p.indicators.as_ref())
        .map(|before| Change::between(before, &now_indicators));
    Ok(Json(json!({
        "level": level,
        "code": code,
        "name": current.name,
        "months": points,
        "now": TrendPoint {
            month: this_month,
            as_of: now.to_rfc3339(),
            data_version: version,
            indicators: Some(now_indicators),
            unavailable: None,
            reason: None,
            work: work_of_month(this_month, &visits, &needs),
        },
        "change_since_last_month": change,
    })))
}
