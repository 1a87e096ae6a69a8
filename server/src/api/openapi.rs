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
            "code": { "type": "string", "description": "stable machine code: bad_request, unauthorized, forbidden, not_found, conflict, precondition_required, invalid_feature, internal" },
            "message": { "type": "string" },
            "problems": { "type": "array", "items": { "type": "object", "properties": {
                "index": { "type": ["integer", "null"] }, "id": { "type": ["string", "null"] },
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
    for p in ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/api"] {
        paths.insert(
            p.into(),
            json!({ "get": { "responses": { "200": { "description": "ok" } } } }),
        );
    }
    for layer in Layer::ALL {
        let name = layer.name();
        let feature_schema = format!("#/components/schemas/{name}");
        schemas.insert(
            name.into(),
            json!({ "type": "object", "required": ["type", "geometry", "properties"], "properties": {
                "type": { "const": "Feature" }, "id": { "type": "integer" },
                "geometry": { "type": "object", "description": engine::schema::geometry_kind(layer).ogc_name() },
                "properties": layer_schema(layer) } }),
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
