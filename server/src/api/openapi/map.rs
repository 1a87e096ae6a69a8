//! OpenAPI paths of what the map and operators use: health, the audit log, sign-in, search, the
//! map's configuration and the vector tiles.

use serde_json::{json, Map, Value};

use super::{json_ok, object, path_param, query, responses};

type Paths = Map<String, Value>;

pub(super) fn paths(paths: &mut Paths) {
    health_and_audit(paths);
    session(paths);
    search_and_config(paths);
    tiles(paths);
}

fn health_and_audit(paths: &mut Paths) {
    paths.insert("/health".into(), json!({ "get": { "summary": "Store kind, data version and feature counts",
        "responses": { "200": json_ok("the server is up", object(json!({
            "status": { "type": "string", "enum": ["ok", "degraded"], "description": "degraded: some stored rows cannot be read (listed in unreadable)" },
            "store": { "type": "string", "description": "geopackage or postgis" },
            "data_version": { "type": "integer" },
            "features": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "count per layer" },
            "unreadable": { "type": "array", "description": "stored rows left out of the map until repaired", "items": object(json!({
                "layer": { "type": "string" }, "id": { "type": "integer" },
                "version": { "type": "integer", "nullable": true },
                "field": { "type": "string", "nullable": true, "description": "the field at fault (the first, when several are)" },
                "reason": { "type": "string", "description": "every problem, naming the field" },
                "reason_zh": { "type": "string", "description": "the same in Chinese (原因)" } })) } }))) } } }));
    let entry = object(json!({
        "id": { "type": "integer" }, "at": { "type": "string", "format": "date-time" }, "actor": { "type": "string" },
        "operation": { "type": "string", "description": "import, create, edit, delete, publish, …" },
        "layer": { "type": "string", "nullable": true }, "feature_id": { "type": "integer", "nullable": true },
        "data_version": { "type": "integer" },
        "before": { "type": "object", "nullable": true, "description": "the feature before the change" },
        "after": { "type": "object", "nullable": true, "description": "the feature after the change" } }));
    paths.insert("/audit".into(), json!({ "get": { "summary": "Audit log: who changed which feature when, before and after (JSON, or CSV with format=csv)", "parameters": [
        query("layer", json!({ "type": "string" }), "only this layer"),
        query("feature_id", json!({ "type": "integer" }), "only this feature"),
        query("actor", json!({ "type": "string" }), "only this account"),
        query("since", json!({ "type": "string", "format": "date-time" }), "RFC 3339"),
        query("until", json!({ "type": "string", "format": "date-time" }), "RFC 3339"),
        query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 100_000 }), "newest first (1000)"),
        query("format", json!({ "type": "string", "enum": ["json", "csv"] }), "csv: text cells a spreadsheet would run as a formula start with '")
    ], "responses": responses(json!({ "200": { "description": "the entries, newest first", "content": {
        "application/json": { "schema": object(json!({ "entries": { "type": "array", "items": entry } })) },
        "text/csv": { "schema": { "type": "string" } } } } }), &["400"]) } }));
}

fn session(paths: &mut Paths) {
    let who = json!({ "name": { "type": "string" }, "role": { "type": "string" }, "scope": { "type": "string", "description": "district, street:CODE or community:CODE" } });
    let mut signed_in = who.clone();
    signed_in["token"] =
        json!({ "type": "string", "description": "send as Authorization: Bearer …" });
    signed_in["expires_in"] = json!({ "type": "integer", "description": "seconds" });
    let login = object(
        json!({ "name": { "type": "string", "maxLength": 64 }, "password": { "type": "string", "maxLength": 1024 } }),
    );
    paths.insert("/api/session".into(), json!({
        "get": { "summary": "Who is signed in", "security": [{ "bearer": [] }],
            "responses": responses(json!({ "200": json_ok("the account", object(who)) }), &["401"]) },
        "post": { "summary": "Sign in", "requestBody": { "required": true, "content": { "application/json": { "schema": login } } },
            "responses": responses(json!({ "200": json_ok("a session", object(signed_in)) }), &["400", "401", "429"]) },
        "delete": { "summary": "Sign out (the bearer token, if any, stops working)", "security": [{ "bearer": [] }],
            "responses": { "204": { "description": "signed out" } } } }));
}

fn search_and_config(paths: &mut Paths) {
    let hit = object(
        json!({ "layer": { "type": "string" }, "id": { "type": "integer" }, "name": { "type": "string" },
        "code": { "type": "string", "nullable": true },
        "bbox": { "type": "array", "items": { "type": "number" }, "minItems": 4, "maxItems": 4, "nullable": true, "description": "minLon, minLat, maxLon, maxLat" } }),
    );
    paths.insert("/api/search".into(), json!({ "get": { "summary": "Features whose name contains q or whose code starts with it; administrative units first", "parameters": [
        { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 100 }, "description": "a name or a code" },
        query("limit", json!({ "type": "integer", "minimum": 1, "maximum": 200 }), "results (20); larger values are capped")
    ], "responses": responses(json!({ "200": json_ok("results", object(json!({ "results": { "type": "array", "items": hit } }))) }), &["400"]) } }));
    paths.insert("/api/config".into(), json!({ "get": { "summary": "What the map needs at start-up",
        "responses": { "200": json_ok("the configuration", object(json!({
            "basemap": { "type": "object", "nullable": true, "description": "raster tiles URL template and attribution" },
            "bounds": { "type": "array", "items": { "type": "number" }, "nullable": true, "description": "the data's minLon, minLat, maxLon, maxLat" },
            "data_version": { "type": "integer" },
            "layers": { "type": "array", "items": object(json!({ "id": { "type": "string" }, "title_zh": { "type": "string" }, "title_en": { "type": "string" } })) },
            "sign_in": { "type": "string" } }))) } } }));
    paths.insert("/api/enums".into(), enums());
    paths.insert("/api/problems".into(), json!({ "get": { "summary": "Stored rows that could not be read (admins): left out of the map until a write repairs or deletes them",
        "security": [{ "bearer": [] }],
        "responses": responses(json!({ "200": json_ok("the problems", object(json!({
            "data_version": { "type": "integer" },
            "problems": { "type": "array", "items": object(json!({
                "layer": { "type": "string" }, "id": { "type": "integer" },
                "version": { "type": "integer", "nullable": true },
                "field": { "type": "string", "nullable": true, "description": "the field at fault (the first, when several are)" },
                "reason": { "type": "string", "description": "every problem, naming the field" },
                "reason_zh": { "type": "string", "description": "the same in Chinese (原因), naming the field by its label" },
                "repair": { "type": "string", "description": "the request that repairs the row" },
                "repair_zh": { "type": "string", "description": "the same request, said in Chinese" } })) } }))) }), &["401", "403"]) } }));
}

/// `GET /api/enums`: the words of every enum and field, and what an editing form needs per field.
fn enums() -> Value {
    let value = object(
        json!({ "name": { "type": "string" }, "label_zh": { "type": "string" }, "label_en": { "type": "string" } }),
    );
    let domain_enum = object(
        json!({ "name": { "type": "string" }, "values": { "type": "array", "items": value } }),
    );
    let field = json!({ "type": "object",
        "required": ["name", "label_zh", "label_en", "enum", "list", "derived", "kind", "required"],
        "properties": {
            "name": { "type": "string" }, "label_zh": { "type": "string" }, "label_en": { "type": "string" },
            "enum": { "type": "string", "nullable": true, "description": "the enum the value (or each list item) is taken from" },
            "list": { "type": "boolean", "description": "a non-empty list of distinct enum values" },
            "derived": { "type": "boolean", "description": "computed from the stored fields: read-only" },
            "kind": { "type": "string", "enum": ["integer", "year", "number", "text", "code", "boolean", "enum", "enum_list"],
                "description": "the value's type: integer and year are whole numbers, number any number, code a statistical code of `digits` digits" },
            "required": { "type": "boolean", "description": "a stored field every feature must have" },
            "min": { "type": "number", "description": "integer, year, number: the least value" },
            "max": { "type": "number", "description": "integer, year, number: the greatest value (left out for ids, unbounded)" },
            "max_chars": { "type": "integer", "description": "text: the most characters" },
            "digits": { "type": "integer", "description": "code: exactly this many digits" },
            "references": { "type": "object", "required": ["layer", "key"], "description": "the feature the value names",
                "properties": { "layer": { "type": "string" }, "key": { "type": "string", "enum": ["code", "id"] } } } } });
    let layer = object(json!({
        "layer": { "type": "string" }, "title_zh": { "type": "string" }, "title_en": { "type": "string" },
        "geometry": { "type": "array", "items": { "type": "string", "enum": ["Point", "Polygon", "MultiPolygon"] },
            "description": "the GeoJSON geometry types the layer accepts (a Polygon where MultiPolygons are stored is kept as one part)" },
        "fields": { "type": "array", "items": field, "description": "stored fields in schema order, then the derived ones" } }));
    json!({ "get": { "summary": "Every domain enum with its values' Chinese and English labels, and every layer's fields in schema order with what a form needs to take a value for each",
        "responses": { "200": json_ok("enums and fields", object(json!({
            "enums": { "type": "array", "items": domain_enum },
            "layers": { "type": "array", "items": layer } }))) } } })
}

fn tiles(paths: &mut Paths) {
    paths.insert("/tiles/{file}".into(), json!({ "get": { "summary": "TileJSON 3.0 of a layer set",
        "parameters": [path_param("file", json!({ "type": "string", "pattern": "^[a-z_,]+\\.json$" }), "the set and .json: atlas.json (every layer), compounds.json, or a comma list of layers")],
        "responses": responses(json!({ "200": json_ok("TileJSON", json!({ "type": "object" })) }), &["404"]) } }));
    let heat = "heatmap tiles only:";
    paths.insert("/tiles/{set}/{z}/{x}/{y}".into(), json!({ "get": {
        "summary": "A vector tile (MVT 2.1), cached by data version; ETag is a hash of its content",
        "parameters": [
            path_param("set", json!({ "type": "string" }), "atlas (every layer), one layer, a comma list of layers, heatmap (the coverage heatmap) or isochrones (walking isochrones, layer isochrones: service, minutes, distance_m)"),
            path_param("z", json!({ "type": "integer", "minimum": 0 }), "zoom"),
            path_param("x", json!({ "type": "integer", "minimum": 0 }), "column"),
            path_param("y", json!({ "type": "string", "pattern": "^[0-9]+\\.(mvt|pbf)$" }), "row, with .mvt"),
            query("service", json!({ "type": "string" }), &format!("{heat} the service type (elderly_care)")),
            query("resolution", json!({ "type": "integer", "minimum": 7, "maximum": 11 }), &format!("{heat} H3 resolution (10 from z15, else 9)")),
            query("threshold", json!({ "type": "number", "minimum": 1, "maximum": 20_000 }), &format!("{heat} walking threshold in metres")),
            query("metric", json!({ "type": "string", "enum": ["walk", "straight"] }), &format!("{heat} walk or straight distances")),
            query("minutes", json!({ "type": "string" }), "isochrone tiles only: walking times, minutes (5,10,15)"),
            query("facility", json!({ "type": "string" }), "isochrone tiles only: one facility, e.g. service_spaces:12"),
            { "name": "If-None-Match", "in": "header", "schema": { "type": "string" }, "description": "an ETag; 304 when unchanged" },
            { "name": "Accept-Encoding", "in": "header", "schema": { "type": "string" }, "description": "gzip for a gzipped tile" }
        ],
        "responses": responses(json!({
            "200": { "description": "the tile", "content": { "application/vnd.mapbox-vector-tile": { "schema": { "type": "string", "format": "binary" } } } },
            "204": { "description": "an empty tile" }, "304": { "description": "not modified" } }), &["400", "404"]) } }));
}
