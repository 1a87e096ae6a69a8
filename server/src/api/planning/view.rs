//! What the grid-planning workspace is shown of a plan: the plan, every rule for every grid,
//! the diff against the current grids, the derived grid polygons and the units — as JSON.

use engine::planning::{
    check_plan, DraftBody, Plan, PlanningContext, PlanningError, RuleOptions, Severity, Violation,
};
use geo_types::MultiPolygon;
use serde_json::{json, Value};

use crate::store::DraftRecord;

/// Violations as JSON: their fields plus severity and a sentence.
pub fn violations_json(violations: &[Violation]) -> Value {
    Value::Array(
        violations
            .iter()
            .map(|v| {
                let mut j = serde_json::to_value(v).unwrap_or(Value::Null);
                if let Value::Object(o) = &mut j {
                    let severity = match v.severity() {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    };
                    o.insert("severity".into(), json!(severity));
                    o.insert("message".into(), json!(v.to_string()));
                }
                j
            })
            .collect(),
    )
}

/// A multipolygon as a GeoJSON geometry.
pub fn multipolygon_json(mp: &MultiPolygon) -> Value {
    serde_json::to_value(geojson::Geometry::new(geojson::Value::from(mp))).unwrap_or(Value::Null)
}

/// Everything the workspace shows of `plan` in `ctx` under `rules`.
pub fn plan_view(
    ctx: &PlanningContext,
    plan: &Plan,
    rules: &RuleOptions,
) -> Result<Value, PlanningError> {
    let report = check_plan(ctx, plan, rules)?;
    let current = Plan::current(&ctx.catalog);
    let polygons = plan.grid_polygons(ctx)?;
    let grids: Vec<Value> = report
        .grids
        .iter()
        .map(|g| {
            json!({
                "type": "Feature",
                "id": g.code,
                "geometry": polygons.get(&g.code).map_or(Value::Null, multipolygon_json),
                "properties": {
                    "code": g.code, "name": g.name, "households": g.households, "load": g.load,
                    "within_cap": g.within_cap, "contiguous": g.contiguous, "locked": g.locked,
                },
            })
        })
        .collect();
    let mut report_json = serde_json::to_value(&report).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut report_json {
        o.insert("violations".into(), violations_json(&report.violations));
    }
    Ok(json!({
        "community_code": ctx.catalog.community_code,
        "community_name": ctx.catalog.community_name,
        "data_version": ctx.catalog.snapshot_version,
        "rules": rules,
        "plan": plan,
        "report": report_json,
        "diff": plan.diff(&current, &ctx.catalog),
        "grids": { "type": "FeatureCollection", "features": grids },
        "units": units_json(ctx, plan),
    }))
}

fn units_json(ctx: &PlanningContext, plan: &Plan) -> Vec<Value> {
    let assignment = plan.assignment();
    ctx.units
        .iter()
        .map(|u| {
            json!({
                "unit": u.unit, "kind": u.kind, "name": u.name, "households": u.households,
                "class": u.class, "three_no": u.three_no, "compound_id": u.compound_id,
                "grids": assignment.get(&u.unit).cloned().unwrap_or_default(),
                "lon": u.centroid.x(), "lat": u.centroid.y(),
            })
        })
        .collect()
}

/// A draft's view: its record's metadata around [`plan_view`].
pub fn draft_view(
    ctx: &PlanningContext,
    record: &DraftRecord,
    body: &DraftBody,
) -> Result<Value, PlanningError> {
    let mut view = plan_view(ctx, &body.plan, &body.rules)?;
    let base_changed =
        !engine::planning::publication::same_grids(&body.base, &Plan::current(&ctx.catalog));
    if let Value::Object(o) = &mut view {
        for (k, v) in [
            ("id", json!(record.id)),
            ("version", json!(record.version)),
            ("status", json!(record.status)),
            ("name", json!(record.name)),
            ("author", json!(record.author)),
            ("updated_by", json!(record.updated_by)),
            ("created_at", json!(record.created_at)),
            ("updated_at", json!(record.updated_at)),
            (
                "published_data_version",
                json!(record.published_data_version),
            ),
            ("base_changed", json!(base_changed)),
        ] {
            o.insert(k.into(), v);
        }
    }
    Ok(view)
}

/// An automatic partition's outcome with the view of its plan.
pub fn proposal_json(
    outcome: &engine::planning::PartitionOutcome,
    rules: &RuleOptions,
) -> Result<Value, PlanningError> {
    let r = &outcome.result;
    let view = plan_view(&outcome.context, &r.plan, rules)?;
    Ok(json!({
        "plan": r.plan,
        "units": r.units,
        "grids": r.grids,
        "lower_bound": r.lower_bound,
        "gap": r.gap,
        "ratio": r.ratio,
        "kept_grids": r.kept_grids,
        "locked_grids": r.locked_grids,
        "split_compounds": r.split_compounds,
        "infeasible": r.infeasible,
        "units_moved": r.units_moved,
        "households_moved": r.households_moved,
        "view": view,
    }))
}

/// Joint-management clusters as a GeoJSON collection with the community's figures.
pub fn clusters_json(ctx: &PlanningContext, result: &engine::planning::ClusterResult) -> Value {
    let clusters: Vec<Value> = result
        .clusters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let members: Vec<usize> = c.units.iter().filter_map(|&u| ctx.position(u)).collect();
            let shape = ctx.to_lonlat(&ctx.dissolve_m(&members));
            json!({
                "type": "Feature",
                "id": i + 1,
                "geometry": multipolygon_json(&shape),
                "properties": {
                    "cluster": i + 1, "compounds": c.compounds, "names": c.names,
                    "households": c.households,
                },
            })
        })
        .collect();
    json!({
        "community_code": ctx.catalog.community_code,
        "community_name": ctx.catalog.community_name,
        "floor_households": result.floor_households,
        "three_no_compounds": result.three_no_compounds,
        "three_no_households": result.three_no_households,
        "upper_bound": result.upper_bound,
        "clusters": { "type": "FeatureCollection", "features": clusters },
        "unclustered": result.unclustered,
    })
}
