//! The whole atlas as one PMTiles archive (`gridatlas export --tiles`), read back by the
//! protomaps reference reader (Python `pmtiles`): its header names the zooms, bounds and the
//! `TileJSON` layers; every tile it holds is, after decompression, byte for byte the tile the
//! server answers; and every tile the server has over the extent is in it.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;

use axum::http::{Method, Request, StatusCode};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use tower::ServiceExt;

use crate::common::cli::{demo_store, gridatlas, ok};

/// Every tile of the archive as `(z, x, y) → decompressed bytes`, and its header and metadata,
/// read by the reference reader.
fn read_archive(path: &std::path::Path) -> (serde_json::Value, BTreeMap<(u8, u32, u32), Vec<u8>>) {
    let script = r#"
import gzip, json, sys
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "r+b") as f:
    source = MmapSource(f)
    reader = Reader(source)
    header = reader.header()
    meta = reader.metadata()
    out = {"header": {k: (v.name if hasattr(v, "name") else v) for k, v in header.items()}, "metadata": meta, "tiles": []}
    for (z, x, y), data in all_tiles(source):
        out["tiles"].append([z, x, y, gzip.decompress(data).hex()])
print(json.dumps(out))
"#;
    let out = Command::new("python3")
        .args(["-c", script, &path.display().to_string()])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "pmtiles reader: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let tiles = v["tiles"]
        .as_array()
        .expect("tiles")
        .iter()
        .map(|t| {
            let hex = t[3].as_str().expect("hex");
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect();
            let n = |i: usize| t[i].as_u64().expect("coordinate");
            ((n(0) as u8, n(1) as u32, n(2) as u32), bytes)
        })
        .collect();
    (v, tiles)
}

/// `gridatlas export --tiles` of `store` over zooms `min..=max`; what it printed.
fn export(store: &str, archive: &std::path::Path, min: u8, max: u8) -> String {
    let (min, max) = (min.to_string(), max.to_string());
    ok(&gridatlas(&[
        "export",
        "--store",
        store,
        "--tiles",
        &archive.display().to_string(),
        "--minzoom",
        &min,
        "--maxzoom",
        &max,
    ]))
}

/// The server's composite tile `t`, uncompressed, with its status.
async fn served_tile(app: &axum::Router, t: tiles::TileId) -> (StatusCode, axum::body::Bytes) {
    let req = Request::builder()
        .method(Method::GET)
        .uri(format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y()))
        .body(axum::body::Body::empty())
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, body)
}

#[tokio::test]
async fn the_archive_holds_exactly_the_servers_tiles() {
    let dir = tempfile::tempdir().expect("dir");
    let store = demo_store(dir.path());
    let archive = dir.path().join("atlas.pmtiles");
    let printed = export(&store, &archive, 10, 14);
    assert!(printed.contains("wrote"), "{printed}");
    let (v, archived) = read_archive(&archive);
    let header = &v["header"];
    assert_eq!(
        (header["min_zoom"].as_u64(), header["max_zoom"].as_u64()),
        (Some(10), Some(14))
    );
    assert_eq!(header["tile_type"], "MVT");
    assert_eq!(header["tile_compression"], "GZIP");
    let layers: Vec<&str> = v["metadata"]["vector_layers"]
        .as_array()
        .expect("vector_layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert!(
        layers.contains(&"compounds") && layers.contains(&"ways"),
        "{layers:?}"
    );

    let opened = gridatlas_server::store::open(&store).await.expect("store");
    crate::common::add_account(opened.as_ref(), "root", "admin", "district").await;
    let atlas = Atlas::open(opened).await.expect("atlas");
    let bounds = tiles::data_bounds(&atlas.snapshot()).expect("bounds");
    let app = app(AppState::new(Arc::new(atlas), Config::default()));
    let mut served = 0;
    for z in 10..=14u8 {
        for t in tiles::archive::tiles_over(bounds, z) {
            let (status, body) = served_tile(&app, t).await;
            let key = (t.z(), t.x(), t.y());
            match archived.get(&key) {
                Some(bytes) => {
                    assert_eq!(status, StatusCode::OK, "{key:?}");
                    assert!(
                        bytes[..] == body[..],
                        "tile {key:?} differs from the server's"
                    );
                    served += 1;
                }
                None => assert!(body.is_empty(), "tile {key:?} is served but not archived"),
            }
        }
    }
    assert_eq!(
        served,
        archived.len(),
        "every archived tile lies over the data"
    );
    assert!(served > 50, "{served} tiles");
    eprintln!("{served} tiles of z10–14 identical in the archive and from the server");
    // An edit, then `--update`: only the tiles it touched are encoded again, and the archive is
    // tile for tile the one a whole export writes.
    let token = crate::common::sign_in(&app, "root").await;
    let uri = "/ogc/collections/compounds/items?limit=1";
    let (_, list) = crate::common::send(&app, Method::GET, uri, None, None, None).await;
    let mut f = list["features"][0].clone();
    f["properties"]["name"] = serde_json::json!("改名后的小区");
    let (s, v) = crate::common::put_feature(&app, &token, "compounds", &f).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    drop(app);
    let archive_s = archive.display().to_string();
    let zooms = ["--minzoom", "10", "--maxzoom", "14"];
    let mut args = vec![
        "export", "--store", &store, "--tiles", &archive_s, "--update",
    ];
    args.extend(zooms);
    let updated = ok(&gridatlas(&args));
    let kept_line = updated
        .lines()
        .find_map(|l| l.strip_prefix("kept "))
        .unwrap_or_else(|| panic!("no \"kept\" line in {updated}"));
    let numbers: Vec<usize> = kept_line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let (copied, encoded) = (numbers[0], numbers[1]);
    let fresh = dir.path().join("fresh.pmtiles").display().to_string();
    let mut args = vec!["export", "--store", &store, "--tiles", &fresh];
    args.extend(zooms);
    ok(&gridatlas(&args));
    let (_, after_update) = read_archive(&archive);
    let (_, whole) = read_archive(std::path::Path::new(&fresh));
    assert!(
        after_update == whole,
        "the updated archive equals a whole export"
    );
    assert!(after_update != archived, "the edit changed some tiles");
    assert!(copied > 0 && encoded < copied, "{updated}");
    eprintln!("after one edit: {encoded} tiles encoded again, {copied} copied");
}

/// A tile's bytes as decoded: gzip undone where martin passed the archive's bytes on as stored.
fn inflated(bytes: &[u8]) -> Vec<u8> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut out)
            .expect("gzip");
        out
    } else {
        bytes.to_vec()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn martin_serves_the_archive_with_the_servers_tiles() {
    let Some(martin) = crate::common::martin::binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs martin (see .ci/run); it is missing"
        );
        eprintln!("martin is not installed here: skipping the archive through martin (CI runs it)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let store = demo_store(dir.path());
    let archive = dir.path().join("atlas.pmtiles");
    export(&store, &archive, 11, 15);
    // martin serves a PMTiles file named on its command line as the source of its file stem.
    let served = crate::common::martin::start(&martin, &[&archive.display().to_string()], &[]);
    let opened = gridatlas_server::store::open(&store).await.expect("store");
    let atlas = Atlas::open(opened).await.expect("atlas");
    let bounds = tiles::data_bounds(&atlas.snapshot()).expect("bounds");
    let app = app(AppState::new(Arc::new(atlas), Config::default()));
    let (mut same, mut empty) = (0, 0);
    for z in 11..=15u8 {
        for t in tiles::archive::tiles_over(bounds, z) {
            let (_, live) = served_tile(&app, t).await;
            let (status, body) = crate::common::martin::http_get(
                served.port,
                &format!("/atlas/{}/{}/{}", t.z(), t.x(), t.y()),
            );
            if live.is_empty() {
                assert!(
                    status == 204 || (status == 200 && body.is_empty()) || status == 404,
                    "martin answered {status} for the empty tile {t}"
                );
                empty += 1;
            } else {
                assert_eq!(status, 200, "martin answered {status} for {t}");
                assert!(
                    inflated(&body) == live[..],
                    "tile {t} through martin differs from the server's"
                );
                same += 1;
            }
        }
    }
    drop(served);
    assert!(same > 100, "{same} tiles");
    eprintln!("{same} tiles of z11–15 identical through martin and from the server ({empty} empty on both)");
}
