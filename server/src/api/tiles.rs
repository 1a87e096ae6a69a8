//! Vector tiles: `/tiles/{set}/{z}/{x}/{y}.mvt` and TileJSON 3.0 at `/tiles/{set}.json`, where the
//! set is `atlas` (every layer), one layer name, or a comma list of layer names.
//!
//! Tiles are cached by snapshot version, so an edit shows in the very next request. The ETag is
//! a hash of the tile's content: an edit changes the ETag of the tiles it touches and of no other.

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Layer;
use tiles::{Encoding, LayerSet, TileId};

use super::error::ApiError;
use super::AppState;

const MVT: &str = "application/vnd.mapbox-vector-tile";

/// The layer set named in a URL.
fn layer_set(name: &str) -> Result<LayerSet, ApiError> {
    if name == "atlas" {
        return Ok(LayerSet::ALL);
    }
    let layers: Vec<Layer> = name
        .split(',')
        .map(|n| {
            Layer::from_name(n).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no tile layer \"{n}\" (atlas, or any of {})",
                    Layer::ALL
                        .iter()
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(LayerSet::of(&layers))
}

fn coordinate(name: &str, s: &str) -> Result<u32, ApiError> {
    s.parse::<u32>().map_err(|_| {
        ApiError::BadRequest(format!(
            "tile {name} must be a whole number ≥ 0, got \"{s}\""
        ))
    })
}

/// `GET /tiles/{set}/{z}/{x}/{y}.mvt`
pub async fn tile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((set, z, x, y)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    let layers = layer_set(&set)?;
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::NotFound(format!("tiles end in .mvt, got \"{y}\"")))?;
    let z = coordinate("zoom z", &z)?;
    let tile_id = TileId::new(
        u8::try_from(z).unwrap_or(u8::MAX),
        coordinate("column x", &x)?,
        coordinate("row y", y)?,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let snapshot = state.atlas.snapshot();
    let cache = state.tiles.clone();
    let (plain, body) = tokio::task::spawn_blocking(move || {
        let plain = cache.tile(&snapshot, layers, tile_id, Encoding::Identity)?;
        let body = if gzip && !plain.is_empty() {
            cache.tile(&snapshot, layers, tile_id, Encoding::Gzip)?
        } else {
            plain.clone()
        };
        Ok::<_, tiles::TileError>((plain, body))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(e.to_string()))?;

    let mut h = DefaultHasher::new();
    plain.hash(&mut h);
    let gzipped = gzip && !plain.is_empty();
    let etag = format!(
        "\"{:016x}{}\"",
        h.finish(),
        if gzipped { "-gz" } else { "" }
    );
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag || t.trim() == "*")
        });
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else if plain.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
        if gzipped {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = resp.headers_mut();
    h.insert(header::ETAG, etag_value);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(resp)
}

/// `GET /tiles/{set}.json`: TileJSON 3.0.
pub async fn tilejson(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let set_name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(format!(
            "TileJSON is at /tiles/{{set}}.json, got \"{file}\""
        ))
    })?;
    let set = layer_set(set_name)?;
    let snapshot = state.atlas.snapshot();
    let bounds = tiles::data_bounds(&snapshot).unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    let centre = [
        f64::midpoint(bounds[0], bounds[2]),
        f64::midpoint(bounds[1], bounds[3]),
        12.0,
    ];
    let base = super::features::base(&state, &headers);
    let url = format!("{base}/tiles/{set_name}/{{z}}/{{x}}/{{y}}.mvt");
    let layers: Vec<Layer> = set.layers().collect();
    let mut doc = tiles::tilejson(set_name, &url, &layers, bounds, centre);
    doc["version"] = serde_json::json!(snapshot.version.to_string());
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(doc)).into_response())
}
