//! Edits at city scale (`gridatlas-bench city-edits`, issue 16): the synthetic city in one
//! store, served on loopback. Prints the snapshot's bytes per feature, the city's coverage
//! computed from nothing, then one editor alone (an edit's commit, and the edit until the next
//! coverage answer for its community includes it), then the mixed load: editors renaming buildings while readers ask for tiles, feature
//! pages and coverage. Figures are printed, never asserted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::access::{Role, Scope};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::{add_user, open_store, CommandError};

use crate::latency::summarize;

const ACCOUNT: &str = "city-editor";
const PASSWORD: &str = "city-editor-password";

/// Resident memory of this process now, MiB (Linux `VmRSS`).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn io(e: impl std::fmt::Display) -> CommandError {
    CommandError::Io(e.to_string())
}

/// What the clients work on: buildings to rename (one list per editor) and communities and
/// tiles to read.
struct Targets {
    base: String,
    token: String,
    buildings: Vec<Vec<(i64, engine::model::Code)>>,
    /// Scattered buildings and stations to move (one editor).
    scattered: Vec<(i64, engine::model::Code)>,
    stations: Vec<(i64, engine::model::Code)>,
    communities: Vec<String>,
    tiles: Vec<String>,
}

/// Runs the benchmark on the city in `store` (a GeoPackage path or a PostGIS URL), generating a
/// city of `buildings` into it first when it is empty.
pub async fn run(
    store: &str,
    buildings: usize,
    editors: usize,
    readers: usize,
    seconds: u64,
) -> Result<(), CommandError> {
    let opened = open_store(store).await?;
    // Nothing loaded here before the snapshot is measured: an empty store is at version 0.
    let empty = opened.data_version().await? == 0;
    opened.close().await;
    if empty {
        // Generated and imported by a child process, so this one measures the snapshot alone.
        let exe = std::env::current_exe().map_err(io)?;
        let mut import = std::process::Command::new(exe);
        import.args(["import", "--scale", &buildings.to_string()]);
        if store.starts_with("postgres") {
            import.env("DATABASE_URL", store);
        } else {
            import.args(["--store", store]);
        }
        let status = import.status().map_err(io)?;
        if !status.success() {
            return Err(io("generating the city failed"));
        }
    }
    let store = open_store(store).await?;
    if store.account(ACCOUNT).await?.is_none() {
        add_user(
            store.as_ref(),
            ACCOUNT,
            Role::Admin,
            Scope::District,
            false,
            PASSWORD,
        )
        .await?;
    }
    let before = rss_mib();
    let t0 = Instant::now();
    let atlas = Arc::new(Atlas::open(store).await?);
    let loaded = t0.elapsed();
    let features = atlas.snapshot().data.total();
    let snapshot_mib = rss_mib() - before;
    println!(
        "city: {features} features; snapshot ready in {:.1} s, {snapshot_mib:.0} MiB resident, {:.0} bytes a feature",
        loaded.as_secs_f64(),
        snapshot_mib * 1024.0 * 1024.0 / features as f64
    );
    let snapshot = atlas.snapshot();
    let (boxes, ids) = engine::Layer::ALL.iter().fold((0, 0), |(b, i), &l| {
        let index = snapshot.index(l);
        (
            b + index.boxes.memory_bytes(),
            i + index.by_id.memory_bytes(),
        )
    });
    println!(
        "  of which the packed R-trees {:.1} MiB ({:.1} bytes a feature) and the id lookups {:.1} MiB ({:.1} bytes a feature)",
        boxes as f64 / 1048576.0,
        boxes as f64 / features as f64,
        ids as f64 / 1048576.0,
        ids as f64 / features as f64
    );
    drop(snapshot);
    let targets = Arc::new(targets(&atlas, editors.max(1)).await?);

    // The city's coverage, computed once from nothing (as after a start); every edit after it
    // updates it.
    let client = reqwest::Client::new();
    let t = Instant::now();
    coverage(&client, &targets, &targets.communities[0]).await?;
    println!(
        "the city's coverage from nothing (walking network, distances, rows, summaries): {:.2} s",
        t.elapsed().as_secs_f64()
    );

    // One editor alone: renames (nothing moves), then moves of a scattered building and of a
    // station by about a metre (the distances of what the move can reach are measured again).
    let p = |v: &[Duration]| summarize(v.to_vec(), &[], Duration::from_secs(1));
    for kind in [Edit::Rename, Edit::MoveBuilding, Edit::MoveStation] {
        let mut commit = Vec::new();
        let mut to_coverage = Vec::new();
        let picks = match kind {
            Edit::Rename => &targets.buildings[0],
            Edit::MoveBuilding => &targets.scattered,
            Edit::MoveStation => &targets.stations,
        };
        for (n, (id, community)) in picks.iter().take(20).enumerate() {
            let t = Instant::now();
            edit(&client, &targets, kind, *id, n).await?;
            commit.push(t.elapsed());
            coverage(&client, &targets, community).await?;
            to_coverage.push(t.elapsed());
        }
        let (c, v) = (p(&commit), p(&to_coverage));
        println!(
            "one editor, {} edits ({}): commit p50 {:.0} ms p99 {:.0} ms; until the community's coverage includes it p50 {:.0} ms p99 {:.0} ms (target 50 / 100 ms)",
            commit.len(),
            kind.describe(),
            c.p50_ms,
            c.p99_ms,
            v.p50_ms,
            v.p99_ms
        );
    }

    // The mixed load.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for e in 0..editors {
        let (client, targets) = (client.clone(), Arc::clone(&targets));
        tasks.push(tokio::spawn(async move {
            let mut tally: HashMap<&'static str, Vec<Duration>> = HashMap::new();
            let mut errors = 0usize;
            let mut i = 0;
            while Instant::now() < deadline {
                let (id, _) = &targets.buildings[e][i % targets.buildings[e].len()];
                let t = Instant::now();
                match rename(&client, &targets, *id, &format!("压测{e}-{i}")).await {
                    Ok(()) => tally.entry("edit").or_default().push(t.elapsed()),
                    Err(_) => errors += 1,
                }
                i += 1;
            }
            (tally, errors)
        }));
    }
    for r in 0..readers {
        let (client, targets) = (client.clone(), Arc::clone(&targets));
        tasks.push(tokio::spawn(async move {
            let mut tally: HashMap<&'static str, Vec<Duration>> = HashMap::new();
            let mut errors = 0usize;
            let mut i = r;
            while Instant::now() < deadline {
                let (kind, url) = match i % 4 {
                    0 | 1 => ("tile", targets.tiles[i % targets.tiles.len()].clone()),
                    2 => (
                        "features",
                        format!(
                            "/ogc/collections/buildings/items?community_code={}&limit=50",
                            targets.communities[i % targets.communities.len()]
                        ),
                    ),
                    _ => (
                        "coverage",
                        format!(
                            "/api/coverage?level=community&code={}",
                            targets.communities[i % targets.communities.len()]
                        ),
                    ),
                };
                let t = Instant::now();
                match client.get(format!("{}{url}", targets.base)).send().await {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        tally.entry(kind).or_default().push(t.elapsed());
                    }
                    _ => errors += 1,
                }
                i += readers;
            }
            (tally, errors)
        }));
    }
    let mut all: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    let mut errors = 0;
    for t in tasks {
        let (tally, e) = t.await.map_err(io)?;
        errors += e;
        for (k, v) in tally {
            all.entry(k).or_default().extend(v);
        }
    }
    println!("mixed load: {editors} editors and {readers} readers for {seconds} s on loopback");
    println!(
        "{:<10} {:>8} {:>9} {:>9} {:>9}",
        "request", "count", "per s", "p50 ms", "p99 ms"
    );
    let mut kinds: Vec<_> = all.into_iter().collect();
    kinds.sort_by_key(|(k, _)| *k);
    for (kind, v) in kinds {
        let s = summarize(v.clone(), &[], Duration::from_secs(seconds));
        println!(
            "{kind:<10} {:>8} {:>9.1} {:>9.1} {:>9.1}",
            v.len(),
            s.per_s,
            s.p50_ms,
            s.p99_ms
        );
    }
    println!("failed requests: {errors}");
    Ok(())
}

/// Serves the atlas, signs the editor in and picks what the clients touch: each editor its own
/// buildings (in its own communities), the communities to read, tiles z14–16 over buildings.
async fn targets(atlas: &Arc<Atlas>, editors: usize) -> Result<Targets, CommandError> {
    let snapshot = atlas.snapshot();
    let base = crate::load::serve(Arc::clone(atlas)).await?;
    let token = crate::load::sign_in(&reqwest::Client::new(), &base, ACCOUNT, PASSWORD).await?;
    let communities: Vec<String> = snapshot
        .data
        .communities
        .iter()
        .step_by((snapshot.data.communities.len() / 200).max(1))
        .map(|c| c.code.clone())
        .collect();
    let mut buildings = vec![Vec::new(); editors];
    let step = (snapshot.data.buildings.len() / (editors * 50)).max(1);
    for (n, b) in snapshot.data.buildings.iter().step_by(step).enumerate() {
        buildings[n % editors].push((b.id, b.community_code.clone()));
    }
    let scattered: Vec<_> = (snapshot.data.buildings.iter())
        .filter(|b| b.scattered())
        .step_by(97)
        .take(20)
        .map(|b| (b.id, b.community_code.clone()))
        .collect();
    let stations: Vec<_> = (snapshot.data.stations.iter())
        .step_by((snapshot.data.stations.len() / 20).max(1))
        .take(20)
        .map(|s| (s.id, s.community_code.clone()))
        .collect();
    let mut tiles = Vec::new();
    for b in snapshot.data.buildings.iter().step_by(step * 4) {
        let c = geo::Centroid::centroid(&b.geometry).map_or((0.0, 0.0), |p| (p.x(), p.y()));
        for z in [14u8, 15, 16] {
            if let Ok(t) = tiles::TileId::containing(c.0, c.1, z) {
                tiles.push(format!("/tiles/atlas/{}/{}/{}.mvt", t.z(), t.x(), t.y()));
            }
        }
    }
    if buildings.iter().any(Vec::is_empty)
        || tiles.is_empty()
        || scattered.is_empty()
        || stations.is_empty()
    {
        return Err(CommandError::Usage("the city has too few buildings".into()));
    }
    Ok(Targets {
        base,
        token,
        buildings,
        scattered,
        stations,
        communities,
        tiles,
    })
}

/// Renames a building.
async fn rename(
    client: &reqwest::Client,
    t: &Targets,
    id: i64,
    name: &str,
) -> Result<(), CommandError> {
    rewrite(client, t, "buildings", id, |f| {
        f["properties"]["name"] = serde_json::json!(name);
    })
    .await
}

/// Reads feature `id` of `collection`, changes it and writes it back with `If-Match` on the
/// version read.
async fn rewrite(
    client: &reqwest::Client,
    t: &Targets,
    collection: &str,
    id: i64,
    change: impl FnOnce(&mut serde_json::Value),
) -> Result<(), CommandError> {
    let url = format!("{}/ogc/collections/{collection}/items/{id}", t.base);
    let mut current: serde_json::Value = client
        .get(&url)
        .send()
        .await
        .map_err(io)?
        .json()
        .await
        .map_err(io)?;
    let version = current["properties"]["version"].as_i64().unwrap_or(1);
    change(&mut current);
    let resp = client
        .put(&url)
        .bearer_auth(&t.token)
        .header("if-match", format!("\"{version}\""))
        .json(&current)
        .send()
        .await
        .map_err(io)?;
    answered(resp, &format!("edit of {collection} {id}")).await
}

/// What one editor's edit does.
#[derive(Debug, Clone, Copy)]
enum Edit {
    /// Renames a building: nothing moves.
    Rename,
    /// Moves a scattered building (a unit) about a metre east, or back.
    MoveBuilding,
    /// Moves a station about a metre east, or back.
    MoveStation,
}

impl Edit {
    fn describe(self) -> &'static str {
        match self {
            Edit::Rename => "renaming a building",
            Edit::MoveBuilding => "moving a scattered building by 1 m",
            Edit::MoveStation => "moving a station by 1 m",
        }
    }
}

/// The `n`-th edit of its kind on feature `id`.
async fn edit(
    client: &reqwest::Client,
    t: &Targets,
    kind: Edit,
    id: i64,
    n: usize,
) -> Result<(), CommandError> {
    match kind {
        Edit::Rename => rename(client, t, id, &format!("单独改名{n}")).await,
        Edit::MoveBuilding => shift(client, t, "buildings", id, n).await,
        Edit::MoveStation => shift(client, t, "stations", id, n).await,
    }
}

/// Moves a feature about a metre east (an even `n`) or back west: every coordinate shifted.
async fn shift(
    client: &reqwest::Client,
    t: &Targets,
    collection: &str,
    id: i64,
    n: usize,
) -> Result<(), CommandError> {
    fn shifted(v: &mut serde_json::Value, dx: f64) {
        let serde_json::Value::Array(items) = v else {
            return;
        };
        if let [serde_json::Value::Number(x), serde_json::Value::Number(_)] = items.as_slice() {
            let x = x.as_f64().unwrap_or(0.0) + dx;
            items[0] = serde_json::json!(x);
        } else {
            items.iter_mut().for_each(|i| shifted(i, dx));
        }
    }
    let dx = if n % 2 == 0 { 1e-5 } else { -1e-5 };
    rewrite(client, t, collection, id, |f| {
        shifted(&mut f["geometry"]["coordinates"], dx);
    })
    .await
}

/// A successful answer read to its end, or an error naming `what`.
async fn answered(resp: reqwest::Response, what: &str) -> Result<(), CommandError> {
    if resp.status().is_success() {
        let _ = resp.bytes().await;
        Ok(())
    } else {
        Err(io(format!("{what}: HTTP {}", resp.status())))
    }
}

/// The coverage of one community.
async fn coverage(
    client: &reqwest::Client,
    t: &Targets,
    community: &str,
) -> Result<(), CommandError> {
    let resp = client
        .get(format!(
            "{}/api/coverage?level=community&code={community}",
            t.base
        ))
        .send()
        .await
        .map_err(io)?;
    answered(resp, &format!("coverage of {community}")).await
}
