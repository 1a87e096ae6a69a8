//! Coverage analyses over HTTP on the demo district, and agreement with a PostGIS computation
//! (nearest facility by `ST_Distance` on geography) for every compound and service.

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use engine::analysis::{CountedNames, Coverage, DistanceMetric, Standards, UnitKind};
use engine::ServiceType;
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};
use tower::ServiceExt;

const LONGNAN: &str = "510504003004";
const UNDERSERVED: [&str; 2] = ["510504003001", "510504003002"];

async fn demo_app() -> (Router, Arc<Atlas>, tempfile::TempDir) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    (
        app(AppState::new(atlas.clone(), Config::default())),
        atlas,
        dir,
    )
}

/// The response to a GET of `uri`, without a token.
async fn respond(app: &Router, uri: &str) -> axum::response::Response {
    app.clone()
        .oneshot(
            Request::builder()
                .uri(uri)
                .body(Body::empty())
                .expect("req"),
        )
        .await
        .expect("resp")
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value, String) {
    let resp = respond(app, uri).await;
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
}

fn service<'a>(area: &'a Value, name: &str) -> &'a Value {
    area["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == name)
        .expect("service row")
}

#[tokio::test]
async fn coverage_per_area_and_per_unit_with_governance_indicators() {
    let (app, atlas, _dir) = demo_app().await;
    let (s, body, _) = get(
        &app,
        &format!("/api/coverage?level=community&code={LONGNAN}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let longnan = &body["areas"][0];
    assert_eq!(longnan["name"], "龙南社区");
    assert_eq!(longnan["governance"]["compounds"], 21);
    assert_eq!(longnan["governance"]["three_no_compounds"], 19);
    assert!(
        longnan["floor_area"]["minimum"].as_f64() == Some(30.0),
        "{}",
        longnan["floor_area"]
    );
    assert_eq!(longnan["checklist"].as_array().expect("checklist").len(), 5);
    for level in ["grid", "street", "all"] {
        let (s, body, _) = get(&app, &format!("/api/coverage?level={level}")).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            !body["areas"].as_array().expect("areas").is_empty(),
            "{level}"
        );
    }
    // The deliberately underserved communities show up as such, next to a served neighbour.
    for code in UNDERSERVED {
        let (_, body, _) = get(&app, &format!("/api/coverage?level=community&code={code}")).await;
        let pct = service(&body["areas"][0], "elderly_care")["target_pct"]
            .as_f64()
            .expect("pct");
        assert!(pct < 10.0, "{code}: elderly-care coverage {pct} %");
    }
    let (_, body, _) = get(
        &app,
        &format!("/api/coverage/units?community_code={LONGNAN}&metric=straight"),
    )
    .await;
    let units = body["units"].as_array().expect("units");
    let compounds = units.iter().filter(|u| u["kind"] == "compound").count();
    assert_eq!(compounds, 21);
    assert!(
        units.iter().any(|u| u["kind"] != "compound"),
        "scattered buildings are units too"
    );
    let reach = &units[0]["services"][0];
    assert!(
        reach["distance_m"].is_number()
            && reach["threshold_m"].is_number()
            && reach["covered"].is_boolean(),
        "{reach}"
    );
    assert_eq!(body["data_version"], atlas.snapshot().version);
    let (s, body, _) = get(&app, "/api/coverage?level=county").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn an_official_changing_a_threshold_sees_coverage_change() {
    let (app, _, _dir) = demo_app().await;
    let (_, base, _) = get(&app, "/api/coverage?level=all").await;
    let (_, strict, _) = get(
        &app,
        "/api/coverage?level=all&service=elderly_care&threshold=100",
    )
    .await;
    let (b, t) = (
        service(&base["areas"][0], "elderly_care"),
        service(&strict["areas"][0], "elderly_care"),
    );
    assert_eq!(t["threshold_m"], 100.0);
    assert!(
        t["households_covered"].as_i64() < b["households_covered"].as_i64(),
        "{b} vs {t}"
    );
    let (s, body, _) = get(
        &app,
        "/api/coverage?level=all&service=elderly_care&threshold=-5",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    let (s, body, _) = get(&app, "/api/coverage?level=all&service=spa&threshold=300").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_underserved_list_puts_the_demo_underserved_compounds_first_with_their_evidence() {
    let (app, _, _dir) = demo_app().await;
    let (s, body, _) = get(&app, "/api/underserved?three_no_only=true").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let rows = body["rows"].as_array().expect("rows");
    assert!(rows.len() >= 10);
    for row in &rows[..10] {
        assert!(
            UNDERSERVED.contains(&row["community_code"].as_str().expect("code")),
            "{row}"
        );
        assert_eq!(row["flags"]["three_no"], true);
        let elderly = row["services"]
            .as_array()
            .expect("evidence")
            .iter()
            .find(|e| e["service"] == "elderly_care")
            .expect("elderly care evidence");
        assert_eq!(elderly["within"], false);
        assert!(
            elderly["distance_m"].as_f64().expect("d")
                > elderly["threshold_m"].as_f64().expect("t")
        );
        assert!(
            elderly["source"].as_str().is_some_and(|s| !s.is_empty()),
            "the standard is named"
        );
    }
    let (s, _, csv) = get(&app, "/api/underserved?three_no_only=true&format=csv").await;
    assert_eq!(s, StatusCode::OK);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .expect("header")
        .starts_with("rank,tier,compound_id,name,community_code"));
    assert_eq!(lines.count(), rows.len(), "one CSV line per row");
    let (_, filtered, _) = get(
        &app,
        "/api/underserved?three_no_only=true&build_year_min=2050",
    )
    .await;
    assert!(filtered["rows"].as_array().expect("rows").is_empty());
}

#[tokio::test]
async fn heatmap_and_coverage_change_after_a_new_service_space_and_siting_suggests_sites() {
    let (app, atlas, _dir) = demo_app().await;
    let total_uncovered = |v: &Value| {
        v["features"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| c["properties"]["households_uncovered"].as_f64().expect("n"))
            .sum::<f64>()
    };
    let (s, before, _) = get(&app, "/api/heatmap?service=elderly_care&resolution=9").await;
    assert_eq!(s, StatusCode::OK, "{before}");
    assert_eq!(before["features"][0]["geometry"]["type"], "Polygon");
    let (_, r10, _) = get(&app, "/api/heatmap?service=elderly_care&resolution=10").await;
    assert!(
        r10["features"].as_array().expect("cells").len()
            > before["features"].as_array().expect("cells").len()
    );

    let (_, sites, _) = get(&app, "/api/siting?service=elderly_care&k=2").await;
    let chosen = sites["result"]["sites"].as_array().expect("sites");
    assert_eq!(chosen.len(), 2);
    assert!(chosen[0]["gain_target"].as_f64().expect("gain") > 0.0);

    // An elderly-care space where the first site was suggested.
    let snap = atlas.snapshot();
    let [lon, lat] = [
        chosen[0]["lonlat"][0].as_f64().expect("lon"),
        chosen[0]["lonlat"][1].as_f64().expect("lat"),
    ];
    let community = snap
        .data
        .compounds
        .iter()
        .find(|c| UNDERSERVED.contains(&c.community_code.as_str()))
        .expect("compound")
        .community_code
        .clone();
    let token = common::sign_in(&app, "admin").await;
    let space = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "name": "新建社区养老服务站", "community_code": community, "services": ["elderly_care", "meal_help"],
                        "floor_area": 320.0, "operating_model": "public_benefit", "level": "community" } });
    let req = Request::builder()
        .method(Method::POST)
        .uri("/ogc/collections/service_spaces/items")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(space.to_string()))
        .expect("req");
    assert_eq!(
        app.clone().oneshot(req).await.expect("resp").status(),
        StatusCode::CREATED
    );
    let (_, after, _) = get(&app, "/api/heatmap?service=elderly_care&resolution=9").await;
    assert!(
        total_uncovered(&after) < total_uncovered(&before),
        "fewer households uncovered after the new space"
    );
    assert!(after["data_version"].as_i64() > before["data_version"].as_i64());
}

/// A compound 100 m from an elderly-care space but whose only gate is on the far side is not
/// covered within 300 m; a gate facing the space, added through the API, covers it on the next
/// request.
#[tokio::test]
async fn a_compound_is_measured_from_its_gates_and_a_new_gate_changes_its_coverage() {
    let g = GatedCompound::new().await;
    // Only the west gate: 500 m, not covered although the polygon is 100 m away.
    let (gates, d, covered) = g.reach().await;
    assert_eq!(gates, Some(1));
    assert!((d - 500.0).abs() < 1.0, "{d}");
    assert_eq!(covered, Some(false));
    // An east gate facing the space: 100 m, covered.
    let (s, east) = g.post_gate(400.0, 50.0, "东门").await;
    assert_eq!(s, StatusCode::CREATED, "{east}");
    let (gates, d, covered) = g.reach().await;
    assert_eq!(gates, Some(2));
    assert!((d - 100.0).abs() < 1.0, "{d}");
    assert_eq!(covered, Some(true));
}

/// A gate 200 m off its compound is refused, naming the geometry and the 50 m rule.
#[tokio::test]
async fn a_gate_far_from_its_compound_is_refused() {
    let g = GatedCompound::new().await;
    let (s, reply) = g.post_gate(200.0, 300.0, "北门").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
    let text = reply.to_string();
    assert!(
        text.contains("geometry") && text.contains("200 m") && text.contains("within 50 m"),
        "{text}"
    );
}

/// A compound cannot be deleted while it has gates.
#[tokio::test]
async fn a_compound_with_gates_cannot_be_deleted() {
    let g = GatedCompound::new().await;
    let (s, reply) = common::send(
        &g.app,
        Method::DELETE,
        &format!("/ogc/collections/compounds/items/{}", g.compound_id),
        Some(&g.token),
        Some(1),
        None,
    )
    .await;
    assert!(s.is_client_error(), "{s} {reply}");
    assert!(reply.to_string().contains("gates"), "{reply}");
    assert!(g
        .atlas
        .snapshot()
        .feature(engine::Layer::Compounds, g.compound_id)
        .is_some());
}

/// A compound 400 m × 100 m in a town community outside 红星街道 (no embedded services around),
/// an elderly-care space 100 m east of its east edge and one gate on its west side, all added
/// through the API.
struct GatedCompound {
    app: Router,
    atlas: Arc<Atlas>,
    _dir: tempfile::TempDir,
    token: String,
    /// The town community's code.
    code: String,
    /// Metres east/north of the community's centre.
    frame: engine::crs::LocalFrame,
    compound_id: i64,
}

impl GatedCompound {
    async fn new() -> Self {
        let (app, atlas, dir) = demo_app().await;
        let token = common::sign_in(&app, "admin").await;
        let snap = atlas.snapshot();
        let town = snap
            .data
            .communities
            .iter()
            .find(|c| c.street_code != data::HONGXING_STREET)
            .expect("a community of another street");
        let centre = geo::Centroid::centroid(&town.geometry).expect("centroid").0;
        let mut g = GatedCompound {
            code: town.code.clone(),
            frame: engine::analysis::metric_frame(centre),
            app,
            atlas: atlas.clone(),
            _dir: dir,
            token,
            compound_id: 0,
        };
        g.compound_id = g.post_compound().await;
        g.post_space().await;
        let (s, reply) = g.post_gate(0.0, 50.0, "西门").await;
        assert_eq!(s, StatusCode::CREATED, "{reply}");
        g
    }

    /// Position `(x, y)` metres from the community's centre, as `GeoJSON` coordinates.
    fn at(&self, x: f64, y: f64) -> Value {
        let c = self.frame.to_lonlat(geo_types::coord! { x: x, y: y });
        json!([c.x, c.y])
    }

    /// Creates the long compound; returns its id.
    async fn post_compound(&self) -> i64 {
        let at = |x, y| self.at(x, y);
        let compound = json!({ "type": "Feature",
            "geometry": { "type": "Polygon", "coordinates": [[at(0.0, 0.0), at(400.0, 0.0), at(400.0, 100.0), at(0.0, 100.0), at(0.0, 0.0)]] },
            "properties": { "name": "长条院落", "community_code": self.code, "households": 120, "population": 300, "elderly": 90,
                            "class": "old", "property_management": "none", "owners_committee": false, "competent_unit": false } });
        let (s, created) = self.post("compounds", &compound).await;
        assert_eq!(s, StatusCode::CREATED, "{created}");
        created["id"].as_i64().expect("id")
    }

    /// Creates the elderly-care space 100 m east of the compound.
    async fn post_space(&self) {
        let space = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": self.at(500.0, 50.0) },
            "properties": { "name": "镇养老服务站", "community_code": self.code, "services": ["elderly_care"],
                            "floor_area": 200.0, "operating_model": "public_benefit", "level": "community" } });
        let (s, reply) = self.post("service_spaces", &space).await;
        assert_eq!(s, StatusCode::CREATED, "{reply}");
    }

    /// Posts a pedestrian gate of the compound at `(x, y)`.
    async fn post_gate(&self, x: f64, y: f64, name: &str) -> (StatusCode, Value) {
        let gate = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": self.at(x, y) },
            "properties": { "name": name, "community_code": self.code, "compound_id": self.compound_id, "kind": "pedestrian" } });
        self.post("gates", &gate).await
    }

    /// Posts a new feature to a layer as the admin.
    async fn post(&self, layer: &str, body: &Value) -> (StatusCode, Value) {
        common::send(
            &self.app,
            Method::POST,
            &format!("/ogc/collections/{layer}/items"),
            Some(&self.token),
            None,
            Some(body),
        )
        .await
    }

    /// The compound's gate count, distance to elderly care and whether it is covered within
    /// 300 m.
    async fn reach(&self) -> (Option<u64>, f64, Option<bool>) {
        let (s, body, _) = get(
            &self.app,
            &format!(
                "/api/coverage/units?community_code={}&service=elderly_care&threshold=300&metric=straight",
                self.code
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let unit = body["units"]
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["kind"] == "compound" && u["id"] == self.compound_id)
            .expect("the new compound")
            .clone();
        let r = service(&unit, "elderly_care").clone();
        (
            unit["gates"].as_u64(),
            r["distance_m"].as_f64().expect("d"),
            r["covered"].as_bool(),
        )
    }
}

/// Distances to the nearest facility for every compound and service, computed by PostGIS on the
/// geography type (the spheroid), agree with the engine's within 0.1 % (+ 1 cm near zero);
/// covered flags agree except within that band of a threshold.
#[tokio::test]
async fn coverage_distances_equal_a_postgis_computation_on_the_demo_district() {
    let url = common::fresh_pg_url().await;
    let store = gridatlas_server::store::postgis::PostGis::connect(&url)
        .await
        .expect("postgis");
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    let pool = store.pool().clone();
    let atlas = Atlas::open(Box::new(store)).await.expect("atlas");
    let snap = atlas.snapshot();
    let standards = Standards::default();
    // PostGIS measures in a straight line: so does this coverage.
    let cov =
        Coverage::compute_by(&snap, &standards, Some(DistanceMetric::Straight)).expect("coverage");
    let mut compared = 0;
    for rule in &standards.services {
        let CountedNames {
            services: spaces,
            station_kinds: kinds,
            levels,
        } = rule.counted_names();
        let rows: Vec<(i64, Option<f64>)> = sqlx::query_as(
            "WITH f AS (
                 SELECT geom FROM service_spaces WHERE services && $1::text[] AND level = ANY($3)
                 UNION ALL SELECT geom FROM stations WHERE kind = ANY($2) AND level = ANY($3))
             SELECT c.id, COALESCE(
                 (SELECT min(ST_Distance(g.geom::geography, f.geom::geography)) FROM gates g, f WHERE g.compound_id = c.id),
                 (SELECT min(ST_Distance(c.geom::geography, f.geom::geography)) FROM f))
             FROM compounds c ORDER BY c.id",
        )
        .bind(&spaces)
        .bind(&kinds)
        .bind(&levels)
        .fetch_all(&pool)
        .await
        .expect("PostGIS nearest facility");
        for (id, pg) in rows {
            let unit = cov.unit(UnitKind::Compound, id).expect("unit");
            let reach = unit
                .services
                .iter()
                .find(|r| r.service == rule.service)
                .expect("reach");
            match (reach.distance_m, pg) {
                (None, None) => {}
                (Some(ours), Some(theirs)) => {
                    let tolerance = theirs * 1e-3 + 0.01;
                    assert!(
                        (ours - theirs).abs() <= tolerance,
                        "compound {id}, {:?}: engine {ours:.2} m, PostGIS {theirs:.2} m",
                        rule.service
                    );
                    if (theirs - rule.threshold_m).abs() > tolerance {
                        assert_eq!(
                            reach.covered,
                            theirs <= rule.threshold_m,
                            "compound {id}, {:?}",
                            rule.service
                        );
                    }
                }
                other => panic!(
                    "compound {id}, {:?}: one side found no facility: {other:?}",
                    rule.service
                ),
            }
            compared += 1;
        }
    }
    assert_eq!(
        compared,
        snap.data.compounds.len() * standards.services.len()
    );
    // Compounds measured from their gates are among them.
    assert!(cov.units.iter().filter(|u| u.gates > 0).count() >= 21);
    assert!(standards
        .services
        .iter()
        .any(|s| s.service == ServiceType::ElderlyCare));
}

#[tokio::test]
async fn heatmap_tiles_decode_with_gdal_and_change_after_a_new_service_space() {
    let (app, atlas, dir) = demo_app().await;
    let snap = atlas.snapshot();
    let c = snap
        .data
        .compounds
        .iter()
        .find(|c| c.community_code == UNDERSERVED[0] && c.three_no())
        .expect("an underserved compound")
        .clone();
    let p = c.geometry.exterior().0[0];
    let t = tiles::TileId::containing(p.x + 1e-5, p.y - 1e-5, 14).expect("tile");
    let uri = format!(
        "/tiles/heatmap/{}/{}/{}.mvt?service=elderly_care",
        t.z(),
        t.x(),
        t.y()
    );
    let (s, etag, body) = fetch_tile(&app, &uri).await;
    assert_eq!(s, StatusCode::OK);
    let path = dir.path().join("heat.mvt");
    let text = ogrinfo_tile(&path, &body, t);
    assert!(text.contains("Layer name: heatmap"), "{text}");
    let before = households_uncovered(&text);
    assert!(
        before > 0.0,
        "households without elderly care in the underserved community"
    );
    assert!(
        text.contains("service (String) = elderly_care") && text.contains("POLYGON"),
        "{text}"
    );

    add_elderly_care_space_in(&app, &c).await;
    let (s, etag_after, body) = fetch_tile(&app, &uri).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(etag_after, etag, "the heatmap tile changed");
    assert!(households_uncovered(&ogrinfo_tile(&path, &body, t)) < before);
}

/// A tile's status, `ETag` and bytes.
async fn fetch_tile(app: &Router, uri: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let resp = respond(app, uri).await;
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().expect("etag").to_owned());
    (
        resp.status(),
        etag,
        axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec(),
    )
}

/// Writes a vector tile `t` to `path` and returns what GDAL's ogrinfo reads from it (unclipped).
fn ogrinfo_tile(path: &std::path::Path, body: &[u8], t: tiles::TileId) -> String {
    std::fs::write(path, body).expect("write");
    let zxy = [
        format!("Z={}", t.z()),
        format!("X={}", t.x()),
        format!("Y={}", t.y()),
    ];
    let out = std::process::Command::new("ogrinfo")
        .args([
            "-ro",
            "-al",
            "-oo",
            &zxy[0],
            "-oo",
            &zxy[1],
            "-oo",
            &zxy[2],
            "-oo",
            "CLIP=NO",
            path.to_str().expect("p"),
        ])
        .output()
        .expect("ogrinfo (GDAL) must be installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sum of the heatmap cells' `households_uncovered` in ogrinfo's output.
fn households_uncovered(ogrinfo: &str) -> f64 {
    ogrinfo
        .lines()
        .filter_map(|l| l.trim().strip_prefix("households_uncovered (Real) = "))
        .map(|v| v.parse::<f64>().expect("n"))
        .sum::<f64>()
}

/// Adds, as the admin, an elderly-care space at the centroid of compound `c`.
async fn add_elderly_care_space_in(app: &Router, c: &engine::Compound) {
    let token = common::sign_in(app, "admin").await;
    let centroid = geo::Centroid::centroid(&c.geometry).expect("centroid");
    let space = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [centroid.x(), centroid.y()] },
        "properties": { "name": "院落养老服务点", "community_code": c.community_code, "services": ["elderly_care"],
                        "floor_area": 150.0, "operating_model": "low_cost", "level": "compound" } });
    let req = Request::builder()
        .method(Method::POST)
        .uri("/ogc/collections/service_spaces/items")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(space.to_string()))
        .expect("req");
    assert_eq!(
        app.clone().oneshot(req).await.expect("resp").status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_underserved_filter_that_cannot_mean_anything_is_refused_naming_its_parameter() {
    let (app, _atlas, _dir) = demo_app().await;
    for (query, field) in [
        ("build_year_min=2010&build_year_max=1990", "build_year_min"),
        ("build_year_min=-5", "build_year_min"),
        ("build_year_max=3000", "build_year_max"),
        ("min_elderly=-5", "min_elderly"),
        ("min_elderly=many", "min_elderly"),
    ] {
        let (status, v, _) = get(&app, &format!("/api/underserved?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert_eq!(v["field"], field, "{query}: {v}");
    }
    // A sensible range still answers.
    let (status, v, _) = get(
        &app,
        "/api/underserved?build_year_min=1990&build_year_max=2010",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}
