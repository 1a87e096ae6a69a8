//! Every problem a user is told comes with its reason in Chinese (`reason_zh`), saying the same
//! as the English with the same values: a battery of bad office files read through the real
//! readers against the demo district (unknown column, 户数 that is not a number, a value not in
//! the list, a required cell left empty, eastings of another Gauss-Krüger zone, a point outside
//! every community, a ledger row naming a compound the atlas lacks, files that cannot be read,
//! broken JSON, an unclosed ring); the problem list of `gridatlas import --problems` and its
//! error output; a 422 of the API; and the admin's list of unreadable stored rows.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use engine::placement::Areas;
use engine::{Layer, Problem, Snapshot};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use gridatlas_server::io::{self, Format, Source};
use serde_json::{json, Value};

use common::cli::{demo_store, gridatlas};

/// What a reader is given when importing into the demo district: its areas to place features
/// in and its data for ledgers, with the coordinate system the user declared.
fn demo_source(crs: Option<&str>) -> Source {
    let data = data::demo_district();
    Source {
        crs: crs.map(|c| c.parse().expect("crs")),
        areas: Some(Arc::new(Areas::of(&data))),
        existing: Some(Arc::new(Snapshot::new(1, data))),
        ..Source::default()
    }
}

/// The problems of `file` (written into `dir` with `content`) read as `layer`; it must be refused.
fn refused(
    dir: &Path,
    layer: Layer,
    file: &str,
    content: &[u8],
    crs: Option<&str>,
) -> Vec<Problem> {
    let path = dir.join(file);
    std::fs::write(&path, content).expect("write");
    refused_at(&path, layer, crs)
}

fn refused_at(path: &Path, layer: Layer, crs: Option<&str>) -> Vec<Problem> {
    let format = Format::from_path(path).expect("format");
    match io::read_file(layer, path, format, &demo_source(crs)) {
        Ok(read) => panic!(
            "{} read as {} features",
            path.display(),
            read.features.len()
        ),
        Err(problems) => problems,
    }
}

/// The one problem of `field`, which must be told in Chinese.
fn about<'a>(problems: &'a [Problem], field: &str) -> &'a Problem {
    let p = problems
        .iter()
        .find(|p| p.field == field)
        .unwrap_or_else(|| panic!("no problem of {field}: {problems:#?}"));
    assert!(is_chinese(&p.reason_zh), "{field}: {p:#?}");
    assert_ne!(p.reason_zh, p.reason, "{field}");
    p
}

/// Whether a text is written in Chinese: CJK characters, and outside brackets （…） (field
/// names, a library's own detail) no more than two English words (file extensions aside).
fn is_chinese(text: &str) -> bool {
    let mut depth = 0usize;
    let outside: String = text
        .chars()
        .filter(|c| {
            match c {
                '（' => depth += 1,
                '）' => depth = depth.saturating_sub(1),
                _ => return depth == 0,
            }
            false
        })
        .collect();
    let cjk = outside
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    let english_words = outside
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 3 && w.chars().all(|c| c.is_ascii_lowercase()))
        .count();
    cjk >= 4 && english_words <= 2
}

const STATIONS_HEAD: &str = "名称,站点类型,层级,经度,纬度";

/// The problems of a CSV of grid posts: a header of [`STATIONS_HEAD`] and `extra_head`, one `row`.
fn refused_posts(extra_head: &str, row: &str) -> Vec<Problem> {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = format!("{STATIONS_HEAD}{extra_head}\n{row}\n");
    refused(
        dir.path(),
        Layer::Stations,
        "posts.csv",
        csv.as_bytes(),
        None,
    )
}

#[test]
fn a_column_nobody_knows_is_named_with_the_closest_fields_in_chinese() {
    let ps = refused_posts(
        ",备注",
        "滨江网格驿站,网格驿站,社区级(10分钟),105.4431,28.8941,新建",
    );
    let p = about(&ps, "备注");
    assert_eq!(p.column.as_deref(), Some("备注"));
    assert!(
        p.reason_zh.starts_with("没有名为“备注”的字段；最接近的：")
            && p.reason_zh.contains("--column \"备注=\""),
        "{}",
        p.reason_zh
    );
}

/// A compound table: each row's name, 户数 and 小区类别 as written, the rest valid, on a small
/// square in 龙南社区.
fn compounds_csv(rows: &[(&str, &str, &str)]) -> String {
    let square = "POLYGON((105.4401 28.9001,105.4405 28.9001,105.4405 28.9005,105.4401 28.9001))";
    let mut csv =
        "名称,户数,常住人口,60岁以上人数,小区类别,物业管理,业委会,主管单位,wkt\n".to_owned();
    for (name, households, class) in rows {
        csv += &format!("{name},{households},100,10,{class},无物业,否,否,\"{square}\"\n");
    }
    csv
}

#[test]
fn cells_that_are_not_what_the_field_takes_say_the_value_in_chinese() {
    let dir = tempfile::tempdir().expect("tmp");
    // Row 2: 户数 as words; row 3: a station kind not in the list; row 4: 户数 left empty.
    let csv = compounds_csv(&[
        ("甲小区", "约30户", "老旧小区"),
        ("乙小区", "40", "别墅区"),
        ("丙小区", "", "老旧小区"),
    ]);
    let ps = refused(
        dir.path(),
        Layer::Compounds,
        "compounds.csv",
        csv.as_bytes(),
        None,
    );
    let at_row = |row: usize, field: &str| {
        let here: Vec<Problem> = ps.iter().filter(|p| p.row == Some(row)).cloned().collect();
        about(&here, field).clone()
    };
    let households = at_row(2, "households");
    assert_eq!(households.column.as_deref(), Some("户数"));
    assert_eq!(households.reason_zh, "“约30户”不是整数");
    assert_eq!(households.reason, "\"约30户\" is not a whole number");
    let class = at_row(3, "class");
    assert!(
        class.reason_zh.starts_with("“别墅区”不是可选的值，可选：")
            && class.reason_zh.contains("老旧小区（old）"),
        "{}",
        class.reason_zh
    );
    assert_eq!(at_row(4, "households").reason_zh, "必填，但未填写");
    assert_eq!(
        households.to_zh_string(),
        "第 2 行：“户数”列（households）：“约30户”不是整数"
    );
}

#[test]
fn eastings_of_another_zone_are_refused_naming_the_coordinate_and_both_zones() {
    let dir = tempfile::tempdir().expect("tmp");
    // Zone 36's prefix on eastings declared to be zone 35 (EPSG:4523).
    let file = json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
        "properties": { "name": "测绘网格驿站", "kind": "grid_post", "level": "community" },
        "geometry": { "type": "Point", "coordinates": [36_443_000.0, 3_198_000.0] } }] });
    let ps = refused(
        dir.path(),
        Layer::Stations,
        "survey.geojson",
        file.to_string().as_bytes(),
        Some("EPSG:4523"),
    );
    let p = about(&ps, "geometry");
    assert_eq!(p.index, Some(0));
    assert!(
        p.reason_zh.starts_with(
            "(36443000, 3198000) 不可能是 EPSG:4523（CGCS2000 3度带高斯-克吕格 第35带，中央经线 105°E）的坐标："
        ) && p.reason_zh.contains("东坐标 36443000 以 36 开头，这是 EPSG:4524"),
        "{}",
        p.reason_zh
    );
}

#[test]
fn a_point_outside_every_community_says_where_it_is_and_what_to_check() {
    let ps = refused_posts("", "远方驿站,网格驿站,社区级(10分钟),100.5,30.25");
    let p = about(&ps, "community_code");
    assert_eq!(p.row, Some(2));
    assert_eq!(
        p.reason_zh,
        "未填写所属社区，且不在任何社区范围内 (100.500000, 30.250000)：请填写所属社区，或检查坐标及坐标系"
    );
}

#[test]
fn a_ledger_row_naming_a_compound_the_atlas_lacks_offers_the_closest_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = "社区,小区名称,户数\n龙南社区,龙南路1号园,130\n";
    let ps = refused(
        dir.path(),
        Layer::Compounds,
        "ledger.csv",
        csv.as_bytes(),
        None,
    );
    let p = about(&ps, "name");
    assert_eq!((p.row, p.column.as_deref()), (Some(2), Some("小区名称")));
    assert!(
        p.reason_zh
            .starts_with("龙南社区没有名为“龙南路1号园”的小区；最接近的：“龙南路1号院”"),
        "{}",
        p.reason_zh
    );
}

#[test]
fn files_that_cannot_be_read_say_why_in_chinese() {
    let dir = tempfile::tempdir().expect("tmp");
    let ps = refused_at(&dir.path().join("没有这个文件.csv"), Layer::Stations, None);
    let p = about(&ps, "file");
    assert!(
        p.reason_zh.starts_with("无法读取文件 ")
            && p.reason_zh.ends_with("没有这个文件.csv：文件不存在"),
        "{}",
        p.reason_zh
    );
    let ps = refused(
        dir.path(),
        Layer::Stations,
        "ledger.xlsx",
        b"not a workbook",
        None,
    );
    assert!(about(&ps, "file")
        .reason_zh
        .starts_with("无法读取这个 Excel 文件"));
    let gbk_or_utf8 = [0xff, 0xfe, 0xfd, 0x80, 0x81];
    let ps = refused(
        dir.path(),
        Layer::Stations,
        "garbled.csv",
        &gbk_or_utf8,
        None,
    );
    assert_eq!(
        about(&ps, "file").reason_zh,
        "文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本（请用 --encoding 指定编码）"
    );
    let ps = refused(dir.path(), Layer::Stations, "points.shp", b"", None);
    assert!(
        about(&ps, "file")
            .reason_zh
            .starts_with("缺少与 .shp 同名的 .dbf 文件"),
        "{ps:#?}"
    );
}

#[test]
fn broken_json_and_an_unclosed_ring_are_placed_and_explained() {
    let dir = tempfile::tempdir().expect("tmp");
    let ps = refused(
        dir.path(),
        Layer::Stations,
        "broken.geojson",
        b"{ \"type\": \"FeatureCollection\",\n  \"features\": [ }",
        None,
    );
    let p = about(&ps, "json");
    assert!(
        p.reason_zh.starts_with("不是有效的 JSON：第 2 行第 ")
            && p.reason_zh.contains("列语法错误（"),
        "{}",
        p.reason_zh
    );
    let open_ring = json!({ "type": "FeatureCollection", "features": [{ "type": "Feature",
        "properties": { "name": "未闭合小区", "households": 10, "population": 20, "elderly": 2,
            "class": "old", "property_management": "none", "owners_committee": false,
            "competent_unit": false },
        "geometry": { "type": "Polygon", "coordinates":
            [[[105.4401, 28.9001], [105.4405, 28.9001], [105.4405, 28.9005], [105.4401, 28.9005]]] } }] });
    let ps = refused(
        dir.path(),
        Layer::Compounds,
        "compounds.geojson",
        open_ring.to_string().as_bytes(),
        None,
    );
    let p = about(&ps, "geometry");
    assert_eq!(p.reason_zh, "外环没有闭合：首尾两个坐标点不同");
    assert_eq!(
        p.to_zh_string(),
        "要素序号 0：geometry：外环没有闭合：首尾两个坐标点不同"
    );
}

fn stderr_of(args: &[&str]) -> String {
    let out = gridatlas(args);
    assert!(!out.status.success(), "should be refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_cli_prints_each_problem_in_chinese_and_the_problem_list_gives_原因_in_chinese() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = demo_store(dir.path());
    let csv = dir.path().join("compounds.csv");
    std::fs::write(&csv, compounds_csv(&[("甲小区", "约30户", "老旧小区")])).expect("write");
    let list: PathBuf = dir.path().join("problems.csv");
    let (csv, list_s) = (csv.display().to_string(), list.display().to_string());
    let said = stderr_of(&[
        "import",
        "--store",
        &store,
        "--layer",
        "compounds",
        "--problems",
        &list_s,
        &csv,
    ]);
    assert!(
        said.contains(&format!(
            "{csv}：第 2 行：“户数”列（households）：“约30户”不是整数"
        )),
        "{said}"
    );
    let text = std::fs::read_to_string(&list).expect("problem list");
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().expect("header").clone();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let row = rows.records().next().expect("a row").expect("row");
    assert_eq!(&row[col("行")], "2");
    assert_eq!(&row[col("列")], "户数");
    assert_eq!(&row[col("原因")], "“约30户”不是整数");
    assert_eq!(
        &row[col("原因（英文）")],
        "\"约30户\" is not a whole number"
    );
}

async fn demo_app() -> (axum::Router, String, tempfile::TempDir) {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    common::add_account(&store, "admin", "admin", "district").await;
    // A compound row broken by hand, as QGIS lets anyone type text into a number column.
    let path = dir.path().join("atlas.gpkg");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        path.display()
    ))
    .await
    .expect("sqlite");
    sqlx::query("UPDATE compounds SET households = 'about 300' WHERE name = '龙南路1号院'")
        .execute(&mut conn)
        .await
        .expect("break a row");
    sqlx::Connection::close(conn).await.expect("close");
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas, Config::default()));
    let token = common::sign_in(&app, "admin").await;
    (app, token, dir)
}

#[tokio::test]
async fn a_422_carries_each_reason_in_chinese_and_unreadable_rows_are_explained_in_chinese() {
    let (app, token, _dir) = demo_app().await;
    let station = json!({ "type": "Feature",
        "properties": { "name": "新驿站", "kind": "spaceport", "level": "community",
            "community_code": "510504003004" },
        "geometry": { "type": "Point", "coordinates": [105.4431, 28.8941] } });
    let (status, body) = common::send(
        &app,
        Method::POST,
        "/ogc/collections/stations/items",
        Some(&token),
        None,
        Some(&station),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_feature");
    let problem = &body["problems"][0];
    assert_eq!(problem["field"], "kind");
    let zh = problem["reason_zh"].as_str().expect("reason_zh");
    assert!(
        zh.starts_with("应为以下之一：")
            && zh.contains("网格驿站（grid_post）")
            && zh.ends_with("填写的是“spaceport”"),
        "{zh}"
    );

    let (status, health) = common::send(&app, Method::GET, "/health", None, None, None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("degraded"))
    );
    assert_eq!(
        health["unreadable"][0]["reason_zh"],
        "户数（households）：应为整数，存储的值却是文字“about 300”"
    );
    let (status, listed) =
        common::send(&app, Method::GET, "/api/problems", Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let row: &Value = &listed["problems"][0];
    assert_eq!(row["reason_zh"], health["unreadable"][0]["reason_zh"]);
    let repair_zh = row["repair_zh"].as_str().expect("repair_zh");
    assert!(
        repair_zh.starts_with(&format!(
            "PUT /ogc/collections/compounds/items/{}，请求头 If-Match: \"",
            row["id"]
        )),
        "{repair_zh}"
    );
}
