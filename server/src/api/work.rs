//! Grid work over HTTP: grid workers, organisations, visits and needs (`/api/work/{kind}`), a
//! need's steps (`/api/work/needs/{id}/actions`: claim, start, done, close), the month's visits
//! per worker against the quota, and the needs counted per grid. Every request is signed in:
//! the records hold personal data, shown only within the caller's scope, phones masked for
//! viewers. Handlers parse, authorize and call; the rules are [`engine::gridwork`]'s.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use engine::access::Role;
use engine::gridwork::needs::{counts, per_community};
use engine::gridwork::visits::{monthly, parse_month, DEFAULT_MONTHLY_QUOTA};
use engine::gridwork::{
    future_date_problem, masked_phone, may_read, may_read_record, may_record, Acting, Body,
    Location, Need, NeedAction, WorkKind,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::extract::{day_or_today, etag, json_body, query, IfMatch};
use super::AppState;
use crate::io::formula::neutralize;
use crate::store::{StoreError, WorkQuery, WorkRecord};

fn kind_of(name: &str) -> Result<WorkKind, ApiError> {
    WorkKind::from_name(name).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no grid-work list \"{name}\" (grid_workers, organisations, visits, needs, building_heads, residents_groups, joint_units, resources or projects)"
        ))
    })
}

fn record_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::BadRequest(format!("record id: \"{id}\" is not a number")))
}

fn forbidden(d: engine::access::Denied) -> ApiError {
    ApiError::Forbidden(d.to_string())
}

fn location_of(record: &WorkRecord) -> Location {
    Location {
        community_code: record.community_code.clone(),
        grid_code: record.grid_code.clone(),
    }
}

/// Whether `editor` sees `record` at all.
fn visible(editor: &Editor, record: &WorkRecord) -> bool {
    may_read_record(
        editor.role,
        &editor.scope,
        editor.organisation,
        record.kind,
        &location_of(record),
        &record.body,
    )
}

/// A record as `editor` sees it: viewers and organisations see phone numbers masked.
fn view(editor: &Editor, record: &WorkRecord) -> Value {
    let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
    if matches!(editor.role, Role::Viewer | Role::Organisation) {
        if let Some(p) = v["body"]["phone"].as_str().map(masked_phone) {
            v["body"]["phone"] = json!(p);
        }
    }
    v
}

fn with_etag(status: StatusCode, version: i64, body: Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    r
}

/// The records `query` finds that `keep` accepts, each with its body read as `T` (a body that
/// does not read is left out).
pub(super) async fn bodies_where<T: serde::de::DeserializeOwned>(
    state: &AppState,
    query: &WorkQuery,
    keep: impl Fn(&WorkRecord) -> Option<Value>,
) -> Result<Vec<(i64, T)>, ApiError> {
    Ok(state
        .atlas
        .store()
        .work_records(query)
        .await?
        .iter()
        .filter_map(|r| Some((r.id, serde_json::from_value(keep(r)?).ok()?)))
        .collect())
}

/// The records of `kind` in `community` that `keep` accepts, each with its body read as `T`.
pub(super) async fn bodies<T: serde::de::DeserializeOwned>(
    state: &AppState,
    kind: WorkKind,
    community: Option<&str>,
    keep: impl Fn(&WorkRecord) -> bool,
) -> Result<Vec<(i64, T)>, ApiError> {
    let mut q = WorkQuery::all(kind);
    q.community = community.map(str::to_owned);
    bodies_where(state, &q, |r| keep(r).then(|| r.body.clone())).await
}

/// The records of `kind` (in `community`, when named) that `editor` may read, each body as the
/// editor sees it (phones masked for viewers and organisations) and read as `T`.
pub(super) async fn readable_bodies<T: serde::de::DeserializeOwned>(
    state: &AppState,
    editor: &Editor,
    kind: WorkKind,
    community: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    let mut q = WorkQuery::all(kind);
    q.community = community.map(str::to_owned);
    let seen = |r: &WorkRecord| visible(editor, r).then(|| view(editor, r)["body"].take());
    Ok(bodies_where(state, &q, seen)
        .await?
        .into_iter()
        .map(|(_, b)| b)
        .collect())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    street: Option<String>,
    community: Option<String>,
    grid: Option<String>,
    status: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    format: Option<String>,
}

/// `GET /api/work/{kind}` — the records of a list in the caller's scope (`street=`,
/// `community=`, `grid=`, `status=` narrow it; `format=csv` or `xlsx` for a spreadsheet).
pub async fn list(
    State(state): State<AppState>,
    editor: Editor,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let p: ListParams = query(raw.as_deref())?;
    // A worker's record lies in the community; the grids are in its body.
    let (grid, serving) = match kind {
        WorkKind::GridWorker => (None, p.grid),
        _ => (p.grid, None),
    };
    let records: Vec<WorkRecord> = state
        .atlas
        .store()
        .work_records(&WorkQuery {
            kind,
            street: p.street,
            community: p.community,
            grid,
            status: p.status,
        })
        .await?
        .into_iter()
        .filter(|r| visible(&editor, r))
        .filter(|r| {
            serving.as_ref().is_none_or(|g| {
                r.body["grids"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == g.as_str()))
            })
        })
        .collect();
    let views: Vec<Value> = records.iter().map(|r| view(&editor, r)).collect();
    match p.format.as_deref() {
        None | Some("json") => {
            Ok(Json(json!({ "kind": kind.name(), "records": views })).into_response())
        }
        // Spreadsheets of a community's thousands of visits are written off the runtime.
        Some("csv") => super::extract::blocking(move || Ok(csv(kind, &views))).await,
        Some("xlsx") => super::extract::blocking(move || xlsx(kind, &views)).await,
        Some(other) => Err(ApiError::BadRequest(format!(
            "format: \"{other}\" is not json, csv or xlsx"
        ))),
    }
}

/// Records as a table: the record's columns, then every body field (nested values as JSON).
fn table(views: &[Value]) -> (Vec<String>, Vec<Vec<Value>>) {
    let head = [
        "id",
        "version",
        "community_code",
        "grid_code",
        "status",
        "created_by",
        "created_at",
    ];
    let mut fields: Vec<String> = Vec::new();
    for v in views {
        if let Some(body) = v["body"].as_object() {
            for k in body.keys() {
                // A need keeps its community, grid and status in its body too: one column each.
                if !fields.contains(k) && !head.contains(&k.as_str()) {
                    fields.push(k.clone());
                }
            }
        }
    }
    let header: Vec<String> = head
        .iter()
        .map(|h| (*h).to_owned())
        .chain(fields.iter().cloned())
        .collect();
    let rows = views
        .iter()
        .map(|v| {
            head.iter()
                .map(|h| v[*h].clone())
                .chain(fields.iter().map(|f| v["body"][f].clone()))
                .collect()
        })
        .collect();
    (header, rows)
}

/// A cell's text: strings as they are, numbers and nested values as JSON, nothing for null.
fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn attachment(bytes: Vec<u8>, content_type: &'static str, file: String) -> Response {
    let mut r = bytes.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// Records as CSV, formula-shaped text neutralized.
fn csv(kind: WorkKind, views: &[Value]) -> Response {
    let (header, rows) = table(views);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&header);
    for row in rows {
        let _ = w.write_record(row.iter().map(|c| neutralize(&cell_text(c)).into_owned()));
    }
    let bytes = w.into_inner().unwrap_or_default();
    attachment(
        bytes,
        "text/csv; charset=utf-8",
        format!("{}.csv", kind.name()),
    )
}

/// Records as an Excel workbook: one sheet named in Chinese, numbers as numbers.
fn xlsx(kind: WorkKind, views: &[Value]) -> Result<Response, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("xlsx: {e}"));
    let (header, rows) = table(views);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(kind.label_zh()).map_err(failed)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, h, &bold)
            .map_err(failed)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            match v {
                Value::Number(n) => sheet.write_number(r, c as u16, n.as_f64().unwrap_or_default()),
                Value::Null => continue,
                other => sheet.write_string(r, c as u16, cell_text(other)),
            }
            .map_err(failed)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(failed)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{}.xlsx", kind.name()),
    ))
}

/// Who `editor` acts as (with the organisation an organisation account acts for).
fn acting(editor: &Editor) -> Acting<'_> {
    Acting {
        role: editor.role,
        scope: &editor.scope,
        organisation_id: editor.organisation,
    }
}

/// The body checked, located on the current snapshot and authorized for `editor`.
fn settle(
    editor: &Editor,
    state: &AppState,
    kind: WorkKind,
    body: &Value,
) -> Result<(Body, Location), ApiError> {
    let body = Body::parse(kind, body).map_err(ApiError::Invalid)?;
    if let Some(p) = future_date_problem(&body, chrono::Utc::now().date_naive()) {
        return Err(ApiError::Invalid(vec![p]));
    }
    let at = body
        .locate(&state.atlas.snapshot())
        .map_err(ApiError::Invalid)?;
    may_record(&acting(editor), kind, &at, body.owner()).map_err(forbidden)?;
    Ok((body.settled(&at), at))
}
/// What a record names among other records: a visit's grid worker (serving where the visit
/// lies), a joint unit's company; and a compound is in one residents' group and one joint unit
/// (`id`: the record being replaced, not counted against itself).
async fn check_references(
    state: &AppState,
    body: &Body,
    at: &Location,
    id: i64,
) -> Result<(), ApiError> {
    let listed = |kind: WorkKind, compounds: Vec<i64>, what: (&'static str, &'static str)| async move {
        let others: Vec<(i64, Vec<i64>)> = state
            .atlas
            .store()
            .work_records(&WorkQuery::all(kind))
            .await?
            .into_iter()
            .filter(|r| r.id != id)
            .map(|r| {
                let c = serde_json::from_value(r.body["compounds"].clone()).unwrap_or_default();
                (r.id, c)
            })
            .collect();
        match engine::gridwork::units::already_listed(&compounds, &others, what) {
            Some(p) => Err(ApiError::Invalid(vec![p])),
            None => Ok::<(), ApiError>(()),
        }
    };
    match body {
        Body::ResidentsGroup(g) => {
            return listed(
                WorkKind::ResidentsGroup,
                g.compounds.clone(),
                ("residents' group", "居民小组"),
            )
            .await
        }
        Body::JointUnit(j) => {
            exists(
                state,
                WorkKind::Organisation,
                j.organisation_id,
                "organisation_id",
            )
            .await?;
            return listed(
                WorkKind::JointUnit,
                j.compounds.clone(),
                ("joint-management unit", "连片物业单元"),
            )
            .await;
        }
        Body::Resource(r) => {
            return exists(
                state,
                WorkKind::Organisation,
                r.organisation_id,
                "organisation_id",
            )
            .await
            .map(|_| ())
        }
        Body::Project(p) => return check_project(state, p).await,
        _ => {}
    }
    let Body::Visit(v) = body else { return Ok(()) };
    let worker = state
        .atlas
        .store()
        .work_record(WorkKind::GridWorker, v.worker_id)
        .await?;
    let problem = match worker {
        None => Some(format!("no grid worker {}", v.worker_id)),
        Some(w) if w.community_code != at.community_code => Some(format!(
            "grid worker {} serves community {}, not {}",
            v.worker_id, w.community_code, at.community_code
        )),
        Some(_) => None,
    };
    match problem {
        None => Ok(()),
        Some(en) => Err(ApiError::Invalid(vec![engine::Problem::new(
            "worker_id",
            en.clone(),
            format!("网格员不符：{en}"),
        )])),
    }
}

/// Record `id` of `kind`, which a body names in `field`: a 422 naming the field if none.
async fn exists(
    state: &AppState,
    kind: WorkKind,
    id: i64,
    field: &str,
) -> Result<WorkRecord, ApiError> {
    state
        .atlas
        .store()
        .work_record(kind, id)
        .await?
        .ok_or_else(|| {
            ApiError::Invalid(vec![engine::Problem::new(
                field,
                format!("no {} {id}", kind.name()),
                format!("没有编号为 {id} 的{}", kind.label_zh()),
            )])
        })
}

/// A project's need was claimed by the project's organisation, its resource is that
/// organisation's.
async fn check_project(state: &AppState, p: &engine::gridwork::Project) -> Result<(), ApiError> {
    exists(
        state,
        WorkKind::Organisation,
        p.organisation_id,
        "organisation_id",
    )
    .await?;
    let refused = |field: &str, en: String, zh: String| {
        Err(ApiError::Invalid(vec![engine::Problem::new(field, en, zh)]))
    };
    if let Some(id) = p.need_id {
        let need = exists(state, WorkKind::Need, id, "need_id").await?;
        if need.body["organisation_id"].as_i64() != Some(p.organisation_id) {
            return refused(
                "need_id",
                format!(
                    "need {id} is not claimed by organisation {}",
                    p.organisation_id
                ),
                format!("需求 {id} 不是由组织 {} 认领的", p.organisation_id),
            );
        }
    }
    if let Some(id) = p.resource_id {
        let resource = exists(state, WorkKind::Resource, id, "resource_id").await?;
        if resource.body["organisation_id"].as_i64() != Some(p.organisation_id) {
            return refused(
                "resource_id",
                format!(
                    "resource {id} is not offered by organisation {}",
                    p.organisation_id
                ),
                format!("资源 {id} 不是组织 {} 提供的", p.organisation_id),
            );
        }
    }
    Ok(())
}

fn stored(
    kind: WorkKind,
    id: i64,
    version: i64,
    body: &Body,
    at: &Location,
    client_id: Option<String>,
) -> WorkRecord {
    WorkRecord {
        id,
        kind,
        version,
        community_code: at.community_code.clone(),
        grid_code: at.grid_code.clone(),
        status: body.status().map(str::to_owned),
        client_id,
        created_by: String::new(),
        updated_by: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
        body: body.to_value(),
    }
}

/// `POST /api/work/{kind}` — a new record (201); a visit or need repeating a client id already
/// stored is that record (200), so a phone that resends after a lost connection adds nothing.
pub async fn create(
    State(state): State<AppState>,
    editor: Editor,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let kind = kind_of(&kind)?;
    let value: Value = json_body(&body, "expected the record as a JSON object")?;
    let (typed, at) = settle(&editor, &state, kind, &value)?;
    typed
        .check_new()
        .map_err(|p| ApiError::BadRequest(p.reason))?;
    check_references(&state, &typed, &at, 0).await?;
    let client_id = value["client_id"].as_str().map(str::to_owned);
    let record = stored(kind, 0, 0, &typed, &at, client_id);
    let (saved, written) = state
        .atlas
        .store()
        .save_work(&record, None, &editor.actor)
        .await?;
    if !written && !visible(&editor, &saved) {
        return Err(ApiError::Conflict(
            "client_id is already used by another record".into(),
        ));
    }
    let status = if written {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(stored_reply(&editor, &saved, status))
}

async fn fetch(state: &AppState, kind: WorkKind, id: i64) -> Result<WorkRecord, ApiError> {
    state
        .atlas
        .store()
        .work_record(kind, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{} {id} does not exist", kind.name())))
}

/// Record `id` of `kind` if `editor` sees it; else, as for a record that does not exist, 404.
async fn fetch_visible(
    state: &AppState,
    editor: &Editor,
    kind: WorkKind,
    id: i64,
) -> Result<WorkRecord, ApiError> {
    let record = fetch(state, kind, id).await?;
    if visible(editor, &record) {
        Ok(record)
    } else {
        Err(ApiError::NotFound(format!(
            "{} {id} does not exist",
            kind.name()
        )))
    }
}

/// A record as stored, with its ETag.
fn stored_reply(editor: &Editor, record: &WorkRecord, status: StatusCode) -> Response {
    with_etag(status, record.version, view(editor, record))
}

/// `GET /api/work/{kind}/{id}` — one record with its ETag.
pub async fn one(
    State(state): State<AppState>,
    editor: Editor,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (kind, id) = (kind_of(&kind)?, record_id(&id)?);
    let record = fetch_visible(&state, &editor, kind, id).await?;
    Ok(stored_reply(&editor, &record, StatusCode::OK))
}

/// `GET /api/work/{kind}/{id}/history` — every change of a record (who, when, before and
/// after), newest first, to those who see the record.
pub async fn history(
    State(state): State<AppState>,
    editor: Editor,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (kind, id) = (kind_of(&kind)?, record_id(&id)?);
    fetch_visible(&state, &editor, kind, id).await?;
    let entries = state
        .atlas
        .store()
        .audit(&crate::store::AuditQuery {
            layer: Some(kind.name().to_owned()),
            feature_id: Some(id),
            limit: 10_000,
            ..Default::default()
        })
        .await?;
    Ok(Json(
        json!({ "kind": kind.name(), "id": id, "changes": entries }),
    ))
}

/// `PUT /api/work/{kind}/{id}` with `If-Match` — replaces a record (both where it lay and where
/// it goes must be in scope). A need's status and claim change only through its actions.
pub async fn replace(
    State(state): State<AppState>,
    editor: Editor,
    Path((kind, id)): Path<(String, String)>,
    if_match: IfMatch,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (kind, id) = (kind_of(&kind)?, record_id(&id)?);
    let expected = if_match.required("record")?;
    let value: Value = json_body(&body, "expected the record as a JSON object")?;
    let current = fetch(&state, kind, id).await?;
    let owner = Body::parse(kind, &current.body)
        .ok()
        .and_then(|b| b.owner());
    may_record(&acting(&editor), kind, &location_of(&current), owner).map_err(forbidden)?;
    let (typed, at) = settle(&editor, &state, kind, &value)?;
    let typed = typed.keeping_steps_of(&current.body);
    check_references(&state, &typed, &at, id).await?;
    let record = stored(kind, id, expected, &typed, &at, current.client_id.clone());
    let (saved, _) = state
        .atlas
        .store()
        .save_work(&record, Some(expected), &editor.actor)
        .await?;
    Ok(stored_reply(&editor, &saved, StatusCode::OK))
}

/// `POST /api/work/needs/{id}/actions` `{"action": "claim", "organisation_id": 3}` (or
/// `start`, `done` with `people_reached` and `hours`, `close` with `reason`) — one step of a
/// need, written only if the need is still as read: of two claims at once, one wins and the
/// other is told who claimed it (409).
pub async fn need_action(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = record_id(&id)?;
    let action: NeedAction = json_body(
        &body,
        "expected {\"action\": \"claim\"|\"start\"|\"done\"|\"close\", …}",
    )?;
    if editor.role == Role::Organisation && editor.organisation.is_none() {
        return Err(ApiError::Forbidden(format!(
            "account {} is not listed by any organisation",
            editor.actor.name
        )));
    }
    let today = chrono::Utc::now().date_naive();
    // Twice at most: a claim that lost a race is re-read and refused for what it now is.
    for _ in 0..2 {
        let current = fetch(&state, WorkKind::Need, id).await?;
        // A claimant that lost the race still learns who claimed the need.
        let seen = match action {
            NeedAction::Claim { .. } => may_read(
                editor.role,
                &editor.scope,
                WorkKind::Need,
                &location_of(&current),
            ),
            _ => visible(&editor, &current),
        };
        if !seen {
            return Err(ApiError::NotFound(format!("needs {id} does not exist")));
        }
        let need: Need = serde_json::from_value(current.body.clone())
            .map_err(|e| ApiError::Internal(format!("stored need {id}: {e}")))?;
        if let NeedAction::Claim { organisation_id } = &action {
            fetch(&state, WorkKind::Organisation, *organisation_id)
                .await
                .map_err(|_| {
                    ApiError::BadRequest(format!(
                        "organisation_id: no organisation {organisation_id}"
                    ))
                })?;
        }
        let who = acting(&editor);
        let next = need.apply(&action, &who, today).map_err(|r| {
            if r.conflict {
                ApiError::Conflict(r.reason.en)
            } else {
                ApiError::Forbidden(r.reason.en)
            }
        })?;
        let at = location_of(&current);
        let body = Body::Need(next);
        let record = stored(
            WorkKind::Need,
            id,
            current.version,
            &body,
            &at,
            current.client_id.clone(),
        );
        match state
            .atlas
            .store()
            .save_work(&record, Some(current.version), &editor.actor)
            .await
        {
            Ok((saved, _)) => return Ok(stored_reply(&editor, &saved, StatusCode::OK)),
            Err(StoreError::WorkConflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(format!(
        "needs {id} keeps changing; read it again"
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MonthParams {
    /// `YYYY-MM`.
    month: String,
    community: Option<String>,
    /// Households a worker visits a month at least (200 unless given).
    quota: Option<u32>,
}

/// `GET /api/work/visits/monthly?month=2026-11` — each grid worker in scope: visits, errands,
/// households visited and whether the quota is met.
pub async fn monthly_visits(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p: MonthParams = query(raw.as_deref())?;
    let month = parse_month(&p.month)
        .ok_or_else(|| ApiError::BadRequest(format!("month: \"{}\" is not YYYY-MM", p.month)))?;
    let quota = p.quota.unwrap_or(DEFAULT_MONTHLY_QUOTA);
    if quota == 0 || quota > 10_000 {
        return Err(ApiError::BadRequest(
            "quota: must be 1–10000 households".into(),
        ));
    }
    let community = p.community.as_deref();
    let workers: Vec<(i64, engine::gridwork::GridWorker)> =
        bodies(&state, WorkKind::GridWorker, community, |r| {
            visible(&editor, r)
        })
        .await?;
    let visits: Vec<engine::gridwork::Visit> =
        bodies(&state, WorkKind::Visit, community, |r| visible(&editor, r))
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
    let rows = monthly(&workers, &visits, month, quota);
    Ok(Json(
        json!({ "month": p.month, "quota": quota, "workers": rows }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CountParams {
    street: Option<String>,
    community: Option<String>,
    /// The day overdue needs are counted on (`YYYY-MM-DD`; today unless given).
    as_of: Option<String>,
}

/// `GET /api/work/needs/counts` — needs per grid in scope: raised, open, claimed, in progress,
/// done, closed, overdue; with the totals per community.
pub async fn need_counts(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p: CountParams = query(raw.as_deref())?;
    let today = day_or_today("as_of", p.as_of.as_deref())?;
    let mut q = WorkQuery::all(WorkKind::Need);
    q.street = p.street;
    q.community = p.community;
    let needs: Vec<Need> = state
        .atlas
        .store()
        .work_records(&q)
        .await?
        .into_iter()
        .filter(|r| visible(&editor, r))
        .filter_map(|r| serde_json::from_value(r.body).ok())
        .collect();
    let per_grid = counts(&needs, today);
    let per_community = per_community(&per_grid);
    let rows = |m: std::collections::BTreeMap<
        (String, Option<String>),
        engine::gridwork::needs::NeedCounts,
    >| {
        m.into_iter()
            .map(|((community, grid), c)| {
                let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
                v["community_code"] = json!(community);
                v["grid_code"] = json!(grid);
                v
            })
            .collect::<Vec<_>>()
    };
    Ok(Json(json!({
        "as_of": today.format("%Y-%m-%d").to_string(),
        "grids": rows(per_grid),
        "communities": rows(per_community),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaParams {
    community: Option<String>,
    grid: Option<String>,
    /// A need's status (the needs map).
    status: Option<String>,
    /// The day the days since a visit are counted to (`YYYY-MM-DD`; today unless given).
    as_of: Option<String>,
}

impl AreaParams {
    /// The community and grid asked for, which must exist and lie in `editor`'s scope.
    fn area(&self, state: &AppState, editor: &Editor) -> Result<Location, ApiError> {
        let snapshot = state.atlas.snapshot();
        let community = match (&self.grid, &self.community) {
            (Some(g), _) => snapshot
                .grid(g)
                .map(|x| x.community_code.clone())
                .ok_or_else(|| ApiError::NotFound(format!("no grid {g}")))?,
            (None, Some(c)) if snapshot.community(c).is_some() => c.clone().into(),
            (None, Some(c)) => return Err(ApiError::NotFound(format!("no community {c}"))),
            (None, None) => {
                return Err(ApiError::BadRequest(
                    "name the community (community=) or the grid (grid=)".into(),
                ))
            }
        };
        let at = Location {
            community_code: community.to_string(),
            grid_code: self.grid.clone(),
        };
        at.place().check_within(&editor.scope).map_err(forbidden)?;
        Ok(at)
    }

    fn today(&self) -> Result<NaiveDate, ApiError> {
        day_or_today("as_of", self.as_of.as_deref())
    }
}

fn geometry(g: &geo_types::Geometry) -> Value {
    serde_json::to_value(geojson::Geometry::new(geojson::Value::from(g))).unwrap_or(Value::Null)
}

/// `GET /api/work/visits/last?grid=` (or `community=`) — the units of a grid with their last
/// visit and the days since, as GeoJSON (never visited first, then the longest unvisited).
pub async fn visits_last(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p: AreaParams = query(raw.as_deref())?;
    let at = p.area(&state, &editor)?;
    let today = p.today()?;
    let visits: Vec<engine::gridwork::Visit> =
        bodies(&state, WorkKind::Visit, Some(&at.community_code), |_| true)
            .await?
            .into_iter()
            .map(|(_, v)| v)
            .collect();
    let snapshot = state.atlas.snapshot();
    let version = snapshot.version;
    let features = super::extract::blocking(move || {
        let units = engine::gridwork::map::unit_visits(
            &snapshot,
            &visits,
            &at.community_code,
            at.grid_code.as_deref(),
            today,
        );
        Ok(units
            .into_iter()
            .map(|u| {
                json!({ "type": "Feature", "id": format!("{}.{}", u.layer, u.id),
                    "geometry": geometry(&u.geometry),
                    "properties": { "layer": u.layer, "id": u.id, "name": u.name,
                        "compound_id": u.compound_id, "households": u.households,
                        "last_visit": u.last_visit.map(|d| d.format("%Y-%m-%d").to_string()),
                        "days_since": u.days_since } })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(super::coverage::feature_collection(version, features))
}

/// `GET /api/work/needs/map?grid=` (or `community=`; `status=open` …) — the needs the caller
/// sees as GeoJSON points: where raised, else inside their unit, grid or community.
pub async fn needs_map(
    State(state): State<AppState>,
    editor: Editor,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p: AreaParams = query(raw.as_deref())?;
    let at = p.area(&state, &editor)?;
    let records = state
        .atlas
        .store()
        .work_records(&WorkQuery {
            kind: WorkKind::Need,
            street: None,
            community: Some(at.community_code.clone()),
            grid: at.grid_code.clone(),
            status: p.status.clone(),
        })
        .await?;
    let snapshot = state.atlas.snapshot();
    let features: Vec<Value> = records
        .iter()
        .filter(|r| visible(&editor, r))
        .filter_map(|r| {
            let need: Need = serde_json::from_value(r.body.clone()).ok()?;
            let point = engine::gridwork::map::need_point(&snapshot, &need)?;
            Some(json!({ "type": "Feature", "id": r.id,
                "geometry": geometry(&geo_types::Geometry::Point(point)),
                "properties": { "id": r.id, "version": r.version, "title": need.title,
                    "category": need.category, "status": need.status, "raised_on": need.raised_on,
                    "due_date": need.due_date, "grid_code": r.grid_code, "unit": need.unit,
                    "organisation_id": need.organisation_id } }))
        })
        .collect();
    Ok(super::coverage::feature_collection(
        snapshot.version,
        features,
    ))
}
