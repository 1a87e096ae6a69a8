#![no_main]
//! Fuzz target: see `gridatlas_server::fuzz::import_geojson`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gridatlas_server::fuzz::import_geojson(data));
