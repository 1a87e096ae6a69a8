//! The Grid Atlas server: stores (PostGIS, GeoPackage), import/export, the HTTP API and the CLI
//! commands behind the `gridatlas` binary.

pub mod accounts;
pub mod api;
pub mod atlas;
pub mod commands;
pub mod fuzz;
pub mod io;
pub mod store;
