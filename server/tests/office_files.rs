//! Office files in by one command: a GBK Shapefile in a CGCS2000 Gauss-Krüger zone with the
//! zone prefix (and a .cpg), one in a central-meridian zone without a .cpg, an Excel ledger with
//! a merged title and a two-row header. The fixtures were written by GDAL's ogr2ogr (PROJ
//! projected the WGS84 truth beside them) and openpyxl (`fixtures/office/make_office_files.py`);
//! coordinates must come back within 1 cm of the truth and Chinese text intact. Bad files are
//! refused with the row, column and value, and nothing is written.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::cli::{demo_store, export_layer, gridatlas, ogrinfo, ok, LAYERS};
use serde_json::Value;

fn office(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/office")
        .join(name)
        .display()
        .to_string()
}

fn truth(layer: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(office(&format!("truth_{layer}.geojson"))).expect("truth");
    let fc: Value = serde_json::from_str(&text).expect("json");
    fc["features"].as_array().expect("features").clone()
}

/// The newest feature called `name` (the demo district has its own 1栋).
fn named<'a>(features: &'a Value, name: &str) -> &'a Value {
    features["features"]
        .as_array()
        .expect("features")
        .iter()
        .rev()
        .find(|f| f["properties"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} not imported"))
}

/// Every position of a GeoJSON geometry.
fn positions(g: &Value) -> Vec<(f64, f64)> {
    fn walk(v: &Value, out: &mut Vec<(f64, f64)>) {
        match v.as_array() {
            Some(a) if a.len() >= 2 && a[0].is_number() => {
                out.push((a[0].as_f64().expect("x"), a[1].as_f64().expect("y")));
            }
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    let mut out = Vec::new();
    walk(&g["coordinates"], &mut out);
    out
}

/// Largest distance in metres between matching positions (as a ring may start elsewhere,
/// each position is matched with the nearest of the other set).
fn max_offset_m(got: &Value, want: &Value) -> f64 {
    let (a, b) = (positions(got), positions(want));
    assert_eq!(a.len(), b.len(), "{got} vs {want}");
    let metres = |(x1, y1): (f64, f64), (x2, y2): (f64, f64)| {
        let k = 111_320.0;
        ((x1 - x2) * k * y1.to_radians().cos()).hypot((y1 - y2) * k)
    };
    a.iter()
        .map(|p| b.iter().map(|q| metres(*p, *q)).fold(f64::MAX, f64::min))
        .fold(0.0, f64::max)
}

fn data_version(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split("data version ").nth(1))
        .expect("data version")
        .trim()
        .to_owned()
}

/// `gridatlas import` of an office fixture into `store` as `layer`, which must succeed.
fn import_office(store: &str, layer: &str, file: &str) -> String {
    ok(&import(store, layer, &[], &office(file)))
}

/// `gridatlas import FILE` into `store` as `layer`, with `extra` arguments.
fn import(store: &str, layer: &str, extra: &[&str], file: &str) -> Output {
    let mut args = vec!["import", "--store", store, "--layer", layer];
    args.extend_from_slice(extra);
    args.push(file);
    gridatlas(&args)
}

/// The error output of an import that must be refused.
fn refused(store: &str, layer: &str, extra: &[&str], file: &str) -> String {
    failure(&import(store, layer, extra, file))
}

fn failure(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "should be refused: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_gbk_shapefile_in_gauss_kruger_zone_35_imports_by_one_command_within_a_centimetre() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let said = import_office(&store, "compounds", "compounds_gk35_gbk.shp");
    assert!(
        said.contains("attributes read as GBK (from the .cpg)"),
        "{said}"
    );
    assert!(
        said.contains("coordinates in EPSG:4523") && said.contains("(from the .prj)"),
        "{said}"
    );
    assert!(said.contains("imported 3 features"), "{said}");
    assert!(
        said.contains("3 features named no community: each took the community it lies in"),
        "{said}"
    );
    let compounds = export_layer(dir.path(), &store, "compounds");
    for t in truth("compounds") {
        let p = &t["properties"];
        let name = p["小区名称"].as_str().expect("name");
        let got = named(&compounds, name);
        let g = &got["properties"];
        assert_eq!(g["households"], p["户数"], "{name}");
        assert_eq!(g["population"], p["常住人口"], "{name}");
        // The DBF cut 60岁以上人数 to ten bytes (60岁以上人); the column is still found.
        assert_eq!(g["elderly"], p["60岁以上人数"], "{name}");
        assert_eq!(
            g["community_code"], "510504001005",
            "{name}: the survey names no community; it lies in 下大街社区"
        );
        assert_eq!(g["build_year"], p["建成年份"], "{name}");
        let offset = max_offset_m(&got["geometry"], &t["geometry"]);
        assert!(offset < 0.01, "{name}: {offset} m from PROJ's");
    }
    let fenglin = &named(&compounds, "枫林苑")["properties"];
    assert_eq!(
        (
            &fenglin["class"],
            &fenglin["property_management"],
            &fenglin["three_no"]
        ),
        (
            &Value::from("old"),
            &Value::from("none"),
            &Value::from(true)
        ),
        "老旧小区, 无物业, no committee, no competent unit: a three-no compound"
    );
    let liangzhan = &named(&compounds, "粮站宿舍")["properties"];
    assert_eq!(liangzhan["property_management"], "community_hosted");
    assert_eq!(liangzhan["competent_unit"], true);
}

#[test]
fn a_shapefile_without_cpg_in_a_central_meridian_zone_is_read_as_gbk_and_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let said = import_office(&store, "buildings", "buildings_cm105_nocpg.shp");
    assert!(
        said.contains("attributes read as GBK/GB18030 (no .cpg; the text is not UTF-8)"),
        "{said}"
    );
    assert!(said.contains("coordinates in EPSG:4544"), "{said}");
    let buildings = export_layer(dir.path(), &store, "buildings");
    for t in truth("buildings") {
        let p = &t["properties"];
        let name = p["楼栋号"].as_str().expect("name");
        let got = named(&buildings, name);
        assert_eq!(got["properties"]["households"], p["户数"], "{name}");
        assert_eq!(got["properties"]["floors"], p["层数"], "{name}");
        let offset = max_offset_m(&got["geometry"], &t["geometry"]);
        assert!(offset < 0.01, "{name}: {offset} m from PROJ's");
    }
}

#[test]
fn an_excel_ledger_with_a_merged_title_and_two_header_rows_imports_by_one_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let said = import_office(&store, "buildings", "ledger_buildings.xlsx");
    for note in [
        "sheet \"龙南社区\", header rows 3–4",
        "title rows 1–2 above the header skipped",
        "total rows left out: 9",
        "imported 4 features",
    ] {
        assert!(said.contains(note), "{note}: {said}");
    }
    let buildings = export_layer(dir.path(), &store, "buildings");
    for t in truth("buildings") {
        let p = &t["properties"];
        let name = p["楼栋号"].as_str().expect("name");
        let got = named(&buildings, name);
        let g = &got["properties"];
        assert_eq!(
            (&g["households"], &g["floors"], &g["build_year"]),
            (&p["户数"], &p["层数"], &p["建成年份"]),
            "{name}"
        );
        assert!(
            max_offset_m(&got["geometry"], &t["geometry"]) < 0.01,
            "{name}"
        );
    }
}

#[test]
fn a_bad_ledger_names_row_column_and_value_and_writes_nothing_until_mapped() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let file = office("ledger_buildings_bad.xlsx");
    let before = export_layer(dir.path(), &store, "buildings");
    let said = refused(&store, "buildings", &[], &file);
    assert!(
        said.contains("备注: no field is called \"备注\"") && said.contains("--column \"备注=\""),
        "the unknown column is named with a way out: {said}"
    );
    let list = dir.path().join("problems.xlsx");
    let list = list.to_str().expect("path");
    let said = refused(
        &store,
        "buildings",
        &["--column", "备注=", "--problems", list],
        &file,
    );
    // The problem list, read by GDAL's XLSX driver: one row a problem, row and column as in Excel.
    let sheet = ogrinfo(&["-ro", "-q", list, "导入问题"]);
    for cell in [
        "行 (Integer) = 2",
        "列 (String) = 户数",
        "字段 (String) = households",
        "\"约30户\" is not a whole number",
        "列 (String) = 社区代码",
    ] {
        assert!(sheet.contains(cell), "{cell}: {sheet}");
    }
    assert!(
        said.contains("row 2: column 户数 (households): \"约30户\" is not a whole number"),
        "{said}"
    );
    assert!(
        said.contains(
            "row 2: column 社区代码 (community_code): names community 510504003004 (龙南社区) \
             but lies in community 510504001005 (下大街社区)"
        ),
        "{said}"
    );
    assert!(
        !said.contains("row 3"),
        "full-width digits (２８) are a count: {said}"
    );
    assert_eq!(
        export_layer(dir.path(), &store, "buildings"),
        before,
        "nothing of the refused file was written"
    );
}

#[test]
fn a_column_is_mapped_by_hand_and_a_wrong_mapping_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let csv = dir.path().join("posts.csv");
    std::fs::write(
        &csv,
        "站名,类型,层级,经度,纬度\n滨江网格驿站,网格驿站,社区级(10分钟),105.4431,28.8941\n",
    )
    .expect("write");
    let csv = csv.display().to_string();
    let said = refused(&store, "stations", &[], &csv);
    assert!(said.contains("no field is called \"站名\""), "{said}");
    let said = refused(&store, "stations", &["--column", "站名=名头"], &csv);
    assert!(
        said.contains("\"名头\" is not a field of stations"),
        "{said}"
    );
    let said = ok(&import(
        &store,
        "stations",
        &["--column", "站名=name", "--column", "类型=kind"],
        &csv,
    ));
    assert!(said.contains("imported 1 features"), "{said}");
    let stations = export_layer(dir.path(), &store, "stations");
    assert_eq!(
        named(&stations, "滨江网格驿站")["properties"]["kind"],
        "grid_post"
    );
}

/// Copies the zone-35 compounds Shapefile into `dir` without its `.prj`, or with GDAL assigning
/// another system (`-a_srs`, coordinates unchanged).
fn shapefile_copy(dir: &Path, assign: Option<&str>) -> PathBuf {
    let out = dir.join("compounds.shp");
    let mut args = vec!["-f", "ESRI Shapefile", "-lco", "ENCODING=CP936"];
    if let Some(srs) = assign {
        args.extend(["-a_srs", srs]);
    }
    let status = Command::new("ogr2ogr")
        .args(&args)
        .arg(&out)
        .arg(office("compounds_gk35_gbk.shp"))
        .status()
        .expect("ogr2ogr (GDAL) must be installed");
    assert!(status.success());
    if assign.is_none() {
        std::fs::remove_file(dir.join("compounds.prj")).expect("drop .prj");
    }
    out
}

#[test]
fn coordinates_that_cannot_be_in_the_declared_zone_are_refused_with_the_row() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let zone36 = shapefile_copy(dir.path(), Some("EPSG:4524"));
    let said = refused(&store, "compounds", &[], zone36.to_str().expect("path"));
    assert!(
        said.contains("row 1: geometry:")
            && said.contains("begins with 35, the prefix of EPSG:4523"),
        "eastings of zone 35 declared as zone 36: {said}"
    );
    let said = refused(
        &store,
        "compounds",
        &["--crs", "EPSG:4544"],
        &office("compounds_gk35_gbk.shp"),
    );
    assert!(
        said.contains("--crs says EPSG:4544") && said.contains("the .prj says EPSG:4523"),
        "{said}"
    );
    let bare_dir = tempfile::tempdir().expect("tmp");
    let bare = shapefile_copy(bare_dir.path(), None);
    let bare = bare.to_str().expect("path");
    let said = refused(&store, "compounds", &[], bare);
    assert!(
        said.contains("no .prj beside the .shp: name its coordinate system with --crs"),
        "{said}"
    );
    let said = ok(&import(&store, "compounds", &["--crs", "EPSG:4523"], bare));
    assert!(
        said.contains("imported 3 features") && said.contains("(--crs; no .prj)"),
        "{said}"
    );
    assert_eq!(
        data_version(&said),
        "2",
        "the demo is version 1: none of the refused imports wrote anything"
    );
}

#[test]
fn an_excel_ledger_export_has_chinese_headers_and_values_and_imports_back_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let ledger = dir.path().join("ledger.xlsx");
    let ledger = ledger.to_str().expect("path");
    ok(&gridatlas(&["export", "--store", &store, "-o", ledger]));
    // GDAL's XLSX driver, independent of the atlas, sees one sheet a layer and, under the merged
    // title, the Chinese header and values.
    let sheets = ogrinfo(&["-ro", "-q", ledger]);
    for sheet in [
        "街道",
        "社区",
        "网格",
        "小区、院落",
        "楼栋",
        "嵌入式服务阵地",
    ] {
        assert!(sheets.contains(sheet), "{sheet}: {sheets}");
    }
    let header = ogrinfo(&["-ro", "-q", ledger, "小区、院落", "-fid", "2"]);
    for label in [
        "= 编号",
        "= 户数",
        "= 60岁以上人数",
        "= 小区类别",
        "= 物业管理",
        "= 几何",
    ] {
        assert!(header.contains(label), "{label}: {header}");
    }
    let rows = ogrinfo(&["-ro", "-q", ledger, "小区、院落"]);
    assert!(
        rows.contains("= 老旧小区") && rows.contains("= 否"),
        "values in Chinese"
    );
    assert!(!rows.contains("= old\n"), "no wire names");

    let fresh = dir.path().join("fresh.gpkg").display().to_string();
    let said = ok(&gridatlas(&["import", "--store", &fresh, ledger]));
    assert!(
        said.contains("sheet \"小区、院落\", header row 2"),
        "{said}"
    );
    for layer in LAYERS {
        let strip = |mut v: Value| {
            v.as_object_mut().map(|o| o.remove("data_version"));
            v
        };
        let a = strip(export_layer(dir.path(), &store, layer));
        let b = strip(export_layer(dir.path(), &fresh, layer));
        assert!(
            !a["features"].as_array().expect("features").is_empty(),
            "{layer}"
        );
        assert_eq!(a, b, "{layer} identical after an Excel round trip");
    }
}

#[test]
fn layers_of_a_geopackage_written_by_gdal_import_by_name_in_their_own_systems() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let gpkg = office("layers_qgis.gpkg");
    let said = refused(&store, "compounds", &[], &gpkg);
    assert!(
        said.contains("name the layer to read with --sheet; its feature layers are")
            && said.contains("龙南小区")
            && said.contains("楼栋"),
        "two layers, none named after the atlas layer: {said}"
    );
    let said = ok(&import(
        &store,
        "compounds",
        &["--sheet", "龙南小区"],
        &gpkg,
    ));
    assert!(
        said.contains("coordinates in CGCS2000 (EPSG:4490) (from the GeoPackage)"),
        "{said}"
    );
    let said = ok(&import(&store, "buildings", &["--sheet", "楼栋"], &gpkg));
    assert!(said.contains("coordinates in EPSG:4544"), "{said}");
    for layer in ["compounds", "buildings"] {
        let features = export_layer(dir.path(), &store, layer);
        for t in truth(layer) {
            let p = &t["properties"];
            let name = p
                .get("小区名称")
                .or_else(|| p.get("楼栋号"))
                .and_then(Value::as_str)
                .expect("name");
            let got = named(&features, name);
            assert_eq!(got["properties"]["households"], p["户数"], "{name}");
            let offset = max_offset_m(&got["geometry"], &t["geometry"]);
            assert!(offset < 0.01, "{name}: {offset} m from PROJ's");
        }
    }
}

/// The demo store's compound (or building of compound 65) called `name`.
fn feature_named<'a>(features: &'a Value, name: &str, compound: Option<i64>) -> &'a Value {
    features["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| {
            f["properties"]["name"] == name
                && compound.is_none_or(|c| f["properties"]["compound_id"] == c)
        })
        .unwrap_or_else(|| panic!("{name}"))
}

#[test]
fn a_ledger_without_coordinates_updates_the_compounds_and_buildings_it_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let before = export_layer(dir.path(), &store, "compounds");
    let ledger = office("ledger_update_compounds.xlsx");
    let said = refused(&store, "compounds", &[], &ledger);
    assert!(
        said.contains("row 5: column 小区名称 (name): no compound \"聚福园\" in 龙南社区; closest: \"聚福苑\""),
        "the misspelt compound is named with the nearest candidates: {said}"
    );
    assert_eq!(
        export_layer(dir.path(), &store, "compounds"),
        before,
        "a ledger with an unmatched row changes nothing"
    );
    let said = ok(&import(&store, "compounds", &["--skip-unmatched"], &ledger));
    assert!(
        said.contains(
            "rows updating existing compounds (matched by community and compound name): 2"
        ) && said.contains("skipped (--skip-unmatched): row 5"),
        "{said}"
    );
    let after = export_layer(dir.path(), &store, "compounds");
    let bashi = &feature_named(&after, "巴士天福苑", None)["properties"];
    let was = &feature_named(&before, "巴士天福苑", None)["properties"];
    assert_eq!(
        (
            &bashi["households"],
            &bashi["population"],
            &bashi["elderly"]
        ),
        (&Value::from(270), &Value::from(940), &Value::from(225))
    );
    assert_eq!(bashi["property_management"], "community_hosted");
    assert_eq!(
        feature_named(&after, "巴士天福苑", None)["id"],
        feature_named(&before, "巴士天福苑", None)["id"],
        "the same feature, updated"
    );
    assert_ne!(was["households"], 270);
    assert_eq!(bashi["version"], 2);
    assert_eq!(
        feature_named(&after, "巴士天福苑", None)["geometry"],
        feature_named(&before, "巴士天福苑", None)["geometry"],
        "its shape is kept"
    );
    let jufu = &feature_named(&after, "聚福苑", None)["properties"];
    assert_eq!(
        (&jufu["households"], &jufu["property_management"]),
        (&Value::from(240), &Value::from("none")),
        "龙南 for 龙南社区 and 聚 福 苑 with spaces still name it"
    );

    let id = feature_named(&after, "巴士天福苑", None)["id"]
        .as_i64()
        .expect("id");
    let said = ok(&import(
        &store,
        "buildings",
        &[],
        &office("ledger_update_buildings.xlsx"),
    ));
    assert!(said.contains("rows updating existing buildings"), "{said}");
    assert!(
        said.contains("created at their compound's interior point and marked 位置待核实 (approximate location): 1"),
        "{said}"
    );
    let buildings = export_layer(dir.path(), &store, "buildings");
    for (name, households) in [("1栋", 30), ("2栋", 26)] {
        let b = &feature_named(&buildings, name, Some(id))["properties"];
        assert_eq!(
            (&b["households"], &b["floors"]),
            (&Value::from(households), &Value::from(7)),
            "1号楼 and ２栋 name {name}"
        );
        assert_eq!(b["location_approximate"], false);
    }
    let new = feature_named(&buildings, "12栋", Some(id));
    assert_eq!(new["properties"]["location_approximate"], true);
    assert_eq!(new["properties"]["households"], 18);
    assert_eq!(new["properties"]["community_code"], "510504003004");
    assert_eq!(new["geometry"]["type"], "Point");
    let compound = geo_polygon(&feature_named(&after, "巴士天福苑", None)["geometry"]);
    let p = &new["geometry"]["coordinates"];
    let at = geo::Point::new(p[0].as_f64().expect("x"), p[1].as_f64().expect("y"));
    assert!(
        geo::Contains::contains(&compound, &at),
        "12栋 is placed inside its compound"
    );
}

/// The outer ring of a GeoJSON polygon as a geo polygon.
fn geo_polygon(g: &Value) -> geo::Polygon {
    let ring: Vec<(f64, f64)> = g["coordinates"][0]
        .as_array()
        .expect("ring")
        .iter()
        .map(|p| (p[0].as_f64().expect("x"), p[1].as_f64().expect("y")))
        .collect();
    geo::Polygon::new(ring.into(), vec![])
}

#[test]
fn another_systems_id_column_never_replaces_atlas_features() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let before = export_layer(dir.path(), &store, "stations");
    let station_5 = |fc: &Value| {
        fc["features"]
            .as_array()
            .expect("features")
            .iter()
            .find(|f| f["id"] == 5)
            .cloned()
            .expect("station 5")
    };
    // ArcGIS gives every new Shapefile an `Id` field; a ledger numbers its rows.
    let csv = dir.path().join("posts.csv");
    std::fs::write(
        &csv,
        "Id,名称,站点类型,层级,经度,纬度\n5,新建网格驿站,网格驿站,社区级(10分钟),105.4420,28.9010\n",
    )
    .expect("write");
    let said = ok(&import(
        &store,
        "stations",
        &[],
        csv.to_str().expect("path"),
    ));
    assert!(
        said.contains(
            "column Id left out: without a version column these are another system's numbers"
        ),
        "{said}"
    );
    let after = export_layer(dir.path(), &store, "stations");
    assert_eq!(
        station_5(&after),
        station_5(&before),
        "station 5 is untouched"
    );
    assert_eq!(
        after["features"].as_array().expect("features").len(),
        before["features"].as_array().expect("features").len() + 1,
        "the row is a new station"
    );
}
