//! Every CSV export is safe to open in a spreadsheet: a compound named like a formula (and an
//! account whose name Excel would compute) comes out as text, and the CLI export imports back
//! unchanged. "As Excel sees it": a cell whose first character is `=`, `+`, `-`, `@`, a tab or a
//! carriage return is a formula unless it is a plain number.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::cli::{export_to as export, gridatlas, ok};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::{json, Value};
use tower::ServiceExt;

const LINK: &str = "=HYPERLINK(\"http://x.example/\",\"点击\")";
/// Names a staff member could give compounds: formulas, and text that merely looks escaped.
const NAMES: [&str; 4] = [LINK, "'=1+1", "@SUM(1,2)", "-2-3号院"];

/// The cells of a CSV text, header row included, as a spreadsheet splits them.
fn cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("CSV row").iter().map(str::to_owned).collect())
        .collect()
}

/// Fails on any cell a spreadsheet would run as a formula.
fn assert_no_formula(what: &str, rows: &[Vec<String>]) {
    for (i, row) in rows.iter().enumerate() {
        for cell in row {
            let formula =
                cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err();
            assert!(!formula, "{what}, row {i}: a spreadsheet runs {cell:?}");
        }
    }
}

/// The cell of `column` in the row whose `key` column is `value`.
fn cell_of(rows: &[Vec<String>], key: &str, value: &str, column: &str) -> String {
    let col = |name: &str| rows[0].iter().position(|h| h == name).expect(name);
    let row = rows
        .iter()
        .find(|r| r[col(key)] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value}"));
    row[col(column)].clone()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// Renames the first compounds of the store to [`NAMES`] (an import of edited GeoJSON); their ids.
fn rename_compounds(store: &str, dir: &Path) -> Vec<String> {
    let all = dir.join("all_compounds.geojson");
    export(store, "compounds", &all);
    let mut features: Vec<Value> =
        read_json(&all)["features"].as_array().expect("fs")[..NAMES.len()].to_vec();
    for (f, name) in features.iter_mut().zip(NAMES) {
        f["properties"]["name"] = json!(name);
    }
    let edited = dir.join("compounds.geojson");
    let fc = json!({ "type": "FeatureCollection", "features": features });
    std::fs::write(&edited, fc.to_string()).expect("write");
    ok(&gridatlas(&[
        "import",
        "--store",
        store,
        edited.to_str().expect("path"),
    ]));
    features.iter().map(|f| f["id"].to_string()).collect()
}

#[test]
fn cli_csv_export_shows_formula_names_as_text_and_imports_back_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = common::cli::demo_store(dir.path());
    let ids = rename_compounds(&store, dir.path());

    let fresh = dir.path().join("fresh.gpkg").display().to_string();
    let mut files = Vec::new();
    for layer in common::cli::LAYERS {
        let f = dir.path().join(format!("{layer}.csv"));
        export(&store, layer, &f);
        let rows = cells(&std::fs::read_to_string(&f).expect("csv"));
        assert_no_formula(&format!("{layer}.csv"), &rows);
        if layer == "compounds" {
            for (id, name) in ids.iter().zip(NAMES) {
                assert_eq!(cell_of(&rows, "id", id, "name"), format!("'{name}"));
            }
        }
        files.push(f.display().to_string());
    }
    let mut args = vec!["import", "--store", fresh.as_str()];
    args.extend(files.iter().map(String::as_str));
    ok(&gridatlas(&args));

    let (a, b) = (dir.path().join("a.geojson"), dir.path().join("b.geojson"));
    export(&store, "compounds", &a);
    export(&fresh, "compounds", &b);
    let (a, b) = (read_json(&a), read_json(&b));
    let (a, b) = (
        a["features"].as_array().expect("a"),
        b["features"].as_array().expect("b"),
    );
    assert_eq!(a.len(), b.len());
    // The fresh store numbers its own versions; everything else is the same.
    let unversioned = |f: &Value| {
        let mut f = f.clone();
        f["properties"].as_object_mut().map(|p| p.remove("version"));
        f
    };
    for (a, b) in a.iter().zip(b) {
        assert_eq!(
            unversioned(a),
            unversioned(b),
            "identical after a CSV round trip"
        );
    }
    let names: Vec<&Value> = b[..NAMES.len()]
        .iter()
        .map(|f| &f["properties"]["name"])
        .collect();
    assert_eq!(
        names, NAMES,
        "each name exactly as the staff member typed it"
    );
}

async fn get_text(app: &axum::Router, uri: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn underserved_and_audit_csv_show_a_formula_name_and_a_formula_account_as_text() {
    let (store, _dir) = common::fresh_gpkg().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    // Account names may hold `-` and digits: Excel would compute this one to -5.
    let actor = "-2-3";
    common::add_account(&store, actor, "admin", "district").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas, Config::default()));
    let token = common::sign_in(&app, actor).await;

    let (_, list) = common::send(&app, Method::GET, "/api/underserved", None, None, None).await;
    let id = list["rows"][0]["compound_id"]
        .as_i64()
        .expect("an underserved compound");
    let uri = format!("/ogc/collections/compounds/items/{id}");
    let (_, mut compound) = common::send(&app, Method::GET, &uri, None, None, None).await;
    let version = compound["properties"]["version"].as_i64().expect("version");
    compound["properties"]["name"] = json!(LINK);
    let (status, body) = common::send(
        &app,
        Method::PUT,
        &uri,
        Some(&token),
        Some(version),
        Some(&compound),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, csv) = get_text(&app, "/api/underserved?format=csv").await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let rows = cells(&csv);
    assert_no_formula("underserved.csv", &rows);
    let cell = cell_of(&rows, "compound_id", &id.to_string(), "name");
    assert_eq!(cell, format!("'{LINK}"));

    let (status, csv) = get_text(
        &app,
        &format!("/audit?format=csv&layer=compounds&feature_id={id}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    let rows = cells(&csv);
    assert_no_formula("audit.csv", &rows);
    assert_eq!(
        cell_of(&rows, "operation", "edit", "actor"),
        format!("'{actor}")
    );
    let after: Value =
        serde_json::from_str(&cell_of(&rows, "operation", "edit", "after")).expect("JSON");
    assert_eq!(after["properties"]["name"], LINK, "{after}");
}
