//! `gridatlas`: serve the atlas, load the demo district, import, export, migrate, manage accounts.
//! The benchmarks are a separate binary, `gridatlas-bench` (`bench/`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use engine::crs::Crs;
use engine::Layer;
use gridatlas_server::api::{self, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{self, CommandError};
use gridatlas_server::io;

/// Grid Atlas 社区网格与服务设施一张图: community grids and embedded services on one map.
#[derive(Parser)]
#[command(name = "gridatlas", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives.
#[derive(Args, Clone)]
struct StoreArgs {
    /// GeoPackage file of the embedded store (used when no database URL is given).
    #[arg(long, env = "GRIDATLAS_STORE", default_value = "gridatlas.gpkg")]
    store: String,
    /// PostgreSQL/PostGIS URL; when set, the atlas lives in PostGIS.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

impl StoreArgs {
    fn location(&self) -> &str {
        self.database_url
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or(&self.store)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the map, vector tiles and the API.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on.
        #[arg(long, env = "GRIDATLAS_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Folder of the built web map.
        #[arg(long, env = "GRIDATLAS_WEB_DIR", default_value = "web/dist")]
        web_dir: PathBuf,
        /// Public base URL for links (default: from the Host header).
        #[arg(long, env = "GRIDATLAS_PUBLIC_URL")]
        public_url: Option<String>,
        /// Raster basemap URL template with {z}/{x}/{y} (OSM or Tianditu style); none = no basemap.
        #[arg(long, env = "GRIDATLAS_BASEMAP_URL")]
        basemap_url: Option<String>,
        /// Attribution text of the basemap.
        #[arg(long, env = "GRIDATLAS_BASEMAP_ATTRIBUTION")]
        basemap_attribution: Option<String>,
        /// A streaming replica of the PostGIS primary to load the map from; writes, records and
        /// the data version stay on the primary, and no load is older than the primary's latest.
        #[arg(long, env = "GRIDATLAS_READ_DATABASE_URL")]
        read_database_url: Option<String>,
    },
    /// Load the demo district (龙马潭区) — or, with --scale, a synthetic city — into an empty store.
    Demo {
        #[command(flatten)]
        store: StoreArgs,
        /// Generate a synthetic city with this many buildings instead of the demo district.
        #[arg(long)]
        scale: Option<usize>,
    },
    /// Import files — GeoJSON, CSV, Excel (.xlsx/.xls), Shapefile (.shp), GeoPackage layers
    /// (.gpkg), OpenStreetMap ways (.osm.pbf) — all or nothing.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// Files to import; the layer comes from --layer or the file name (compounds.geojson;
        /// an .osm.pbf extract gives ways).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Layer of the files.
        #[arg(long, value_parser = parse_layer)]
        layer: Option<Layer>,
        /// Coordinate system of the files: wgs84, cgcs2000, gcj02 (AMap/Tencent), bd09 (Baidu) or
        /// EPSG:nnnn (4326, 4490, CGCS2000 Gauss-Krüger zones 4491–4554). Default: a
        /// Shapefile's .prj, else WGS84.
        #[arg(long)]
        crs: Option<Crs>,
        /// Text encoding of CSV/GeoJSON files and Shapefile attributes (utf-8, gbk, gb18030 …);
        /// by default a Shapefile's .cpg, else UTF-8, or GBK/GB18030 when the text is not UTF-8
        /// (the report says which).
        #[arg(long, value_parser = parse_encoding)]
        encoding: Option<&'static encoding_rs::Encoding>,
        /// The sheet of a workbook (default: the first) or the layer of a GeoPackage (default:
        /// the one named after --layer, or the only one) to read.
        #[arg(long)]
        sheet: Option<String>,
        /// Name a column the atlas does not know: 原列名=field (repeatable; 原列名= leaves it
        /// out).
        #[arg(long = "column", value_name = "原列名=FIELD")]
        columns: Vec<io::ColumnMap>,
        /// In a ledger without coordinates (rows naming community, compound and building), skip
        /// the rows that name no feature or several instead of refusing the ledger.
        #[arg(long)]
        skip_unmatched: bool,
        /// When the import is refused, also write its problems to this file (.xlsx or .csv):
        /// file, row, column, field, feature and reason, one row each.
        #[arg(long, value_name = "FILE")]
        problems: Option<PathBuf>,
        /// Check everything, report every problem, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Export a layer to GeoJSON or CSV, or every layer to a GeoPackage or an Excel ledger
    /// (one sheet a layer, Chinese headers and values; --community for one community's).
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Output file (.geojson, .csv, .xlsx or .gpkg).
        #[arg(
            long,
            short,
            required_unless_present = "tiles",
            conflicts_with = "tiles"
        )]
        out: Option<PathBuf>,
        /// Layer to export (all layers for .gpkg and .xlsx when omitted).
        #[arg(long, value_parser = parse_layer)]
        layer: Option<Layer>,
        /// Only features of this community (12-digit code).
        #[arg(long)]
        community: Option<String>,
        /// Write every layer's vector tiles to one PMTiles v3 archive instead (the server's
        /// tiles, gzip), for martin or any static host.
        #[arg(long, value_name = "ARCHIVE.pmtiles")]
        tiles: Option<PathBuf>,
        /// Smallest zoom of the archive.
        #[arg(long, default_value_t = 0, requires = "tiles")]
        minzoom: u8,
        /// Largest zoom of the archive.
        #[arg(long, default_value_t = 16, requires = "tiles")]
        maxzoom: u8,
        /// Bring an existing archive up to date: encode again only the tiles the edits since
        /// its data version touched, copy the rest.
        #[arg(long, requires = "tiles")]
        update: bool,
    },
    /// Print grid notice boards or a coverage report as PDF (or the first page as PNG).
    Print {
        #[command(subcommand)]
        what: Print,
    },
    /// Create or update the store's schema (PostGIS migrations; GeoPackage tables).
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage accounts (the first admin is created here).
    User {
        #[command(subcommand)]
        which: User,
    },
}

#[derive(Subcommand)]
enum Print {
    /// Notice boards 网格公示牌, one page a grid: of one grid, a community or a street.
    Boards {
        #[command(flatten)]
        store: StoreArgs,
        /// Output file (.pdf, or .png for the first page).
        #[arg(long, short)]
        out: PathBuf,
        /// One grid's code.
        #[arg(long, conflicts_with_all = ["community", "street"], required_unless_present_any = ["community", "street"])]
        grid: Option<String>,
        /// Every grid of a community (12-digit code).
        #[arg(long, conflicts_with = "street")]
        community: Option<String>,
        /// Every grid of a street (9-digit code).
        #[arg(long)]
        street: Option<String>,
        /// A4 or A3.
        #[arg(long, default_value = "A4", value_parser = parse_paper)]
        paper: print::Paper,
        /// The date printed (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
        /// The web map's public address the QR codes lead to.
        #[arg(
            long,
            env = "GRIDATLAS_PUBLIC_URL",
            default_value = "http://localhost:8080"
        )]
        link: String,
    },
    /// A street's or community's coverage report (A4, several pages).
    Report {
        #[command(flatten)]
        store: StoreArgs,
        /// Output file (.pdf, or .png for the first page).
        #[arg(long, short)]
        out: PathBuf,
        /// A street's code (9 digits).
        #[arg(
            long,
            conflicts_with = "community",
            required_unless_present = "community"
        )]
        street: Option<String>,
        /// Or a community's code (12 digits).
        #[arg(long)]
        community: Option<String>,
        /// The service mapped and ranked.
        #[arg(long, default_value = "elderly_care", value_parser = parse_service)]
        service: engine::ServiceType,
        /// Metres instead of the standard's threshold.
        #[arg(long)]
        threshold: Option<f64>,
        /// walk or straight (default: walk once the atlas has ways).
        #[arg(long, value_parser = parse_metric)]
        metric: Option<engine::analysis::DistanceMetric>,
        /// The date printed (YYYY-MM-DD; default today).
        #[arg(long, value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
    },
}

fn parse_paper(s: &str) -> Result<print::Paper, String> {
    print::Paper::from_name(s).ok_or_else(|| format!("paper: A4 or A3, got \"{s}\""))
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    engine::gridwork::parse_date(s).ok_or_else(|| format!("\"{s}\" is not a date YYYY-MM-DD"))
}

fn parse_service(s: &str) -> Result<engine::ServiceType, String> {
    engine::ServiceType::from_name(s).ok_or_else(|| {
        format!(
            "unknown service \"{s}\" (one of {})",
            engine::ServiceType::NAMES.join(", ")
        )
    })
}

fn parse_metric(s: &str) -> Result<engine::analysis::DistanceMetric, String> {
    match s {
        "walk" => Ok(engine::analysis::DistanceMetric::Walk),
        "straight" => Ok(engine::analysis::DistanceMetric::Straight),
        _ => Err(format!("metric: walk or straight, got \"{s}\"")),
    }
}

#[derive(Subcommand)]
enum User {
    /// Create or update an account. The password comes from GRIDATLAS_PASSWORD or, if unset, the
    /// first line of standard input (at least 10 characters).
    Add {
        #[command(flatten)]
        store: StoreArgs,
        /// Account name (letters, digits, _ . @ -).
        name: String,
        /// admin, planner, staff or viewer.
        #[arg(long)]
        role: engine::access::Role,
        /// district, street:<9-digit code> or community:<12-digit code>.
        #[arg(long)]
        scope: engine::access::Scope,
        /// Create the account disabled (or disable an existing one).
        #[arg(long)]
        disabled: bool,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// A text encoding by its WHATWG label (utf-8, gbk, gb18030, big5 …).
fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(s.trim().as_bytes())
        .ok_or_else(|| format!("unknown text encoding \"{s}\" (e.g. utf-8, gbk, gb18030)"))
}

fn parse_layer(s: &str) -> Result<Layer, String> {
    Layer::from_name(s).ok_or_else(|| {
        format!(
            "unknown layer \"{s}\" (one of {})",
            Layer::ALL
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(Cli::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    };
    // Every command has closed its store and finished its work by now. A task that never
    // yields would hold an unbounded shutdown forever (a CLI run that had written its output was
    // seen spinning in sqlx's pool maintenance at exit, sqlx#3645; the stores now run without
    // it), so the runtime gets a bounded shutdown.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    code
}

async fn run(cli: Cli) -> Result<(), CommandError> {
    match cli.command {
        Command::Serve {
            store,
            listen,
            web_dir,
            public_url,
            basemap_url,
            basemap_attribution,
            read_database_url,
        } => {
            let config = Config {
                public_url,
                web_dir: Some(web_dir),
                basemap_url,
                basemap_attribution,
            };
            serve(&store, read_database_url.as_deref(), listen, config).await
        }
        Command::Demo { store, scale } => load_demo(&store, scale).await,
        Command::Import {
            store,
            files,
            layer,
            crs,
            encoding,
            sheet,
            columns,
            skip_unmatched,
            problems,
            dry_run,
        } => {
            let source = io::Source {
                crs,
                encoding,
                sheet,
                columns: columns
                    .into_iter()
                    .fold(io::ColumnMap::default(), io::ColumnMap::merged),
                skip_unmatched,
                ..io::Source::default()
            };
            let result = import(&store, files, layer, source, dry_run).await;
            if let (Err(CommandError::Problems(found)), Some(out)) = (&result, &problems) {
                let rows: Vec<_> = found
                    .iter()
                    .map(|p| (p.file.as_deref(), &p.problem))
                    .collect();
                match io::problem_list::write(out, &rows) {
                    Ok(()) => eprintln!("the problems are listed in {}", out.display()),
                    Err(e) => eprintln!("{e}"),
                }
            }
            result
        }
        Command::Export {
            store,
            out,
            layer,
            community,
            tiles,
            minzoom,
            maxzoom,
            update,
        } => match (tiles, out) {
            (Some(archive), _) => {
                let store = commands::open_store(store.location()).await?;
                gridatlas_server::tile_archive::export_tiles(
                    store,
                    &archive,
                    layer,
                    (minzoom, maxzoom),
                    update,
                )
                .await
            }
            (None, Some(out)) => export(&store, &out, layer, community.as_deref()).await,
            (None, None) => Err(CommandError::Usage(
                "name --out FILE or --tiles ARCHIVE.pmtiles".into(),
            )),
        },
        Command::Print { what } => print_command(what).await,
        Command::Migrate { store } => migrate(&store).await,
        Command::User {
            which:
                User::Add {
                    store,
                    name,
                    role,
                    scope,
                    disabled,
                },
        } => add_user(&store, &name, role, scope, disabled).await,
        Command::User {
            which: User::List { store },
        } => list_users(&store).await,
    }
}

/// `serve`: opens the atlas and serves the map, tiles and API on `listen` until Ctrl-C.
async fn serve(
    store: &StoreArgs,
    read_location: Option<&str>,
    listen: SocketAddr,
    config: Config,
) -> Result<(), CommandError> {
    let location = store.location().to_owned();
    let store = gridatlas_server::store::open_with_reads(
        &location,
        read_location.filter(|u| !u.is_empty()),
    )
    .await?;
    let atlas = Atlas::open(store).await?;
    let snap = atlas.snapshot();
    tracing::info!(store = %atlas.store().location(), data_version = snap.version, features = snap.data.total(), "atlas loaded");
    if atlas.store().accounts().await?.is_empty() {
        tracing::warn!("no accounts yet: the atlas is read-only until you create the first admin with `gridatlas user add NAME --role admin --scope district`");
    }
    let atlas = Arc::new(atlas);
    // Over PostGIS, other servers' commits are announced (LISTEN/NOTIFY): the snapshot is read
    // again as soon as one lands, not only when the next request checks the store's version.
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let watched = Arc::clone(&atlas);
        tokio::spawn(gridatlas_server::store::postgis::listen_for_commits(
            location.clone(),
            move |version| {
                let atlas = Arc::clone(&watched);
                async move {
                    if version > atlas.snapshot().version {
                        if let Err(e) = atlas.catch_up().await {
                            tracing::warn!(error = %e, "could not read the store again");
                        }
                    }
                }
            },
        ));
    }
    let state = AppState::new(atlas, config);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CommandError::Io(format!("cannot listen on {listen}: {e}")))?;
    tracing::info!("serving on http://{listen}/ (map), http://{listen}/ogc (OGC API – Features)");
    axum::serve(listener, api::app(state))
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await
        .map_err(|e| CommandError::Io(e.to_string()))
}

/// `demo`: generates the demo district (or a synthetic city of `scale` buildings) and loads it.
async fn load_demo(store: &StoreArgs, scale: Option<usize>) -> Result<(), CommandError> {
    let location = store.location().to_owned();
    let data = tokio::task::spawn_blocking(move || match scale {
        Some(n) => data::synthetic_city(n, 1),
        None => data::demo_district(),
    })
    .await
    .map_err(|e| CommandError::Io(e.to_string()))?;
    let total = data.total();
    let store = commands::open_store(&location).await?;
    let demo = scale.is_none().then(|| data.clone());
    let mut version = commands::load_dataset(store.as_ref(), data).await;
    let mut records = 0;
    if let (Ok(_), Some(demo)) = (&version, demo) {
        match commands::load_demo_work(store.as_ref(), &demo).await {
            Ok(n) => records = n,
            Err(e) => version = Err(e),
        }
    }
    store.close().await;
    let version = version?;
    println!(
        "loaded {total} features into {} ({}), data version {version}",
        store.location(),
        store.kind()
    );
    if records > 0 {
        println!(
            "and {records} grid-work records of 龙南社区 (grid workers, organisations, visits, needs, building heads, residents' groups, the joint-management unit, resources, service projects)"
        );
    }
    Ok(())
}

/// `import`: imports `files` all or nothing (or only checks them with `dry_run`).
async fn import(
    store: &StoreArgs,
    files: Vec<PathBuf>,
    layer: Option<Layer>,
    source: io::Source,
    dry_run: bool,
) -> Result<(), CommandError> {
    let files: Vec<_> = files.into_iter().map(|f| (f, layer)).collect();
    let store = commands::open_store(store.location()).await?;
    let report = commands::import(store, &files, source, dry_run).await?;
    for note in &report.notes {
        println!("{note}");
    }
    if report.dry_run {
        println!(
            "dry run: {} features are valid; nothing was written",
            report.features
        );
    } else {
        println!(
            "imported {} features, data version {}",
            report.features, report.data_version
        );
    }
    Ok(())
}

/// `export`: writes a layer (or every layer) to `out`.
async fn export(
    store: &StoreArgs,
    out: &std::path::Path,
    layer: Option<Layer>,
    community: Option<&str>,
) -> Result<(), CommandError> {
    let store = commands::open_store(store.location()).await?;
    let n = commands::export(store, layer, community, out).await?;
    println!("exported {n} features to {}", out.display());
    Ok(())
}

/// `migrate`: opening the store brings its schema up to date.
async fn migrate(store: &StoreArgs) -> Result<(), CommandError> {
    let store = commands::open_store(store.location()).await?;
    println!(
        "{} schema is up to date at {}",
        store.kind(),
        store.location()
    );
    store.close().await;
    Ok(())
}

/// The new account's password: `GRIDATLAS_PASSWORD`, else the first line of standard input.
fn read_password() -> Result<String, CommandError> {
    if let Ok(p) = std::env::var("GRIDATLAS_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CommandError::Io(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `user add`: creates or updates an account.
async fn add_user(
    store: &StoreArgs,
    name: &str,
    role: engine::access::Role,
    scope: engine::access::Scope,
    disabled: bool,
) -> Result<(), CommandError> {
    let password = read_password()?;
    let store = commands::open_store(store.location()).await?;
    let result = commands::add_user(store.as_ref(), name, role, scope, disabled, &password).await;
    store.close().await;
    result?;
    println!("account {name} saved ({role})");
    Ok(())
}

/// `user list`: prints every account, tab-separated.
async fn list_users(store: &StoreArgs) -> Result<(), CommandError> {
    let store = commands::open_store(store.location()).await?;
    let accounts = store.accounts().await;
    store.close().await;
    for a in accounts? {
        println!(
            "{}\t{}\t{}{}",
            a.name,
            a.role,
            a.scope,
            if a.disabled { "\tdisabled" } else { "" }
        );
    }
    Ok(())
}

/// `print boards|report`: writes the document and says how many pages it has.
async fn print_command(what: Print) -> Result<(), CommandError> {
    use engine::analysis::report::ReportArea;
    use engine::gridwork::board::BoardScope;
    use gridatlas_server::printing::{print_to_file, PrintRequest};
    let today = || chrono::Local::now().date_naive();
    let (store, request, out) = match what {
        Print::Boards {
            store,
            out,
            grid,
            community,
            street,
            paper,
            date,
            link,
        } => {
            let scope = match (grid, community, street) {
                (Some(g), _, _) => BoardScope::Grid(g),
                (_, Some(c), _) => BoardScope::Community(c),
                (_, _, Some(s)) => BoardScope::Street(s),
                _ => {
                    return Err(CommandError::Usage(
                        "name --grid, --community or --street".into(),
                    ))
                }
            };
            let options = print::BoardOptions {
                paper,
                date: date.unwrap_or_else(today),
                link,
            };
            (store, PrintRequest::Boards { scope, options }, out)
        }
        Print::Report {
            store,
            out,
            street,
            community,
            service,
            threshold,
            metric,
            date,
        } => {
            let area = match (street, community) {
                (Some(s), _) => ReportArea::Street(s),
                (_, Some(c)) => ReportArea::Community(c),
                _ => return Err(CommandError::Usage("name --street or --community".into())),
            };
            let request = PrintRequest::Report {
                area,
                service,
                threshold_m: threshold,
                metric,
                options: print::ReportOptions {
                    date: date.unwrap_or_else(today),
                },
            };
            (store, request, out)
        }
    };
    let started = std::time::Instant::now();
    let store = commands::open_store(store.location()).await?;
    let pages = print_to_file(store, request, &out).await?;
    eprintln!(
        "printed {pages} page(s) to {} in {:.2} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
