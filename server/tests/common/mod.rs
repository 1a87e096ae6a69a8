//! Shared test fixtures: a fresh store of each kind.
//!
//! PostGIS tests need `GRIDATLAS_TEST_PG` (an admin URL of a PostgreSQL with PostGIS, as
//! `scripts/postgis-cluster.sh start` prints); each test gets a database of its own. Without it
//! they fail with a message saying how to start one — they never skip.
#![allow(dead_code)]

pub mod cli;
pub mod martin;

use std::sync::atomic::{AtomicUsize, Ordering};

use gridatlas_server::store::gpkg::GeoPackage;
use gridatlas_server::store::postgis::PostGis;
use gridatlas_server::store::Store;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The admin URL of the test PostgreSQL.
pub fn pg_admin_url() -> String {
    std::env::var("GRIDATLAS_TEST_PG").expect(
        "GRIDATLAS_TEST_PG is not set: start a PostGIS cluster with `eval \"$(scripts/postgis-cluster.sh start)\"` (the README's test command does this)",
    )
}

/// A new, empty database on the test cluster, migrated; returns its URL.
pub async fn fresh_pg_url() -> String {
    let admin = pg_admin_url();
    let name = format!(
        "gridatlas_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&pool)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(b, _)| b)
        .to_owned();
    format!("{base}/{name}")
}

pub async fn fresh_postgis() -> PostGis {
    PostGis::connect(&fresh_pg_url().await)
        .await
        .expect("PostGIS store")
}

/// A new GeoPackage store in a temp dir (kept alive by the returned guard).
pub async fn fresh_gpkg() -> (GeoPackage, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = GeoPackage::open(&dir.path().join("atlas.gpkg"))
        .await
        .expect("GeoPackage store");
    (store, dir)
}

/// Both stores, fresh, for conformance tests.
pub async fn both_stores() -> (Vec<Box<dyn Store>>, tempfile::TempDir) {
    let (g, dir) = fresh_gpkg().await;
    (vec![Box::new(g), Box::new(fresh_postgis().await)], dir)
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates an account in a store.
pub async fn add_account(store: &dyn Store, name: &str, role: &str, scope: &str) {
    gridatlas_server::commands::add_user(
        store,
        name,
        role.parse().expect("role"),
        scope.parse().expect("scope"),
        false,
        PASSWORD,
    )
    .await
    .expect("account");
}

/// Signs in through the API and returns the bearer token.
pub async fn sign_in(app: &axum::Router, name: &str) -> String {
    use tower::ServiceExt;
    let body = serde_json::json!({ "name": name, "password": PASSWORD }).to_string();
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/session")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    assert_eq!(
        resp.status(),
        axum::http::StatusCode::OK,
        "sign in as {name}"
    );
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    v["token"].as_str().expect("token").to_owned()
}

/// Sends one API request (bearer `token`, `If-Match: "if_match"`, JSON `body`) to the app;
/// the status and the JSON reply (`Null` when the reply is not JSON).
pub async fn send(
    app: &axum::Router,
    method: axum::http::Method,
    uri: &str,
    token: Option<&str>,
    if_match: Option<i64>,
    body: Option<&serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(v) = if_match {
        req = req.header("if-match", format!("\"{v}\""));
    }
    let req = req
        .body(body.map_or_else(axum::body::Body::empty, |b| {
            axum::body::Body::from(b.to_string())
        }))
        .expect("request");
    reply(app, req).await
}

/// Writes `feature` (a GeoJSON feature of `layer` as the OGC API serves it, properties changed
/// by the caller) back at the version it carries, as the bearer of `token`; status and reply.
pub async fn put_feature(
    app: &axum::Router,
    token: &str,
    layer: &str,
    feature: &serde_json::Value,
) -> (axum::http::StatusCode, serde_json::Value) {
    let id = feature["id"].as_i64().expect("feature id");
    let version = feature["properties"]["version"]
        .as_i64()
        .expect("feature version");
    send(
        app,
        axum::http::Method::PUT,
        &format!("/ogc/collections/{layer}/items/{id}"),
        Some(token),
        Some(version),
        Some(feature),
    )
    .await
}

/// Sends a built request to the app; the status and the JSON reply (`Null` when not JSON).
pub async fn reply(
    app: &axum::Router,
    req: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use tower::ServiceExt;
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}
