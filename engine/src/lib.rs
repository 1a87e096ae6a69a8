//! Grid Atlas engine: the domain model of community grids and embedded services, validation,
//! coordinate systems, the in-memory snapshot with its rstar indexes, and every analysis.
//!
//! Knows nothing of HTTP or SQL.

pub mod access;
pub mod analysis;
pub mod box_index;
pub mod change;
pub mod columns;
pub mod crs;
pub mod feature;
pub mod gridwork;
pub mod history;
pub mod integrity;
pub mod ledger;
pub mod memo;
pub mod model;
pub mod network;
pub mod placement;
pub mod planning;
pub mod reason;
pub mod schema;
pub mod shared;
pub mod snapshot;

pub use change::Change;
pub use feature::{DomainFeature, Feature, Problem};
pub use model::*;
pub use reason::Reason;
pub use snapshot::{Dataset, Snapshot};
