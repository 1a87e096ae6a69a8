//! An import as one piece of work, for the CLI (`gridatlas import`) and the web map's import page
//! alike: which layer each file (or workbook sheet) holds, the files read against the store
//! (areas first, so features of the same import are placed in them), what was found out about
//! each file, the features read and every problem found.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::placement::Areas;
use engine::{Feature, Layer};
use serde::Serialize;

use crate::atlas::Atlas;
use crate::commands::FileProblem;
use crate::io::detected::{Detected, Detection};
use crate::io::{self, Format};

/// A file given to an import: where it is, the name its user knows it by, and its layer when
/// the user named it.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub path: PathBuf,
    pub name: String,
    pub layer: Option<Layer>,
}

impl ImportFile {
    /// A file on disk, known by its path.
    pub fn at(path: &Path, layer: Option<Layer>) -> Self {
        ImportFile {
            path: path.to_owned(),
            name: path.display().to_string(),
            layer,
        }
    }
}

/// One layer of one file to read: a file, or a sheet of a workbook.
#[derive(Debug, Clone)]
struct Part {
    file: ImportFile,
    format: Format,
    layer: Layer,
    sheet: Option<String>,
}

/// How one file (or sheet) was read.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The file's name as its user knows it.
    pub file: String,
    pub format: &'static str,
    pub layer: Layer,
    #[serde(flatten)]
    pub detected: Detected,
    /// Features read (0 when the file was refused).
    pub features: usize,
    /// How it was read, in the words of the CLI's report.
    pub notes: Vec<String>,
}

/// Every file of an import, read.
#[derive(Debug, Default)]
pub struct ImportRead {
    pub files: Vec<FileReport>,
    pub features: Vec<Feature>,
    pub problems: Vec<FileProblem>,
}

/// Why the files cannot be read at all (before any row is looked at).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The file's format is not one the atlas reads.
    UnknownFormat(String),
    /// Neither the user, the file's name nor its sheets say which layer it holds.
    UnknownLayer(String),
    Unreadable(String),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::UnknownFormat(file) => write!(
                f,
                "{file}: unknown format; use .geojson, .json, .csv, .xlsx, .xls, .shp or .gpkg"
            ),
            PlanError::UnknownLayer(file) => write!(
                f,
                "{file}: cannot tell the layer from the file name; pass --layer (one of {})",
                layer_names()
            ),
            PlanError::Unreadable(reason) => f.write_str(reason),
        }
    }
}

/// The atlas's layer names, comma-separated.
pub fn layer_names() -> String {
    Layer::ALL
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The format of a file, from its extension.
fn format_of(path: &Path) -> Result<Format, PlanError> {
    Format::from_path(path).ok_or_else(|| PlanError::UnknownFormat(path.display().to_string()))
}

/// The name of a format as the import page shows it.
fn format_name(format: Format) -> &'static str {
    match format {
        Format::GeoJson => "geojson",
        Format::Csv => "csv",
        Format::GeoPackage => "gpkg",
        Format::Workbook => "xlsx",
        Format::Shapefile => "shp",
        Format::OsmPbf => "osm.pbf",
    }
}

/// What to read of each file: its layer — named by the user, by the file's name (in English
/// as the atlas exports, or in the words of an office: 小区台账.xlsx, 楼栋.shp) — and, for a
/// workbook without one, every sheet that names a layer (a ledger exported by the atlas).
fn plan(files: &[ImportFile], sheet: Option<&str>) -> Result<Vec<Part>, PlanError> {
    let mut parts = Vec::new();
    for file in files {
        let format = format_of(&file.path)?;
        let named = file
            .layer
            .or((format == Format::OsmPbf).then_some(Layer::Ways))
            .or_else(|| io::layer_from_path(&file.path))
            .or_else(|| layer_from_words(&file.name));
        if let Some(layer) = named {
            parts.push(Part {
                file: file.clone(),
                format,
                layer,
                sheet: None,
            });
            continue;
        }
        let sheets = match format {
            Format::Workbook if sheet.is_none() => {
                io::layer_sheets(&file.path).map_err(PlanError::Unreadable)?
            }
            _ => Vec::new(),
        };
        if sheets.is_empty() {
            return Err(PlanError::UnknownLayer(file.name.clone()));
        }
        parts.extend(sheets.into_iter().map(|(layer, s)| Part {
            file: file.clone(),
            format,
            layer,
            sheet: Some(s),
        }));
    }
    // Areas first, so that features of the same import are placed in them.
    parts.sort_by_key(|p| Layer::ALL.iter().position(|l| *l == p.layer));
    Ok(parts)
}

/// Words of office file names and the layer they say, most specific first.
const LAYER_WORDS: &[(&[&str], Layer)] = &[
    (
        &["服务空间", "嵌入式", "养老", "托育", "助餐", "食堂"],
        Layer::ServiceSpaces,
    ),
    (&["出入口", "大门", "门岗"], Layer::Gates),
    (&["道路", "路网", "步行", "路径"], Layer::Ways),
    (
        &["驿站", "站点", "服务站", "网格站", "党群"],
        Layer::Stations,
    ),
    (&["楼栋", "楼宇", "散居"], Layer::Buildings),
    (&["小区", "院落"], Layer::Compounds),
    (&["网格"], Layer::Grids),
    (&["社区"], Layer::Communities),
    (&["街道"], Layer::Streets),
];

/// The layer an office's own file name says (小区台账.xlsx, 养老服务空间.csv, 网格员驿站.shp):
/// the most specific words first, so that 社区服务空间 is a service space, not a community.
pub fn layer_from_words(name: &str) -> Option<Layer> {
    let stem = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    LAYER_WORDS
        .iter()
        .find(|(words, _)| words.iter().any(|w| stem.contains(w)))
        .map(|(_, layer)| *layer)
}

/// Reads every file of an import against the atlas as it is now. Problems of every file are
/// gathered (a file refused does not stop the others from being read and reported).
pub async fn read(
    atlas: &Atlas,
    files: &[ImportFile],
    source: &io::Source,
) -> Result<ImportRead, PlanError> {
    let parts = plan(files, source.sheet.as_deref())?;
    let existing = atlas.snapshot();
    let snapshot = Arc::clone(&existing);
    let mut areas = Arc::new(
        tokio::task::spawn_blocking(move || Areas::of(&snapshot.data))
            .await
            .map_err(|e| PlanError::Unreadable(e.to_string()))?,
    );
    let mut out = ImportRead::default();
    for part in parts {
        let format = part.format;
        let mut source = source.clone();
        source.sheet = part.sheet.or(source.sheet);
        source.areas = Some(Arc::clone(&areas));
        source.existing = Some(Arc::clone(&existing));
        source.detected = Detection::recording();
        let (path, layer, reading) = (part.file.path.clone(), part.layer, source.clone());
        let read =
            tokio::task::spawn_blocking(move || io::read_file(layer, &path, format, &reading))
                .await
                .map_err(|e| PlanError::Unreadable(e.to_string()))?;
        let mut report = FileReport {
            file: part.file.name.clone(),
            format: format_name(format),
            layer,
            detected: source.detected.get(),
            features: 0,
            notes: Vec::new(),
        };
        match read {
            Ok(read) => {
                if matches!(layer, Layer::Streets | Layer::Communities | Layer::Grids) {
                    let more = Arc::make_mut(&mut areas);
                    read.features.iter().for_each(|f| more.add(f));
                }
                report.features = read.features.len();
                report.notes = read.notes;
                out.features.extend(read.features);
            }
            Err(problems) => out
                .problems
                .extend(problems.into_iter().map(|problem| FileProblem {
                    file: Some(part.file.name.clone()),
                    problem,
                })),
        }
        out.files.push(report);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_office_file_name_says_its_layer() {
        assert_eq!(
            layer_from_words("五星社区小区台账.xlsx"),
            Some(Layer::Compounds)
        );
        assert_eq!(
            layer_from_words("社区嵌入式服务空间.csv"),
            Some(Layer::ServiceSpaces)
        );
        assert_eq!(layer_from_words("楼栋_gbk.shp"), Some(Layer::Buildings));
        assert_eq!(
            layer_from_words("网格员驿站.geojson"),
            Some(Layer::Stations)
        );
        assert_eq!(layer_from_words("小区出入口.csv"), Some(Layer::Gates));
        assert_eq!(layer_from_words("data.csv"), None);
    }
}
