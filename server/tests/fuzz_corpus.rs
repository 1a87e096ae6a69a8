//! Replays the fuzz corpus (`fuzz/corpus/<target>/`) through the fuzz entry points, so every input
//! the fuzzers keep is checked on every test run: none may panic.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus folder") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        run(&bytes);
        // Truncations of every input too: the commonest real-world damage.
        for cut in (0..bytes.len()).step_by((bytes.len() / 16).max(1)) {
            run(&bytes[..cut]);
        }
        n += 1;
    }
    n
}

#[test]
fn the_fuzz_corpus_replays_without_a_panic() {
    assert!(replay("import_geojson", gridatlas_server::fuzz::import_geojson) >= 3);
    assert!(replay("import_csv", gridatlas_server::fuzz::import_csv) >= 2);
    assert!(replay("feature_body", gridatlas_server::fuzz::feature_body) >= 2);
    assert!(replay("plan_body", gridatlas_server::fuzz::plan_body) >= 5);
}

/// The plan-body entry point really runs the planning code: the corpus's well-formed plan and
/// operations are accepted (so the replay above exercises rules, polygons and publication), the
/// broken ones are not.
#[test]
fn the_plan_body_entry_accepts_what_the_api_accepts() {
    let snapshot = engine::Snapshot::new(1, data::demo_district());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/plan_body");
    for (file, accepted) in [
        ("plan.json", true),
        ("operations.json", true),
        // Names grid 510504003006001 twice: refused since plans are held to the grid schema.
        ("broken_plan.json", false),
        ("bogus_split.json", false),
        ("odd_operations.json", false),
    ] {
        let body = std::fs::read(dir.join(file)).expect("corpus file");
        assert_eq!(
            gridatlas_server::api::planning::exercise_plan_body(
                &snapshot,
                data::AOTI_COMMUNITY,
                &body
            ),
            accepted,
            "{file}"
        );
    }
}
