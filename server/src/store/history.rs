//! The features as they were at a moment: the current snapshot with every change the audit log
//! records since then undone, newest first ([`engine::history`]). Each per-feature entry keeps
//! the feature before the change; a bulk import's entry keeps the id range it added; a bulk
//! update or deletion keeps only counts, so no moment before one can be rebuilt.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use engine::history::{rewind, HistoryError, Undo};
use engine::{Dataset, Feature, Layer, Snapshot};

use super::{AuditEntry, AuditQuery, Store, StoreError};

/// Why a past state could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PastError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("background task failed: {0}")]
    Task(String),
}

/// The data version and features at `at` (changes at or after it undone) from `current` and
/// the store's audit log. The log is read here; reading its entries and undoing them — work on
/// the whole dataset — runs off the async runtime.
pub async fn features_at(
    store: &dyn Store,
    current: Arc<Snapshot>,
    at: DateTime<Utc>,
) -> Result<(i64, Dataset), PastError> {
    let entries = store
        .audit(&AuditQuery {
            since: Some(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            limit: i64::MAX,
            ..AuditQuery::default()
        })
        .await?;
    tokio::task::spawn_blocking(move || {
        // Grid-work lists share the log; only the layers' entries change features.
        let feature_entries: Vec<&AuditEntry> = entries
            .iter()
            .filter(|e| {
                e.layer
                    .as_deref()
                    .is_none_or(|l| Layer::from_name(l).is_some())
            })
            .collect();
        let version = feature_entries
            .iter()
            .map(|e| e.data_version - 1)
            .min()
            .unwrap_or(current.version)
            .min(current.version);
        let undo = feature_entries
            .into_iter()
            .map(undo_of)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((version, rewind(&current.data, undo)?))
    })
    .await
    .map_err(|e| PastError::Task(e.to_string()))?
}

/// How to undo what one entry records.
fn undo_of(e: &AuditEntry) -> Result<Undo, HistoryError> {
    let irreversible = || Undo::Irreversible { at: e.at.clone() };
    let Some(layer) = e.layer.as_deref().and_then(Layer::from_name) else {
        return Ok(irreversible());
    };
    let Some(id) = e.feature_id else {
        // A bulk import's id range.
        let range = e
            .after
            .as_ref()
            .and_then(|a| Some((a.get("first_id")?.as_i64()?, a.get("last_id")?.as_i64()?)));
        return Ok(match range {
            Some((first, last)) => Undo::RemoveRange { layer, first, last },
            None => irreversible(),
        });
    };
    let before = match &e.before {
        None => None,
        Some(v) => {
            let unreadable = |reason: String| HistoryError::Unreadable { layer, id, reason };
            let feature: geojson::Feature =
                serde_json::from_value(v.clone()).map_err(|err| unreadable(err.to_string()))?;
            Some(Feature::from_geojson(layer, &feature).map_err(|problems| {
                unreadable(
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?)
        }
    };
    Ok(Undo::Restore { layer, id, before })
}
