//! What each CLI command does, callable from tests.

use std::path::{Path, PathBuf};

use engine::{Dataset, Feature, Layer, Problem};
use indicatif::{ProgressBar, ProgressStyle};

use crate::atlas::{Atlas, AtlasError};
use crate::imports::{self, layer_names, ImportFile, ImportRead, PlanError};
use crate::io::{self, Format};
use crate::store::gpkg::GeoPackage;
use crate::store::{self, Actor, Change, Operation, OperationKind, Store, StoreError};

/// Why a command failed; the CLI prints it and exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Every problem found, a line each (`FILE: row N: column C (field): reason`), each followed
    /// by the same in Chinese (`FILE：第 N 行：“C”列（field）：原因`).
    #[error("{} problem(s) found; nothing was written:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}\n    {}", p.to_zh_string())).collect::<Vec<_>>().join("\n"))]
    Problems(Vec<FileProblem>),
    #[error(transparent)]
    Atlas(#[from] AtlasError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

/// A problem and the file it was found in (none: found checking the whole change against the
/// store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: Option<String>,
    pub problem: Problem,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{file}: {}", self.problem),
            None => write!(f, "{}", self.problem),
        }
    }
}

impl FileProblem {
    /// The problem as one line in Chinese ([`Problem::to_zh_string`]), after its file.
    pub fn to_zh_string(&self) -> String {
        match &self.file {
            Some(file) => format!("{file}：{}", self.problem.to_zh_string()),
            None => self.problem.to_zh_string(),
        }
    }
}

fn lines(problems: Vec<Problem>) -> Vec<FileProblem> {
    problems
        .into_iter()
        .map(|problem| FileProblem {
            file: None,
            problem,
        })
        .collect()
}

impl CommandError {
    /// Invalid data becomes the problem list; anything else stays an atlas error.
    fn from_atlas(e: AtlasError) -> CommandError {
        match e {
            AtlasError::Invalid(p) => CommandError::Problems(lines(p)),
            other => CommandError::Atlas(other),
        }
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(what.to_owned());
    pb
}

/// The actor of command-line changes: `cli:<user>`.
pub fn cli_actor() -> Actor {
    Actor::new(format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    ))
}

/// Result of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub features: usize,
    pub data_version: i64,
    pub dry_run: bool,
    /// How files were read, when worth saying (e.g. a CSV read as GBK).
    pub notes: Vec<String>,
}

/// Imports files (one layer each, all-or-nothing across all of them). With `dry_run`, checks
/// everything and writes nothing.
pub async fn import(
    store: Box<dyn Store>,
    files: &[(PathBuf, Option<Layer>)],
    source: impl Into<io::Source>,
    dry_run: bool,
) -> Result<ImportReport, CommandError> {
    let atlas = Atlas::open(store).await?;
    let result = import_into(&atlas, files, source.into(), dry_run).await;
    atlas.store().close().await;
    result
}

async fn import_into(
    atlas: &Atlas,
    files: &[(PathBuf, Option<Layer>)],
    source: io::Source,
    dry_run: bool,
) -> Result<ImportReport, CommandError> {
    let files: Vec<ImportFile> = files
        .iter()
        .map(|(path, layer)| ImportFile::at(path, *layer))
        .collect();
    let pb = ProgressBar::new_spinner();
    pb.set_message(format!("reading {} file(s)", files.len()));
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let read = imports::read(atlas, &files, &source)
        .await
        .map_err(|e| match e {
            PlanError::Unreadable(reason) => CommandError::Io(reason),
            other => CommandError::Usage(other.to_string()),
        });
    pb.finish_and_clear();
    let ImportRead {
        files,
        features,
        problems,
    } = read?;
    let notes: Vec<String> = files
        .iter()
        .flat_map(|f| f.notes.iter().map(move |n| format!("{}: {n}", f.file)))
        .collect();
    if !problems.is_empty() {
        return Err(CommandError::Problems(problems));
    }
    let count = features.len();
    let op = Operation {
        kind: OperationKind::Import,
        changes: features.into_iter().map(Change::Upsert).collect(),
        publishes: None,
    };
    if dry_run {
        atlas.check(&op).await.map_err(CommandError::from_atlas)?;
        return Ok(ImportReport {
            features: count,
            data_version: atlas.snapshot().version,
            dry_run: true,
            notes,
        });
    }
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("writing {count} features in one transaction"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let committed = atlas
        .commit(op, &cli_actor())
        .await
        .map_err(CommandError::from_atlas);
    spinner.finish_and_clear();
    Ok(ImportReport {
        features: count,
        data_version: committed?.data_version,
        dry_run: false,
        notes,
    })
}

/// Writes features as a GeoJSON FeatureCollection carrying the data version.
fn write_geojson(
    out: &Path,
    features: &[Feature],
    version: i64,
    pb: &ProgressBar,
) -> Result<(), CommandError> {
    let fc = geojson::FeatureCollection {
        bbox: None,
        features: features
            .iter()
            .map(|f| {
                pb.inc(1);
                f.to_geojson()
            })
            .collect(),
        foreign_members: Some(serde_json::Map::from_iter([(
            "data_version".to_owned(),
            serde_json::json!(version),
        )])),
    };
    std::fs::write(out, fc.to_string())
        .map_err(|e| CommandError::Io(format!("cannot write {}: {e}", out.display())))
}

/// Writes the features of one layer as formula-safe CSV.
fn write_csv(
    out: &Path,
    layer: Layer,
    features: &[Feature],
    pb: &ProgressBar,
) -> Result<(), CommandError> {
    let io_error = |e: csv::Error| CommandError::Io(format!("cannot write {}: {e}", out.display()));
    let mut w = csv::Writer::from_path(out).map_err(io_error)?;
    w.write_record(io::csv_header(layer)).map_err(io_error)?;
    for f in features {
        w.write_record(io::csv_record(f)).map_err(io_error)?;
        pb.inc(1);
    }
    w.flush()
        .map_err(|e| CommandError::Io(format!("cannot write {}: {e}", out.display())))
}

/// Writes an Excel ledger of `features`: a sheet per layer (empty ones only when the layer was
/// asked for), titled with the community's name when there is one.
fn write_ledger(
    out: &Path,
    data: &Dataset,
    community: Option<&str>,
    asked_for: bool,
    layers: &[Layer],
    features: &[Feature],
    version: i64,
) -> Result<(), CommandError> {
    let place = community
        .and_then(|code| {
            data.features().find_map(|f| match f {
                Feature::Community(c) if c.code == code => Some(c.name.clone()),
                _ => None,
            })
        })
        .unwrap_or_default();
    let sheets: Vec<io::ledger::Sheet<'_>> = layers
        .iter()
        .map(|&layer| io::ledger::Sheet {
            layer,
            title: format!("{place}{}台账（数据版本 {version}）", layer.title_zh()),
            features: features.iter().filter(|f| f.layer() == layer).collect(),
        })
        .filter(|s| asked_for || !s.features.is_empty())
        .collect();
    io::ledger::write(out, &sheets).map_err(CommandError::Io)
}

/// Loads a whole dataset into a store in one transaction (demo district or synthetic city).
pub async fn load_dataset(store: &dyn Store, data: Dataset) -> Result<i64, CommandError> {
    let existing = store.load_all().await?;
    let held = existing.data.total() + existing.unreadable.len();
    if held > 0 {
        return Err(CommandError::Usage(format!(
            "{} already holds {held} features; load the demo into an empty store (remove the file, or use --store with a new path)",
            store.location(),
        )));
    }
    let op = Operation {
        kind: OperationKind::Import,
        changes: data.features().map(Change::Upsert).collect(),
        publishes: None,
    };
    // The one write path's check, against the empty store, run while the store writes the
    // operation in its transaction: nothing is committed that the loader could not read back.
    let op = std::sync::Arc::new(op);
    let verdict = crate::atlas::checked(
        std::sync::Arc::new(engine::Snapshot::default()),
        std::sync::Arc::clone(&op),
    );
    match store.commit_checked(&op, &cli_actor(), verdict).await {
        Ok(committed) => Ok(committed.data_version),
        Err(StoreError::Refused(problems)) => Err(CommandError::Problems(lines(problems))),
        Err(e) => Err(e.into()),
    }
}

/// Loads the demo district's grid work ([`data::demo_grid_work`]) into a store that holds the
/// demo district: workers and organisations first, then visits and needs naming their ids.
/// Returns how many records were written.
pub async fn load_demo_work(store: &dyn Store, data: &Dataset) -> Result<usize, CommandError> {
    use engine::gridwork::{Body, WorkKind};
    let work = data::demo_grid_work(data);
    let snapshot = engine::Snapshot::new(0, data.clone());
    let record = |body: Body| -> Result<crate::store::WorkRecord, CommandError> {
        let at = body
            .locate(&snapshot)
            .map_err(|p| CommandError::Problems(lines(p)))?;
        let body = body.settled(&at);
        Ok(crate::store::WorkRecord {
            id: 0,
            kind: body.kind(),
            version: 1,
            community_code: at.community_code,
            grid_code: at.grid_code,
            status: body.status().map(str::to_owned),
            client_id: None,
            created_by: String::new(),
            updated_by: String::new(),
            created_at: String::new(),
            updated_at: String::new(),
            body: body.to_value(),
        })
    };
    let people: Vec<_> = work
        .workers
        .iter()
        .cloned()
        .map(Body::GridWorker)
        .chain(work.organisations.iter().cloned().map(Body::Organisation))
        .map(record)
        .collect::<Result<_, _>>()?;
    let ids = store.insert_work(&people, &cli_actor()).await?;
    let (workers, organisations) = ids.split_at(work.workers.len());
    let id_of = |ids: &[i64], index: i64| ids[usize::try_from(index).unwrap_or_default()];
    let rest: Vec<_> = work
        .visits
        .iter()
        .cloned()
        .map(|mut v| {
            v.worker_id = id_of(workers, v.worker_id);
            Body::Visit(v)
        })
        .chain(work.needs.iter().cloned().map(|mut n| {
            n.organisation_id = n.organisation_id.map(|o| id_of(organisations, o));
            Body::Need(n)
        }))
        .chain(work.building_heads.iter().cloned().map(Body::BuildingHead))
        .chain(
            work.residents_groups
                .iter()
                .cloned()
                .map(Body::ResidentsGroup),
        )
        .chain(work.joint_units.iter().cloned().map(|mut j| {
            j.organisation_id = id_of(organisations, j.organisation_id);
            Body::JointUnit(j)
        }))
        .chain(work.resources.iter().cloned().map(|mut r| {
            r.organisation_id = id_of(organisations, r.organisation_id);
            Body::Resource(r)
        }))
        .map(record)
        .collect::<Result<_, _>>()?;
    let rest_ids = store.insert_work(&rest, &cli_actor()).await?;
    let ids_of = |kind: WorkKind| -> Vec<i64> {
        rest.iter()
            .zip(&rest_ids)
            .filter(|(r, _)| r.kind == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    let (needs, resources) = (ids_of(WorkKind::Need), ids_of(WorkKind::Resource));
    let projects: Vec<_> = work
        .projects
        .iter()
        .cloned()
        .map(|mut p| {
            p.organisation_id = id_of(organisations, p.organisation_id);
            p.need_id = p.need_id.map(|n| id_of(&needs, n));
            p.resource_id = p.resource_id.map(|r| id_of(&resources, r));
            record(Body::Project(p))
        })
        .collect::<Result<_, _>>()?;
    store.insert_work(&projects, &cli_actor()).await?;
    Ok(people.len() + rest.len() + projects.len())
}

/// Exports features of one layer (optionally of one community) to GeoJSON or CSV, or every
/// layer to a GeoPackage.
pub async fn export(
    store: Box<dyn Store>,
    layer: Option<Layer>,
    community: Option<&str>,
    out: &Path,
) -> Result<usize, CommandError> {
    let format = Format::from_path(out)
        .filter(|f| !matches!(f, Format::Shapefile | Format::OsmPbf))
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "{}: export writes .geojson, .csv, .xlsx or .gpkg",
                out.display()
            ))
        })?;
    let loaded = store.load_all().await?;
    store.close().await;
    for u in &loaded.unreadable {
        eprintln!(
            "warning: {} {} is unreadable in the store and is not exported: {}",
            u.layer, u.id, u.reason
        );
    }
    let (version, data) = (loaded.version, loaded.data);
    let layers: Vec<Layer> = match (layer, format) {
        (Some(l), _) => vec![l],
        (None, Format::GeoPackage | Format::Workbook) => Layer::ALL.to_vec(),
        (None, _) => {
            return Err(CommandError::Usage(format!(
                "--layer is needed for GeoJSON and CSV export (one of {})",
                layer_names()
            )))
        }
    };
    let keep = |f: &Feature| match community {
        None => true,
        Some(code) => match f {
            Feature::Community(c) => c.code == code,
            other => {
                other
                    .properties()
                    .get("community_code")
                    .and_then(|v| v.as_str())
                    == Some(code)
            }
        },
    };
    let features: Vec<Feature> = data
        .features()
        .filter(|f| layers.contains(&f.layer()) && keep(f))
        .collect();
    let pb = bar(features.len() as u64, "exporting");
    let count = features.len();
    match format {
        Format::GeoJson => write_geojson(out, &features, version, &pb)?,
        Format::Csv => write_csv(out, layers[0], &features, &pb)?,
        Format::Workbook => {
            write_ledger(
                out,
                &data,
                community,
                layer.is_some(),
                &layers,
                &features,
                version,
            )?;
            pb.inc(count as u64);
        }
        Format::Shapefile | Format::OsmPbf => {
            return Err(CommandError::Usage(format!(
                "{}: export writes .geojson, .csv, .xlsx or .gpkg",
                out.display()
            )))
        }
        Format::GeoPackage => {
            if out.exists() {
                return Err(CommandError::Usage(format!(
                    "{} exists; export writes a new GeoPackage",
                    out.display()
                )));
            }
            let target = GeoPackage::create_file(out).await?;
            let op = Operation {
                kind: OperationKind::Import,
                changes: features.into_iter().map(Change::Upsert).collect(),
                publishes: None,
            };
            target.commit(&op, &cli_actor()).await?;
            target.close().await;
            pb.set_position(count as u64);
        }
    }
    pb.finish_and_clear();
    Ok(count)
}

/// Creates or updates an account; the password is hashed with argon2 and never stored as given.
pub async fn add_user(
    store: &dyn Store,
    name: &str,
    role: engine::access::Role,
    scope: engine::access::Scope,
    disabled: bool,
    password: &str,
) -> Result<(), CommandError> {
    engine::access::check_account_name(name).map_err(CommandError::Usage)?;
    let password = password.to_owned();
    let password_hash =
        tokio::task::spawn_blocking(move || crate::accounts::hash_password(&password))
            .await
            .map_err(|e| CommandError::Io(e.to_string()))?
            .map_err(CommandError::Usage)?;
    let account = store::Account {
        name: name.to_owned(),
        password_hash,
        role,
        scope,
        disabled,
    };
    store.put_account(&account, &cli_actor()).await?;
    Ok(())
}

/// Opens a store by location.
pub async fn open_store(location: &str) -> Result<Box<dyn Store>, CommandError> {
    Ok(store::open(location).await?)
}
