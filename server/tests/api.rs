//! The HTTP API through `app(state)` with `oneshot`, on the demo district in a GeoPackage.

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn demo_app() -> (Router, Arc<Atlas>, tempfile::TempDir, String) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let state = AppState::new(atlas.clone(), Config::default());
    let app = app(state);
    let token = common::sign_in(&app, "admin").await;
    (app, atlas, dir, token)
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn call(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "atlas.test");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

fn auth(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

#[tokio::test]
async fn ogc_landing_conformance_and_collections_describe_every_layer() {
    let (app, _, _dir, _token) = demo_app().await;
    let landing = call(&app, Method::GET, "/ogc", None, &[]).await;
    assert_eq!(landing.status, StatusCode::OK);
    let rels: Vec<&str> = landing.body["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rel}");
    }
    let conf = call(&app, Method::GET, "/ogc/conformance", None, &[]).await;
    assert!(conf.body["conformsTo"]
        .to_string()
        .contains("ogcapi-features-1/1.0/conf/core"));
    let cols = call(&app, Method::GET, "/ogc/collections", None, &[]).await;
    let ids: Vec<&str> = cols.body["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, common::cli::LAYERS);
    let bbox = &cols.body["collections"][3]["extent"]["spatial"]["bbox"][0];
    assert!(
        bbox[0].as_f64().expect("minx") > 105.0 && bbox[3].as_f64().expect("maxy") < 29.2,
        "compound extent near Luzhou: {bbox}"
    );
    let api = call(&app, Method::GET, "/ogc/api", None, &[]).await;
    assert_eq!(api.body["openapi"], "3.0.3");
    // An independent validator (openapi-spec-validator, installed by scripts/test.sh) accepts it.
    let mut check = std::process::Command::new("python3")
        .args([
            "-c",
            "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(sys.stdin))",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 must be installed");
    std::io::Write::write_all(
        check.stdin.as_mut().expect("stdin"),
        api.body.to_string().as_bytes(),
    )
    .expect("write");
    drop(check.stdin.take());
    assert!(
        check.wait().expect("validator").success(),
        "the OpenAPI document is invalid (or openapi-spec-validator is missing: pip install openapi-spec-validator)"
    );
    assert!(api.body["paths"]["/api/planning/drafts/{id}/publish"]["post"].is_object());
    assert!(api.body["paths"]["/ogc/collections/compounds/items"]["post"].is_object());
    assert_eq!(
        api.body["components"]["schemas"]["compounds"]["properties"]["properties"]["properties"]
            ["class"]["enum"][0],
        "old"
    );
}

#[tokio::test]
async fn items_page_with_links_filter_by_bbox_and_property_and_return_one_by_id() {
    let (app, atlas, _dir, _token) = demo_app().await;
    let total = atlas.snapshot().data.compounds.len();
    let first = call(
        &app,
        Method::GET,
        "/ogc/collections/compounds/items?limit=10",
        None,
        &[],
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CONTENT_TYPE], "application/geo+json");
    assert_eq!(first.body["numberMatched"], total);
    assert_eq!(first.body["numberReturned"], 10);
    let next = first.body["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("next link")["href"]
        .as_str()
        .expect("href")
        .to_owned();
    assert!(
        next.starts_with("http://atlas.test/ogc/collections/compounds/items?")
            && next.contains("offset=10"),
        "{next}"
    );
    let path = next.trim_start_matches("http://atlas.test");
    let second = call(&app, Method::GET, path, None, &[]).await;
    assert_ne!(
        first.body["features"][0]["id"],
        second.body["features"][0]["id"]
    );

    let longnan = call(
        &app,
        Method::GET,
        "/ogc/collections/compounds/items?community_code=510504003004&limit=100",
        None,
        &[],
    )
    .await;
    assert_eq!(longnan.body["numberMatched"], 21);
    let three_no = call(
        &app,
        Method::GET,
        "/ogc/collections/compounds/items?community_code=510504003004&three_no=true",
        None,
        &[],
    )
    .await;
    assert_eq!(three_no.body["numberMatched"], 19);

    // A bbox around one compound returns it (and only what touches the box).
    let c = &atlas.snapshot().data.compounds[0];
    let p = c.geometry.exterior().0[0];
    let uri = format!(
        "/ogc/collections/compounds/items?bbox={},{},{},{}",
        p.x - 1e-6,
        p.y - 1e-6,
        p.x + 1e-6,
        p.y + 1e-6
    );
    let hit = call(&app, Method::GET, &uri, None, &[]).await;
    assert!(
        hit.body["features"]
            .as_array()
            .expect("features")
            .iter()
            .any(|f| f["id"] == c.id),
        "bbox finds compound {}",
        c.id
    );
    assert!(hit.body["numberMatched"].as_u64().expect("n") < total as u64);

    let one = call(
        &app,
        Method::GET,
        &format!("/ogc/collections/compounds/items/{}", c.id),
        None,
        &[],
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.headers[header::ETAG], "\"1\"");
    assert_eq!(one.body["properties"]["name"], c.name.as_str());
}

#[tokio::test]
async fn bad_requests_get_clear_errors_never_a_500() {
    let (app, _, _dir, _token) = demo_app().await;
    let cases = [
        (
            "/ogc/collections/roads/items",
            StatusCode::NOT_FOUND,
            "no collection \"roads\"",
        ),
        (
            "/ogc/collections/compounds/items?bbox=1,2,3",
            StatusCode::BAD_REQUEST,
            "bbox",
        ),
        (
            "/ogc/collections/compounds/items?bbox=a,b,c,d",
            StatusCode::BAD_REQUEST,
            "bbox",
        ),
        (
            "/ogc/collections/compounds/items?bbox=0,95,1,96",
            StatusCode::BAD_REQUEST,
            "bbox",
        ),
        (
            "/ogc/collections/compounds/items?limit=-1",
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/ogc/collections/compounds/items?limit=99999999",
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/ogc/collections/compounds/items?colour=red",
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            "/ogc/collections/compounds/items/abc",
            StatusCode::NOT_FOUND,
            "abc",
        ),
        (
            "/ogc/collections/compounds/items/999999",
            StatusCode::NOT_FOUND,
            "999999",
        ),
        ("/audit?since=yesterday", StatusCode::BAD_REQUEST, "since"),
        ("/nowhere", StatusCode::NOT_FOUND, "/ogc"),
    ];
    for (uri, status, mention) in cases {
        let r = call(&app, Method::GET, uri, None, &[]).await;
        assert_eq!(r.status, status, "{uri}: {}", r.body);
        assert!(
            r.body["message"]
                .as_str()
                .expect("message")
                .contains(mention),
            "{uri}: {}",
            r.body
        );
        assert!(r.body["code"].is_string(), "{uri}: stable code");
    }
}

fn new_station() -> Value {
    json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [105.4331, 28.9102] },
            "properties": { "name": "测试网格驿站", "kind": "grid_post", "community_code": "510504003004", "level": "community" } })
}

#[tokio::test]
async fn writes_without_a_valid_token_are_refused() {
    let (app, atlas, _dir, _token) = demo_app().await;
    let unauth = call(
        &app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(new_station()),
        &[],
    )
    .await;
    assert_eq!(unauth.status, StatusCode::UNAUTHORIZED);
    let wrong = call(
        &app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(new_station()),
        &[("authorization", "Bearer nope")],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(atlas.snapshot().version, 1, "nothing written");
}

#[tokio::test]
async fn writes_need_the_token_and_carry_versions() {
    let (app, _atlas, _dir, token) = demo_app().await;
    let id = create_station(&app, &token).await;
    let uri = format!("/ogc/collections/stations/items/{id}");
    rename_station_at_version_1(&app, &token, &uri).await;
    delete_station_at_version_2(&app, &token, &uri).await;
    assert_station_audit_trail(&app, id).await;
}

/// Creates [`new_station`] at version 1, readable at once; returns its id.
async fn create_station(app: &Router, token: &str) -> i64 {
    let (k, v) = auth(token);
    let created = call(
        app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(new_station()),
        &[(k, &v)],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_i64().expect("id");
    assert_eq!(created.headers[header::ETAG], "\"1\"");
    assert!(created.headers[header::LOCATION]
        .to_str()
        .expect("loc")
        .ends_with(&format!("/ogc/collections/stations/items/{id}")));
    let read = call(
        app,
        Method::GET,
        &format!("/ogc/collections/stations/items/{id}"),
        None,
        &[],
    )
    .await;
    assert_eq!(
        read.body["properties"]["name"], "测试网格驿站",
        "visible on the very next request"
    );
    id
}

/// A rename needs If-Match: without it 428, with version 1 it makes version 2, again with
/// version 1 it conflicts.
async fn rename_station_at_version_1(app: &Router, token: &str, uri: &str) {
    let (k, v) = auth(token);
    let mut renamed = new_station();
    renamed["properties"]["name"] = json!("改名后的驿站");
    let no_version = call(app, Method::PUT, uri, Some(renamed.clone()), &[(k, &v)]).await;
    assert_eq!(no_version.status, StatusCode::PRECONDITION_REQUIRED);
    let ok = call(
        app,
        Method::PUT,
        uri,
        Some(renamed.clone()),
        &[(k, &v), ("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.headers[header::ETAG], "\"2\"");
    let stale = call(
        app,
        Method::PUT,
        uri,
        Some(renamed),
        &[(k, &v), ("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.body["message"]
        .as_str()
        .expect("msg")
        .contains("expected version 1, stored version 2"));
}

/// A delete at the stale version 1 conflicts; at version 2 it removes the station.
async fn delete_station_at_version_2(app: &Router, token: &str, uri: &str) {
    let (k, v) = auth(token);
    let stale_delete = call(
        app,
        Method::DELETE,
        uri,
        None,
        &[(k, &v), ("if-match", "\"1\"")],
    )
    .await;
    assert_eq!(stale_delete.status, StatusCode::CONFLICT);
    let deleted = call(
        app,
        Method::DELETE,
        uri,
        None,
        &[(k, &v), ("if-match", "\"2\"")],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(app, Method::GET, uri, None, &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The audit log holds the create, rename and delete, by the signed-in account, newest first.
async fn assert_station_audit_trail(app: &Router, id: i64) {
    let audit = call(
        app,
        Method::GET,
        &format!("/audit?layer=stations&feature_id={id}"),
        None,
        &[],
    )
    .await;
    let ops: Vec<&str> = audit.body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["operation"].as_str().expect("op"))
        .collect();
    assert_eq!(ops, ["edit", "edit", "edit"], "create, rename, delete");
    assert_eq!(
        audit.body["entries"][0]["actor"], "admin",
        "the signed-in account is recorded"
    );
    assert!(
        audit.body["entries"][0]["after"].is_null()
            && audit.body["entries"][0]["before"]["properties"]["name"] == "改名后的驿站"
    );
}

#[tokio::test]
async fn invalid_features_are_refused_with_the_field_and_reason() {
    let (app, atlas, _dir, token) = demo_app().await;
    let (k, v) = auth(&token);
    let mut bad = new_station();
    bad["properties"]["kind"] = json!("spaceport");
    bad["properties"]["community_code"] = json!("123");
    bad["geometry"] = json!({ "type": "Point", "coordinates": [105.4, 95.0] });
    let r = call(
        &app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(bad),
        &[(k, &v)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = r.body["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["geometry", "kind", "community_code"], "{}", r.body);
    assert!(r.body["message"]
        .as_str()
        .expect("msg")
        .contains("latitude 95"));

    let mut unknown_community = new_station();
    unknown_community["properties"]["community_code"] = json!("510504999999");
    let r = call(
        &app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(unknown_community),
        &[(k, &v)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["message"]
        .as_str()
        .expect("msg")
        .contains("no community has code 510504999999"));

    let not_json = Request::builder()
        .method(Method::POST)
        .uri("/ogc/collections/stations/items")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from("{\"type\": \"Feature\", "))
        .expect("req");
    let resp = app.clone().oneshot(not_json).await.expect("resp");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let huge = Request::builder()
        .method(Method::POST)
        .uri("/ogc/collections/stations/items")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(vec![b' '; 5 * 1024 * 1024]))
        .expect("req");
    let resp = app.clone().oneshot(huge).await.expect("resp");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        atlas.snapshot().version,
        1,
        "nothing written by any refused request"
    );
}

#[tokio::test]
async fn search_finds_by_name_and_code_and_config_gives_bounds() {
    let (app, _, _dir, _token) = demo_app().await;
    let r = call(
        &app,
        Method::GET,
        "/api/search?q=%E9%BE%99%E5%8D%97",
        None,
        &[],
    )
    .await; // 龙南
    let results = r.body["results"].as_array().expect("results");
    let community = results
        .iter()
        .find(|x| x["layer"] == "communities")
        .expect("龙南社区 found");
    assert_eq!(community["code"], "510504003004");
    assert_eq!(community["name"], "龙南社区");
    let by_code = call(&app, Method::GET, "/api/search?q=510504003", None, &[]).await;
    assert_eq!(
        by_code.body["results"][0]["layer"], "streets",
        "administrative units first"
    );
    assert_eq!(by_code.body["results"][0]["name"], "红星街道");
    assert_eq!(
        call(&app, Method::GET, "/api/search?q=", None, &[])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let cfg = call(&app, Method::GET, "/api/config", None, &[]).await;
    let b = cfg.body["bounds"].as_array().expect("bounds");
    assert!(
        b[0].as_f64().expect("x") > 105.0 && b[2].as_f64().expect("x") < 106.0,
        "{b:?}"
    );
    assert!(
        cfg.body["basemap"].is_null(),
        "no basemap unless configured"
    );
    assert_eq!(cfg.body["sign_in"], "/api/session");
}

#[tokio::test]
async fn cross_origin_pages_may_read_but_never_write_and_security_headers_are_set() {
    let (app, _, _dir, _token) = demo_app().await;
    let r = call(
        &app,
        Method::GET,
        "/ogc/collections",
        None,
        &[("origin", "https://other.example")],
    )
    .await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["x-frame-options"], "DENY");
    assert!(r.headers.get("access-control-allow-credentials").is_none());
    let preflight = call(
        &app,
        Method::OPTIONS,
        "/ogc/collections/stations/items",
        None,
        &[
            ("origin", "https://other.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization"),
        ],
    )
    .await;
    let methods = preflight
        .headers
        .get("access-control-allow-methods")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        !methods.contains("POST"),
        "no cross-origin writes: {methods}"
    );
    let allowed = preflight
        .headers
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        !allowed.to_ascii_lowercase().contains("authorization"),
        "{allowed}"
    );
}
