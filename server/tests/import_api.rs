//! The import page's API, end to end over HTTP on the demo district: office files uploaded as a
//! browser sends them (multipart, a zip from a Chinese Windows), read as the CLI reads them, with
//! what was detected (format, layer, encoding, coordinate system from the .prj, columns), every
//! problem placed at its row and column in English and Chinese, the problems downloadable as a
//! spreadsheet, corrections applied by a new check, the account's scope enforced as problems,
//! and a commit written as one audited import — or nothing written at all.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use common::{add_account, send, sign_in};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};
use tower::ServiceExt;

fn office(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/office")
            .join(name),
    )
    .expect("fixture")
}

/// A multipart body as a browser's `FormData` sends files (raw UTF-8 names).
fn multipart(files: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----gridatlas-test-7d3f";
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(data);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A zip of files, as an office sends a Shapefile.
fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        w.write_all(data).expect("data");
    }
    w.finish().expect("zip").into_inner()
}

struct Site {
    app: axum::Router,
    atlas: Arc<Atlas>,
    _dir: tempfile::TempDir,
}

async fn site() -> Site {
    let (store, dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    add_account(&store, "admin1", "admin", "district").await;
    add_account(&store, "staff1", "staff", "community:510504003004").await;
    add_account(&store, "viewer1", "viewer", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(Arc::clone(&atlas), Config::default()));
    Site {
        app,
        atlas,
        _dir: dir,
    }
}

/// `POST /api/imports` with the files; the status and the JSON answer.
async fn upload(
    app: &axum::Router,
    token: Option<&str>,
    files: &[(&str, Vec<u8>)],
) -> (StatusCode, Value) {
    let (content_type, body) = multipart(files);
    let mut req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/imports")
        .header("content-type", content_type);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    common::reply(
        app,
        req.body(axum::body::Body::from(body)).expect("request"),
    )
    .await
}

fn problems(check: &Value) -> &Vec<Value> {
    check["problems"].as_array().expect("problems")
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn a_zipped_gbk_shapefile_is_read_as_the_prj_and_cpg_say_and_committed_as_one_audited_import()
{
    let s = site().await;
    let admin = sign_in(&s.app, "admin1").await;
    let before = s.atlas.snapshot().data.compounds.len();
    // A Chinese office's zip: the Shapefile's parts under a folder, named in Chinese.
    let parts = ["shp", "shx", "dbf", "prj", "cpg"].map(|ext| {
        (
            format!("测绘成果/小区范围.{ext}"),
            office(&format!("compounds_gk35_gbk.{ext}")),
        )
    });
    let entries: Vec<(&str, Vec<u8>)> =
        parts.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    let (status, check) = upload(&s.app, Some(&admin), &[("小区范围.zip", zip_of(&entries))]).await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    let file = &check["files"][0];
    assert_eq!(file["file"], "小区范围.shp");
    assert_eq!(file["format"], "shp");
    assert_eq!(
        file["layer"], "compounds",
        "小区 in the name says the layer"
    );
    assert!(
        file["encoding"].as_str().expect("encoding").contains("GBK"),
        "{file}"
    );
    assert_eq!(file["crs"]["from"], "prj");
    assert!(
        file["crs"]["code"]
            .as_str()
            .expect("code")
            .starts_with("EPSG:45"),
        "a CGCS2000 Gauss-Krüger zone: {file}"
    );
    let columns = file["columns"].as_array().expect("columns");
    let read_as = |header: &str| {
        columns
            .iter()
            .find(|c| c["header"] == header)
            .map(|c| c["field"].clone())
    };
    assert_eq!(read_as("户数"), Some(json!("households")));
    assert_eq!(check["ready"], true, "{}", check["problems"]);
    assert_eq!(check["features"], 3);
    assert_eq!(check["created"], 3);
    let preview = check["preview"]["features"].as_array().expect("preview");
    assert_eq!(preview.len(), 3);
    assert!(
        preview.iter().any(|f| f["properties"]["name"] == "枫林苑"),
        "Chinese text intact in the preview"
    );
    let bbox = check["bbox"].as_array().expect("bbox");
    assert!(
        (100.0..110.0).contains(&bbox[0].as_f64().expect("lon")),
        "{bbox:?}"
    );
    assert_eq!(
        s.atlas.snapshot().data.compounds.len(),
        before,
        "a check writes nothing"
    );

    let id = check["id"].as_str().expect("id").to_owned();
    let (status, done) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/commit"),
        Some(&admin),
        None,
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["features"], 3);
    let version = done["data_version"].as_i64().expect("version");
    assert_eq!(s.atlas.snapshot().data.compounds.len(), before + 3);
    let (_, audit) = send(
        &s.app,
        Method::GET,
        "/audit?actor=admin1&layer=compounds",
        None,
        None,
        None,
    )
    .await;
    let entries = audit["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 3, "one entry per feature");
    assert!(entries
        .iter()
        .all(|e| e["operation"] == "import" && e["data_version"] == version));
    let (status, _) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/commit"),
        Some(&admin),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a committed upload is gone");
}

#[tokio::test]
async fn problems_name_row_column_and_reason_in_chinese_and_download_as_a_spreadsheet() {
    let s = site().await;
    let admin = sign_in(&s.app, "admin1").await;
    let (status, check) = upload(
        &s.app,
        Some(&admin),
        &[("../../楼栋台账.xlsx", office("ledger_buildings_bad.xlsx"))],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    assert_eq!(
        check["uploaded"][0]["name"], "楼栋台账.xlsx",
        "no path kept"
    );
    assert_eq!(check["ready"], false);
    let ps = problems(&check);
    let remark = ps
        .iter()
        .find(|p| p["column"] == "备注")
        .expect("the unknown column 备注 is a problem");
    assert!(has_chinese(remark["reason_zh"].as_str().expect("zh")));
    let columns = check["files"][0]["columns"].as_array().expect("columns");
    let remark_col = columns
        .iter()
        .find(|c| c["header"] == "备注")
        .expect("备注");
    assert_eq!(remark_col["how"], "unknown");
    assert!(!remark_col["closest"]
        .as_array()
        .expect("closest")
        .is_empty());

    // Leave 备注 out: the rows are read, and the bad count is refused at its row and column.
    let id = check["id"].as_str().expect("id").to_owned();
    let (status, check) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/check"),
        Some(&admin),
        None,
        Some(&json!({ "columns": { "备注": "" } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    let ps = problems(&check);
    let count = ps
        .iter()
        .find(|p| p["column"] == "户数")
        .unwrap_or_else(|| panic!("户数 refused: {ps:?}"));
    assert_eq!(count["row"], 2);
    assert_eq!(count["value"], "约30户", "the value as the ledger wrote it");
    assert_eq!(count["file"], "楼栋台账.xlsx");
    let zh = count["reason_zh"].as_str().expect("zh");
    assert!(zh.contains("约30户") && has_chinese(zh), "{zh}");
    let remark_col = check["files"][0]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["header"] == "备注")
        .expect("备注")
        .clone();
    assert_eq!(remark_col["how"], "skipped");

    let resp = s
        .app
        .clone()
        .oneshot(
            axum::http::Request::builder()
                .uri(format!("/api/imports/{id}/problems?format=csv"))
                .header("authorization", format!("Bearer {admin}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
    assert!(text.contains("约30户"), "{text}");
    assert!(
        text.lines().next().expect("header").contains("原因"),
        "{text}"
    );

    // Committing anyway is refused with the same problems, and writes nothing.
    let version = s.atlas.snapshot().version;
    let (status, refused) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/commit"),
        Some(&admin),
        None,
        Some(&json!({ "columns": { "备注": "" } })),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["code"], "invalid_import");
    assert!(!problems(&refused).is_empty());
    assert_eq!(s.atlas.snapshot().version, version);
}

#[tokio::test]
async fn the_layer_is_asked_for_when_nothing_says_it_and_scope_limits_what_staff_import() {
    let s = site().await;
    let staff = sign_in(&s.app, "staff1").await;
    // A GCJ-02 point list (as AMap exports it) with an uninformative name and no community
    // column: each point takes the community it lies in; one lies outside staff1's 龙南.
    let snap = s.atlas.snapshot();
    let inside = |community: &engine::Community| {
        use geo::InteriorPoint;
        let p = community.geometry.interior_point().expect("interior point");
        engine::crs::wgs84_to_gcj02(p.into())
    };
    let longnan = snap.community("510504003004").expect("龙南");
    let other = snap
        .data
        .communities
        .iter()
        .find(|c| c.code != longnan.code)
        .expect("another community");
    let (a, b) = (inside(longnan), inside(other));
    let csv = format!(
        "名称,类型,层级,经度,纬度\n龙南网格员驿站,grid_post,community,{},{}\n五星驿站,grid_post,community,{},{}\n",
        a.x, a.y, b.x, b.y
    );
    let (status, check) = upload(
        &s.app,
        Some(&staff),
        &[("export.csv", csv.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    assert_eq!(check["needs_layer"], true);
    assert!(check["layers"]
        .as_array()
        .expect("layers")
        .contains(&json!("stations")));
    assert!(
        !check["layers"]
            .as_array()
            .expect("layers")
            .contains(&json!("grids")),
        "staff do not edit grids"
    );
    let id = check["id"].as_str().expect("id").to_owned();
    let (status, check) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/check"),
        Some(&staff),
        None,
        Some(&json!({ "layer": "stations", "crs": "gcj02", "columns": { "类型": "kind" } })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["files"][0]["crs"]["code"], "gcj02");
    assert_eq!(check["files"][0]["crs"]["from"], "declared");
    let ps = problems(&check);
    assert_eq!(
        ps.len(),
        1,
        "only the station outside 龙南 is refused: {ps:?}"
    );
    assert!(ps[0]["reason_zh"]
        .as_str()
        .expect("zh")
        .contains("管辖范围"));
}

#[tokio::test]
async fn only_its_uploader_uses_an_upload_and_viewers_upload_nothing() {
    let s = site().await;
    let staff = sign_in(&s.app, "staff1").await;
    let csv = "名称,类型,层级,经度,纬度\n驿站,grid_post,community,105.44,28.89\n";
    let (status, check) = upload(
        &s.app,
        Some(&staff),
        &[("驿站.csv", csv.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{check}");
    assert_eq!(
        check["files"][0]["layer"], "stations",
        "驿站 in the name says the layer"
    );
    let id = check["id"].as_str().expect("id").to_owned();
    let viewer = sign_in(&s.app, "viewer1").await;
    let (status, _) = upload(
        &s.app,
        Some(&viewer),
        &[("驿站.csv", csv.as_bytes().to_vec())],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers import nothing");
    let (status, _) = upload(&s.app, None, &[("驿站.csv", csv.as_bytes().to_vec())]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/check"),
        Some(&viewer),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another account's upload");
    let (status, _) = upload(&s.app, Some(&staff), &[("a.exe", vec![1, 2, 3])]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(
        &s.app,
        Method::DELETE,
        &format!("/api/imports/{id}"),
        Some(&staff),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(
        &s.app,
        Method::POST,
        &format!("/api/imports/{id}/check"),
        Some(&staff),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
