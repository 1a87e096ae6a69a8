//! OpenAPI paths of the coverage analyses (`api::coverage`): standards, coverage per area and
//! per unit, the underserved list, the heatmap and siting, walking, and their prints.

use engine::ServiceType;
use serde_json::{json, Map, Value};

use super::{json_ok, object, query, responses};

type Paths = Map<String, Value>;

pub(super) fn paths(paths: &mut Paths) {
    standards_and_coverage(paths);
    underserved(paths);
    heatmap_and_siting(paths);
    walking(paths);
    prints(paths);
    trends(paths);
}

fn trends(paths: &mut Paths) {
    paths.insert("/api/trends".into(), json!({ "get": {
        "summary": "An area's indicators at the end of each past month (China time), rebuilt from the audit log: coverage per service, property management, owners' committees, three-no compounds, grid load; the month's visits and needs; the change since the last month's end",
        "parameters": [
            query("level", json!({ "type": "string", "enum": ["grid", "community", "street", "all"] }), "the area's level (community)"),
            query("code", json!({ "type": "string" }), "the area's code"),
            query("months", json!({ "type": "integer", "minimum": 1, "maximum": 36 }), "whole months back (12)")],
        "responses": responses(json!({ "200": json_ok("the trend", object(json!({
            "level": { "type": "string" }, "code": { "type": "string" }, "name": { "type": "string" },
            "months": { "type": "array", "items": { "type": "object", "description": "month, as_of, data_version, indicators (or unavailable with the reason), work" } },
            "now": { "type": "object" }, "change_since_last_month": { "type": "object", "nullable": true } }))) }), &["400", "404"]) } }));
}

fn service_schema() -> Value {
    json!({ "type": "string", "enum": ServiceType::NAMES })
}

fn metres() -> Value {
    json!({ "type": "number", "minimum": 1, "maximum": 20_000 })
}

/// `metric`: walking along the ways or straight-line distances.
fn metric() -> Value {
    query(
        "metric",
        json!({ "type": "string", "enum": ["walk", "straight"] }),
        "walk: along the walkable ways (the default once the atlas has ways); straight: in a straight line. Both distances and their ratio are reported either way",
    )
}

/// `service`/`threshold` and `thresholds`: walking thresholds applied on the spot, and the
/// metric.
fn threshold_overrides() -> [Value; 6] {
    [
        metric(),
        query(
            "as_of",
            json!({ "type": "string" }),
            "the data as it was at the end of a day (YYYY-MM-DD) or month (YYYY-MM), China time, or at an RFC 3339 moment, rebuilt from the audit log (409 when a bulk change since cannot be undone)",
        ),
        query(
            "walking_speed",
            json!({ "type": "number", "minimum": 0.1, "maximum": 5 }),
            "metres per second for the minutes on foot (the standards': 1.0)",
        ),
        query(
            "service",
            service_schema(),
            "the service the threshold applies to",
        ),
        query(
            "threshold",
            metres(),
            "walking threshold in metres for service",
        ),
        query(
            "thresholds",
            json!({ "type": "string", "pattern": "^([a-z_]+:[0-9.]+,?)*$" }),
            "several at once: elderly_care:300,meal_help:800",
        ),
    ]
}

/// `{data_version, <key>: [object]}`.
fn versioned_list(key: &str, item: &str) -> Value {
    let mut props = json!({ "data_version": { "type": "integer", "description": "the data the answer was computed on" },
        "measured": { "type": "object", "description": "metric used, walking_available, walking_speed_mps, network (nodes, edges, memory, build and join seconds)" } });
    props[key] = json!({ "type": "array", "items": { "type": "object", "description": item } });
    object(props)
}

fn standards_and_coverage(paths: &mut Paths) {
    paths.insert("/api/standards".into(), json!({ "get": { "summary": "The standards in force, each rule with its source (GB 50180-2018, 完整社区建设指南, 国办函〔2023〕121号)",
        "responses": { "200": json_ok("the standards", { let mut s = object(json!({
            "services": { "type": "array", "items": { "type": "object" }, "description": "per service: life circle, threshold_m, target group, counting facilities, source" },
            "checklist": { "type": "array", "items": { "type": "object" } },
            "floor_area": { "type": "object" }, "complex": { "type": "object" },
            "demography": { "type": "object" }, "underserved": { "type": "object" } })); s["additionalProperties"] = json!(true); s }) } } }));
    let mut params = vec![
        query(
            "level",
            json!({ "type": "string", "enum": ["grid", "community", "street", "all"] }),
            "the areas summarised (community)",
        ),
        query(
            "code",
            json!({ "type": "string" }),
            "only the area with this code (404 when none)",
        ),
    ];
    params.extend(threshold_overrides());
    let mut areas = versioned_list("areas", "per area: households and target group covered per service, floor area per 100 households against the standard, the complete-community checklist, governance indicators");
    areas["properties"]["level"] = json!({ "type": "string" });
    areas["properties"]["standards"] = json!({ "type": "object" });
    paths.insert("/api/coverage".into(), json!({ "get": { "summary": "Service coverage per grid, community, street or the whole district",
        "parameters": params, "responses": responses(json!({ "200": json_ok("the areas", areas) }), &["400", "404"]) } }));
    let mut params = vec![
        query(
            "community_code",
            json!({ "type": "string" }),
            "only this community",
        ),
        query("grid_code", json!({ "type": "string" }), "only this grid"),
        query(
            "unit",
            json!({ "type": "string", "pattern": "^(compound|building):[0-9]+$" }),
            "only this compound or scattered building",
        ),
        query(
            "lost_on_foot",
            json!({ "type": "boolean" }),
            "only the units `service` covers in a straight line and not on foot",
        ),
    ];
    params.extend(threshold_overrides());
    paths.insert("/api/coverage/units".into(), json!({ "get": { "summary": "Per compound and scattered building: every service's nearest facility, distance and covered or not",
        "parameters": params, "responses": responses(json!({ "200": json_ok("the units", versioned_list("units", "a compound or scattered building with its distances")) }), &["400"]) } }));
}

fn underserved(paths: &mut Paths) {
    let flag = |name: &str, d: &str| query(name, json!({ "type": "boolean" }), d);
    let year = |name: &str, d: &str| query(name, json!({ "type": "integer" }), d);
    let mut params = vec![
        flag("three_no_only", "only three-no compounds"),
        flag(
            "any_flag_missing",
            "only compounds missing property management, an owners' committee or a competent unit",
        ),
        year("build_year_min", "built in or after"),
        year("build_year_max", "built in or before"),
        year("min_elderly", "at least this many residents aged 60+"),
        query(
            "out_of_reach",
            json!({ "type": "string" }),
            "comma list of service types that must be out of reach",
        ),
        query(
            "out_of_reach_threshold",
            metres(),
            "metres beyond which a service is out of reach",
        ),
        flag("include_untiered", "also list compounds in neither tier"),
        query(
            "community_code",
            json!({ "type": "string" }),
            "only this community",
        ),
        query("grid_code", json!({ "type": "string" }), "only this grid"),
        query(
            "street_code",
            json!({ "type": "string" }),
            "only this street",
        ),
        query(
            "format",
            json!({ "type": "string", "enum": ["json", "csv"] }),
            "csv: for field visits; text cells a spreadsheet would run as a formula start with '",
        ),
    ];
    params.extend(threshold_overrides());
    paths.insert("/api/underserved".into(), json!({ "get": { "summary": "Underserved compounds ranked by need, each with its evidence (flags, households, 60+, each distance against its threshold)",
        "parameters": params, "responses": responses(json!({ "200": { "description": "the ranked list", "content": {
            "application/json": { "schema": versioned_list("rows", "rank, tier, compound, flags, households, elderly, gaps and per-service distances") },
            "text/csv": { "schema": { "type": "string" } } } } }), &["400"]) } }));
}

fn heatmap_and_siting(paths: &mut Paths) {
    let service = json!({ "name": "service", "in": "query", "required": true, "schema": service_schema(), "description": "the service type" });
    paths.insert("/api/heatmap".into(), json!({ "get": { "summary": "H3 cells with households not covered and the household-weighted mean distance to the nearest facility",
        "parameters": [service, query("resolution", json!({ "type": "integer", "minimum": 7, "maximum": 11 }), "H3 resolution (9)"),
            query("threshold", metres(), "walking threshold in metres"), metric()],
        "responses": responses(json!({ "200": { "description": "GeoJSON FeatureCollection of H3 cells", "content": { "application/geo+json": { "schema": object(json!({
            "type": { "type": "string", "enum": ["FeatureCollection"] }, "data_version": { "type": "integer" },
            "features": { "type": "array", "items": { "type": "object", "description": "cell, households, households_uncovered, mean_distance_m" } } })) } } } }), &["400"]) } }));
    paths.insert("/api/siting".into(), json!({ "get": { "summary": "k sites adding the most newly covered target population, existing facilities kept",
        "parameters": [service, query("k", json!({ "type": "integer", "minimum": 1, "maximum": 100 }), "sites (3)"),
            query("threshold", metres(), "walking threshold in metres"), metric()],
        "responses": responses(json!({ "200": json_ok("the suggestion", object(json!({ "data_version": { "type": "integer" },
            "result": { "type": "object", "description": "target covered before and after, and the sites, each with its gain" } }))) }), &["400"]) } }));
}

fn walking(paths: &mut Paths) {
    let geojson = |what: &str| {
        json!({ "description": what, "content": { "application/geo+json": { "schema": object(json!({
            "type": { "type": "string", "enum": ["FeatureCollection"] }, "data_version": { "type": "integer" },
            "features": { "type": "array", "items": { "type": "object" } } })) } } })
    };
    paths.insert("/api/isochrones".into(), json!({ "get": { "summary": "Walking isochrones (5/10/15 minutes by default) of a service's counting facilities, or of one facility, as MultiPolygons",
        "parameters": [
            query("service", service_schema(), "the service type (elderly_care)"),
            query("minutes", json!({ "type": "string", "pattern": "^[0-9.]+(,[0-9.]+)*$" }), "walking times, minutes, comma separated (5,10,15; at most 6, each at most 60)"),
            query("facility", json!({ "type": "string", "pattern": "^(stations|service_spaces):[0-9]+$" }), "one facility counting for the service, e.g. service_spaces:12")],
        "responses": responses(json!({ "200": geojson("one feature per walking time: service, facility, minutes, distance_m") }), &["400", "409"]) } }));
    paths.insert("/api/routes".into(), json!({ "get": { "summary": "A compound's (or scattered building's) walking route to the nearest counting facility of each service",
        "parameters": [
            query("compound", json!({ "type": "integer" }), "the compound's id"),
            query("building", json!({ "type": "integer" }), "or a scattered building's id")],
        "responses": responses(json!({ "200": geojson("one line per service reached: service, facility, distance_m, straight_m, minutes") }), &["400", "409"]) } }));
    paths.insert("/api/network".into(), json!({ "get": { "summary": "The walking network: its size and cost, and every unit and facility not joined to it",
        "responses": responses(json!({ "200": json_ok("the network", object(json!({ "data_version": { "type": "integer" },
            "measured": { "type": "object" }, "join_limit_m": { "type": "number" },
            "unjoined": { "type": "array", "items": { "type": "object", "description": "layer, id, name, community_code, at" } } }))) }), &[]) } }));
}

fn prints(paths: &mut Paths) {
    let printed = || {
        json!({ "200": { "description": "the whole document as PDF, or one page as PNG (150 dpi)", "content": {
            "application/pdf": { "schema": { "type": "string", "format": "binary" } },
            "image/png": { "schema": { "type": "string", "format": "binary" } } } } })
    };
    let format = || {
        query(
            "format",
            json!({ "type": "string", "enum": ["pdf", "png"] }),
            "pdf (default: every page) or png (one page)",
        )
    };
    let page = || {
        query(
            "page",
            json!({ "type": "integer", "minimum": 1 }),
            "with format=png: the page, from 1",
        )
    };
    let date = || {
        query(
            "date",
            json!({ "type": "string", "format": "date" }),
            "the date printed (default: today)",
        )
    };
    paths.insert("/api/print/boards".into(), json!({ "get": {
        "summary": "Grid notice boards 网格公示牌, one page a grid: the grid's map, households and load, grid workers with photo, phone and duties, building heads, a QR code to the grid's page",
        "security": [{ "bearer": [] }],
        "parameters": [
            query("grid", json!({ "type": "string" }), "one grid's code"),
            query("community", json!({ "type": "string", "pattern": "^[0-9]{12}$" }), "or every grid of a community"),
            query("street", json!({ "type": "string", "pattern": "^[0-9]{9}$" }), "or every grid of a street"),
            query("paper", json!({ "type": "string", "enum": ["A4", "A3"] }), "paper size (A4)"),
            format(), page(), date()],
        "responses": responses(printed(), &["400", "401", "404"]) } }));
    paths.insert("/api/print/report".into(), json!({ "get": {
        "summary": "A street's or community's coverage report (A4): heatmap with legend, scale and north arrow; parts ranked worst first; governance; underserved compounds; the standards",
        "parameters": [
            query("street", json!({ "type": "string", "pattern": "^[0-9]{9}$" }), "a street's code"),
            query("community", json!({ "type": "string", "pattern": "^[0-9]{12}$" }), "or a community's code"),
            query("service", service_schema(), "the service mapped and ranked (elderly_care)"),
            query("threshold", metres(), "metres instead of the standard's threshold"),
            metric(), format(), page(), date()],
        "responses": responses(printed(), &["400", "404", "409"]) } }));
}
