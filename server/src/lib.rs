//! The Grid Atlas server: stores (PostGIS, GeoPackage), import/export, the HTTP API and the CLI
//! commands behind the `gridatlas` binary.

pub mod accounts;
pub mod api;
pub mod atlas;
pub mod commands;
/// Fuzzing entry points, compiled only with the `fuzzing` feature (never in the production binary).
#[cfg(feature = "fuzzing")]
pub mod fuzz;
pub mod imports;
pub mod io;
pub mod printing;
pub mod store;
pub mod tile_archive;
pub mod uploads;
