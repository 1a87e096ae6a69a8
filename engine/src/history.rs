//! Past states of the data 历史状态: the current features with every change made since a moment
//! undone, newest first, from what the audit log kept of each change (the feature before it;
//! the id range a bulk import added). A bulk update or deletion keeps no "before", so the state
//! before one cannot be rebuilt, and saying so is the answer.

use std::collections::BTreeMap;

use crate::{Dataset, Feature, Layer};

/// How to undo one change.
#[derive(Debug, Clone, PartialEq)]
pub enum Undo {
    /// Put the feature back as it was, or remove it (`None`: the change created it).
    Restore {
        layer: Layer,
        id: i64,
        before: Option<Feature>,
    },
    /// Remove the features a bulk import added: ids `first..=last` of `layer`.
    RemoveRange { layer: Layer, first: i64, last: i64 },
    /// A bulk update or deletion: what it replaced is not kept.
    Irreversible { at: String },
}

/// Why a past state cannot be rebuilt.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HistoryError {
    #[error("the data before {at} cannot be rebuilt: a bulk import changed or deleted features there and the audit log keeps only its counts")]
    Irreversible { at: String },
    #[error("the audit log's record of {layer} {id} does not read as a feature: {reason}")]
    Unreadable {
        layer: Layer,
        id: i64,
        reason: String,
    },
}

/// `current` with `undo` applied in the order given (newest change first): the features as
/// they were before the oldest of those changes, each layer in id order (as a store loads
/// them).
pub fn rewind(
    current: &Dataset,
    undo: impl IntoIterator<Item = Undo>,
) -> Result<Dataset, HistoryError> {
    let mut state: BTreeMap<(Layer, i64), Feature> = current
        .features()
        .map(|f| ((f.layer(), f.id()), f))
        .collect();
    for step in undo {
        match step {
            Undo::Restore { layer, id, before } => match before {
                Some(f) => {
                    state.insert((layer, id), f);
                }
                None => {
                    state.remove(&(layer, id));
                }
            },
            Undo::RemoveRange { layer, first, last } => {
                state.retain(|(l, id), _| !(*l == layer && (first..=last).contains(id)));
            }
            Undo::Irreversible { at } => return Err(HistoryError::Irreversible { at }),
        }
    }
    let mut out = Dataset::default();
    for f in state.into_values() {
        out.push(f);
    }
    Ok(out)
}
