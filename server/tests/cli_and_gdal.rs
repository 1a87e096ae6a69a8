//! The `gridatlas` binary end to end: demo, import (good, malformed, dry run, GCJ-02), export to
//! GeoJSON / CSV / GeoPackage, and GDAL (`ogrinfo`) reading the store, the export and the
//! running server's OGC API. GDAL must be installed (CI installs gdal-bin); these never skip.

use crate::common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::{demo_store, export_layer, gridatlas, ogrinfo, ok};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// Imports a GCJ-02 file of stations (what the import printed) and exports the stations layer
/// as GeoJSON.
fn import_gcj02_stations(dir: &Path, store: &str, file: &str) -> (String, serde_json::Value) {
    let said = ok(&gridatlas(&[
        "import", "--store", store, "--crs", "gcj02", "--layer", "stations", file,
    ]));
    (said, export_layer(dir, store, "stations"))
}

/// A dry-run import of a GCJ-02 file of stations, with `extra` arguments.
fn dry_import_gcj02_stations(store: &str, file: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "import",
        "--store",
        store,
        "--dry-run",
        "--crs",
        "gcj02",
        "--layer",
        "stations",
    ];
    args.extend_from_slice(extra);
    args.push(file);
    gridatlas(&args)
}

fn layer_count(ogr: &str) -> Option<usize> {
    ogr.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn demo_then_export_shows_longnan_with_21_compounds_19_three_no_and_3056_households() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let out = dir.path().join("longnan.geojson");
    ok(&gridatlas(&[
        "export",
        "--store",
        &store,
        "--layer",
        "compounds",
        "--community",
        "510504003004",
        "-o",
        out.to_str().expect("path"),
    ]));
    let fc = read_json(&out);
    let features = fc["features"].as_array().expect("features");
    assert_eq!(features.len(), 21);
    let buildings = dir.path().join("longnan_buildings.geojson");
    ok(&gridatlas(&[
        "export",
        "--store",
        &store,
        "--layer",
        "buildings",
        "--community",
        "510504003004",
        "-o",
        buildings.to_str().expect("path"),
    ]));
    let scattered: i64 = read_json(&buildings)["features"]
        .as_array()
        .expect("buildings")
        .iter()
        .filter(|b| b["properties"]["compound_id"].is_null())
        .map(|b| b["properties"]["households"].as_i64().expect("households"))
        .sum();
    assert_eq!(
        features
            .iter()
            .filter(|f| f["properties"]["three_no"] == true)
            .count(),
        19
    );
    assert_eq!(
        features
            .iter()
            .map(|f| f["properties"]["households"].as_i64().expect("households"))
            .sum::<i64>()
            + scattered,
        3056,
        "the report's households: compounds and scattered buildings"
    );
}

#[test]
fn a_malformed_import_lists_every_problem_and_leaves_the_store_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let before = std::fs::read(&store).expect("store bytes");
    let out = gridatlas(&[
        "import",
        "--store",
        &store,
        "--layer",
        "compounds",
        &fixture("malformed_compounds.geojson"),
    ]);
    assert!(!out.status.success(), "a malformed import must fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("malformed_compounds.geojson: feature "))
        .collect();
    let expect = [
        ("feature 0 (id 900001): geometry:", "not closed"),
        ("feature 1 (id 900002): geometry:", "self-intersection"),
        ("feature 2 (id 900003): geometry:", "latitude 95"),
        ("feature 3 (id 900004): households:", "required but missing"),
        ("feature 4 (id 900005): households:", "must be ≥ 0, got -5"),
        (
            "feature 5 (id 900006): geometry:",
            "expected Polygon, got Point",
        ),
    ];
    for (prefix, reason) in expect {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(prefix) && l.contains(reason)),
            "no line with {prefix} … {reason} in:\n{stderr}"
        );
    }
    assert_eq!(lines.len(), expect.len(), "one line per problem:\n{stderr}");
    assert_eq!(
        std::fs::read(&store).expect("store bytes"),
        before,
        "the store file is byte-for-byte unchanged"
    );

    let broken = gridatlas(&[
        "import",
        "--store",
        &store,
        "--layer",
        "compounds",
        &fixture("broken.geojson"),
    ]);
    assert!(!broken.status.success());
    assert!(
        String::from_utf8_lossy(&broken.stderr).contains("invalid JSON at line 1"),
        "{}",
        String::from_utf8_lossy(&broken.stderr)
    );
    assert_eq!(std::fs::read(&store).expect("store bytes"), before);

    let dry = gridatlas(&[
        "import",
        "--store",
        &store,
        "--dry-run",
        "--layer",
        "compounds",
        &fixture("malformed_compounds.geojson"),
    ]);
    assert!(
        !dry.status.success(),
        "a dry run of bad data exits non-zero"
    );
    assert_eq!(std::fs::read(&store).expect("store bytes"), before);
}

#[test]
fn gcj02_input_is_converted_to_wgs84_on_import_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let file = fixture("gcj02_stations.geojson");
    let before = std::fs::read(&store).expect("bytes");
    let dry = ok(&dry_import_gcj02_stations(&store, &file, &[]));
    assert!(dry.contains("1 features are valid"), "{dry}");
    assert_eq!(std::fs::read(&store).expect("bytes"), before);
    let (said, fc) = import_gcj02_stations(dir.path(), &store, &file);
    assert!(!said.contains("read as"), "UTF-8 needs no word: {said}");
    let s = fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["name"] == "高德坐标网格驿站")
        .expect("imported station");
    let (lon, lat) = (
        s["geometry"]["coordinates"][0].as_f64().expect("lon"),
        s["geometry"]["coordinates"][1].as_f64().expect("lat"),
    );
    // The reference pair from data/reference/crs_vectors.csv (peer: prcoords).
    assert!(
        (lon - 105.4420).abs() < 1e-6 && (lat - 28.9010).abs() < 1e-6,
        "{lon},{lat}"
    );
}

#[test]
fn a_gbk_csv_of_amap_points_with_chinese_headers_and_values_imports_by_one_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    // Written by make_gbk_csv.py with Python's gbk codec: 名称,站点类型,层级,面积(㎡),经度,纬度 —
    // no community: each post takes the one it lies in.
    let file = fixture("gcj02_posts_gbk.csv");
    let said = import_gcj02_stations(dir.path(), &store, &file);
    let fc = &said.1;
    assert!(
        said.0.contains("read as GBK/GB18030"),
        "the report says which encoding: {}",
        said.0
    );
    assert!(
        said.0
            .contains("2 features named no community: each took the community it lies in"),
        "the report says the community came from the map: {}",
        said.0
    );
    let post = |name: &str| {
        fc["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["properties"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} imported with its Chinese name intact"))
            .clone()
    };
    let amap = post("高德坐标网格驿站");
    assert_eq!(
        amap["properties"]["community_code"], "510504003012",
        "(105.4420, 28.9010) lies in 双桂社区"
    );
    assert_eq!(
        amap["properties"]["kind"], "grid_post",
        "网格驿站 read as its value"
    );
    assert_eq!(
        amap["properties"]["level"], "community",
        "社区级(10分钟) read as its value"
    );
    assert_eq!(
        amap["properties"]["floor_area"], 1200.0,
        "1,200 read as a number"
    );
    let c = &amap["geometry"]["coordinates"];
    let (lon, lat) = (c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
    // The same reference pair as the GeoJSON test (data/reference/crs_vectors.csv).
    assert!(
        (lon - 105.4420).abs() < 1e-6 && (lat - 28.9010).abs() < 1e-6,
        "{lon},{lat}"
    );
    assert_eq!(
        post("龙南路网格驿站")["properties"]["floor_area"],
        85.0,
        "full-width digits read"
    );
}

#[test]
fn a_declared_encoding_is_used_and_a_wrong_one_refused_writing_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let file = fixture("gcj02_posts_gbk.csv");
    let before = std::fs::read(&store).expect("bytes");
    let import =
        |encoding: &str| dry_import_gcj02_stations(&store, &file, &["--encoding", encoding]);
    let wrong = import("utf-8");
    assert!(
        !wrong.status.success(),
        "GBK bytes declared UTF-8 are refused"
    );
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("not UTF-8 text"), "{err}");
    let said = ok(&import("gbk"));
    assert!(
        said.contains("(--encoding)") && said.contains("2 features are valid"),
        "{said}"
    );
    assert_eq!(
        std::fs::read(&store).expect("bytes"),
        before,
        "dry runs write nothing"
    );
}

#[test]
fn csv_export_imports_back_into_an_empty_store_identically() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let fresh = dir.path().join("fresh.gpkg").display().to_string();
    let mut files = Vec::new();
    for layer in [
        "streets",
        "communities",
        "grids",
        "compounds",
        "buildings",
        "stations",
        "service_spaces",
    ] {
        let f = dir.path().join(format!("{layer}.csv"));
        ok(&gridatlas(&[
            "export",
            "--store",
            &store,
            "--layer",
            layer,
            "-o",
            f.to_str().expect("path"),
        ]));
        files.push(f.display().to_string());
    }
    let mut args = vec!["import", "--store", fresh.as_str()];
    args.extend(files.iter().map(String::as_str));
    ok(&gridatlas(&args));
    for layer in ["compounds", "service_spaces", "buildings"] {
        let a = dir.path().join(format!("a_{layer}.geojson"));
        let b = dir.path().join(format!("b_{layer}.geojson"));
        ok(&gridatlas(&[
            "export",
            "--store",
            &store,
            "--layer",
            layer,
            "-o",
            a.to_str().expect("p"),
        ]));
        ok(&gridatlas(&[
            "export",
            "--store",
            &fresh,
            "--layer",
            layer,
            "-o",
            b.to_str().expect("p"),
        ]));
        let strip = |mut v: serde_json::Value| {
            v.as_object_mut().map(|o| o.remove("data_version"));
            v
        };
        assert_eq!(
            strip(read_json(&a))["features"],
            strip(read_json(&b))["features"],
            "{layer} identical after a CSV round trip"
        );
    }
}

#[test]
fn gdal_reads_the_embedded_store_and_an_exported_geopackage() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let listing = ogrinfo(&["-ro", &store]);
    for layer in [
        "streets (Multi Polygon)",
        "communities (Multi Polygon)",
        "grids (Polygon)",
        "compounds (Polygon)",
        "buildings",
        "stations (Point)",
        "service_spaces",
    ] {
        assert!(listing.contains(layer), "ogrinfo lists {layer}:\n{listing}");
    }
    let exported = dir.path().join("export.gpkg");
    ok(&gridatlas(&[
        "export",
        "--store",
        &store,
        "-o",
        exported.to_str().expect("p"),
    ]));
    let summary = ogrinfo(&["-ro", "-so", exported.to_str().expect("p"), "compounds"]);
    let demo = data::demo_district();
    assert_eq!(
        layer_count(&summary),
        Some(demo.compounds.len()),
        "{summary}"
    );
    // Attribute values, Chinese included, read back by GDAL's own GeoPackage driver.
    let where_ = ogrinfo(&[
        "-ro",
        exported.to_str().expect("p"),
        "compounds",
        "-where",
        "name = '巴士天福苑'",
    ]);
    assert!(
        where_.contains("property_management (String) = joint"),
        "{where_}"
    );
    assert!(where_.contains("POLYGON"), "{where_}");
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn serve(store: &str) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_gridatlas"))
        .args([
            "serve",
            "--store",
            store,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--web-dir",
            "/nonexistent",
        ])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, port }
}

#[test]
fn gdal_oapif_driver_lists_and_reads_every_layer_of_the_running_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let server = serve(&store);
    let url = format!("OAPIF:http://127.0.0.1:{}/ogc", server.port);
    let listing = ogrinfo(&["-ro", &url]);
    for layer in [
        "streets",
        "communities",
        "grids",
        "compounds",
        "buildings",
        "stations",
        "service_spaces",
    ] {
        assert!(
            listing
                .lines()
                .any(|l| l.split_whitespace().nth(1) == Some(layer)),
            "OAPIF lists {layer}:\n{listing}"
        );
    }
    let demo = data::demo_district();
    // Counting every feature makes GDAL follow the paging links to the end.
    let compounds = ogrinfo(&["-ro", "-so", "-al", &url, "compounds"]);
    assert_eq!(
        layer_count(&compounds),
        Some(demo.compounds.len()),
        "{compounds}"
    );
    let buildings = ogrinfo(&["-ro", "-al", "-q", &url, "buildings"]);
    assert_eq!(
        buildings.matches("OGRFeature(buildings)").count(),
        demo.buildings.len(),
        "GDAL pages through every building"
    );
    let one = ogrinfo(&["-ro", "-al", &url, "compounds", "-where", "name = '聚福苑'"]);
    assert!(
        one.contains("households (Integer") && one.contains("POLYGON"),
        "{one}"
    );
}
