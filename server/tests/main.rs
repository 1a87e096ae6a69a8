//! The server's integration tests, one binary (one link instead of one per file: a fresh
//! CI machine builds them in less time and disk). Each module is one file of this folder;
//! nextest still runs every test in a process of its own.

mod common;

mod api;
mod authz;
mod cli_and_gdal;
mod concurrency;
mod coverage;
mod crash;
mod crs_import;
mod csv_exports;
mod distances;
mod enums;
#[cfg(feature = "fuzzing")]
mod fuzz_corpus;
mod grid_work;
mod import_api;
mod malformed;
mod model;
mod office_files;
mod osm_network_against_networkx;
mod osm_reader;
mod planning;
mod prints;
mod problems_in_chinese;
mod routes;
mod servers;
mod store_conformance;
mod tiles;
mod tiles_archive;
mod trends;
mod walking_api;
mod walking_import;
mod write_path;
