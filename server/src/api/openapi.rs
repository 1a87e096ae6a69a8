//! The OpenAPI 3.0 document of the API, with every layer's schema taken from `engine::schema`.
//! It describes every row of `api::endpoints` (a test holds the two together); a new endpoint is
//! one `paths.insert` with the helpers below, in the file of its group.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Layer;
use serde_json::{json, Value};

use super::features::layer_schema;

mod analysis;
mod imports;
mod map;
mod work;

/// A JSON body in the API's error shape (`components/schemas/Error`).
fn error_content() -> Value {
    json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } })
}

fn error_responses() -> Value {
    let e = json!({ "description": "error", "content": error_content() });
    json!({ "400": e, "401": e, "404": e, "409": e, "422": e, "428": e })
}

/// The response of an error status, in the API's error shape.
pub(super) fn error(status: &str) -> Value {
    let description = match status {
        "400" => "bad request: the message names the parameter or field and the reason",
        "401" => "not signed in, or the session has expired",
        "403" => "outside the caller's role or scope",
        "404" => "no such resource",
        "409" => "the version named is not the current one",
        "422" => "the feature or plan breaks a rule; every problem is listed",
        "428" => "the write does not say which version it changes",
        "429" => "too many failed sign-ins; Retry-After says when to try again",
        _ => "error",
    };
    json!({ "description": description, "content": error_content() })
}

/// An operation's responses: the successful ones given, plus `errors` in the API's error shape.
pub(super) fn responses(ok: Value, errors: &[&str]) -> Value {
    let mut r = ok;
    for status in errors {
        r[*status] = error(status);
    }
    r
}

/// A successful JSON response described by `schema`.
pub(super) fn json_ok(description: &str, schema: Value) -> Value {
    let mut r = json!({ "description": description, "content": { "application/json": {} } });
    r["content"]["application/json"]["schema"] = schema;
    r
}

/// An optional query parameter.
pub(super) fn query(name: &str, schema: Value, description: &str) -> Value {
    let mut p = json!({ "name": name, "in": "query", "description": description });
    p["schema"] = schema;
    p
}

/// A path parameter.
pub(super) fn path_param(name: &str, schema: Value, description: &str) -> Value {
    let mut p = json!({ "name": name, "in": "path", "required": true, "description": description });
    p["schema"] = schema;
    p
}

/// An object schema with these properties (`name → schema`), all of them present.
pub(super) fn object(properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut o = json!({ "type": "object", "required": required });
    o["properties"] = properties;
    o
}

/// The schema of the API's error body.
fn error_schema() -> Value {
    json!({ "type": "object", "required": ["code", "message"], "properties": {
        "code": { "type": "string", "description": "stable machine code: bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, precondition_required, invalid_feature, invalid_operation, invalid_plan, too_many_requests, internal" },
        "violations": { "type": "array", "description": "with invalid_plan: the broken grid rules", "items": { "type": "object" } },
        "message": { "type": "string" },
        "problems": { "type": "array", "items": { "type": "object", "properties": {
            "index": { "type": "integer", "nullable": true }, "id": { "type": "string", "nullable": true },
            "row": { "type": "integer", "description": "the row of an uploaded table (1-based, as the file numbers it)" },
            "column": { "type": "string", "description": "the column at fault, as headed in the uploaded table" },
            "value": { "type": "string", "description": "the cell at fault, as the uploaded table wrote it" },
            "field": { "type": "string" }, "reason": { "type": "string", "description": "why, in English" },
            "reason_zh": { "type": "string", "description": "why, in Chinese (原因): the same reason with the same values" } },
            "required": ["field", "reason", "reason_zh"] } } } })
}

/// Builds the OpenAPI document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    schemas.insert("Error".into(), error_schema());
    map::paths(&mut paths);
    analysis::paths(&mut paths);
    imports::paths(&mut paths);
    work::paths(&mut paths);
    planning_paths(&mut paths);
    ogc_paths(&mut paths);
    for layer in Layer::ALL {
        layer_paths(layer, &mut paths, &mut schemas);
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Grid Atlas API 社区网格与服务设施一张图", "version": env!("CARGO_PKG_VERSION"),
            "description": "Every error is a JSON object {code, message}; an unknown path is a 404 and a known path asked with another method a 405 (with Allow), in that shape." },
        "paths": paths,
        "components": { "schemas": schemas, "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } }
    })
}

/// The OGC API – Features resources shared by every collection.
fn ogc_paths(paths: &mut serde_json::Map<String, Value>) {
    let layer = path_param(
        "layer",
        json!({ "type": "string", "enum": Layer::ALL.iter().map(|l| l.name()).collect::<Vec<_>>() }),
        "the collection (layer)",
    );
    let landing = json!({ "get": { "summary": "Landing page: links to the API definition, conformance and collections",
        "responses": { "200": json_ok("links", json!({ "type": "object" })) } } });
    paths.insert("/ogc".into(), landing.clone());
    paths.insert("/ogc/".into(), landing);
    paths.insert("/ogc/conformance".into(), json!({ "get": { "summary": "Conformance classes",
        "responses": { "200": json_ok("conformsTo", object(json!({ "conformsTo": { "type": "array", "items": { "type": "string" } } }))) } } }));
    paths.insert("/ogc/api".into(), json!({ "get": { "summary": "This OpenAPI 3.0 document",
        "responses": { "200": { "description": "the API definition", "content": { "application/vnd.oai.openapi+json;version=3.0": { "schema": { "type": "object" } } } } } } }));
    paths.insert("/ogc/collections".into(), json!({ "get": { "summary": "Every collection with its extent and links",
        "responses": { "200": json_ok("collections", object(json!({ "links": { "type": "array", "items": { "type": "object" } }, "collections": { "type": "array", "items": { "type": "object" } } }))) } } }));
    paths.insert("/ogc/collections/{layer}".into(), json!({ "parameters": [layer], "get": { "summary": "One collection",
        "responses": responses(json!({ "200": json_ok("the collection", json!({ "type": "object" })) }), &["404"]) } }));
    paths.insert("/ogc/collections/{layer}/queryables".into(), json!({ "parameters": [layer], "get": { "summary": "The properties items may be filtered on (JSON Schema)",
        "responses": responses(json!({ "200": { "description": "JSON Schema", "content": { "application/schema+json": { "schema": { "type": "object" } } } } }), &["404"]) } }));
}

/// Query parameters filtering items on each stored and derived property of a layer.
fn property_filters(layer: Layer) -> Vec<Value> {
    let schema = layer_schema(layer);
    let Some(props) = schema["properties"].as_object() else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, s)| {
            let mut s = if s["type"] == "array" {
                s["items"].clone()
            } else {
                s.clone()
            };
            if let Value::Object(o) = &mut s {
                o.retain(|k, _| !["title", "description", "readOnly"].contains(&k.as_str()));
            }
            let about = format!("items whose {name} equals this (a list: contains it)");
            query(name, s, &about)
        })
        .collect()
}

/// The items of one layer: its feature schema, listing with filters, and the writes.
fn layer_paths(
    layer: Layer,
    paths: &mut serde_json::Map<String, Value>,
    schemas: &mut serde_json::Map<String, Value>,
) {
    let name = layer.name();
    let feature_schema = format!("#/components/schemas/{name}");
    // The queryables' JSON Schema, less what an OpenAPI 3.0 schema object may not hold.
    let mut properties = layer_schema(layer);
    if let Value::Object(o) = &mut properties {
        o.remove("$schema");
    }
    schemas.insert(
        name.into(),
        json!({ "type": "object", "required": ["type", "geometry", "properties"], "properties": {
            "type": { "type": "string", "enum": ["Feature"] }, "id": { "type": "integer" },
            "geometry": { "type": "object", "description": engine::schema::geometry_kind(layer).ogc_name() },
            "properties": properties } }),
    );
    let geojson = |d: &str, schema: Value| json!({ "description": d, "content": { "application/geo+json": { "schema": schema } } });
    let body = json!({ "required": true, "content": { "application/geo+json": { "schema": { "$ref": feature_schema } } } });
    let feature = json!({ "$ref": feature_schema });
    let mut list = vec![
        query(
            "bbox",
            json!({ "type": "string" }),
            "minLon,minLat,maxLon,maxLat",
        ),
        query(
            "limit",
            json!({ "type": "integer", "minimum": 0, "maximum": super::features::MAX_LIMIT }),
            "page size (100)",
        ),
        query(
            "offset",
            json!({ "type": "integer", "minimum": 0 }),
            "items to skip",
        ),
    ];
    list.extend(property_filters(layer));
    let created = json!({ "201": geojson("the stored feature; ETag is its version, Location its URL", feature.clone()) });
    let replaced =
        json!({ "200": geojson("the stored feature; ETag is its version", feature.clone()) });
    paths.insert(
        format!("/ogc/collections/{name}/items"),
        json!({
            "get": { "summary": format!("{} features", layer.title_en()), "parameters": list,
                "responses": responses(json!({ "200": geojson("GeoJSON FeatureCollection with numberMatched, numberReturned and next/prev links", json!({ "type": "object" })) }), &["400"]) },
            "post": { "summary": format!("Create a {} feature", layer.title_en()), "security": [{ "bearer": [] }], "requestBody": body,
                "responses": responses(created, &["400", "401", "403", "409", "422"]) }
        }),
    );
    let if_match = json!({ "name": "If-Match", "in": "header", "schema": { "type": "string" }, "description": "the feature's ETag (or give properties.version)" });
    paths.insert(
        format!("/ogc/collections/{name}/items/{{id}}"),
        json!({
            "parameters": [path_param("id", json!({ "type": "integer" }), "feature id")],
            "get": { "summary": format!("One {} feature", layer.title_en()), "responses": responses(json!({ "200": geojson("GeoJSON Feature; ETag is its version", feature) }), &["404"]) },
            "put": { "summary": "Replace; If-Match or properties.version must name the current version (else 409)", "security": [{ "bearer": [] }],
                "parameters": [if_match], "requestBody": body, "responses": responses(replaced, &["400", "401", "403", "404", "409", "422", "428"]) },
            "delete": { "summary": "Delete; If-Match must name the current version", "security": [{ "bearer": [] }],
                "parameters": [if_match], "responses": responses(json!({ "204": { "description": "deleted" } }), &["400", "401", "403", "404", "409", "422", "428"]) }
        }),
    );
}

/// The grid-planning endpoints (`api::planning`).
fn planning_paths(paths: &mut serde_json::Map<String, Value>) {
    let code = json!({ "name": "code", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{12}$" }, "description": "community code" });
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer", "minimum": 1 }, "description": "draft id" });
    let if_match = json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "the draft's ETag (its version); a stale one is 409" });
    let rules = [
        json!({ "name": "caps_old", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "households per grid, old compounds and scattered buildings (150)" }),
        json!({ "name": "caps_new", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "households per grid, new compounds (300)" }),
        json!({ "name": "visits_per_worker_month", "in": "query", "schema": { "type": "integer", "minimum": 1 } }),
    ];
    let view = json!({ "description": "the plan view: plan, report (every rule for every grid, violations), diff against the current grids, grid polygons (GeoJSON), units" });
    let json_body = |d: &str| json!({ "required": true, "content": { "application/json": { "schema": { "type": "object", "description": d } } } });
    let mut writes = error_responses();
    writes["200"] = view.clone();
    writes["403"] = writes["401"].clone();
    paths.insert("/api/planning/communities/{code}".into(), json!({ "get": {
        "summary": "The current grids of a community with every grid rule", "parameters": [code, rules[0], rules[1], rules[2]],
        "responses": { "200": view, "400": error_responses()["400"], "404": error_responses()["404"] } } }));
    paths.insert("/api/planning/communities/{code}/partition".into(), json!({ "post": {
        "summary": "Automatic partition within the caps, contiguous, with the lower bound and gap", "security": [{ "bearer": [] }],
        "parameters": [code, rules[0], rules[1], rules[2]], "requestBody": json_body("{seed?, grids? | units?}"), "responses": writes } }));
    paths.insert("/api/planning/communities/{code}/clusters".into(), json!({ "get": {
        "summary": "Joint-management clusters (max-p) of adjacent three-no compounds", "parameters": [code,
            { "name": "floor", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "households a cluster needs (300)" }],
        "responses": { "200": { "description": "clusters (GeoJSON), upper bound, unclustered compounds" }, "400": error_responses()["400"] } } }));
    paths.insert("/api/planning/drafts".into(), json!({
        "get": { "summary": "Drafts in the caller's scope", "security": [{ "bearer": [] }], "parameters": [{ "name": "community", "in": "query", "schema": { "type": "string" } }], "responses": { "200": { "description": "drafts" } } },
        "post": { "summary": "Start a draft from the current grids", "security": [{ "bearer": [] }], "requestBody": json_body("{community_code, name?, rules?}"), "responses": writes } }));
    paths.insert("/api/planning/drafts/{id}".into(), json!({
        "parameters": [id],
        "get": { "security": [{ "bearer": [] }], "responses": { "200": view, "404": error_responses()["404"] } },
        "put": { "summary": "Replace the plan, name or rules (undo, redo, accept a proposal)", "security": [{ "bearer": [] }], "parameters": [if_match], "requestBody": json_body("{plan?, name?, rules?}"), "responses": writes },
        "delete": { "security": [{ "bearer": [] }], "parameters": [if_match], "responses": { "204": { "description": "deleted" }, "409": error_responses()["409"] } } }));
    paths.insert("/api/planning/drafts/{id}/operations".into(), json!({ "post": {
        "summary": "Apply one operation or a list, all or nothing: move, unassign, create_grid, delete_grid, merge_grids, split_grid, split_compound, join_compound, set_grid",
        "security": [{ "bearer": [] }], "parameters": [id, if_match], "requestBody": json_body("{op, …} or [{op, …}, …]"), "responses": writes } }));
    paths.insert("/api/planning/drafts/{id}/proposal".into(), json!({ "post": {
        "summary": "Automatic partition starting from the draft (not saved)", "security": [{ "bearer": [] }], "parameters": [id],
        "requestBody": json_body("{seed?, grids? | units?}"), "responses": writes } }));
    paths.insert("/api/planning/drafts/{id}/publish".into(), json!({ "post": {
        "summary": "Make the draft the current grids in one audited transaction (422 with violations when a rule is broken; 409 when stale)",
        "security": [{ "bearer": [] }], "parameters": [id, if_match], "responses": writes } }));
}

pub async fn document() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/vnd.oai.openapi+json;version=3.0",
        )],
        Json(build()),
    )
        .into_response()
}
