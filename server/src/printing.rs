//! Prints for the CLI and the API: grid notice boards and coverage reports from a snapshot, the
//! grid-work records and a coverage, laid out by the `print` crate. The printer (its CJK font)
//! is loaded once a process, on the first print.

use std::sync::{Arc, OnceLock};

use engine::analysis::report::{report_facts, ReportArea};
use engine::analysis::{AnalysisError, Coverage, HeatCell};
use engine::gridwork::board::{boards, BoardError, BoardScope};
use engine::gridwork::{BuildingHead, GridWorker};
use engine::planning::Caps;
use engine::{ServiceType, Snapshot};
use print::{BoardOptions, PrintError, Printed, Printer, ReportOptions};

/// Why a report cannot compare with last month, as the report says it.
pub const NOT_YET: &str = "当时尚无该区域的数据";
pub const IRREVERSIBLE: &str = "此后有批量导入修改或删除了要素，审计日志只记有数量，无法还原";

/// Most grids printed in one request (a street has tens).
pub const MAX_BOARDS: usize = 500;
/// PNG resolution of a printed page.
pub const PNG_DPI: f32 = 150.0;

/// Why a print could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PrintFailure {
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error("{0} grids asked for; at most {MAX_BOARDS} boards are printed at once: print one community at a time")]
    TooMany(usize),
}

/// The process's printer.
pub fn printer() -> Result<&'static Printer, PrintError> {
    static PRINTER: OnceLock<Result<Printer, PrintError>> = OnceLock::new();
    PRINTER
        .get_or_init(Printer::new)
        .as_ref()
        .map_err(Clone::clone)
}

/// What is written: the whole document as PDF, or one page (1-based) as PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Pdf,
    Png { page: usize },
}

impl Output {
    /// The output a file name asks for (`.pdf`, `.png`).
    pub fn from_path(path: &std::path::Path) -> Option<Output> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "pdf" => Some(Output::Pdf),
            "png" => Some(Output::Png { page: 1 }),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Output::Pdf => "application/pdf",
            Output::Png { .. } => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Output::Pdf => "pdf",
            Output::Png { .. } => "png",
        }
    }

    /// The bytes of `printed` in this output.
    pub fn write(self, printed: &Printed) -> Result<Vec<u8>, PrintError> {
        match self {
            Output::Pdf => printed.pdf(),
            Output::Png { page } => printed.png(page.saturating_sub(1), PNG_DPI),
        }
    }
}

/// The notice boards of every grid of `scope`, one page each, ordered by grid code.
pub fn notice_boards(
    snapshot: &Snapshot,
    scope: &BoardScope,
    workers: &[GridWorker],
    heads: &[BuildingHead],
    options: &BoardOptions,
) -> Result<Printed, PrintFailure> {
    let grids = scope.grids(snapshot)?;
    if grids.len() > MAX_BOARDS {
        return Err(PrintFailure::TooMany(grids.len()));
    }
    let boards = boards(snapshot, &grids, workers, heads, Caps::default())?;
    Ok(printer()?.notice_boards(&boards, options)?)
}

/// The coverage report of `area` for `service` from `coverage` and its heatmap `cells`, with
/// the area at the end of the previous month when known.
pub fn coverage_report(
    facts: engine::analysis::report::ReportFacts,
    options: &ReportOptions,
) -> Result<Printed, PrintFailure> {
    Ok(printer()?.coverage_report(&facts, options)?)
}

/// The facts of a report ([`report_facts`]).
pub fn report(
    snapshot: &Snapshot,
    coverage: &Coverage,
    area: &ReportArea,
    service: ServiceType,
    cells: &[HeatCell],
) -> Result<engine::analysis::report::ReportFacts, PrintFailure> {
    Ok(report_facts(snapshot, coverage, area, service, cells)?)
}

/// What `gridatlas print` makes.
#[derive(Debug, Clone)]
pub enum PrintRequest {
    Boards {
        scope: BoardScope,
        options: BoardOptions,
    },
    Report {
        area: ReportArea,
        service: ServiceType,
        threshold_m: Option<f64>,
        metric: Option<engine::analysis::DistanceMetric>,
        options: ReportOptions,
    },
}

/// `gridatlas print`: the boards or report of the store's data written to `out` (`.pdf`, or
/// `.png` for the first page); returns the number of pages.
pub async fn print_to_file(
    store: Box<dyn crate::store::Store>,
    request: PrintRequest,
    out: &std::path::Path,
) -> Result<usize, crate::commands::CommandError> {
    use crate::commands::CommandError;
    use crate::store::WorkQuery;
    use engine::gridwork::WorkKind;

    let output = Output::from_path(out).ok_or_else(|| {
        CommandError::Usage(format!("{}: print writes .pdf or .png", out.display()))
    })?;
    let loaded = store.load_all().await?;
    fn bodies<T: serde::de::DeserializeOwned>(records: Vec<crate::store::WorkRecord>) -> Vec<T> {
        records
            .into_iter()
            .filter_map(|r| serde_json::from_value(r.body).ok())
            .collect()
    }
    let workers: Vec<GridWorker> = bodies(
        store
            .work_records(&WorkQuery::all(WorkKind::GridWorker))
            .await?,
    );
    let heads: Vec<BuildingHead> = bodies(
        store
            .work_records(&WorkQuery::all(WorkKind::BuildingHead))
            .await?,
    );
    let snapshot = Arc::new(Snapshot::new(loaded.version, loaded.data));
    // A report compares with the data at the end of the previous month, rebuilt from the log.
    let previous = match &request {
        PrintRequest::Report { options, .. } => {
            let month = engine::analysis::trends::Month::of(options.date).previous();
            let past = crate::store::history::features_at(
                store.as_ref(),
                Arc::clone(&snapshot),
                month.end(),
            )
            .await
            .map_err(|e| match e {
                crate::store::history::PastError::History(_) => IRREVERSIBLE.to_owned(),
                other => other.to_string(),
            });
            Some((month.to_string(), past))
        }
        PrintRequest::Boards { .. } => None,
    };
    store.close().await;
    let out_path = out.to_owned();
    tokio::task::spawn_blocking(move || {
        let usage = |e: PrintFailure| CommandError::Usage(e.to_string());
        let doc = match request {
            PrintRequest::Boards { scope, options } => {
                notice_boards(&snapshot, &scope, &workers, &heads, &options).map_err(usage)?
            }
            PrintRequest::Report {
                area,
                service,
                threshold_m,
                metric,
                options,
            } => {
                let analysis = |e: AnalysisError| usage(e.into());
                let mut standards = engine::analysis::Standards::default();
                if let Some(t) = threshold_m {
                    standards.set_threshold(service, t).map_err(analysis)?;
                }
                let coverage =
                    Coverage::compute_by(&snapshot, &standards, metric).map_err(analysis)?;
                let cells = engine::analysis::heatmap(
                    &snapshot,
                    &coverage,
                    service,
                    area.heat_resolution(),
                    threshold_m,
                )
                .map_err(analysis)?;
                let mut facts =
                    report(&snapshot, &coverage, &area, service, &cells).map_err(usage)?;
                facts.previous = previous.map(|(month, past)| {
                    let summary = past.and_then(|(version, data)| {
                        let then = Snapshot::new(version, data);
                        let cov = Coverage::compute_by(&then, &standards, metric)
                            .map_err(|e| e.to_string())?;
                        cov.areas(facts.area.level)
                            .iter()
                            .find(|a| a.code == facts.area.code)
                            .cloned()
                            .ok_or_else(|| NOT_YET.to_owned())
                    });
                    (month, summary)
                });
                coverage_report(facts, &options).map_err(usage)?
            }
        };
        let bytes = output
            .write(&doc)
            .map_err(|e| usage(PrintFailure::Print(e)))?;
        std::fs::write(&out_path, bytes)
            .map_err(|e| CommandError::Io(format!("{}: {e}", out_path.display())))?;
        Ok(doc.page_count())
    })
    .await
    .map_err(|e| CommandError::Io(format!("printing failed: {e}")))?
}
