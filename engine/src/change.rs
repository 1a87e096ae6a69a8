//! Changes to features: what every write path — API edits, imports, grid-plan publications —
//! hands to the store, after [`crate::integrity::check`] has passed them.

use crate::feature::Feature;
use crate::model::Layer;

/// One change to one feature.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Inserts the feature; an id of 0 asks the store to assign one. With a given id that
    /// already exists, the stored feature is replaced (import semantics) and its version grows.
    Upsert(Feature),
    /// Replaces the feature with the same id if its stored version is still `expected_version`.
    Update {
        feature: Feature,
        expected_version: i64,
    },
    /// Deletes the feature if its stored version is still `expected_version` (when given).
    Delete {
        layer: Layer,
        id: i64,
        expected_version: Option<i64>,
    },
}

impl Change {
    /// The feature written, if the change writes one.
    pub fn written(&self) -> Option<&Feature> {
        match self {
            Change::Upsert(f) | Change::Update { feature: f, .. } => Some(f),
            Change::Delete { .. } => None,
        }
    }
}
