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
}
