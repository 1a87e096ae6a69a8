//! Running the `gridatlas` binary in tests: a demo store, a command that must succeed, a layer
//! exported as GeoJSON; and GDAL's `ogrinfo`, the independent reader.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `gridatlas` with `args`, away from any store named by the environment.
pub fn gridatlas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridatlas"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GRIDATLAS_STORE")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run gridatlas")
}

/// The standard output of a command that must have succeeded.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "gridatlas failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A demo GeoPackage store in `dir`.
pub fn demo_store(dir: &Path) -> String {
    let store = dir.join("atlas.gpkg").display().to_string();
    ok(&gridatlas(&["demo", "--store", &store]));
    store
}

/// `layer` of `store` exported to `out` (its format by the extension).
pub fn export_to(store: &str, layer: &str, out: &Path) {
    ok(&gridatlas(&[
        "export",
        "--store",
        store,
        "--layer",
        layer,
        "-o",
        out.to_str().expect("path"),
    ]));
}

/// `layer` of `store` exported to `dir/<layer>.geojson` and read back.
pub fn export_layer(dir: &Path, store: &str, layer: &str) -> serde_json::Value {
    let out = dir.join(format!("{layer}.geojson"));
    export_to(store, layer, &out);
    serde_json::from_str(&std::fs::read_to_string(out).expect("read")).expect("json")
}

/// Every layer, in the order the atlas lists them.
pub const LAYERS: [&str; 9] = [
    "streets",
    "communities",
    "grids",
    "compounds",
    "buildings",
    "gates",
    "stations",
    "service_spaces",
    "ways",
];

/// The standard output of GDAL's `ogrinfo`, which must succeed.
pub fn ogrinfo(args: &[&str]) -> String {
    let out = Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (GDAL) must be installed: apt-get install gdal-bin");
    assert!(
        out.status.success(),
        "ogrinfo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
