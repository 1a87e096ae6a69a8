//! Vector tiles: `/tiles/{set}/{z}/{x}/{y}.mvt` and TileJSON 3.0 at `/tiles/{set}.json`, where the
//! set is `atlas` (every layer), one layer name, or a comma list of layer names.
//!
//! Tiles are cached by snapshot version, so an edit shows in the very next request. The ETag is
//! a hash of the tile's content: an edit changes the ETag of the tiles it touches and of no other.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Layer;
use tiles::{Encoding, LayerSet, TileId};

use super::error::ApiError;
use super::extract::blocking;
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

/// The tile address of a URL (`{z}/{x}/{y}.mvt`).
fn tile_id(z: &str, x: &str, y: &str) -> Result<TileId, ApiError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::NotFound(format!("tiles end in .mvt, got \"{y}\"")))?;
    let z = coordinate("zoom z", z)?;
    TileId::new(
        u8::try_from(z).unwrap_or(u8::MAX),
        coordinate("column x", x)?,
        coordinate("row y", y)?,
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn wants_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

/// `GET /tiles/{set}/{z}/{x}/{y}.mvt`; `set` = `heatmap` serves the coverage heatmap
/// (`?service=&resolution=&threshold=`).
pub async fn tile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((set, z, x, y)): Path<(String, String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let tile_id = tile_id(&z, &x, &y)?;
    if set == "heatmap" {
        return heatmap_tile(&state, &headers, tile_id, raw.as_deref()).await;
    }
    if set == "isochrones" {
        return isochrone_tile(&state, &headers, tile_id, raw.as_deref()).await;
    }
    let layers = layer_set(&set)?;
    let gzip = wants_gzip(&headers);
    let snapshot = state.atlas.snapshot();
    let cache = state.tiles.clone();
    let (plain, body) = blocking(move || {
        let plain = cache.tile(&snapshot, layers, tile_id, Encoding::Identity)?;
        let body = if gzip && !plain.is_empty() {
            Some(cache.tile(&snapshot, layers, tile_id, Encoding::Gzip)?)
        } else {
            None
        };
        Ok((plain, body))
    })
    .await?;
    respond(&headers, &plain, body)
}

/// The coverage heatmap as one MVT layer `heatmap` of H3 cells (resolution 10 from z15, else 9).
async fn heatmap_tile(
    state: &AppState,
    headers: &HeaderMap,
    tile_id: TileId,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let (service, resolution, threshold, metric) =
        super::coverage::heat_params(raw, if tile_id.z() >= 15 { 10 } else { 9 })?;
    let (_, cells) =
        super::coverage::heat_cells(state, service, resolution, threshold, metric, None).await?;
    let heat = (cells, service);
    overlay_tile(
        headers,
        tile_id,
        "heatmap",
        super::coverage::HEAT_KEYS,
        heat,
        heat_features,
    )
    .await
}

fn heat_features(
    (cells, service): &(Arc<Vec<engine::analysis::HeatCell>>, engine::ServiceType),
) -> Vec<tiles::OverlayFeature<'_>> {
    cells
        .iter()
        .map(|c| tiles::OverlayFeature {
            id: c.index,
            polygon: &c.polygon,
            values: vec![
                tiles::OverlayValue::Text(c.cell.clone()),
                tiles::OverlayValue::Text(service.name().to_owned()),
                tiles::OverlayValue::Real(c.households),
                tiles::OverlayValue::Real(c.households_uncovered),
                c.mean_distance_m
                    .map_or(tiles::OverlayValue::Null, tiles::OverlayValue::Real),
            ],
        })
        .collect()
}

/// Walking isochrones of a service as one MVT layer `isochrones`, one feature per polygon of
/// each band (`?service=&minutes=5,10,15&facility=`), largest band first so smaller ones draw
/// on top.
async fn isochrone_tile(
    state: &AppState,
    headers: &HeaderMap,
    tile_id: TileId,
    raw: Option<&str>,
) -> Result<Response, ApiError> {
    let request = super::walking::isochrone_params(raw)?;
    let bands = super::walking::isochrone_bands(state, request).await?;
    let keys = super::walking::ISOCHRONE_KEYS;
    overlay_tile(
        headers,
        tile_id,
        "isochrones",
        keys,
        bands,
        isochrone_features,
    )
    .await
}

fn isochrone_features(
    bands: &Arc<Vec<engine::analysis::Isochrone>>,
) -> Vec<tiles::OverlayFeature<'_>> {
    bands
        .iter()
        .enumerate()
        .rev()
        .flat_map(|(band, iso)| {
            iso.area
                .0
                .iter()
                .enumerate()
                .map(move |(part, polygon)| tiles::OverlayFeature {
                    id: (band * 100_000 + part) as u64,
                    polygon,
                    values: vec![
                        tiles::OverlayValue::Text(iso.service.name().to_owned()),
                        tiles::OverlayValue::Real(iso.minutes),
                        tiles::OverlayValue::Real(iso.distance_m),
                    ],
                })
        })
        .collect()
}

/// One overlay layer `name` (properties `keys`) of the features `features` makes of `data`,
/// encoded off the async runtime and gzipped when asked.
async fn overlay_tile<T: Send + 'static>(
    headers: &HeaderMap,
    tile_id: TileId,
    name: &'static str,
    keys: &'static [&'static str],
    data: T,
    features: fn(&T) -> Vec<tiles::OverlayFeature<'_>>,
) -> Result<Response, ApiError> {
    let gzip = wants_gzip(headers);
    let (plain, body) = blocking(move || {
        let plain = Bytes::from(tiles::encode_overlay(name, keys, &features(&data), tile_id));
        let body = if gzip && !plain.is_empty() {
            Some(Bytes::from(
                tiles::gzip(&plain).map_err(|e| ApiError::Internal(format!("gzip: {e}")))?,
            ))
        } else {
            None
        };
        Ok((plain, body))
    })
    .await?;
    respond(headers, &plain, body)
}

/// A tile response: content-hash ETag (304 on If-None-Match), 204 when empty, gzip when given.
fn respond(
    headers: &HeaderMap,
    plain: &Bytes,
    gzipped: Option<Bytes>,
) -> Result<Response, ApiError> {
    let mut h = DefaultHasher::new();
    plain.hash(&mut h);
    let etag = format!(
        "\"{:016x}{}\"",
        h.finish(),
        if gzipped.is_some() { "-gz" } else { "" }
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
        let is_gzip = gzipped.is_some();
        let mut r = (StatusCode::OK, gzipped.unwrap_or_else(|| plain.clone())).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
        if is_gzip {
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
