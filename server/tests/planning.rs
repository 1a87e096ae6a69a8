//! Grid planning through the HTTP API on the demo district, on both stores: every rule for every
//! grid, drafts moved and diffed, stale writes refused with 409 and nothing lost, automatic
//! partition within the caps with its lower bound and gap, publication changing the grids, the
//! grid tiles and the audit log in one step, joint-management clusters, and who may do what.

mod common;

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

#[tokio::test]
async fn the_current_grids_report_every_rule_for_every_grid() {
    let (store, _dir) = common::fresh_gpkg().await;
    let (app, atlas, _) = demo_app(Box::new(store)).await;
    let snap = atlas.snapshot();
    for code in [LONGNAN, AOTI] {
        let view = call(
            &app,
            Method::GET,
            &format!("/api/planning/communities/{code}"),
            None,
            None,
            None,
        )
        .await;
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
    // 龙南社区: 3,056 households in 4 grids, far above the 150/300 rule, each overloaded grid
    // named with its load; 奥体社区 was laid out within it.
    let longnan = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{LONGNAN}"),
        None,
        None,
        None,
    )
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
    let aoti = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{AOTI}"),
        None,
        None,
        None,
    )
    .await
    .body;
    assert!(errors(&aoti).is_empty(), "{:?}", errors(&aoti));
    // A stricter cap makes the same grids break the rule.
    let strict = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{AOTI}?caps_old=100&caps_new=200"),
        None,
        None,
        None,
    )
    .await
    .body;
    assert!(errors(&strict).iter().any(|e| e.contains("load")));
    for bad in [
        "/api/planning/communities/12345",
        "/api/planning/communities/510504003004?caps_old=0",
        "/api/planning/communities/510504003004?colour=red",
    ] {
        let r = call(&app, Method::GET, bad, None, None, None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or_default().is_empty());
    }
    let none = call(
        &app,
        Method::GET,
        "/api/planning/communities/510504999999",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

/// A draft of 奥体社区: moving a compound changes both grids' figures, the rules and the diff;
/// a second planner's stale write is 409 and the first one's move is kept.
async fn drafts_move_diff_and_refuse_stale_writes(store: Box<dyn Store>) {
    let (app, _atlas, token) = demo_app(store).await;
    let t = Some(token.as_str());
    let created = call(
        &app,
        Method::POST,
        "/api/planning/drafts",
        t,
        None,
        Some(json!({ "community_code": AOTI, "name": "调整试验" })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().expect("id");
    assert_eq!(created.etag, Some(1));
    assert_eq!(created.body["author"], "planner");
    assert_eq!(created.body["diff"]["units_moved"], 0);
    // The compound to move and the grids it leaves and joins.
    let moved = unit(&created.body, "compound:93").clone();
    let from = moved["grids"][0].as_str().expect("grid").to_owned();
    let to = created.body["plan"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| g["code"].as_str().expect("code").to_owned())
        .find(|c| *c != from)
        .expect("another grid");
    let households = moved["households"].as_i64().expect("households");
    let before_from = grid(&created.body, &from)["households"]
        .as_i64()
        .expect("hh");
    let before_to = grid(&created.body, &to)["households"].as_i64().expect("hh");

    let op = json!({ "op": "move", "units": ["compound:93"], "to": to });
    let after = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/operations"),
        t,
        Some(1),
        Some(op),
    )
    .await;
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

    // The other planner still holds version 1: 409, and the draft keeps the first move.
    let stale = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/operations"),
        t,
        Some(1),
        Some(json!({ "op": "move", "units": ["compound:93"], "to": from })),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body["message"]
        .as_str()
        .expect("message")
        .contains("version"));
    let stale_put = call(
        &app,
        Method::PUT,
        &format!("/api/planning/drafts/{id}"),
        t,
        Some(1),
        Some(json!({ "plan": created.body["plan"] })),
    )
    .await;
    assert_eq!(stale_put.status, StatusCode::CONFLICT);
    let kept = call(
        &app,
        Method::GET,
        &format!("/api/planning/drafts/{id}"),
        t,
        None,
        None,
    )
    .await;
    assert_eq!(kept.etag, Some(2));
    assert_eq!(unit(&kept.body, "compound:93")["grids"], json!([to]));

    // Undo by putting the earlier plan back.
    let undone = call(
        &app,
        Method::PUT,
        &format!("/api/planning/drafts/{id}"),
        t,
        Some(2),
        Some(json!({ "plan": created.body["plan"] })),
    )
    .await;
    assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
    assert_eq!(grid(&undone.body, &from)["households"], before_from);
    assert_eq!(undone.body["diff"]["units_moved"], 0);

    // Impossible operations name the problem and change nothing.
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
        let r = call(
            &app,
            Method::POST,
            &format!("/api/planning/drafts/{id}/operations"),
            t,
            Some(3),
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, code, "{body}: {}", r.body);
        assert!(!r.body["message"].as_str().unwrap_or_default().is_empty());
    }
    let unchanged = call(
        &app,
        Method::GET,
        &format!("/api/planning/drafts/{id}"),
        t,
        None,
        None,
    )
    .await;
    assert_eq!(unchanged.etag, Some(3), "refused operations saved nothing");
    assert_eq!(unchanged.body["plan"], undone.body["plan"]);
    let missing = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/operations"),
        t,
        None,
        Some(json!({ "op": "create_grid" })),
    )
    .await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);

    // Create, merge, split and delete grids in one all-or-nothing request.
    let ops = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/operations"),
        t,
        Some(3),
        Some(json!([
            { "op": "create_grid", "name": "新网格" },
            { "op": "delete_grid", "code": format!("{AOTI}011") },
            { "op": "split_grid", "code": from },
            { "op": "set_grid", "code": to, "workers": 2, "name": "奥体二网格" },
        ])),
    )
    .await;
    assert_eq!(ops.status, StatusCode::OK, "{}", ops.body);
    assert_eq!(
        ops.body["report"]["grid_count"].as_u64(),
        Some(unchanged.body["report"]["grid_count"].as_u64().expect("n") + 1)
    );
    assert_eq!(grid(&ops.body, &to)["workers"], 2);
    assert_eq!(
        ops.body["diff"]["grids_added"].as_array().map(Vec::len),
        Some(1)
    );

    let listed = call(
        &app,
        Method::GET,
        &format!("/api/planning/drafts?community={AOTI}"),
        t,
        None,
        None,
    )
    .await;
    assert_eq!(listed.body["drafts"][0]["id"], id);
    assert_eq!(listed.body["drafts"][0]["version"], 4);
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/planning/drafts/{id}"),
        t,
        Some(4),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let gone = call(
        &app,
        Method::GET,
        &format!("/api/planning/drafts/{id}"),
        t,
        None,
        None,
    )
    .await;
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
    let d = call(
        &app,
        Method::POST,
        "/api/planning/drafts",
        t,
        None,
        Some(json!({ "community_code": LONGNAN })),
    )
    .await;
    let id = d.body["id"].as_i64().expect("id");
    // Publishing the draft as it is breaks the caps: 422 naming them, nothing written.
    let version = atlas.snapshot().version;
    let refused = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/publish"),
        t,
        Some(1),
        None,
    )
    .await;
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

    let proposal = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/proposal"),
        t,
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(proposal.status, StatusCode::OK, "{}", proposal.body);
    let accepted = call(
        &app,
        Method::PUT,
        &format!("/api/planning/drafts/{id}"),
        t,
        Some(1),
        Some(json!({ "plan": proposal.body["plan"] })),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert!(errors(&accepted.body).is_empty());
    let planned: BTreeMap<String, Value> = accepted.body["plan"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| {
            (
                g["code"].as_str().expect("code").to_owned(),
                g["units"].clone(),
            )
        })
        .collect();
    let published = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/publish"),
        t,
        Some(2),
        None,
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    assert_eq!(published.body["draft"]["status"], "published");
    let data_version = published.body["data_version"].as_i64().expect("version");
    assert_eq!(atlas.snapshot().version, data_version);

    // The current grids are now the draft's, within every rule.
    let now = call(
        &app,
        Method::GET,
        &format!("/api/planning/communities/{LONGNAN}"),
        None,
        None,
        None,
    )
    .await
    .body;
    assert!(errors(&now).is_empty(), "{:?}", errors(&now));
    let current: BTreeMap<String, Value> = now["plan"]["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .map(|g| {
            (
                g["code"].as_str().expect("code").to_owned(),
                g["units"].clone(),
            )
        })
        .collect();
    assert_eq!(current, planned);
    // Every compound records the grid holding it (or most of its households).
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
    // The grid tiles show the new grids.
    let tiles_after = grid_codes_in_tiles(&app, &atlas, LONGNAN).await;
    assert_eq!(
        tiles_after,
        planned.keys().cloned().collect::<BTreeSet<_>>()
    );
    // The audit log holds the publication: who, and what changed.
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
    assert_eq!(after["draft_id"], id);
    assert_eq!(after["community_code"], LONGNAN);
    assert!(after["households_moved"].as_i64().expect("moved") > 0);
    assert!(entries
        .iter()
        .any(|e| e.layer.as_deref() == Some("grids") && e.before.is_some() && e.after.is_some()));
    assert!(entries
        .iter()
        .any(|e| e.layer.as_deref() == Some("compounds")));

    // A published draft takes no more writes.
    let again = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{id}/publish"),
        t,
        Some(3),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // A draft started before the grids changed cannot overwrite them.
    let old = call(
        &app,
        Method::POST,
        "/api/planning/drafts",
        t,
        None,
        Some(json!({ "community_code": AOTI })),
    )
    .await;
    let old_id = old.body["id"].as_i64().expect("id");
    let newer = call(
        &app,
        Method::POST,
        "/api/planning/drafts",
        t,
        None,
        Some(json!({ "community_code": AOTI })),
    )
    .await;
    let newer_id = newer.body["id"].as_i64().expect("id");
    let r = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{newer_id}/operations"),
        t,
        Some(1),
        Some(json!({ "op": "set_grid", "code": format!("{AOTI}002"), "workers": 2 })),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{newer_id}/publish"),
        t,
        Some(2),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let version = atlas.snapshot().version;
    let r = call(
        &app,
        Method::POST,
        &format!("/api/planning/drafts/{old_id}/publish"),
        t,
        Some(1),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .expect("message")
        .contains("changed since"));
    assert_eq!(atlas.snapshot().version, version, "nothing written");
    let viewed = call(
        &app,
        Method::GET,
        &format!("/api/planning/drafts/{old_id}"),
        t,
        None,
        None,
    )
    .await;
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
    let (store, _dir) = common::fresh_gpkg().await;
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
    let new_draft = || async {
        let r = call(
            &app,
            Method::POST,
            "/api/planning/drafts",
            Some(&owner),
            None,
            Some(json!({ "community_code": AOTI })),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        r.body["id"].as_i64().expect("id")
    };
    let mut checked = 0;
    for role in Role::ALL {
        for tag in ["in", "out", "anonymous"] {
            let token = if tag == "anonymous" {
                None
            } else {
                Some(common::sign_in(&app, &format!("{}-{tag}", role.name())).await)
            };
            let may = tag == "in" && matches!(role, Role::Admin | Role::Planner);
            let expect = |ok: StatusCode| match (tag, may) {
                ("anonymous", _) => StatusCode::UNAUTHORIZED,
                (_, true) => ok,
                _ => StatusCode::FORBIDDEN,
            };
            let id = new_draft().await;
            let aoti_grid = format!("{AOTI}001");
            let cases: Vec<(Method, String, Option<i64>, Option<Value>, StatusCode)> = vec![
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
            for (method, uri, if_match, body, ok) in cases {
                let version = atlas.snapshot().version;
                let r = call(&app, method.clone(), &uri, token.as_deref(), if_match, body).await;
                assert_eq!(
                    r.status,
                    expect(ok),
                    "{} {tag}: {method} {uri}: {}",
                    role.name(),
                    r.body
                );
                if r.status.is_client_error() {
                    assert_eq!(atlas.snapshot().version, version, "a refused write wrote");
                }
                checked += 1;
            }
            let id = new_draft().await;
            let r = call(
                &app,
                Method::DELETE,
                &format!("/api/planning/drafts/{id}"),
                token.as_deref(),
                Some(1),
                None,
            )
            .await;
            assert_eq!(
                r.status,
                expect(StatusCode::NO_CONTENT),
                "{} {tag}: delete",
                role.name()
            );
            checked += 1;
            // Reading drafts: anyone signed in whose scope covers the community.
            let r = call(
                &app,
                Method::GET,
                &format!("/api/planning/drafts/{id}"),
                token.as_deref(),
                None,
                None,
            )
            .await;
            let read = match (tag, may) {
                ("anonymous", _) => StatusCode::UNAUTHORIZED,
                ("out", _) => StatusCode::FORBIDDEN,
                (_, true) => StatusCode::NOT_FOUND,
                _ => StatusCode::OK,
            };
            assert_eq!(r.status, read, "{} {tag}: read", role.name());
        }
    }
    assert_eq!(checked, 4 * 3 * 5);
}
