//! Benchmark of automatic grid partition and joint-management clusters (not a test).
//!
//! Instances ([`instances`]):
//! - square lattices (rook adjacency) of 400, 2,500 and 10,000 units, 8–40 households each,
//!   70 % old (cap 150) and 30 % new (cap 300);
//! - real polygon sets of 400, 2,500 and 10,000 units from `data::synthetic_city`: whole
//!   compounds, or the buildings of compounds above the cap, tessellated within their
//!   communities' boundary;
//! - compound-sized units (the size of real compounds, about a grid): lattices of 36 to 2,500
//!   units of 20–300 households, compounds above the cap split along their buildings over
//!   adjacent cells; single communities of the synthetic city (20–60 units) and the demo
//!   district's 龙南社区 and 奥体社区, planned as the partition plans them.
//!
//! For each: partition time, grids, lower bound ⌈Σ load⌉ and ratio; max-p clusters (every unit
//! eligible, floor [`FLOOR_HOUSEHOLDS`]) time, clusters and upper bound. Each instance is
//! exported to `<out>/<name>.units.csv` (`id,households,cap,x,y`) and `<out>/<name>.adj.csv`
//! (`a,b`), and its figures appended to `<out>/results.csv`, for the peers in
//! `engine/examples/partition_peers.py` (spopt's max-p, `GerryChain`'s tree partitioning) and
//! the exact method in `engine/examples/partition_exact.py` (CP-SAT), which print them side by
//! side (`scripts/bench-partition.sh` runs it all). With `--best-of RUNS`, instances of at most
//! 2,500 units are also partitioned RUNS times with other seeds and a long search, the least
//! number of grids written to `<out>/best_known.csv` (the best known where no optimum is).
//!
//! ```sh
//! cargo run -p gridatlas-engine --release --example partition_bench [-- --out DIR] [--only NAME] [--best-of RUNS]
//! ```

mod instances;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use gridatlas_engine::planning::{
    auto_partition, check_plan, joint_management_clusters, max_p_regions, partition_graph, Caps,
    Catalog, ClusterOptions, MaxPParams, PartitionOptions, PartitionParams, Plan, PlanningContext,
    RuleOptions, TessellationOptions, UnitGraph,
};
use instances::Instance;

/// Households a cluster needs at least, in the cluster benchmark.
const FLOOR_HOUSEHOLDS: u64 = 1000;
const SIZES: [usize; 3] = [400, 2500, 10_000];

fn export(inst: &Instance, caps: Caps, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut units = String::from("id,households,cap,x,y\n");
    for (i, ((h, c), (x, y))) in inst
        .households
        .iter()
        .zip(&inst.classes)
        .zip(&inst.points)
        .enumerate()
    {
        let cap = caps.cap(*c);
        let _ = writeln!(units, "{i},{h},{cap},{x},{y}");
    }
    std::fs::write(dir.join(format!("{}.units.csv", inst.name)), units)?;
    let mut adj = String::from("a,b\n");
    for (a, b, _) in inst.graph.edges() {
        let _ = writeln!(adj, "{a},{b}");
    }
    std::fs::write(dir.join(format!("{}.adj.csv", inst.name)), adj)
}

/// Brute-force validity: every unit in one part, parts contiguous and within the cap.
fn check(graph: &UnitGraph, loads: &[u64], cap: u64, part_of: &[u32], parts: usize) -> bool {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); parts];
    for (u, &p) in part_of.iter().enumerate() {
        members[p as usize].push(u);
    }
    members.iter().all(|m| {
        !m.is_empty()
            && (m.len() == 1 || m.iter().map(|&u| loads[u]).sum::<u64>() <= cap)
            && graph.components_of(m).len() == 1
    })
}

/// Martello–Toth bound L2 of bin packing (ignores contiguity): items above C − K need a bin
/// each, items in (C/2, C − K] too, and items in [K, C/2] fill what those leave, for the best K.
fn bin_packing_l2(loads: &[u64], cap: u64) -> usize {
    let mut ks: Vec<u64> = loads.iter().copied().filter(|&w| 2 * w <= cap).collect();
    ks.push(0);
    ks.sort_unstable();
    ks.dedup();
    ks.iter()
        .map(|&k| {
            let j1 = loads.iter().filter(|&&w| w > cap - k).count();
            let j2: Vec<u64> = loads
                .iter()
                .copied()
                .filter(|&w| w <= cap - k && 2 * w > cap)
                .collect();
            let j3: u64 = loads
                .iter()
                .copied()
                .filter(|&w| 2 * w <= cap && w >= k)
                .sum();
            let room: u64 = j2.len() as u64 * cap - j2.iter().sum::<u64>();
            j1 + j2.len() + j3.saturating_sub(room).div_ceil(cap) as usize
        })
        .max()
        .unwrap_or(0)
}

/// One instance's figures, as written to `results.csv`.
struct Figures {
    partition_s: f64,
    grids: usize,
    lower_bound: usize,
    quick_s: f64,
    quick_grids: usize,
    clusters_s: f64,
    clusters: usize,
    upper_bound: usize,
}

const RESULTS_HEADER: &str =
    "name,units,partition_s,grids,lower_bound,quick_s,quick_grids,valid,clusters_s,clusters,upper_bound,floor\n";

fn append_results(inst: &Instance, f: &Figures, valid: bool, dir: &Path) -> std::io::Result<()> {
    let path = dir.join("results.csv");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(
        file,
        "{},{},{:.6},{},{},{:.6},{},{valid},{:.6},{},{},{FLOOR_HOUSEHOLDS}",
        inst.name,
        inst.graph.len(),
        f.partition_s,
        f.grids,
        f.lower_bound,
        f.quick_s,
        f.quick_grids,
        f.clusters_s,
        f.clusters,
        f.upper_bound
    )
}

/// The integer loads of an instance's units and the cap in the same units (the least common
/// multiple of the caps).
fn integer_loads(inst: &Instance, caps: Caps) -> (Vec<u64>, u64) {
    let scale_cap =
        u64::from(caps.old) / gcd(u64::from(caps.old), u64::from(caps.new)) * u64::from(caps.new);
    let loads = inst
        .households
        .iter()
        .zip(&inst.classes)
        .map(|(&h, &c)| h as u64 * (scale_cap / u64::from(caps.cap(c))))
        .collect();
    (loads, scale_cap)
}

/// The least number of grids over `runs` longer searches with other seeds (twice the seed
/// trees, repair effort and kicks), appended to `<out>/best_known.csv`.
fn best_of(inst: &Instance, caps: Caps, out: &Path, runs: usize) {
    let (loads, scale_cap) = integer_loads(inst, caps);
    let defaults = PartitionParams::default();
    let t = Instant::now();
    let mut best: Option<usize> = None;
    for seed in 1..=runs as u64 {
        let params = PartitionParams {
            seed: seed * 7919,
            seed_trees: defaults.seed_trees * 2,
            repair_attempts: defaults.repair_attempts * 2,
            repair_moves: defaults.repair_moves * 2,
            kicks: defaults.kicks * 2,
            ..defaults
        };
        let p = partition_graph(&inst.graph, &loads, scale_cap, None, &params);
        if check(&inst.graph, &loads, scale_cap, &p.part_of, p.parts) {
            best = Some(best.map_or(p.parts, |b| b.min(p.parts)));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let Some(best) = best else {
        eprintln!("{}: no valid long run", inst.name);
        return;
    };
    println!(
        "{:<16} best of {runs} longer runs: {best} grids ({secs:.1} s in all)",
        inst.name
    );
    let path = out.join("best_known.csv");
    let new = !path.exists();
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| {
            if new {
                writeln!(f, "name,units,grids,runs,seconds")?;
            }
            writeln!(
                f,
                "{},{},{best},{runs},{secs:.3}",
                inst.name,
                inst.graph.len()
            )
        });
    if let Err(e) = written {
        eprintln!("cannot write {}: {e}", path.display());
    }
}

fn run(inst: &Instance, caps: Caps, out: &Path, effort: usize, seed: u64) {
    let (loads, scale_cap) = integer_loads(inst, caps);
    let defaults = PartitionParams::default();
    let params = PartitionParams {
        repair_moves: defaults.repair_moves * effort,
        repair_attempts: defaults.repair_attempts * effort,
        seed,
        ..defaults
    };
    // The default search, and a quick one that stops at the first round without an eliminated
    // grid instead of reshaping grids and trying again (`kicks: 0`).
    let mut measured = Vec::new();
    for (label, params) in [
        ("partition", params),
        ("quick", PartitionParams { kicks: 0, ..params }),
    ] {
        let t = Instant::now();
        let p = partition_graph(&inst.graph, &loads, scale_cap, None, &params);
        let secs = t.elapsed().as_secs_f64();
        let valid = check(&inst.graph, &loads, scale_cap, &p.part_of, p.parts);
        let tess = inst
            .tessellation_s
            .filter(|_| label == "partition")
            .map_or(String::new(), |s| format!(" (tessellation {s:.3} s)"));
        println!(
            "{:<16} units {:>6}  {label:<9} {secs:>7.3} s{tess}  grids {:>5}  lower bound {:>5}  ratio {:.3}  bin-packing bound L2 {}  valid {valid}",
            inst.name,
            inst.graph.len(),
            p.parts,
            p.lower_bound,
            p.parts as f64 / p.lower_bound.max(1) as f64,
            bin_packing_l2(&loads, scale_cap)
        );
        measured.push((secs, p.parts, p.lower_bound, valid));
    }
    let [(secs_partition, grids, lower_bound, valid), (quick_s, quick_grids, _, quick_valid)] =
        measured[..]
    else {
        unreachable!("two searches")
    };
    let weights: Vec<u64> = inst.households.iter().map(|&h| h as u64).collect();
    let t = Instant::now();
    let r = max_p_regions(
        &inst.graph,
        &weights,
        FLOOR_HOUSEHOLDS,
        None,
        &MaxPParams {
            seed,
            ..MaxPParams::default()
        },
    );
    let secs = t.elapsed().as_secs_f64();
    let floor_ok = {
        let mut sums = vec![0u64; r.regions];
        for (u, reg) in r.region_of.iter().enumerate() {
            if let Some(reg) = reg {
                sums[*reg as usize] += weights[u];
            }
        }
        sums.iter().all(|&s| s >= FLOOR_HOUSEHOLDS)
    };
    println!(
        "{:<16} clusters (floor {FLOOR_HOUSEHOLDS} hh)  time {:>7.3} s  clusters {:>4}  upper bound {:>4}  unassigned {}  all ≥ floor {floor_ok}",
        "",
        secs,
        r.regions,
        r.upper_bound,
        r.unassigned.len()
    );
    let figures = Figures {
        partition_s: secs_partition,
        grids,
        lower_bound,
        quick_s,
        quick_grids,
        clusters_s: secs,
        clusters: r.regions,
        upper_bound: r.upper_bound,
    };
    if let Err(e) = export(inst, caps, out)
        .and_then(|()| append_results(inst, &figures, valid && quick_valid && floor_ok, out))
    {
        eprintln!("export of {} failed: {e}", inst.name);
    }
    let _ = std::io::stdout().flush();
}

/// The demo district's 龙南社区 (far above the caps today) and 奥体社区 (within them, one
/// grid locked): automatic partition from the current plan, and joint-management clusters.
fn demo_communities() {
    let snapshot = gridatlas_engine::Snapshot::new(1, data::demo_district());
    for code in [data::LONGNAN_COMMUNITY, data::AOTI_COMMUNITY] {
        let catalog = Arc::new(Catalog::from_snapshot(&snapshot, code).expect("catalog"));
        let current = Plan::current(&catalog);
        let t = Instant::now();
        let ctx = Arc::new(
            PlanningContext::new(
                Arc::clone(&catalog),
                &current.split_compounds,
                TessellationOptions::default(),
            )
            .expect("context"),
        );
        let tess = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let out = auto_partition(&ctx, &current, &PartitionOptions::default()).expect("partition");
        let secs = t.elapsed().as_secs_f64();
        let r = &out.result;
        let report = check_plan(&out.context, &r.plan, &RuleOptions::default()).expect("rules");
        println!(
            "demo {} {}: {} grids now; partition {secs:.3} s (tessellation {tess:.3} s) of {} units: {} grids, lower bound {}, gap {}, {} compounds split, {} households moved, valid {}",
            catalog.community_name,
            code,
            current.grids.len(),
            r.units,
            r.grids,
            r.lower_bound,
            r.gap,
            r.split_compounds.len(),
            r.households_moved,
            report.valid
        );
        let whole = PlanningContext::new(
            Arc::clone(&catalog),
            &BTreeSet::new(),
            TessellationOptions::default(),
        )
        .expect("context");
        let t = Instant::now();
        let clusters =
            joint_management_clusters(&whole, &ClusterOptions::default()).expect("clusters");
        println!(
            "     joint-management clusters (floor {} households): {} of at most {} in {:.3} s; {} of {} three-no compounds unclustered",
            clusters.floor_households,
            clusters.clusters.len(),
            clusters.upper_bound,
            t.elapsed().as_secs_f64(),
            clusters.unclustered.len(),
            clusters.three_no_compounds
        );
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn main() {
    let mut out = PathBuf::from("target/partition_bench");
    let mut only: Option<String> = None;
    let mut effort = 1usize;
    let mut seed = 1u64;
    let mut best_runs = 0usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map_or(out, PathBuf::from),
            "--only" => only = args.next(),
            "--effort" => effort = args.next().and_then(|e| e.parse().ok()).unwrap_or(1),
            "--seed" => seed = args.next().and_then(|e| e.parse().ok()).unwrap_or(1),
            "--best-of" => best_runs = args.next().and_then(|e| e.parse().ok()).unwrap_or(0),
            _ => {}
        }
    }
    let caps = Caps::default();
    println!(
        "partition: caps {}/{} households (old/new); clusters: floor {FLOOR_HOUSEHOLDS} households",
        caps.old, caps.new
    );
    let wanted = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    if let Err(e) = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("results.csv"), RESULTS_HEADER))
    {
        eprintln!("cannot write {}: {e}", out.join("results.csv").display());
    }
    let _ = std::fs::remove_file(out.join("best_known.csv"));
    if wanted("demo") {
        demo_communities();
    }
    let bench = |inst: &Instance| {
        if wanted(&inst.name) {
            run(inst, caps, &out, effort, seed);
            if best_runs > 0 && inst.graph.len() <= 2500 {
                best_of(inst, caps, &out, best_runs);
            }
        }
    };
    for (i, side) in [20usize, 50, 100].into_iter().enumerate() {
        bench(&instances::lattice(side, 7 + i as u64));
    }
    for (i, side) in [6usize, 7, 8, 10, 20, 50].into_iter().enumerate() {
        bench(&instances::compound_lattice(side, 21 + i as u64, caps));
    }
    for (code, name) in [
        (data::LONGNAN_COMMUNITY, "longnan"),
        (data::AOTI_COMMUNITY, "aoti"),
    ] {
        if wanted(&format!("demo_{name}")) {
            bench(&instances::demo(code, name, caps));
        }
    }
    let polygons = SIZES.iter().any(|n| wanted(&format!("polygons_{n}")));
    if polygons || wanted("community_") {
        let city = data::synthetic_city(40_000, 11);
        for inst in instances::communities(&city, 20..=60, 4, caps) {
            bench(&inst);
        }
        for n in SIZES {
            if wanted(&format!("polygons_{n}")) {
                bench(&instances::polygon_set(&city, n, caps));
            }
        }
    }
    println!("instances exported to {}", out.display());
}
