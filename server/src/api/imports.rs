//! The import page's API: upload office files, see how they would be read (format, encoding,
//! coordinate system, columns, every problem, a preview of the features), read them again with
//! the user's corrections, download the problems as a spreadsheet, commit as one audited import.
//!
//! `POST /api/imports` (multipart) keeps the files and answers the first check;
//! `POST /api/imports/{id}/check` and `/commit` take the user's [`ImportOptions`];
//! `GET /api/imports/{id}/problems` gives the last check's problems as `.xlsx` or `.csv`;
//! `DELETE /api/imports/{id}` discards the upload.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::crs::Crs;
use engine::{Feature, Layer, Problem};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::extract::{json_body, query};
use super::AppState;
use crate::atlas::AtlasError;
use crate::commands::FileProblem;
use crate::imports::{self, FileReport, ImportFile, PlanError};
use crate::io::{self, ColumnMap};
use crate::store::{Change, Operation, OperationKind};
use crate::uploads::{NewUpload, Upload, UploadError};

/// Features sent back for the map's preview; the counts always cover them all.
const PREVIEW_LIMIT: usize = 5_000;

/// What the user says of the files on the import page (all optional: the first check uses what
/// the files say).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportOptions {
    /// The layer the files hold (`compounds`, `buildings` …).
    #[serde(default)]
    pub layer: Option<String>,
    /// The coordinate system: `EPSG:4524`, `gcj02`, `bd09` …; none: the `.prj`, else WGS84.
    #[serde(default)]
    pub crs: Option<String>,
    /// The text encoding (`gbk`, `utf-8` …); none: detected.
    #[serde(default)]
    pub encoding: Option<String>,
    /// The workbook sheet or `GeoPackage` layer.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Header as written in the file → field; `""` leaves the column out.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Skip ledger rows that name no feature (or several) instead of refusing the file.
    #[serde(default)]
    pub skip_unmatched: bool,
}

/// A problem as the import page lists it: the file, then where in it and why.
#[derive(Debug, Serialize)]
struct ProblemRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<&'a str>,
    #[serde(flatten)]
    problem: &'a Problem,
}

/// The answer of a check: how each file was read, what the import would do, every problem and
/// the features to preview.
#[derive(Debug, Serialize)]
struct Check<'a> {
    id: &'a str,
    /// Every file of the upload, by name and size.
    uploaded: Vec<Value>,
    files: &'a [FileReport],
    /// Whether the import can be committed as it is.
    ready: bool,
    /// Features the import writes: new ones and updates of features the atlas has.
    features: usize,
    created: usize,
    updated: usize,
    problems: Vec<ProblemRow<'a>>,
    /// The layer could not be told: the user must choose it.
    needs_layer: bool,
    /// The layers this account may import into.
    layers: Vec<&'static str>,
    preview: Value,
    preview_truncated: bool,
    /// `[minLon, minLat, maxLon, maxLat]` of every feature read.
    #[serde(skip_serializing_if = "Option::is_none")]
    bbox: Option<[f64; 4]>,
    data_version: i64,
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Refused(m) => ApiError::BadRequest(m),
            UploadError::Unknown(_) => ApiError::NotFound(e.to_string()),
            UploadError::NotYours(_) => ApiError::Forbidden(e.to_string()),
            UploadError::Storage(m) => ApiError::Internal(m),
        }
    }
}

/// The user's options as a reading [`io::Source`] and the layer they chose.
fn reading(options: &ImportOptions) -> Result<(io::Source, Option<Layer>), ApiError> {
    let layer = match options.layer.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(name) => Some(Layer::from_name(name).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "layer: unknown layer \"{name}\" (one of {})",
                imports::layer_names()
            ))
        })?),
    };
    let crs = match options.crs.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<Crs>()
                .map_err(|e| ApiError::BadRequest(format!("crs: {e}")))?,
        ),
    };
    let encoding = match options.encoding.as_deref().filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => Some(
            encoding_rs::Encoding::for_label(e.trim().as_bytes()).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "encoding: unknown text encoding \"{e}\" (e.g. utf-8, gbk, gb18030)"
                ))
            })?,
        ),
    };
    let source = io::Source {
        crs,
        encoding,
        sheet: options.sheet.clone().filter(|s| !s.is_empty()),
        columns: ColumnMap(
            options
                .columns
                .iter()
                .map(|(from, to)| (from.clone(), to.clone()))
                .collect(),
        ),
        skip_unmatched: options.skip_unmatched,
        ..io::Source::default()
    };
    Ok((source, layer))
}

/// An upload's files read with the user's options and checked as the commit would: every file,
/// the account's right to each feature, then the whole change against the store.
struct Outcome {
    files: Vec<FileReport>,
    features: Vec<Feature>,
    problems: Vec<FileProblem>,
    needs_layer: bool,
}

async fn examine(
    state: &AppState,
    editor: &Editor,
    upload: &Upload,
    options: &ImportOptions,
) -> Result<Outcome, ApiError> {
    let (source, layer) = reading(options)?;
    let files: Vec<ImportFile> = upload
        .readable()
        .into_iter()
        .map(|f| ImportFile {
            path: f.path.clone(),
            name: f.name.clone(),
            layer,
        })
        .collect();
    let read = match imports::read(&state.atlas, &files, &source).await {
        Ok(read) => read,
        Err(PlanError::UnknownLayer(file)) => {
            return Ok(Outcome {
                files: Vec::new(),
                features: Vec::new(),
                problems: vec![FileProblem {
                    file: Some(file),
                    problem: Problem::new(
                        "layer",
                        "the file's name does not say which layer it holds: choose the layer",
                        "无法从文件名判断数据所属图层：请选择图层",
                    ),
                }],
                needs_layer: true,
            })
        }
        Err(PlanError::UnknownFormat(file)) => {
            return Err(ApiError::BadRequest(
                PlanError::UnknownFormat(file).to_string(),
            ))
        }
        Err(PlanError::Unreadable(reason)) => {
            return Ok(Outcome {
                files: Vec::new(),
                features: Vec::new(),
                problems: vec![FileProblem {
                    file: None,
                    problem: Problem::new(
                        "file",
                        reason.clone(),
                        format!("文件无法读取：{reason}"),
                    ),
                }],
                needs_layer: false,
            })
        }
    };
    let mut problems = read.problems;
    problems.extend(refused_by_access(editor, &read.files, &read.features));
    Ok(Outcome {
        files: read.files,
        features: read.features,
        problems,
        needs_layer: false,
    })
}

/// A read without problems checked against the store as a commit would check it (references,
/// codes, gates); its problems added to the outcome's.
async fn check_against_store(state: &AppState, mut o: Outcome) -> Result<Outcome, ApiError> {
    if !o.problems.is_empty() || o.features.is_empty() {
        return Ok(o);
    }
    let op = import_operation(std::mem::take(&mut o.features));
    match state.atlas.check(&op).await {
        Ok(()) => {}
        Err(AtlasError::Invalid(ps)) => o.problems.extend(store_problems(ps)),
        Err(other) => return Err(other.into()),
    }
    o.features = op
        .changes
        .into_iter()
        .filter_map(|c| match c {
            Change::Upsert(f) => Some(f),
            _ => None,
        })
        .collect();
    Ok(o)
}

/// Problems found checking the whole change against the store (no file to name).
fn store_problems(problems: Vec<Problem>) -> impl Iterator<Item = FileProblem> {
    problems.into_iter().map(|problem| FileProblem {
        file: None,
        problem,
    })
}

/// The features this account may not write (its role's layers, its scope), each placed in its
/// file.
fn refused_by_access(
    editor: &Editor,
    files: &[FileReport],
    features: &[Feature],
) -> Vec<FileProblem> {
    let mut out = Vec::new();
    let mut rest = features.iter();
    for file in files {
        for (i, f) in rest.by_ref().take(file.features).enumerate() {
            if let Err(denied) = editor.may_change(f) {
                out.push(FileProblem {
                    file: Some(file.file.clone()),
                    problem: Problem::new("feature", denied.to_string(), denied.zh())
                        .at(Some(i), (f.id() > 0).then(|| f.id().to_string())),
                });
            }
        }
    }
    out
}

fn import_operation(features: Vec<Feature>) -> Operation {
    Operation {
        kind: OperationKind::Import,
        changes: features.into_iter().map(Change::Upsert).collect(),
        publishes: None,
    }
}

/// The check as the page reads it.
fn check_body(state: &AppState, editor: &Editor, upload: &Upload, o: &Outcome) -> Value {
    let created = o.features.iter().filter(|f| f.id() == 0).count();
    let preview: Vec<geojson::Feature> = o
        .features
        .iter()
        .take(PREVIEW_LIMIT)
        .map(Feature::to_geojson)
        .collect();
    let bbox = o.features.iter().fold(None, |b: Option<[f64; 4]>, f| {
        use geo::BoundingRect;
        let Some(r) = f.geometry().bounding_rect() else {
            return b;
        };
        let [x0, y0, x1, y1] = b.unwrap_or([
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ]);
        Some([
            x0.min(r.min().x),
            y0.min(r.min().y),
            x1.max(r.max().x),
            y1.max(r.max().y),
        ])
    });
    let check = Check {
        id: &upload.id,
        uploaded: upload
            .files
            .iter()
            .map(|f| json!({ "name": f.name, "bytes": f.bytes }))
            .collect(),
        files: &o.files,
        ready: o.problems.is_empty() && !o.features.is_empty(),
        features: o.features.len(),
        created,
        updated: o.features.len() - created,
        problems: o
            .problems
            .iter()
            .map(|p| ProblemRow {
                file: p.file.as_deref(),
                problem: &p.problem,
            })
            .collect(),
        needs_layer: o.needs_layer,
        layers: Layer::ALL
            .into_iter()
            .filter(|l| editor.role.edits(*l))
            .map(Layer::name)
            .collect(),
        preview: serde_json::to_value(geojson::FeatureCollection {
            bbox: None,
            features: preview,
            foreign_members: None,
        })
        .unwrap_or(Value::Null),
        preview_truncated: o.features.len() > PREVIEW_LIMIT,
        bbox,
        data_version: state.atlas.snapshot().version,
    };
    serde_json::to_value(check).unwrap_or(Value::Null)
}

/// The 422 answer of a commit that wrote nothing: the check, with why.
fn refusal(state: &AppState, editor: &Editor, upload: &Upload, o: &Outcome) -> Response {
    let mut body = check_body(state, editor, upload, o);
    body["code"] = json!("invalid_import");
    body["message"] = json!(if o.problems.is_empty() {
        "the files hold no features".to_owned()
    } else {
        format!("{} problem(s) found; nothing was written", o.problems.len())
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Refuses viewers before anything is stored.
fn may_import(editor: &Editor) -> Result<(), ApiError> {
    if Layer::ALL.into_iter().any(|l| editor.role.edits(l)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a {} does not import data",
            editor.role
        )))
    }
}

/// `POST /api/imports`: the files of one import as `multipart/form-data` (any field names; a
/// `.zip` is unpacked), answered with the first check (201).
pub async fn upload(
    State(state): State<AppState>,
    editor: Editor,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    may_import(&editor)?;
    let mut new = NewUpload::new()?;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("upload: {e}")))?
    {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        let content = field
            .bytes()
            .await
            .map_err(|e| ApiError::BadRequest(format!("upload: {name}: {e}")))?;
        new.add(&name, &content)?;
    }
    if new.is_empty() {
        return Err(ApiError::BadRequest(
            "upload: no file the atlas reads (.xlsx, .xls, .csv, .shp with its .dbf/.shx/.prj, .geojson, .gpkg, or a .zip of them)".into(),
        ));
    }
    let upload = state.uploads.keep(&editor.actor.name, new);
    let outcome = examine(&state, &editor, &upload, &ImportOptions::default()).await?;
    let outcome = check_against_store(&state, outcome).await?;
    upload.set_problems(outcome.problems.clone());
    Ok((
        StatusCode::CREATED,
        Json(check_body(&state, &editor, &upload, &outcome)),
    )
        .into_response())
}

/// `POST /api/imports/{id}/check`: the upload read again with the user's options.
pub async fn check(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let options = options_of(&body)?;
    let upload = state.uploads.get(&id, &editor.actor.name)?;
    let outcome = examine(&state, &editor, &upload, &options).await?;
    let outcome = check_against_store(&state, outcome).await?;
    upload.set_problems(outcome.problems.clone());
    Ok(Json(check_body(&state, &editor, &upload, &outcome)))
}

fn options_of(body: &Bytes) -> Result<ImportOptions, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ImportOptions::default());
    }
    json_body(body, "import options")
}

/// `POST /api/imports/{id}/commit`: reads the upload again with the user's options and, when
/// nothing is wrong, writes every feature in one audited import; else 422 with the check.
pub async fn commit(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let options = options_of(&body)?;
    let upload = state.uploads.get(&id, &editor.actor.name)?;
    let mut outcome = examine(&state, &editor, &upload, &options).await?;
    upload.set_problems(outcome.problems.clone());
    if !outcome.problems.is_empty() || outcome.features.is_empty() {
        return Ok(refusal(&state, &editor, &upload, &outcome));
    }
    let count = outcome.features.len();
    let created = outcome.features.iter().filter(|f| f.id() == 0).count();
    // The commit checks the change against the store as it is then (once: no check before it).
    let op = import_operation(std::mem::take(&mut outcome.features));
    let committed = match state.atlas.commit(op, &editor.actor).await {
        Ok(c) => c,
        Err(AtlasError::Invalid(ps)) => {
            outcome.problems.extend(store_problems(ps));
            upload.set_problems(outcome.problems.clone());
            return Ok(refusal(&state, &editor, &upload, &outcome));
        }
        Err(other) => return Err(other.into()),
    };
    state.uploads.remove(&id, &editor.actor.name)?;
    Ok(Json(json!({
        "features": count,
        "created": created,
        "updated": count - created,
        "data_version": committed.data_version,
        "files": outcome.files,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemsQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /api/imports/{id}/problems?format=xlsx|csv`: the last check's problems as a spreadsheet
/// (Chinese headers: 文件, 行, 列, 字段, 原因 …).
pub async fn problems(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let q: ProblemsQuery = query(raw.as_deref())?;
    let upload = state.uploads.get(&id, &editor.actor.name)?;
    let (ext, mime) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "csv" => ("csv", "text/csv; charset=utf-8"),
        other => {
            return Err(ApiError::BadRequest(format!(
                "format: \"{other}\" is not xlsx or csv"
            )))
        }
    };
    let problems = upload.problems();
    let out = upload
        .dir()
        .join(format!("problems-{}.{ext}", rand::random::<u32>()));
    let bytes = super::extract::blocking(move || {
        let rows: Vec<(Option<&str>, &Problem)> = problems
            .iter()
            .map(|p| (p.file.as_deref(), &p.problem))
            .collect();
        io::problem_list::write(&out, &rows).map_err(ApiError::Internal)?;
        let bytes = std::fs::read(&out).map_err(|e| ApiError::Internal(e.to_string()))?;
        let _ = std::fs::remove_file(&out);
        Ok(bytes)
    })
    .await?;
    let disposition = format!(
        "attachment; filename=\"import-problems.{ext}\"; filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%97%AE%E9%A2%98.{ext}"
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `DELETE /api/imports/{id}`: discards an upload and its files.
pub async fn discard(
    State(state): State<AppState>,
    editor: Editor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.uploads.remove(&id, &editor.actor.name)?;
    Ok(StatusCode::NO_CONTENT)
}
