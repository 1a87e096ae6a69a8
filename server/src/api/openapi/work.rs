//! OpenAPI paths of grid work (`api::work`): the four lists, a need's actions, the month's
//! visits per worker and the needs counted per grid.

use engine::gridwork::{
    MergedRole, NeedCategory, NeedStatus, OrganisationKind, VisitKind, WorkKind,
};
use engine::ServiceType;
use serde_json::{json, Map, Value};

use super::{json_ok, path_param, query, responses};

type Paths = Map<String, Value>;

fn strings(names: &[&str]) -> Value {
    json!({ "type": "string", "enum": names })
}

/// The body of each kind, as `engine::gridwork` reads it.
fn bodies() -> Value {
    let date = json!({ "type": "string", "format": "date" });
    let unit = json!({ "type": "object", "description": "a compound, a building, or a household (number) in a building",
        "properties": { "compound_id": { "type": "integer" }, "building_id": { "type": "integer" }, "household": { "type": "string", "maxLength": 20 } } });
    json!({ "oneOf": [
        { "title": "grid_workers", "type": "object", "required": ["name", "phone", "grids", "start_date"], "properties": {
            "name": { "type": "string" }, "phone": { "type": "string" }, "grids": { "type": "array", "items": { "type": "string" } },
            "roles": { "type": "array", "items": strings(MergedRole::NAMES) }, "start_date": date, "account": { "type": "string" } } },
        { "title": "organisations", "type": "object", "required": ["name", "kind", "community_code"], "properties": {
            "name": { "type": "string" }, "kind": strings(OrganisationKind::NAMES), "community_code": { "type": "string" },
            "contact": { "type": "string" }, "phone": { "type": "string" },
            "services": { "type": "array", "items": strings(ServiceType::NAMES) },
            "accounts": { "type": "array", "items": { "type": "string" }, "description": "organisation accounts acting for it" } } },
        { "title": "visits", "type": "object", "required": ["worker_id", "date", "kind", "unit"], "properties": {
            "worker_id": { "type": "integer" }, "date": date, "kind": strings(VisitKind::NAMES), "unit": unit,
            "households": { "type": "integer", "minimum": 1, "maximum": 500 }, "notes": { "type": "string" },
            "needs": { "type": "array", "items": { "type": "integer" } },
            "client_id": { "type": "string", "description": "the phone's id of the record: sent twice, kept once" },
            "position": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 },
            "photo": { "type": "string", "description": "a JPEG, PNG or WebP data URL" } } },
        { "title": "needs", "type": "object", "required": ["title", "category", "raised_by", "raised_on"], "properties": {
            "title": { "type": "string" }, "category": strings(NeedCategory::NAMES), "community_code": { "type": "string" },
            "grid_code": { "type": "string" }, "unit": unit, "raised_by": { "type": "string" }, "raised_on": date,
            "due_date": date, "status": strings(NeedStatus::NAMES), "organisation_id": { "type": "integer" },
            "description": { "type": "string" }, "client_id": { "type": "string" },
            "position": { "type": "array", "items": { "type": "number" }, "minItems": 2, "maxItems": 2 },
            "photo": { "type": "string", "description": "a JPEG, PNG or WebP data URL" } } },
        { "title": "building_heads", "type": "object", "required": ["name", "phone", "unit"], "properties": {
            "name": { "type": "string" }, "phone": { "type": "string" }, "unit": unit, "since": date } },
        { "title": "residents_groups", "type": "object", "required": ["name", "community_code", "compounds"], "properties": {
            "name": { "type": "string" }, "community_code": { "type": "string" },
            "compounds": { "type": "array", "items": { "type": "integer" }, "description": "a compound is in one group" },
            "leader": { "type": "string" }, "phone": { "type": "string" } } },
        { "title": "joint_units", "type": "object", "required": ["name", "compounds", "organisation_id", "start_date", "fee_per_m2", "service_standard", "staff"], "properties": {
            "name": { "type": "string" },
            "compounds": { "type": "array", "items": { "type": "integer" }, "minItems": 2, "description": "e.g. a cluster proposal's compounds (GET /api/planning/communities/{code}/clusters); a compound is in one unit" },
            "organisation_id": { "type": "integer" }, "start_date": date, "fee_per_m2": { "type": "number", "minimum": 0, "maximum": 20 },
            "service_standard": { "type": "string" }, "staff": { "type": "integer", "minimum": 0 },
            "duties": { "type": "array", "items": { "type": "string" } } } },
        { "title": "resources", "type": "object", "required": ["organisation_id", "title", "category", "community_code", "available"], "properties": {
            "organisation_id": { "type": "integer" }, "title": { "type": "string" }, "category": strings(NeedCategory::NAMES),
            "service": strings(ServiceType::NAMES), "community_code": { "type": "string" }, "unit": unit,
            "place": { "type": "string" }, "available": { "type": "string", "description": "when, in words" },
            "from": date, "until": date, "capacity": { "type": "integer", "minimum": 0 } } },
        { "title": "projects", "type": "object", "required": ["title", "organisation_id", "community_code", "date", "people_reached", "hours"], "properties": {
            "title": { "type": "string" }, "organisation_id": { "type": "integer" }, "community_code": { "type": "string" },
            "grid_code": { "type": "string" }, "need_id": { "type": "integer", "description": "a need the organisation claimed" },
            "resource_id": { "type": "integer", "description": "a resource the organisation offers" }, "date": date,
            "people_reached": { "type": "integer", "minimum": 0 }, "hours": { "type": "number", "minimum": 0 }, "notes": { "type": "string" } } }
    ] })
}

pub(super) fn paths(paths: &mut Paths) {
    let security = json!([{ "bearer": [] }]);
    let kind = path_param(
        "kind",
        strings(WorkKind::NAMES),
        "the list: grid_workers, organisations, visits, needs, building_heads, residents_groups, joint_units, resources or projects",
    );
    let id = path_param("id", json!({ "type": "integer" }), "the record's id");
    let record = json!({ "type": "object", "properties": {
        "id": { "type": "integer" }, "kind": strings(WorkKind::NAMES), "version": { "type": "integer" },
        "community_code": { "type": "string" }, "grid_code": { "type": "string", "nullable": true },
        "status": { "type": "string", "nullable": true }, "body": bodies() } });
    let body =
        json!({ "required": true, "content": { "application/json": { "schema": bodies() } } });
    let mut list = json!({ "parameters": [kind.clone()],
        "get": { "summary": "The records of a grid-work list in the caller's scope (phones masked for viewers and organisations; an organisation sees open needs and its own claims)",
            "security": security,
            "parameters": [
                query("street", json!({ "type": "string" }), "a street's code"),
                query("community", json!({ "type": "string" }), "a community's code"),
                query("grid", json!({ "type": "string" }), "a grid's code"),
                query("status", strings(NeedStatus::NAMES), "a need's status"),
                query("format", strings(&["json", "csv", "xlsx"]), "csv or xlsx: a spreadsheet of the records")],
            "responses": responses(json!({ "200": json_ok("the records", json!({ "type": "object" })) }), &["400", "401", "404"]) },
        "post": { "summary": "Records a grid worker, organisation, visit or need (201); a visit or need repeating a stored client_id is that record (200)",
            "security": security,
            "responses": responses(json!({ "201": json_ok("the record as stored", record.clone()), "200": json_ok("the record sent before", record.clone()) }), &["400", "401", "403", "404", "409", "422"]) } });
    list["post"]["requestBody"] = body.clone();
    paths.insert("/api/work/{kind}".into(), list);
    let mut one = json!({ "parameters": [kind, id.clone()],
        "get": { "summary": "One record, with its ETag", "security": security,
            "responses": responses(json!({ "200": json_ok("the record", record.clone()) }), &["400", "401", "404"]) },
        "put": { "summary": "Replaces a record (If-Match); a need's status and claim change only through its actions", "security": security,
            "parameters": [{ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" } }],
            "responses": responses(json!({ "200": json_ok("the record as stored", record.clone()) }), &["400", "401", "403", "404", "409", "422", "428"]) } });
    one["put"]["requestBody"] = body;
    paths.insert("/api/work/{kind}/{id}".into(), one);
    paths.insert("/api/work/{kind}/{id}/history".into(), json!({
        "parameters": [path_param("kind", strings(WorkKind::NAMES), "the list"), path_param("id", json!({ "type": "integer" }), "the record's id")],
        "get": { "summary": "Every change of a record: who, when, before and after (newest first)", "security": security,
            "responses": responses(json!({ "200": json_ok("the changes", json!({ "type": "object" })) }), &["400", "401", "404"]) } }));
    let action = json!({ "type": "object", "required": ["action"], "properties": {
        "action": strings(&["claim", "start", "done", "close"]), "organisation_id": { "type": "integer" },
        "people_reached": { "type": "integer" }, "hours": { "type": "number" }, "reason": { "type": "string" } } });
    let mut actions = json!({ "parameters": [id], "post": {
        "summary": "One step of a need: claim (once: a second claim is a 409 naming who claimed it), start, done (people reached, hours), close (with a reason)",
        "security": security,
        "responses": responses(json!({ "200": json_ok("the need as stored", record) }), &["400", "401", "403", "404", "409"]) } });
    actions["post"]["requestBody"] =
        json!({ "required": true, "content": { "application/json": {} } });
    actions["post"]["requestBody"]["content"]["application/json"]["schema"] = action;
    paths.insert("/api/work/needs/{id}/actions".into(), actions);
    paths.insert("/api/work/visits/monthly".into(), json!({ "get": {
        "summary": "Each grid worker in scope for a month: visits, errands, households visited against the quota",
        "security": security,
        "parameters": [
            query("month", json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$" }), "YYYY-MM (required)"),
            query("community", json!({ "type": "string" }), "a community's code"),
            query("quota", json!({ "type": "integer", "minimum": 1, "maximum": 10_000 }), "households a month (200 unless given)")],
        "responses": responses(json!({ "200": json_ok("per worker", json!({ "type": "object" })) }), &["400", "401"]) } }));
    let area = || {
        [
            query(
                "community",
                json!({ "type": "string" }),
                "a community's code (or grid=)",
            ),
            query("grid", json!({ "type": "string" }), "a grid's code"),
        ]
    };
    let geojson = || json!({ "200": { "description": "GeoJSON FeatureCollection", "content": { "application/geo+json": { "schema": { "type": "object" } } } } });
    let [c, g] = area();
    paths.insert("/api/work/visits/last".into(), json!({ "get": {
        "summary": "The compounds and buildings of a grid or community with their last visit and the days since (never visited first)",
        "security": security,
        "parameters": [c, g, query("as_of", json!({ "type": "string", "format": "date" }), "the day the days are counted to (today unless given)")],
        "responses": responses(geojson(), &["400", "401", "403", "404"]) } }));
    let [c, g] = area();
    paths.insert("/api/work/needs/map".into(), json!({ "get": {
        "summary": "The needs of a grid or community the caller sees, as points (where raised, else inside their unit, grid or community)",
        "security": security,
        "parameters": [c, g, query("status", strings(NeedStatus::NAMES), "a need's status")],
        "responses": responses(geojson(), &["400", "401", "403", "404"]) } }));
    paths.insert("/api/work/needs/counts".into(), json!({ "get": {
        "summary": "Needs per grid and community in scope: raised, open, claimed, in progress, done, closed, overdue",
        "security": security,
        "parameters": [
            query("street", json!({ "type": "string" }), "a street's code"),
            query("community", json!({ "type": "string" }), "a community's code"),
            query("as_of", json!({ "type": "string", "format": "date" }), "the day overdue is counted on (today unless given)")],
        "responses": responses(json!({ "200": json_ok("counts", json!({ "type": "object" })) }), &["400", "401"]) } }));
}
