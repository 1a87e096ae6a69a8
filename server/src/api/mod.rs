//! The HTTP API (axum): OGC API – Features under `/ogc`, health, the audit log, and the web map.

pub mod auth;
pub(crate) mod coverage;
pub mod error;
mod extract;
pub mod features;
mod lookup;
mod openapi;
pub mod planning;
mod problems;
mod tiles;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::Method;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use engine::Layer;
use serde::Deserialize;
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::atlas::Atlas;
use crate::store::AuditQuery;
use error::ApiError;

/// Largest request body accepted (a feature with a detailed polygon fits easily).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Server settings the handlers need.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The public base URL used in links; else taken from the Host header.
    pub public_url: Option<String>,
    /// The built web map to serve at `/`, when present.
    pub web_dir: Option<PathBuf>,
    /// Raster basemap tile URL template (`{z}/{x}/{y}`), e.g. OSM or Tianditu; none = no basemap.
    pub basemap_url: Option<String>,
    /// Attribution shown for the basemap.
    pub basemap_attribution: Option<String>,
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub atlas: Arc<Atlas>,
    pub config: Arc<Config>,
    /// Vector tiles by snapshot version.
    pub tiles: Arc<::tiles::TileCache>,
    /// Signed-in users.
    pub sessions: Arc<crate::accounts::Sessions>,
    /// Coverage of the latest snapshot.
    pub coverage: Arc<coverage::CoverageCache>,
}

impl AppState {
    /// State with a default-sized tile cache.
    pub fn new(atlas: Arc<Atlas>, config: Config) -> Self {
        AppState {
            atlas,
            config: Arc::new(config),
            tiles: Arc::new(::tiles::TileCache::default()),
            sessions: Arc::new(crate::accounts::Sessions::default()),
            coverage: Arc::new(coverage::CoverageCache::default()),
        }
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let ogc = Router::new()
        .route("/", get(features::landing))
        .route("/conformance", get(features::conformance))
        .route("/api", get(openapi::document))
        .route("/collections", get(features::collections))
        .route("/collections/{layer}", get(features::collection_one))
        .route("/collections/{layer}/queryables", get(features::queryables))
        .route(
            "/collections/{layer}/items",
            get(features::items).post(features::create),
        )
        .route(
            "/collections/{layer}/items/{id}",
            get(features::item)
                .put(features::replace)
                .delete(features::delete),
        );
    let mut router = Router::new()
        .route("/health", get(health))
        .route("/audit", get(audit))
        .route(
            "/api/session",
            get(auth::whoami).post(auth::login).delete(auth::logout),
        )
        .route("/api/search", get(lookup::search))
        .route("/api/standards", get(coverage::standards))
        .route("/api/coverage", get(coverage::areas))
        .route("/api/coverage/units", get(coverage::units))
        .route("/api/underserved", get(coverage::underserved))
        .route("/api/heatmap", get(coverage::heatmap))
        .route("/api/siting", get(coverage::siting))
        .route("/api/config", get(lookup::config))
        .route("/api/problems", get(problems::list))
        .route("/api/planning/communities/{code}", get(planning::current))
        .route(
            "/api/planning/communities/{code}/partition",
            post(planning::community_partition),
        )
        .route(
            "/api/planning/communities/{code}/clusters",
            get(planning::clusters),
        )
        .route(
            "/api/planning/drafts",
            get(planning::list_drafts).post(planning::create_draft),
        )
        .route(
            "/api/planning/drafts/{id}",
            get(planning::get_draft)
                .put(planning::replace_draft)
                .delete(planning::delete_draft),
        )
        .route(
            "/api/planning/drafts/{id}/operations",
            post(planning::operate),
        )
        .route(
            "/api/planning/drafts/{id}/proposal",
            post(planning::draft_proposal),
        )
        .route("/api/planning/drafts/{id}/publish", post(planning::publish))
        .route("/tiles/{file}", get(tiles::tilejson))
        .route("/tiles/{set}/{z}/{x}/{y}", get(tiles::tile))
        .nest("/ogc", ogc)
        .route("/ogc/", get(features::landing));
    if let Some(dir) = state
        .config
        .web_dir
        .clone()
        .filter(|d| d.join("index.html").exists())
    {
        router = router
            .fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html"))));
    } else {
        router = router.fallback(not_found);
    }
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(cors())
        .with_state(state)
}

/// CORS, deliberately: any origin may read (maps, tiles and features are for GIS clients and other
/// web maps), no credentials are shared, and no cross-origin page may write — writes need
/// `Authorization`, which is not among the allowed headers, so their preflight fails.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([
            header::IF_NONE_MATCH,
            header::ACCEPT,
            header::ACCEPT_ENCODING,
        ])
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(3600))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such resource; the API starts at /ogc".into())
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    let snap = state.atlas.snapshot();
    let counts: serde_json::Map<String, serde_json::Value> = Layer::ALL
        .iter()
        .map(|l| (l.name().to_owned(), json!(snap.data.len(*l))))
        .collect();
    Json(json!({
        "status": if snap.unreadable.is_empty() { "ok" } else { "degraded" },
        "store": state.atlas.store().kind(),
        "data_version": snap.version,
        "features": counts,
        "unreadable": snap.unreadable,
    }))
}

#[derive(Debug, Deserialize)]
struct AuditParams {
    layer: Option<String>,
    feature_id: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// Normalizes an RFC 3339 time to the UTC form both stores compare on.
fn utc(name: &str, s: &str) -> Result<String, ApiError> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        })
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "{name}: expected an RFC 3339 time such as 2026-11-23T08:00:00Z, got \"{s}\""
            ))
        })
}

async fn audit(
    State(state): State<AppState>,
    Query(p): Query<AuditParams>,
) -> Result<Response, ApiError> {
    let layer = p
        .layer
        .as_deref()
        .map(|n| {
            Layer::from_name(n)
                .ok_or_else(|| ApiError::BadRequest(format!("layer: no layer \"{n}\"")))
        })
        .transpose()?;
    let feature_id = p
        .feature_id
        .as_deref()
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                ApiError::BadRequest(format!("feature_id: not a whole number: \"{s}\""))
            })
        })
        .transpose()?;
    let limit = p.limit.as_deref().map_or(Ok(1000), |s| {
        s.parse::<i64>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit: must be 1 to 100000, got \"{s}\"")))
    })?;
    let query = AuditQuery {
        layer,
        feature_id,
        actor: p.actor,
        since: p.since.as_deref().map(|s| utc("since", s)).transpose()?,
        until: p.until.as_deref().map(|s| utc("until", s)).transpose()?,
        limit,
    };
    let entries = state.atlas.store().audit(&query).await?;
    if p.format.as_deref() == Some("csv") {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "id",
            "at",
            "actor",
            "operation",
            "layer",
            "feature_id",
            "data_version",
            "before",
            "after",
        ])
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        for e in &entries {
            let opt = |v: &Option<serde_json::Value>| {
                v.as_ref().map(ToString::to_string).unwrap_or_default()
            };
            w.write_record([
                e.id.to_string(),
                e.at.clone(),
                e.actor.clone(),
                e.operation.clone(),
                e.layer.clone().unwrap_or_default(),
                e.feature_id.map(|i| i.to_string()).unwrap_or_default(),
                e.data_version.to_string(),
                opt(&e.before),
                opt(&e.after),
            ])
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        }
        let body = w
            .into_inner()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.csv\"",
                ),
            ],
            body,
        )
            .into_response());
    }
    Ok(Json(json!({ "entries": entries })).into_response())
}
