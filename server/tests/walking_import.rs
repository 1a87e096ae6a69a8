//! OpenStreetMap ways through `gridatlas import` into both stores: the network the atlas then
//! walks (built from the stored `ways` layer) is the one read from the extract — the same
//! nodes, edges and lengths — so what `osm_network_against_networkx` checks of the reader's
//! graph holds for imported data; GDAL reads the stored layer; a second import is refused as
//! duplicate ways would be, not silently doubled; GeoJSON lines import too.

use std::path::Path;

use engine::analysis::WalkNetwork;
use engine::network::{Graph, WayInput};
use engine::Snapshot;
use gridatlas_server::io::osm::{read_pbf, OsmWay};
use gridatlas_server::store::Store;

use crate::common;
use common::cli::{gridatlas, ogrinfo, ok};

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osm/pyrosm-test.osm.pbf")
}

/// The graph of the extract as the reader gives it.
fn read_graph() -> Graph {
    let read = read_pbf(&fixture()).expect("the fixture reads");
    let ways: Vec<WayInput> = read.ways.iter().map(OsmWay::way_input).collect();
    Graph::build(&ways)
}

fn assert_same_network(stored: &Graph, read: &Graph) {
    assert_eq!(stored.node_count(), read.node_count(), "nodes");
    assert_eq!(stored.edge_count(), read.edge_count(), "edges");
    let total = |g: &Graph| {
        (0..g.edge_count() as u32)
            .map(|e| g.edge_length(e))
            .sum::<f64>()
    };
    let (a, b) = (total(stored), total(read));
    // Stored coordinates are rounded to 1e-9° (0.1 mm).
    assert!((a - b).abs() <= 1e-7 * b, "total length {a} vs {b}");
}

async fn stored_graph(store: &dyn Store) -> Graph {
    let (version, data) = store.load().await.expect("load");
    let snapshot = Snapshot::new(version, data);
    Graph::clone(&WalkNetwork::build(&snapshot, 300.0).graph)
}

#[tokio::test]
async fn an_osm_extract_imported_into_a_geopackage_is_walked_as_read() {
    let dir = tempfile::tempdir().expect("dir");
    let store = dir.path().join("atlas.gpkg");
    let store = store.to_str().expect("path");
    let fixture = fixture();
    let out = ok(&gridatlas(&[
        "import",
        "--store",
        store,
        fixture.to_str().expect("path"),
    ]));
    assert!(out.contains("imported 331 features"), "{out}");
    assert!(
        out.contains("walkable"),
        "the report says what was read: {out}"
    );
    let again = gridatlas(&["import", "--store", store, fixture.to_str().expect("path")]);
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && err.contains("is in the atlas already"),
        "a second import of the same ways is refused: {err}"
    );
    let info = ogrinfo(&["-so", store, "ways"]);
    assert!(
        info.contains("Feature Count: 331") && info.contains("Multi Line String"),
        "{info}"
    );
    let gpkg = gridatlas_server::store::gpkg::GeoPackage::open(Path::new(store))
        .await
        .expect("open");
    assert_same_network(&stored_graph(&gpkg).await, &read_graph());

    // A ways file named in Chinese imports as ways; a line where a point belongs is refused
    // with the row and the reason.
    let lines = dir.path().join("小区内部道路.geojson");
    std::fs::write(
        &lines,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"北门步道","kind":"footway"},
             "geometry":{"type":"LineString","coordinates":[[26.9401,60.5301],[26.9405,60.5303]]}},
            {"type":"Feature","properties":{"kind":"steps","bridge":true},
             "geometry":{"type":"MultiLineString","coordinates":[[[26.9410,60.5301],[26.9412,60.5302]],[[26.9420,60.5301],[26.9421,60.5305]]]}}]}"#,
    )
    .expect("write");
    let out = ok(&gridatlas(&[
        "import",
        "--store",
        store,
        lines.to_str().expect("path"),
    ]));
    assert!(out.contains("imported 2 features"), "{out}");
    // A surveyor's Shapefile of lines: GBK attributes with Chinese headers and values, written
    // by GDAL.
    let source = dir.path().join("lines.geojson");
    std::fs::write(
        &source,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"名称":"滨河步道","道路类型":"人行道","桥梁":"否"},
             "geometry":{"type":"MultiLineString","coordinates":[[[26.9501,60.5301],[26.9505,60.5303]],[[26.9506,60.5303],[26.9509,60.5306]]]}},
            {"type":"Feature","properties":{"名称":"小桥","道路类型":"台阶","桥梁":"是"},
             "geometry":{"type":"LineString","coordinates":[[26.9510,60.5301],[26.9512,60.5302]]}}]}"#,
    )
    .expect("write");
    let shp = dir.path().join("步行路径.shp");
    let gdal = std::process::Command::new("ogr2ogr")
        .args(["-f", "ESRI Shapefile", "-lco", "ENCODING=GBK"])
        .arg(&shp)
        .arg(&source)
        .output()
        .expect("ogr2ogr");
    assert!(
        gdal.status.success(),
        "{}",
        String::from_utf8_lossy(&gdal.stderr)
    );
    let out = ok(&gridatlas(&[
        "import",
        "--store",
        store,
        shp.to_str().expect("path"),
    ]));
    assert!(out.contains("imported 2 features"), "{out}");
    let exported = common::cli::export_layer(dir.path(), store, "ways");
    let bridge = exported["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["name"] == "小桥")
        .expect("the bridge");
    assert_eq!(bridge["properties"]["kind"], "steps");
    assert_eq!(bridge["properties"]["bridge"], true);
    let path = exported["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["name"] == "滨河步道")
        .expect("the path");
    assert_eq!(
        path["geometry"]["coordinates"].as_array().map(Vec::len),
        Some(2),
        "two parts"
    );

    let bad = dir.path().join("道路.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"kind":"footway"},"geometry":{"type":"Point","coordinates":[26.94,60.53]}},
            {"type":"Feature","properties":{"kind":"lane"},"geometry":{"type":"LineString","coordinates":[[26.94,60.53],[26.94,60.53]]}}]}"#,
    )
    .expect("write");
    let refused = gridatlas(&["import", "--store", store, bad.to_str().expect("path")]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("feature 0") && err.contains("LineString"),
        "names the feature and the geometry it needs: {err}"
    );
    assert!(
        err.contains("feature 1") && err.contains("kind") && err.contains("2 distinct"),
        "an unknown kind and a line of one point are named: {err}"
    );
}

#[tokio::test]
async fn an_osm_extract_imported_into_postgis_is_walked_as_read() {
    let url = common::fresh_pg_url().await;
    let fixture = fixture();
    ok(&gridatlas(&["migrate", "--database-url", &url]));
    ok(&gridatlas(&[
        "import",
        "--database-url",
        &url,
        fixture.to_str().expect("path"),
    ]));
    let pg = gridatlas_server::store::postgis::PostGis::connect(&url)
        .await
        .expect("connect");
    assert_same_network(&stored_graph(&pg).await, &read_graph());
}
