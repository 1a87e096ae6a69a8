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

/// The first compound of 龙南 as read through `app`.
async fn first_compound(app: &Router) -> Value {
    let (_, list) = send(
        app,
        Method::GET,
        &format!("/ogc/collections/compounds/items?community_code={LONGNAN}&limit=1"),
        None,
        None,
        None,
    )
    .await;
    list["features"][0].clone()
}

/// A draft created and moved on to version 2 through `a`: written through `b` at version 1 it
/// is refused with 409, and nothing of that write is kept.
async fn a_stale_draft_write_is_refused(a: &Router, b: &Router) {
    let planner_a = common::sign_in(a, "planner").await;
    let planner_b = common::sign_in(b, "planner").await;
    let (s, created) = send(
        a,
        Method::POST,
        "/api/planning/drafts",
        Some(&planner_a),
        None,
        Some(&json!({ "community_code": LONGNAN, "name": "甲" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let uri = format!("/api/planning/drafts/{}", created["id"]);
    let (_, d) = send(b, Method::GET, &uri, Some(&planner_b), None, None).await;
    let body = |name: &str| json!({ "name": name, "plan": d["plan"] });
    let (s, v) = send(
        a,
        Method::PUT,
        &uri,
        Some(&planner_a),
        Some(1),
        Some(&body("乙")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = send(
        b,
        Method::PUT,
        &uri,
        Some(&planner_b),
        Some(1),
        Some(&body("丙")),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, d) = send(b, Method::GET, &uri, Some(&planner_b), None, None).await;
    assert_eq!(d["name"], "乙", "nothing of the stale write is kept");
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
    let id = first_compound(&a).await["id"].as_i64().expect("id");
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
    a_stale_draft_write_is_refused(&a, &b).await;
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

    let mut f = first_compound(&a).await;
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

/// The wrong password, as a sign-in body.
fn wrong_password(name: &str) -> Value {
    json!({ "name": name, "password": "not the password at all" })
}

#[tokio::test]
async fn a_session_and_the_sign_in_limit_are_shared_by_every_server() {
    let url = demo_database().await;
    let a = server(&url).await;
    let b = server(&url).await;

    // Signed in through A, known to B; signed out through B, gone on A.
    let token = common::sign_in(&a, "staff").await;
    let (s, who) = send(&b, Method::GET, "/api/session", Some(&token), None, None).await;
    assert_eq!(s, StatusCode::OK, "{who}");
    assert_eq!(who["name"], "staff");
    let (s, _) = send(&b, Method::DELETE, "/api/session", Some(&token), None, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = send(&a, Method::GET, "/api/session", Some(&token), None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");

    // Failures counted on A refuse the right password on B.
    for _ in 0..gridatlas_server::accounts::MAX_FAILED_LOGINS {
        let (s, v) = send(
            &a,
            Method::POST,
            "/api/session",
            None,
            None,
            Some(&wrong_password("planner")),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    }
    let (s, v) = send(
        &b,
        Method::POST,
        "/api/session",
        None,
        None,
        Some(&json!({ "name": "planner", "password": common::PASSWORD })),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert!(v["retry_after_s"].as_u64().is_some_and(|w| w > 200), "{v}");

    // A token survives a restart of the server that issued it.
    let token = common::sign_in(&b, "staff").await;
    drop(b);
    let b = server(&url).await;
    let (s, who) = send(&b, Method::GET, "/api/session", Some(&token), None, None).await;
    assert_eq!(s, StatusCode::OK, "{who}");
}

/// The URL of `primary`'s database on the test cluster's streaming replica.
fn on_replica(primary: &str) -> String {
    let replica = std::env::var("GRIDATLAS_TEST_PG_REPLICA").expect(
        "GRIDATLAS_TEST_PG_REPLICA is not set: `eval \"$(scripts/postgis-cluster.sh start)\"` starts the replica",
    );
    let db = primary.rsplit_once('/').expect("database").1;
    format!("{}/{db}", replica.rsplit_once('/').expect("replica").0)
}

/// Waits until the replica has replayed `db` up to the primary's data version.
async fn replayed(primary: &str, replica: &str) {
    let wanted: i64 = sqlx::query_scalar("SELECT value FROM atlas_meta WHERE key = 'data_version'")
        .fetch_one(&sqlx::PgPool::connect(primary).await.expect("primary"))
        .await
        .expect("version");
    for _ in 0..600 {
        if let Ok(pool) = sqlx::PgPool::connect(replica).await {
            let v: Option<i64> =
                sqlx::query_scalar("SELECT value FROM atlas_meta WHERE key = 'data_version'")
                    .fetch_optional(&pool)
                    .await
                    .ok()
                    .flatten();
            pool.close().await;
            if v >= Some(wanted) {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the replica did not replay {replica} within 30 s");
}

/// Pauses or resumes the standby's WAL replay (for the whole replica cluster).
async fn replay(replica_admin: &str, on: bool) {
    let pool = sqlx::PgPool::connect(replica_admin).await.expect("replica");
    let f = if on {
        "pg_wal_replay_resume"
    } else {
        "pg_wal_replay_pause"
    };
    sqlx::query(&format!("SELECT {f}()"))
        .execute(&pool)
        .await
        .expect("replay control");
    pool.close().await;
}

#[tokio::test]
async fn a_server_loading_from_a_streaming_replica_sees_every_write_and_never_goes_back() {
    // A on the primary; B loading from the streaming replica, writing to the primary.
    use gridatlas_server::store::postgis::PostGis;
    use std::sync::atomic::Ordering;

    let url = demo_database().await;
    let replica = on_replica(&url);
    replayed(&url, &replica).await;
    let a = server(&url).await;
    let store = PostGis::connect_with_replica(&url, &replica, std::time::Duration::from_secs(1))
        .await
        .expect("primary and replica");
    let loads = store.replica_loads().expect("a replica");
    let b = app(AppState::new(
        Arc::new(Atlas::open(Box::new(store)).await.expect("atlas")),
        Config::default(),
    ));
    assert_eq!(
        loads.replica.load(Ordering::Relaxed),
        1,
        "B started from the replica"
    );

    let mut f = first_compound(&a).await;
    let id = f["id"].as_i64().expect("id");
    let token_a = common::sign_in(&a, "staff").await;

    // An edit through A (on the primary) is read through B at its next request, from the
    // replica once it has replayed the edit.
    f["properties"]["name"] = json!("副本读到的改名");
    let (s, v) = crate::common::put_feature(&a, &token_a, "compounds", &f).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        compound(&b, id).await["properties"]["name"],
        "副本读到的改名"
    );
    assert_eq!(
        loads.replica.load(Ordering::Relaxed),
        2,
        "read again from the replica"
    );
    let (_, health) = send(&b, Method::GET, "/health", None, None, None).await;
    let served = health["data_version"].as_i64().expect("version");

    // With the replica stopped behind, B never shows older data: it reads the primary.
    let replica_admin = std::env::var("GRIDATLAS_TEST_PG_REPLICA").expect("replica");
    replay(&replica_admin, false).await;
    f = compound(&a, id).await;
    f["properties"]["name"] = json!("副本停下时的改名");
    let (s, v) = crate::common::put_feature(&a, &token_a, "compounds", &f).await;
    let uri = format!("/ogc/collections/compounds/items/{id}");
    let (read, seen) = send(&b, Method::GET, &uri, None, None, None).await;
    replay(&replica_admin, true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(read, StatusCode::OK, "{seen}");
    assert_eq!(seen["properties"]["name"], "副本停下时的改名");
    assert_eq!(
        loads.primary.load(Ordering::Relaxed),
        1,
        "the lagging replica was passed over"
    );
    let (_, health) = send(&b, Method::GET, "/health", None, None, None).await;
    assert_eq!(health["data_version"].as_i64(), Some(served + 1));

    // Writes through B go to the primary: a stale one is refused, a fresh one is seen by A.
    let token_b = common::sign_in(&b, "staff").await;
    let mut stale = f.clone();
    stale["properties"]["name"] = json!("旧版本");
    let (s, v) = crate::common::put_feature(&b, &token_b, "compounds", &stale).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let mut fresh = seen.clone();
    fresh["properties"]["name"] = json!("经由副本服务器的改名");
    let (s, v) = crate::common::put_feature(&b, &token_b, "compounds", &fresh).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        compound(&a, id).await["properties"]["name"],
        "经由副本服务器的改名"
    );

    // A draft moved on through A is a 409 when written through B at its old version.
    a_stale_draft_write_is_refused(&a, &b).await;
}

#[tokio::test]
async fn a_commit_after_another_servers_commit_leaves_nothing_of_it_out() {
    use gridatlas_server::store::{Actor, Change, Operation, OperationKind};
    let url = demo_database().await;
    let open = || async {
        Atlas::open(gridatlas_server::store::open(&url).await.expect("store"))
            .await
            .expect("atlas")
    };
    let (a, b) = (open().await, open().await);
    let rename = |atlas: &Atlas, i: usize, name: &str| {
        let mut c = atlas.snapshot().data.compounds[i].clone();
        c.name = name.into();
        let expected_version = c.version;
        Operation::new(
            OperationKind::Edit,
            vec![Change::Update {
                feature: engine::Feature::Compound(c),
                expected_version,
            }],
        )
    };
    // A commits; B, not asked anything in between, commits another compound right after.
    a.commit(rename(&a, 0, "甲服务器改名"), &Actor::new("a"))
        .await
        .expect("A commits");
    b.commit(rename(&b, 1, "乙服务器改名"), &Actor::new("b"))
        .await
        .expect("B commits");
    let seen = b.snapshot();
    assert_eq!(seen.version, a.snapshot().version + 1);
    assert_eq!(
        seen.data.compounds[0].name, "甲服务器改名",
        "A's edit is in B's snapshot"
    );
    assert_eq!(seen.data.compounds[1].name, "乙服务器改名");
}
