//! Model-based test of the API with restarts, on both stores.
//!
//! Random sequences of requests — feature writes on every layer with extreme and odd values
//! (limits ± 1, long and odd Unicode text, control characters, empty and off-globe geometries),
//! `gridatlas import` of `GeoJSON` and CSV files, accounts, sign-ins, drafts and their operations,
//! proposals and publications — run against the real HTTP app on a small part of the demo
//! district. A model kept by the test says what each request must do (accepted → the model
//! changes with it; refused → nothing changes) and what the store holds; the server is stopped
//! at random points and after the last step, the store reopened from its location as `gridatlas
//! serve` does, and compared with the model.
//!
//! Seeds are fixed (`GRIDATLAS_MODEL_CASES` cases of `GRIDATLAS_MODEL_STEPS` steps per store, or
//! one `GRIDATLAS_MODEL_SEED`). A failing sequence is shrunk by dropping steps while it fails the
//! same way, printed as JSON and saved under the target directory; copied into
//! `tests/model_failures/` it is replayed on both stores by every run.

use crate::common;
#[path = "model/oracle.rs"]
mod oracle;
#[path = "model/publication.rs"]
mod publication;
#[path = "model/state.rs"]
mod state;
#[path = "model/steps.rs"]
mod steps;
#[path = "model/world.rs"]
mod world;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use steps::Step;
use world::{Failure, Kind, World};

/// Cases per store when not told otherwise (the three tests take about a minute on 2 cores).
const CASES: u64 = 16;
/// Steps per case.
const STEPS: usize = 30;
/// Sequences tried while shrinking one failure.
const SHRINK_TRIALS: usize = 40;
/// Kinds of failure shrunk per run (further kinds are reported as found).
const SHRUNK_KINDS: usize = 3;

/// A failing sequence as saved and replayed.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    name: String,
    #[serde(default)]
    why: String,
    steps: Vec<Step>,
}

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Runs one sequence on a fresh store; the statuses seen, or the first failure.
async fn run(kind: Kind, steps: &[Step]) -> Result<BTreeMap<String, usize>, Failure> {
    let mut w = World::new(kind).await?;
    let mut result = Ok(());
    for (i, s) in steps.iter().enumerate() {
        result = w.exec(i, s).await;
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = w.finish().await;
    }
    let statuses = w.statuses.clone();
    w.discard().await;
    result.map(|()| statuses)
}

/// Delta debugging: drops chunks of steps (halves, quarters, … single steps) while the sequence
/// still fails with the same kind of failure.
async fn shrink(kind: Kind, steps: &[Step], failure: Failure) -> (Vec<Step>, Failure) {
    let cut = |s: &[Step], at: Option<usize>| match at {
        Some(i) => s[..=i.min(s.len() - 1)].to_vec(),
        None => s.to_vec(),
    };
    let mut current = cut(steps, failure.step);
    let mut best = failure;
    let (mut parts, mut trials) = (2usize, 0usize);
    while current.len() > 1 && trials < SHRINK_TRIALS {
        let chunk = current.len().div_ceil(parts);
        let mut reduced = false;
        for start in (0..current.len()).step_by(chunk) {
            let candidate: Vec<Step> = current[..start]
                .iter()
                .chain(&current[(start + chunk).min(current.len())..])
                .cloned()
                .collect();
            trials += 1;
            if let Err(f) = run(kind, &candidate).await {
                if f.kind == best.kind {
                    current = cut(&candidate, f.step);
                    best = f;
                    parts = (parts - 1).max(2);
                    reduced = true;
                    break;
                }
            }
            if trials >= SHRINK_TRIALS {
                break;
            }
        }
        if !reduced {
            if chunk == 1 {
                break;
            }
            parts = (parts * 2).min(current.len());
        }
    }
    (current, best)
}

/// Saves a shrunk failing sequence as JSON under the target directory; returns its path.
fn save(kind: Kind, seed: u64, steps: &[Step], failure: &Failure) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("model-failures");
    std::fs::create_dir_all(&dir).expect("failure dir");
    let path = dir.join(format!("{kind:?}-seed-{seed}.json").to_lowercase());
    let kept = Kept {
        name: format!("{} (seed {seed} on {kind:?}, shrunk)", failure.kind),
        why: failure.message.clone(),
        steps: steps.to_vec(),
    };
    std::fs::write(&path, serde_json::to_string_pretty(&kept).expect("json")).expect("save");
    path
}

fn describe(f: &Failure) -> String {
    match f.step {
        Some(i) => format!("step {i}: {}", f.message),
        None => format!("final check: {}", f.message),
    }
}

/// Runs the fixed seeds on one store; shrinks, prints and saves every failure.
async fn seeds(kind: Kind) {
    let cases: u64 = env_number("GRIDATLAS_MODEL_CASES").unwrap_or(CASES);
    let len: usize = env_number("GRIDATLAS_MODEL_STEPS").unwrap_or(STEPS);
    let seeds: Vec<u64> = match env_number::<u64>("GRIDATLAS_MODEL_SEED") {
        Some(s) => vec![s],
        None => (1..=cases).collect(),
    };
    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut kinds_shrunk = std::collections::BTreeSet::new();
    for seed in seeds {
        let sequence = steps::sequence(seed, len);
        match run(kind, &sequence).await {
            Ok(statuses) => {
                for (k, n) in statuses {
                    *totals.entry(k).or_default() += n;
                }
            }
            Err(f) => {
                if kinds_shrunk.len() >= SHRUNK_KINDS || !kinds_shrunk.insert(f.kind.clone()) {
                    failures.push(format!(
                        "seed {seed}: {} (not shrunk: same kind as above, or enough shrunk)",
                        describe(&f)
                    ));
                    continue;
                }
                let (shrunk, f) = shrink(kind, &sequence, f).await;
                let path = save(kind, seed, &shrunk, &f);
                let json = serde_json::to_string_pretty(&shrunk).expect("json");
                eprintln!("seed {seed} on {kind:?} fails ({}), shrunk to {} step(s), saved to {}:\n{json}", f.kind, shrunk.len(), path.display());
                failures.push(format!(
                    "seed {seed}: {}\n    shrunk to {} step(s), saved to {} (copy it into tests/model_failures/ to keep it)",
                    describe(&f),
                    shrunk.len(),
                    path.display()
                ));
            }
        }
    }
    eprintln!("{kind:?}: outcomes of the passing cases: {totals:?}");
    assert!(
        failures.is_empty(),
        "the model-based test found {} failing sequence(s) on {kind:?}:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_request_sequences_keep_a_geopackage_equal_to_the_model() {
    seeds(Kind::GeoPackage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_request_sequences_keep_postgis_equal_to_the_model() {
    seeds(Kind::PostGis).await;
}

/// Every kept failure (`tests/model_failures/*.json`) replayed on both stores must now pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_failures_replay_on_both_stores() {
    let dir = std::env::var("GRIDATLAS_MODEL_KEPT").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/model_failures"),
        PathBuf::from,
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/model_failures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no kept failures in {}", dir.display());
    let mut failures = Vec::new();
    for file in &files {
        let kept: Kept = serde_json::from_str(&std::fs::read_to_string(file).expect("read"))
            .unwrap_or_else(|e| panic!("{}: not a kept sequence: {e}", file.display()));
        for kind in [Kind::GeoPackage, Kind::PostGis] {
            if let Err(f) = run(kind, &kept.steps).await {
                failures.push(format!(
                    "{} — {} — on {kind:?}, {}",
                    file.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    kept.name,
                    describe(&f)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} kept failure(s) still fail:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}
