//! The load run (`gridatlas-bench load`): for `seconds`, `clients` concurrent clients on loopback
//! mix tile requests (z12–z16 over the demo district), feature pages, coverage queries, search and
//! versioned edits against the demo district on a fresh GeoPackage; prints throughput, p50/p99
//! and every error. Figures are printed, never asserted.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::access::{Role, Scope};
use engine::Snapshot;
use gridatlas_server::api::{self, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{add_user, load_dataset, CommandError};
use gridatlas_server::store::gpkg::GeoPackage;

use crate::latency::summarize;
use crate::tile_list::tile_list;

/// The editing account the clients sign in as.
const ACCOUNT: &str = "load";
const PASSWORD: &str = "load-test-password";

/// What the clients request, shared by all of them.
struct Mix {
    base: String,
    token: String,
    tile_paths: Vec<String>,
    station_ids: Vec<i64>,
}

/// Latencies by request kind, failures and refused edits of one or all clients.
#[derive(Default)]
struct Tally {
    latencies: HashMap<&'static str, Vec<Duration>>,
    errors: Vec<String>,
    conflicts: usize,
}

/// Runs the load and prints its figures; fails when any request failed (409s are expected).
pub async fn run(seconds: u64, clients: usize) -> Result<(), CommandError> {
    let dir = std::env::temp_dir().join(format!("gridatlas-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::Io(e.to_string()))?;
    let atlas = open_demo(&dir).await?;
    let (tile_paths, station_ids) = requests(&atlas.snapshot())?;
    let base = serve(atlas).await?;
    let client = reqwest::Client::new();
    let token = sign_in(&client, &base, ACCOUNT, PASSWORD).await?;
    let mix = Arc::new(Mix {
        base,
        token,
        tile_paths,
        station_ids,
    });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|w| {
            tokio::spawn(client_loop(
                client.clone(),
                mix.clone(),
                w,
                clients,
                deadline,
            ))
        })
        .collect();
    let mut all = Tally::default();
    for w in workers {
        let tally = w.await.map_err(|e| CommandError::Io(e.to_string()))?;
        for (kind, v) in tally.latencies {
            all.latencies.entry(kind).or_default().extend(v);
        }
        all.errors.extend(tally.errors);
        all.conflicts += tally.conflicts;
    }
    print_report(seconds, clients, &all);
    std::fs::remove_dir_all(&dir).ok();
    if all.errors.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Io(format!(
            "{} requests failed",
            all.errors.len()
        )))
    }
}

/// The demo district on a fresh GeoPackage in `dir`, with the editing account.
async fn open_demo(dir: &Path) -> Result<Arc<Atlas>, CommandError> {
    let store = GeoPackage::open(&dir.join("load.gpkg")).await?;
    load_dataset(&store, data::demo_district()).await?;
    add_user(
        &store,
        ACCOUNT,
        Role::Admin,
        Scope::District,
        false,
        PASSWORD,
    )
    .await?;
    Ok(Arc::new(Atlas::open(Box::new(store)).await?))
}

/// The tile paths (z12–z16 over 红星街道, the street laid out in detail) and the stations the clients edit.
fn requests(snapshot: &Snapshot) -> Result<(Vec<String>, Vec<i64>), CommandError> {
    let bounds = tiles::data_bounds(snapshot).ok_or_else(|| CommandError::Usage("empty".into()))?;
    let street = snapshot
        .data
        .streets
        .iter()
        .find(|s| s.code == data::HONGXING_STREET)
        .and_then(|s| geo::BoundingRect::bounding_rect(&s.geometry));
    let focus = street.map_or(bounds, |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let mut tile_paths = Vec::new();
    for z in [12u8, 13, 14, 15, 16] {
        for t in tile_list(focus, z, 40)? {
            tile_paths.push(format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y()));
        }
    }
    let station_ids = snapshot
        .data
        .stations
        .iter()
        .take(20)
        .map(|s| s.id)
        .collect();
    Ok((tile_paths, station_ids))
}

/// Serves the atlas on a loopback port; returns its base URL.
pub(crate) async fn serve(atlas: Arc<Atlas>) -> Result<String, CommandError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| CommandError::Io(e.to_string()))?
        .port();
    tokio::spawn(async move {
        axum::serve(listener, api::app(AppState::new(atlas, Config::default()))).await
    });
    Ok(format!("http://127.0.0.1:{port}"))
}

/// Signs `account` in with `password`; returns its bearer token.
pub(crate) async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    account: &str,
    password: &str,
) -> Result<String, CommandError> {
    let login: serde_json::Value = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({ "name": account, "password": password }))
        .send()
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?
        .json()
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    Ok(login["token"].as_str().unwrap_or_default().to_owned())
}

/// One client: requests one after the other until `deadline`, client `first` of `clients`
/// taking every `clients`-th request of the mix.
async fn client_loop(
    client: reqwest::Client,
    mix: Arc<Mix>,
    first: usize,
    clients: usize,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut i = first;
    while Instant::now() < deadline {
        i += clients;
        let t0 = Instant::now();
        let (kind, result) = request(&client, &mix, i).await;
        match result {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                tally.latencies.entry(kind).or_default().push(t0.elapsed());
            }
            Ok(r) if r.status() == reqwest::StatusCode::CONFLICT => tally.conflicts += 1,
            Ok(r) => tally.errors.push(format!("{kind}: HTTP {}", r.status())),
            Err(e) => tally.errors.push(format!("{kind}: {e}")),
        }
    }
    tally
}

/// Request `i` of the mix: 6 in 10 tiles, then a feature page, a coverage query, a search and an
/// edit. Returns its kind and response.
async fn request(
    client: &reqwest::Client,
    mix: &Mix,
    i: usize,
) -> (&'static str, Result<reqwest::Response, String>) {
    let base = &mix.base;
    let (kind, url) = match i % 10 {
        0..=5 => (
            "tile",
            format!("{base}{}", mix.tile_paths[i % mix.tile_paths.len()]),
        ),
        6 => (
            "features",
            format!(
                "{base}/ogc/collections/compounds/items?limit=50&offset={}",
                (i * 7) % 150
            ),
        ),
        7 => (
            "coverage",
            format!("{base}/api/coverage?level=community&code=510504003004"),
        ),
        8 => ("search", format!("{base}/api/search?q=%E9%BE%99%E5%8D%97")),
        _ => return ("edit", edit(client, mix, i).await),
    };
    (
        kind,
        client.get(url).send().await.map_err(|e| e.to_string()),
    )
}

/// Renames a station with `If-Match` on the version just read: concurrent clients race on the
/// same stations, so some edits are refused with 409 by design.
async fn edit(client: &reqwest::Client, mix: &Mix, i: usize) -> Result<reqwest::Response, String> {
    let id = mix.station_ids[i % mix.station_ids.len()];
    let url = format!("{}/ogc/collections/stations/items/{id}", mix.base);
    let current: serde_json::Value = client
        .get(&url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .unwrap_or_default();
    let version = current["properties"]["version"].as_i64().unwrap_or(1);
    let mut next = current.clone();
    next["properties"]["name"] = serde_json::json!(format!("压测{i}"));
    client
        .put(&url)
        .bearer_auth(&mix.token)
        .header("if-match", format!("\"{version}\""))
        .json(&next)
        .send()
        .await
        .map_err(|e| e.to_string())
}

/// Throughput and latency by request kind, the totals and the first errors.
fn print_report(seconds: u64, clients: usize, all: &Tally) {
    println!(
        "load run: {seconds} s, {clients} clients on loopback, demo district on the embedded store"
    );
    println!(
        "{:<10} {:>9} {:>10} {:>9} {:>9}",
        "request", "count", "per s", "p50 ms", "p99 ms"
    );
    let mut total = 0;
    let mut kinds: Vec<_> = all.latencies.iter().collect();
    kinds.sort_by_key(|(k, _)| **k);
    for (kind, v) in kinds {
        total += v.len();
        let p = summarize(v.clone(), &[], Duration::from_secs(seconds));
        println!(
            "{kind:<10} {:>9} {:>10.1} {:>9.2} {:>9.2}",
            v.len(),
            p.per_s,
            p.p50_ms,
            p.p99_ms
        );
    }
    println!(
        "total {total} requests ({:.0}/s), {} edits refused with 409 (expected under contention), {} errors",
        total as f64 / seconds as f64,
        all.conflicts,
        all.errors.len()
    );
    for e in all.errors.iter().take(10) {
        println!("  error: {e}");
    }
}
