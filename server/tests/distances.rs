//! Distances anywhere, through the API: the demo district 龙马潭区 (泸州) and a copy of it moved
//! 1,011 km to 郑州 (codes 410105…), imported into one store of each kind. Every distance
//! `/api/coverage/units` reports from points (gates, point buildings) to point facilities is
//! within 0.1 % of `geo`'s geodesic, found by brute force; on `PostGIS` every compound's distance
//! also agrees within 0.1 % with `ST_Distance` on the spheroid (polygons included).

use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use engine::analysis::{CountedNames, FacilitySelector, LifeCircle, Standards};
use engine::{Dataset, ServiceType};
use geo::{Distance, Geodesic, MapCoords};
use geo_types::{Coord, Geometry, Point};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::Store;
use serde_json::Value;

/// 郑州 (金水区), where the copy goes.
const ZHENGZHOU: Coord = Coord {
    x: 113.65,
    y: 34.75,
};
const TOLERANCE: f64 = 1e-3;

/// The demo district and its copy at 郑州: codes 510504… become 410105…, ids move by a
/// million; childcare stays only in 郑州, so 泸州's childcare is measured across the country.
fn two_cities() -> Dataset {
    let mut d = data::demo_district();
    d.service_spaces
        .retain(|s| !s.services.contains(&ServiceType::Childcare));
    let mut far = data::demo_district();
    let shift = ZHENGZHOU - data::DEMO_CENTRE;
    let mv = |c: Coord| c + shift;
    fn code<S: std::ops::Deref<Target = str> + From<String>>(c: &mut S) {
        *c = S::from(c.replacen(data::DISTRICT_CODE, "410105", 1));
    }
    let id = |i: &mut i64| *i += 1_000_000;
    for s in &mut far.streets {
        id(&mut s.id);
        code(&mut s.code);
        s.geometry = s.geometry.map_coords(mv);
    }
    for c in &mut far.communities {
        id(&mut c.id);
        code(&mut c.code);
        code(&mut c.street_code);
        c.geometry = c.geometry.map_coords(mv);
    }
    for g in &mut far.grids {
        id(&mut g.id);
        code(&mut g.code);
        code(&mut g.community_code);
        g.geometry = g.geometry.map_coords(mv);
    }
    for c in &mut far.compounds {
        id(&mut c.id);
        code(&mut c.community_code);
        c.grid_code.iter_mut().for_each(code);
        c.geometry = c.geometry.map_coords(mv);
    }
    for b in &mut far.buildings {
        id(&mut b.id);
        code(&mut b.community_code);
        b.grid_code.iter_mut().for_each(code);
        b.compound_id.iter_mut().for_each(id);
        b.geometry = b.geometry.map_coords(mv);
    }
    for g in &mut far.gates {
        id(&mut g.id);
        code(&mut g.community_code);
        id(&mut g.compound_id);
        g.geometry = g.geometry.map_coords(mv);
    }
    for s in &mut far.stations {
        id(&mut s.id);
        code(&mut s.community_code);
        s.geometry = s.geometry.map_coords(mv);
    }
    for s in &mut far.service_spaces {
        id(&mut s.id);
        code(&mut s.community_code);
        s.station_id.iter_mut().for_each(id);
        s.geometry = s.geometry.map_coords(mv);
    }
    d.append(far);
    d
}

/// Every unit of `/api/coverage/units`, by (kind, id).
async fn reported_units(store: Box<dyn Store>) -> (Arc<Atlas>, HashMap<(String, i64), Value>) {
    let atlas = Arc::new(Atlas::open(store).await.expect("atlas"));
    let app = app(AppState::new(atlas.clone(), Config::default()));
    let (status, body) = common::send(
        &app,
        Method::GET,
        "/api/coverage/units?metric=straight",
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let units = body["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| {
            let key = (
                u["kind"].as_str().expect("kind").to_owned(),
                u["id"].as_i64().expect("id"),
            );
            (key, u.clone())
        })
        .collect();
    (atlas, units)
}

/// The points a unit is measured from: a compound's gates, a point building; `None` for
/// polygons.
fn unit_points(data: &Dataset, kind: &str, id: i64) -> Option<Vec<Coord>> {
    match kind {
        "compound" => {
            let gates: Vec<Coord> = data
                .gates
                .iter()
                .filter(|g| g.compound_id == id)
                .map(|g| g.geometry.0)
                .collect();
            (!gates.is_empty()).then_some(gates)
        }
        _ => match data.buildings.iter().find(|b| b.id == id)?.geometry {
            Geometry::Point(p) => Some(vec![p.0]),
            _ => None,
        },
    }
}

/// Point facilities counting for a rule, by (layer, id).
fn point_facilities(
    data: &Dataset,
    selector: &FacilitySelector,
    lc: LifeCircle,
) -> HashMap<(&'static str, i64), Coord> {
    let stations = data
        .stations
        .iter()
        .filter(|s| lc.admits(s.level) && selector.selects_station(s))
        .map(|s| (("stations", s.id), s.geometry.0));
    let spaces = data
        .service_spaces
        .iter()
        .filter(|s| lc.admits(s.level) && selector.selects_space(s))
        .filter_map(|s| match s.geometry {
            Geometry::Point(p) => Some((("service_spaces", s.id), p.0)),
            _ => None,
        });
    stations.chain(spaces).collect()
}

fn geodesic(from: &[Coord], to: Coord) -> f64 {
    from.iter()
        .map(|&p| Geodesic.distance(Point(p), Point(to)))
        .fold(f64::INFINITY, f64::min)
}

/// Checks every point unit and service against the geodesic; returns (pairs checked, pairs
/// across the country).
fn check_against_geodesic(data: &Dataset, units: &HashMap<(String, i64), Value>) -> (usize, usize) {
    let standards = Standards::default();
    let (mut checked, mut far) = (0, 0);
    for (i, rule) in standards.services.iter().enumerate() {
        let facilities = point_facilities(data, &rule.facilities, rule.life_circle);
        for ((kind, id), unit) in units {
            let Some(points) = unit_points(data, kind, *id) else {
                continue;
            };
            let reach = &unit["services"][i];
            assert_eq!(reach["service"], rule.service.name());
            let Some(reported) = reach["distance_m"].as_f64() else {
                assert!(facilities.is_empty(), "{kind} {id}: no distance");
                continue;
            };
            // No point facility is nearer than the reported one.
            let nearest_point = facilities
                .values()
                .map(|&f| geodesic(&points, f))
                .fold(f64::INFINITY, f64::min);
            assert!(
                reported <= nearest_point * (1.0 + TOLERANCE),
                "{kind} {id} {}: reported {reported} m, a point facility at {nearest_point} m",
                rule.service.name()
            );
            // The reported facility, when a point, is at the reported distance.
            let named = (
                reach["nearest"]["layer"].as_str().expect("layer"),
                reach["nearest"]["id"].as_i64().expect("id"),
            );
            let Some((_, &at)) = facilities.iter().find(|(k, _)| **k == named) else {
                continue;
            };
            let truth = geodesic(&points, at);
            assert!(
                (reported - truth).abs() <= TOLERANCE * truth,
                "{kind} {id} {}: reported {reported} m, geodesic {truth} m",
                rule.service.name()
            );
            if (truth - rule.threshold_m).abs() > TOLERANCE * truth {
                assert_eq!(reach["covered"], truth <= rule.threshold_m, "{kind} {id}");
            }
            checked += 1;
            far += usize::from(truth > 900_000.0);
        }
    }
    (checked, far)
}

async fn check_store(store: Box<dyn Store>) -> (Arc<Atlas>, HashMap<(String, i64), Value>) {
    load_dataset(store.as_ref(), two_cities())
        .await
        .expect("two cities");
    let (atlas, units) = reported_units(store).await;
    let data = &atlas.snapshot().data;
    assert_eq!(units.len(), {
        let scattered = data.buildings.iter().filter(|b| b.scattered()).count();
        data.compounds.len() + scattered
    });
    let (checked, far) = check_against_geodesic(data, &units);
    assert!(
        checked > 1_000 && far > 50,
        "{checked} pairs checked, {far} across the country"
    );
    (atlas, units)
}

#[tokio::test]
async fn geopackage_distances_across_1000_km_are_within_0_1_percent_of_the_geodesic() {
    let (store, _dir) = common::fresh_gpkg().await;
    check_store(Box::new(store)).await;
}

/// On `PostGIS`, also every compound (gates or polygon) against `ST_Distance` on the spheroid.
#[tokio::test]
async fn postgis_distances_across_1000_km_are_within_0_1_percent_of_the_geodesic() {
    let store = common::fresh_postgis().await;
    let pool = store.pool().clone();
    let (atlas, units) = check_store(Box::new(store)).await;
    let standards = Standards::default();
    let mut compared = 0;
    for (i, rule) in standards.services.iter().enumerate() {
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
                 (SELECT min(ST_Distance(g.geom::geography, f.geom::geography, true)) FROM gates g, f WHERE g.compound_id = c.id),
                 (SELECT min(ST_Distance(c.geom::geography, f.geom::geography, true)) FROM f))
             FROM compounds c ORDER BY c.id",
        )
        .bind(&spaces)
        .bind(&kinds)
        .bind(&levels)
        .fetch_all(&pool)
        .await
        .expect("PostGIS nearest facility");
        for (id, theirs) in rows {
            let unit = &units[&("compound".to_owned(), id)];
            let ours = unit["services"][i]["distance_m"].as_f64();
            match (ours, theirs) {
                (Some(ours), Some(theirs)) => assert!(
                    (ours - theirs).abs() <= TOLERANCE * theirs + 0.01,
                    "compound {id} {}: engine {ours} m, PostGIS {theirs} m",
                    rule.service.name()
                ),
                (None, None) => {}
                other => panic!("compound {id}: one side found no facility: {other:?}"),
            }
            compared += 1;
        }
    }
    assert_eq!(
        compared,
        atlas.snapshot().data.compounds.len() * standards.services.len()
    );
}
