//! The OpenAPI 3.0 document of the API, with every layer's schema taken from `engine::schema`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Layer;
use serde_json::{json, Value};

use super::features::layer_schema;

fn error_responses() -> Value {
    let e = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    json!({ "400": e, "401": e, "404": e, "409": e, "422": e, "428": e })
}

/// Builds the OpenAPI document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["code", "message"], "properties": {
            "code": { "type": "string", "description": "stable machine code: bad_request, unauthorized, forbidden, not_found, conflict, precondition_required, invalid_feature, invalid_operation, invalid_plan, internal" },
            "violations": { "type": "array", "description": "with invalid_plan: the broken grid rules", "items": { "type": "object" } },
            "message": { "type": "string" },
            "problems": { "type": "array", "items": { "type": "object", "properties": {
                "index": { "type": "integer", "nullable": true }, "id": { "type": "string", "nullable": true },
                "field": { "type": "string" }, "reason": { "type": "string" } } } } } }),
    );
    paths.insert("/health".into(), json!({ "get": { "summary": "Store kind, data version and feature counts", "responses": { "200": { "description": "ok" } } } }));
    paths.insert("/audit".into(), json!({ "get": { "summary": "Audit log (JSON, or CSV with format=csv)", "parameters": [
        { "name": "layer", "in": "query", "schema": { "type": "string" } },
        { "name": "feature_id", "in": "query", "schema": { "type": "integer" } },
        { "name": "actor", "in": "query", "schema": { "type": "string" } },
        { "name": "since", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "until", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100000 } },
        { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "csv"] } }
    ], "responses": { "200": { "description": "entries" } } } }));
    planning_paths(&mut paths);
    for p in ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/api"] {
        paths.insert(
            p.into(),
            json!({ "get": { "responses": { "200": { "description": "ok" } } } }),
        );
    }
    for layer in Layer::ALL {
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
        let body = json!({ "required": true, "content": { "application/geo+json": { "schema": { "$ref": feature_schema } } } });
        let mut write = error_responses();
        write["200"] = json!({ "description": "the stored feature; ETag is its version" });
        paths.insert(
            format!("/ogc/collections/{name}/items"),
            json!({
                "get": { "summary": format!("{} features", layer.title_en()), "parameters": [
                    { "name": "bbox", "in": "query", "schema": { "type": "string" }, "description": "minLon,minLat,maxLon,maxLat" },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 0, "maximum": super::features::MAX_LIMIT } },
                    { "name": "offset", "in": "query", "schema": { "type": "integer", "minimum": 0 } }
                ], "responses": { "200": { "description": "GeoJSON FeatureCollection" }, "400": error_responses()["400"] } },
                "post": { "summary": format!("Create a {} feature", layer.title_en()), "security": [{ "bearer": [] }], "requestBody": body, "responses": write }
            }),
        );
        paths.insert(
            format!("/ogc/collections/{name}/items/{{id}}"),
            json!({
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
                "get": { "responses": { "200": { "description": "GeoJSON Feature; ETag is its version" }, "404": error_responses()["404"] } },
                "put": { "summary": "Replace; If-Match or properties.version must name the current version (else 409)", "security": [{ "bearer": [] }], "requestBody": body, "responses": write },
                "delete": { "summary": "Delete; If-Match must name the current version", "security": [{ "bearer": [] }], "responses": { "204": { "description": "deleted" }, "404": error_responses()["404"], "409": error_responses()["409"] } }
            }),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "Grid Atlas API 社区网格与服务设施一张图", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": { "schemas": schemas, "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } }
    })
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
