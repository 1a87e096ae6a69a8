//! Every benchmark of `gridatlas-bench` runs at a tiny scale and prints the figures a reader of
//! the README looks for. Figures are never asserted (speed is not a test); that they are printed,
//! complete and consistent with the data is.
//!
//! The PostGIS benchmarks need `GRIDATLAS_TEST_PG` (`eval "$(scripts/postgis-cluster.sh start)"`);
//! without it they fail saying so.

use std::process::Command;

/// Buildings of the tiny synthetic city.
const SCALE: usize = 2000;

/// Runs `gridatlas-bench` with `args`, isolated from the caller's store settings; returns
/// whether it succeeded and what it printed.
fn bench(args: &[&str]) -> (bool, String, String) {
    bench_with_martin_env(args, None)
}

/// [`bench`] with `MARTIN_BIN` set to `martin_bin`.
fn bench_with_martin_env(args: &[&str], martin_bin: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gridatlas-bench"));
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GRIDATLAS_STORE")
        .env_remove("MARTIN_BIN");
    if let Some(bin) = martin_bin {
        command.env("MARTIN_BIN", bin);
    }
    let out = command.output().expect("run gridatlas-bench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A new, empty database on the test cluster; returns its URL.
async fn fresh_database(tag: &str) -> String {
    let admin = std::env::var("GRIDATLAS_TEST_PG").expect(
        "GRIDATLAS_TEST_PG is not set: start a PostGIS cluster with `eval \"$(scripts/postgis-cluster.sh start)\"`",
    );
    let name = format!("gridatlas_bench_{tag}_{}", std::process::id());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::query(&sql).execute(&pool).await.expect(&sql);
    }
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// The value of `key=` in an import line, as a number.
fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
        .parse()
        .unwrap_or_else(|e| panic!("{key} in {line}: {e}"))
}

/// The import line reports every feature of the city, and its times and memory as numbers.
fn assert_import_line(stdout: &str, store: &str) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("bench import "))
        .unwrap_or_else(|| panic!("no import line in {stdout}"));
    assert!(line.contains(&format!("store={store}")), "{line}");
    let features = data::synthetic_city(SCALE, 1).total();
    assert_eq!(field(line, "features") as usize, features, "{line}");
    for key in ["generate_s", "import_s", "features_per_s", "peak_rss_mib"] {
        assert!(field(line, key).is_finite(), "{key} in {line}");
    }
}

#[test]
fn import_into_a_geopackage_prints_time_and_memory_for_every_feature() {
    let scale = SCALE.to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let gpkg = dir.path().join("bench.gpkg");
    let store = gpkg.to_str().expect("utf-8 path");
    let (ok, stdout, stderr) = bench(&["import", "--store", store, "--scale", &scale]);
    assert!(ok, "{stdout}{stderr}");
    assert_import_line(&stdout, "geopackage");
    assert!(gpkg.exists());
}

#[tokio::test]
async fn import_into_postgis_prints_time_and_memory_for_every_feature() {
    let scale = SCALE.to_string();
    let url = fresh_database("import").await;
    let (ok, stdout, stderr) = bench(&["import", "--database-url", &url, "--scale", &scale]);
    assert!(ok, "{stdout}{stderr}");
    assert_import_line(&stdout, "postgis");
}

#[test]
fn load_run_prints_every_request_kind_and_no_errors() {
    let (ok, stdout, stderr) = bench(&["load", "--seconds", "3", "--clients", "2"]);
    assert!(ok, "{stdout}{stderr}");
    for kind in ["tile", "features", "coverage", "search", "edit"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{kind} "))),
            "no {kind} row in {stdout}"
        );
    }
    assert!(stdout.contains(", 0 errors"), "{stdout}");
}

#[test]
fn city_edits_print_bytes_a_feature_edit_latency_and_the_mixed_load() {
    let dir = tempfile::tempdir().expect("dir");
    let store = dir.path().join("city.gpkg").display().to_string();
    let (ok, stdout, stderr) = bench(&[
        "city-edits",
        "--store",
        &store,
        "--scale",
        "3000",
        "--editors",
        "2",
        "--readers",
        "4",
        "--seconds",
        "3",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("bytes a feature"), "{stdout}");
    assert!(stdout.contains("one editor, 20 edits"), "{stdout}");
    for kind in ["edit", "tile", "features", "coverage"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{kind} "))),
            "no {kind} row in {stdout}"
        );
    }
    assert!(stdout.contains("failed requests: 0"), "{stdout}");
}

#[tokio::test]
async fn coverage_prints_engine_and_postgis_times_and_their_ratio() {
    let scale = SCALE.to_string();
    let url = fresh_database("coverage").await;
    let (ok, stdout, stderr) = bench(&["coverage", "--database-url", &url, "--scale", &scale]);
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("engine: full recompute of "), "{stdout}");
    let pairs: usize = stdout
        .lines()
        .find_map(|l| l.split(" s for ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no PostGIS pair count in {stdout}"));
    assert!(pairs > 0, "{stdout}");
    assert!(stdout.contains("ratio: engine "), "{stdout}");
}

#[tokio::test]
async fn tiles_without_a_working_martin_says_so_and_measures_the_rest() {
    let scale = SCALE.to_string();
    let url = fresh_database("tiles").await;
    let (ok, stdout, stderr) = bench(&[
        "tiles",
        "--database-url",
        &url,
        "--scale",
        &scale,
        "--tiles-per-zoom",
        "5",
        "--martin",
        "/nonexistent/martin",
    ]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("martin: cannot start /nonexistent/martin"),
        "{stdout}"
    );
    for z in [10, 12, 14, 16] {
        for target in ["server cold", "server warm", "PostGIS ST_AsMVT"] {
            assert!(
                stdout
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{z} {target}"))),
                "no z{z} {target} row in {stdout}"
            );
        }
        assert!(
            stdout.contains(&format!("z{z:<2} (")),
            "no z{z} ratio in {stdout}"
        );
    }
    assert!(stdout.contains("martin not run"), "{stdout}");
    assert!(
        stdout.contains("largest composite tile over every tile of z0–z12"),
        "{stdout}"
    );
}

#[tokio::test]
async fn tiles_with_an_empty_martin_bin_leave_martin_out() {
    let scale = SCALE.to_string();
    let url = fresh_database("tiles_no_martin").await;
    let args = [
        "tiles",
        "--database-url",
        &url,
        "--scale",
        &scale,
        "--tiles-per-zoom",
        "2",
    ];
    let (ok, stdout, stderr) = bench_with_martin_env(&args, Some(""));
    assert!(ok, "{stdout}{stderr}");
    assert!(stdout.contains("martin: not given"), "{stdout}");
    assert!(stdout.contains("z16 (2 tiles): martin not run"), "{stdout}");
}
