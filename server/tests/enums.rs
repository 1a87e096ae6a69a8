//! `GET /api/enums`: the enum values and field labels the web map shows, checked against the
//! queryables (which every GIS client sees) and against the values the demo data holds.

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::Value;

async fn demo_app() -> (Router, tempfile::TempDir) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    (app(AppState::new(atlas, Config::default())), dir)
}

async fn get(app: &Router, uri: &str) -> Value {
    let (status, body) = common::send(app, Method::GET, uri, None, None, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// enum name → wire name → (zh, en).
fn labels_by_enum(body: &Value) -> HashMap<String, HashMap<String, (String, String)>> {
    let mut out = HashMap::new();
    for e in body["enums"].as_array().expect("enums") {
        let values = e["values"].as_array().expect("values");
        let by_name = values
            .iter()
            .map(|v| {
                let s = |k: &str| v[k].as_str().expect(k).to_owned();
                (s("name"), (s("label_zh"), s("label_en")))
            })
            .collect();
        out.insert(e["name"].as_str().expect("name").to_owned(), by_name);
    }
    out
}

#[tokio::test]
async fn enums_carry_both_labels_and_every_field_matches_the_queryables() {
    let (app, _dir) = demo_app().await;
    let body = get(&app, "/api/enums").await;
    let enums = labels_by_enum(&body);
    assert_eq!(
        enums.len(),
        15,
        "every domain enum, grid work's six included"
    );
    assert_eq!(
        enums["need_category"]["repair"],
        ("维修改造".to_owned(), "Repairs".to_owned())
    );
    assert_eq!(enums["visit_kind"]["errand"].0, "代办服务");
    assert_eq!(
        enums["compound_class"]["old"],
        ("老旧小区".to_owned(), "Old compound".to_owned())
    );
    assert_eq!(enums["service_type"]["elderly_care"].0, "养老服务");

    let layers = body["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 9, "every layer");
    for l in layers {
        let layer = l["layer"].as_str().expect("layer");
        let q = get(&app, &format!("/ogc/collections/{layer}/queryables")).await;
        let props = q["properties"].as_object().expect("properties");
        let fields = l["fields"].as_array().expect("fields");
        assert_eq!(fields.len(), props.len(), "{layer}: the same fields");
        for f in fields {
            let name = f["name"].as_str().expect("name");
            let p = &props[name];
            assert_eq!(f["label_zh"], p["title"], "{layer}.{name}");
            assert_eq!(f["label_en"], p["description"], "{layer}.{name}");
            assert_eq!(f["derived"], p["readOnly"] == true, "{layer}.{name}");
            let listed = if f["list"] == true {
                &p["items"]["enum"]
            } else {
                &p["enum"]
            };
            match f["enum"].as_str() {
                Some(e) => {
                    let mut served: Vec<&String> = enums[e].keys().collect();
                    let mut queryable: Vec<String> = listed
                        .as_array()
                        .expect("enum values")
                        .iter()
                        .map(|v| v.as_str().expect("wire").to_owned())
                        .collect();
                    served.sort();
                    queryable.sort();
                    assert_eq!(
                        served,
                        queryable.iter().collect::<Vec<_>>(),
                        "{layer}.{name}"
                    );
                }
                None => assert!(listed.is_null(), "{layer}.{name} has values but no enum"),
            }
        }
    }
}

#[tokio::test]
async fn every_enum_value_in_the_demo_data_has_a_label() {
    let (app, _dir) = demo_app().await;
    let body = get(&app, "/api/enums").await;
    let enums = labels_by_enum(&body);
    let mut checked = 0;
    for l in body["layers"].as_array().expect("layers") {
        let layer = l["layer"].as_str().expect("layer");
        let items = get(&app, &format!("/ogc/collections/{layer}/items?limit=10000")).await;
        for f in l["fields"].as_array().expect("fields") {
            let Some(e) = f["enum"].as_str() else {
                continue;
            };
            let name = f["name"].as_str().expect("name");
            for item in items["features"].as_array().expect("features") {
                let v = &item["properties"][name];
                let values: Vec<&str> = match v {
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    Value::String(s) => s.split(',').collect(),
                    _ => continue,
                };
                for w in values {
                    assert!(enums[e].contains_key(w), "{layer}.{name} = {w}: no label");
                    checked += 1;
                }
            }
        }
    }
    assert!(
        checked > 100,
        "the demo has enum values in several layers ({checked})"
    );
}
