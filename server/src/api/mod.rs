//! The HTTP API (axum): OGC API – Features under `/ogc`, health, the audit log, and the web map.
//! Every endpoint is a row of [`endpoints`]; whatever is not one is the web map's or a JSON 404.

pub mod auth;
pub(crate) mod coverage;
mod endpoint;
mod enums;
pub mod error;
mod extract;
pub mod features;
mod imports;
mod lookup;
mod openapi;
pub mod planning;
mod print;
mod problems;
mod tiles;
mod trends;
mod walking;
mod web;
mod work;

pub use endpoint::{Endpoint, Verb};

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::Method;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use engine::Layer;
use serde::Deserialize;
use serde_json::json;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::atlas::Atlas;
use crate::io::formula::neutralize;
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
    /// Files uploaded to the import page, waiting for their commit.
    pub uploads: Arc<crate::uploads::Uploads>,
}

impl AppState {
    /// State with a default-sized tile cache.
    pub fn new(atlas: Arc<Atlas>, config: Config) -> Self {
        AppState {
            atlas,
            config: Arc::new(config),
            tiles: Arc::new(::tiles::TileCache::default()),
            uploads: Arc::new(crate::uploads::Uploads::default()),
        }
    }
}

/// Every endpoint of the API in one table: [`app`] serves exactly these, and a test checks that
/// `/ogc/api` documents each of them (and nothing else).
pub fn endpoints() -> Vec<Endpoint> {
    use endpoint::endpoint;
    use Verb::{Delete, Get, Post, Put};
    vec![
        endpoint(Get, "/health", health),
        endpoint(Get, "/audit", audit),
        endpoint(Get, "/api/session", auth::whoami),
        endpoint(Post, "/api/session", auth::login),
        endpoint(Delete, "/api/session", auth::logout),
        endpoint(Get, "/api/search", lookup::search),
        endpoint(Get, "/api/config", lookup::config),
        endpoint(Get, "/api/problems", problems::list),
        endpoint(Get, "/api/enums", enums::enums),
        endpoint(Post, "/api/imports", imports::upload)
            .with_body_limit(crate::uploads::MAX_UPLOAD_BYTES as usize),
        endpoint(Post, "/api/imports/{id}/check", imports::check),
        endpoint(Post, "/api/imports/{id}/commit", imports::commit),
        endpoint(Get, "/api/imports/{id}/problems", imports::problems),
        endpoint(Delete, "/api/imports/{id}", imports::discard),
        endpoint(Get, "/api/standards", coverage::standards),
        endpoint(Get, "/api/coverage", coverage::areas),
        endpoint(Get, "/api/coverage/units", coverage::units),
        endpoint(Get, "/api/underserved", coverage::underserved),
        endpoint(Get, "/api/heatmap", coverage::heatmap),
        endpoint(Get, "/api/siting", coverage::siting),
        endpoint(Get, "/api/trends", trends::trends),
        endpoint(Get, "/api/print/boards", print::boards),
        endpoint(Get, "/api/print/report", print::report),
        endpoint(Get, "/api/network", walking::network),
        endpoint(Get, "/api/isochrones", walking::isochrones),
        endpoint(Get, "/api/routes", walking::routes),
        endpoint(Get, "/api/work/visits/monthly", work::monthly_visits),
        endpoint(Get, "/api/work/needs/counts", work::need_counts),
        endpoint(Get, "/api/work/needs/map", work::needs_map),
        endpoint(Get, "/api/work/visits/last", work::visits_last),
        endpoint(Post, "/api/work/needs/{id}/actions", work::need_action),
        endpoint(Get, "/api/work/{kind}", work::list),
        endpoint(Post, "/api/work/{kind}", work::create),
        endpoint(Get, "/api/work/{kind}/{id}", work::one),
        endpoint(Put, "/api/work/{kind}/{id}", work::replace),
        endpoint(Get, "/api/work/{kind}/{id}/history", work::history),
        endpoint(Get, "/api/planning/communities/{code}", planning::current),
        endpoint(
            Post,
            "/api/planning/communities/{code}/partition",
            planning::community_partition,
        ),
        endpoint(
            Get,
            "/api/planning/communities/{code}/clusters",
            planning::clusters,
        ),
        endpoint(Get, "/api/planning/drafts", planning::list_drafts),
        endpoint(Post, "/api/planning/drafts", planning::create_draft),
        endpoint(Get, "/api/planning/drafts/{id}", planning::get_draft),
        endpoint(Put, "/api/planning/drafts/{id}", planning::replace_draft),
        endpoint(Delete, "/api/planning/drafts/{id}", planning::delete_draft),
        endpoint(
            Post,
            "/api/planning/drafts/{id}/operations",
            planning::operate,
        ),
        endpoint(
            Post,
            "/api/planning/drafts/{id}/proposal",
            planning::draft_proposal,
        ),
        endpoint(Post, "/api/planning/drafts/{id}/publish", planning::publish),
        endpoint(Get, "/tiles/{file}", tiles::tilejson),
        endpoint(Get, "/tiles/{set}/{z}/{x}/{y}", tiles::tile),
        endpoint(Get, "/ogc", features::landing),
        endpoint(Get, "/ogc/", features::landing),
        endpoint(Get, "/ogc/conformance", features::conformance),
        endpoint(Get, "/ogc/api", openapi::document),
        endpoint(Get, "/ogc/collections", features::collections),
        endpoint(Get, "/ogc/collections/{layer}", features::collection_one),
        endpoint(
            Get,
            "/ogc/collections/{layer}/queryables",
            features::queryables,
        ),
        endpoint(Get, "/ogc/collections/{layer}/items", features::items),
        endpoint(Post, "/ogc/collections/{layer}/items", features::create),
        endpoint(Get, "/ogc/collections/{layer}/items/{id}", features::item),
        endpoint(
            Put,
            "/ogc/collections/{layer}/items/{id}",
            features::replace,
        ),
        endpoint(
            Delete,
            "/ogc/collections/{layer}/items/{id}",
            features::delete,
        ),
    ]
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let router = endpoints()
        .into_iter()
        .fold(Router::new(), |r, e| r.route(e.path, e.route))
        .method_not_allowed_fallback(web::method_not_allowed);
    let web_dir = state
        .config
        .web_dir
        .clone()
        .filter(|d| d.join("index.html").exists());
    let router = router.fallback(move |req: Request| web::fallback(web_dir.clone(), req));
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
        .layer(axum::middleware::from_fn_with_state(state.clone(), current))
        .with_state(state)
}

/// Before a request is answered the snapshot catches up with the store, so a write through
/// another server (or a command-line import) shows at once; a store that cannot say its version
/// leaves the request answered from the snapshot at hand.
async fn current(
    State(state): State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if let Err(e) = state.atlas.catch_up().await {
        tracing::warn!(error = %e, "could not compare the snapshot with the store");
    }
    next.run(req).await
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
            let known = Layer::from_name(n).is_some()
                || n == "accounts"
                || engine::gridwork::WorkKind::from_name(n).is_some();
            known.then(|| n.to_owned()).ok_or_else(|| {
                ApiError::BadRequest(format!("layer: no layer or grid-work list \"{n}\""))
            })
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
    let mut entries = state.atlas.store().audit(&query).await?;
    // Grid work holds personal data: its history is read signed in, per record
    // (`/api/work/{kind}/{id}/history`); here only who changed what, when.
    for e in &mut entries {
        if e.layer
            .as_deref()
            .is_some_and(|l| engine::gridwork::WorkKind::from_name(l).is_some())
        {
            e.before = None;
            e.after = None;
        }
    }
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
            let text = |s: &str| neutralize(s).into_owned();
            w.write_record([
                e.id.to_string(),
                text(&e.at),
                text(&e.actor),
                text(&e.operation),
                text(e.layer.as_deref().unwrap_or_default()),
                e.feature_id.map(|i| i.to_string()).unwrap_or_default(),
                e.data_version.to_string(),
                text(&opt(&e.before)),
                text(&opt(&e.after)),
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
