//! The tile benchmark (`gridatlas bench tiles`): the server, martin (cache disabled) and raw
//! PostGIS `ST_AsMVT` on the same synthetic city and the same fixed tile list, cold and warm,
//! printed side by side with ratios. Figures are printed, never asserted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::Layer;
use tiles::TileId;

use crate::api::{self, AppState, Config};
use crate::atlas::Atlas;
use crate::commands::{load_dataset, CommandError};
use crate::store::postgis::PostGis;

/// Requests in flight at once for every target.
const CONCURRENCY: usize = 4;

/// Latency and throughput of one pass over the tile list.
#[derive(Debug, Clone)]
struct Pass {
    tiles_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_kib: f64,
    max_kib: f64,
}

fn summarize(mut latencies: Vec<Duration>, sizes: &[usize], wall: Duration) -> Pass {
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Pass {
        tiles_per_s: latencies.len() as f64 / wall.as_secs_f64(),
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        mean_kib: sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64 / 1024.0,
        max_kib: sizes.iter().copied().max().unwrap_or(0) as f64 / 1024.0,
    }
}

/// Runs `fetch` over every tile with [`CONCURRENCY`] workers.
async fn run_pass<F, Fut>(tiles: &[TileId], fetch: F) -> Result<Pass, CommandError>
where
    F: Fn(TileId) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<usize, String>> + Send,
{
    let queue = Arc::new(std::sync::Mutex::new(tiles.to_vec()));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (queue, fetch) = (queue.clone(), fetch.clone());
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().map_err(|e| e.to_string())?.pop();
                let Some(t) = next else { break };
                let t0 = Instant::now();
                let size = fetch(t).await?;
                out.push((t0.elapsed(), size));
            }
            Ok::<_, String>(out)
        }));
    }
    let mut latencies = Vec::new();
    let mut sizes = Vec::new();
    for w in workers {
        for (l, s) in w
            .await
            .map_err(|e| CommandError::Io(e.to_string()))?
            .map_err(CommandError::Io)?
        {
            latencies.push(l);
            sizes.push(s);
        }
    }
    Ok(summarize(latencies, &sizes, start.elapsed()))
}

/// A fixed, deterministic tile list at zoom `z`: up to `n` tiles spread over the data's extent.
fn tile_list(bounds: [f64; 4], z: u8, n: usize) -> Result<Vec<TileId>, CommandError> {
    let err = |e: tiles::TileError| CommandError::Io(e.to_string());
    let a = TileId::containing(bounds[0], bounds[3], z).map_err(err)?;
    let b = TileId::containing(bounds[2], bounds[1], z).map_err(err)?;
    let (w, h) = (u64::from(b.x() - a.x() + 1), u64::from(b.y() - a.y() + 1));
    let total = w * h;
    let step = (total / n as u64).max(1);
    let mut out = Vec::new();
    // A stride coprime-ish with the width spreads the sample over rows and columns.
    let mut k = 0u64;
    while out.len() < n && k < total {
        let i = (k * step + (k * 7919) % step) % total;
        out.push(TileId::new(z, a.x() + (i % w) as u32, a.y() + (i / w) as u32).map_err(err)?);
        k += 1;
    }
    Ok(out)
}

async fn http_size(client: &reqwest::Client, url: String) -> Result<usize, String> {
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    if !(status.is_success()) {
        return Err(format!("{url}: HTTP {status}"));
    }
    Ok(resp.bytes().await.map_err(|e| e.to_string())?.len())
}

/// Runs the benchmark against an empty PostGIS database at `database_url`.
pub async fn tiles(
    database_url: &str,
    buildings: usize,
    martin_bin: Option<&str>,
    per_zoom: usize,
) -> Result<(), CommandError> {
    println!("generating the synthetic city ({buildings} buildings) and loading it into PostGIS …");
    let data = tokio::task::spawn_blocking(move || data::synthetic_city(buildings, 1))
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let store = PostGis::connect(database_url).await?;
    let pool = store.pool().clone();
    let t0 = Instant::now();
    load_dataset(&store, data).await?;
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .map_err(crate::store::StoreError::from)?;
    println!("loaded in {:.1} s", t0.elapsed().as_secs_f64());
    let atlas = Arc::new(Atlas::open(Box::new(store)).await?);
    let snapshot = atlas.snapshot();
    let bounds = tiles::data_bounds(&snapshot)
        .ok_or_else(|| CommandError::Usage("the city is empty".into()))?;

    // The server, on loopback, from its in-memory snapshot.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let server_port = listener
        .local_addr()
        .map_err(|e| CommandError::Io(e.to_string()))?
        .port();
    let state = AppState::new(atlas.clone(), Config::default());
    let cache = state.tiles.clone();
    tokio::spawn(async move { axum::serve(listener, api::app(state)).await });

    // martin, with its cache disabled, on the same database.
    let martin = match martin_bin {
        None => None,
        Some(bin) => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| CommandError::Io(e.to_string()))?
                .port();
            let config =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tiles/martin.yaml");
            let child = tokio::process::Command::new(bin)
                .args(["--config", &config.display().to_string()])
                .env("DATABASE_URL", database_url)
                .env("MARTIN_LISTEN", format!("127.0.0.1:{port}"))
                .env("MARTIN_CACHE_MB", "0")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| CommandError::Io(format!("cannot start martin ({bin}): {e}")))?;
            let start = Instant::now();
            while tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err()
            {
                if start.elapsed() > Duration::from_secs(60) {
                    return Err(CommandError::Io("martin did not start".into()));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Some((child, port))
        }
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .map_err(|e| CommandError::Io(e.to_string()))?;

    println!(
        "\n{:>4} {:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "z", "target", "tiles/s", "p50 ms", "p99 ms", "max ms", "mean KiB", "max KiB"
    );
    let mut ratios = Vec::new();
    for z in [10u8, 12, 14, 16] {
        let list = tile_list(bounds, z, per_zoom)?;
        let row = |name: &str, p: &Pass| {
            println!(
                "{z:>4} {name:<22} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.1} {:>9.1}",
                p.tiles_per_s, p.p50_ms, p.p99_ms, p.max_ms, p.mean_kib, p.max_kib
            );
        };
        cache.clear();
        let url = move |t: TileId| {
            format!(
                "http://127.0.0.1:{server_port}/tiles/atlas/{}/{}/{}.mvt",
                t.z(),
                t.x(),
                t.y()
            )
        };
        let c = client.clone();
        let server_fetch = move |t: TileId| {
            let (c, u) = (c.clone(), url(t));
            async move { http_size(&c, u).await }
        };
        let cold = run_pass(&list, server_fetch.clone()).await?;
        row("server cold", &cold);
        let warm = run_pass(&list, server_fetch).await?;
        row("server warm", &warm);
        let mut martin_cold = None;
        if let Some((_, port)) = &martin {
            let port = *port;
            let c = client.clone();
            let fetch = move |t: TileId| {
                let (c, u) = (
                    c.clone(),
                    format!(
                        "http://127.0.0.1:{port}/atlas/{}/{}/{}",
                        t.z(),
                        t.x(),
                        t.y()
                    ),
                );
                async move { http_size(&c, u).await }
            };
            let p = run_pass(&list, fetch).await?;
            row("martin (no cache)", &p);
            martin_cold = Some(p);
        }
        let pg = pool.clone();
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
        let raw = run_pass(&list, fetch).await?;
        row("PostGIS ST_AsMVT", &raw);
        ratios.push((z, list.len(), cold.clone(), martin_cold, raw));
    }
    println!("\nratios (server cold throughput ÷ peer throughput, same tiles, {CONCURRENCY} requests in flight):");
    for (z, n, cold, martin, raw) in &ratios {
        let m = martin.as_ref().map_or("martin not run".to_owned(), |m| {
            format!("{:.1}× martin", cold.tiles_per_s / m.tiles_per_s)
        });
        println!("  z{z:<2} ({n} tiles): {m}, {:.1}× PostGIS ST_AsMVT; server cold max latency {:.1} ms, largest tile {:.0} KiB", cold.tiles_per_s / raw.tiles_per_s, cold.max_ms, cold.max_kib);
    }
    // Largest tile of every zoom over the whole extent up to z12 (where tiles are heaviest).
    let mut largest = (0usize, String::new());
    for z in 0..=12u8 {
        for t in tile_list(bounds, z, usize::MAX)? {
            let size = tiles::encode(&snapshot, &Layer::ALL, t).len();
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
    atlas.store().close().await;
    Ok(())
}

/// The coverage benchmark (`gridatlas bench coverage`): full recompute of every service type on the
/// synthetic city in the engine, against the equivalent PostGIS KNN queries (nearest counting
/// facility of every compound and scattered building, per service) on the same data.
pub async fn coverage(database_url: &str, buildings: usize) -> Result<(), CommandError> {
    use engine::analysis::{Coverage, Standards};
    use engine::FacilityLevel;
    println!("generating the synthetic city ({buildings} buildings) and loading it into PostGIS …");
    let data = tokio::task::spawn_blocking(move || data::synthetic_city(buildings, 1))
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let store = PostGis::connect(database_url).await?;
    let pool = store.pool().clone();
    load_dataset(&store, data).await?;
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .map_err(crate::store::StoreError::from)?;
    let atlas = Atlas::open(Box::new(store)).await?;
    let snapshot = atlas.snapshot();
    let standards = Standards::default();

    let mut engine_runs = Vec::new();
    for _ in 0..3 {
        let (snap, std) = (snapshot.clone(), standards.clone());
        let t = Instant::now();
        let cov = tokio::task::spawn_blocking(move || Coverage::compute(&snap, &std))
            .await
            .map_err(|e| CommandError::Io(e.to_string()))?
            .map_err(|e| CommandError::Io(e.to_string()))?;
        engine_runs.push(t.elapsed().as_secs_f64());
        drop(cov);
    }
    let engine_best = engine_runs.iter().copied().fold(f64::INFINITY, f64::min);
    println!("engine: full recompute of {} service types over {} compounds and {} scattered buildings: best {:.2} s of {:?}; peak memory {:.0} MiB",
        standards.services.len(), snapshot.data.compounds.len(), snapshot.data.buildings.iter().filter(|b| b.scattered()).count(),
        engine_best, engine_runs.iter().map(|s| (s * 100.0).round() / 100.0).collect::<Vec<_>>(), crate::commands::peak_rss_mib().unwrap_or(f64::NAN));

    let t = Instant::now();
    let mut rows = 0i64;
    for rule in &standards.services {
        let levels: Vec<&str> = [
            FacilityLevel::Compound,
            FacilityLevel::Community,
            FacilityLevel::Street,
        ]
        .into_iter()
        .filter(|l| rule.life_circle.admits(*l))
        .map(FacilityLevel::name)
        .collect();
        let spaces: Vec<&str> = rule.facilities.services.iter().map(|s| s.name()).collect();
        let kinds: Vec<&str> = rule
            .facilities
            .station_kinds
            .iter()
            .map(|k| k.name())
            .collect();
        let mut tx = pool.begin().await.map_err(crate::store::StoreError::from)?;
        for sql in [
            "CREATE TEMP TABLE f ON COMMIT DROP AS SELECT geom FROM service_spaces WHERE services && $1::text[] AND level = ANY($3)
             UNION ALL SELECT geom FROM stations WHERE kind = ANY($2) AND level = ANY($3)",
        ] {
            sqlx::query(sql).bind(&spaces).bind(&kinds).bind(&levels).execute(&mut *tx).await.map_err(crate::store::StoreError::from)?;
        }
        sqlx::query("CREATE INDEX ON f USING gist (geom)")
            .execute(&mut *tx)
            .await
            .map_err(crate::store::StoreError::from)?;
        sqlx::query("ANALYZE f")
            .execute(&mut *tx)
            .await
            .map_err(crate::store::StoreError::from)?;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(n.d) FROM (
                 SELECT geom FROM compounds UNION ALL SELECT geom FROM buildings WHERE compound_id IS NULL) u
             CROSS JOIN LATERAL (SELECT ST_Distance(u.geom::geography, f.geom::geography) AS d FROM f ORDER BY u.geom <-> f.geom LIMIT 1) n",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(crate::store::StoreError::from)?;
        rows += n;
        tx.commit().await.map_err(crate::store::StoreError::from)?;
    }
    let postgis = t.elapsed().as_secs_f64();
    println!("PostGIS KNN (nearest counting facility per unit and service, geography distance): {postgis:.2} s for {rows} unit × service pairs");
    println!(
        "ratio: engine {:.1}× faster than PostGIS",
        postgis / engine_best
    );
    atlas.store().close().await;
    Ok(())
}

/// The load run (`gridatlas bench load`): for `seconds`, `clients` concurrent clients on loopback
/// mix tile requests (z12–z16 over the demo district), feature pages, coverage queries and
/// versioned edits against the demo district on a fresh GeoPackage; prints throughput, p50/p99
/// and every error. Figures are printed, never asserted.
pub async fn load(seconds: u64, clients: usize) -> Result<(), CommandError> {
    let dir = std::env::temp_dir().join(format!("gridatlas-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| CommandError::Io(e.to_string()))?;
    let store = crate::store::gpkg::GeoPackage::open(&dir.join("load.gpkg")).await?;
    load_dataset(&store, data::demo_district()).await?;
    crate::commands::add_user(
        &store,
        "load",
        engine::access::Role::Admin,
        engine::access::Scope::District,
        false,
        "load-test-password",
    )
    .await?;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await?);
    let snapshot = atlas.snapshot();
    let bounds =
        tiles::data_bounds(&snapshot).ok_or_else(|| CommandError::Usage("empty".into()))?;
    let hongxing = snapshot
        .data
        .streets
        .iter()
        .find(|s| s.code == "510504003")
        .map(|s| geo::BoundingRect::bounding_rect(&s.geometry))
        .flatten();
    let focus = hongxing.map_or(bounds, |r| [r.min().x, r.min().y, r.max().x, r.max().y]);
    let mut tile_paths = Vec::new();
    for z in [12u8, 13, 14, 15, 16] {
        for t in tile_list(focus, z, 40)? {
            tile_paths.push(format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y()));
        }
    }
    let station_ids: Vec<i64> = snapshot
        .data
        .stations
        .iter()
        .take(20)
        .map(|s| s.id)
        .collect();
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
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let login: serde_json::Value = client
        .post(format!("{base}/api/session"))
        .json(&serde_json::json!({ "name": "load", "password": "load-test-password" }))
        .send()
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?
        .json()
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    let token = login["token"].as_str().unwrap_or_default().to_owned();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for w in 0..clients {
        let (client, base, token, tile_paths, ids) = (
            client.clone(),
            base.clone(),
            token.clone(),
            tile_paths.clone(),
            station_ids.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut conflicts) = (
                HashMap::<&'static str, Vec<Duration>>::new(),
                Vec::<String>::new(),
                0usize,
            );
            let mut i = w;
            while Instant::now() < deadline {
                i += clients;
                let t0 = Instant::now();
                let (kind, result) = match i % 10 {
                    0..=5 => (
                        "tile",
                        client
                            .get(format!("{base}{}", tile_paths[i % tile_paths.len()]))
                            .send()
                            .await,
                    ),
                    6 => (
                        "features",
                        client
                            .get(format!(
                                "{base}/ogc/collections/compounds/items?limit=50&offset={}",
                                (i * 7) % 150
                            ))
                            .send()
                            .await,
                    ),
                    7 => (
                        "coverage",
                        client
                            .get(format!(
                                "{base}/api/coverage?level=community&code=510504003004"
                            ))
                            .send()
                            .await,
                    ),
                    8 => (
                        "search",
                        client
                            .get(format!("{base}/api/search?q=%E9%BE%99%E5%8D%97"))
                            .send()
                            .await,
                    ),
                    _ => {
                        let id = ids[i % ids.len()];
                        let url = format!("{base}/ogc/collections/stations/items/{id}");
                        let current: serde_json::Value = match client.get(&url).send().await {
                            Ok(r) => r.json().await.unwrap_or_default(),
                            Err(e) => {
                                errors.push(e.to_string());
                                continue;
                            }
                        };
                        let version = current["properties"]["version"].as_i64().unwrap_or(1);
                        let mut next = current.clone();
                        next["properties"]["name"] = serde_json::json!(format!("压测{i}"));
                        (
                            "edit",
                            client
                                .put(&url)
                                .bearer_auth(&token)
                                .header("if-match", format!("\"{version}\""))
                                .json(&next)
                                .send()
                                .await,
                        )
                    }
                };
                match result {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.entry(kind).or_default().push(t0.elapsed());
                    }
                    Ok(r) if r.status() == reqwest::StatusCode::CONFLICT => conflicts += 1,
                    Ok(r) => errors.push(format!("{kind}: HTTP {}", r.status())),
                    Err(e) => errors.push(format!("{kind}: {e}")),
                }
            }
            (lat, errors, conflicts)
        }));
    }
    let mut all: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    let (mut errors, mut conflicts) = (Vec::new(), 0);
    for w in workers {
        let (lat, e, c) = w.await.map_err(|e| CommandError::Io(e.to_string()))?;
        for (k, v) in lat {
            all.entry(k).or_default().extend(v);
        }
        errors.extend(e);
        conflicts += c;
    }
    println!(
        "load run: {seconds} s, {clients} clients on loopback, demo district on the embedded store"
    );
    println!(
        "{:<10} {:>9} {:>10} {:>9} {:>9}",
        "request", "count", "per s", "p50 ms", "p99 ms"
    );
    let mut total = 0;
    let mut kinds: Vec<_> = all.into_iter().collect();
    kinds.sort_by_key(|(k, _)| *k);
    for (kind, v) in kinds {
        total += v.len();
        let p = summarize(v.clone(), &[], Duration::from_secs(seconds));
        println!(
            "{kind:<10} {:>9} {:>10.1} {:>9.2} {:>9.2}",
            v.len(),
            p.tiles_per_s,
            p.p50_ms,
            p.p99_ms
        );
    }
    println!("total {total} requests ({:.0}/s), {conflicts} edits refused with 409 (expected under contention), {} errors", total as f64 / seconds as f64, errors.len());
    for e in errors.iter().take(10) {
        println!("  error: {e}");
    }
    std::fs::remove_dir_all(&dir).ok();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Io(format!(
            "{} requests failed",
            errors.len()
        )))
    }
}
