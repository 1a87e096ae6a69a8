//! Several servers over one store: two atlases (as two `gridatlas serve` processes would hold)
//! over one PostGIS — a feature written through one is read through the other at its very next
//! request, and a stale draft write through the other is refused with 409 — and a command-line
//! import into the GeoPackage a server has open shows in that server at once.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};

use crate::common::cli::{gridatlas, ok};
use crate::common::{self, send};

const LONGNAN: &str = data::LONGNAN_COMMUNITY;

async fn server(location: &str) -> Router {
    let store = gridatlas_server::store::open(location)
        .await
        .expect("store");
    app(AppState::new(
        Arc::new(Atlas::open(store).await.expect("atlas")),
        Config::default(),
    ))
}

/// A compound of 龙南 as `who` reads it through `app`.
async fn compound(app: &Router, id: i64) -> Value {
    let (s, v) = send(
        app,
        Method::GET,
        &format!("/ogc/collections/compounds/items/{id}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// A fresh PostGIS database with the demo district and 龙南's staff and planner accounts.
async fn demo_database() -> String {
    let url = common::fresh_pg_url().await;
    let store = gridatlas_server::store::open(&url).await.expect("store");
    load_dataset(store.as_ref(), data::demo_district())
        .await
        .expect("demo");
    for role in ["staff", "planner"] {
        common::add_account(store.as_ref(), role, role, &format!("community:{LONGNAN}")).await;
    }
    store.close().await;
    url
}

#[tokio::test]
async fn a_write_through_one_server_is_read_through_the_other_at_once() {
    let url = demo_database().await;
    let a = server(&url).await;
    let b = server(&url).await;

    // A feature renamed through A is read through B at its next request, tiles included.
    let (_, list) = send(
        &a,
        Method::GET,
        &format!("/ogc/collections/compounds/items?community_code={LONGNAN}&limit=1"),
        None,
        None,
        None,
    )
    .await;
    let id = list["features"][0]["id"].as_i64().expect("id");
    let mut f = compound(&b, id).await;
    let version = f["properties"]["version"].as_i64().expect("version");
    f["properties"]["name"] = json!("两台服务器之间改名");
    let token_a = common::sign_in(&a, "staff").await;
    let (s, v) = crate::common::put_feature(&a, &token_a, "compounds", &f).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let seen = compound(&b, id).await;
    assert_eq!(seen["properties"]["name"], "两台服务器之间改名");
    assert_eq!(seen["properties"]["version"], version + 1);
    let (_, health) = send(&b, Method::GET, "/health", None, None, None).await;
    let (_, health_a) = send(&a, Method::GET, "/health", None, None, None).await;
    assert_eq!(
        health["data_version"], health_a["data_version"],
        "{health} {health_a}"
    );

    // B, still holding the old version, cannot overwrite A's edit.
    let token_b = common::sign_in(&b, "staff").await;
    f["properties"]["name"] = json!("旧版本的改名");
    let (s, v) = crate::common::put_feature(&b, &token_b, "compounds", &f).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");

    // A draft written through A at version 2; B's write at version 1 is stale: 409.
    let planner_a = common::sign_in(&a, "planner").await;
    let planner_b = common::sign_in(&b, "planner").await;
    let (s, created) = send(
        &a,
        Method::POST,
        "/api/planning/drafts",
        Some(&planner_a),
        None,
        Some(&json!({ "community_code": LONGNAN, "name": "甲" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let draft = created["id"].as_i64().expect("draft id");
    let uri = format!("/api/planning/drafts/{draft}");
    let (_, d) = send(&b, Method::GET, &uri, Some(&planner_b), None, None).await;
    let plan = d["plan"].clone();
    let (s, v) = send(
        &a,
        Method::PUT,
        &uri,
        Some(&planner_a),
        Some(1),
        Some(&json!({ "name": "乙", "plan": plan })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = send(
        &b,
        Method::PUT,
        &uri,
        Some(&planner_b),
        Some(1),
        Some(&json!({ "name": "丙", "plan": plan })),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, d) = send(&b, Method::GET, &uri, Some(&planner_b), None, None).await;
    assert_eq!(d["name"], "乙", "nothing of the stale write is kept");
}

#[tokio::test]
async fn a_command_line_import_shows_in_the_server_that_has_the_store_open() {
    let dir = tempfile::tempdir().expect("dir");
    let store = crate::common::cli::demo_store(dir.path());
    let a = server(&store).await;
    let before = send(&a, Method::GET, "/health", None, None, None).await.1["data_version"].clone();
    let export = dir.path().join("one.geojson");
    ok(&gridatlas(&[
        "export",
        "--store",
        &store,
        "--layer",
        "compounds",
        "--community",
        LONGNAN,
        "-o",
        &export.display().to_string(),
    ]));
    let mut fc: Value =
        serde_json::from_str(&std::fs::read_to_string(&export).expect("read")).expect("json");
    let mut f = fc["features"][0].clone();
    let id = f["id"].as_i64().expect("id");
    f["properties"]["name"] = json!("命令行导入的改名");
    fc["features"] = json!([f]);
    std::fs::write(&export, fc.to_string()).expect("write");
    ok(&gridatlas(&[
        "import",
        "--store",
        &store,
        "--layer",
        "compounds",
        &export.display().to_string(),
    ]));
    assert_eq!(
        compound(&a, id).await["properties"]["name"],
        "命令行导入的改名"
    );
    let after = send(&a, Method::GET, "/health", None, None, None).await.1["data_version"].clone();
    assert_ne!(before, after);
}

#[tokio::test]
async fn a_commit_is_announced_and_an_idle_server_reads_the_store_again_before_any_request() {
    let url = demo_database().await;
    let a = server(&url).await;
    // The idle server B, as `gridatlas serve` wires it: commits announced on the database's
    // channel make it read the store again.
    let b = Arc::new(
        Atlas::open(gridatlas_server::store::open(&url).await.expect("store"))
            .await
            .expect("atlas"),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watched = Arc::clone(&b);
    let listening = tokio::spawn(gridatlas_server::store::postgis::listen_for_commits(
        url.clone(),
        move |version| {
            let atlas = Arc::clone(&watched);
            let tx = tx.clone();
            async move {
                atlas.catch_up().await.expect("catch up");
                let _ = tx.send((version, atlas.snapshot().version));
            }
        },
    ));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await; // LISTEN is in place
    let before = b.snapshot().version;

    let (_, list) = send(
        &a,
        Method::GET,
        &format!("/ogc/collections/compounds/items?community_code={LONGNAN}&limit=1"),
        None,
        None,
        None,
    )
    .await;
    let mut f = list["features"][0].clone();
    let id = f["id"].as_i64().expect("id");
    f["properties"]["name"] = json!("通知后改名");
    let token = common::sign_in(&a, "staff").await;
    let (s, v) = crate::common::put_feature(&a, &token, "compounds", &f).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let (announced, now) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("the commit is announced within 10 s")
        .expect("a notification");
    assert_eq!(announced, before + 1);
    assert_eq!(
        now,
        before + 1,
        "B read the store again on the announcement"
    );
    let renamed = b
        .snapshot()
        .data
        .compounds
        .iter()
        .find(|c| c.id == id)
        .map(|c| c.name.clone());
    assert_eq!(renamed.as_deref(), Some("通知后改名"));
    listening.abort();
}
