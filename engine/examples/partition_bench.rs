//! Benchmark of automatic grid partition and joint-management clusters (not a test).
//!
//! Instances:
//! - square lattices (rook adjacency) of 400, 2,500 and 10,000 units, 8–40 households each,
//!   70 % old (cap 150) and 30 % new (cap 300);
//! - real polygon sets of 400, 2,500 and 10,000 units from `data::synthetic_city`: whole
//!   compounds, or the buildings of compounds above the cap, tessellated within their
//!   communities' boundary.
//!
//! For each: partition time, grids, lower bound ⌈Σ load⌉ and ratio; max-p clusters (every unit
//! eligible, floor [`FLOOR_HOUSEHOLDS`]) time, clusters and upper bound. Each instance is
//! exported to `<out>/<name>.units.csv` (`id,households,cap,x,y`) and `<out>/<name>.adj.csv`
//! (`a,b`), and its figures appended to `<out>/results.csv`, for the peers in
//! `engine/examples/partition_peers.py` (spopt's max-p, `GerryChain`'s tree partitioning), which
//! print both side by side as ratios (`scripts/bench-partition.sh` runs it all).
//!
//! ```sh
//! cargo run -p gridatlas-engine --release --example partition_bench [-- --out DIR] [--only NAME]
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use geo::{BooleanOps, Centroid};
use geo_types::MultiPolygon;
use gridatlas_engine::planning::{
    auto_partition, check_plan, joint_management_clusters, max_p_regions, partition_graph,
    CapClass, Caps, Catalog, ClusterOptions, MaxPParams, PartitionOptions, PartitionParams, Plan,
    PlanningContext, RuleOptions, TessellationOptions, UnitGraph,
};
use gridatlas_engine::Compound;
use rand::{Rng, SeedableRng};

/// Households a cluster needs at least, in the cluster benchmark.
const FLOOR_HOUSEHOLDS: u64 = 1000;
const SIZES: [usize; 3] = [400, 2500, 10_000];

struct Instance {
    name: String,
    graph: UnitGraph,
    households: Vec<i64>,
    classes: Vec<CapClass>,
    /// Representative points (lon/lat for polygon sets, lattice coordinates otherwise).
    points: Vec<(f64, f64)>,
    /// Seconds spent tessellating (polygon sets).
    tessellation_s: Option<f64>,
}

fn lattice(side: usize, seed: u64) -> Instance {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = side * side;
    let households = (0..n).map(|_| rng.random_range(8..=40)).collect();
    let classes = (0..n)
        .map(|_| {
            if rng.random_bool(0.7) {
                CapClass::Old
            } else {
                CapClass::New
            }
        })
        .collect();
    Instance {
        name: format!("lattice_{n}"),
        graph: UnitGraph::lattice(side, side),
        households,
        classes,
        points: (0..n)
            .map(|i| ((i % side) as f64, (i / side) as f64))
            .collect(),
        tessellation_s: None,
    }
}

/// Compounds of a synthetic city, community by community, until exactly `target` units (a
/// compound above the cap counts its buildings; the last one may contribute only some).
fn polygon_set(city: &gridatlas_engine::Dataset, target: usize, caps: Caps) -> Instance {
    let scale_over =
        |c: &Compound| c.households as f64 / f64::from(caps.cap(CapClass::of(c.class))) > 1.0;
    let mut compounds: Vec<Compound> = Vec::new();
    let mut split = BTreeSet::new();
    let mut keep_buildings: Vec<i64> = Vec::new();
    let mut communities: BTreeSet<String> = BTreeSet::new();
    let mut units = 0usize;
    let mut by_compound: std::collections::HashMap<i64, Vec<i64>> =
        std::collections::HashMap::new();
    for b in &city.buildings {
        if let Some(c) = b.compound_id {
            by_compound.entry(c).or_default().push(b.id);
        }
    }
    for c in &city.compounds {
        if units == target {
            break;
        }
        let buildings: Vec<i64> = by_compound.get(&c.id).cloned().unwrap_or_default();
        let over = scale_over(c) && !buildings.is_empty();
        let contributes = if over { buildings.len() } else { 1 };
        if units + contributes <= target {
            units += contributes;
            keep_buildings.extend(&buildings);
        } else if over {
            let take = target - units;
            units += take;
            keep_buildings.extend(&buildings[..take]);
        } else {
            continue;
        }
        if over {
            split.insert(c.id);
        }
        communities.insert(c.community_code.clone());
        compounds.push(c.clone());
    }
    let keep: BTreeSet<i64> = keep_buildings.into_iter().collect();
    let buildings = city
        .buildings
        .iter()
        .filter(|b| keep.contains(&b.id))
        .cloned()
        .collect();
    let boundary = city
        .communities
        .iter()
        .filter(|c| communities.contains(&c.code))
        .fold(MultiPolygon(vec![]), |acc, c| acc.union(&c.geometry));
    let catalog = Arc::new(Catalog::new(
        "bench",
        "bench",
        boundary,
        vec![],
        compounds,
        buildings,
    ));
    let t = Instant::now();
    let ctx =
        PlanningContext::new(catalog, &split, TessellationOptions::default()).expect("context");
    let tessellation_s = t.elapsed().as_secs_f64();
    assert_eq!(ctx.units.len(), target, "instance size");
    Instance {
        name: format!("polygons_{target}"),
        graph: ctx.graph().clone(),
        households: ctx.units.iter().map(|u| u.households).collect(),
        classes: ctx.units.iter().map(|u| u.class).collect(),
        points: ctx
            .units
            .iter()
            .map(|u| {
                let p = u.geometry.centroid().unwrap_or(u.centroid);
                (p.x(), p.y())
            })
            .collect(),
        tessellation_s: Some(tessellation_s),
    }
}

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

fn run(inst: &Instance, caps: Caps, out: &Path, effort: usize, seed: u64) {
    let scale_cap =
        u64::from(caps.old) / gcd(u64::from(caps.old), u64::from(caps.new)) * u64::from(caps.new);
    let loads: Vec<u64> = inst
        .households
        .iter()
        .zip(&inst.classes)
        .map(|(&h, &c)| h as u64 * (scale_cap / u64::from(caps.cap(c))))
        .collect();
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
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map_or(out, PathBuf::from),
            "--only" => only = args.next(),
            "--effort" => effort = args.next().and_then(|e| e.parse().ok()).unwrap_or(1),
            "--seed" => seed = args.next().and_then(|e| e.parse().ok()).unwrap_or(1),
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
    if wanted("demo") {
        demo_communities();
    }
    for (i, side) in [20usize, 50, 100].into_iter().enumerate() {
        let inst = lattice(side, 7 + i as u64);
        if wanted(&inst.name) {
            run(&inst, caps, &out, effort, seed);
        }
    }
    if SIZES.iter().any(|n| wanted(&format!("polygons_{n}"))) {
        let city = data::synthetic_city(40_000, 11);
        for n in SIZES {
            if wanted(&format!("polygons_{n}")) {
                let inst = polygon_set(&city, n, caps);
                run(&inst, caps, &out, effort, seed);
            }
        }
    }
    println!("instances exported to {}", out.display());
}
