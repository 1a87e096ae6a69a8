//! Walking over HTTP on the demo district, whose ways cross 沱江 and 长江 only at bridges: the
//! analyses measure on foot by default and report both distances; a compound across a river
//! from its elderly care is covered in a straight line and not on foot, and a footbridge drawn
//! through the API covers it in the next request; isochrones, routes and the network's state;
//! bad parameters are 400s naming them, and without ways the walking requests are 409s.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::Router;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};

use crate::common;

async fn app_of(data: engine::Dataset) -> (Router, tempfile::TempDir, String) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data).await.expect("load");
    common::add_account(&store, "planner", "planner", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas, Config::default()));
    let token = common::sign_in(&app, "planner").await;
    (app, dir, token)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    common::send(app, Method::GET, uri, None, None, None).await
}

fn elderly(unit: &Value) -> &Value {
    unit["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == "elderly_care")
        .expect("elderly care")
}

/// The compounds of a units answer (scattered buildings left out).
fn lost_on_foot_compounds(units: &Value) -> Vec<&Value> {
    units["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["kind"] == "compound")
        .collect()
}

/// The compounds covered for elderly care in a straight line and not on foot.
fn lose_on_foot(units: &Value) -> Vec<&Value> {
    units["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter(|u| u["kind"] == "compound")
        .filter(|u| elderly(u)["covered_straight"] == true && elderly(u)["covered_walk"] == false)
        .collect()
}

#[tokio::test]
async fn the_demo_measures_on_foot_and_a_new_footbridge_counts_in_the_next_request() {
    let (app, _dir, token) = app_of(data::demo_district()).await;
    let (status, units) = get(&app, "/api/coverage/units").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        units["measured"]["metric"], "walk",
        "walking is the default with ways"
    );
    assert_eq!(units["measured"]["walking_speed_mps"], 1.0);
    assert!(
        units["measured"]["network"]["edges"]
            .as_u64()
            .expect("edges")
            > 1000
    );
    let losing = lose_on_foot(&units);
    let communities: std::collections::BTreeSet<&str> = losing
        .iter()
        .filter_map(|u| u["community_code"].as_str())
        .collect();
    assert!(
        communities.len() >= 2,
        "straight-line and walking coverage differ in at least two communities: {communities:?}"
    );
    for u in &losing {
        let e = elderly(u);
        let (straight, walk) = (
            e["straight_m"].as_f64().expect("straight"),
            e["walk_m"].as_f64().expect("walk"),
        );
        assert!(straight <= 500.0 && walk > 500.0 && e["covered"] == false);
        assert!((e["detour"].as_f64().expect("detour") - walk / straight).abs() < 1e-9);
        assert!((e["minutes"].as_f64().expect("minutes") - walk / 60.0).abs() < 1e-6);
    }
    // The server lists them itself, and one unit at a time.
    let (_, lost) = get(
        &app,
        "/api/coverage/units?service=elderly_care&lost_on_foot=true",
    )
    .await;
    let ids = |v: Vec<&Value>| -> Vec<Value> { v.iter().map(|u| u["id"].clone()).collect() };
    assert_eq!(ids(lost_on_foot_compounds(&lost)), ids(losing.clone()));
    let one = format!("/api/coverage/units?unit=compound:{}", losing[0]["id"]);
    let (_, one) = get(&app, &one).await;
    assert_eq!(one["units"].as_array().map(Vec::len), Some(1));
    // At an older resident's slower pace the same walk takes longer; the verdicts stay.
    let (_, slow) = get(&app, "/api/coverage/units?walking_speed=0.5").await;
    let same_unit = |body: &Value, id: &Value| -> Value {
        elderly(
            body["units"]
                .as_array()
                .expect("units")
                .iter()
                .find(|u| &u["id"] == id && u["kind"] == "compound")
                .expect("unit"),
        )
        .clone()
    };
    let (fast, slow) = (
        same_unit(&units, &losing[0]["id"]),
        same_unit(&slow, &losing[0]["id"]),
    );
    let minutes = |e: &Value| e["minutes"].as_f64().expect("minutes");
    assert!(
        (minutes(&slow) - 2.0 * minutes(&fast)).abs() < 1e-6 && slow["covered"] == fast["covered"]
    );
    // The same units by straight line: those compounds are covered.
    let (_, straight) = get(&app, "/api/coverage/units?metric=straight").await;
    assert_eq!(straight["measured"]["metric"], "straight");
    // One with gates: its route leaves from a gate, a vertex of its compound's path.
    let gated = *losing
        .iter()
        .find(|u| u["gates"].as_u64() > Some(0))
        .expect("a gated compound that loses coverage on foot");
    let id = gated["id"].clone();
    let same = straight["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["id"] == id && u["kind"] == "compound")
        .expect("the compound");
    assert_eq!(elderly(same)["covered"], true);

    // Its route crosses the river on a bridge and is as long as its walk.
    let (status, routes) = get(&app, &format!("/api/routes?compound={id}")).await;
    assert_eq!(status, StatusCode::OK);
    let route = routes["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["service"] == "elderly_care")
        .expect("an elderly-care route");
    assert_eq!(route["geometry"]["type"], "LineString");
    let walk = elderly(gated)["walk_m"].as_f64().expect("walk");
    assert!((route["properties"]["distance_m"].as_f64().expect("d") - walk).abs() < 1e-6);

    // A footbridge drawn through the API from the compound's gate (a vertex of its path) to the
    // route's last crossing on the far bank (a vertex there): ways meet at shared vertices, so the
    // next request walks over it.
    let facility = &elderly(gated)["nearest"];
    let line = route["geometry"]["coordinates"].as_array().expect("line");
    assert!(
        line.len() >= 5,
        "gate, its join, nodes, the facility's join and the facility"
    );
    let (from, to) = (&line[0], &line[line.len() - 3]);
    let bridge = json!({ "type": "Feature",
        "properties": { "name": "测试人行桥", "kind": "footway", "bridge": true },
        "geometry": { "type": "LineString", "coordinates": [from, to] } });
    let (status, body) = common::send(
        &app,
        Method::POST,
        "/ogc/collections/ways/items",
        Some(&token),
        None,
        Some(&bridge),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, after) = get(&app, "/api/coverage/units").await;
    let unit = after["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["id"] == id && u["kind"] == "compound")
        .expect("the compound");
    let e = elderly(unit);
    assert!(
        e["walk_m"].as_f64().expect("walk") < walk,
        "the bridge shortens the walk from {walk}: {e}\nroute {route}\nbridge {body}"
    );
    assert_eq!(&e["nearest"], facility);

    // Isochrones of elderly care: three bands, nested, as GeoJSON.
    let (status, iso) = get(&app, "/api/isochrones?service=elderly_care&minutes=15,5,10").await;
    assert_eq!(status, StatusCode::OK);
    let minutes: Vec<f64> = iso["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["minutes"].as_f64().expect("minutes"))
        .collect();
    assert_eq!(minutes, vec![5.0, 10.0, 15.0]);
    assert!(iso["features"][0]["geometry"]["coordinates"]
        .as_array()
        .is_some_and(|c| !c.is_empty()));
    let one = facility["layer"].as_str().expect("layer");
    let (status, _) = get(
        &app,
        &format!(
            "/api/isochrones?service=elderly_care&facility={one}:{}",
            facility["id"]
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The network's state lists what is not joined.
    let (status, net) = get(&app, "/api/network").await;
    assert_eq!(status, StatusCode::OK);
    assert!(net["unjoined"].is_array() && net["join_limit_m"] == 300.0);
}

#[tokio::test]
async fn bad_walking_parameters_are_named_and_without_ways_walking_is_a_409() {
    let (app, _dir, _) = app_of(data::demo_district()).await;
    for (uri, names) in [
        ("/api/coverage/units?metric=fly", "metric"),
        ("/api/coverage/units?walking_speed=9", "walking_speed"),
        ("/api/coverage/units?unit=grid:1", "unit"),
        ("/api/coverage/units?lost_on_foot=true", "service"),
        ("/api/isochrones?minutes=0", "minutes"),
        ("/api/isochrones?minutes=ten", "minutes"),
        ("/api/isochrones?minutes=1,2,3,4,5,6,7", "minutes"),
        ("/api/isochrones?facility=compounds:1", "facility"),
        ("/api/isochrones?facility=service_spaces:999999", "facility"),
        ("/api/isochrones?service=swimming", "service"),
        ("/api/routes", "compound"),
        ("/api/routes?compound=abc", "unit id"),
        ("/api/routes?compound=999999", "no compound"),
        ("/tiles/isochrones/14/13157/6843.mvt?minutes=-1", "minutes"),
    ] {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains(names)),
            "{uri}: {body}"
        );
    }

    let mut no_ways = data::demo_district();
    no_ways.ways.clear();
    let (app, _dir2, _) = app_of(no_ways).await;
    let (status, units) = get(&app, "/api/coverage/units?metric=walk").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(units["measured"]["metric"], "straight");
    assert_eq!(units["measured"]["walking_available"], false);
    for uri in ["/api/isochrones", "/api/routes?compound=1"] {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::CONFLICT, "{uri}: {body}");
        assert_eq!(body["code"], "no_walking_network");
        assert!(body["message"]
            .as_str()
            .is_some_and(|m| m.contains("no walking network")));
    }
}

#[tokio::test]
async fn malformed_ways_are_refused_naming_the_field_and_nothing_is_written() {
    let (app, _dir, token) = app_of(data::demo_district()).await;
    let (_, before) = get(&app, "/ogc/collections/ways/items?limit=1").await;
    let line = json!({ "type": "LineString", "coordinates": [[105.44, 28.91], [105.441, 28.911]] });
    let cases: Vec<(Value, Value, &str)> = vec![
        (
            json!({ "type": "Point", "coordinates": [105.44, 28.91] }),
            json!({ "kind": "footway" }),
            "geometry",
        ),
        (
            json!({ "type": "LineString", "coordinates": [] }),
            json!({ "kind": "footway" }),
            "geometry",
        ),
        (
            json!({ "type": "LineString", "coordinates": [[105.44, 28.91], [105.44, 28.91]] }),
            json!({ "kind": "footway" }),
            "geometry",
        ),
        (
            json!({ "type": "LineString", "coordinates": [[105.44, 28.91], [1e300, 28.91]] }),
            json!({ "kind": "footway" }),
            "geometry",
        ),
        (
            json!({ "type": "MultiLineString", "coordinates": [] }),
            json!({ "kind": "footway" }),
            "geometry",
        ),
        (line.clone(), json!({ "kind": "lane" }), "kind"),
        (line.clone(), json!({}), "kind"),
        (
            line.clone(),
            json!({ "kind": "footway", "compound_id": 99_999_999 }),
            "compound_id",
        ),
        (
            line.clone(),
            json!({ "kind": "footway", "street_code": "510504999" }),
            "street_code",
        ),
        (
            line.clone(),
            json!({ "kind": "footway", "street_code": "51" }),
            "street_code",
        ),
        (
            line.clone(),
            json!({ "kind": "footway", "osm_way": 0 }),
            "osm_way",
        ),
        (
            line.clone(),
            json!({ "kind": "footway", "bridge": "maybe" }),
            "bridge",
        ),
        (
            line.clone(),
            json!({ "kind": "footway", "name": "路".repeat(101) }),
            "name",
        ),
        (line, json!({ "kind": "footway", "lanes": 2 }), "lanes"),
    ];
    for (geometry, properties, field) in cases {
        let body = json!({ "type": "Feature", "geometry": geometry, "properties": properties });
        let (status, reply) = common::send(
            &app,
            Method::POST,
            "/ogc/collections/ways/items",
            Some(&token),
            None,
            Some(&body),
        )
        .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
            "{body}: {status} {reply}"
        );
        assert!(
            reply.to_string().contains(field),
            "{body}: names {field}: {reply}"
        );
    }
    let (_, after) = get(&app, "/ogc/collections/ways/items?limit=1").await;
    assert_eq!(
        after["numberMatched"], before["numberMatched"],
        "nothing was written"
    );
}
