//! Walking over HTTP 步行可达: the network's state (its size, what is not joined to it),
//! isochrones of a service or facility (GeoJSON; tiles in `api/tiles.rs`) and a unit's routes to
//! the nearest facility of each service. The analyses are the engine's
//! (`engine::analysis::walking`); isochrones are memoized on the snapshot.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use engine::analysis::{self, FacilityRef, Isochrone, UnitKind};
use engine::{Layer, ServiceType};
use serde_json::{json, Value};

use super::coverage::{coverage, feature_collection, measured_by, params, service, Overrides};
use super::error::ApiError;
use super::extract::blocking;
use super::AppState;

/// Isochrone tile properties, in order.
pub(super) const ISOCHRONE_KEYS: &[&str] = &["service", "minutes", "distance_m"];

/// What isochrones to draw: a service, its walking times and optionally one facility.
#[derive(Debug, Clone)]
pub(super) struct IsochroneRequest {
    service: ServiceType,
    minutes: Vec<f64>,
    facility: Option<FacilityRef>,
}

/// `service` (default elderly_care), `minutes` (default 5,10,15), `facility=stations:12` or
/// `service_spaces:7`.
pub(super) fn isochrone_params(raw: Option<&str>) -> Result<IsochroneRequest, ApiError> {
    let q = params(raw);
    let s = service(q.get("service").map_or("elderly_care", String::as_str))?;
    let mut minutes = match q.get("minutes") {
        None => vec![5.0, 10.0, 15.0],
        Some(list) => list
            .split(',')
            .filter(|m| !m.is_empty())
            .map(|m| {
                m.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "minutes: walking times in minutes separated by commas (5,10,15), got \"{m}\""
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    minutes.sort_by(f64::total_cmp);
    minutes.dedup();
    if minutes.len() > 6 {
        return Err(ApiError::BadRequest(
            "minutes: at most 6 walking times".into(),
        ));
    }
    let facility = q
        .get("facility")
        .map(String::as_str)
        .map(facility_ref)
        .transpose()?;
    Ok(IsochroneRequest {
        service: s,
        minutes,
        facility,
    })
}

fn facility_ref(s: &str) -> Result<FacilityRef, ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "facility: stations:<id> or service_spaces:<id>, got \"{s}\""
        ))
    };
    let (layer, id) = s.split_once(':').ok_or_else(bad)?;
    let layer = match Layer::from_name(layer) {
        Some(l @ (Layer::Stations | Layer::ServiceSpaces)) => l,
        _ => return Err(bad()),
    };
    let id = id.parse::<i64>().map_err(|_| bad())?;
    Ok(FacilityRef { layer, id })
}

/// The isochrones of a request on the current snapshot, memoized on it.
pub(super) async fn isochrone_bands(
    state: &AppState,
    request: IsochroneRequest,
) -> Result<Arc<Vec<Isochrone>>, ApiError> {
    let (snapshot, cov) = coverage(state, &Overrides::default(), None).await?;
    blocking(move || {
        let key = format!(
            "isochrones {} {:?} {:?}",
            request.service.name(),
            request.minutes,
            request.facility
        );
        Ok(snapshot.memo.get_or_try_insert(&key, || {
            analysis::isochrones(
                &snapshot,
                &cov,
                request.service,
                request.facility,
                &request.minutes,
            )
        })?)
    })
    .await
}

/// `GET /api/isochrones?service=elderly_care&minutes=5,10,15&facility=`: the walking areas as
/// GeoJSON, one MultiPolygon per walking time.
pub async fn isochrones(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = isochrone_params(raw.as_deref())?;
    let bands = isochrone_bands(&state, request).await?;
    let features = bands
        .iter()
        .map(|iso| feature(geojson::Value::from(&iso.area), iso))
        .collect();
    Ok(feature_collection(state.atlas.snapshot().version, features))
}

/// A GeoJSON feature of a geometry and a result's serialized fields as its properties.
fn feature(geometry: geojson::Value, properties: &impl serde::Serialize) -> Value {
    json!({
        "type": "Feature",
        "geometry": geojson::Geometry::new(geometry),
        "properties": serde_json::to_value(properties).unwrap_or(Value::Null),
    })
}

/// `GET /api/routes?compound=ID` (or `building=ID` for a scattered building): the walking route
/// to the nearest counting facility of each analysed service, as GeoJSON lines.
pub async fn routes(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = params(raw.as_deref());
    let (kind, id) = match (q.get("compound"), q.get("building")) {
        (Some(c), None) => (UnitKind::Compound, c),
        (None, Some(b)) => (UnitKind::ScatteredBuilding, b),
        _ => {
            return Err(ApiError::BadRequest(
                "name one unit: compound=<id> or building=<id> (a scattered building)".into(),
            ))
        }
    };
    let id = id
        .parse::<i64>()
        .map_err(|_| ApiError::BadRequest(format!("unit id: a whole number, got \"{id}\"")))?;
    let (snapshot, cov) = coverage(&state, &Overrides::default(), None).await?;
    let version = snapshot.version;
    let routes = blocking(move || Ok(analysis::routes(&snapshot, &cov, kind, id)?)).await?;
    let features = routes
        .iter()
        .map(|r| feature(geojson::Value::from(&r.line), r))
        .collect();
    Ok(feature_collection(version, features))
}

/// `GET /api/network`: the walking network's size, build and join times, memory, and every
/// unit and facility not joined to it (farther than the join limit from every walkable way).
pub async fn network(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (snapshot, cov) = coverage(&state, &Overrides::default(), None).await?;
    Ok(Json(json!({
        "data_version": snapshot.version,
        "measured": measured_by(&cov),
        "join_limit_m": cov.standards.walking.join_limit_m,
        "unjoined": cov.unjoined(&snapshot),
    })))
}
