//! The commit algorithm, written once for both stores against [`Tx`]: ids assigned, versions
//! checked (optimistic concurrency), audit entries and the new data version written, all inside
//! the caller's transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use engine::snapshot::Unreadable;
use engine::{Feature, Layer};

use super::{Actor, Change, Committed, Operation, StoreError, PER_FEATURE_AUDIT_LIMIT};

/// An audit entry to write.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub layer: Option<Layer>,
    pub feature_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The statements a store runs inside one open transaction.
#[async_trait]
pub trait Tx: Send {
    /// Reads the data version, locking it against concurrent writers.
    async fn data_version(&mut self) -> Result<i64, StoreError>;
    async fn set_data_version(&mut self, version: i64) -> Result<(), StoreError>;
    /// The largest id in a layer (0 when empty), locking the layer against concurrent inserts.
    async fn max_id(&mut self, layer: Layer) -> Result<i64, StoreError>;
    /// Stored versions of those of `ids` that exist.
    async fn versions(
        &mut self,
        layer: Layer,
        ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError>;
    /// A stored feature, or its row's problems when it cannot be read (a repair's "before").
    async fn fetch(
        &mut self,
        layer: Layer,
        id: i64,
    ) -> Result<Option<Result<Feature, Unreadable>>, StoreError>;
    /// Inserts features of one layer (ids and versions set).
    async fn insert(&mut self, layer: Layer, features: &[&Feature]) -> Result<(), StoreError>;
    /// Overwrites a feature's row (id and new version set on the feature).
    async fn update(&mut self, feature: &Feature) -> Result<(), StoreError>;
    async fn delete(&mut self, layer: Layer, id: i64) -> Result<(), StoreError>;
    async fn audit(
        &mut self,
        operation: &str,
        actor: &str,
        data_version: i64,
        entries: &[NewAudit],
    ) -> Result<(), StoreError>;
    /// Marks a draft published by `actor` at `data_version` if its stored version is still
    /// `expected_version` and it is not published yet.
    async fn publish_draft(
        &mut self,
        id: i64,
        expected_version: i64,
        actor: &str,
        data_version: i64,
    ) -> Result<(), StoreError>;
}

fn json(feature: &Feature) -> serde_json::Value {
    serde_json::to_value(feature.to_geojson()).unwrap_or(serde_json::Value::Null)
}

/// A stored row for the audit log: the feature, or what made its row unreadable.
fn stored_json(row: &Result<Feature, Unreadable>) -> serde_json::Value {
    match row {
        Ok(f) => json(f),
        Err(u) => serde_json::json!({ "unreadable": u.reason, "version": u.version }),
    }
}

/// Runs an operation inside an open transaction; the caller commits on `Ok` and rolls back
/// (drops the transaction) on `Err`.
pub async fn run(
    tx: &mut impl Tx,
    operation: &Operation,
    actor: &Actor,
) -> Result<Committed, StoreError> {
    let data_version = tx.data_version().await? + 1;
    let per_feature = operation.changes.len() <= PER_FEATURE_AUDIT_LIMIT;

    // Stored versions of every feature named by id, one query per layer.
    let mut named: HashMap<Layer, Vec<i64>> = HashMap::new();
    for change in &operation.changes {
        let (layer, id) = match change {
            Change::Upsert(f) | Change::Update { feature: f, .. } => (f.layer(), f.id()),
            Change::Delete { layer, id, .. } => (*layer, *id),
        };
        if id > 0 {
            named.entry(layer).or_default().push(id);
        }
    }
    let named_max: HashMap<Layer, i64> = named
        .iter()
        .map(|(l, ids)| (*l, ids.iter().copied().max().unwrap_or(0)))
        .collect();
    let mut stored: HashMap<Layer, HashMap<i64, i64>> = HashMap::new();
    for (layer, ids) in named {
        stored.insert(layer, tx.versions(layer, &ids).await?);
    }
    let mut next_id: HashMap<Layer, i64> = HashMap::new();

    let mut inserts: HashMap<Layer, Vec<Feature>> = HashMap::new();
    let mut committed = Committed {
        data_version,
        ..Committed::default()
    };
    let mut audit = Vec::new();
    for change in &operation.changes {
        match change {
            Change::Upsert(f) | Change::Update { feature: f, .. } => {
                let layer = f.layer();
                let versions = stored.entry(layer).or_default();
                let current = (f.id() > 0)
                    .then(|| versions.get(&f.id()).copied())
                    .flatten();
                if let Change::Update {
                    expected_version, ..
                } = change
                {
                    match current {
                        None => return Err(StoreError::NotFound { layer, id: f.id() }),
                        Some(actual) if actual != *expected_version => {
                            return Err(StoreError::Conflict {
                                layer,
                                id: f.id(),
                                expected: *expected_version,
                                actual,
                            });
                        }
                        Some(_) => {}
                    }
                }
                let mut f = f.clone();
                if let Some(old_version) = current {
                    let before = if per_feature {
                        tx.fetch(layer, f.id()).await?
                    } else {
                        None
                    };
                    f.set_meta(f.id(), old_version + 1);
                    tx.update(&f).await?;
                    versions.insert(f.id(), old_version + 1);
                    if per_feature {
                        audit.push(NewAudit {
                            layer: Some(layer),
                            feature_id: Some(f.id()),
                            before: before.as_ref().map(stored_json),
                            after: Some(json(&f)),
                        });
                    }
                    committed.written.push(f);
                } else {
                    let id = if f.id() > 0 {
                        f.id()
                    } else {
                        // New ids follow both the stored ones and every id this operation names.
                        let next = match next_id.get(&layer) {
                            Some(n) => *n,
                            None => {
                                tx.max_id(layer)
                                    .await?
                                    .max(named_max.get(&layer).copied().unwrap_or(0))
                                    + 1
                            }
                        };
                        next_id.insert(layer, next + 1);
                        next
                    };
                    f.set_meta(id, 1);
                    versions.insert(id, 1);
                    inserts.entry(layer).or_default().push(f);
                }
            }
            Change::Delete {
                layer,
                id,
                expected_version,
            } => {
                let layer = *layer;
                let versions = stored.entry(layer).or_default();
                match (versions.get(id).copied(), expected_version) {
                    (None, _) => return Err(StoreError::NotFound { layer, id: *id }),
                    (Some(actual), Some(expected)) if actual != *expected => {
                        return Err(StoreError::Conflict {
                            layer,
                            id: *id,
                            expected: *expected,
                            actual,
                        });
                    }
                    _ => {}
                }
                let before = if per_feature {
                    tx.fetch(layer, *id).await?
                } else {
                    None
                };
                tx.delete(layer, *id).await?;
                versions.remove(id);
                if per_feature {
                    audit.push(NewAudit {
                        layer: Some(layer),
                        feature_id: Some(*id),
                        before: before.as_ref().map(stored_json),
                        after: None,
                    });
                }
                committed.deleted.push((layer, *id));
            }
        }
    }
    for layer in Layer::ALL {
        let Some(features) = inserts.remove(&layer) else {
            continue;
        };
        let refs: Vec<&Feature> = features.iter().collect();
        tx.insert(layer, &refs).await?;
        if per_feature {
            audit.extend(features.iter().map(|f| NewAudit {
                layer: Some(layer),
                feature_id: Some(f.id()),
                before: None,
                after: Some(json(f)),
            }));
        } else {
            let (lo, hi) = (
                features.iter().map(Feature::id).min(),
                features.iter().map(Feature::id).max(),
            );
            audit.push(NewAudit {
                layer: Some(layer),
                feature_id: None,
                before: None,
                after: Some(serde_json::json!({ "inserted": features.len(), "first_id": lo, "last_id": hi })),
            });
        }
        committed.written.extend(features);
    }
    if !per_feature {
        let updated = committed.written.len()
            - committed
                .written
                .iter()
                .filter(|f| f.version() == 1)
                .count();
        if updated > 0 || !committed.deleted.is_empty() {
            audit.push(NewAudit {
                layer: None,
                feature_id: None,
                before: None,
                after: Some(
                    serde_json::json!({ "updated": updated, "deleted": committed.deleted.len() }),
                ),
            });
        }
    }
    if let Some(p) = &operation.publishes {
        tx.publish_draft(p.id, p.expected_version, &actor.name, data_version)
            .await?;
        audit.push(NewAudit {
            layer: None,
            feature_id: None,
            before: None,
            after: Some(p.summary.clone()),
        });
    }
    tx.audit(operation.kind.name(), &actor.name, data_version, &audit)
        .await?;
    tx.set_data_version(data_version).await?;
    Ok(committed)
}
