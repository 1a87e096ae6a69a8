//! Grid planning 网格规划 over HTTP: the current grids of a community with every rule, saved
//! drafts edited by operations (each write versioned: a stale `If-Match` is 409 and loses
//! nothing), automatic proposals, publication (grids, compounds and buildings changed in one
//! audited transaction that also marks the draft published) and joint-management clusters.
//!
//! Reading the current grids and the clusters is open like the map; drafts are for signed-in
//! users whose scope covers the community; changing them (and publishing) needs a role that
//! edits grids (planner, admin).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::access::{may_change, Place};
use engine::planning::{
    auto_partition, check_plan, joint_management_clusters, Catalog, ClusterOptions,
    PartitionOptions, PartitionParams, PartitionScope, Plan, PlanningContext, PlanningError,
    RuleOptions, Severity, TessellationOptions, UnitRef,
};
use engine::{Compound, Feature, Grid, Layer, Snapshot};
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::AppState;
use crate::store::{Change, DraftPublication, DraftRecord, Operation, OperationKind, StoreError};

/// Planning contexts (a community's units and tessellation) kept at once.
const CONTEXTS_KEPT: usize = 16;
/// Operations accepted in one request.
const MAX_OPERATIONS: usize = 1_000;

type ContextKey = (i64, String, Vec<i64>);

/// Planning contexts by data version, community and split compounds, most recent last.
#[derive(Default)]
pub struct PlanningCache {
    contexts: Mutex<Vec<(ContextKey, Arc<PlanningContext>)>>,
}

impl PlanningCache {
    /// The context of `community` in `snapshot` with `split` compounds split, built once.
    fn context(
        &self,
        snapshot: &Snapshot,
        community: &str,
        split: &BTreeSet<i64>,
    ) -> Result<Arc<PlanningContext>, ApiError> {
        let key = (
            snapshot.version,
            community.to_owned(),
            split.iter().copied().collect::<Vec<_>>(),
        );
        if let Some((_, ctx)) = self
            .contexts
            .lock()
            .map_err(|_| ApiError::Internal("planning cache poisoned".into()))?
            .iter()
            .find(|(k, _)| *k == key)
        {
            return Ok(Arc::clone(ctx));
        }
        let catalog = Catalog::from_snapshot(snapshot, community).map_err(planning_error)?;
        let ctx = Arc::new(
            PlanningContext::new(Arc::new(catalog), split, TessellationOptions::default())
                .map_err(planning_error)?,
        );
        let mut kept = self
            .contexts
            .lock()
            .map_err(|_| ApiError::Internal("planning cache poisoned".into()))?;
        kept.retain(|(k, _)| k.0 == snapshot.version);
        if kept.len() >= CONTEXTS_KEPT {
            kept.remove(0);
        }
        kept.push((key, Arc::clone(&ctx)));
        Ok(ctx)
    }
}

fn planning_error(e: PlanningError) -> ApiError {
    match e {
        PlanningError::UnknownCommunity(_) => ApiError::NotFound(e.to_string()),
        other => ApiError::InvalidOperation(other.to_string()),
    }
}

/// What a draft stores: its plan, the current plan it started from, and its rule settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DraftBody {
    plan: Plan,
    base: Plan,
    #[serde(default)]
    rules: RuleOptions,
}

impl DraftBody {
    fn of(record: &DraftRecord) -> Result<DraftBody, ApiError> {
        serde_json::from_value(record.body.clone()).map_err(|e| {
            ApiError::Internal(format!("stored draft {} is unreadable: {e}", record.id))
        })
    }
}

/// Query parameters, refused with the parameter and reason named.
fn query<T: serde::de::DeserializeOwned>(raw: Option<String>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("query: {e}")))
}

/// A draft id from the path.
fn draft_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "draft: expected a draft id (a positive whole number), got \"{}\"",
            raw.chars().take(40).collect::<String>()
        ))
    })
}

/// Runs planning work off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("planning task failed: {e}")))?
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The draft version a write expects, from `If-Match` (required).
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let v = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::PreconditionRequired(
            "say which version of the draft you are changing: an If-Match header with its ETag"
                .into(),
        )
    })?;
    let s = v
        .to_str()
        .unwrap_or("")
        .trim()
        .trim_start_matches("W/")
        .trim_matches('"');
    s.parse::<i64>().map_err(|_| {
        ApiError::BadRequest(format!(
            "If-Match: expected an ETag such as \"3\", got {v:?}"
        ))
    })
}

fn check_community_code(code: &str) -> Result<(), ApiError> {
    if code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "community: expected a 12-digit community code, got \"{}\"",
            code.chars().take(40).collect::<String>()
        )))
    }
}

/// Whether the editor may read drafts of `community` (any role, scope covering it).
fn may_read(editor: &Editor, community: &str) -> Result<(), ApiError> {
    if editor.scope.covers_community(community) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "community {community} is outside your scope {}",
            editor.scope
        )))
    }
}

/// Whether the editor may change the grids of `community` (role and scope).
fn may_plan(editor: &Editor, community: &str) -> Result<(), ApiError> {
    may_change(
        editor.role,
        &editor.scope,
        Layer::Grids,
        Place::Community(community),
    )
    .map_err(|d| ApiError::Forbidden(d.to_string()))
}

/// A violation as JSON: its fields plus severity and a sentence.
fn violations_json(violations: &[engine::planning::Violation]) -> Vec<Value> {
    violations
        .iter()
        .map(|v| {
            let mut j = serde_json::to_value(v).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut j {
                o.insert(
                    "severity".into(),
                    json!(match v.severity() {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    }),
                );
                o.insert("message".into(), json!(v.to_string()));
            }
            j
        })
        .collect()
}

fn multipolygon_json(mp: &MultiPolygon) -> Value {
    serde_json::to_value(geojson::Geometry::new(geojson::Value::from(mp))).unwrap_or(Value::Null)
}

/// Everything the planning workspace shows of a plan: the plan, every rule for every grid, the
/// diff against the current grids, the derived grid polygons and the units.
fn plan_view(ctx: &PlanningContext, plan: &Plan, rules: &RuleOptions) -> Result<Value, ApiError> {
    let report = check_plan(ctx, plan, rules).map_err(planning_error)?;
    let current = Plan::current(&ctx.catalog);
    let diff = plan.diff(&current, &ctx.catalog);
    let polygons = plan.grid_polygons(ctx).map_err(planning_error)?;
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
    let assignment = plan.assignment();
    let units: Vec<Value> = ctx
        .units
        .iter()
        .map(|u| {
            json!({
                "unit": u.unit, "kind": u.kind, "name": u.name, "households": u.households,
                "class": u.class, "three_no": u.three_no, "compound_id": u.compound_id,
                "grids": assignment.get(&u.unit).cloned().unwrap_or_default(),
                "lon": u.centroid.x(), "lat": u.centroid.y(),
            })
        })
        .collect();
    let mut report_json = serde_json::to_value(&report).unwrap_or(Value::Null);
    if let Value::Object(o) = &mut report_json {
        o.insert(
            "violations".into(),
            Value::Array(violations_json(&report.violations)),
        );
    }
    Ok(json!({
        "community_code": ctx.catalog.community_code,
        "community_name": ctx.catalog.community_name,
        "data_version": ctx.catalog.snapshot_version,
        "rules": rules,
        "plan": plan,
        "report": report_json,
        "diff": diff,
        "grids": { "type": "FeatureCollection", "features": grids },
        "units": units,
    }))
}

/// A draft's view: its record's metadata around [`plan_view`].
fn draft_view(
    cache: &PlanningCache,
    snapshot: &Snapshot,
    record: &DraftRecord,
    body: &DraftBody,
) -> Result<Value, ApiError> {
    let ctx = cache.context(snapshot, &record.community_code, &body.plan.split_compounds)?;
    let mut view = plan_view(&ctx, &body.plan, &body.rules)?;
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
            (
                "base_changed",
                json!(!same_plan(&body.base, &Plan::current(&ctx.catalog))),
            ),
        ] {
            o.insert(k.into(), v);
        }
    }
    Ok(view)
}

fn with_etag(status: StatusCode, version: i64, body: Value) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// Whether two plans hold the same grids (names, workers, locks and units) and splits.
fn same_plan(a: &Plan, b: &Plan) -> bool {
    let key = |p: &Plan| {
        let mut grids = p.grids.clone();
        grids.sort_by(|x, y| x.code.cmp(&y.code));
        (p.community_code.clone(), p.split_compounds.clone(), grids)
    };
    key(a) == key(b)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleParams {
    caps_old: Option<u32>,
    caps_new: Option<u32>,
    visits_per_worker_month: Option<u32>,
}

impl RuleParams {
    fn rules(&self) -> Result<RuleOptions, ApiError> {
        let mut r = RuleOptions::default();
        if let Some(v) = self.caps_old {
            r.caps.old = v;
        }
        if let Some(v) = self.caps_new {
            r.caps.new = v;
        }
        if let Some(v) = self.visits_per_worker_month {
            r.visits_per_worker_month = v;
        }
        validate_rules(&r)?;
        Ok(r)
    }
}

fn validate_rules(r: &RuleOptions) -> Result<(), ApiError> {
    r.caps
        .validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !(1..=100_000).contains(&r.visits_per_worker_month) {
        return Err(ApiError::BadRequest(format!(
            "visits_per_worker_month: must be 1 to 100000, got {}",
            r.visits_per_worker_month
        )));
    }
    if !(r.area_tolerance_m2 >= 0.0 && r.area_tolerance_m2 <= 1.0e6) {
        return Err(ApiError::BadRequest(format!(
            "area_tolerance_m2: must be 0 to 1000000 m², got {}",
            r.area_tolerance_m2
        )));
    }
    Ok(())
}

/// `GET /api/planning/communities/{code}` — the current grids with every rule (caps and
/// visiting load configurable by `caps_old`, `caps_new`, `visits_per_worker_month`).
pub async fn current(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    check_community_code(&code)?;
    let rules = query::<RuleParams>(raw)?.rules()?;
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let view = blocking(move || {
        let catalog = Catalog::from_snapshot(&snapshot, &code).map_err(planning_error)?;
        let plan = Plan::current(&catalog);
        let ctx = cache.context(&snapshot, &code, &plan.split_compounds)?;
        let mut view = plan_view(&ctx, &plan, &rules)?;
        if let Value::Object(o) = &mut view {
            o.insert("id".into(), Value::Null);
            o.insert("status".into(), json!("current"));
        }
        Ok(view)
    })
    .await?;
    Ok(Json(view).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftListParams {
    community: Option<String>,
}

/// `GET /api/planning/drafts?community=` — drafts the caller's scope covers, newest first.
pub async fn list_drafts(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p: DraftListParams = query(raw)?;
    if let Some(c) = &p.community {
        check_community_code(c)?;
        may_read(&editor, c)?;
    }
    let drafts: Vec<DraftRecord> = state
        .atlas
        .store()
        .drafts(p.community.as_deref())
        .await?
        .into_iter()
        .filter(|d| editor.scope.covers_community(&d.community_code))
        .collect();
    Ok(Json(json!({ "drafts": drafts })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDraft {
    community_code: String,
    name: Option<String>,
    rules: Option<RuleOptions>,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::BadRequest(
            "name: must be 1 to 200 characters".into(),
        ));
    }
    Ok(name.to_owned())
}

fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("body: {what}: {e}")))
}

/// `POST /api/planning/drafts` `{community_code, name?, rules?}` — a new draft, a copy of the
/// current grids.
pub async fn create_draft(
    State(state): State<AppState>,
    editor: Editor,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: NewDraft = parse_body(
        &body,
        "expected {\"community_code\": \"…\", \"name\"?: \"…\"}",
    )?;
    check_community_code(&req.community_code)?;
    may_plan(&editor, &req.community_code)?;
    let rules = req.rules.unwrap_or_default();
    validate_rules(&rules)?;
    let snapshot = state.atlas.snapshot();
    let code = req.community_code.clone();
    let (plan, community_name) = blocking(move || {
        let catalog = Catalog::from_snapshot(&snapshot, &code).map_err(planning_error)?;
        Ok((Plan::current(&catalog), catalog.community_name.clone()))
    })
    .await?;
    let name = match &req.name {
        Some(n) => check_name(n)?,
        None => format!("{community_name}网格方案"),
    };
    let record = DraftRecord {
        id: 0,
        version: 0,
        community_code: req.community_code,
        name,
        status: "draft".into(),
        author: String::new(),
        updated_by: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
        published_data_version: None,
        body: serde_json::to_value(DraftBody {
            base: plan.clone(),
            plan,
            rules,
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let saved = state
        .atlas
        .store()
        .save_draft(&record, None, &editor.actor)
        .await?;
    respond_draft(&state, saved, StatusCode::CREATED).await
}

async fn respond_draft(
    state: &AppState,
    record: DraftRecord,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let version = record.version;
    let view = blocking(move || {
        let body = DraftBody::of(&record)?;
        draft_view(&cache, &snapshot, &record, &body)
    })
    .await?;
    Ok(with_etag(status, version, view))
}

async fn load_draft(state: &AppState, id: i64) -> Result<DraftRecord, ApiError> {
    state
        .atlas
        .store()
        .draft(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("draft {id} does not exist")))
}

/// `GET /api/planning/drafts/{id}`.
pub async fn get_draft(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let record = load_draft(&state, id).await?;
    may_read(&editor, &record.community_code)?;
    respond_draft(&state, record, StatusCode::OK).await
}

/// The draft `id` at version `expected`, for a change by `editor`.
async fn draft_for_change(
    state: &AppState,
    editor: &Editor,
    id: i64,
    expected: i64,
) -> Result<DraftRecord, ApiError> {
    let record = load_draft(state, id).await?;
    may_plan(editor, &record.community_code)?;
    if record.status != "draft" {
        return Err(ApiError::Conflict(format!(
            "draft {id} has been published (data version {}); start a new draft",
            record.published_data_version.unwrap_or_default()
        )));
    }
    if record.version != expected {
        return Err(StoreError::DraftConflict {
            id,
            expected,
            actual: record.version,
            published: false,
        }
        .into());
    }
    Ok(record)
}

/// One edit of a draft's plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum PlanOperation {
    /// Moves units into a grid (out of any other).
    Move {
        units: Vec<UnitRef>,
        to: String,
    },
    /// Takes units out of every grid.
    Unassign {
        units: Vec<UnitRef>,
    },
    CreateGrid {
        code: Option<String>,
        name: Option<String>,
    },
    /// Deletes a grid; its units go to `move_to` or become unassigned.
    DeleteGrid {
        code: String,
        move_to: Option<String>,
    },
    MergeGrids {
        into: String,
        from: String,
    },
    /// Splits a grid in two contiguous halves of balanced load.
    SplitGrid {
        code: String,
        new_code: Option<String>,
    },
    /// Makes a compound's buildings the units instead of the compound.
    SplitCompound {
        compound: i64,
    },
    JoinCompound {
        compound: i64,
        into: Option<String>,
    },
    /// Renames a grid, sets its workers or its lock.
    SetGrid {
        code: String,
        name: Option<String>,
        workers: Option<i64>,
        locked: Option<bool>,
    },
}

fn apply(
    cache: &PlanningCache,
    snapshot: &Snapshot,
    plan: &mut Plan,
    rules: &RuleOptions,
    op: &PlanOperation,
) -> Result<(), ApiError> {
    let community = plan.community_code.clone();
    let ctx = || cache.context(snapshot, &community, &plan.split_compounds);
    match op {
        PlanOperation::Move { units, to } => {
            let ctx = ctx()?;
            plan.move_units(&ctx, units, to).map_err(planning_error)
        }
        PlanOperation::Unassign { units } => {
            plan.unassign_units(units);
            Ok(())
        }
        PlanOperation::CreateGrid { code, name } => {
            if let Some(c) = code {
                check_grid_code(c, &community)?;
            }
            plan.create_grid(code.as_deref(), name.as_deref())
                .map(drop)
                .map_err(planning_error)
        }
        PlanOperation::DeleteGrid { code, move_to } => plan
            .delete_grid(code, move_to.as_deref())
            .map(drop)
            .map_err(planning_error),
        PlanOperation::MergeGrids { into, from } => {
            let ctx = ctx()?;
            plan.merge_grids(&ctx, into, from).map_err(planning_error)
        }
        PlanOperation::SplitGrid { code, new_code } => {
            if let Some(c) = new_code {
                check_grid_code(c, &community)?;
            }
            let ctx = ctx()?;
            plan.split_grid(&ctx, code, &rules.caps, new_code.as_deref())
                .map(drop)
                .map_err(planning_error)
        }
        PlanOperation::SplitCompound { compound } => {
            let ctx = ctx()?;
            plan.split_compound(&ctx.catalog, *compound)
                .map_err(planning_error)
        }
        PlanOperation::JoinCompound { compound, into } => {
            let ctx = ctx()?;
            plan.join_compound(&ctx.catalog, *compound, into.as_deref())
                .map(drop)
                .map_err(planning_error)
        }
        PlanOperation::SetGrid {
            code,
            name,
            workers,
            locked,
        } => {
            let grid = plan
                .grids
                .iter_mut()
                .find(|g| g.code == *code)
                .ok_or_else(|| planning_error(PlanningError::UnknownGrid(code.clone())))?;
            if let Some(n) = name {
                grid.name = check_name(n)?;
            }
            if let Some(w) = workers {
                if !(0..=100).contains(w) {
                    return Err(ApiError::InvalidOperation(format!(
                        "workers: grid {code} needs 0 to 100 grid workers, got {w}"
                    )));
                }
                grid.workers = *w;
            }
            if let Some(l) = locked {
                grid.locked = *l;
            }
            Ok(())
        }
    }
}

/// Grid codes are text of 1 to 40 characters (new ones default to the community code and a
/// 3-digit serial).
fn check_grid_code(code: &str, community: &str) -> Result<(), ApiError> {
    let n = code.chars().count();
    if (1..=40).contains(&n) && code.trim() == code && !code.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(ApiError::InvalidOperation(format!(
            "code: a grid code is 1 to 40 characters without surrounding spaces (such as {community}001), got \"{}\"",
            code.chars().take(40).collect::<String>()
        )))
    }
}

/// Saves a changed plan into the draft (409 when someone saved first) and answers its view.
async fn save_plan(
    state: &AppState,
    editor: &Editor,
    mut record: DraftRecord,
    body: DraftBody,
    expected: i64,
) -> Result<Response, ApiError> {
    record.body = serde_json::to_value(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    let saved = state
        .atlas
        .store()
        .save_draft(&record, Some(expected), &editor.actor)
        .await?;
    respond_draft(state, saved, StatusCode::OK).await
}

/// `POST /api/planning/drafts/{id}/operations` (`If-Match`) — one operation or an array,
/// applied all-or-nothing.
pub async fn operate(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match(&headers)?;
    let raw: Value = parse_body(
        &body,
        "expected an operation {\"op\": …} or an array of them",
    )?;
    let ops: Vec<PlanOperation> = match raw {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                serde_json::from_value(v)
                    .map_err(|e| ApiError::BadRequest(format!("body: operation {i}: {e}")))
            })
            .collect::<Result<_, _>>()?,
        v => vec![serde_json::from_value(v)
            .map_err(|e| ApiError::BadRequest(format!("body: operation: {e}")))?],
    };
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(ApiError::BadRequest(format!(
            "body: 1 to {MAX_OPERATIONS} operations, got {}",
            ops.len()
        )));
    }
    let record = draft_for_change(&state, &editor, id, expected).await?;
    let mut draft = DraftBody::of(&record)?;
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let draft = blocking(move || {
        for (i, op) in ops.iter().enumerate() {
            let rules = draft.rules;
            apply(&cache, &snapshot, &mut draft.plan, &rules, op).map_err(|e| match e {
                ApiError::InvalidOperation(m) if ops.len() > 1 => {
                    ApiError::InvalidOperation(format!("operation {i}: {m}"))
                }
                other => other,
            })?;
        }
        Ok(draft)
    })
    .await?;
    save_plan(&state, &editor, record, draft, expected).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceDraft {
    name: Option<String>,
    plan: Option<Plan>,
    rules: Option<RuleOptions>,
}

/// `PUT /api/planning/drafts/{id}` (`If-Match`) `{name?, plan?, rules?}` — replaces the plan
/// (undo, redo, accepting a proposal), the name or the rule settings.
pub async fn replace_draft(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match(&headers)?;
    let req: ReplaceDraft = parse_body(&body, "expected {\"plan\"?: …, \"name\"?: …}")?;
    let mut record = draft_for_change(&state, &editor, id, expected).await?;
    let mut draft = DraftBody::of(&record)?;
    if let Some(n) = &req.name {
        record.name = check_name(n)?;
    }
    if let Some(r) = req.rules {
        validate_rules(&r)?;
        draft.rules = r;
    }
    if let Some(plan) = req.plan {
        let (snapshot, cache) = (state.atlas.snapshot(), Arc::clone(&state.planning));
        let community = record.community_code.clone();
        let plan = blocking(move || {
            validate_plan(&cache, &snapshot, &plan, &community)?;
            Ok(plan)
        })
        .await?;
        draft.plan = plan;
    }
    save_plan(&state, &editor, record, draft, expected).await
}

/// A plan put into a draft of `community`: its community, grid count, codes, names, workers and
/// split compounds (compounds of the community with buildings).
fn validate_plan(
    cache: &PlanningCache,
    snapshot: &Snapshot,
    plan: &Plan,
    community: &str,
) -> Result<(), ApiError> {
    if plan.community_code != community {
        return Err(ApiError::InvalidOperation(format!(
            "plan.community_code: the draft is of community {community}, the plan of {}",
            plan.community_code
        )));
    }
    if plan.grids.len() > 2_000 {
        return Err(ApiError::InvalidOperation(format!(
            "plan.grids: at most 2000 grids, got {}",
            plan.grids.len()
        )));
    }
    for g in &plan.grids {
        check_grid_code(&g.code, community)?;
        check_name(&g.name)?;
        if !(0..=100).contains(&g.workers) {
            return Err(ApiError::InvalidOperation(format!(
                "workers: grid {} needs 0 to 100 grid workers, got {}",
                g.code, g.workers
            )));
        }
    }
    let ctx = cache.context(snapshot, community, &plan.split_compounds)?;
    plan.check_context(&ctx).map_err(planning_error)
}

/// Runs a request body as a draft's `PUT` plan and as its operations, on `community` of
/// `snapshot`, through the same validation, rules, polygons and diff as the handlers (for the
/// fuzzer: errors are fine, panics are not). Returns whether anything was accepted.
pub fn exercise_plan_body(
    cache: &PlanningCache,
    snapshot: &Snapshot,
    community: &str,
    body: &[u8],
) -> bool {
    let Ok(catalog) = Catalog::from_snapshot(snapshot, community) else {
        return false;
    };
    let current = Plan::current(&catalog);
    let rules = RuleOptions::default();
    let view = |plan: &Plan| {
        cache
            .context(snapshot, community, &plan.split_compounds)
            .and_then(|ctx| plan_view(&ctx, plan, &rules))
            .is_ok()
    };
    let mut accepted = false;
    if let Ok(req) = serde_json::from_slice::<ReplaceDraft>(body) {
        if let Some(plan) = req
            .plan
            .filter(|p| validate_plan(cache, snapshot, p, community).is_ok())
        {
            accepted |= view(&plan);
            if let Ok(ctx) = cache.context(snapshot, community, &plan.split_compounds) {
                accepted |= publication(&ctx, &plan, &rules).is_ok();
            }
        }
    }
    let ops: Vec<PlanOperation> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .take(MAX_OPERATIONS)
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        Ok(v) => serde_json::from_value(v).ok().into_iter().collect(),
        Err(_) => Vec::new(),
    };
    if !ops.is_empty() {
        let mut plan = current;
        if ops
            .iter()
            .all(|op| apply(cache, snapshot, &mut plan, &rules, op).is_ok())
        {
            accepted |= view(&plan);
        }
    }
    accepted
}

/// `DELETE /api/planning/drafts/{id}` (`If-Match`) — discards a draft (published ones stay).
pub async fn delete_draft(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match(&headers)?;
    draft_for_change(&state, &editor, id, expected).await?;
    state.atlas.store().delete_draft(id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProposalRequest {
    seed: Option<u64>,
    /// Grids to redraw (locked ones are kept); default every unlocked grid.
    grids: Option<Vec<String>>,
    /// Units to redraw instead of grids.
    units: Option<Vec<UnitRef>>,
}

fn propose(
    cache: &PlanningCache,
    snapshot: &Snapshot,
    from: &Plan,
    rules: &RuleOptions,
    req: &ProposalRequest,
) -> Result<Value, ApiError> {
    let ctx = cache.context(snapshot, &from.community_code, &from.split_compounds)?;
    let scope = match (&req.grids, &req.units) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "give grids or units to redraw, not both".into(),
            ))
        }
        (Some(g), None) => PartitionScope::Grids(g.clone()),
        (None, Some(u)) => PartitionScope::Units(u.clone()),
        (None, None) => PartitionScope::Community,
    };
    let opts = PartitionOptions {
        caps: rules.caps,
        scope,
        params: PartitionParams {
            seed: req.seed.unwrap_or(1),
            ..PartitionParams::default()
        },
    };
    let out = auto_partition(&ctx, from, &opts).map_err(planning_error)?;
    let r = &out.result;
    let view = plan_view(&out.context, &r.plan, rules)?;
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

/// `POST /api/planning/drafts/{id}/proposal` `{seed?, grids? | units?}` — an automatic
/// partition starting from the draft (not saved: accept it with `PUT`).
pub async fn draft_proposal(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = draft_id(&id)?;
    let req: ProposalRequest = if body.is_empty() {
        ProposalRequest::default()
    } else {
        parse_body(&body, "expected {\"seed\"?, \"grids\"? or \"units\"?}")?
    };
    let record = load_draft(&state, id).await?;
    may_read(&editor, &record.community_code)?;
    let draft = DraftBody::of(&record)?;
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    Ok(Json(
        blocking(move || propose(&cache, &snapshot, &draft.plan, &draft.rules, &req)).await?,
    ))
}

/// `POST /api/planning/communities/{code}/partition` `{seed?, grids? | units?}` (+ rule query
/// parameters) — an automatic partition starting from the current grids.
pub async fn community_partition(
    State(state): State<AppState>,
    editor: Editor,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    check_community_code(&code)?;
    may_read(&editor, &code)?;
    let rules = query::<RuleParams>(raw)?.rules()?;
    let req: ProposalRequest = if body.is_empty() {
        ProposalRequest::default()
    } else {
        parse_body(&body, "expected {\"seed\"?, \"grids\"? or \"units\"?}")?
    };
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    Ok(Json(
        blocking(move || {
            let catalog = Catalog::from_snapshot(&snapshot, &code).map_err(planning_error)?;
            let current = Plan::current(&catalog);
            propose(&cache, &snapshot, &current, &rules, &req)
        })
        .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterParams {
    floor: Option<i64>,
    seed: Option<u64>,
}

/// `GET /api/planning/communities/{code}/clusters?floor=300` — joint-management clusters 连片
/// of adjacent three-no compounds with at least `floor` households each, as many as found.
pub async fn clusters(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    check_community_code(&code)?;
    let p: ClusterParams = query(raw)?;
    let mut opts = ClusterOptions::default();
    if let Some(f) = p.floor {
        if !(1..=1_000_000).contains(&f) {
            return Err(ApiError::BadRequest(format!(
                "floor: households a cluster needs, 1 to 1000000, got {f}"
            )));
        }
        opts.floor_households = f;
    }
    if let Some(s) = p.seed {
        opts.params.seed = s;
    }
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let out = blocking(move || {
        let ctx = cache.context(&snapshot, &code, &BTreeSet::new())?;
        let result = joint_management_clusters(&ctx, &opts).map_err(planning_error)?;
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
        Ok(json!({
            "community_code": ctx.catalog.community_code,
            "community_name": ctx.catalog.community_name,
            "floor_households": result.floor_households,
            "three_no_compounds": result.three_no_compounds,
            "three_no_households": result.three_no_households,
            "upper_bound": result.upper_bound,
            "clusters": { "type": "FeatureCollection", "features": clusters },
            "unclustered": result.unclustered,
        }))
    })
    .await?;
    Ok(Json(out))
}

/// The changes that make the store hold `plan`: grids updated, added and deleted, and the
/// compounds and buildings whose grid changes. Refused (422) when a rule is broken.
fn publication(
    ctx: &PlanningContext,
    plan: &Plan,
    rules: &RuleOptions,
) -> Result<Vec<Change>, ApiError> {
    let report = check_plan(ctx, plan, rules).map_err(planning_error)?;
    let mut errors: Vec<engine::planning::Violation> = report
        .violations
        .iter()
        .filter(|v| v.severity() == Severity::Error)
        .cloned()
        .collect();
    for g in report.grids.iter().filter(|g| g.units.is_empty()) {
        errors.push(engine::planning::Violation::EmptyGrid {
            grid: g.code.clone(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidPlan {
            message: format!(
                "the plan breaks {} grid rule(s): {}",
                errors.len(),
                errors
                    .iter()
                    .take(5)
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            violations: Value::Array(violations_json(&errors)),
        });
    }
    let catalog = &ctx.catalog;
    let polygons = plan.grid_polygons(ctx).map_err(planning_error)?;
    let stored: BTreeMap<&str, &Grid> =
        catalog.grids.iter().map(|g| (g.code.as_str(), g)).collect();
    let mut changes = Vec::new();
    for g in &plan.grids {
        let shape = polygons
            .get(&g.code)
            .cloned()
            .unwrap_or(MultiPolygon(vec![]));
        let [polygon] = shape.0.as_slice() else {
            return Err(ApiError::InvalidPlan {
                message: format!(
                    "grid {}'s polygon has {} parts; a grid is one polygon",
                    g.code,
                    shape.0.len()
                ),
                violations: json!([]),
            });
        };
        let mut grid = Grid {
            id: 0,
            version: 0,
            code: g.code.clone(),
            name: g.name.clone(),
            community_code: plan.community_code.clone(),
            workers: g.workers,
            locked: g.locked,
            geometry: polygon.clone(),
        };
        match stored.get(g.code.as_str()) {
            Some(old) => {
                grid.id = old.id;
                grid.version = old.version;
                if grid != **old {
                    changes.push(Change::Update {
                        feature: Feature::Grid(grid),
                        expected_version: old.version,
                    });
                }
            }
            None => changes.push(Change::Upsert(Feature::Grid(grid))),
        }
    }
    let codes = plan.grid_codes(catalog);
    let changed =
        |old: &Option<String>, new: Option<&Option<String>>| new.is_some_and(|n| n != old);
    for c in &catalog.compounds {
        let new = codes.compounds.get(&c.id);
        if changed(&c.grid_code, new) {
            let compound = Compound {
                grid_code: new.cloned().flatten(),
                ..c.clone()
            };
            changes.push(Change::Update {
                feature: Feature::Compound(compound),
                expected_version: c.version,
            });
        }
    }
    for b in &catalog.buildings {
        let new = codes.buildings.get(&b.id);
        if changed(&b.grid_code, new) {
            let mut building = b.clone();
            building.grid_code = new.cloned().flatten();
            changes.push(Change::Update {
                feature: Feature::Building(building),
                expected_version: b.version,
            });
        }
    }
    let kept: BTreeSet<&str> = plan.grids.iter().map(|g| g.code.as_str()).collect();
    for g in catalog
        .grids
        .iter()
        .filter(|g| !kept.contains(g.code.as_str()))
    {
        changes.push(Change::Delete {
            layer: Layer::Grids,
            id: g.id,
            expected_version: Some(g.version),
        });
    }
    Ok(changes)
}

/// `POST /api/planning/drafts/{id}/publish` (`If-Match`) — makes the draft the current grids:
/// one transaction writes the grids, the compounds' and buildings' grid codes, an audit entry
/// per feature plus a summary entry, and marks the draft published. 409 when the draft or the
/// current grids changed since; 422 with the violations when a rule is broken.
pub async fn publish(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match(&headers)?;
    let record = draft_for_change(&state, &editor, id, expected).await?;
    let draft = DraftBody::of(&record)?;
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let community = record.community_code.clone();
    let (changes, diff) = blocking(move || {
        let ctx = cache.context(&snapshot, &community, &draft.plan.split_compounds)?;
        let current = Plan::current(&ctx.catalog);
        if !same_plan(&current, &draft.base) {
            return Err(ApiError::Conflict(format!(
                "the current grids of community {community} changed since this draft was started \
                 (data version {} then, {} now); start a new draft from the current grids",
                draft.base.base_version, snapshot.version
            )));
        }
        let changes = publication(&ctx, &draft.plan, &draft.rules)?;
        Ok((changes, draft.plan.diff(&current, &ctx.catalog)))
    })
    .await?;
    let summary = json!({
        "draft_id": record.id,
        "draft_name": record.name,
        "community_code": record.community_code,
        "units_moved": diff.units_moved,
        "households_moved": diff.households_moved,
        "grids_added": diff.grids_added,
        "grids_removed": diff.grids_removed,
        "grids_changed": diff.grids_changed.iter().map(|g| &g.code).collect::<Vec<_>>(),
        "compounds_split": diff.compounds_split,
        "compounds_joined": diff.compounds_joined,
    });
    let committed = state
        .atlas
        .commit(
            Operation {
                kind: OperationKind::Publish,
                changes,
                publishes: Some(DraftPublication {
                    id,
                    expected_version: expected,
                    summary,
                }),
            },
            &editor.actor,
        )
        .await?;
    let record = load_draft(&state, id).await?;
    let version = record.version;
    let snapshot = state.atlas.snapshot();
    let cache = Arc::clone(&state.planning);
    let view = blocking(move || {
        let body = DraftBody::of(&record)?;
        draft_view(&cache, &snapshot, &record, &body)
    })
    .await?;
    Ok(with_etag(
        StatusCode::OK,
        version,
        json!({ "data_version": committed.data_version, "diff": diff, "draft": view }),
    ))
}
