//! The tile benchmark (`gridatlas-bench tiles`): the server, martin (cache disabled) on the
//! PostGIS tile functions, martin serving the city's PMTiles archive (`gridatlas export
//! --tiles`) and raw PostGIS `ST_AsMVT` on the same synthetic city and the same fixed tile list,
//! cold and warm, printed side by side with ratios; the archive's tiles are compared with the
//! server's byte for byte after decompression. Figures are printed, never asserted.

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::{Layer, Snapshot};
use gridatlas_server::api::{self, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::CommandError;
use sqlx::PgPool;
use tiles::{TileCache, TileId};
use tokio::process::Child;

use crate::city;
use crate::latency::{http_size, run_pass, Pass, CONCURRENCY};
use crate::tile_list::tile_list;

/// Zoom levels measured, from the district overview down to single streets.
const ZOOMS: [u8; 4] = [10, 12, 14, 16];
/// How long martin may take to accept connections.
const MARTIN_START: Duration = Duration::from_secs(60);

/// Everything the tiles are requested from.
struct Targets {
    client: reqwest::Client,
    server_port: u16,
    /// The server's tile cache, cleared before every cold pass.
    cache: Arc<TileCache>,
    /// martin's port, when martin runs.
    martin_port: Option<u16>,
    /// The port of martin serving the city's PMTiles archive, when martin runs.
    archive_port: Option<u16>,
    pool: PgPool,
}

/// The figures of one zoom level that the ratios compare.
struct ZoomFigures {
    z: u8,
    tiles: usize,
    server_cold: Pass,
    martin: Option<Pass>,
    archive: Option<Pass>,
    postgis: Pass,
}

/// Runs the benchmark against an empty PostGIS database at `database_url`; without `martin_bin`
/// (or when martin does not start) martin is left out and says so.
pub async fn run(
    database_url: &str,
    buildings: usize,
    martin_bin: Option<&str>,
    per_zoom: usize,
) -> Result<(), CommandError> {
    let (atlas, pool) = city::into_postgis(database_url, buildings).await?;
    let atlas = Arc::new(atlas);
    let snapshot = atlas.snapshot();
    let bounds = tiles::data_bounds(&snapshot)
        .ok_or_else(|| CommandError::Usage("the city is empty".into()))?;
    let (server_port, cache) = serve(atlas.clone()).await?;
    // Kept alive (killed on drop) until the measurements are done.
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tiles/martin.yaml");
    let workdir = std::env::temp_dir().join(format!("gridatlas-tiles-{}", std::process::id()));
    let (martin, archived) = if let Some(bin) = martin_bin {
        let martin = start_martin(
            bin,
            &["--config", &config.display().to_string()],
            &[("DATABASE_URL", database_url)],
        )
        .await?;
        let archived = match martin {
            Some(_) => {
                let archive = export_archive(database_url, &workdir).await?;
                start_martin(bin, &[&archive.display().to_string()], &[]).await?
            }
            None => None,
        };
        (martin, archived)
    } else {
        println!("martin: not given (--martin or MARTIN_BIN); left out");
        (None, None)
    };
    let targets = Targets {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(CONCURRENCY)
            .build()
            .map_err(|e| CommandError::Io(e.to_string()))?,
        server_port,
        cache,
        martin_port: martin.as_ref().map(|(_, port)| *port),
        archive_port: archived.as_ref().map(|(_, port)| *port),
        pool,
    };
    println!(
        "\n{:>4} {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "z", "target", "tiles/s", "p50 ms", "p99 ms", "max ms", "mean KiB", "max KiB"
    );
    let mut figures = Vec::new();
    for z in ZOOMS {
        figures.push(measure_zoom(&targets, z, &tile_list(bounds, z, per_zoom)?).await?);
    }
    drop((martin, archived));
    std::fs::remove_dir_all(&workdir).ok();
    print_ratios(&figures);
    print_largest_tile(&snapshot, bounds)?;
    atlas.store().close().await;
    Ok(())
}

/// Serves the atlas on a loopback port; returns the port and the server's tile cache.
async fn serve(atlas: Arc<Atlas>) -> Result<(u16, Arc<TileCache>), CommandError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| CommandError::Io(e.to_string()))?
        .port();
    let state = AppState::new(atlas, Config::default());
    let cache = state.tiles.clone();
    tokio::spawn(async move { axum::serve(listener, api::app(state)).await });
    Ok((port, cache))
}

/// The city's tiles of the measured zooms as one PMTiles archive in `dir`, as `gridatlas export
/// --tiles` writes it; prints its time and size.
async fn export_archive(
    database_url: &str,
    dir: &std::path::Path,
) -> Result<std::path::PathBuf, CommandError> {
    std::fs::create_dir_all(dir).map_err(|e| CommandError::Io(e.to_string()))?;
    let archive = dir.join("city.pmtiles");
    let store = gridatlas_server::commands::open_store(database_url).await?;
    let zooms = (ZOOMS[0], ZOOMS[ZOOMS.len() - 1]);
    let t0 = Instant::now();
    gridatlas_server::tile_archive::export_tiles(store, &archive, None, zooms, false).await?;
    let size = std::fs::metadata(&archive).map_or(0, |m| m.len());
    println!(
        "PMTiles archive of z{}–{}: {:.1} s, {:.1} MiB (loading the store included)",
        zooms.0,
        zooms.1,
        t0.elapsed().as_secs_f64(),
        size as f64 / 1_048_576.0
    );
    Ok(archive)
}

/// Starts martin (cache disabled) with `args` and `env`, and waits until it listens. When it
/// cannot start, says why and returns `None`: martin is a peer, not a requirement.
async fn start_martin(
    bin: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Option<(Child, u16)>, CommandError> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| CommandError::Io(e.to_string()))?
        .port();
    let spawned = tokio::process::Command::new(bin)
        .args(args)
        .args(["--listen-addresses", &format!("127.0.0.1:{port}")])
        .envs(env.iter().copied())
        .env("MARTIN_LISTEN", format!("127.0.0.1:{port}"))
        .env("MARTIN_CACHE_MB", "0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(e) => {
            println!("martin: cannot start {bin} ({e}); left out");
            return Ok(None);
        }
    };
    let start = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if start.elapsed() > MARTIN_START {
            println!(
                "martin: {bin} did not listen within {} s; left out",
                MARTIN_START.as_secs()
            );
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Some((child, port)))
}

/// The server cold and warm, martin and raw PostGIS on the same tiles of zoom `z`; prints a row
/// for each.
async fn measure_zoom(
    targets: &Targets,
    z: u8,
    list: &[TileId],
) -> Result<ZoomFigures, CommandError> {
    let row = |name: &str, p: &Pass| {
        println!(
            "{z:>4} {name:<22} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.1} {:>9.1}",
            p.per_s, p.p50_ms, p.p99_ms, p.max_ms, p.mean_kib, p.max_kib
        );
    };
    let (c, port) = (targets.client.clone(), targets.server_port);
    let server_fetch = move |t: TileId| {
        let (c, u) = (
            c.clone(),
            format!(
                "http://127.0.0.1:{port}/tiles/atlas/{}/{}/{}.mvt",
                t.z(),
                t.x(),
                t.y()
            ),
        );
        async move { http_size(&c, u).await }
    };
    targets.cache.clear();
    let server_cold = run_pass(list, server_fetch.clone()).await?;
    row("server cold", &server_cold);
    let warm = run_pass(list, server_fetch).await?;
    row("server warm", &warm);
    let mut martin = None;
    let mut archive = None;
    for (port, source, name, pass) in [
        (
            targets.martin_port,
            "atlas",
            "martin (no cache)",
            &mut martin,
        ),
        (
            targets.archive_port,
            "city",
            "martin PMTiles archive",
            &mut archive,
        ),
    ] {
        if let Some(port) = port {
            let p = run_pass(list, martin_fetch(targets.client.clone(), port, source)).await?;
            row(name, &p);
            *pass = Some(p);
        }
    }
    if let Some(port) = targets.archive_port {
        let (same, of) = same_as_server(targets, port, list).await?;
        println!("{z:>4} archive through martin: {same} of {of} tiles byte for byte the server's after decompression");
    }
    let pg = targets.pool.clone();
    let fetch = move |t: TileId| {
        let pg = pg.clone();
        async move {
            let bytes: Vec<u8> = sqlx::query_scalar("SELECT tile_atlas($1, $2, $3)")
                .bind(i32::from(t.z()))
                .bind(t.x() as i32)
                .bind(t.y() as i32)
                .fetch_one(&pg)
                .await
                .map_err(|e| e.to_string())?;
            Ok(bytes.len())
        }
    };
    let postgis = run_pass(list, fetch).await?;
    row("PostGIS ST_AsMVT", &postgis);
    Ok(ZoomFigures {
        z,
        tiles: list.len(),
        server_cold,
        martin,
        archive,
        postgis,
    })
}

/// A fetch of martin's tiles of `source` on `port`: `atlas`, the tile functions' composite, or
/// `city`, the archive (a PMTiles file is served under its file stem).
fn martin_fetch(
    client: reqwest::Client,
    port: u16,
    source: &'static str,
) -> impl Fn(
    TileId,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<usize, String>> + Send>>
       + Clone
       + Send
       + Sync
       + 'static {
    move |t: TileId| {
        let (c, u) = (client.clone(), martin_url(port, source, t));
        Box::pin(async move { http_size(&c, u).await })
    }
}

/// martin's URL of tile `t` of `source`.
fn martin_url(port: u16, source: &str, t: TileId) -> String {
    format!(
        "http://127.0.0.1:{port}/{source}/{}/{}/{}",
        t.z(),
        t.x(),
        t.y()
    )
}

/// How many of `list` martin serves from the archive exactly as the server does (after
/// undoing gzip where martin passes the stored bytes on).
async fn same_as_server(
    targets: &Targets,
    archive_port: u16,
    list: &[TileId],
) -> Result<(usize, usize), CommandError> {
    let body = |url: String| async move {
        let io = |e: reqwest::Error| CommandError::Io(e.to_string());
        targets
            .client
            .get(url)
            .send()
            .await
            .map_err(io)?
            .bytes()
            .await
            .map_err(io)
    };
    let mut same = 0;
    for &t in list {
        let ours = body(format!(
            "http://127.0.0.1:{}/tiles/atlas/{}/{}/{}.mvt",
            targets.server_port,
            t.z(),
            t.x(),
            t.y()
        ))
        .await?;
        let theirs = body(martin_url(archive_port, "city", t)).await?;
        let theirs = if theirs.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&theirs[..]), &mut out)
                .map_err(|e| CommandError::Io(e.to_string()))?;
            out
        } else {
            theirs.to_vec()
        };
        if theirs[..] == ours[..] {
            same += 1;
        }
    }
    Ok((same, list.len()))
}

/// Server cold throughput divided by each peer's, zoom by zoom.
fn print_ratios(figures: &[ZoomFigures]) {
    println!("\nratios (server cold throughput ÷ peer throughput, same tiles, {CONCURRENCY} requests in flight):");
    for f in figures {
        let cold = &f.server_cold;
        let m = f.martin.as_ref().map_or("martin not run".to_owned(), |m| {
            format!("{:.1}× martin", cold.per_s / m.per_s)
        });
        let m = match &f.archive {
            Some(a) => format!(
                "{m}, {:.2}× martin on the PMTiles archive",
                cold.per_s / a.per_s
            ),
            None => m,
        };
        println!(
            "  z{:<2} ({} tiles): {m}, {:.1}× PostGIS ST_AsMVT; server cold max latency {:.1} ms, largest tile {:.0} KiB",
            f.z,
            f.tiles,
            cold.per_s / f.postgis.per_s,
            cold.max_ms,
            cold.max_kib
        );
    }
}

/// The largest composite tile over every tile of z0–z12 (where tiles are heaviest), against the
/// 500 KB limit.
fn print_largest_tile(snapshot: &Snapshot, bounds: [f64; 4]) -> Result<(), CommandError> {
    let mut largest = (0usize, String::new());
    for z in 0..=12u8 {
        for t in tile_list(bounds, z, usize::MAX)? {
            let size = tiles::encode(snapshot, &Layer::ALL, t).len();
            if size > largest.0 {
                largest = (size, t.to_string());
            }
        }
    }
    println!(
        "largest composite tile over every tile of z0–z12: {:.0} KiB ({}) — limit 500 KB",
        largest.0 as f64 / 1024.0,
        largest.1
    );
    Ok(())
}
