//! Vector tiles served by the server: decoded by GDAL (independent decoder), fresh after every
//! edit (ETag per content), clear errors for bad addresses; and the PostGIS tile functions (which
//! martin serves) carrying the same features and properties as the server's tiles.

use crate::common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use engine::Layer;
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

/// A tile's content: per layer, its features as (id, properties as text), sorted.
type Content = BTreeMap<String, Vec<(Option<u64>, BTreeMap<String, String>)>>;

/// Whether a feature lies entirely in the buffer strip around the tile (outside 0…4096).
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
        block.contains("property_management (String) = professional"),
        "{block}"
    );
    assert!(block.contains("three_no (Integer(Boolean)) = 0"), "{block}");
    assert!(block.contains("POLYGON"), "{block}");
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
    assert_eq!(tj["vector_layers"].as_array().expect("layers").len(), 8);
}

/// The server's tiles and the PostGIS tile functions' tiles for the same data.
async fn compare_with(store_url: &str, fetch: impl Fn(TileId) -> Vec<u8>) {
    let store = gridatlas_server::store::postgis::PostGis::connect(store_url)
        .await
        .expect("postgis");
    let atlas = Atlas::open(Box::new(store)).await.expect("atlas");
    let snap = atlas.snapshot();
    let mut compared = 0;
    let mut gates = 0;
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
            if layer == "gates" {
                gates += features.len();
            }
        }
    }
    assert!(
        compared > 500 && gates > 0,
        "the comparison covers many features ({compared}), gates among them ({gates})"
    );
    atlas.store().close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgis_tile_functions_carry_the_same_features_and_properties_as_the_server() {
    let url = common::fresh_pg_url().await;
    let store = gridatlas_server::store::postgis::PostGis::connect(&url)
        .await
        .expect("postgis");
    load_dataset(&store, data::demo_district())
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

/// Finds a martin binary: `MARTIN_BIN`, `/opt/martin/bin/martin`, or `martin` on the PATH.
fn martin_binary() -> Option<String> {
    let candidates = [
        std::env::var("MARTIN_BIN").ok(),
        Some("/opt/martin/bin/martin".into()),
        Some("martin".into()),
    ];
    candidates.into_iter().flatten().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn http_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect martin");
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept-Encoding: identity\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers")
        + 4;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, buf[split..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn martin_serving_martin_yaml_agrees_with_the_server_on_the_demo_tiles() {
    let Some(martin) = martin_binary() else {
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
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    store.close().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/../tiles/martin.yaml");
    let mut child = Command::new(&martin)
        .args(["--config", config])
        .env("DATABASE_URL", &url)
        .env("MARTIN_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start martin");
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed().as_secs() < 60, "martin did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let fetch = move |t: TileId| {
        let (status, body) = http_get(port, &format!("/atlas/{}/{}/{}", t.z(), t.x(), t.y()));
        assert!(
            status == 200 || status == 204,
            "martin answered {status} for {t}"
        );
        body
    };
    compare_with(&url, fetch).await;
    child.kill().ok();
    child.wait().ok();
}
