//! Grid planning 网格规划 over HTTP: the current grids of a community with every rule, saved
//! drafts edited by operations (each write versioned: a stale `If-Match` is 409 and loses
//! nothing), automatic proposals, publication and joint-management clusters.
//!
//! The handlers parse, authorize, call [`engine::planning`] and map errors: operations, plan
//! validation against the grid schema and the publication's changes are the engine's. Reading
//! the current grids and the clusters is open like the map; drafts are for signed-in users
//! whose scope covers the community; changing them (and publishing) needs a role that edits
//! grids (planner, admin).

pub mod view;

use std::collections::BTreeSet;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Datelike;
use engine::access::{may_change, Place};
use engine::planning::{
    apply_all, auto_partition, catalog_of, context_of, joint_management_clusters, publication,
    validate_plan, ClusterOptions, DraftBody, PartitionOptions, PartitionParams, PartitionScope,
    Plan, PlanOperation, RuleOptions, SnapshotContexts, UnitRef,
};
use engine::{Layer, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::extract::{blocking, etag, json_body, query, IfMatch};
use super::AppState;
use crate::store::{DraftPublication, DraftRecord, Operation, OperationKind, StoreError};

/// Longest draft name.
const MAX_DRAFT_NAME: usize = 200;

/// A stored draft's body, or a clear error naming the draft when it cannot be read.
fn body_of(record: &DraftRecord) -> Result<DraftBody, ApiError> {
    DraftBody::from_json(&record.body).map_err(|e| {
        ApiError::Conflict(format!(
            "draft {} is stored in a form this server cannot read ({e}); delete it and start a new draft",
            record.id
        ))
    })
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

fn with_etag(status: StatusCode, version: i64, body: Value) -> Response {
    (status, [(header::ETAG, etag(version))], Json(body)).into_response()
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_DRAFT_NAME || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "name: a draft name is 1 to {MAX_DRAFT_NAME} characters without control characters, got {n}"
        )));
    }
    Ok(name.to_owned())
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
        r.validate()
            .map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(r)
    }
}

/// `GET /api/planning/communities/{code}` — the current grids with every rule (caps and
/// visiting load configurable by `caps_old`, `caps_new`, `visits_per_worker_month`).
pub async fn current(
    State(state): State<AppState>,
    Path(code): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    check_community_code(&code)?;
    let rules = query::<RuleParams>(raw.as_deref())?.rules()?;
    let snapshot = state.atlas.snapshot();
    let visiting = last_month_visiting(&state, &code, rules.visits_per_worker_month).await?;
    let view = blocking(move || {
        let catalog = catalog_of(&snapshot, &code)?;
        let plan = Plan::current(&catalog);
        let ctx = context_of(&snapshot, &code, &plan.split_compounds)?;
        let mut view = view::plan_view(&ctx, &plan, &rules)?;
        if let Value::Object(o) = &mut view {
            o.insert("id".into(), Value::Null);
            o.insert("status".into(), json!("current"));
            o.insert("visiting".into(), visiting);
        }
        Ok(view)
    })
    .await?;
    Ok(Json(view).into_response())
}

/// The current grids' visiting in the last whole month, from the grid-work records: per grid,
/// its recorded workers, households visited and their quota (counts only, no personal data).
async fn last_month_visiting(
    state: &AppState,
    community: &str,
    quota: u32,
) -> Result<Value, ApiError> {
    use engine::gridwork::visits::{monthly, per_grid};
    use engine::gridwork::WorkKind;
    let workers: Vec<(i64, engine::gridwork::GridWorker)> =
        super::work::bodies(state, WorkKind::GridWorker, Some(community), |_| true).await?;
    let visits: Vec<engine::gridwork::Visit> =
        super::work::bodies(state, WorkKind::Visit, Some(community), |_| true)
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
    let today = chrono::Utc::now().date_naive();
    let month = today
        .with_day(1)
        .and_then(|d| d.pred_opt())
        .and_then(|d| d.with_day(1))
        .unwrap_or(today);
    let grids = per_grid(&monthly(&workers, &visits, month, quota));
    Ok(
        json!({ "month": month.format("%Y-%m").to_string(), "quota_per_worker": quota, "grids": grids }),
    )
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
    let p: DraftListParams = query(raw.as_deref())?;
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

/// `POST /api/planning/drafts` `{community_code, name?, rules?}` — a new draft, a copy of the
/// current grids.
pub async fn create_draft(
    State(state): State<AppState>,
    editor: Editor,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: NewDraft = json_body(
        &body,
        "expected {\"community_code\": \"…\", \"name\"?: \"…\"}",
    )?;
    check_community_code(&req.community_code)?;
    may_plan(&editor, &req.community_code)?;
    let rules = req.rules.unwrap_or_default();
    rules.validate()?;
    let name = req.name.as_deref().map(check_name).transpose()?;
    let snapshot = state.atlas.snapshot();
    let code = req.community_code.clone();
    let catalog = blocking(move || Ok(catalog_of(&snapshot, &code)?)).await?;
    let record = DraftRecord {
        id: 0,
        version: 0,
        community_code: req.community_code,
        name: name.unwrap_or_else(|| format!("{}网格方案", catalog.community_name)),
        status: "draft".into(),
        author: String::new(),
        updated_by: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
        published_data_version: None,
        body: to_json(&DraftBody::of_current(Plan::current(&catalog), rules))?,
    };
    let saved = state
        .atlas
        .store()
        .save_draft(&record, None, &editor.actor)
        .await?;
    respond_draft(&state, saved, StatusCode::CREATED).await
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))
}

async fn respond_draft(
    state: &AppState,
    record: DraftRecord,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let version = record.version;
    Ok(with_etag(
        status,
        version,
        draft_view_now(state, record).await?,
    ))
}

/// A draft as the client sees it, against the current snapshot.
async fn draft_view_now(state: &AppState, record: DraftRecord) -> Result<Value, ApiError> {
    let snapshot = state.atlas.snapshot();
    blocking(move || {
        let body = body_of(&record)?;
        let ctx = context_of(
            &snapshot,
            &record.community_code,
            &body.plan.split_compounds,
        )?;
        Ok(view::draft_view(&ctx, &record, &body)?)
    })
    .await
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

/// Saves a changed draft (409 when someone saved first) and answers its view.
async fn save_draft(
    state: &AppState,
    editor: &Editor,
    mut record: DraftRecord,
    body: &DraftBody,
    expected: i64,
) -> Result<Response, ApiError> {
    record.body = to_json(body)?;
    let saved = state
        .atlas
        .store()
        .save_draft(&record, Some(expected), &editor.actor)
        .await?;
    respond_draft(state, saved, StatusCode::OK).await
}

/// Operations from a body: one operation or an array of them, each refused by position.
fn operations(body: &[u8]) -> Result<Vec<PlanOperation>, ApiError> {
    let one = |v: Value, at: String| {
        serde_json::from_value(v).map_err(|e| ApiError::BadRequest(format!("body: {at}: {e}")))
    };
    match json_body::<Value>(
        body,
        "expected an operation {\"op\": …} or an array of them",
    )? {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| one(v, format!("operation {i}")))
            .collect(),
        v => Ok(vec![one(v, "operation".into())?]),
    }
}

/// `POST /api/planning/drafts/{id}/operations` (`If-Match`) — one operation or an array,
/// applied all-or-nothing; every grid they leave is checked against the grid schema.
pub async fn operate(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match.required("draft")?;
    let ops = operations(&body)?;
    let record = draft_for_change(&state, &editor, id, expected).await?;
    let mut draft = body_of(&record)?;
    let snapshot = state.atlas.snapshot();
    let community = record.community_code.clone();
    let draft = blocking(move || {
        let contexts = SnapshotContexts {
            snapshot: &snapshot,
            community: &community,
        };
        apply_all(&mut draft.plan, &draft.rules, &ops, &contexts)?;
        Ok(draft)
    })
    .await?;
    save_draft(&state, &editor, record, &draft, expected).await
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
    if_match: IfMatch,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match.required("draft")?;
    let req: ReplaceDraft = json_body(&body, "expected {\"plan\"?: …, \"name\"?: …}")?;
    let mut record = draft_for_change(&state, &editor, id, expected).await?;
    let mut draft = body_of(&record)?;
    if let Some(n) = &req.name {
        record.name = check_name(n)?;
    }
    if let Some(r) = req.rules {
        r.validate()?;
        draft.rules = r;
    }
    if let Some(plan) = req.plan {
        let snapshot = state.atlas.snapshot();
        let community = record.community_code.clone();
        draft.plan = blocking(move || {
            let contexts = SnapshotContexts {
                snapshot: &snapshot,
                community: &community,
            };
            validate_plan(&plan, &community, &contexts)?;
            Ok(plan)
        })
        .await?;
    }
    save_draft(&state, &editor, record, &draft, expected).await
}

/// Runs a request body as a draft's `PUT` plan and as its operations, on `community` of
/// `snapshot`, through the same validation, rules, polygons, diff and publication as the
/// handlers (for the fuzzer: errors are fine, panics are not). Returns whether anything was
/// accepted.
#[cfg(feature = "fuzzing")]
pub fn exercise_plan_body(snapshot: &Snapshot, community: &str, body: &[u8]) -> bool {
    let Ok(catalog) = catalog_of(snapshot, community) else {
        return false;
    };
    let current = Plan::current(&catalog);
    let contexts = SnapshotContexts {
        snapshot,
        community,
    };
    let rules = RuleOptions::default();
    let view = |plan: &Plan| {
        context_of(snapshot, community, &plan.split_compounds)
            .and_then(|ctx| view::plan_view(&ctx, plan, &rules))
            .is_ok()
    };
    let mut accepted = false;
    if let Ok(req) = serde_json::from_slice::<ReplaceDraft>(body) {
        if let Some(plan) = req
            .plan
            .filter(|p| validate_plan(p, community, &contexts).is_ok())
        {
            accepted |= view(&plan);
            let draft = DraftBody {
                plan,
                base: current.clone(),
                rules,
            };
            if let Ok(ctx) = context_of(snapshot, community, &draft.plan.split_compounds) {
                accepted |= publication(&ctx, &draft).is_ok();
            }
        }
    }
    if let Ok(ops) = operations(body) {
        let mut plan = current;
        if apply_all(&mut plan, &rules, &ops, &contexts).is_ok() {
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
    if_match: IfMatch,
) -> Result<StatusCode, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match.required("draft")?;
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

impl ProposalRequest {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.is_empty() {
            Ok(ProposalRequest::default())
        } else {
            json_body(body, "expected {\"seed\"?, \"grids\"? or \"units\"?}")
        }
    }

    fn options(&self, rules: &RuleOptions) -> Result<PartitionOptions, ApiError> {
        let scope = match (&self.grids, &self.units) {
            (Some(_), Some(_)) => {
                return Err(ApiError::BadRequest(
                    "give grids or units to redraw, not both".into(),
                ))
            }
            (Some(g), None) => PartitionScope::Grids(g.clone()),
            (None, Some(u)) => PartitionScope::Units(u.clone()),
            (None, None) => PartitionScope::Community,
        };
        Ok(PartitionOptions {
            caps: rules.caps,
            scope,
            params: PartitionParams {
                seed: self.seed.unwrap_or(1),
                ..PartitionParams::default()
            },
        })
    }
}

/// An automatic partition of `from`'s community starting from `from`.
fn propose(
    snapshot: &Snapshot,
    from: &Plan,
    rules: &RuleOptions,
    req: &ProposalRequest,
) -> Result<Value, ApiError> {
    let ctx = context_of(snapshot, &from.community_code, &from.split_compounds)?;
    let outcome = auto_partition(&ctx, from, &req.options(rules)?)?;
    Ok(view::proposal_json(&outcome, rules)?)
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
    let req = ProposalRequest::parse(&body)?;
    let record = load_draft(&state, id).await?;
    may_read(&editor, &record.community_code)?;
    let draft = body_of(&record)?;
    let snapshot = state.atlas.snapshot();
    Ok(Json(
        blocking(move || propose(&snapshot, &draft.plan, &draft.rules, &req)).await?,
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
    let rules = query::<RuleParams>(raw.as_deref())?.rules()?;
    let req = ProposalRequest::parse(&body)?;
    let snapshot = state.atlas.snapshot();
    Ok(Json(
        blocking(move || {
            let catalog = catalog_of(&snapshot, &code)?;
            let current = Plan::current(&catalog);
            propose(&snapshot, &current, &rules, &req)
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
    let p: ClusterParams = query(raw.as_deref())?;
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
    let out = blocking(move || {
        let ctx = context_of(&snapshot, &code, &BTreeSet::new())?;
        let result = joint_management_clusters(&ctx, &opts)?;
        Ok(view::clusters_json(&ctx, &result))
    })
    .await?;
    Ok(Json(out))
}

/// `POST /api/planning/drafts/{id}/publish` (`If-Match`) — makes the draft the current grids:
/// one transaction writes the grids, the compounds' and buildings' grid codes, an audit entry
/// per feature plus a summary entry, and marks the draft published. 409 when the draft or the
/// current grids changed since; 422 with the violations when a rule or the schema is broken.
pub async fn publish(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> Result<Response, ApiError> {
    let id = draft_id(&id)?;
    let expected = if_match.required("draft")?;
    let record = draft_for_change(&state, &editor, id, expected).await?;
    let draft = body_of(&record)?;
    let snapshot = state.atlas.snapshot();
    let community = record.community_code.clone();
    let published = blocking(move || {
        let ctx = context_of(&snapshot, &community, &draft.plan.split_compounds)?;
        Ok(publication(&ctx, &draft)?)
    })
    .await?;
    let diff = &published.diff;
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
    let operation = Operation {
        kind: OperationKind::Publish,
        changes: published.changes,
        publishes: Some(DraftPublication {
            id,
            expected_version: expected,
            summary,
        }),
    };
    let committed = state.atlas.commit(operation, &editor.actor).await?;
    let record = load_draft(&state, id).await?;
    let version = record.version;
    let view = draft_view_now(&state, record).await?;
    Ok(with_etag(
        StatusCode::OK,
        version,
        json!({ "data_version": committed.data_version, "diff": published.diff, "draft": view }),
    ))
}
