//! What reading a file found out about it — the encoding, the coordinate system and where it
//! came from, the sheet and header rows, and what each column was taken to hold — for the import
//! page to show and let the user correct. Readers record into a [`Detection`] as they go, so
//! what was found is known even when the file is then refused.

use std::sync::{Arc, Mutex};

use engine::crs::Crs;
use serde::Serialize;

/// How a file was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Detected {
    /// The text encoding used (`UTF-8`, `GBK` …) and why, e.g. "GBK (from the .cpg)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The coordinate system the coordinates were read in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crs: Option<CrsUse>,
    /// The sheet of a workbook (or the layer of a `GeoPackage`) read, and all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<String>,
    /// The first and last header row of a sheet, as Excel numbers them (`[3, 4]`: a two-row
    /// header with merged group cells).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_rows: Option<[usize; 2]>,
    /// Every column of a table, as read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnUse>,
    /// Data rows (or features) in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
}

/// A coordinate system as used for a file.
#[derive(Debug, Clone, Serialize)]
pub struct CrsUse {
    /// `EPSG:4524`, or `GCJ-02` / `BD-09` for the web maps' systems.
    pub code: String,
    /// Its name as the atlas writes it.
    pub name: String,
    /// `prj` (the file says), `declared` (the user said), or `default` (nothing said: WGS84).
    pub from: &'static str,
}

impl CrsUse {
    pub fn new(crs: Crs, from: &'static str) -> Self {
        CrsUse {
            code: crs_code(crs),
            name: crs.to_string(),
            from,
        }
    }
}

/// The code a user writes for a coordinate system (what `--crs` takes).
pub fn crs_code(crs: Crs) -> String {
    match (crs, crs.epsg()) {
        (_, Some(code)) => format!("EPSG:{code}"),
        (Crs::Gcj02, None) => "gcj02".into(),
        (Crs::Bd09, None) => "bd09".into(),
        (other, None) => other.to_string(),
    }
}

/// One column of a table and what it was taken to hold.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnUse {
    /// The header as written in the file.
    pub header: String,
    /// The field it fills (`households`, `lon`, `wkt` …), or none when left out or unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `field` (its name, label or alias), `mapped` (the user's mapping), `skipped` (left out:
    /// GIS bookkeeping, a computed field, another system's ids, or mapped to nothing) or
    /// `unknown` (nobody can place it: the file is refused until it is mapped or left out).
    pub how: &'static str,
    /// For an unknown column, the closest field names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<String>,
}

/// Where readers record what they find; empty (the CLI) records nothing.
#[derive(Debug, Clone, Default)]
pub struct Detection(Option<Arc<Mutex<Detected>>>);

impl Detection {
    /// A detection that keeps what readers record.
    pub fn recording() -> Self {
        Detection(Some(Arc::default()))
    }

    /// Records something found.
    pub fn record(&self, f: impl FnOnce(&mut Detected)) {
        if let Some(d) = &self.0 {
            if let Ok(mut d) = d.lock() {
                f(&mut d);
            }
        }
    }

    /// What was recorded.
    pub fn get(&self) -> Detected {
        self.0
            .as_ref()
            .and_then(|d| d.lock().ok().map(|d| d.clone()))
            .unwrap_or_default()
    }
}
