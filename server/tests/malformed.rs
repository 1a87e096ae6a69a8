//! A corpus of malformed inputs against the API and the importers: every one is refused with a 4xx
//! (or a problem list) that names the problem, none gets a 500 or a panic, and nothing is written.

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use engine::crs::Crs;
use engine::Layer;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::io;
use serde_json::{json, Value};
use tower::ServiceExt;

fn station(geometry: Value, props: Value) -> String {
    json!({ "type": "Feature", "geometry": geometry, "properties": props }).to_string()
}

fn ok_props() -> Value {
    json!({ "name": "测试站点", "kind": "grid_post", "community_code": "510504003004", "level": "community" })
}

fn point() -> Value {
    json!({ "type": "Point", "coordinates": [105.44, 28.91] })
}

/// (what, body, expected status, a word the message must contain)
fn corpus() -> Vec<(&'static str, String, StatusCode, &'static str)> {
    let with = |k: &str, v: Value| {
        let mut p = ok_props();
        p[k] = v;
        station(point(), p)
    };
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    vec![
        ("broken JSON", "{\"type\": \"Feature\", ".into(), StatusCode::BAD_REQUEST, "JSON"),
        ("not an object", "[1, 2, 3]".into(), StatusCode::BAD_REQUEST, "Feature"),
        ("deeply nested", nested, StatusCode::BAD_REQUEST, "JSON"),
        ("number out of range", "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1e999,1]},\"properties\":{}}".into(), StatusCode::BAD_REQUEST, "JSON"),
        ("empty feature", "{\"type\":\"Feature\"}".into(), StatusCode::BAD_REQUEST, "geometry"),
        ("null geometry", "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}".into(), StatusCode::UNPROCESSABLE_ENTITY, "geometry: missing"),
        ("LineString for a station", station(json!({ "type": "LineString", "coordinates": [[105.4, 28.9], [105.5, 28.9]] }), ok_props()), StatusCode::UNPROCESSABLE_ENTITY, "expected Point"),
        ("huge coordinates", station(json!({ "type": "Point", "coordinates": [1e300, 1e300] }), ok_props()), StatusCode::UNPROCESSABLE_ENTITY, "longitude"),
        ("empty coordinates", station(json!({ "type": "Point", "coordinates": [] }), ok_props()), StatusCode::BAD_REQUEST, "GeoJSON"),
        ("wrong type for a field", with("level", json!(3)), StatusCode::UNPROCESSABLE_ENTITY, "level"),
        ("NaN as text", with("floor_area", json!("NaN")), StatusCode::UNPROCESSABLE_ENTITY, "floor_area"),
        ("negative area", with("floor_area", json!(-10.0)), StatusCode::UNPROCESSABLE_ENTITY, "floor_area"),
        ("unknown field", with("colour", json!("red")), StatusCode::UNPROCESSABLE_ENTITY, "unknown field"),
        ("control characters", with("name", json!("站点\u{0007}")), StatusCode::UNPROCESSABLE_ENTITY, "control"),
        ("overlong name", with("name", json!("站".repeat(500))), StatusCode::UNPROCESSABLE_ENTITY, "at most"),
        ("bad community code", with("community_code", json!("5105'; --")), StatusCode::UNPROCESSABLE_ENTITY, "community_code"),
        ("unknown community", with("community_code", json!("999999999999")), StatusCode::UNPROCESSABLE_ENTITY, "no community"),
        ("enormous body", "x".repeat(6 * 1024 * 1024), StatusCode::PAYLOAD_TOO_LARGE, ""),
    ]
}

#[tokio::test]
async fn every_malformed_body_is_refused_by_name_and_nothing_is_written() {
    let (store, _dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let token = common::sign_in(&app, "admin").await;
    let version = atlas.snapshot().version;
    let existing = atlas.snapshot().data.stations[0].id;
    for (what, body, status, word) in corpus() {
        for (method, uri, if_match) in [
            (
                Method::POST,
                "/ogc/collections/stations/items".to_owned(),
                None,
            ),
            (
                Method::PUT,
                format!("/ogc/collections/stations/items/{existing}"),
                Some("\"1\""),
            ),
        ] {
            let mut req = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header("authorization", format!("Bearer {token}"));
            if let Some(m) = if_match {
                req = req.header("if-match", m);
            }
            let resp = app
                .clone()
                .oneshot(req.body(Body::from(body.clone())).expect("req"))
                .await
                .expect("resp");
            let got = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .expect("body");
            assert_ne!(got, StatusCode::INTERNAL_SERVER_ERROR, "{what} ({method})");
            assert_eq!(
                got,
                status,
                "{what} ({method}): {}",
                String::from_utf8_lossy(&bytes)
            );
            if status != StatusCode::PAYLOAD_TOO_LARGE {
                let v: Value = serde_json::from_slice(&bytes).expect("a JSON error");
                let message = v["message"].as_str().expect("message");
                assert!(
                    message.contains(word),
                    "{what} ({method}): the message names the problem: {message}"
                );
            }
        }
    }
    assert_eq!(atlas.snapshot().version, version, "nothing was written");

    // SQL-looking text is data, stored and returned verbatim.
    let sql = "Robert'); DROP TABLE stations; --";
    let body = station(
        point(),
        json!({ "name": sql, "kind": "grid_post", "community_code": "510504003004", "level": "community" }),
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri("/ogc/collections/stations/items")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("req");
    let resp = app.clone().oneshot(req).await.expect("resp");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let (_, reloaded) = atlas
        .store()
        .load()
        .await
        .expect("the stations table is still there");
    assert!(reloaded.stations.iter().any(|s| s.name == sql));
}

#[test]
fn malformed_files_give_problems_not_panics() {
    let cases: Vec<(&str, &str)> = vec![
        ("", "json"),
        ("null", "type"),
        ("{\"type\":\"FeatureCollection\"}", "features"),
        ("{\"type\":\"FeatureCollection\",\"features\":[1,\"x\",null]}", "feature"),
        ("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[1,1],[2,2],[1,1]]]},\"properties\":{}}]}", "at least 4"),
        ("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[]},\"properties\":{}}", "no rings"),
    ];
    for (text, word) in cases {
        let problems = io::read_geojson(Layer::Compounds, text, Crs::Wgs84).expect_err(text);
        assert!(
            problems.iter().any(|p| p.to_string().contains(word)),
            "{text}: {problems:?}"
        );
    }
    let csv_cases: Vec<(&str, &str)> = vec![
        ("", "lon and lat"),
        ("name,lon,lat\n站点,abc,28.9\n", "row 2: column lon (geometry): \"abc\" is not a coordinate"),
        ("name,kind,community_code,level,lon,lat\n站点,grid_post,510504003004,community,105.4\n", "unreadable row"),
        ("name,kind,community_code,level,wkt\n站点,grid_post,510504003004,community,POINT(\n", "not WKT"),
        ("name,kind,community_code,level,wkt\n站点,grid_post,510504003004,community,\"CIRCULARSTRING(1 1, 2 2, 3 1)\"\n", "WKT"),
    ];
    for (text, word) in csv_cases {
        let problems = io::read_csv(Layer::Stations, text, Crs::Wgs84).expect_err(text);
        assert!(
            problems.iter().any(|p| p.to_string().contains(word)),
            "{text}: {problems:?}"
        );
    }
}

/// Gates 小区出入口 come in from CSV with lon/lat like stations and go out the same way; a gate
/// without its compound or with an unknown kind is refused by name.
#[test]
fn gates_round_trip_through_csv_and_bad_rows_name_the_field() {
    let text = "name,community_code,compound_id,kind,lon,lat\n北门,510504003004,3,vehicle,105.4401,28.9102\n";
    let gates = io::read_csv(Layer::Gates, text, Crs::Wgs84).expect("a valid gate");
    let engine::Feature::Gate(g) = &gates[0] else {
        panic!("{gates:?}")
    };
    assert_eq!(
        (g.name.as_deref(), g.compound_id, g.kind),
        (Some("北门"), 3, engine::GateKind::Vehicle)
    );
    assert_eq!(
        io::csv_header(Layer::Gates),
        [
            "id",
            "version",
            "name",
            "community_code",
            "compound_id",
            "kind",
            "lon",
            "lat"
        ]
    );
    let record = io::csv_record(&gates[0]);
    assert_eq!(record[6..], ["105.4401".to_owned(), "28.9102".to_owned()]);
    for (row, word) in [
        (
            "北门,510504003004,,vehicle,105.44,28.91",
            "row 2: compound_id: required",
        ),
        (
            "北门,510504003004,3,gate,105.44,28.91",
            "row 2: kind: \"gate\" is not one of 人行出入口 (pedestrian)、",
        ),
    ] {
        let text = format!("name,community_code,compound_id,kind,lon,lat\n{row}\n");
        let problems = io::read_csv(Layer::Gates, &text, Crs::Wgs84).expect_err(row);
        assert!(
            problems.iter().any(|p| p.to_string().contains(word)),
            "{row}: {problems:?}"
        );
    }
}
