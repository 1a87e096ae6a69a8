//! OGC API – Features Part 1 (core, GeoJSON, OpenAPI 3.0) under `/ogc`, plus create / replace /
//! delete of items in the style of Part 4, with the feature version as ETag.

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::crs::Crs;
use engine::{schema, Feature, Layer};
use geo_types::Rect;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::extract::{blocking, etag, IfMatch};
use super::AppState;
use crate::io;
use crate::store::{Change, Operation, OperationKind};

const GEOJSON: &str = "application/geo+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Largest page of items.
pub const MAX_LIMIT: usize = 10_000;
const DEFAULT_LIMIT: usize = 100;

fn layer(name: &str) -> Result<Layer, ApiError> {
    Layer::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Layer::ALL.iter().map(|l| l.name()).collect();
        ApiError::NotFound(format!(
            "no collection \"{name}\" (collections: {})",
            known.join(", ")
        ))
    })
}

/// The public base URL: configured, or taken from the Host header.
pub fn base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &state.config.public_url {
        return b.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

pub async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let b = base(&state, &headers);
    Json(json!({
        "title": "Grid Atlas 社区网格与服务设施一张图",
        "description": "Communities, grids, compounds, buildings, stations and embedded service spaces (OGC API – Features)",
        "links": [
            { "href": format!("{b}/ogc"), "rel": "self", "type": "application/json", "title": "this document" },
            { "href": format!("{b}/ogc/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the API definition" },
            { "href": format!("{b}/ogc/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes" },
            { "href": format!("{b}/ogc/collections"), "rel": "data", "type": "application/json", "title": "the feature collections" }
        ]
    }))
}

pub async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
    ]}))
}

fn extent(state: &AppState, layer: Layer) -> Option<Rect> {
    state.atlas.snapshot().index(layer).boxes.extent()
}

fn collection(state: &AppState, b: &str, layer: Layer) -> Value {
    let mut c = json!({
        "id": layer.name(),
        "title": format!("{} {}", layer.title_zh(), layer.title_en()),
        "description": format!("{} ({} features)", layer.title_en(), state.atlas.snapshot().data.len(layer)),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            { "href": format!("{b}/ogc/collections/{}", layer.name()), "rel": "self", "type": "application/json" },
            { "href": format!("{b}/ogc/collections/{}/items", layer.name()), "rel": "items", "type": GEOJSON },
            { "href": format!("{b}/ogc/collections/{}/queryables", layer.name()), "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json" }
        ]
    });
    if let Some(r) = extent(state, layer) {
        c["extent"] = json!({ "spatial": { "bbox": [[r.min().x, r.min().y, r.max().x, r.max().y]], "crs": CRS84 } });
    }
    c
}

pub async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let b = base(&state, &headers);
    Json(json!({
        "links": [{ "href": format!("{b}/ogc/collections"), "rel": "self", "type": "application/json" }],
        "collections": Layer::ALL.iter().map(|l| collection(&state, &b, *l)).collect::<Vec<_>>()
    }))
}

pub async fn collection_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let l = layer(&name)?;
    Ok(Json(collection(&state, &base(&state, &headers), l)))
}

/// JSON Schema of a layer's properties (also the `queryables`).
pub fn layer_schema(layer: Layer) -> Value {
    let mut props = serde_json::Map::new();
    for d in schema::fields(layer)
        .iter()
        .chain(schema::derived_fields(layer))
    {
        let mut s = match d.kind {
            schema::FieldKind::Integer { min, max } => {
                json!({ "type": "integer", "minimum": min, "maximum": max })
            }
            schema::FieldKind::Real { min, max } => {
                json!({ "type": "number", "minimum": min, "maximum": max })
            }
            schema::FieldKind::Text { max_chars } => {
                json!({ "type": "string", "maxLength": max_chars })
            }
            schema::FieldKind::Code { digits } => {
                json!({ "type": "string", "pattern": format!("^[0-9]{{{digits}}}$") })
            }
            schema::FieldKind::Boolean => json!({ "type": "boolean" }),
            schema::FieldKind::Enum(names) => json!({ "type": "string", "enum": names }),
            schema::FieldKind::EnumList(names) => {
                json!({ "type": "array", "items": { "type": "string", "enum": names }, "minItems": 1, "uniqueItems": true })
            }
        };
        s["title"] = json!(d.label_zh);
        s["description"] = json!(d.label_en);
        if schema::derived_fields(layer).contains(d) {
            s["readOnly"] = json!(true);
        }
        props.insert(d.name.to_owned(), s);
    }
    let required: Vec<&str> = schema::fields(layer)
        .iter()
        .filter(|d| d.required)
        .map(|d| d.name)
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": layer.title_en(),
        "type": "object",
        "properties": props,
        "required": required
    })
}

pub async fn queryables(Path(name): Path<String>) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        Json(layer_schema(l)),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ItemsParams {
    bbox: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn parse_bbox(s: &str) -> Result<Rect, ApiError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "bbox: \"{s}\" is not four numbers minLon,minLat,maxLon,maxLat"
            ))
        })?;
    let [x0, y0, x1, y1] = v[..] else {
        return Err(ApiError::BadRequest(format!(
            "bbox: expected 4 numbers minLon,minLat,maxLon,maxLat, got {}",
            v.len()
        )));
    };
    if !v.iter().all(|x| x.is_finite())
        || y0 > y1
        || !(-180.0..=180.0).contains(&x0)
        || !(-180.0..=180.0).contains(&x1)
        || !(-90.0..=90.0).contains(&y0)
        || !(-90.0..=90.0).contains(&y1)
    {
        return Err(ApiError::BadRequest(format!(
            "bbox: \"{s}\" is not a valid lon/lat box (minLat ≤ maxLat, within ±180/±90)"
        )));
    }
    Ok(Rect::new((x0.min(x1), y0), (x0.max(x1), y1)))
}

fn parse_count(name: &str, s: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    match s {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "{name}: must be a whole number from 0 to {max}, got \"{s}\""
            ))),
        },
    }
}

/// Property filters `?field=value` on stored fields (equality on the value's text form).
fn property_filters(layer: Layer, raw: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in url_pairs(raw.unwrap_or("")) {
        if ["bbox", "limit", "offset", "f"].contains(&k.as_str()) {
            continue;
        }
        let known = schema::field(layer, &k).is_some()
            || schema::derived_fields(layer).iter().any(|d| d.name == k);
        if !known {
            return Err(ApiError::BadRequest(format!(
                "unknown query parameter \"{k}\" for collection {layer}"
            )));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default()
}

fn matches(props: &serde_json::Map<String, Value>, filters: &[(String, String)]) -> bool {
    filters.iter().all(|(k, v)| match props.get(k) {
        Some(Value::String(s)) => s == v,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(v)),
        Some(Value::Null) | None => v.is_empty(),
        Some(other) => other.to_string() == *v,
    })
}

pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(params): Query<ItemsParams>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    let limit = parse_count("limit", params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let offset = parse_count("offset", params.offset.as_deref(), 0, usize::MAX)?;
    let bbox = params.bbox.as_deref().map(parse_bbox).transpose()?;
    let filters = property_filters(l, raw.as_deref())?;
    let snap = state.atlas.snapshot();
    let b = base(&state, &headers);
    let body = blocking(move || {
        // The index yields exactly the features whose bounding boxes meet the box.
        let mut candidates: Vec<usize> = match bbox {
            Some(r) => snap.in_rect(l, r),
            None => (0..snap.data.len(l)).collect(),
        };
        // A community filter is read off the features in place first, so a city's million
        // buildings are not each copied to be compared; the full match below still decides.
        if let Some((_, code)) = filters.iter().find(|(k, _)| k == "community_code") {
            candidates.retain(|&i| snap.data.community_code_at(l, i).is_none_or(|c| c == code));
        }
        let (matched, page) = if filters.is_empty() {
            // No attribute filter: count without touching the features; clone only the page.
            let page = candidates.iter().skip(offset).take(limit).filter_map(|&i| snap.data.get(l, i)).collect::<Vec<_>>();
            (candidates.len(), page)
        } else {
            let (mut matched, mut page) = (0usize, Vec::new());
            for f in candidates.iter().filter_map(|&i| snap.data.get(l, i)) {
                if matches(&f.properties(), &filters) {
                    if matched >= offset && page.len() < limit {
                        page.push(f);
                    }
                    matched += 1;
                }
            }
            (matched, page)
        };
        let page: Vec<Value> = page.iter().map(|f| serde_json::to_value(f.to_geojson()).unwrap_or(Value::Null)).collect();
        let mut query: Vec<(String, String)> = url_pairs(raw.as_deref().unwrap_or("")).into_iter().filter(|(k, _)| k != "offset" && k != "limit").collect();
        query.push(("limit".into(), limit.to_string()));
        let link = |off: usize| {
            let mut q = query.clone();
            q.push(("offset".into(), off.to_string()));
            format!("{b}/ogc/collections/{}/items?{}", l.name(), serde_urlencoded::to_string(&q).unwrap_or_default())
        };
        let mut links = vec![json!({ "href": link(offset), "rel": "self", "type": GEOJSON })];
        if offset + page.len() < matched {
            links.push(json!({ "href": link(offset + limit), "rel": "next", "type": GEOJSON }));
        }
        if offset > 0 {
            links.push(json!({ "href": link(offset.saturating_sub(limit)), "rel": "prev", "type": GEOJSON }));
        }
        Ok(json!({
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": page.len(),
            "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "features": page,
            "links": links
        }))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, GEOJSON)], Json(body)).into_response())
}

fn feature_response(status: StatusCode, f: &Feature, location: Option<String>) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, GEOJSON)],
        Json(serde_json::to_value(f.to_geojson()).unwrap_or(Value::Null)),
    )
        .into_response();
    resp.headers_mut().insert(header::ETAG, etag(f.version()));
    if let Some(loc) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    resp
}

fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no feature with id \"{s}\" (ids are positive whole numbers)"
        ))
    })
}

pub async fn item(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    let id = parse_id(&id)?;
    let f = state
        .atlas
        .snapshot()
        .feature(l, id)
        .ok_or_else(|| ApiError::NotFound(format!("{l} {id} does not exist")))?;
    Ok(feature_response(StatusCode::OK, &f, None))
}

/// Parses a request body as one GeoJSON feature of a layer.
fn body_feature(l: Layer, body: &Bytes) -> Result<Feature, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    if value.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::BadRequest(
            "body must be a GeoJSON Feature (\"type\": \"Feature\")".into(),
        ));
    }
    let f = geojson::Feature::from_json_value(value)
        .map_err(|e| ApiError::BadRequest(format!("body is not a GeoJSON feature: {e}")))?;
    io::parse_feature(l, None, f, Crs::Wgs84).map_err(ApiError::Invalid)
}

pub async fn create(
    State(state): State<AppState>,
    editor: Editor,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    let (mut f, _) =
        engine::network::snap_to_ways(&state.atlas.snapshot(), body_feature(l, &body)?);
    editor.authorize(&f)?;
    f.set_meta(0, 0);
    let committed = state
        .atlas
        .commit(
            Operation {
                kind: OperationKind::Edit,
                changes: vec![Change::Upsert(f)],
                publishes: None,
            },
            &editor.actor,
        )
        .await?;
    let f = committed
        .written
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("commit returned no feature".into()))?;
    let loc = format!(
        "{}/ogc/collections/{}/items/{}",
        base(&state, &headers),
        l.name(),
        f.id()
    );
    Ok(feature_response(StatusCode::CREATED, &f, Some(loc)))
}

/// The version a write expects: `If-Match` (an ETag) or else `properties.version` of the body.
fn expected_version(headers: &HeaderMap, body_version: Option<i64>) -> Result<i64, ApiError> {
    match IfMatch::from_headers(headers)? {
        IfMatch(Some(v)) => Ok(v),
        IfMatch(None) => body_version.filter(|v| *v > 0).ok_or_else(|| {
            ApiError::PreconditionRequired(
                "say which version you are changing: an If-Match header with the feature's ETag, or properties.version".into(),
            )
        }),
    }
}

/// Whether the editor may change the stored feature `l` `id`: by its place when it is readable;
/// when its stored row is unreadable (reported in `/health`), only a district admin repairs it.
fn authorize_existing(
    state: &AppState,
    editor: &Editor,
    l: Layer,
    id: i64,
) -> Result<(), ApiError> {
    let snapshot = state.atlas.snapshot();
    if let Some(current) = snapshot.feature(l, id) {
        return editor.authorize(&current);
    }
    if snapshot.unreadable(l, id).is_some() {
        return engine::access::may_repair(editor.role, &editor.scope, l, id)
            .map_err(|d| ApiError::Forbidden(d.to_string()));
    }
    Err(ApiError::NotFound(format!("{l} {id} does not exist")))
}

pub async fn replace(
    State(state): State<AppState>,
    editor: Editor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    let id = parse_id(&id)?;
    let mut f = body_feature(l, &body)?;
    if f.id() != 0 && f.id() != id {
        return Err(ApiError::BadRequest(format!(
            "the body's id {} differs from the URL's id {id}",
            f.id()
        )));
    }
    let expected = expected_version(&headers, Some(f.version()))?;
    authorize_existing(&state, &editor, l, id)?;
    f.set_meta(id, expected);
    let (f, _) = engine::network::snap_to_ways(&state.atlas.snapshot(), f);
    editor.authorize(&f)?;
    let committed = state
        .atlas
        .commit(
            Operation {
                kind: OperationKind::Edit,
                changes: vec![Change::Update {
                    feature: f,
                    expected_version: expected,
                }],
                publishes: None,
            },
            &editor.actor,
        )
        .await?;
    let f = committed
        .written
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("commit returned no feature".into()))?;
    Ok(feature_response(StatusCode::OK, &f, None))
}

pub async fn delete(
    State(state): State<AppState>,
    editor: Editor,
    headers: HeaderMap,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let l = layer(&name)?;
    let id = parse_id(&id)?;
    editor.authorize_delete(l)?;
    authorize_existing(&state, &editor, l, id)?;
    let expected = expected_version(&headers, None)?;
    state
        .atlas
        .commit(
            Operation {
                kind: OperationKind::Edit,
                changes: vec![Change::Delete {
                    layer: l,
                    id,
                    expected_version: Some(expected),
                }],
                publishes: None,
            },
            &editor.actor,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
