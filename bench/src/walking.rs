//! The walking-distance benchmark (`gridatlas-bench walking`): on the synthetic city and its
//! generated ways, the engine's walking network (graph build, joining, memory) and the full
//! walking recompute of every service type, against pgRouting on `PostGIS` and pandana on the
//! same graph in the same run. Figures and ratios are printed, never asserted.
//!
//! pgRouting and pandana measure node-to-node distances: the engine's joins (a gate, building or
//! facility onto the nearest point of a segment, a virtual start cost) have no counterpart there.
//! So every joined facility of a rule starts at the nearer node of its segment, and besides its
//! real recompute (units' joins included) the engine runs the very same node-to-node searches,
//! which give the distances checked against both.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use engine::analysis::{
    walk_network, Coverage, FacilitySelector, LifeCircle, Standards, WalkNetwork,
};
use engine::network::{Graph, Join, Nearest};
use engine::{Dataset, Snapshot};
use gridatlas_server::commands::CommandError;
use gridatlas_server::store::StoreError;
use rayon::prelude::*;
use sqlx::postgres::{PgPoolCopyExt, PgPoolOptions};
use sqlx::PgPool;

use crate::city;
use crate::memory::peak_rss_mib;

/// Runs of every engine measurement; the best one counts.
const RUNS: usize = 3;
/// About this many nodes (every `n / SAMPLE`-th) are compared between the engine, pgRouting
/// and pandana, per rule.
const SAMPLE: usize = 1_000;
/// pgRouting's search bound, metres: none in effect (the engine's searches are unbounded).
const NO_BOUND_M: f64 = 1e15;
/// Rows per COPY message when loading the graph.
const COPY_ROWS: usize = 100_000;

const MIB: f64 = 1024.0 * 1024.0;

/// A distinct facility rule of the standards (selector and life circle), as the engine
/// measures it: a checklist item often shares its rule with a service type.
struct Rule {
    /// The service types and checklist items it serves, and its life circle.
    name: String,
    /// Counting facilities, as positions among stations then service spaces.
    members: Vec<usize>,
    /// The nearer node of each joined counting facility's segment, deduplicated: the sources
    /// of the node-to-node searches (engine, pgRouting, pandana).
    nodes: Vec<u32>,
    /// Counting facilities joined to the network.
    joined: usize,
    /// The engine's node-to-node distances of the sample nodes (`None`: not reachable).
    sample: Vec<Option<f64>>,
    /// Nodes the engine reaches, and the farthest one's metres.
    reached: usize,
    max_m: f64,
}

/// What the engine part leaves for the comparisons.
struct EngineRun {
    rules: Vec<Rule>,
    /// Best seconds of the walking part (per rule `nearest`, units included) and of the same
    /// searches node-to-node.
    walking_s: f64,
    nodes_s: f64,
    /// Best seconds of a full recompute (`Coverage::compute`) with the network built.
    recompute_s: f64,
    /// The graph in COPY text: edges (`id source target cost`) in chunks, and the rules'
    /// source nodes (`rule node`). pgRouting's ids are the engine's plus one.
    edges_copy: Vec<String>,
    sources_copy: String,
    nodes: usize,
    edges: usize,
    /// Every `step`-th node is in the sample.
    step: usize,
}

/// Runs the benchmark; `database_url` names an empty database on a server with pgRouting;
/// `pandana` is `scripts/bench_walking_pandana.py`, run by `python` (none: pandana left out).
pub async fn run(
    database_url: &str,
    buildings: usize,
    pandana: Option<&str>,
    python: &str,
) -> Result<(), CommandError> {
    println!("generating the synthetic city ({buildings} buildings) …");
    let data = city::generate(buildings).await?;
    if !data.ways.iter().any(engine::Way::walkable) {
        return Err(CommandError::Io(
            "the synthetic city has no walkable ways: nothing to walk on".into(),
        ));
    }
    let export = std::env::temp_dir().join(format!("gridatlas-walking-{}", std::process::id()));
    let dir = export.clone();
    let engine = tokio::task::spawn_blocking(move || engine_part(data, &dir))
        .await
        .map_err(|e| CommandError::Io(e.to_string()))??;

    let pgr = pgrouting(database_url, &engine).await;
    let pan = if let Some(script) = pandana {
        pandana_part(python, script, &export, &engine)
            .await
            .map(Some)
    } else {
        println!("pandana: left out (no --pandana script)");
        Ok(None)
    };
    let _ = std::fs::remove_dir_all(&export);
    let (w, n, full) = (engine.walking_s, engine.nodes_s, engine.recompute_s);
    let rules = engine.rules.len();
    match &pgr {
        Ok((vids, virtual_source)) => {
            if let Some(vids) = vids {
                println!(
                    "ratio: engine walking recompute ({rules} rules, every unit's distance: {w:.3} s) vs pgRouting start vids + equicost (node distances only, {vids:.2} s): {:.0}× faster; engine node-to-node ({n:.3} s): {:.0}×; engine full recompute ({full:.2} s): {:.0}×",
                    vids / w,
                    vids / n,
                    vids / full
                );
            }
            println!(
                "ratio: engine walking recompute ({rules} rules, every unit's distance: {w:.3} s) vs pgRouting from a virtual source (node distances only, {virtual_source:.2} s): {:.1}× faster; engine node-to-node ({n:.3} s): {:.1}×; engine full recompute ({full:.2} s): {:.1}×",
                virtual_source / w,
                virtual_source / n,
                virtual_source / full
            );
        }
        Err(e) => println!("pgRouting: failed: {e}"),
    }
    if let Ok(Some(p)) = &pan {
        let both = p.set_pois + p.nearest_pois;
        println!(
            "ratio: engine walking recompute ({w:.3} s) vs pandana nearest_pois ({:.3} s): {:.1}× faster, vs set_pois + nearest_pois ({both:.3} s): {:.1}×; engine node-to-node ({n:.3} s) vs nearest_pois: {:.1}×; engine full recompute ({full:.2} s) vs set_pois + nearest_pois: {:.1}× (pandana's contraction hierarchy, {:.2} s, left out)",
            p.nearest_pois,
            p.nearest_pois / w,
            both / w,
            p.nearest_pois / n,
            both / full,
            p.precompute
        );
    }
    pgr?;
    pan?;
    Ok(())
}

/// The distinct facility rules of the standards, in the engine's order (services, then
/// checklist items), with their counting facilities.
fn rules(data: &Dataset, standards: &Standards) -> Vec<Rule> {
    let canonical = |s: &FacilitySelector| {
        let mut c = s.clone();
        c.services.sort_unstable();
        c.services.dedup();
        c.station_kinds.sort_unstable();
        c.station_kinds.dedup();
        c
    };
    let mut keyed: Vec<(FacilitySelector, LifeCircle, Vec<&str>)> = Vec::new();
    let all = standards
        .services
        .iter()
        .map(|s| (canonical(&s.facilities), s.life_circle, s.service.name()))
        .chain(
            standards
                .checklist
                .iter()
                .map(|c| (canonical(&c.facilities), c.life_circle, c.item.name())),
        );
    for (selector, life_circle, name) in all {
        match keyed
            .iter_mut()
            .find(|(s, l, _)| *s == selector && *l == life_circle)
        {
            Some((_, _, names)) => names.push(name),
            None => keyed.push((selector, life_circle, vec![name])),
        }
    }
    keyed
        .into_iter()
        .map(|(selector, life_circle, names)| {
            let stations = data
                .stations
                .iter()
                .enumerate()
                .filter(|(_, s)| life_circle.admits(s.level) && selector.selects_station(s))
                .map(|(i, _)| i);
            let spaces = data
                .service_spaces
                .iter()
                .enumerate()
                .filter(|(_, s)| life_circle.admits(s.level) && selector.selects_space(s))
                .map(|(i, _)| i + data.stations.len());
            Rule {
                name: format!("{} ({} min)", names.join(" + "), life_circle.minutes()),
                members: stations.chain(spaces).collect(),
                nodes: Vec::new(),
                joined: 0,
                sample: Vec::new(),
                reached: 0,
                max_m: 0.0,
            }
        })
        .collect()
}

fn best(runs: &[f64]) -> f64 {
    runs.iter().copied().fold(f64::INFINITY, f64::min)
}

fn rounded(runs: &[f64]) -> Vec<f64> {
    runs.iter().map(|s| (s * 1000.0).round() / 1000.0).collect()
}

fn err(e: impl std::fmt::Display) -> CommandError {
    CommandError::Io(e.to_string())
}

/// The engine's side, off the async runtime: network build and joining, full recomputes, the
/// walking part alone and the node-to-node searches; writes pandana's input into `export`.
fn engine_part(data: Dataset, export: &Path) -> Result<EngineRun, CommandError> {
    let standards = Standards::default();
    let mut rules = rules(&data, &standards);
    let (snapshot, recompute_s) = recomputes(data, &standards, rules.len())?;
    let network = walk_network(&snapshot, standards.walking.join_limit_m)
        .ok_or_else(|| err("no walking network"))?;

    // The walking part alone: one multi-source search per rule, then every unit's distance
    // from its joins, the rules in parallel as Coverage::compute runs them.
    let walking: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let r: Vec<_> = rules
                .par_iter()
                .map(|r| network.nearest(&r.members))
                .collect();
            let s = t.elapsed().as_secs_f64();
            drop(r);
            s
        })
        .collect();
    println!(
        "engine: walking part alone ({} multi-source searches from all counting facilities, each unit's distance through its joins): best {:.3} s of {:?}",
        rules.len(),
        best(&walking),
        rounded(&walking)
    );
    let (nodes_s, step) = node_to_node(&network, &mut rules);
    println!(
        "engine: peak RSS after the walking runs {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    for rule in &rules {
        println!(
            "  rule {}: {} counting facilities, {} joined, {} source nodes; {} nodes reached, farthest {:.0} m",
            rule.name,
            rule.members.len(),
            rule.joined,
            rule.nodes.len(),
            rule.reached,
            rule.max_m
        );
    }
    let graph = &network.graph;
    write_export(graph, &rules, step, export)?;
    Ok(EngineRun {
        walking_s: best(&walking),
        nodes_s,
        recompute_s,
        edges_copy: edges_copy(graph),
        sources_copy: rules
            .iter()
            .enumerate()
            .flat_map(|(k, r)| {
                r.nodes
                    .iter()
                    .map(move |&n| format!("{k}\t{}\n", u64::from(n) + 1))
            })
            .collect(),
        nodes: graph.node_count(),
        edges: graph.edge_count(),
        step,
        rules,
    })
}

/// Full recomputes, printed: on a fresh snapshot each (as after an edit: the network is built
/// and joined, then every rule's straight and walking distances and the area summaries), then
/// on one snapshot whose network is built (memoized on it). Returns that snapshot and the best
/// seconds of the latter.
fn recomputes(
    data: Dataset,
    standards: &Standards,
    rules: usize,
) -> Result<(Snapshot, f64), CommandError> {
    let (compounds, scattered) = (
        data.compounds.len(),
        data.buildings.iter().filter(|b| b.scattered()).count(),
    );
    let mut snapshot = Snapshot::new(1, data);
    let (mut cold, mut builds, mut joins) = (Vec::new(), Vec::new(), Vec::new());
    let mut report = None;
    for run in 0..RUNS {
        if run > 0 {
            let data = std::mem::take(&mut snapshot.data);
            snapshot = Snapshot::new(run as i64 + 1, data);
        }
        let t = Instant::now();
        let coverage = Coverage::compute(&snapshot, standards).map_err(err)?;
        cold.push(t.elapsed().as_secs_f64());
        let r = coverage
            .network()
            .ok_or_else(|| err("no walking network was built"))?;
        builds.push(r.build_s);
        joins.push(r.join_s);
        report = Some((r, coverage.unjoined(&snapshot).len()));
    }
    let (report, unjoined) = report.ok_or_else(|| err("no run"))?;
    let warm: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            Coverage::compute(&snapshot, standards).map(|_| t.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()
        .map_err(err)?;
    println!(
        "walking network: {} ways ({} walkable) → {} nodes, {} edges; {} of {} units ({compounds} compounds, {scattered} scattered buildings) and {} facilities joined, {unjoined} left unjoined (join limit {} m)",
        report.ways,
        report.walkable_ways,
        report.nodes,
        report.edges,
        report.joined_units,
        compounds + scattered,
        report.joined_facilities,
        standards.walking.join_limit_m
    );
    let build_join: Vec<f64> = builds.iter().zip(&joins).map(|(b, j)| b + j).collect();
    println!(
        "engine: graph build (graph + segment index) best {:.2} s of {:?}; joining every unit and facility best {:.2} s of {:?}; together best {:.2} s",
        best(&builds),
        rounded(&builds),
        best(&joins),
        rounded(&joins),
        best(&build_join)
    );
    let network = walk_network(&snapshot, standards.walking.join_limit_m)
        .ok_or_else(|| err("no walking network"))?;
    let graph_bytes = network.graph.memory_bytes();
    let (junctions, chained, peeled) = network.skeleton.counts();
    println!(
        "skeleton: {junctions} junctions (the heap's nodes), {chained} nodes inside chains, {peeled} nodes in trees hung off the core; {:.1} MiB",
        network.skeleton.memory_bytes() as f64 / MIB
    );
    println!(
        "engine memory: graph {:.1} MiB, graph + skeleton + segment index {:.1} MiB ({:.0} B per edge); one search's arrays {:.1} MiB; process peak RSS (VmHWM, city and snapshot included) {:.0} MiB",
        graph_bytes as f64 / MIB,
        report.memory_bytes as f64 / MIB,
        report.memory_bytes as f64 / report.edges.max(1) as f64,
        // Distance and source per node, and per junction during the heap search.
        ((report.nodes + junctions) * 12) as f64 / MIB,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    println!(
        "engine: full recompute (Coverage::compute, {} service types and {} checklist items = {rules} distinct facility rules, straight and walking distances, area summaries), network built anew as after an edit: best {:.2} s of {:?}",
        standards.services.len(),
        standards.checklist.len(),
        best(&cold),
        rounded(&cold)
    );
    println!(
        "engine: full recompute on the same snapshot, network already built: best {:.2} s of {:?}",
        best(&warm),
        rounded(&warm)
    );
    Ok((snapshot, best(&warm)))
}

/// The node-to-node searches, timed: every joined facility of a rule at the nearer node of its
/// segment, all rules in parallel. Fills each rule's source nodes, sample distances and reach;
/// returns the best seconds and the sample's step.
fn node_to_node(network: &WalkNetwork, rules: &mut [Rule]) -> (f64, usize) {
    let graph = &network.graph;
    let mut incident = vec![u32::MAX; graph.node_count()];
    for e in 0..graph.edge_count() as u32 {
        for n in graph.edge_nodes(e) {
            if incident[n as usize] == u32::MAX {
                incident[n as usize] = e;
            }
        }
    }
    // A source exactly at a node: on one of its edges, at that end, joined from the node itself.
    let node_join = |n: u32| {
        let e = incident[n as usize];
        let t = if graph.edge_nodes(e)[0] == n {
            0.0
        } else {
            1.0
        };
        Join::on_edge(graph, e, t, graph.coord(n), 0.0)
    };
    let mut sources: Vec<Vec<Join>> = Vec::new();
    for rule in rules.iter_mut() {
        let joined: Vec<&Join> = rule
            .members
            .iter()
            .filter_map(|&f| network.facility_join(f))
            .collect();
        rule.joined = joined.len();
        rule.nodes = joined
            .iter()
            .map(|j| {
                let [a, b] = graph.edge_nodes(j.edge);
                if j.along_m[0] <= j.along_m[1] {
                    a
                } else {
                    b
                }
            })
            .collect();
        rule.nodes.sort_unstable();
        rule.nodes.dedup();
        sources.push(rule.nodes.iter().map(|&n| node_join(n)).collect());
    }
    let mut walks = Vec::new();
    let runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            walks = sources
                .par_iter()
                .map(|s| Nearest::from_sources(graph, &network.skeleton, s))
                .collect();
            t.elapsed().as_secs_f64()
        })
        .collect();
    println!(
        "engine: node-to-node, the same {} searches from the facilities' nodes (what pgRouting and pandana compute): best {:.3} s of {:?}",
        rules.len(),
        best(&runs),
        rounded(&runs)
    );
    let step = (graph.node_count() / SAMPLE).max(1);
    for (rule, walk) in rules.iter_mut().zip(&walks) {
        rule.sample = (0..graph.node_count() as u32)
            .step_by(step)
            .map(|n| walk.node(n).map(|(d, _)| d))
            .collect();
        rule.reached = walk.reached().count();
        rule.max_m = walk.reached().map(|(_, d)| d).fold(0.0, f64::max);
    }
    (best(&runs), step)
}

/// The edges as COPY text (`id source target cost`, ids the engine's plus one), in chunks.
fn edges_copy(graph: &Graph) -> Vec<String> {
    let ids: Vec<u32> = (0..graph.edge_count() as u32).collect();
    ids.chunks(COPY_ROWS)
        .map(|chunk| {
            let mut s = String::with_capacity(chunk.len() * 48);
            for &e in chunk {
                let [a, b] = graph.edge_nodes(e);
                // f64's Display is the shortest text that reads back to the same value.
                let _ = writeln!(
                    s,
                    "{}\t{}\t{}\t{}",
                    u64::from(e) + 1,
                    u64::from(a) + 1,
                    u64::from(b) + 1,
                    graph.edge_length(e)
                );
            }
            s
        })
        .collect()
}

/// pandana's input: little-endian arrays of the nodes, edges and each rule's source nodes,
/// and a manifest.
fn write_export(
    graph: &Graph,
    rules: &[Rule],
    step: usize,
    dir: &Path,
) -> Result<(), CommandError> {
    std::fs::create_dir_all(dir).map_err(err)?;
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).map_err(err);
    let edges = 0..graph.edge_count() as u32;
    write(
        "node_x.f64",
        graph
            .coords()
            .iter()
            .flat_map(|c| c.x.to_le_bytes())
            .collect(),
    )?;
    write(
        "node_y.f64",
        graph
            .coords()
            .iter()
            .flat_map(|c| c.y.to_le_bytes())
            .collect(),
    )?;
    write(
        "edge_from.u32",
        edges
            .clone()
            .flat_map(|e| graph.edge_nodes(e)[0].to_le_bytes())
            .collect(),
    )?;
    write(
        "edge_to.u32",
        edges
            .clone()
            .flat_map(|e| graph.edge_nodes(e)[1].to_le_bytes())
            .collect(),
    )?;
    write(
        "edge_length.f64",
        edges
            .flat_map(|e| graph.edge_length(e).to_le_bytes())
            .collect(),
    )?;
    for (k, rule) in rules.iter().enumerate() {
        write(
            &format!("sources_{k}.u32"),
            rule.nodes.iter().flat_map(|n| n.to_le_bytes()).collect(),
        )?;
    }
    let manifest = serde_json::json!({
        "nodes": graph.node_count(),
        "edges": graph.edge_count(),
        "sample_step": step,
        "rules": rules.iter().map(|r| serde_json::json!({
            "name": r.name,
            "sources": r.nodes.len(),
            // Past every reached node (pandana caps its answers at the search distance).
            "max_distance_m": (r.max_m * (1.0 + 1e-6) + 1.0).ceil(),
        })).collect::<Vec<_>>(),
    });
    write("manifest.json", manifest.to_string().into_bytes())
}

/// How one tool's distances of the sample nodes compare with the engine's node-to-node ones.
#[derive(Default)]
struct Agreement {
    compared: usize,
    max_abs_m: f64,
    /// Relative to the engine's distance, or to 1 m below 1 m.
    max_rel: f64,
    /// The other's distance above and below the engine's, at most, metres.
    max_longer_m: f64,
    max_shorter_m: f64,
    /// Sample nodes whose distances differ by more than 10⁻⁶ relative.
    differing: usize,
    /// Sample nodes one side reaches and the other does not.
    reach_mismatches: usize,
}

impl Agreement {
    fn add(&mut self, engine: Option<f64>, other: Option<f64>) {
        match (engine, other) {
            (Some(a), Some(b)) => {
                let d = (a - b).abs();
                self.compared += 1;
                self.max_abs_m = self.max_abs_m.max(d);
                self.max_rel = self.max_rel.max(d / a.max(1.0));
                self.differing += usize::from(d / a.max(1.0) > 1e-6);
                self.max_longer_m = self.max_longer_m.max(b - a);
                self.max_shorter_m = self.max_shorter_m.max(a - b);
            }
            (None, None) => {}
            _ => self.reach_mismatches += 1,
        }
    }

    fn line(&self) -> String {
        format!(
            "{} sample node distances compared: max difference {:.3e} m, {:.2e} relative (longer than the engine's by up to {:.3e} m, shorter by up to {:.3e} m), {} differ by more than 1e-6 relative; {} reached by one side only",
            self.compared,
            self.max_abs_m,
            self.max_rel,
            self.max_longer_m,
            self.max_shorter_m,
            self.differing,
            self.reach_mismatches
        )
    }
}

/// One pgRouting search: seconds, nodes reached, the sample nodes' distances.
struct PgrRun {
    seconds: f64,
    reached: i64,
    sample: Vec<(i64, f64)>,
}

/// The two ways pgRouting searches from all facilities of a rule.
#[derive(Clone, Copy)]
enum Variant {
    /// `pgr_drivingDistance` with every source node as a start vertex, `equicost` (each node to
    /// its nearest start): pgRouting's own multi-source form.
    StartVids,
    /// One search from a virtual node 0 joined to every source node by a zero-cost edge.
    VirtualSource,
}

impl Variant {
    fn label(self) -> &'static str {
        match self {
            Variant::StartVids => {
                "pgr_drivingDistance(edges, all source nodes, directed => false, equicost => true)"
            }
            Variant::VirtualSource => {
                "pgr_drivingDistance from a virtual node joined to all source nodes at cost 0 (one search)"
            }
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Variant::StartVids => {
                "SELECT count(*),
                        coalesce(array_agg(node - 1) FILTER (WHERE (node - 1) % $2 = 0), '{}'),
                        coalesce(array_agg(agg_cost) FILTER (WHERE (node - 1) % $2 = 0), '{}')
                 FROM pgr_drivingDistance('SELECT id, source, target, cost FROM walk_edges',
                      ARRAY(SELECT node FROM walk_sources WHERE rule = $1), $3::float8,
                      directed => false, equicost => true)"
            }
            Variant::VirtualSource => {
                "SELECT count(*) FILTER (WHERE node <> 0),
                        coalesce(array_agg(node - 1) FILTER (WHERE node <> 0 AND (node - 1) % $2 = 0), '{}'),
                        coalesce(array_agg(agg_cost) FILTER (WHERE node <> 0 AND (node - 1) % $2 = 0), '{}')
                 FROM pgr_drivingDistance('SELECT id, source, target, cost FROM walk_edges
                      UNION ALL SELECT -node, 0, node, 0.0 FROM walk_sources WHERE rule = ' || $1,
                      0::bigint, $3::float8, directed => false)"
            }
        }
    }
}

/// Loads the graph into the database and times pgRouting from every rule's source nodes, the
/// rules spread over one session per core.
/// Waits (up to a minute) until every streaming standby of the server has replayed what was
/// just loaded, so that pgRouting is not timed while a standby on the same machine still
/// replays the load.
async fn settle_standbys(pool: &PgPool) -> Result<(), CommandError> {
    let t = Instant::now();
    loop {
        let behind: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_replication \
             WHERE replay_lsn IS NULL OR replay_lsn < pg_current_wal_lsn()",
        )
        .fetch_one(pool)
        .await
        .map_err(StoreError::from)?;
        if behind == 0 || t.elapsed().as_secs() >= 60 {
            if behind > 0 {
                println!("PostGIS: {behind} standby still replaying after 60 s; timing anyway");
            }
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn pgrouting(
    database_url: &str,
    engine: &EngineRun,
) -> Result<(Option<f64>, f64), CommandError> {
    let sessions = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    // No idle reaping, as the stores (sqlx#3645: the maintenance task can spin for good).
    let pool = PgPoolOptions::new()
        .max_connections(sessions as u32)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect(database_url)
        .await
        .map_err(StoreError::from)?;
    for sql in [
        "CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE",
        "DROP TABLE IF EXISTS walk_edges, walk_sources",
        "CREATE TABLE walk_edges (id bigint NOT NULL, source bigint NOT NULL, target bigint NOT NULL, cost float8 NOT NULL)",
        "CREATE TABLE walk_sources (rule int NOT NULL, node bigint NOT NULL)",
    ] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .map_err(StoreError::from)?;
    }
    let t = Instant::now();
    let mut copy = pool
        .copy_in_raw("COPY walk_edges FROM STDIN")
        .await
        .map_err(StoreError::from)?;
    for chunk in &engine.edges_copy {
        copy.send(chunk.as_bytes())
            .await
            .map_err(StoreError::from)?;
    }
    copy.finish().await.map_err(StoreError::from)?;
    let mut copy = pool
        .copy_in_raw("COPY walk_sources FROM STDIN")
        .await
        .map_err(StoreError::from)?;
    copy.send(engine.sources_copy.as_bytes())
        .await
        .map_err(StoreError::from)?;
    copy.finish().await.map_err(StoreError::from)?;
    for sql in [
        "CREATE INDEX ON walk_sources (rule)",
        "ANALYZE walk_edges",
        "ANALYZE walk_sources",
    ] {
        sqlx::query(sql)
            .execute(&pool)
            .await
            .map_err(StoreError::from)?;
    }
    settle_standbys(&pool).await?;
    let version: String = sqlx::query_scalar("SELECT pgr_version()")
        .fetch_one(&pool)
        .await
        .map_err(StoreError::from)?;
    println!(
        "PostGIS: the same graph loaded as walk_edges ({} edges, {} nodes; ids the engine's + 1, cost its length in metres) and every rule's source nodes in {:.1} s; pgRouting {version}, {sessions} sessions",
        engine.edges,
        engine.nodes,
        t.elapsed().as_secs_f64()
    );
    // pgRouting 3.4's equicost keeps a predecessor array (8 B per node) per start vertex.
    let starts = engine.rules.iter().map(|r| r.nodes.len());
    let (most, least) = (starts.clone().max().unwrap_or(0), starts.min().unwrap_or(0));
    let gib = |starts: usize| (starts * engine.nodes * 8) as f64 / (1u64 << 30) as f64;
    // A third of the machine's memory at most, for all sessions at once.
    let budget = mem_total_gib().unwrap_or(24.0) / 3.0;
    let vids = if gib(most) * sessions as f64 <= budget {
        Some(run_variant(&pool, sessions, Variant::StartVids, engine).await?)
    } else {
        println!(
            "pgRouting, {}: left out, it would not fit: pgRouting keeps a predecessor array per start vertex, {most} start vertices × {} nodes × 8 B = {:.1} GiB for the largest rule ({:.1} GiB for the smallest), {sessions} sessions at once, more than a third of the machine's memory ({budget:.1} GiB)",
            Variant::StartVids.label(),
            engine.nodes,
            gib(most),
            gib(least),
        );
        None
    };
    let virtual_source = run_variant(&pool, sessions, Variant::VirtualSource, engine).await?;
    pool.close().await;
    Ok((vids, virtual_source))
}

/// The machine's memory in GiB (Linux `MemTotal`).
fn mem_total_gib() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / (1024.0 * 1024.0))
}

/// Every rule's search in one pgRouting variant, the rules spread over `sessions` sessions;
/// prints the times and the agreement with the engine and returns the total seconds.
async fn run_variant(
    pool: &PgPool,
    sessions: usize,
    variant: Variant,
    engine: &EngineRun,
) -> Result<f64, CommandError> {
    let t = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..sessions {
        let pool = pool.clone();
        let ks: Vec<usize> = (s..engine.rules.len())
            .step_by(sessions)
            .filter(|&k| !engine.rules[k].nodes.is_empty())
            .collect();
        let step = engine.step as i64;
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for k in ks {
                out.push((k, pgr_search(&pool, variant, k, step).await?));
            }
            Ok::<_, CommandError>(out)
        }));
    }
    let mut runs: Vec<Option<PgrRun>> = (0..engine.rules.len()).map(|_| None).collect();
    for task in tasks {
        for (k, r) in task.await.map_err(err)?? {
            runs[k] = Some(r);
        }
    }
    let total = t.elapsed().as_secs_f64();
    let mut agreement = Agreement::default();
    let mut reached_equal = true;
    println!(
        "pgRouting, {}: {total:.2} s for {} rules",
        variant.label(),
        engine.rules.len()
    );
    for (rule, run) in engine.rules.iter().zip(&runs) {
        let Some(run) = run else {
            println!("  {}: no source node, not searched", rule.name);
            continue;
        };
        reached_equal &= usize::try_from(run.reached) == Ok(rule.reached);
        let theirs: HashMap<i64, f64> = run.sample.iter().copied().collect();
        for (i, mine) in rule.sample.iter().enumerate() {
            let node = (i * engine.step) as i64;
            agreement.add(*mine, theirs.get(&node).copied());
        }
        println!(
            "  {}: {:.2} s, {} nodes reached",
            rule.name, run.seconds, run.reached
        );
    }
    println!(
        "  agreement with the engine's node-to-node walks: {}; nodes reached per rule equal: {}",
        agreement.line(),
        if reached_equal { "yes" } else { "NO" }
    );
    Ok(total)
}

async fn pgr_search(
    pool: &PgPool,
    variant: Variant,
    rule: usize,
    step: i64,
) -> Result<PgrRun, CommandError> {
    let t = Instant::now();
    let (reached, nodes, costs): (i64, Vec<i64>, Vec<f64>) = sqlx::query_as(variant.sql())
        .bind(rule as i32)
        .bind(step)
        .bind(NO_BOUND_M)
        .fetch_one(pool)
        .await
        .map_err(StoreError::from)?;
    Ok(PgrRun {
        seconds: t.elapsed().as_secs_f64(),
        reached,
        sample: nodes.into_iter().zip(costs).collect(),
    })
}

/// pandana's figures, seconds: its contraction hierarchy, and all rules' `set_pois` and
/// `nearest_pois`.
struct PandanaFigures {
    precompute: f64,
    set_pois: f64,
    nearest_pois: f64,
}

/// Runs `scripts/bench_walking_pandana.py` on the exported graph and compares its answers.
async fn pandana_part(
    python: &str,
    script: &str,
    export: &Path,
    engine: &EngineRun,
) -> Result<PandanaFigures, CommandError> {
    let result: PathBuf = export.join("pandana.json");
    let status = tokio::process::Command::new(python)
        .arg(script)
        .arg(export)
        .arg(&result)
        .status()
        .await
        .map_err(|e| err(format!("{python} {script}: {e}")))?;
    if !status.success() {
        return Err(err(format!("{python} {script} failed: {status}")));
    }
    let out: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result).map_err(err)?).map_err(err)?;
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let build_s = num(&out["build_s"]);
    let (mut set_s, mut query_s) = (0.0, 0.0);
    let mut agreement = Agreement::default();
    println!(
        "pandana {} ({} cores): contraction hierarchy (precompute) {build_s:.2} s; peak RSS of its process {:.0} MiB",
        out["pandana"].as_str().unwrap_or("?"),
        out["cores"],
        num(&out["peak_rss_mib"])
    );
    let empty = Vec::new();
    for (k, rule) in engine.rules.iter().enumerate() {
        let r = &out["rules"][k];
        if r.is_null() {
            println!("  {}: no source node, not searched", rule.name);
            continue;
        }
        let (set, query, cap) = (
            num(&r["set_pois_s"]),
            num(&r["query_s"]),
            num(&r["max_distance_m"]),
        );
        set_s += set;
        query_s += query;
        let sample = r["sample"].as_array().unwrap_or(&empty);
        for (mine, theirs) in rule.sample.iter().zip(sample) {
            // pandana answers its search distance for a node without a POI within it.
            let theirs = theirs.as_f64().filter(|&d| d < cap);
            agreement.add(*mine, theirs);
        }
        println!(
            "  {}: set_pois {set:.3} s, nearest_pois {query:.3} s (search distance {cap:.0} m)",
            rule.name
        );
    }
    println!(
        "pandana: set_pois {set_s:.3} s, nearest_pois {query_s:.3} s for {} rules",
        engine.rules.len()
    );
    println!(
        "  agreement with the engine's node-to-node walks: {} (pandana keeps each edge length as whole millimetres, cut down, and answers in 32-bit floats)",
        agreement.line()
    );
    Ok(PandanaFigures {
        precompute: build_s,
        set_pois: set_s,
        nearest_pois: query_s,
    })
}
