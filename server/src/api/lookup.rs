//! Map support: search by name or code, and the map's start-up configuration.

use axum::extract::{Query, State};
use axum::Json;
use engine::{Feature, Layer};
use geo::BoundingRect;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::extract::blocking;
use super::AppState;

#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
    limit: Option<usize>,
}

/// Layers searched, in the order results are listed (administrative units first).
const SEARCHED: [Layer; 6] = [
    Layer::Streets,
    Layer::Communities,
    Layer::Grids,
    Layer::Compounds,
    Layer::Stations,
    Layer::ServiceSpaces,
];

/// `GET /api/search?q=龙南&limit=20`: features whose name contains `q`, or whose code starts with
/// it; each with its layer, id, name, code and bounding box `[minLon, minLat, maxLon, maxLat]`.
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    let q = p.q.unwrap_or_default().trim().to_owned();
    if q.is_empty() {
        return Err(ApiError::BadRequest(
            "q: give a name or a code to search for".into(),
        ));
    }
    if q.chars().count() > 100 {
        return Err(ApiError::BadRequest("q: at most 100 characters".into()));
    }
    let limit = p.limit.unwrap_or(20).clamp(1, 200);
    let snap = state.atlas.snapshot();
    let results = blocking(move || {
        let mut out = Vec::new();
        for layer in SEARCHED {
            for i in 0..snap.data.len(layer) {
                if out.len() >= limit {
                    return Ok(out);
                }
                let Some(f) = snap.data.get(layer, i) else {
                    continue;
                };
                let props = f.properties();
                let name = props.get("name").and_then(Value::as_str).unwrap_or("");
                let code = props.get("code").and_then(Value::as_str);
                if name.contains(q.as_str()) || code.is_some_and(|c| c.starts_with(q.as_str())) {
                    out.push(hit(&f, name, code));
                }
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(json!({ "results": results })))
}

fn hit(f: &Feature, name: &str, code: Option<&str>) -> Value {
    let bbox = f
        .geometry()
        .bounding_rect()
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    json!({ "layer": f.layer().name(), "id": f.id(), "name": name, "code": code, "bbox": bbox })
}

/// `GET /api/config`: what the map needs at start-up: the optional raster basemap, the data's
/// bounds, a start view, the layers and the data version.
pub async fn config(State(state): State<AppState>) -> Json<Value> {
    let snap = state.atlas.snapshot();
    let bounds = tiles::data_bounds(&snap);
    let basemap = state.config.basemap_url.as_ref().map(|url| json!({ "tiles": [url], "attribution": state.config.basemap_attribution.clone().unwrap_or_default() }));
    Json(json!({
        "basemap": basemap,
        "bounds": bounds,
        "data_version": snap.version,
        "layers": Layer::ALL.iter().map(|l| json!({ "id": l.name(), "title_zh": l.title_zh(), "title_en": l.title_en() })).collect::<Vec<_>>(),
        "sign_in": "/api/session"
    }))
}
