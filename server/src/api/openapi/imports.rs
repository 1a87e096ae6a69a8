//! `OpenAPI` paths of the import page: upload, check, commit, problems download, discard.

use serde_json::{json, Map, Value};

use super::{json_ok, object, path_param, query, responses};

type Paths = Map<String, Value>;

/// The import page's options (`ImportOptions`).
fn options() -> Value {
    json!({ "type": "object", "additionalProperties": false, "properties": {
        "layer": { "type": "string", "description": "the layer the files hold; none: from the file's name or sheets" },
        "crs": { "type": "string", "description": "EPSG:4490, EPSG:4491–4554 (CGCS2000 Gauss-Krüger), EPSG:4326, gcj02, bd09; none: the file's .prj, else WGS84" },
        "encoding": { "type": "string", "description": "utf-8, gbk, gb18030 …; none: detected" },
        "sheet": { "type": "string", "description": "the workbook sheet or GeoPackage layer" },
        "columns": { "type": "object", "additionalProperties": { "type": "string" }, "description": "header as written → field; \"\" leaves the column out" },
        "skip_unmatched": { "type": "boolean", "description": "skip ledger rows that name no feature instead of refusing" } } })
}

/// The answer of a check.
fn check() -> Value {
    let problem = json!({ "type": "object", "properties": {
        "file": { "type": "string" }, "row": { "type": "integer" }, "column": { "type": "string" },
        "value": { "type": "string", "description": "the cell at fault as the file wrote it" },
        "index": { "type": "integer", "nullable": true }, "id": { "type": "string", "nullable": true },
        "field": { "type": "string" }, "reason": { "type": "string" },
        "reason_zh": { "type": "string", "description": "the reason in Chinese" } } });
    let column = json!({ "type": "object", "properties": {
        "header": { "type": "string" }, "field": { "type": "string" },
        "how": { "type": "string", "enum": ["field", "mapped", "skipped", "unknown"] },
        "closest": { "type": "array", "items": { "type": "string" } } } });
    let file = json!({ "type": "object", "properties": {
        "file": { "type": "string" }, "format": { "type": "string", "enum": ["geojson", "csv", "gpkg", "xlsx", "shp"] },
        "layer": { "type": "string" }, "encoding": { "type": "string" },
        "crs": { "type": "object", "properties": { "code": { "type": "string" }, "name": { "type": "string" },
            "from": { "type": "string", "enum": ["prj", "declared", "default"] } } },
        "sheet": { "type": "string" }, "sheets": { "type": "array", "items": { "type": "string" } },
        "header_rows": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "maxItems": 2, "description": "first and last header row of a sheet, as Excel numbers them" },
        "columns": { "type": "array", "items": column }, "rows": { "type": "integer" },
        "features": { "type": "integer" }, "notes": { "type": "array", "items": { "type": "string" } } } });
    object(json!({
        "id": { "type": "string" },
        "uploaded": { "type": "array", "items": object(json!({ "name": { "type": "string" }, "bytes": { "type": "integer" } })) },
        "files": { "type": "array", "items": file },
        "ready": { "type": "boolean", "description": "the import can be committed as it is" },
        "features": { "type": "integer" }, "created": { "type": "integer" }, "updated": { "type": "integer" },
        "problems": { "type": "array", "items": problem },
        "needs_layer": { "type": "boolean" },
        "layers": { "type": "array", "items": { "type": "string" }, "description": "the layers this account may import into" },
        "preview": { "type": "object", "description": "GeoJSON FeatureCollection of the first 5,000 features" },
        "preview_truncated": { "type": "boolean" },
        "bbox": { "type": "array", "items": { "type": "number" }, "minItems": 4, "maxItems": 4 },
        "data_version": { "type": "integer" } }))
}

pub(super) fn paths(paths: &mut Paths) {
    let id = path_param("id", json!({ "type": "string" }), "the upload's id");
    let security = json!([{ "bearer": [] }]);
    let options_body =
        json!({ "required": false, "content": { "application/json": { "schema": options() } } });
    paths.insert("/api/imports".into(), json!({ "post": {
        "summary": "Upload office files (xlsx/xls, csv, Shapefile parts, GeoJSON, GeoPackage, or a zip of them) and check them: how they are read, every problem, a preview",
        "security": security,
        "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": { "type": "object",
            "properties": { "files": { "type": "array", "items": { "type": "string", "format": "binary" } } } } } } },
        "responses": responses(json!({ "201": json_ok("the upload's first check", check()) }), &["400", "401", "403"]) } }));
    paths.insert("/api/imports/{id}/check".into(), json!({ "post": {
        "summary": "Read the upload again with the user's layer, coordinate system, encoding, sheet and column mapping",
        "security": security, "parameters": [id], "requestBody": options_body,
        "responses": responses(json!({ "200": json_ok("the check", check()) }), &["400", "401", "403", "404"]) } }));
    paths.insert("/api/imports/{id}/commit".into(), json!({ "post": {
        "summary": "Write the upload's features in one audited import (422 with the check when anything is wrong; nothing is written then)",
        "security": security, "parameters": [id], "requestBody": options_body,
        "responses": responses(json!({
            "200": json_ok("written", object(json!({ "features": { "type": "integer" }, "created": { "type": "integer" },
                "updated": { "type": "integer" }, "data_version": { "type": "integer" }, "files": { "type": "array", "items": { "type": "object" } } }))),
            "422": json_ok("nothing written: the check, with code invalid_import and every problem", check()) }),
            &["400", "401", "403", "404", "409"]) } }));
    paths.insert("/api/imports/{id}/problems".into(), json!({ "get": {
        "summary": "The last check's problems as a spreadsheet (文件, 行, 列, 字段, 原因 …)",
        "security": security, "parameters": [id, query("format", json!({ "type": "string", "enum": ["xlsx", "csv"] }), "xlsx (default) or csv")],
        "responses": responses(json!({ "200": { "description": "the spreadsheet", "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } },
            "text/csv": { "schema": { "type": "string" } } } } }), &["400", "401", "403", "404"]) } }));
    paths.insert("/api/imports/{id}".into(), json!({ "delete": {
        "summary": "Discard an upload and its files", "security": security, "parameters": [id],
        "responses": responses(json!({ "204": { "description": "discarded" } }), &["401", "403", "404"]) } }));
}
