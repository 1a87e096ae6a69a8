//! Grid planning through the HTTP API on the demo district, on both stores: every rule for every
//! grid, drafts moved and diffed, stale writes refused with 409 and nothing lost, automatic
//! partition within the caps with its lower bound and gap, publication changing the grids, the
//! grid tiles and the audit log in one step, joint-management clusters, and who may do what.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use engine::access::Role;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::{AuditQuery, Store};
use prost::Message;
use serde_json::{json, Value};
use tiles::TileId;
use tower::ServiceExt;

const LONGNAN: &str = "510504003004";
const AOTI: &str = "510504003006";

struct Reply {
    status: StatusCode,
    etag: Option<i64>,
    body: Value,
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    if_match: Option<i64>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(v) = if_match {
        req = req.header("if-match", format!("\"{v}\""));
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim_matches('"').parse().ok());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    assert_ne!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{uri}: {}",
        String::from_utf8_lossy(&bytes)
    );
    Reply {
        status,
        etag,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

async fn raw(app: &Router, uri: &str) -> Vec<u8> {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("req");
    let resp = app.clone().oneshot(req).await.expect("response");
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec()
}

/// The demo on `store`, with a planner of 龙南社区 and 奥体社区's street and an admin.
async fn demo_app(store: Box<dyn Store>) -> (Router, Arc<Atlas>, String) {
    load_dataset(store.as_ref(), data::demo_district())
        .await
        .expect("demo");
    common::add_account(store.as_ref(), "planner", "planner", "street:510504003").await;
    let atlas = Arc::new(Atlas::open(store).await.expect("atlas"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let token = common::sign_in(&app, "planner").await;
    (app, atlas, token)
}

fn grid<'a>(view: &'a Value, code: &str) -> &'a Value {
    view["report"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .find(|g| g["code"] == code)
        .unwrap_or_else(|| panic!("grid {code} in the report"))
}

fn unit<'a>(view: &'a Value, unit: &str) -> &'a Value {
    view["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["unit"] == unit)
        .unwrap_or_else(|| panic!("unit {unit}"))
}

fn errors(view: &Value) -> Vec<String> {
    view["report"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["severity"] == "error")
        .map(|v| v["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A GET without a token.
async fn get(app: &Router, uri: &str) -> Reply {
    call(app, Method::GET, uri, None, None, None).await
}

/// One planning draft, addressed with one account's token.
struct Draft<'a> {
    app: &'a Router,
    token: Option<&'a str>,
    id: i64,
}

impl<'a> Draft<'a> {
    /// Posts a new draft (`body` names the community); the reply and the draft.
    async fn create(app: &'a Router, token: Option<&'a str>, body: Value) -> (Reply, Self) {
        let r = call(
            app,
            Method::POST,
            "/api/planning/drafts",
            token,
            None,
            Some(body),
        )
        .await;
        let id = r.body["id"].as_i64().expect("id");
        (r, Draft { app, token, id })
    }

    fn uri(&self) -> String {
        format!("/api/planning/drafts/{}", self.id)
    }

    async fn get(&self) -> Reply {
        call(self.app, Method::GET, &self.uri(), self.token, None, None).await
    }

    /// Applies operations (one or an array) at draft version `if_match`.
    async fn operate(&self, if_match: Option<i64>, ops: Value) -> Reply {
        let uri = format!("{}/operations", self.uri());
        call(
            self.app,
            Method::POST,
            &uri,
            self.token,
            if_match,
            Some(ops),
        )
        .await
    }

    async fn put(&self, if_match: i64, body: Value) -> Reply {
        let uri = self.uri();
        call(
            self.app,
            Method::PUT,
            &uri,
            self.token,
            Some(if_match),
            Some(body),
        )
        .await
    }

    async fn publish(&self, if_match: i64) -> Reply {
        let uri = format!("{}/publish", self.uri());
        call(
            self.app,
            Method::POST,
            &uri,
            self.token,
            Some(if_match),
            None,
        )
        .await
    }
}

/// The grids of a plan: code → units.
fn plan_grids(plan: &Value) -> BTreeMap<String, Value> {
    plan["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| {
            (
                g["code"].as_str().expect("code").to_owned(),
                g["units"].clone(),
            )
        })
        .collect()
}

/// The demo in a fresh `GeoPackage`, with the planner of [`demo_app`].
async fn gpkg_demo_app() -> (Router, Arc<Atlas>, String, tempfile::TempDir) {
    let (store, dir) = common::fresh_gpkg().await;
    let (app, atlas, token) = demo_app(Box::new(store)).await;
    (app, atlas, token, dir)
}

#[tokio::test]
async fn the_current_grids_report_every_rule_for_every_grid() {
    let (app, atlas, _, _dir) = gpkg_demo_app().await;
    for code in [LONGNAN, AOTI] {
        assert_report_covers_every_grid(&app, &atlas.snapshot(), code).await;
    }
}

/// The community's report has one entry per stored grid with every figure, the community's
/// households and a polygon per grid.
async fn assert_report_covers_every_grid(app: &Router, snap: &engine::Snapshot, code: &str) {
    let view = get(app, &format!("/api/planning/communities/{code}")).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let stored: BTreeSet<&str> = snap
        .data
        .grids
        .iter()
        .filter(|g| g.community_code == code)
        .map(|g| g.code.as_str())
        .collect();
    let reported: BTreeSet<&str> = view.body["report"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| g["code"].as_str().expect("code"))
        .collect();
    assert_eq!(reported, stored, "{code}: one report per stored grid");
    for g in view.body["report"]["grids"].as_array().expect("grids") {
        for field in [
            "households",
            "load",
            "within_cap",
            "contiguous",
            "components",
            "polygon_parts",
            "polsby_popper",
            "workers",
            "workers_needed",
            "households_per_worker",
            "visiting_within_limit",
        ] {
            assert!(!g[field].is_null(), "{code} grid {}: {field}", g["code"]);
        }
        let pp = g["polsby_popper"].as_f64().expect("compactness");
        assert!(pp > 0.0 && pp <= 1.0, "Polsby-Popper {pp}");
    }
    let households: i64 = snap
        .data
        .compounds
        .iter()
        .filter(|c| c.community_code == code)
        .map(|c| c.households)
        .sum::<i64>()
        + snap
            .data
            .buildings
            .iter()
            .filter(|b| b.community_code == code && b.scattered())
            .map(|b| b.households)
            .sum::<i64>();
    assert_eq!(view.body["report"]["households"], households, "{code}");
    let polygons = view.body["grids"]["features"].as_array().expect("polygons");
    assert_eq!(polygons.len(), stored.len(), "{code}: a polygon per grid");
}

/// 龙南社区: 3,056 households in 4 grids, far above the 150/300 rule, each overloaded grid named
/// with its load; 奥体社区 was laid out within it, and a stricter cap makes the same grids break
/// the rule.
#[tokio::test]
async fn longnan_breaks_the_household_cap_and_aoti_keeps_it_unless_stricter() {
    let (app, _atlas, _, _dir) = gpkg_demo_app().await;
    let longnan = get(&app, &format!("/api/planning/communities/{LONGNAN}"))
        .await
        .body;
    assert_eq!(longnan["report"]["valid"], false);
    let over: Vec<&Value> = longnan["report"]["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|v| v["rule"] == "over_cap")
        .collect();
    assert_eq!(over.len(), 4, "{over:?}");
    assert!(over.iter().all(|v| v["message"]
        .as_str()
        .expect("message")
        .contains(v["grid"].as_str().expect("grid"))));
    assert!(longnan["report"]["lower_bound"].as_u64().expect("bound") >= 20);
    let aoti = get(&app, &format!("/api/planning/communities/{AOTI}"))
        .await
        .body;
    assert!(errors(&aoti).is_empty(), "{:?}", errors(&aoti));
    let strict = get(
        &app,
        &format!("/api/planning/communities/{AOTI}?caps_old=100&caps_new=200"),
    )
    .await
    .body;
    assert!(errors(&strict).iter().any(|e| e.contains("load")));
}

/// Bad codes and parameters are 400 with a message; an unknown community is 404.
#[tokio::test]
async fn bad_community_report_requests_are_refused() {
    let (app, _atlas, _, _dir) = gpkg_demo_app().await;
    for bad in [
        "/api/planning/communities/12345",
        "/api/planning/communities/510504003004?caps_old=0",
        "/api/planning/communities/510504003004?colour=red",
    ] {
        let r = get(&app, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or_default().is_empty());
    }
    let none = get(&app, "/api/planning/communities/510504999999").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

/// A draft of 奥体社区: moving a compound changes both grids' figures, the rules and the diff;
/// a second planner's stale write is 409 and the first one's move is kept.
async fn drafts_move_diff_and_refuse_stale_writes(store: Box<dyn Store>) {
    let (app, _atlas, token) = demo_app(store).await;
    let (created, draft) = Draft::create(
        &app,
        Some(&token),
        json!({ "community_code": AOTI, "name": "调整试验" }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.etag, Some(1));
    assert_eq!(created.body["author"], "planner");
    assert_eq!(created.body["diff"]["units_moved"], 0);
    let (from, to) = move_compound_93(&draft, &created.body).await;
    assert_stale_writes_are_refused(&draft, &created.body, &from, &to).await;
    let undone = undo_the_move(&draft, &created.body, &from).await;
    let unchanged = assert_impossible_operations_change_nothing(&draft, &undone, &from, &to).await;
    edit_grids_in_one_request(&draft, &unchanged, &from, &to).await;
    list_and_delete(&draft).await;
}

/// Moves compound:93 to another grid (draft version 1 → 2): both grids' households, the diff
/// and the split receiving grid show it; returns the grids it left and joined.
async fn move_compound_93(draft: &Draft<'_>, created: &Value) -> (String, String) {
    let moved = unit(created, "compound:93").clone();
    let from = moved["grids"][0].as_str().expect("grid").to_owned();
    let to = created["plan"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| g["code"].as_str().expect("code").to_owned())
        .find(|c| *c != from)
        .expect("another grid");
    let households = moved["households"].as_i64().expect("households");
    let before_from = grid(created, &from)["households"].as_i64().expect("hh");
    let before_to = grid(created, &to)["households"].as_i64().expect("hh");

    let op = json!({ "op": "move", "units": ["compound:93"], "to": to });
    let after = draft.operate(Some(1), op).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert_eq!(after.etag, Some(2));
    assert_eq!(
        grid(&after.body, &from)["households"],
        before_from - households
    );
    assert_eq!(grid(&after.body, &to)["households"], before_to + households);
    assert_eq!(after.body["diff"]["units_moved"], 1);
    assert_eq!(after.body["diff"]["households_moved"], households);
    assert_eq!(after.body["diff"]["moved"][0]["unit"], "compound:93");
    assert_eq!(after.body["diff"]["moved"][0]["from"], json!([from]));
    assert_eq!(after.body["diff"]["moved"][0]["to"], json!([to]));
    // The receiving grid is now split in two and named with its parts.
    assert!(
        errors(&after.body)
            .iter()
            .any(|e| e.contains(&to) && e.contains("compound:93")),
        "{:?}",
        errors(&after.body)
    );
    (from, to)
}

/// The other planner still holds version 1: 409, and the draft keeps the first move.
async fn assert_stale_writes_are_refused(draft: &Draft<'_>, created: &Value, from: &str, to: &str) {
    let stale = draft
        .operate(
            Some(1),
            json!({ "op": "move", "units": ["compound:93"], "to": from }),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body["message"]
        .as_str()
        .expect("message")
        .contains("version"));
    let stale_put = draft.put(1, json!({ "plan": created["plan"] })).await;
    assert_eq!(stale_put.status, StatusCode::CONFLICT);
    let kept = draft.get().await;
    assert_eq!(kept.etag, Some(2));
    assert_eq!(unit(&kept.body, "compound:93")["grids"], json!([to]));
}

/// Undoes the move by putting the earlier plan back (version 2 → 3); returns the reply.
async fn undo_the_move(draft: &Draft<'_>, created: &Value, from: &str) -> Value {
    let before_from = grid(created, from)["households"].as_i64().expect("hh");
    let undone = draft.put(2, json!({ "plan": created["plan"] })).await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(grid(&undone.body, from)["households"], before_from);
    assert_eq!(undone.body["diff"]["units_moved"], 0);
    undone.body
}

/// Impossible operations name the problem and change nothing; a write without If-Match is 428.
/// Returns the draft as it stays.
async fn assert_impossible_operations_change_nothing(
    draft: &Draft<'_>,
    undone: &Value,
    from: &str,
    to: &str,
) -> Value {
    for (body, code) in [
        (
            json!({ "op": "move", "units": ["compound:999999"], "to": to }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "op": "move", "units": ["compound:93"], "to": "no-such-grid" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({ "op": "teleport" }), StatusCode::BAD_REQUEST),
        (
            json!([{ "op": "create_grid" }, { "op": "merge_grids", "into": from, "from": "nope" }]),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = draft.operate(Some(3), body.clone()).await;
        assert_eq!(r.status, code, "{body}: {}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or_default().is_empty());
    }
    let unchanged = draft.get().await;
    assert_eq!(unchanged.etag, Some(3), "refused operations saved nothing");
    assert_eq!(unchanged.body["plan"], undone["plan"]);
    let missing = draft.operate(None, json!({ "op": "create_grid" })).await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    unchanged.body
}

/// Creates, deletes, splits and renames grids in one all-or-nothing request (version 3 → 4).
async fn edit_grids_in_one_request(draft: &Draft<'_>, unchanged: &Value, from: &str, to: &str) {
    let ops = draft
        .operate(
            Some(3),
            json!([
                { "op": "create_grid", "name": "新网格" },
                { "op": "delete_grid", "code": format!("{AOTI}011") },
                { "op": "split_grid", "code": from },
                { "op": "set_grid", "code": to, "workers": 2, "name": "奥体二网格" },
            ]),
        )
        .await;
    assert_eq!(ops.status, StatusCode::OK, "{}", ops.body);
    assert_eq!(
        ops.body["report"]["grid_count"].as_u64(),
        Some(unchanged["report"]["grid_count"].as_u64().expect("n") + 1)
    );
    assert_eq!(grid(&ops.body, to)["workers"], 2);
    assert_eq!(
        ops.body["diff"]["grids_added"].as_array().map(Vec::len),
        Some(1)
    );
}

/// The draft is listed at version 4; deleted, it is gone.
async fn list_and_delete(draft: &Draft<'_>) {
    let listed = call(
        draft.app,
        Method::GET,
        &format!("/api/planning/drafts?community={AOTI}"),
        draft.token,
        None,
        None,
    )
    .await;
    assert_eq!(listed.body["drafts"][0]["id"], draft.id);
    assert_eq!(listed.body["drafts"][0]["version"], 4);
    let gone = call(
        draft.app,
        Method::DELETE,
        &draft.uri(),
        draft.token,
        Some(4),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let gone = draft.get().await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn drafts_move_diff_and_refuse_stale_writes_in_a_geopackage() {
    let (store, _dir) = common::fresh_gpkg().await;
    drafts_move_diff_and_refuse_stale_writes(Box::new(store)).await;
}

#[tokio::test]
async fn drafts_move_diff_and_refuse_stale_writes_in_postgis() {
    drafts_move_diff_and_refuse_stale_writes(Box::new(common::fresh_postgis().await)).await;
}

#[tokio::test]
async fn the_150_300_community_is_partitioned_within_the_caps_with_bound_and_gap() {
    let (store, _dir) = common::fresh_gpkg().await;
    let (app, _atlas, token) = demo_app(Box::new(store)).await;
    let p = call(
        &app,
        Method::POST,
        &format!("/api/planning/communities/{AOTI}/partition"),
        Some(&token),
        None,
        Some(json!({ "seed": 3 })),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    let view = &p.body["view"];
    assert!(errors(view).is_empty(), "{:?}", errors(view));
    for g in view["report"]["grids"].as_array().expect("grids") {
        assert!(g["load"].as_f64().expect("load") <= 1.0 + 1e-9, "{g}");
        assert_eq!(g["contiguous"], true, "{g}");
        assert_eq!(g["polygon_parts"], 1, "{g}");
    }
    let (grids, bound, gap) = (
        p.body["grids"].as_u64().expect("grids"),
        p.body["lower_bound"].as_u64().expect("bound"),
        p.body["gap"].as_u64().expect("gap"),
    );
    assert_eq!(gap, grids - bound);
    assert!(grids >= bound);
    // The locked grid is kept exactly as it is.
    let locked = p.body["locked_grids"].as_array().expect("locked");
    assert_eq!(locked.len(), 1);
    let current = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{AOTI}"),
        None,
        None,
        None,
    )
    .await
    .body;
    let units_of = |v: &Value, code: &Value| {
        v["plan"]["grids"]
            .as_array()
            .expect("grids")
            .iter()
            .find(|g| g["code"] == *code)
            .map(|g| g["units"].clone())
    };
    assert_eq!(
        units_of(&p.body, &locked[0]),
        units_of(&current, &locked[0])
    );

    // 龙南社区 (3,056 households in 4 grids) is redrawn within the caps: compounds above the
    // cap split along their buildings, the bound and gap reported.
    let p = call(
        &app,
        Method::POST,
        &format!("/api/planning/communities/{LONGNAN}/partition"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        errors(&p.body["view"]).is_empty(),
        "{:?}",
        errors(&p.body["view"])
    );
    let (grids, bound) = (
        p.body["grids"].as_u64().expect("grids"),
        p.body["lower_bound"].as_u64().expect("bound"),
    );
    assert!(bound >= 20 && grids >= bound, "{grids} vs {bound}");
    assert!(!p.body["split_compounds"]
        .as_array()
        .expect("split")
        .is_empty());
    eprintln!("龙南社区: {grids} grids, lower bound {bound}");
}

/// The grid codes in the `grids` layer of the z14 tiles over a community.
async fn grid_codes_in_tiles(app: &Router, atlas: &Atlas, community: &str) -> BTreeSet<String> {
    use geo::BoundingRect;
    let snap = atlas.snapshot();
    let c = snap.community(community).expect("community");
    let r = c.geometry.bounding_rect().expect("bounds");
    let (a, b) = (
        TileId::containing(r.min().x, r.max().y, 14).expect("tile"),
        TileId::containing(r.max().x, r.min().y, 14).expect("tile"),
    );
    let mut codes = BTreeSet::new();
    for x in a.x()..=b.x() {
        for y in a.y()..=b.y() {
            let bytes = raw(app, &format!("/tiles/atlas/14/{x}/{y}.mvt")).await;
            let tile = tiles::proto::Tile::decode(bytes.as_slice()).expect("MVT");
            for layer in tile.layers.iter().filter(|l| l.name == "grids") {
                for f in &layer.features {
                    for kv in f.tags.chunks(2) {
                        if layer.keys[kv[0] as usize] == "code" {
                            if let Some(s) = &layer.values[kv[1] as usize].string_value {
                                if s.starts_with(community) {
                                    codes.insert(s.clone());
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    codes
}

/// 龙南社区 redrawn by the automatic proposal and published: the grids, the compounds' grid
/// codes, the grid tiles and the audit log all change together; the draft is published; a rule
/// break or a change of the current grids since the draft started refuses the publication
/// without writing anything.
async fn publish_replaces_the_grids(store: Box<dyn Store>) {
    let (app, atlas, token) = demo_app(store).await;
    let t = Some(token.as_str());
    let tiles_before = grid_codes_in_tiles(&app, &atlas, LONGNAN).await;
    assert_eq!(tiles_before.len(), 4, "{tiles_before:?}");
    let (_, draft) = Draft::create(&app, t, json!({ "community_code": LONGNAN })).await;
    assert_over_cap_publication_is_refused(&draft, &atlas).await;
    let planned = accept_the_proposal(&draft).await;
    let published = draft.publish(2).await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert_eq!(published.body["draft"]["status"], "published");
    let data_version = published.body["data_version"].as_i64().expect("version");
    assert_eq!(atlas.snapshot().version, data_version);
    assert_current_grids_are(&app, &atlas, &planned).await;
    assert_publication_is_audited(&atlas, draft.id, data_version).await;
    // A published draft takes no more writes.
    let again = draft.publish(3).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_a_stale_draft_cannot_overwrite_newer_grids(&app, &atlas, t).await;
}

/// Publishing the draft as it is breaks the caps: 422 naming them, nothing written.
async fn assert_over_cap_publication_is_refused(draft: &Draft<'_>, atlas: &Atlas) {
    let version = atlas.snapshot().version;
    let refused = draft.publish(1).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["code"], "invalid_plan");
    assert!(refused.body["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .any(|v| v["rule"] == "over_cap"));
    assert_eq!(atlas.snapshot().version, version, "nothing written");
}

/// Puts the automatic proposal into the draft (version 1 → 2); returns its grids.
async fn accept_the_proposal(draft: &Draft<'_>) -> BTreeMap<String, Value> {
    let proposal = call(
        draft.app,
        Method::POST,
        &format!("{}/proposal", draft.uri()),
        draft.token,
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(proposal.status, StatusCode::OK, "{}", proposal.body);
    let accepted = draft.put(1, json!({ "plan": proposal.body["plan"] })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert!(errors(&accepted.body).is_empty());
    plan_grids(&accepted.body["plan"])
}

/// 龙南社区's current grids are the `planned` ones, within every rule; every compound records
/// the grid holding it (or most of its households); the grid tiles show the new grids.
async fn assert_current_grids_are(app: &Router, atlas: &Atlas, planned: &BTreeMap<String, Value>) {
    let now = get(app, &format!("/api/planning/communities/{LONGNAN}"))
        .await
        .body;
    assert!(errors(&now).is_empty(), "{:?}", errors(&now));
    assert_eq!(&plan_grids(&now["plan"]), planned);
    let snap = atlas.snapshot();
    for c in snap
        .data
        .compounds
        .iter()
        .filter(|c| c.community_code == LONGNAN)
    {
        let code = c.grid_code.as_deref().expect("a grid");
        assert!(planned.contains_key(code), "compound {} in {code}", c.id);
    }
    let tiles_after = grid_codes_in_tiles(app, atlas, LONGNAN).await;
    assert_eq!(
        tiles_after,
        planned.keys().cloned().collect::<BTreeSet<_>>()
    );
}

/// The audit log holds the publication: who, and what changed.
async fn assert_publication_is_audited(atlas: &Atlas, draft_id: i64, data_version: i64) {
    let entries = atlas
        .store()
        .audit(&AuditQuery {
            actor: Some("planner".into()),
            limit: 10_000,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert!(entries
        .iter()
        .all(|e| e.operation == "publish" && e.data_version == data_version));
    let summary = entries
        .iter()
        .find(|e| e.layer.is_none())
        .expect("summary entry");
    let after = summary.after.as_ref().expect("after");
    assert_eq!(after["draft_id"], draft_id);
    assert_eq!(after["community_code"], LONGNAN);
    assert!(after["households_moved"].as_i64().expect("moved") > 0);
    assert!(entries
        .iter()
        .any(|e| e.layer.as_deref() == Some("grids") && e.before.is_some() && e.after.is_some()));
    assert!(entries
        .iter()
        .any(|e| e.layer.as_deref() == Some("compounds")));
}

/// A draft of 奥体社区 started before the grids changed (a newer draft published) cannot
/// overwrite them: 409, nothing written, and the draft shows its base changed.
async fn assert_a_stale_draft_cannot_overwrite_newer_grids(
    app: &Router,
    atlas: &Atlas,
    t: Option<&str>,
) {
    let (_, old) = Draft::create(app, t, json!({ "community_code": AOTI })).await;
    let (_, newer) = Draft::create(app, t, json!({ "community_code": AOTI })).await;
    let r = newer
        .operate(
            Some(1),
            json!({ "op": "set_grid", "code": format!("{AOTI}002"), "workers": 2 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = newer.publish(2).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let version = atlas.snapshot().version;
    let r = old.publish(1).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .expect("message")
        .contains("changed since"));
    assert_eq!(atlas.snapshot().version, version, "nothing written");
    let viewed = old.get().await;
    assert_eq!(viewed.body["base_changed"], true);
    assert_eq!(viewed.body["status"], "draft");
}

#[tokio::test]
async fn publish_replaces_the_grids_in_a_geopackage() {
    let (store, _dir) = common::fresh_gpkg().await;
    publish_replaces_the_grids(Box::new(store)).await;
}

#[tokio::test]
async fn publish_replaces_the_grids_in_postgis() {
    publish_replaces_the_grids(Box::new(common::fresh_postgis().await)).await;
}

#[tokio::test]
async fn joint_management_clusters_group_adjacent_three_no_compounds_above_the_floor() {
    let (store, _dir) = common::fresh_gpkg().await;
    let (app, atlas, _) = demo_app(Box::new(store)).await;
    let snap = atlas.snapshot();
    let r = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{LONGNAN}/clusters?floor=300"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let clusters = r.body["clusters"]["features"].as_array().expect("clusters");
    assert!(!clusters.is_empty());
    assert!(clusters.len() as u64 <= r.body["upper_bound"].as_u64().expect("bound"));
    let mut seen = BTreeSet::new();
    for c in clusters {
        let ids: Vec<i64> = c["properties"]["compounds"]
            .as_array()
            .expect("compounds")
            .iter()
            .map(|v| v.as_i64().expect("id"))
            .collect();
        let households: i64 = ids
            .iter()
            .map(|id| {
                let compound = snap
                    .data
                    .compounds
                    .iter()
                    .find(|x| x.id == *id)
                    .expect("compound");
                assert!(compound.three_no(), "compound {id} is three-no");
                assert!(seen.insert(*id), "compound {id} in one cluster");
                compound.households
            })
            .sum();
        assert!(households >= 300, "{households}");
        assert_eq!(c["properties"]["households"], households);
        assert_eq!(c["geometry"]["type"], "MultiPolygon");
    }
    let bad = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{LONGNAN}/clusters?floor=-5"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// Every planning write × every role × inside and outside the scope: unauthenticated 401,
/// viewers and staff 403, planners and admins outside their scope 403, inside it 2xx.
#[tokio::test]
async fn planning_writes_by_role_and_scope_answer_as_expected() {
    let (app, atlas, owner, _dir) = planning_matrix_app().await;
    let mut checked = 0;
    for role in Role::ALL {
        for tag in ["in", "out", "anonymous"] {
            let token = if tag == "anonymous" {
                None
            } else {
                Some(common::sign_in(&app, &format!("{}-{tag}", role.name())).await)
            };
            let who = Who {
                role,
                tag,
                token: token.as_deref(),
            };
            checked += assert_draft_writes(&app, &atlas, &owner, &who).await;
            assert_draft_delete_and_read(&app, &owner, &who).await;
            checked += 1;
        }
    }
    assert_eq!(checked, Role::ALL.len() * 3 * 5);
}

/// The demo in a `GeoPackage` with, per role, an account inside 奥体社区 and one in 龙南社区, and a
/// planner `owner` of 奥体社区 (signed in).
async fn planning_matrix_app() -> (Router, Arc<Atlas>, String, tempfile::TempDir) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    for role in Role::ALL {
        for (scope, tag) in [
            ("community:510504003006", "in"),
            ("community:510504003004", "out"),
        ] {
            common::add_account(
                &store,
                &format!("{}-{tag}", role.name()),
                role.name(),
                scope,
            )
            .await;
        }
    }
    common::add_account(&store, "owner", "planner", "community:510504003006").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let owner = common::sign_in(&app, "owner").await;
    (app, atlas, owner, dir)
}

/// A caller of the role matrix: role, "in" / "out" of scope or "anonymous", and token.
struct Who<'a> {
    role: Role,
    tag: &'a str,
    token: Option<&'a str>,
}

impl Who<'_> {
    /// Whether the caller may write 奥体社区's drafts.
    fn may(&self) -> bool {
        self.tag == "in" && matches!(self.role, Role::Admin | Role::Planner)
    }

    /// The status a write answering `ok` when allowed gives this caller.
    fn expect(&self, ok: StatusCode) -> StatusCode {
        match (self.tag, self.may()) {
            ("anonymous", _) => StatusCode::UNAUTHORIZED,
            (_, true) => ok,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// A planning write: method, URI, If-Match version, body and the status when allowed.
type WriteCase = (Method, String, Option<i64>, Option<Value>, StatusCode);

/// A new draft of 奥体社区 by its owner; returns its id.
async fn owners_draft(app: &Router, owner: &str) -> i64 {
    let (r, draft) = Draft::create(app, Some(owner), json!({ "community_code": AOTI })).await;
    assert_eq!(r.status, StatusCode::CREATED);
    draft.id
}

/// Create, operate on, rename and publish a draft: each answers as the caller's role and scope
/// say, and a refused one writes nothing; returns the number of writes checked.
async fn assert_draft_writes(app: &Router, atlas: &Atlas, owner: &str, who: &Who<'_>) -> usize {
    let id = owners_draft(app, owner).await;
    let aoti_grid = format!("{AOTI}001");
    let cases: Vec<WriteCase> = vec![
        (
            Method::POST,
            "/api/planning/drafts".into(),
            None,
            Some(json!({ "community_code": AOTI })),
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            format!("/api/planning/drafts/{id}/operations"),
            Some(1),
            Some(json!({ "op": "set_grid", "code": aoti_grid, "workers": 2 })),
            StatusCode::OK,
        ),
        (
            Method::PUT,
            format!("/api/planning/drafts/{id}"),
            Some(2),
            Some(json!({ "name": "改名" })),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("/api/planning/drafts/{id}/publish"),
            Some(3),
            None,
            StatusCode::OK,
        ),
    ];
    let mut checked = 0;
    for (method, uri, if_match, body, ok) in cases {
        let version = atlas.snapshot().version;
        let r = call(app, method.clone(), &uri, who.token, if_match, body).await;
        assert_eq!(
            r.status,
            who.expect(ok),
            "{} {}: {method} {uri}: {}",
            who.role.name(),
            who.tag,
            r.body
        );
        if r.status.is_client_error() {
            assert_eq!(atlas.snapshot().version, version, "a refused write wrote");
        }
        checked += 1;
    }
    checked
}

/// Deleting a draft answers as the caller's role and scope say; reading drafts is open to anyone
/// signed in whose scope covers the community.
async fn assert_draft_delete_and_read(app: &Router, owner: &str, who: &Who<'_>) {
    let (role, tag) = (who.role.name(), who.tag);
    let id = owners_draft(app, owner).await;
    let draft = Draft {
        app,
        token: who.token,
        id,
    };
    let r = call(app, Method::DELETE, &draft.uri(), who.token, Some(1), None).await;
    assert_eq!(
        r.status,
        who.expect(StatusCode::NO_CONTENT),
        "{role} {tag}: delete"
    );
    let r = draft.get().await;
    let read = match (tag, who.may()) {
        ("anonymous", _) => StatusCode::UNAUTHORIZED,
        ("out", _) => StatusCode::FORBIDDEN,
        (_, true) => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    };
    assert_eq!(r.status, read, "{role} {tag}: read");
}
