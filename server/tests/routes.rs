//! What the router answers besides its endpoints' own work: every endpoint is in the OpenAPI
//! document (and nothing else is), an unknown API path is a JSON 404 and a wrong method a JSON
//! 405 — never the web map's page — while the web map's files and pages are still served.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, endpoints, AppState, Config};
use gridatlas_server::atlas::Atlas;
use serde_json::Value;
use tower::ServiceExt;

const INDEX: &str = "<!doctype html><title>Grid Atlas</title><div id=map></div>";

/// The app on an empty store, serving a built web map (index.html and one asset).
async fn app_with_web_map() -> (Router, tempfile::TempDir, tempfile::TempDir) {
    let (store, store_dir) = common::fresh_gpkg().await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let web = tempfile::tempdir().expect("web dir");
    std::fs::write(web.path().join("index.html"), INDEX).expect("index");
    std::fs::create_dir(web.path().join("assets")).expect("assets");
    std::fs::write(web.path().join("assets/app.js"), "console.log(1)").expect("js");
    let config = Config {
        web_dir: Some(web.path().to_owned()),
        ..Config::default()
    };
    (app(AppState::new(atlas, config)), store_dir, web)
}

async fn request(app: &Router, method: Method, uri: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// (path, method) of every operation of the OpenAPI document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            methods
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (path.clone(), (*m).to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn every_endpoint_of_the_router_is_documented_and_the_document_names_no_other() {
    let (app, _s, _w) = app_with_web_map().await;
    let (status, _, body) = request(&app, Method::GET, "/ogc/api").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).expect("OpenAPI JSON");
    let documented = documented(&doc);
    // A `{layer}` path is documented once as a template, or once per layer with its own schema.
    let mut served = BTreeSet::new();
    for e in endpoints() {
        let op = (e.path.to_owned(), e.verb.name().to_owned());
        if e.path.contains("{layer}") && !documented.contains(&op) {
            for layer in engine::Layer::ALL {
                served.insert((e.path.replace("{layer}", layer.name()), op.1.clone()));
            }
        } else {
            served.insert(op);
        }
    }
    let missing: Vec<_> = served.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&served).collect();
    assert!(missing.is_empty(), "served but not documented: {missing:?}");
    assert!(unknown.is_empty(), "documented but not served: {unknown:?}");
    for path in [
        "/api/coverage",
        "/api/underserved",
        "/api/session",
        "/tiles/{set}/{z}/{x}/{y}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s_and_only_the_map_pages_get_index_html() {
    let (app, _s, _w) = app_with_web_map().await;
    for uri in [
        "/tiles/15/26000/13000.mvt",
        "/tiles",
        "/api",
        "/api/nothing",
        "/api/coverage/nothing",
        "/ogc/nothing",
        "/ogc/collections/compounds/items/1/more",
        "/audit/2026",
        "/health/db",
    ] {
        let (status, headers, body) = request(&app, Method::GET, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{uri}");
        let error: Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(error["code"], "not_found", "{uri}");
        assert!(
            error["message"].as_str().expect("message").contains(uri),
            "{uri}: {body}"
        );
    }
    // A file that does not exist is not the page either (a browser would try to run it).
    let (status, _, body) = request(&app, Method::GET, "/assets/gone-1a2b.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    for (uri, content) in [
        ("/", INDEX),
        ("/assets/app.js", "console.log(1)"),
        ("/some/page", INDEX),
    ] {
        let (status, _, body) = request(&app, Method::GET, uri).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, content), "{uri}");
    }
}

#[tokio::test]
async fn a_known_path_with_a_wrong_method_is_a_json_405_naming_the_allowed_ones() {
    let (app, _s, _w) = app_with_web_map().await;
    for (method, uri, allowed) in [
        (Method::DELETE, "/health", "GET,HEAD"),
        (Method::PUT, "/api/search", "GET,HEAD"),
        (Method::POST, "/tiles/atlas.json", "GET,HEAD"),
        (Method::PATCH, "/api/session", "GET,HEAD,POST,DELETE"),
        (
            Method::POST,
            "/ogc/collections/compounds/items/1",
            "GET,HEAD,PUT,DELETE",
        ),
    ] {
        let (status, headers, body) = request(&app, method.clone(), uri).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {body}"
        );
        let error: Value = serde_json::from_str(&body).expect("JSON error");
        assert_eq!(error["code"], "method_not_allowed", "{method} {uri}");
        let allow: BTreeSet<&str> = headers[header::ALLOW]
            .to_str()
            .expect("Allow")
            .split(',')
            .map(str::trim)
            .collect();
        assert_eq!(allow, allowed.split(',').collect(), "{method} {uri}");
    }
}
