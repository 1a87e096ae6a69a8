//! Safe by construction, on both stores: no request can write what the store's loader refuses,
//! and a store with a row broken by hand (in QGIS, by an older version) still opens, reports the
//! row and lets an admin repair it, with nothing else changed.

use crate::common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use common::send;
use engine::Feature;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::{Atlas, AtlasError};
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::{self, Actor, Change, Operation, OperationKind, Store};
use serde_json::{json, Value};

const LONGNAN: &str = "510504003004";

/// The demo in a store at `location`, with a planner and a district admin; returns the app, its
/// atlas and the planner's and admin's tokens.
async fn demo(location: &str) -> (Router, Arc<Atlas>, String, String) {
    let store = store::open(location).await.expect("store");
    load_dataset(store.as_ref(), data::demo_district())
        .await
        .expect("demo");
    common::add_account(store.as_ref(), "planner", "planner", "district").await;
    common::add_account(store.as_ref(), "admin", "admin", "district").await;
    serve(store).await
}

async fn serve(store: Box<dyn Store>) -> (Router, Arc<Atlas>, String, String) {
    let atlas = Arc::new(Atlas::open(store).await.expect("the store opens"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let planner = common::sign_in(&app, "planner").await;
    let admin = common::sign_in(&app, "admin").await;
    (app, atlas, planner, admin)
}

/// Closes the store and opens it again as `gridatlas serve` does: it must open.
async fn restart(atlas: Arc<Atlas>, location: &str) -> (Router, Arc<Atlas>, String, String) {
    atlas.store().close().await;
    drop(atlas);
    serve(store::open(location).await.expect("reopen")).await
}

async fn new_draft(app: &Router, token: &str) -> (i64, i64) {
    let (status, body) = send(
        app,
        Method::POST,
        "/api/planning/drafts",
        Some(token),
        None,
        Some(&json!({ "community_code": LONGNAN })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["id"].as_i64().expect("id"),
        body["version"].as_i64().expect("version"),
    )
}

fn problem_fields(body: &Value) -> Vec<String> {
    body["problems"]
        .as_array()
        .map(|p| {
            p.iter()
                .filter_map(|x| x["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A 150-character grid name (the grid schema allows 100) is refused however it is sent —
/// a new grid, a renamed grid, a whole plan — and so are 101 workers reached by merging; the
/// draft keeps its version and the store opens afterwards with every grid readable.
async fn grid_attributes_beyond_the_schema_are_refused(location: &str) {
    let (app, atlas, planner, _) = demo(location).await;
    let (id, version) = new_draft(&app, &planner).await;
    let long = "网".repeat(150);
    let ops = format!("/api/planning/drafts/{id}/operations");
    for op in [
        json!({ "op": "create_grid", "name": long }),
        json!({ "op": "set_grid", "code": "510504003004001", "name": long }),
        json!({ "op": "set_grid", "code": "510504003004001", "workers": 101 }),
        json!([{ "op": "set_grid", "code": "510504003004001", "workers": 100 },
               { "op": "merge_grids", "into": "510504003004001", "from": "510504003004002" }]),
    ] {
        let (status, body) = send(
            &app,
            Method::POST,
            &ops,
            Some(&planner),
            Some(version),
            Some(&op),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{op}: {body}");
        let fields = problem_fields(&body);
        assert!(
            fields
                .iter()
                .any(|f| f.ends_with("name") || f.ends_with("workers")),
            "{op}: the field is named: {body}"
        );
    }
    let (_, draft) = send(
        &app,
        Method::GET,
        &format!("/api/planning/drafts/{id}"),
        Some(&planner),
        None,
        None,
    )
    .await;
    assert_eq!(
        draft["version"].as_i64(),
        Some(version),
        "nothing was saved"
    );
    let mut plan = draft["plan"].clone();
    plan["grids"][0]["name"] = json!(long);
    let (status, body) = send(
        &app,
        Method::PUT,
        &format!("/api/planning/drafts/{id}"),
        Some(&planner),
        Some(version),
        Some(&json!({ "plan": plan })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem_fields(&body), vec!["name".to_owned()], "{body}");

    let (app, atlas, _, admin) = restart(atlas, location).await;
    assert!(atlas.snapshot().unreadable.is_empty());
    let (_, problems) = send(&app, Method::GET, "/api/problems", Some(&admin), None, None).await;
    assert_eq!(problems["problems"], json!([]));
}

#[tokio::test]
async fn grid_attributes_beyond_the_schema_are_refused_in_a_geopackage() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("atlas.gpkg");
    grid_attributes_beyond_the_schema_are_refused(&path.to_string_lossy()).await;
}

#[tokio::test]
async fn grid_attributes_beyond_the_schema_are_refused_in_postgis() {
    grid_attributes_beyond_the_schema_are_refused(&common::fresh_pg_url().await).await;
}

/// The broken compound `victim` is reported unreadable (naming households) and left out, nothing
/// else changed; health is degraded and the problems list is the admin's alone. Returns the
/// row's stored version.
async fn assert_the_broken_row_is_reported(
    app: &Router,
    atlas: &Atlas,
    before: &engine::Snapshot,
    victim: i64,
    (planner, admin): (&str, &str),
) -> i64 {
    let snap = atlas.snapshot();
    assert_eq!(snap.unreadable.len(), 1, "{:?}", snap.unreadable);
    assert_eq!(snap.unreadable[0].id, victim);
    assert_eq!(snap.unreadable[0].field.as_deref(), Some("households"));
    let reason = &snap.unreadable[0].reason;
    assert!(reason.starts_with("households: "), "{reason}");
    assert!(
        reason.contains("about 300") || reason.contains("got 2000000"),
        "the reason tells what is stored or allowed: {reason}"
    );
    assert!(
        !reason.contains("Rust"),
        "no internals in the reason: {reason}"
    );
    assert_eq!(snap.data.compounds.len(), before.data.compounds.len() - 1);
    assert_eq!(
        snap.data.buildings, before.data.buildings,
        "nothing else changed"
    );
    let (_, health) = send(app, Method::GET, "/health", None, None, None).await;
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["unreadable"][0]["layer"], "compounds");
    assert_eq!(health["unreadable"][0]["id"].as_i64(), Some(victim));
    assert_eq!(health["unreadable"][0]["field"], "households");
    let (status, _) = send(app, Method::GET, "/api/problems", Some(planner), None, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only admins see the problems list"
    );
    let (_, problems) = send(app, Method::GET, "/api/problems", Some(admin), None, None).await;
    problems["problems"][0]["version"]
        .as_i64()
        .expect("stored version")
}

/// Writing the `original` feature back at the stored `version`: refused to a planner, done by
/// an admin.
async fn repair_as_an_admin_only(
    app: &Router,
    item: &str,
    original: &Value,
    version: i64,
    (planner, admin): (&str, &str),
) {
    let mut repaired = original.clone();
    repaired["properties"]["version"] = json!(version);
    let (status, body) = send(
        app,
        Method::PUT,
        item,
        Some(planner),
        Some(version),
        Some(&repaired),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a planner cannot repair a row of unknown place: {body}"
    );
    let (status, body) = send(
        app,
        Method::PUT,
        item,
        Some(admin),
        Some(version),
        Some(&repaired),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["properties"]["households"],
        original["properties"]["households"]
    );
}

/// A compound broken by hand opens, is reported (health, the admin's problems list), is left out
/// of the map, and is repaired by an admin's write; nothing else changes.
async fn a_hand_broken_row_is_reported_and_repairable(
    location: &str,
    break_row: impl AsyncFnOnce(i64),
) {
    let (app, atlas, planner, _) = demo(location).await;
    let before = atlas.snapshot();
    let victim = before
        .data
        .compounds
        .iter()
        .find(|c| c.community_code == LONGNAN)
        .expect("a compound of 龙南社区")
        .clone();
    let (_, original) = send(
        &app,
        Method::GET,
        &format!("/ogc/collections/compounds/items/{}", victim.id),
        None,
        None,
        None,
    )
    .await;
    drop(planner);
    atlas.store().close().await;
    drop(atlas);
    break_row(victim.id).await;

    let (app, atlas, planner, admin) = serve(store::open(location).await.expect("reopen")).await;
    let version =
        assert_the_broken_row_is_reported(&app, &atlas, &before, victim.id, (&planner, &admin))
            .await;
    let item = format!("/ogc/collections/compounds/items/{}", victim.id);
    let (status, _) = send(&app, Method::GET, &item, None, None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "left out of the map");
    repair_as_an_admin_only(&app, &item, &original, version, (&planner, &admin)).await;
    assert!(atlas.snapshot().unreadable.is_empty());

    let (_, atlas, _, _) = restart(atlas, location).await;
    let snap = atlas.snapshot();
    assert!(snap.unreadable.is_empty());
    assert_eq!(snap.data.compounds.len(), before.data.compounds.len());
    let back = snap
        .feature(engine::Layer::Compounds, victim.id)
        .expect("repaired");
    assert_eq!(
        back.properties()["households"],
        original["properties"]["households"]
    );
}

#[tokio::test]
async fn a_hand_broken_row_is_reported_and_repairable_in_a_geopackage() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("atlas.gpkg");
    let location = path.to_string_lossy().into_owned();
    let file = path.clone();
    a_hand_broken_row_is_reported_and_repairable(&location, async move |id| {
        // As QGIS would let anyone do: text typed into a whole-number column.
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("sqlite");
        sqlx::query("UPDATE compounds SET households = 'about 300' WHERE id = ?")
            .bind(id)
            .execute(&pool)
            .await
            .expect("break the row");
        pool.close().await;
    })
    .await;
}

#[tokio::test]
async fn a_hand_broken_row_is_reported_and_repairable_in_postgis() {
    let url = common::fresh_pg_url().await;
    let target = url.clone();
    a_hand_broken_row_is_reported_and_repairable(&url, async move |id| {
        let pool = sqlx::PgPool::connect(&target).await.expect("pg");
        sqlx::query("UPDATE compounds SET households = 2000000 WHERE id = $1")
            .bind(id)
            .execute(&pool)
            .await
            .expect("break the row");
        pool.close().await;
    })
    .await;
}

/// A big import (as many rows as an office ledger) is checked while the store writes it in its
/// transaction: one building among 12,000 that the loader would refuse (households below zero,
/// built in code rather than read from a file) refuses the whole, naming it, and nothing is
/// written, not even after a restart; without it the same import commits.
async fn a_big_import_is_checked_while_written(location: &str) {
    let (_, atlas, _, _) = demo(location).await;
    let before = atlas.snapshot();
    let template = before
        .data
        .buildings
        .iter()
        .find(|b| b.compound_id.is_none())
        .expect("a scattered building")
        .clone();
    let many = |bad: Option<usize>| {
        let changes = (0..12_000)
            .map(|i| {
                let mut b = template.clone();
                b.id = 0;
                b.version = 0;
                b.name = Some(format!("批量楼栋{i}"));
                if Some(i) == bad {
                    b.households = -1;
                }
                Change::Upsert(Feature::Building(b))
            })
            .collect();
        Operation::new(OperationKind::Import, changes)
    };
    match atlas.commit(many(Some(7_777)), &Actor::new("bulk")).await {
        Err(AtlasError::Invalid(problems)) => {
            assert!(
                problems
                    .iter()
                    .any(|p| p.field == "households" && p.index == Some(7_777)),
                "{problems:?}"
            );
        }
        other => panic!("refused with the problem, got {other:?}"),
    }
    assert_eq!(atlas.snapshot().version, before.version);
    assert_eq!(
        atlas.store().data_version().await.expect("version"),
        before.version,
        "nothing committed"
    );
    let (_, atlas, _, _) = restart(atlas, location).await;
    assert_eq!(
        atlas.snapshot().data.buildings.len(),
        before.data.buildings.len(),
        "nothing written"
    );
    atlas
        .commit(many(None), &Actor::new("bulk"))
        .await
        .expect("the same import without the bad building commits");
    assert_eq!(
        atlas.snapshot().data.buildings.len(),
        before.data.buildings.len() + 12_000
    );
    let (_, atlas, _, _) = restart(atlas, location).await;
    assert_eq!(
        atlas.snapshot().data.buildings.len(),
        before.data.buildings.len() + 12_000,
        "and it is in the store"
    );
}

#[tokio::test]
async fn a_big_import_is_checked_while_written_in_a_geopackage() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("atlas.gpkg");
    a_big_import_is_checked_while_written(&path.to_string_lossy()).await;
}

#[tokio::test]
async fn a_big_import_is_checked_while_written_in_postgis() {
    a_big_import_is_checked_while_written(&common::fresh_pg_url().await).await;
}
