//! Times the coverage analyses on a synthetic city (prints, asserts nothing).
//!
//! ```text
//! cargo run --release -p gridatlas-engine --example coverage_bench [-- BUILDINGS]
//! ```
//!
//! BUILDINGS defaults to 1,000,000. "Full recompute" is [`Coverage::compute`]: every compound and
//! scattered building against every service type and checklist item, and every area summary.

use std::time::Instant;

use gridatlas_engine::analysis::{
    heatmap, suggest_sites, underserved, Coverage, SitingRequest, Standards, UnderservedFilter,
};
use gridatlas_engine::{ServiceType, Snapshot};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let buildings: usize = match std::env::args().nth(1) {
        Some(s) => s.replace('_', "").parse()?,
        None => 1_000_000,
    };
    let snapshot = synthetic_snapshot(buildings);
    println!("threads: {}", rayon::current_num_threads());

    let standards = Standards::default();
    let coverage = time_full_recompute(&snapshot, &standards)?;
    time_threshold_change(&snapshot, &standards, &coverage)?;
    time_queries(&snapshot, &coverage)?;
    print_peak_memory();
    Ok(())
}

/// Builds the synthetic city and its snapshot, timing both.
fn synthetic_snapshot(buildings: usize) -> Snapshot {
    let t = Instant::now();
    let data = data::synthetic_city(buildings, 1);
    println!(
        "synthetic city of {buildings} buildings: {:.2?}",
        t.elapsed()
    );
    let t = Instant::now();
    let snapshot = Snapshot::new(1, data);
    let d = &snapshot.data;
    println!(
        "snapshot: {:.2?} ({} compounds, {} scattered buildings, {} stations, {} service spaces, {} grids)",
        t.elapsed(),
        d.compounds.len(),
        d.buildings.iter().filter(|b| b.scattered()).count(),
        d.stations.len(),
        d.service_spaces.len(),
        d.grids.len()
    );
    snapshot
}

/// Times the full recompute (best of 3) and prints the whole area's coverage; the last run's.
fn time_full_recompute(snapshot: &Snapshot, standards: &Standards) -> BenchResult<Coverage> {
    let mut best = f64::INFINITY;
    let mut coverage = None;
    for run in 1..=3 {
        let t = Instant::now();
        let c = Coverage::compute(snapshot, standards)?;
        let s = t.elapsed().as_secs_f64();
        best = best.min(s);
        println!(
            "full recompute {run}: {s:.3} s ({} units × {} service types + {} checklist items)",
            c.units.len(),
            standards.services.len(),
            standards.checklist.len()
        );
        coverage = Some(c);
    }
    println!("full recompute, best of 3: {best:.3} s");
    let coverage = coverage.ok_or("no run")?;
    let all = &coverage.all;
    for s in &all.services {
        println!(
            "  {:<13} ≤ {:>5} m: {:>5.1} % of households, {:>5.1} % of target",
            s.service.name(),
            s.threshold_m,
            s.households_pct.unwrap_or(0.0),
            s.target_pct.unwrap_or(0.0)
        );
    }
    Ok(coverage)
}

/// Times an official's threshold change, which reuses the measured distances.
fn time_threshold_change(
    snapshot: &Snapshot,
    standards: &Standards,
    coverage: &Coverage,
) -> BenchResult<()> {
    let mut official = standards.clone();
    official.set_threshold(ServiceType::ElderlyCare, 300.0)?;
    let t = Instant::now();
    let changed = coverage.with_standards(snapshot, &official)?;
    let pct = |c: &Coverage| {
        c.all
            .service(ServiceType::ElderlyCare)
            .and_then(|s| s.households_pct)
            .unwrap_or(0.0)
    };
    println!(
        "threshold change (elderly care 500 → 300 m, distances reused): {:.3?} ({:.1} % → {:.1} % of households)",
        t.elapsed(),
        pct(coverage),
        pct(&changed),
    );
    Ok(())
}

/// Times the queries on a coverage: heatmaps, the underserved list and siting.
fn time_queries(snapshot: &Snapshot, coverage: &Coverage) -> BenchResult<()> {
    for res in [9, 10] {
        let t = Instant::now();
        let cells = heatmap(snapshot, coverage, ServiceType::ElderlyCare, res, None)?;
        println!(
            "heatmap res {res}: {:.3?} ({} cells)",
            t.elapsed(),
            cells.len()
        );
    }
    let t = Instant::now();
    let rows = underserved(coverage, &UnderservedFilter::default())?;
    println!(
        "underserved list: {:.3?} ({} rows)",
        t.elapsed(),
        rows.len()
    );
    let t = Instant::now();
    let sites = suggest_sites(
        snapshot,
        coverage,
        &SitingRequest {
            service: ServiceType::ElderlyCare,
            k: 20,
            ..SitingRequest::default()
        },
    )?;
    println!(
        "siting k=20 elderly care: {:.3?} ({} candidates, target covered {:.0} → {:.0})",
        t.elapsed(),
        sites.candidates,
        sites.target_covered_before,
        sites.target_covered_after
    );
    Ok(())
}

/// Prints the process's peak resident memory, where the system reports it.
fn print_peak_memory() {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak memory (whole process, incl. the city): {}",
                line.trim()
            );
        }
    }
}
