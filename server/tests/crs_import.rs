//! Importing a surveyor's file in a CGCS2000 Gauss-Krüger zone by one command: `--crs EPSG:4523`
//! (3° zone 35, zone prefix in the easting) and `--crs EPSG:4544` (the same zone without the
//! prefix). The eastings and northings are made by GDAL over PROJ (`gdaltransform`), and the
//! stored longitude/latitude must come back within 1 cm of the points they were made from. A
//! file whose eastings belong to another zone is refused naming the feature and the reason, and
//! nothing is written. Needs gdal-bin (CI installs it); never skips.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::cli::{demo_store, export_layer, gridatlas, ok};

/// Two places of 龙南社区 (CGCS2000 / WGS84 lon, lat).
const PLACES: [(f64, f64); 2] = [(105.4420, 28.9010), (105.4391, 28.8966)];

/// `points` (lon, lat in EPSG:4490) projected into `epsg` by gdaltransform.
fn project(epsg: &str, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut child = Command::new("gdaltransform")
        .args(["-s_srs", "EPSG:4490", "-t_srs", epsg, "-output_xy"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("gdaltransform (gdal-bin) must be installed: apt-get install gdal-bin");
    let input: String = points
        .iter()
        .map(|(x, y)| format!("{x:.10} {y:.10}\n"))
        .collect();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("gdaltransform runs");
    assert!(out.status.success(), "gdaltransform failed");
    String::from_utf8(out.stdout)
        .expect("text")
        .lines()
        .map(|l| {
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|n| n.parse().expect("number"))
                .collect();
            (v[0], v[1])
        })
        .collect()
}

/// A GeoJSON of grid posts at the given projected positions, naming no community (each takes
/// the one it lies in).
fn stations_file(dir: &Path, name: &str, positions: &[(f64, f64)]) -> String {
    let features: Vec<serde_json::Value> = positions
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            serde_json::json!({
                "type": "Feature",
                "properties": { "name": format!("测绘网格驿站{i}"), "kind": "grid_post",
                    "level": "community" },
                "geometry": { "type": "Point", "coordinates": [x, y] }
            })
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(
        &path,
        serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string(),
    )
    .expect("write");
    path.display().to_string()
}

/// The stored positions of the imported posts, by name.
fn exported_posts(dir: &Path, store: &str) -> Vec<(String, f64, f64)> {
    let fc = export_layer(dir, store, "stations");
    fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| {
            let name = f["properties"]["name"].as_str()?;
            name.starts_with("测绘网格驿站").then(|| {
                let c = &f["geometry"]["coordinates"];
                (
                    name.to_owned(),
                    c[0].as_f64().expect("lon"),
                    c[1].as_f64().expect("lat"),
                )
            })
        })
        .collect()
}

fn imports_within_a_centimetre(epsg: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let file = stations_file(dir.path(), "posts.geojson", &project(epsg, &PLACES));
    ok(&gridatlas(&[
        "import", "--store", &store, "--crs", epsg, "--layer", "stations", &file,
    ]));
    let mut posts = exported_posts(dir.path(), &store);
    posts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(posts.len(), PLACES.len());
    for ((_, lon, lat), (lon0, lat0)) in posts.iter().zip(PLACES) {
        let metres =
            ((lon - lon0) * 111_320.0 * lat0.to_radians().cos()).hypot((lat - lat0) * 110_574.0);
        assert!(
            metres < 0.01,
            "{epsg}: ({lon}, {lat}) is {metres} m from ({lon0}, {lat0})"
        );
    }
}

#[test]
fn a_file_in_a_prefixed_3_degree_zone_imports_within_a_centimetre_of_proj() {
    imports_within_a_centimetre("EPSG:4523");
}

#[test]
fn a_file_in_a_central_meridian_zone_imports_within_a_centimetre_of_proj() {
    imports_within_a_centimetre("EPSG:4544");
}

#[test]
fn eastings_of_another_zone_are_refused_naming_the_feature_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    // Zone 36 (EPSG:4524) eastings declared as zone 35.
    let file = stations_file(dir.path(), "posts.geojson", &project("EPSG:4524", &PLACES));
    let before = std::fs::read(&store).expect("bytes");
    let out = gridatlas(&[
        "import",
        "--store",
        &store,
        "--crs",
        "EPSG:4523",
        "--layer",
        "stations",
        &file,
    ]);
    assert!(!out.status.success(), "the import must be refused");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("feature 0"), "names the feature: {text}");
    assert!(text.contains("geometry"), "names the field: {text}");
    assert!(
        text.contains("EPSG:4523"),
        "names the declared system: {text}"
    );
    assert_eq!(
        std::fs::read(&store).expect("bytes"),
        before,
        "nothing written"
    );
}

#[test]
fn an_old_datum_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let file = stations_file(dir.path(), "posts.geojson", &[(35_543_109.0, 3_198_377.0)]);
    // Beijing 1954 3° zone 35 (EPSG:2411) needs a datum grid.
    let out = gridatlas(&[
        "import",
        "--store",
        &store,
        "--crs",
        "EPSG:2411",
        "--layer",
        "stations",
        &file,
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Beijing 1954") && err.contains("datum"),
        "{err}"
    );
}
