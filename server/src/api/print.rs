//! Prints over HTTP: a grid's, community's or street's notice boards 网格公示牌 (signed in; the
//! workers and building heads the caller may read, phones as the caller sees them) and a
//! street's or community's coverage report, as PDF or one page as PNG.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use engine::analysis::report::ReportArea;
use engine::analysis::trends::Month;
use engine::analysis::AreaLevel;
use engine::gridwork::board::{BoardError, BoardScope};
use engine::gridwork::{BuildingHead, GridWorker, WorkKind};
use print::{BoardOptions, Paper, PrintError, ReportOptions};
use serde::Deserialize;

use super::auth::Editor;
use super::coverage::{coverage, heat_cells, metres, metric, overrides, params, service};
use super::error::ApiError;
use super::extract::{blocking, day_or_today, query};
use super::features::base;
use super::AppState;
use crate::printing::{self, Output, PrintFailure, IRREVERSIBLE, NOT_YET};

impl From<PrintFailure> for ApiError {
    fn from(e: PrintFailure) -> Self {
        match e {
            PrintFailure::Board(
                BoardError::UnknownGrid(_)
                | BoardError::UnknownCommunity(_)
                | BoardError::UnknownStreet(_),
            ) => ApiError::NotFound(e.to_string()),
            PrintFailure::Analysis(a) => a.into(),
            PrintFailure::Print(PrintError::NoPage(_)) => ApiError::NotFound(e.to_string()),
            PrintFailure::TooMany(_) => ApiError::BadRequest(e.to_string()),
            PrintFailure::Board(BoardError::Planning(_)) | PrintFailure::Print(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

/// `format=pdf` (default) or `png` with `page=` (1-based).
fn output(format: Option<&str>, page: Option<usize>) -> Result<Output, ApiError> {
    match (format.unwrap_or("pdf"), page) {
        ("pdf", None) => Ok(Output::Pdf),
        ("pdf", Some(_)) => Err(ApiError::BadRequest(
            "page: only a PNG is one page; a PDF holds them all (format=png&page=N)".into(),
        )),
        ("png", page) => match page.unwrap_or(1) {
            0 => Err(ApiError::BadRequest(
                "page: pages are counted from 1".into(),
            )),
            p => Ok(Output::Png { page: p }),
        },
        (other, _) => Err(ApiError::BadRequest(format!(
            "format: pdf or png, got \"{other}\""
        ))),
    }
}

fn printed(output: Output, name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, output.content_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.{}\"", output.extension()),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    grid: Option<String>,
    community: Option<String>,
    street: Option<String>,
    paper: Option<String>,
    format: Option<String>,
    page: Option<usize>,
    date: Option<String>,
}

/// `GET /api/print/boards?grid=|community=|street=&paper=A4|A3&format=pdf|png&page=&date=`
pub async fn boards(
    State(state): State<AppState>,
    editor: Editor,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p: BoardParams = query(raw.as_deref())?;
    let (code, scope) = match (p.grid, p.community, p.street) {
        (Some(g), None, None) => (g.clone(), BoardScope::Grid(g)),
        (None, Some(c), None) => (c.clone(), BoardScope::Community(c)),
        (None, None, Some(s)) => (s.clone(), BoardScope::Street(s)),
        _ => {
            return Err(ApiError::BadRequest(
                "name exactly one of grid=…, community=… or street=…".into(),
            ))
        }
    };
    let paper = match p.paper.as_deref() {
        None => Paper::A4,
        Some(name) => Paper::from_name(name)
            .ok_or_else(|| ApiError::BadRequest(format!("paper: A4 or A3, got \"{name}\"")))?,
    };
    let output = output(p.format.as_deref(), p.page)?;
    let options = BoardOptions {
        paper,
        date: day_or_today("date", p.date.as_deref())?,
        link: base(&state, &headers),
    };
    let community = match &scope {
        BoardScope::Community(c) => Some(c.clone()),
        _ => None,
    };
    let workers: Vec<GridWorker> =
        super::work::readable_bodies(&state, &editor, WorkKind::GridWorker, community.as_deref())
            .await?;
    let heads: Vec<BuildingHead> = super::work::readable_bodies(
        &state,
        &editor,
        WorkKind::BuildingHead,
        community.as_deref(),
    )
    .await?;
    let snapshot = state.atlas.snapshot();
    let bytes = blocking(move || {
        let doc = printing::notice_boards(&snapshot, &scope, &workers, &heads, &options)?;
        Ok(output.write(&doc).map_err(PrintFailure::from)?)
    })
    .await?;
    Ok(printed(output, &format!("网格公示牌-{code}"), bytes))
}

/// `GET /api/print/report?street=|community=&service=&threshold=&metric=&format=&page=&date=`
pub async fn report(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = params(raw.as_deref());
    const KNOWN: &[&str] = &[
        "street",
        "community",
        "service",
        "threshold",
        "metric",
        "format",
        "page",
        "date",
    ];
    if let Some(k) = q.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "unknown parameter \"{k}\" (known: {})",
            KNOWN.join(", ")
        )));
    }
    let (code, area) = match (q.get("street"), q.get("community")) {
        (Some(s), None) => (s.clone(), ReportArea::Street(s.clone())),
        (None, Some(c)) => (c.clone(), ReportArea::Community(c.clone())),
        _ => {
            return Err(ApiError::BadRequest(
                "name exactly one of street=… or community=…".into(),
            ))
        }
    };
    let s = service(q.get("service").map_or("elderly_care", String::as_str))?;
    let page = q
        .get("page")
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| ApiError::BadRequest(format!("page: a page number, got \"{v}\"")))
        })
        .transpose()?;
    let output = output(q.get("format").map(String::as_str), page)?;
    let options = ReportOptions {
        date: day_or_today("date", q.get("date").map(String::as_str))?,
    };
    let by = metric(&q)?;
    let overrides = overrides(&q)?;
    let threshold = q
        .get("threshold")
        .map(|t| metres("threshold", t))
        .transpose()?;
    let (snapshot, cov) = coverage(&state, &overrides, by).await?;
    let (_, cells) = heat_cells(
        &state,
        s,
        area.heat_resolution(),
        threshold,
        by,
        overrides.as_of,
    )
    .await?;
    // The same area at the end of the month before the report's date, for "since last month".
    let month = Month::of(options.date).previous();
    let mut before = overrides.clone();
    before.as_of = Some(month.end());
    let level = match area {
        ReportArea::Street(_) => AreaLevel::Street,
        ReportArea::Community(_) => AreaLevel::Community,
    };
    let previous = match super::trends::area_at(&state, level, &code, &before).await {
        Ok((_, Some(a))) => Ok(a),
        Ok((_, None)) => Err(NOT_YET.to_owned()),
        Err(ApiError::Conflict(_)) => Err(IRREVERSIBLE.to_owned()),
        Err(e) => return Err(e),
    };
    let bytes = blocking(move || {
        let mut facts = printing::report(&snapshot, &cov, &area, s, &cells)?;
        facts.previous = Some((month.to_string(), previous));
        let doc = printing::coverage_report(facts, &options)?;
        Ok(output.write(&doc).map_err(PrintFailure::from)?)
    })
    .await?;
    Ok(printed(
        output,
        &format!("覆盖报告-{code}-{}", s.name()),
        bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_has_no_page_and_a_png_page_counts_from_one() {
        assert_eq!(output(None, None).ok(), Some(Output::Pdf));
        assert_eq!(
            output(Some("png"), None).ok(),
            Some(Output::Png { page: 1 })
        );
        assert!(output(Some("png"), Some(0)).is_err());
        assert!(output(Some("pdf"), Some(2)).is_err());
        assert!(output(Some("svg"), None).is_err());
    }
}
