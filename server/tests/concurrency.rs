//! Many concurrent editors on overlapping features, on both stores: every write either commits or
//! gets 409, the final state equals the accepted writes, and the audit log holds exactly them.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::{AuditQuery, Store};
use serde_json::Value;
use tower::ServiceExt;

const EDITORS: usize = 24;
const WRITES_EACH: usize = 6;
const FEATURES: usize = 4;

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: &str,
    if_match: Option<i64>,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    if let Some(v) = if_match {
        req = req.header("if-match", format!("\"{v}\""));
    }
    let resp = app
        .clone()
        .oneshot(
            req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
                .expect("req"),
        )
        .await
        .expect("resp");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// An accepted write: station id, the version it made and the name it set.
type Accepted = (i64, i64, String);

async fn run(store: Box<dyn Store>) {
    let kind = store.kind();
    load_dataset(store.as_ref(), data::demo_district())
        .await
        .expect("demo");
    common::add_account(store.as_ref(), "editor", "admin", "district").await;
    let atlas = Arc::new(Atlas::open(store).await.expect("atlas"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let token = common::sign_in(&app, "editor").await;
    let ids: Vec<i64> = atlas
        .snapshot()
        .data
        .stations
        .iter()
        .take(FEATURES)
        .map(|s| s.id)
        .collect();
    let (accepted, conflicts) = edit_concurrently(&app, &token, &ids).await;
    assert_eq!(
        accepted.len() + conflicts,
        EDITORS * WRITES_EACH,
        "{kind}: every write answered"
    );
    assert!(conflicts > 0, "{kind}: overlapping editors do conflict");
    assert_accepted_writes_are_kept(kind, &atlas, &ids, &accepted).await;
}

/// Runs [`EDITORS`] editors at once, each renaming stations of `ids` in turn; returns the
/// accepted writes and the number of conflicts.
async fn edit_concurrently(app: &Router, token: &str, ids: &[i64]) -> (Vec<Accepted>, usize) {
    let mut tasks = Vec::new();
    for editor in 0..EDITORS {
        let (app, token, ids) = (app.clone(), token.to_owned(), ids.to_vec());
        tasks.push(tokio::spawn(async move {
            edit(&app, &token, &ids, editor).await
        }));
    }
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let (a, c) = t.await.expect("editor");
        accepted.extend(a);
        conflicts += c;
    }
    (accepted, conflicts)
}

/// One editor's [`WRITES_EACH`] renames, each at the version just read: every one either
/// commits or gets 409.
async fn edit(app: &Router, token: &str, ids: &[i64], editor: usize) -> (Vec<Accepted>, usize) {
    let mut accepted = Vec::new();
    let mut conflicts = 0;
    for i in 0..WRITES_EACH {
        let id = ids[(editor + i) % ids.len()];
        let uri = format!("/ogc/collections/stations/items/{id}");
        let (s, current) = call(app, Method::GET, &uri, token, None, None).await;
        assert_eq!(s, StatusCode::OK);
        let version = current["properties"]["version"].as_i64().expect("version");
        let mut next = current.clone();
        let name = format!("编辑{editor}-{i}");
        next["properties"]["name"] = Value::from(name.clone());
        let (s, reply) = call(app, Method::PUT, &uri, token, Some(version), Some(&next)).await;
        match s {
            StatusCode::OK => accepted.push((
                id,
                reply["properties"]["version"].as_i64().expect("v"),
                name,
            )),
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("a write either commits or gets 409, got {other}: {reply}"),
        }
    }
    (accepted, conflicts)
}

/// Per station: the accepted writes form an unbroken version chain, the last one wins in memory
/// and in the store, and the audit log holds exactly one entry per accepted write.
async fn assert_accepted_writes_are_kept(
    kind: &str,
    atlas: &Atlas,
    ids: &[i64],
    accepted: &[Accepted],
) {
    let snap = atlas.snapshot();
    let (_, stored) = atlas.store().load().await.expect("reload");
    let mut by_feature: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for (id, v, name) in accepted {
        by_feature.entry(*id).or_default().push((*v, name.clone()));
    }
    for id in ids {
        let mut writes = by_feature.remove(id).unwrap_or_default();
        writes.sort();
        let versions: Vec<i64> = writes.iter().map(|w| w.0).collect();
        assert_eq!(
            versions,
            (2..2 + writes.len() as i64).collect::<Vec<_>>(),
            "{kind}: station {id}: accepted writes form an unbroken version chain"
        );
        let last = writes.last().expect("at least one accepted write");
        let in_memory = snap
            .data
            .stations
            .iter()
            .find(|s| s.id == *id)
            .expect("station");
        let on_disk = stored
            .stations
            .iter()
            .find(|s| s.id == *id)
            .expect("station");
        assert_eq!(
            (in_memory.version, in_memory.name.as_str()),
            (last.0, last.1.as_str()),
            "{kind}: the last accepted write wins"
        );
        assert_eq!(
            on_disk, in_memory,
            "{kind}: the store holds what the map shows"
        );
        let audit = atlas
            .store()
            .audit(&AuditQuery {
                layer: Some(engine::Layer::Stations.name().into()),
                feature_id: Some(*id),
                limit: 1000,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        let edits: Vec<_> = audit.iter().filter(|e| e.operation == "edit").collect();
        assert_eq!(
            edits.len(),
            writes.len(),
            "{kind}: one audit entry per accepted write, none for refused ones"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_editors_either_commit_or_get_409_and_nothing_is_lost() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        run(store).await;
    }
}
