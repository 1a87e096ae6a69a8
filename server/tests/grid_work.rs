//! Grid work over HTTP on both stores, with 龙南社区's demo grid work loaded: a grid worker
//! records visits and needs inside their grid only, a visit resent under its client id is kept
//! once, viewers see phones masked, an organisation sees open needs and its own claims, a need
//! claimed by two organisations at once is claimed once, a need goes claimed → in progress →
//! done only by its organisation and is closed only by staff with a reason; the month's visits
//! and the need counts agree with an independent count over the CSV export; every change is in
//! the record's history and none of its content in the public audit log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{load_dataset, load_demo_work};
use gridatlas_server::store::Store;
use serde_json::{json, Value};

use crate::common::{self, send};

const LONGNAN: &str = data::LONGNAN_COMMUNITY;

struct Field {
    app: Router,
    grids: Vec<String>,
    data: engine::Dataset,
}

/// The demo district with its grid work in `store`, and the accounts of the flows.
async fn field(store: Box<dyn Store>) -> Field {
    let data = data::demo_district();
    load_dataset(store.as_ref(), data.clone())
        .await
        .expect("demo");
    load_demo_work(store.as_ref(), &data)
        .await
        .expect("demo work");
    let grids: Vec<String> = data
        .grids
        .iter()
        .filter(|g| g.community_code == LONGNAN)
        .map(|g| g.code.clone())
        .collect();
    for (name, role, scope) in [
        ("root", "admin", "district".to_owned()),
        ("staff", "staff", format!("community:{LONGNAN}")),
        ("viewer", "viewer", format!("community:{LONGNAN}")),
        ("gw1", "staff", format!("grid:{}", grids[0])),
        ("org-a", "organisation", format!("community:{LONGNAN}")),
        ("org-b", "organisation", format!("community:{LONGNAN}")),
        ("org-x", "organisation", format!("community:{LONGNAN}")),
    ] {
        common::add_account(store.as_ref(), name, role, &scope).await;
    }
    let atlas = Arc::new(Atlas::open(store).await.expect("atlas"));
    Field {
        app: app(AppState::new(atlas, Config::default())),
        grids,
        data,
    }
}

impl Field {
    async fn call(
        &self,
        who: &str,
        method: Method,
        uri: &str,
        if_match: Option<i64>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let token = common::sign_in(&self.app, who).await;
        send(&self.app, method, uri, Some(&token), if_match, body).await
    }

    /// A new record of list `kind` sent by `who`.
    async fn post(&self, who: &str, kind: &str, body: &Value) -> (StatusCode, Value) {
        let uri = format!("/api/work/{kind}");
        self.call(who, Method::POST, &uri, None, Some(body)).await
    }

    /// A need's step `action` by `who`.
    async fn act(&self, who: &str, need: i64, action: Value) -> (StatusCode, Value) {
        let path = format!("/api/work/needs/{need}/actions");
        self.call(who, Method::POST, &path, None, Some(&action))
            .await
    }

    async fn get(&self, who: &str, uri: &str) -> Value {
        let (s, v) = self.call(who, Method::GET, uri, None, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        v
    }

    /// The bytes of a download.
    async fn bytes(&self, who: &str, uri: &str) -> Vec<u8> {
        use tower::ServiceExt;
        let token = common::sign_in(&self.app, who).await;
        let req = axum::http::Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .expect("request");
        let resp = self.app.clone().oneshot(req).await.expect("response");
        assert_eq!(resp.status(), StatusCode::OK);
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec()
    }

    async fn csv(&self, who: &str, uri: &str) -> Vec<BTreeMap<String, String>> {
        let bytes = self.bytes(who, uri).await;
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        let head = r.headers().expect("header").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("row");
                head.iter()
                    .map(str::to_owned)
                    .zip(rec.iter().map(str::to_owned))
                    .collect()
            })
            .collect()
    }

    /// A building of a grid's compounds.
    fn building_in(&self, grid: &str) -> i64 {
        let compounds: BTreeSet<i64> = self
            .data
            .compounds
            .iter()
            .filter(|c| c.grid_code.as_deref() == Some(grid))
            .map(|c| c.id)
            .collect();
        self.data
            .buildings
            .iter()
            .find(|b| b.compound_id.is_some_and(|c| compounds.contains(&c)))
            .expect("a building in the grid")
            .id
    }

    /// Record `id` of `kind` with the organisation's `accounts` set, by the root admin.
    async fn list_accounts(&self, org_name: &str, accounts: &[&str]) -> i64 {
        let orgs = self.get("root", "/api/work/organisations").await;
        let org = orgs["records"]
            .as_array()
            .expect("records")
            .iter()
            .find(|o| o["body"]["name"] == org_name)
            .expect("organisation")
            .clone();
        let mut body = org["body"].clone();
        body["accounts"] = json!(accounts);
        let id = org["id"].as_i64().expect("id");
        let (s, v) = self
            .call(
                "root",
                Method::PUT,
                &format!("/api/work/organisations/{id}"),
                org["version"].as_i64(),
                Some(&body),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        id
    }
}

/// Runs `check` on the demo with its grid work in a GeoPackage and in PostGIS.
async fn on_both_stores<F, Fut>(check: F)
where
    F: Fn(Field) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        check(field(store).await).await;
    }
}

#[tokio::test]
async fn grid_work_flows_on_both_stores() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        flows(field(store).await).await;
        eprintln!("{kind}: every flow as expected");
    }
}

async fn flows(f: Field) {
    let worker = f
        .get(
            "staff",
            &format!("/api/work/grid_workers?grid={}", f.grids[0]),
        )
        .await["records"][0]
        .clone();
    let worker_id = worker["id"].as_i64().expect("worker");
    // A grid worker records a visit in their grid; sent twice, it is kept once.
    let building = f.building_in(&f.grids[0]);
    let visit = json!({ "worker_id": worker_id, "date": "2026-12-01", "kind": "visit",
        "unit": { "building_id": building, "household": "3-402" }, "notes": "独居老人，需助餐",
        "client_id": "phone-7f3a-0001", "position": [105.43, 28.9] });
    let (s, first) = f.post("gw1", "visits", &visit).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["grid_code"], f.grids[0]);
    let (s, again) = f.post("gw1", "visits", &visit).await;
    assert_eq!(
        (s, &again["id"]),
        (StatusCode::OK, &first["id"]),
        "the resent visit is the same record"
    );
    let mine = f.get("gw1", "/api/work/visits").await;
    let resent = mine["records"]
        .as_array()
        .expect("visits")
        .iter()
        .filter(|v| v["client_id"] == "phone-7f3a-0001")
        .count();
    assert_eq!(resent, 1);
    // Outside their grid: refused, with the grid named.
    let other = f.building_in(&f.grids[1]);
    let mut outside = visit.clone();
    outside["unit"] = json!({ "building_id": other });
    outside["client_id"] = json!("phone-7f3a-0002");
    let (s, v) = f.post("gw1", "visits", &outside).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains(&f.grids[1])),
        "{v}"
    );
    // A visit with a bad date and no unit names both fields.
    let (s, v) = f
        .post(
            "gw1",
            "visits",
            &json!({ "worker_id": worker_id, "date": "2026-02-30", "kind": "visit", "unit": {} }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let fields: Vec<&str> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, ["date", "unit"], "{v}");

    // A need raised in the visit.
    let need = json!({ "title": "独居老人助餐", "category": "meals", "raised_by": "3-402 住户",
        "raised_on": "2026-12-01", "due_date": "2026-12-15",
        "unit": { "building_id": building, "household": "3-402" } });
    let (s, need) = f.post("gw1", "needs", &need).await;
    assert_eq!(s, StatusCode::CREATED, "{need}");
    assert_eq!(
        (
            need["status"].as_str(),
            need["body"]["community_code"].as_str()
        ),
        (Some("open"), Some(LONGNAN))
    );
    let need_id = need["id"].as_i64().expect("id");

    // Phones: the staff read them, viewers see them masked.
    let phone = worker["body"]["phone"].as_str().expect("phone").to_owned();
    let seen = f
        .get("viewer", &format!("/api/work/grid_workers/{worker_id}"))
        .await;
    assert_eq!(
        seen["body"]["phone"],
        format!("{}****{}", &phone[..3], &phone[7..])
    );

    // Organisations: the accounts listed by an organisation act for it.
    let a = f.list_accounts("泾华社工", &["org-a"]).await;
    let b = f.list_accounts("泾华社会服务公司", &["org-b"]).await;
    let seen = f.get("org-a", "/api/work/needs").await;
    let statuses: BTreeSet<&str> = seen["records"]
        .as_array()
        .expect("needs")
        .iter()
        .filter_map(|n| n["status"].as_str())
        .collect();
    assert!(statuses.contains("open"), "{statuses:?}");
    assert!(
        seen["records"]
            .as_array()
            .expect("needs")
            .iter()
            .all(|n| n["status"] == "open" || n["body"]["organisation_id"] == a),
        "only open needs and its own"
    );
    assert_eq!(
        f.get("org-a", "/api/work/visits").await["records"],
        json!([]),
        "no visits for organisations"
    );

    // Two organisations claim the need at once: one wins, the other is told who did.
    let path = format!("/api/work/needs/{need_id}/actions");
    let (ta, tb) = (
        common::sign_in(&f.app, "org-a").await,
        common::sign_in(&f.app, "org-b").await,
    );
    let (ca, cb) = (
        json!({ "action": "claim", "organisation_id": a }),
        json!({ "action": "claim", "organisation_id": b }),
    );
    let (ra, rb) = tokio::join!(
        send(&f.app, Method::POST, &path, Some(&ta), None, Some(&ca)),
        send(&f.app, Method::POST, &path, Some(&tb), None, Some(&cb)),
    );
    let outcomes: BTreeSet<u16> = [ra.0.as_u16(), rb.0.as_u16()].into();
    assert_eq!(outcomes, [200, 409].into(), "{ra:?} {rb:?}");
    let (winner, loser) = if ra.0 == StatusCode::OK {
        ("org-a", &rb.1)
    } else {
        ("org-b", &ra.1)
    };
    let winner_id = if winner == "org-a" { a } else { b };
    assert!(
        loser["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("already claimed by organisation {winner_id}"))),
        "{loser}"
    );
    let stored = f.get("staff", &format!("/api/work/needs/{need_id}")).await;
    assert_eq!(
        (
            stored["status"].as_str(),
            stored["body"]["organisation_id"].as_i64()
        ),
        (Some("claimed"), Some(winner_id))
    );
    let other_org = if winner == "org-a" { "org-b" } else { "org-a" };
    let (s, _) = f
        .act(other_org, need_id, json!({ "action": "start" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another's claim is not even seen");
    let (s, _) = f.act("org-x", need_id, json!({ "action": "start" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an account no organisation lists");
    let (s, v) = f.act(winner, need_id, json!({ "action": "start" })).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("in_progress")),
        "{v}"
    );
    let (s, v) = f
        .act(
            winner,
            need_id,
            json!({ "action": "close", "reason": "不办了" }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "organisations do not close: {v}");
    let (s, v) = f
        .act(
            winner,
            need_id,
            json!({ "action": "done", "people_reached": 1, "hours": 3.5 }),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["body"]["hours"].as_f64()),
        (StatusCode::OK, Some("done"), Some(3.5)),
        "{v}"
    );
    // The service list: the organisation puts its done need to work as a project; another
    // cannot; resources are offered in an organisation's own name only.
    let project = |org: i64| {
        json!({ "title": "独居老人助餐", "organisation_id": org, "community_code": LONGNAN,
        "need_id": need_id, "date": "2026-12-03", "people_reached": 1, "hours": 3.5 })
    };
    let loser_id = if winner == "org-a" { b } else { a };
    let (s, v) = f.post(winner, "projects", &project(winner_id)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = f.post(other_org, "projects", &project(loser_id)).await;
    assert_eq!(
        (s, v["problems"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("need_id")),
        "{v}"
    );
    let (s, _) = f.post(other_org, "projects", &project(winner_id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not in another's name");
    let resource = |org: i64| {
        json!({ "organisation_id": org, "title": "周末助餐", "category": "meals",
        "service": "meal_help", "community_code": LONGNAN, "available": "每周六、周日中午", "capacity": 20 })
    };
    let (s, v) = f.post(winner, "resources", &resource(winner_id)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = f.post(winner, "resources", &resource(loser_id)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let resources = f.get(other_org, "/api/work/resources").await;
    assert_eq!(
        resources["records"].as_array().map(Vec::len),
        Some(7),
        "the demo's six and this one, seen by every organisation"
    );
    let projects = f.get("viewer", "/api/work/projects").await;
    assert_eq!(
        projects["records"].as_array().map(Vec::len),
        Some(24),
        "the demo's 20 done needs and 3 meal months, and this one"
    );

    // Staff close an open need only with a reason.
    let open = f.get("staff", "/api/work/needs?status=open").await["records"][0]["id"]
        .as_i64()
        .expect("open need");
    let (s, _) = f
        .act("staff", open, json!({ "action": "close", "reason": "" }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = f
        .act(
            "staff",
            open,
            json!({ "action": "close", "reason": "居民已自行解决" }),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("closed")),
        "{v}"
    );

    // History per record, signed in; the public audit log without the content.
    let history = f
        .get("staff", &format!("/api/work/needs/{need_id}/history"))
        .await;
    let ops: Vec<&str> = history["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["operation"].as_str())
        .collect();
    assert_eq!(
        ops,
        ["update", "update", "update", "insert"],
        "done, start, claim, raised: {history}"
    );
    let (_, public) = send(&f.app, Method::GET, "/audit?layer=needs", None, None, None).await;
    assert!(
        public
            .to_string()
            .contains(&format!("\"feature_id\":{need_id}"))
            && !public.to_string().contains("3-402"),
        "who and when, not what: {public}"
    );

    maps(&f, building).await;
    monthly_counts_agree_with_the_csv(&f).await;
    need_counts_agree_with_the_csv(&f).await;
}

/// The month's visits per worker, counted again from the CSV export: each numbered household
/// once, visits and errands apart.
async fn monthly_counts_agree_with_the_csv(f: &Field) {
    let rows = f.csv("staff", "/api/work/visits?format=csv").await;
    let mut expected: BTreeMap<i64, (u32, u32, BTreeSet<String>, u32)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r["date"].starts_with("2026-11")) {
        let e = expected
            .entry(r["worker_id"].parse().expect("worker"))
            .or_default();
        if r["kind"] == "errand" {
            e.1 += 1;
            continue;
        }
        e.0 += 1;
        let unit: Value = serde_json::from_str(&r["unit"]).expect("unit");
        match unit["household"].as_str() {
            Some(h) => {
                e.2.insert(format!("{}/{h}", unit["building_id"]));
            }
            None => e.3 += r["households"].parse::<u32>().expect("households"),
        }
    }
    let got = f
        .get("staff", "/api/work/visits/monthly?month=2026-11")
        .await;
    let workers = got["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 8, "龙南's eight grid workers");
    let mut short = 0;
    for w in workers {
        let (visits, errands, numbered, met) = expected
            .remove(&w["worker_id"].as_i64().expect("id"))
            .unwrap_or_default();
        let households = numbered.len() as u32 + met;
        assert_eq!(
            (
                w["visits"].as_u64(),
                w["errands"].as_u64(),
                w["households"].as_u64()
            ),
            (
                Some(u64::from(visits)),
                Some(u64::from(errands)),
                Some(u64::from(households))
            ),
            "{w}"
        );
        assert_eq!(w["quota_met"], households >= 200);
        short += usize::from(households < 200);
    }
    assert!(
        short >= 1 && short < 8,
        "some workers fall short of 200 households in November"
    );
    let (s, v) = f
        .call(
            "staff",
            Method::GET,
            "/api/work/visits/monthly?month=2026-13",
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

/// Need counts per community, counted again from the CSV export.
async fn need_counts_agree_with_the_csv(f: &Field) {
    let rows = f.csv("staff", "/api/work/needs?format=csv").await;
    let as_of = "2026-12-01";
    let (mut raised, mut claimed, mut done, mut overdue) = (0, 0, 0, 0);
    for r in &rows {
        raised += 1;
        claimed += u64::from(!r["organisation_id"].is_empty());
        done += u64::from(r["status"] == "done");
        let finished = r["status"] == "done" || r["status"] == "closed";
        overdue +=
            u64::from(!finished && !r["due_date"].is_empty() && r["due_date"].as_str() < as_of);
    }
    assert!(
        raised >= 81 && claimed >= 51,
        "the demo's 80 needs, 50 claimed, and this test's: {raised} {claimed}"
    );
    let got = f
        .get(
            "staff",
            &format!("/api/work/needs/counts?community={LONGNAN}&as_of={as_of}"),
        )
        .await;
    let c = &got["communities"][0];
    assert_eq!(
        (
            c["raised"].as_u64(),
            c["claimed"].as_u64(),
            c["done"].as_u64(),
            c["overdue"].as_u64()
        ),
        (Some(raised), Some(claimed), Some(done), Some(overdue)),
        "{got}"
    );
    // The same list as an Excel workbook: one sheet, the CSV's header, a row per need.
    let book = f.bytes("staff", "/api/work/needs?format=xlsx").await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book)).expect("xlsx");
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["需求清单"]);
    let sheet = book.worksheet_range("需求清单").expect("sheet");
    assert_eq!(sheet.height(), rows.len() + 1);
    let head: Vec<String> = sheet
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(ToString::to_string)
        .collect();
    let csv_head: Vec<&String> = rows[0].keys().collect();
    assert_eq!(head.len(), csv_head.len());
    assert!(head.iter().all(|h| rows[0].contains_key(h)), "{head:?}");
    let per_grid: u64 = got["grids"]
        .as_array()
        .expect("grids")
        .iter()
        .filter_map(|g| g["raised"].as_u64())
        .sum();
    assert_eq!(per_grid, raised);
}

/// Each list × each role inside and outside its scope (and a grid worker's grid scope): who
/// records (POST) and changes (PUT) what; a refused write changes nothing.
#[tokio::test]
async fn grid_work_authorization_matrix() {
    use engine::access::Role;
    let (store, _dir) = common::fresh_gpkg().await;
    let store: Box<dyn Store> = Box::new(store);
    for role in Role::ALL {
        for (suffix, scope) in [
            ("in", format!("community:{LONGNAN}")),
            ("out", "community:510504003001".to_owned()),
        ] {
            common::add_account(
                store.as_ref(),
                &format!("{}-{suffix}", role.name()),
                role.name(),
                &scope,
            )
            .await;
        }
    }
    let f = field(store).await;
    let worker_id = f.get("staff", "/api/work/grid_workers").await["records"]
        .as_array()
        .expect("workers")
        .iter()
        .find(|w| w["body"]["grids"][0] == f.grids[0].as_str())
        .expect("a worker of grid 1")["id"]
        .as_i64()
        .expect("id");
    let building = f.building_in(&f.grids[0]);
    let body = |kind: &str| match kind {
        "visits" => {
            json!({ "worker_id": worker_id, "date": "2026-12-02", "kind": "errand", "unit": { "building_id": building } })
        }
        "needs" => {
            json!({ "title": "门禁损坏", "category": "repair", "raised_by": "楼栋长", "raised_on": "2026-12-02", "unit": { "building_id": building } })
        }
        "grid_workers" => {
            json!({ "name": "新网格员", "phone": "13900001111", "grids": [f.grids[0]], "start_date": "2026-12-01" })
        }
        "building_heads" => {
            json!({ "name": "新楼栋长", "phone": "13900003333", "unit": { "building_id": building } })
        }
        _ => json!({ "name": "新志愿队", "kind": "volunteer_team", "community_code": LONGNAN }),
    };
    let mut checked = 0;
    for kind in [
        "visits",
        "needs",
        "grid_workers",
        "organisations",
        "building_heads",
    ] {
        let people = matches!(kind, "grid_workers" | "organisations" | "building_heads");
        let mut cases: Vec<(String, bool)> = Vec::new();
        for role in Role::ALL {
            let records = match role {
                Role::Admin | Role::Staff => true,
                Role::Planner => people,
                Role::Viewer | Role::Organisation => false,
            };
            cases.push((format!("{}-in", role.name()), records));
            cases.push((format!("{}-out", role.name()), false));
        }
        // The grid worker: visits, needs and building heads in their grid; the community
        // keeps its grid workers and organisations.
        cases.push(("gw1".to_owned(), !people || kind == "building_heads"));
        for (who, allowed) in cases {
            let uri = format!("/api/work/{kind}");
            let before = f.get("root", &uri).await["records"]
                .as_array()
                .expect("records")
                .len();
            let (s, v) = f
                .call(&who, Method::POST, &uri, None, Some(&body(kind)))
                .await;
            let expected = if allowed {
                StatusCode::CREATED
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(s, expected, "{who} records {kind}: {v}");
            let after = f.get("root", &uri).await["records"]
                .as_array()
                .expect("records")
                .len();
            assert_eq!(
                after,
                before + usize::from(allowed),
                "{who} on {kind}: a refused write adds nothing"
            );
            // A change of a record the root admin makes.
            let (_, made) = f
                .call("root", Method::POST, &uri, None, Some(&body(kind)))
                .await;
            let id = made["id"].as_i64().expect("id");
            let (s, v) = f
                .call(
                    &who,
                    Method::PUT,
                    &format!("{uri}/{id}"),
                    made["version"].as_i64(),
                    Some(&body(kind)),
                )
                .await;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(s, expected, "{who} changes {kind}: {v}");
            checked += 2;
        }
    }
    assert_eq!(checked, 5 * (Role::ALL.len() * 2 + 1) * 2);
    // Without signing in, nothing at all.
    let (s, _) = send(
        &f.app,
        Method::GET,
        "/api/work/grid_workers",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// The visiting layer and the open-needs layer of grid 1, as its grid worker sees them.
async fn maps(f: &Field, visited: i64) {
    let grid = &f.grids[0];
    let units = f
        .get(
            "gw1",
            &format!("/api/work/visits/last?grid={grid}&as_of=2026-12-05"),
        )
        .await;
    let units = units["features"].as_array().expect("features");
    let compounds_of_grid = f
        .data
        .compounds
        .iter()
        .filter(|c| c.grid_code.as_deref() == Some(grid.as_str()))
        .count();
    assert_eq!(
        units
            .iter()
            .filter(|u| u["properties"]["layer"] == "compounds")
            .count(),
        compounds_of_grid
    );
    let b = units
        .iter()
        .find(|u| u["properties"]["layer"] == "buildings" && u["properties"]["id"] == visited)
        .expect("the building visited");
    assert_eq!(
        (
            b["properties"]["last_visit"].as_str(),
            b["properties"]["days_since"].as_i64()
        ),
        (Some("2026-12-01"), Some(4))
    );
    let days: Vec<Option<i64>> = units
        .iter()
        .map(|u| u["properties"]["days_since"].as_i64())
        .collect();
    let never = days.iter().take_while(|d| d.is_none()).count();
    assert!(
        days[never..].windows(2).all(|w| w[0] >= w[1]),
        "never visited first, then the longest unvisited"
    );
    let (s, _) = f
        .call(
            "gw1",
            Method::GET,
            &format!("/api/work/visits/last?grid={}", f.grids[1]),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "another grid's units");
    let open = f
        .get(
            "gw1",
            &format!("/api/work/needs/map?status=open&grid={grid}"),
        )
        .await;
    let listed = f
        .get("gw1", &format!("/api/work/needs?status=open&grid={grid}"))
        .await;
    let points = open["features"].as_array().expect("features");
    assert!(!points.is_empty());
    assert_eq!(
        points.len(),
        listed["records"].as_array().expect("needs").len()
    );
    for p in points {
        assert_eq!(p["properties"]["status"], "open");
        let xy = p["geometry"]["coordinates"].as_array().expect("point");
        let (x, y) = (xy[0].as_f64().expect("x"), xy[1].as_f64().expect("y"));
        assert!(
            (105.0..106.0).contains(&x) && (28.5..29.5).contains(&y),
            "in 龙马潭区: {p}"
        );
    }
}

/// A joint-management unit made from a cluster proposal and kept; a compound in one unit and
/// one residents' group only; building heads recorded by the grid worker of their building.
#[tokio::test]
async fn joint_units_residents_groups_and_building_heads_are_kept() {
    on_both_stores(joint_units_residents_groups_and_building_heads_are_kept_on).await;
}

async fn joint_units_residents_groups_and_building_heads_are_kept_on(f: Field) {
    // The demo's pilot, as the report gives it.
    let units = f.get("viewer", "/api/work/joint_units").await;
    let pilot = &units["records"][0]["body"];
    assert_eq!(
        (
            pilot["fee_per_m2"].as_f64(),
            pilot["staff"].as_u64(),
            pilot["start_date"].as_str()
        ),
        (Some(0.5), Some(20), Some("2021-11-01"))
    );
    assert_eq!(
        f.get("viewer", "/api/work/residents_groups").await["records"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );
    // A proposal of the clusters of 龙南's three-no compounds becomes a unit.
    let proposals = f
        .get(
            "staff",
            &format!("/api/planning/communities/{LONGNAN}/clusters?floor=300"),
        )
        .await;
    let cluster = proposals["clusters"]["features"]
        .as_array()
        .expect("clusters")
        .iter()
        .find(|c| {
            c["properties"]["compounds"]
                .as_array()
                .is_some_and(|m| m.len() >= 2)
        })
        .expect("a cluster of two compounds or more");
    let compounds = cluster["properties"]["compounds"].clone();
    let orgs = f.get("staff", "/api/work/organisations").await;
    let company = orgs["records"]
        .as_array()
        .expect("orgs")
        .iter()
        .find(|o| o["body"]["name"] == "五星级红色物业")
        .expect("company")["id"]
        .clone();
    let unit = json!({ "name": "龙南连片二号", "compounds": compounds, "organisation_id": company,
        "start_date": "2026-12-01", "fee_per_m2": 0.5, "service_standard": "三星级物业服务标准", "staff": 6,
        "duties": ["环境卫生", "治安巡查"] });
    let (s, v) = f.post("staff", "joint_units", &unit).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["community_code"], LONGNAN);
    let (s, v) = f.post("staff", "joint_units", &unit).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let first = compounds[0].as_i64().expect("id");
    assert!(
        v["problems"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&format!(
                "compound {first} is already in joint-management unit"
            ))),
        "{v}"
    );
    let mut one = unit.clone();
    one["compounds"] = json!([first]);
    let (s, v) = f.post("staff", "joint_units", &one).await;
    assert_eq!(
        (s, v["problems"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("compounds")),
        "{v}"
    );
    // Residents' groups do not share compounds.
    let group = json!({ "name": "第七居民小组", "community_code": LONGNAN, "compounds": [first] });
    let (s, v) = f.post("staff", "residents_groups", &group).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["problems"][0]["reason_zh"]
            .as_str()
            .is_some_and(|r| r.contains("已属于居民小组")),
        "{v}"
    );
    // Building heads: the grid worker records one in their grid, not in another.
    let head = |building: i64| json!({ "name": "吴阿姨", "phone": "13900002222", "unit": { "building_id": building }, "since": "2026-12-01" });
    let (s, v) = f
        .post("gw1", "building_heads", &head(f.building_in(&f.grids[0])))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _) = f
        .post("gw1", "building_heads", &head(f.building_in(&f.grids[1])))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let heads = f.get("viewer", "/api/work/building_heads").await;
    assert!(
        heads["records"]
            .as_array()
            .expect("heads")
            .iter()
            .all(|h| h["body"]["phone"]
                .as_str()
                .is_some_and(|p| p.contains("****"))),
        "viewers see phones masked"
    );
}

/// The grid plan's report shows each grid's visiting in the last month against its workers'
/// quota, as the month's counts per worker add up.
#[tokio::test]
async fn the_plan_report_shows_each_grids_visiting_against_its_workers() {
    on_both_stores(the_plan_report_shows_each_grids_visiting_against_its_workers_on).await;
}

async fn the_plan_report_shows_each_grids_visiting_against_its_workers_on(f: Field) {
    let (s, plan) = send(
        &f.app,
        Method::GET,
        &format!("/api/planning/communities/{LONGNAN}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let visiting = &plan["visiting"];
    let month = visiting["month"].as_str().expect("month");
    let grids = visiting["grids"].as_array().expect("grids");
    assert_eq!(grids.len(), 4, "龙南's four grids: {visiting}");
    let rows = f
        .get("staff", &format!("/api/work/visits/monthly?month={month}"))
        .await;
    for g in grids {
        let code = g["grid_code"].as_str().expect("code");
        let workers: Vec<&Value> = rows["workers"]
            .as_array()
            .expect("rows")
            .iter()
            .filter(|w| w["grids"][0] == code)
            .collect();
        assert_eq!(
            g["workers"].as_u64(),
            Some(workers.len() as u64),
            "two workers a grid"
        );
        let visited: u64 = workers
            .iter()
            .filter_map(|w| w["households"].as_u64())
            .sum();
        assert_eq!(
            g["households_visited"].as_f64(),
            Some(visited as f64),
            "{g}"
        );
        assert_eq!(g["quota"].as_f64(), Some(200.0 * workers.len() as f64));
    }
}

/// An organisation's account changes the service spaces its organisation operates, and no
/// other feature; it creates and deletes none.
#[tokio::test]
async fn an_organisation_changes_only_the_spaces_it_operates() {
    on_both_stores(an_organisation_changes_only_the_spaces_it_operates_on).await;
}

async fn an_organisation_changes_only_the_spaces_it_operates_on(f: Field) {
    f.list_accounts("泾华社工", &["org-a"]).await;
    let orgs = f.get("staff", "/api/work/organisations").await;
    let operated: Vec<i64> = orgs["records"]
        .as_array()
        .expect("orgs")
        .iter()
        .find(|o| o["body"]["name"] == "泾华社工")
        .expect("org")["body"]["spaces"]
        .as_array()
        .expect("spaces")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert!(
        !operated.is_empty(),
        "the demo's elderly-care spaces of 龙南"
    );
    let other = f
        .data
        .service_spaces
        .iter()
        .find(|s| s.community_code == LONGNAN && !operated.contains(&s.id))
        .expect("another space")
        .id;
    let item = |id: i64| format!("/ogc/collections/service_spaces/items/{id}");
    let (_, space) = send(&f.app, Method::GET, &item(operated[0]), None, None, None).await;
    let mut changed = space.clone();
    changed["properties"]["opening_hours"] = json!("周一至周六 8:00–18:00");
    let version = space["properties"]["version"].as_i64();
    let (s, v) = f
        .call(
            "org-a",
            Method::PUT,
            &item(operated[0]),
            version,
            Some(&changed),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["properties"]["opening_hours"], "周一至周六 8:00–18:00");
    let (_, theirs) = send(&f.app, Method::GET, &item(other), None, None, None).await;
    let (s, v) = f
        .call(
            "org-a",
            Method::PUT,
            &item(other),
            theirs["properties"]["version"].as_i64(),
            Some(&theirs),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("only the service spaces it operates")),
        "{v}"
    );
    let (s, _) = f
        .call(
            "org-a",
            Method::DELETE,
            &item(operated[0]),
            version.map(|v| v + 1),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no deletions");
    let mut new = space.clone();
    new.as_object_mut().map(|o| o.remove("id"));
    let (s, _) = f
        .call(
            "org-a",
            Method::POST,
            "/ogc/collections/service_spaces/items",
            None,
            Some(&new),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no new spaces");
}
