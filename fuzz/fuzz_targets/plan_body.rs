#![no_main]
//! Fuzz target: see `gridatlas_server::fuzz::plan_body`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| gridatlas_server::fuzz::plan_body(data));
