//! Vector tiles served by the server: decoded by GDAL (independent decoder), fresh after every
//! edit (`ETag` per content), clear errors for bad addresses; and the `PostGIS` tile functions
//! (which martin serves) carrying the same features and properties as the server's tiles. The
//! demo district gets a few ways of the tests' own (both zoom rules, tile edges, a bridge, a
//! multi-part way), whatever ways the demo itself holds.

use crate::common::{self, martin};

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use engine::{Dataset, Layer, Way, WayKind};
use geo_types::{Coord, LineString, MultiLineString};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;

use gridatlas_server::store::Store as _;
use prost::Message;
use tiles::TileId;
use tower::ServiceExt;

/// Tiles around 龙南社区 at every zoom rule (streets only, building cells, buildings one by one)
/// and some neighbours.
const DEMO_TILES: &[(u8, u32, u32)] = &[
    (8, 202, 106),
    (10, 811, 426),
    (12, 3247, 1704),
    (13, 6495, 3408),
    (14, 12990, 6816),
    (14, 12991, 6816),
    (15, 25981, 13632),
    (15, 25980, 13632),
    (16, 51962, 27265),
    (18, 207_848, 109_061),
];

/// The z14 tile the tests' ways are drawn in (蓝田街道, 龙南社区 and its east neighbour).
fn ways_tile() -> TileId {
    TileId::new(14, 12990, 6816).expect("tile")
}

/// WGS84 position of units `(ux, uy)` of the ways' tile (units may fall outside 0..4096).
fn unit(ux: f64, uy: f64) -> Coord {
    let t = ways_tile();
    let n = f64::from(1u32 << t.z());
    let mx = (f64::from(t.x()) + ux / 4096.0) / n;
    let my = (f64::from(t.y()) + uy / 4096.0) / n;
    Coord {
        x: mx * 360.0 - 180.0,
        y: (std::f64::consts::PI * (1.0 - 2.0 * my))
            .sinh()
            .atan()
            .to_degrees(),
    }
}

fn units(points: &[(f64, f64)]) -> LineString {
    LineString(points.iter().map(|&(x, y)| unit(x, y)).collect())
}

/// Names of the tests' own ways.
const ROAD: &str = "测试大道";
const FOOTBRIDGE: &str = "测试人行桥";
const MOTORWAY: &str = "测试高速";
const UNDERPASS: &str = "测试地道";
const LANE: &str = "测试巷";
const COMPOUND_PATH: &str = "测试小区步道";

/// The demo district and six ways of the tests: a secondary road across the edge of two z14
/// tiles (and through the demo's z15, z16 and z18 tiles), a footbridge, a motorway closed to
/// walkers, a two-part underpass, a lane (not major) and a path across 巴士天福苑.
fn demo_with_ways() -> Dataset {
    let mut data = data::demo_district();
    let bus = data
        .compounds
        .iter()
        .find(|c| c.name == "巴士天福苑")
        .expect("巴士天福苑");
    let ring = &bus.geometry.exterior().0;
    let across_bus = LineString(vec![ring[0], ring[ring.len() / 2]]);
    let bus_id = bus.id;
    let first = data.ways.iter().map(|w| w.id).max().unwrap_or(0) + 1;
    let way = |i: i64, name: &str, kind: WayKind, parts: Vec<LineString>| Way {
        id: first + i,
        version: 1,
        name: Some(name.to_owned()),
        ..Way::new(kind, MultiLineString(parts))
    };
    let road = way(
        0,
        ROAD,
        WayKind::Secondary,
        vec![units(&[
            (300.0, 1500.0),
            (3000.0, 1450.0),
            (7000.0, 1600.0),
        ])],
    );
    let mut bridge = way(
        1,
        FOOTBRIDGE,
        WayKind::Footway,
        vec![units(&[(1600.0, 1200.0), (1600.0, 1800.0)])],
    );
    bridge.bridge = true;
    let mut motorway = way(
        2,
        MOTORWAY,
        WayKind::Motorway,
        vec![units(&[(-2000.0, 3800.0), (6000.0, 3900.0)])],
    );
    motorway.no_walking = true;
    let mut underpass = way(
        3,
        UNDERPASS,
        WayKind::Footway,
        vec![
            units(&[(2500.0, 1000.0), (2500.0, 1300.0)]),
            units(&[(2600.0, 1000.0), (2600.0, 1300.0)]),
        ],
    );
    underpass.tunnel = true;
    let lane = way(
        4,
        LANE,
        WayKind::Residential,
        vec![units(&[(500.0, 500.0), (3500.0, 700.0), (3600.0, 2500.0)])],
    );
    let mut path = way(5, COMPOUND_PATH, WayKind::Footway, vec![across_bus]);
    path.compound_id = Some(bus_id);
    data.ways
        .extend([road, bridge, motorway, underpass, lane, path]);
    data
}

/// The demo with its ways and 600 small winding ways of the tests (seeded): random walks of 3 to
/// 32 steps, each up to 0.3 to 150 units of the ways' z14 tile along either axis, major and minor,
/// some bridges, around that tile, and 40 roads folding back onto themselves. They hold the
/// encoders together where they differ most easily: lines under a unit, folding back, straddling
/// the buffer.
fn agreement_dataset() -> Dataset {
    let mut data = demo_with_ways();
    let mut seed: u64 = 2024;
    let mut random = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let kinds = [
        WayKind::Footway,
        WayKind::Residential,
        WayKind::Tertiary,
        WayKind::Service,
        WayKind::Primary,
        WayKind::Steps,
    ];
    let first = data.ways.iter().map(|w| w.id).max().unwrap_or(0) + 1;
    for i in 0..600 {
        let (mut x, mut y) = (random() * 12000.0 - 4000.0, random() * 12000.0 - 4000.0);
        let step = [0.6, 3.0, 30.0, 300.0, 1.0, 2.4, 6.0][i % 7];
        let mut points = vec![(x, y)];
        for _ in 0..2 + (random() * 30.0) as usize {
            x += (random() - 0.5) * step;
            y += (random() - 0.5) * step;
            points.push((x, y));
        }
        data.ways.push(Way {
            id: first + i as i64,
            version: 1,
            name: Some("随机小路".to_owned()),
            bridge: i % 17 == 0,
            ..Way::new(
                kinds[i % kinds.len()],
                MultiLineString(vec![units(&points)]),
            )
        });
    }
    // Roads running 4 to 8 units out and straight back: at z12 they fold onto one point.
    for i in 0..40 {
        let (x, y) = (random() * 8000.0, random() * 8000.0);
        let (dx, dy) = (4.0 + random() * 4.0, random() * 4.0);
        let back = units(&[(x, y), (x + dx, y + dy), (x + 0.2, y + 0.1)]);
        data.ways.push(Way {
            id: first + 600 + i,
            version: 1,
            name: Some("折返路".to_owned()),
            ..Way::new(WayKind::Tertiary, MultiLineString(vec![back]))
        });
    }
    data
}

/// A tile's content: per layer, its features as (id, properties as text), sorted.
type Content = BTreeMap<String, Vec<(Option<u64>, BTreeMap<String, String>)>>;

/// Whether a feature lies entirely in the buffer strip around the tile (outside 0…4096).
#[allow(clippy::many_single_char_names)]
fn only_in_buffer(bytes: &[u8], layer: &str, id: Option<u64>) -> bool {
    let tile = tiles::proto::Tile::decode(bytes).expect("a valid MVT");
    let Some(l) = tile.layers.iter().find(|l| l.name == layer) else {
        return false;
    };
    let Some(f) = l.features.iter().find(|f| f.id == id) else {
        return false;
    };
    let (mut x, mut y, mut i) = (0i64, 0i64, 0usize);
    let (mut inside, extent) = (false, i64::from(l.extent.unwrap_or(4096)));
    let zigzag = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
    while i < f.geometry.len() {
        let (cmd, count) = (f.geometry[i] & 7, f.geometry[i] >> 3);
        i += 1;
        if cmd == 7 {
            continue;
        }
        for _ in 0..count {
            x += zigzag(f.geometry[i]);
            y += zigzag(f.geometry[i + 1]);
            i += 2;
            inside |= (1..extent).contains(&x) && (1..extent).contains(&y);
        }
    }
    !inside
}

fn content(bytes: &[u8]) -> Content {
    let tile = tiles::proto::Tile::decode(bytes).expect("a valid MVT");
    let mut out = Content::new();
    for layer in tile.layers {
        let mut features: Vec<_> = layer
            .features
            .iter()
            .map(|f| {
                let props = f
                    .tags
                    .chunks(2)
                    .map(|kv| {
                        let v = &layer.values[kv[1] as usize];
                        let text = v
                            .string_value
                            .clone()
                            .or(v.bool_value.map(|b| b.to_string()))
                            .or(v.int_value.or(v.sint_value).map(|i| (i as f64).to_string()))
                            .or(v.uint_value.map(|u| (u as f64).to_string()))
                            .or(v
                                .double_value
                                .or(v.float_value.map(f64::from))
                                .map(|d| d.to_string()))
                            .unwrap_or_default();
                        (layer.keys[kv[0] as usize].clone(), text)
                    })
                    .collect::<BTreeMap<_, _>>();
                (f.id, props)
            })
            .collect();
        features.sort();
        out.insert(layer.name, features);
    }
    out
}

async fn demo_app() -> (Router, Arc<Atlas>, tempfile::TempDir, String) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, demo_with_ways()).await.expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let state = AppState::new(atlas.clone(), Config::default());
    let app = app(state);
    let token = common::sign_in(&app, "admin").await;
    (app, atlas, dir, token)
}

async fn get(
    app: &Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("req"))
        .await
        .expect("resp");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    (status, headers, body)
}

/// The z/x/y of the tile holding a point.
fn tile_of(lon: f64, lat: f64, z: u8) -> TileId {
    TileId::containing(lon, lat, z).expect("tile")
}

/// Writes tile `t` to `path` and runs GDAL's ogrinfo on it with `extra` options.
fn ogrinfo(path: &std::path::Path, body: &[u8], t: TileId, extra: &[&str]) -> std::process::Output {
    std::fs::write(path, body).expect("write");
    Command::new("ogrinfo")
        .args([
            "-ro",
            "-al",
            "-oo",
            &format!("Z={}", t.z()),
            "-oo",
            &format!("X={}", t.x()),
            "-oo",
            &format!("Y={}", t.y()),
        ])
        .args(extra)
        .arg(path)
        .output()
        .expect("ogrinfo (GDAL) must be installed: apt-get install gdal-bin")
}

#[tokio::test]
async fn demo_tiles_decode_with_gdal_and_hold_every_layer_with_its_properties() {
    let (app, atlas, dir, _token) = demo_app().await;
    let snap = atlas.snapshot();
    let bus = snap
        .data
        .compounds
        .iter()
        .find(|c| c.name == "巴士天福苑")
        .expect("巴士天福苑");
    let p = bus.geometry.exterior().0[0];
    let t = tile_of(p.x + 1e-5, p.y - 1e-5, 15);
    let (status, headers, body) = get(
        &app,
        &format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.mapbox-vector-tile"
    );
    let out = ogrinfo(&dir.path().join("tile.mvt"), &body, t, &["-oo", "CLIP=NO"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let own = content(&body);
    for layer in Layer::ALL {
        let (min, max) = tiles::visible_zoom_range(layer);
        if !(min..=max).contains(&t.z()) {
            continue;
        }
        let n = own.get(layer.name()).map_or(0, Vec::len);
        assert!(n > 0, "{layer} has features in the tile over 龙南");
        assert_eq!(
            text.matches(&format!("OGRFeature({}):", layer.name()))
                .count(),
            n,
            "GDAL reads every {layer} feature"
        );
    }
    let block = text
        .split("OGRFeature(compounds):")
        .find(|b| b.contains("巴士天福苑"))
        .expect("GDAL shows 巴士天福苑");
    assert!(
        block.contains(&format!("households (Integer) = {}", bus.households)),
        "{block}"
    );
    assert!(
        block.contains("property_management (String) = joint"),
        "{block}"
    );
    assert!(block.contains("three_no (Integer(Boolean)) = 0"), "{block}");
    assert!(block.contains("POLYGON"), "{block}");
    let path = text
        .split("OGRFeature(ways):")
        .find(|b| b.contains(COMPOUND_PATH))
        .expect("GDAL shows the path across 巴士天福苑");
    assert!(path.contains("kind (String) = footway"), "{path}");
    assert!(path.contains("walkable (Integer(Boolean)) = 1"), "{path}");
    assert!(
        path.contains(&format!(") = {}", bus.id)),
        "compound_id: {path}"
    );
    assert!(path.contains("LINESTRING ("), "{path}");
}

/// Web Mercator metres of a WGS84 position.
fn mercator(c: Coord) -> (f64, f64) {
    const R: f64 = 6_378_137.0;
    let y = (std::f64::consts::FRAC_PI_4 + c.y.to_radians() / 2.0)
        .tan()
        .ln();
    (c.x.to_radians() * R, y * R)
}

/// The vertices of each part of a WKT `LINESTRING`/`MULTILINESTRING` as GDAL prints it.
fn wkt_lines(block: &str) -> Vec<Vec<(f64, f64)>> {
    let start = block.find("LINESTRING").expect("a line geometry");
    let wkt = block[start..].lines().next().unwrap_or_default();
    let inner = wkt[wkt.find('(').expect("(")..].trim_matches(|c| c == '(' || c == ')');
    inner
        .split("),(")
        .map(|part| {
            part.split(',')
                .map(|xy| {
                    let mut it = xy
                        .split_whitespace()
                        .map(|v| v.parse::<f64>().expect("number"));
                    (it.next().expect("x"), it.next().expect("y"))
                })
                .collect()
        })
        .collect()
}

/// The tests' own ways of the snapshot: road, footbridge, motorway, underpass, lane.
fn test_ways(snap: &engine::Snapshot) -> [Way; 5] {
    [ROAD, FOOTBRIDGE, MOTORWAY, UNDERPASS, LANE].map(|name| {
        snap.data
            .ways
            .iter()
            .find(|w| w.name.as_deref() == Some(name))
            .expect("the tests' way")
            .clone()
    })
}

/// The ids of `ways` that a tile's content holds, ascending.
fn way_ids(c: &Content, ways: &[Way]) -> Vec<u64> {
    let mut ids: Vec<u64> = c
        .get("ways")
        .into_iter()
        .flatten()
        .filter_map(|(id, _)| *id)
        .filter(|id| ways.iter().any(|w| w.id.unsigned_abs() == *id))
        .collect();
    ids.sort_unstable();
    ids
}

/// A way's properties in a tile's content.
fn way_props(c: &Content, w: &Way) -> BTreeMap<String, String> {
    c["ways"]
        .iter()
        .find(|(id, _)| *id == Some(w.id.unsigned_abs()))
        .expect("way in the tile")
        .1
        .clone()
}

fn ways_uri(t: TileId) -> String {
    format!("/tiles/ways/{}/{}/{}.mvt", t.z(), t.x(), t.y())
}

/// Ways one by one from z14, with their properties, as lines GDAL reads where they are, cut at
/// the buffer.
#[tokio::test]
async fn way_tiles_hold_every_way_as_lines_gdal_reads_in_place() {
    let (app, atlas, dir, _token) = demo_app().await;
    let ours = test_ways(&atlas.snapshot());
    let t = ways_tile();
    let (status, _, body) = get(&app, &ways_uri(t), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let own = content(&body);
    assert_eq!(
        way_ids(&own, &ours),
        ours.iter().map(|w| w.id.unsigned_abs()).collect::<Vec<_>>()
    );
    let road = way_props(&own, &ours[0]);
    assert_eq!(
        (
            road["kind"].as_str(),
            road["walkable"].as_str(),
            road["name"].as_str()
        ),
        ("secondary", "true", ROAD)
    );
    assert!(!road.contains_key("no_walking") && !road.contains_key("osm_way"));
    assert_eq!(way_props(&own, &ours[1])["bridge"], "true");
    assert_eq!(way_props(&own, &ours[2])["walkable"], "false");
    assert_eq!(way_props(&own, &ours[3])["tunnel"], "true");

    // GDAL reads every way, as lines in Web Mercator where the snapshot has them.
    let out = ogrinfo(&dir.path().join("ways.mvt"), &body, t, &["-oo", "CLIP=NO"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("OGRFeature(ways):").count(), own["ways"].len());
    let block = |name: &str| -> String {
        text.split("OGRFeature(ways):")
            .find(|b| b.contains(&format!("name (String) = {name}\n")))
            .unwrap_or_else(|| panic!("GDAL shows {name}"))
            .to_owned()
    };
    let unit_m = 2.0 * std::f64::consts::PI * 6_378_137.0 / 16384.0 / 4096.0;
    let near = |a: (f64, f64), b: Coord| {
        let b = mercator(b);
        (a.0 - b.0).abs() <= unit_m && (a.1 - b.1).abs() <= unit_m
    };
    let road_lines = wkt_lines(&block(ROAD));
    assert_eq!(road_lines.len(), 1);
    let vertices = &ours[0].geometry.0[0].0;
    assert!(near(road_lines[0][0], vertices[0]) && near(road_lines[0][1], vertices[1]));
    let cut = mercator(unit(4096.0 + 64.0, 0.0)).0;
    assert!(
        (road_lines[0][2].0 - cut).abs() <= unit_m,
        "the road is cut 64 units past the tile's east edge"
    );
    assert!(block(UNDERPASS).contains("MULTILINESTRING (("));
    let underpass = wkt_lines(&block(UNDERPASS));
    assert_eq!(underpass.len(), 2);
    for (got, want) in underpass.iter().zip(&ours[3].geometry.0) {
        assert_eq!(got.len(), want.0.len());
        assert!(got.iter().zip(&want.0).all(|(g, w)| near(*g, *w)));
    }
}

/// At z11–13 only the major kinds and the bridges, with the same properties as at z14 (GDAL
/// reads them all); none at z10.
#[tokio::test]
async fn below_z14_way_tiles_hold_only_the_major_ways_and_bridges() {
    let (app, atlas, dir, _token) = demo_app().await;
    let ours = test_ways(&atlas.snapshot());
    let (_, _, body) = get(&app, &ways_uri(ways_tile()), &[]).await;
    let at_z14 = content(&body);
    let c = unit(1600.0, 1500.0);
    for z in 11..=13 {
        let low = tile_of(c.x, c.y, z);
        let (_, _, body) = get(&app, &ways_uri(low), &[]).await;
        let own = content(&body);
        assert_eq!(
            way_ids(&own, &ours),
            ours[..3]
                .iter()
                .map(|w| w.id.unsigned_abs())
                .collect::<Vec<_>>(),
            "road, footbridge and motorway at zoom {z}"
        );
        for w in &ours[..3] {
            assert_eq!(way_props(&own, w), way_props(&at_z14, w), "zoom {z}");
        }
        for (id, props) in &own["ways"] {
            let major = tiles::MAJOR_WAY_KINDS
                .iter()
                .any(|k| k.name() == props["kind"]);
            assert!(major || props["bridge"] == "true", "way {id:?} at zoom {z}");
        }
        let out = ogrinfo(&dir.path().join("low.mvt"), &body, low, &["-oo", "CLIP=NO"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("OGRFeature(ways):").count(), own["ways"].len());
    }
    let (_, _, body) = get(&app, &ways_uri(tile_of(c.x, c.y, 10)), &[]).await;
    assert!(body.is_empty(), "no ways at zoom 10");
}

/// Gates 小区出入口 from z16: the tile at a 龙南 gate holds it, and GDAL reads its kind; below
/// z16, none.
#[tokio::test]
async fn gate_tiles_hold_the_gates_from_z16_and_gdal_reads_their_kind() {
    let (app, atlas, dir, _token) = demo_app().await;
    let snap = atlas.snapshot();
    let gate = snap
        .data
        .gates
        .iter()
        .find(|g| g.community_code == "510504003004")
        .expect("a 龙南 gate");
    let t = tile_of(
        gate.geometry.x(),
        gate.geometry.y(),
        tiles::GATES_MINZOOM + 1,
    );
    let (status, _, body) = get(
        &app,
        &format!("/tiles/gates/{}/{}/{}.mvt", t.z(), t.x(), t.y()),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let own = content(&body);
    assert!(
        own["gates"]
            .iter()
            .any(|(id, p)| *id == Some(gate.id.unsigned_abs()) && p["kind"] == gate.kind.name()),
        "{own:?}"
    );
    let out = ogrinfo(&dir.path().join("gates.mvt"), &body, t, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OGRFeature(gates):"), "{text}");
    assert!(
        text.contains(&format!("kind (String) = {}", gate.kind.name())),
        "{text}"
    );
    let t = tile_of(
        gate.geometry.x(),
        gate.geometry.y(),
        tiles::GATES_MINZOOM - 1,
    );
    let (_, _, body) = get(
        &app,
        &format!("/tiles/gates/{}/{}/{}.mvt", t.z(), t.x(), t.y()),
        &[],
    )
    .await;
    assert!(body.is_empty());
}

#[tokio::test]
async fn an_edit_changes_the_etag_of_the_tiles_it_touches_and_of_no_other() {
    let (app, atlas, _dir, token) = demo_app().await;
    let snap = atlas.snapshot();
    let c = snap
        .data
        .compounds
        .iter()
        .find(|c| c.community_code == "510504003004")
        .expect("a 龙南 compound")
        .clone();
    let p = c.geometry.exterior().0[0];
    let near = tile_of(p.x + 1e-5, p.y - 1e-5, 16);
    let far = tile_of(105.36, 29.04, 16); // the district's far north: no 红星 features
    let uri = |t: TileId| format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y());
    let (_, h_near, _) = get(&app, &uri(near), &[]).await;
    let (s_far, h_far, _) = get(&app, &uri(far), &[]).await;
    assert!(s_far == StatusCode::OK || s_far == StatusCode::NO_CONTENT);
    let (etag_near, etag_far) = (
        h_near[header::ETAG].to_str().expect("etag").to_owned(),
        h_far[header::ETAG].to_str().expect("etag").to_owned(),
    );
    let (s, _, _) = get(&app, &uri(near), &[("if-none-match", &etag_near)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);

    let mut feature =
        serde_json::to_value(engine::Feature::Compound(c.clone()).to_geojson()).expect("json");
    feature["properties"]["name"] = serde_json::json!("改造后的小区");
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/ogc/collections/compounds/items/{}", c.id))
        .header("authorization", format!("Bearer {token}"))
        .header("if-match", "\"1\"")
        .body(Body::from(feature.to_string()))
        .expect("req");
    assert_eq!(
        app.clone().oneshot(req).await.expect("resp").status(),
        StatusCode::OK
    );

    let (s, h, body) = get(&app, &uri(near), &[("if-none-match", &etag_near)]).await;
    assert_eq!(s, StatusCode::OK, "the very next request shows the edit");
    assert_ne!(h[header::ETAG].to_str().expect("etag"), etag_near);
    let names: Vec<String> = content(&body)["compounds"]
        .iter()
        .filter_map(|(_, p)| p.get("name").cloned())
        .collect();
    assert!(names.contains(&"改造后的小区".to_owned()), "{names:?}");
    let (s, h, _) = get(&app, &uri(far), &[("if-none-match", &etag_far)]).await;
    assert_eq!(
        s,
        StatusCode::NOT_MODIFIED,
        "an unaffected tile keeps its ETag"
    );
    assert_eq!(h[header::ETAG].to_str().expect("etag"), etag_far);
}

#[tokio::test]
async fn tiles_are_gzipped_on_request_and_bad_addresses_are_refused_clearly() {
    let (app, _, _dir, _token) = demo_app().await;
    let (s, h, body) = get(
        &app,
        "/tiles/atlas/14/12990/6816.mvt",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut plain)
        .expect("gunzip");
    let (_, _, identity) = get(&app, "/tiles/atlas/14/12990/6816.mvt", &[]).await;
    assert_eq!(plain, identity);
    for (uri, status) in [
        ("/tiles/atlas/23/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/atlas/3/8/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/atlas/3/0/-1.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/atlas/z/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/atlas/999999999999/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/tiles/roads/3/0/0.mvt", StatusCode::NOT_FOUND),
        ("/tiles/atlas/3/0/0.png", StatusCode::NOT_FOUND),
        ("/tiles/roads.json", StatusCode::NOT_FOUND),
    ] {
        let (s, _, body) = get(&app, uri, &[]).await;
        assert_eq!(s, status, "{uri}");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json error");
        assert!(v["message"].is_string(), "{uri}");
    }
    let (s, _, body) = get(&app, "/tiles/atlas.json", &[("host", "atlas.test")]).await;
    assert_eq!(s, StatusCode::OK);
    let tj: serde_json::Value = serde_json::from_slice(&body).expect("tilejson");
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        tj["tiles"][0],
        "http://atlas.test/tiles/atlas/{z}/{x}/{y}.mvt"
    );
    assert_eq!(
        tj["vector_layers"].as_array().expect("layers").len(),
        Layer::ALL.len()
    );
}

/// The server's tiles and the `PostGIS` tile functions' tiles for the same data.
async fn compare_with(store_url: &str, fetch: impl Fn(TileId) -> Vec<u8>) {
    let store = gridatlas_server::store::postgis::PostGis::connect(store_url)
        .await
        .expect("postgis");
    let atlas = Atlas::open(Box::new(store)).await.expect("atlas");
    let snap = atlas.snapshot();
    let mut compared = 0;
    let (mut gates, mut ways, mut major_ways) = (0, 0, 0);
    for &(z, x, y) in DEMO_TILES {
        let t = TileId::new(z, x, y).expect("tile");
        let (our_bytes, their_bytes) = (tiles::encode(&snap, &Layer::ALL, t), fetch(t));
        let (ours, theirs) = (content(&our_bytes), content(&their_bytes));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "layers of {t}"
        );
        for (layer, features) in &ours {
            // Slivers within the 64-unit buffer may be kept by one encoder and simplified away
            // by the other; everything reaching into the tile itself must agree exactly.
            let only_ours: Vec<_> = features
                .iter()
                .filter(|f| !theirs[layer].contains(f) && !only_in_buffer(&our_bytes, layer, f.0))
                .collect();
            let only_theirs: Vec<_> = theirs[layer]
                .iter()
                .filter(|f| !features.contains(f) && !only_in_buffer(&their_bytes, layer, f.0))
                .collect();
            assert!(only_ours.is_empty() && only_theirs.is_empty(), "{layer} in {t}: only in the server's tile: {only_ours:?}; only in the other: {only_theirs:?}");
            compared += features.len();
            match (layer.as_str(), t.z() >= tiles::WAYS_DETAIL_MINZOOM) {
                ("gates", _) => gates += features.len(),
                ("ways", true) => ways += features.len(),
                ("ways", false) => major_ways += features.len(),
                _ => {}
            }
        }
    }
    assert!(
        compared > 500 && gates > 0 && ways > 0 && major_ways > 0,
        "the comparison covers many features ({compared}), gates ({gates}), ways ({ways}) and \
         major ways below z14 ({major_ways}) among them"
    );
    atlas.store().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgis_tile_functions_carry_the_same_features_and_properties_as_the_server() {
    let url = common::fresh_pg_url().await;
    let store = gridatlas_server::store::postgis::PostGis::connect(&url)
        .await
        .expect("postgis");
    load_dataset(&store, agreement_dataset())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    let pool = store.pool().clone();
    let handle = tokio::runtime::Handle::current();
    let fetch = move |t: TileId| -> Vec<u8> {
        let pool = pool.clone();
        tokio::task::block_in_place(|| {
            handle.block_on(async move {
                sqlx::query_scalar::<_, Vec<u8>>("SELECT tile_atlas($1, $2, $3)")
                    .bind(i32::from(t.z()))
                    .bind(t.x() as i32)
                    .bind(t.y() as i32)
                    .fetch_one(&pool)
                    .await
                    .expect("tile_atlas")
            })
        })
    };
    compare_with(&url, fetch).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn martin_serving_martin_yaml_agrees_with_the_server_on_the_demo_tiles() {
    let Some(martin) = martin::binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs martin (see .ci/run); it is missing"
        );
        eprintln!("martin is not installed here: skipping the martin agreement test (CI runs it)");
        return;
    };
    let url = common::fresh_pg_url().await;
    let store = gridatlas_server::store::postgis::PostGis::connect(&url)
        .await
        .expect("postgis");
    load_dataset(&store, agreement_dataset())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    store.close().await;
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../tiles/martin.yaml");
    let served = martin::start(&martin, &["--config", config], &[("DATABASE_URL", &url)]);
    let port = served.port;
    let fetch = move |t: TileId| {
        let (status, body) =
            martin::http_get(port, &format!("/atlas/{}/{}/{}", t.z(), t.x(), t.y()));
        assert!(
            status == 200 || status == 204,
            "martin answered {status} for {t}"
        );
        body
    };
    compare_with(&url, &fetch).await;
    // The per-layer source of ways serves the composite's ways layer (and nothing, 404, below
    // its minzoom).
    for &(z, x, y) in DEMO_TILES {
        let t = TileId::new(z, x, y).expect("tile");
        let (status, body) = martin::http_get(port, &format!("/ways/{z}/{x}/{y}"));
        let below = z < tiles::visible_zoom_range(Layer::Ways).0;
        assert!(
            status == 200 || status == 204 || (below && status == 404),
            "martin answered {status} for ways {t}"
        );
        let body = if status == 404 { Vec::new() } else { body };
        assert_eq!(
            content(&body).get("ways"),
            content(&fetch(t)).get("ways"),
            "ways in {t}"
        );
    }
}

/// martin.yaml serves every layer through its tile function, from the zoom the layer's tiles
/// start at (`TileJSON`'s `minzoom`), and the composite from zoom 0.
#[test]
fn martin_yaml_has_a_source_per_layer_with_the_layers_zooms() {
    let yaml =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tiles/martin.yaml"))
            .expect("martin.yaml");
    let source = |name: &str| -> (String, u8, u8) {
        let line = yaml
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name}: {{")))
            .unwrap_or_else(|| panic!("no martin source {name}"));
        let field = |key: &str| -> String {
            let rest = &line[line.find(&format!("{key}: ")).expect(key) + key.len() + 2..];
            rest.split([',', ' ', '}'])
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        (
            field("function"),
            field("minzoom").parse().expect("minzoom"),
            field("maxzoom").parse().expect("maxzoom"),
        )
    };
    assert_eq!(
        source("atlas"),
        ("tile_atlas".to_owned(), 0, tiles::MAX_ZOOM)
    );
    for layer in Layer::ALL {
        let (min, max) = tiles::visible_zoom_range(layer);
        assert_eq!(
            source(layer.name()),
            (format!("tile_{}", layer.name()), min, max),
            "{layer}"
        );
    }
}
