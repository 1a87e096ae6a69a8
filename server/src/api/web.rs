//! What is not an endpoint: the web map's files and pages, or a JSON error in the API's shape.
//!
//! The map is one page (`index.html`) that also answers its own page paths, so a bookmarked link
//! opens the map. Nothing under the API's prefixes ever gets that page: a GIS client asking a wrong
//! URL (`/tiles/15/x/y.mvt` without a set) gets a 404 it can read, and a file that does not exist
//! (a stale `/assets/…` name) is a 404 too, not HTML the browser would try to run.

use std::path::PathBuf;

use axum::extract::{OriginalUri, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use super::error::ApiError;

/// Path prefixes of the API; an unknown path under one of them is a JSON 404.
const API_PREFIXES: [&str; 5] = ["/api", "/tiles", "/ogc", "/audit", "/health"];

/// Whether `path` lies under one of [`API_PREFIXES`] (whole segments: `/apiary` does not).
fn under_api(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Whether the last segment of `path` names a file (`app.js`, `favicon.ico`) rather than a page.
fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

fn not_found(path: &str) -> Response {
    ApiError::NotFound(format!(
        "no such resource: {path} (the API is described at /ogc/api)"
    ))
    .into_response()
}

/// Answers every request no endpoint matched: the API's 404, or the web map from `web_dir`.
pub(super) async fn fallback(web_dir: Option<PathBuf>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let Some(dir) = web_dir.filter(|_| !under_api(&path)) else {
        return not_found(&path);
    };
    let index = ServeFile::new(dir.join("index.html"));
    let page = req.method() == Method::GET || req.method() == Method::HEAD;
    let (parts, body) = req.into_parts();
    let file = ServeDir::new(&dir)
        .oneshot(Request::from_parts(parts.clone(), body))
        .await
        .into_response();
    match file.status() {
        StatusCode::NOT_FOUND if page && !names_a_file(&path) => index
            .oneshot(Request::from_parts(parts, axum::body::Body::empty()))
            .await
            .into_response(),
        StatusCode::NOT_FOUND => not_found(&path),
        _ => file,
    }
}

/// A known path asked with a method it does not serve (the `Allow` header lists those it does).
pub(super) async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefixes_match_whole_segments_only() {
        for p in [
            "/api",
            "/api/nope",
            "/tiles/15/1/2.mvt",
            "/ogc/x",
            "/audit/",
            "/health/db",
        ] {
            assert!(under_api(p), "{p}");
        }
        for p in ["/", "/apiary", "/tiles.html", "/healthy", "/assets/app.js"] {
            assert!(!under_api(p), "{p}");
        }
    }
}
