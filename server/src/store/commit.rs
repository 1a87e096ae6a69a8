//! The commit algorithm, written once for both stores against [`Tx`]: ids assigned, versions
//! checked (optimistic concurrency), audit entries and the new data version written, all inside
//! the caller's transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use engine::snapshot::Unreadable;
use engine::{Feature, Layer};

use super::{Actor, Change, Committed, Operation, StoreError, Verdict, PER_FEATURE_AUDIT_LIMIT};

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
    /// Before any write: how many features the operation upserts into each layer, for a store
    /// that loads big batches differently.
    async fn prepare(&mut self, _upserts: &HashMap<Layer, usize>) -> Result<(), StoreError> {
        Ok(())
    }
    /// After every insert of the operation: whatever a store set aside for a big batch (its
    /// indexes, its foreign keys) is put back, checking every row at once.
    async fn inserted(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
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
    let mut upserts: HashMap<Layer, usize> = HashMap::new();
    for change in &operation.changes {
        if let Change::Upsert(f) = change {
            *upserts.entry(f.layer()).or_default() += 1;
        }
    }
    tx.prepare(&upserts).await?;
    let mut pending = Pending::new(tx, operation, data_version, per_feature).await?;
    for change in &operation.changes {
        match change {
            Change::Upsert(f) => pending.write(tx, f, None).await?,
            Change::Update {
                feature,
                expected_version,
            } => pending.write(tx, feature, Some(*expected_version)).await?,
            Change::Delete {
                layer,
                id,
                expected_version,
            } => pending.delete(tx, *layer, *id, *expected_version).await?,
        }
    }
    pending.insert_new(tx).await?;
    tx.inserted().await?;
    pending.summarise_bulk();
    if let Some(p) = &operation.publishes {
        tx.publish_draft(p.id, p.expected_version, &actor.name, data_version)
            .await?;
        pending.audit.push(NewAudit {
            layer: None,
            feature_id: None,
            before: None,
            after: Some(p.summary.clone()),
        });
    }
    tx.audit(
        operation.kind.name(),
        &actor.name,
        data_version,
        &pending.audit,
    )
    .await?;
    tx.set_data_version(data_version).await?;
    Ok(pending.committed)
}

/// [`run`] while `verdict` (the engine's check of the operation) runs; the verdict's error comes
/// before the store's own, and the caller commits only on `Ok`.
pub async fn run_checked(
    tx: &mut impl Tx,
    operation: &Operation,
    actor: &Actor,
    verdict: Verdict,
) -> Result<Committed, StoreError> {
    let written = run(tx, operation, actor).await;
    verdict.await?;
    written
}

/// Every id an operation names (ids above 0), by layer.
fn named_ids(operation: &Operation) -> HashMap<Layer, Vec<i64>> {
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
    named
}

/// Checks a named feature's stored version (`None`: not stored) against the one the change
/// expects, if it expects one.
fn check_version(
    layer: Layer,
    id: i64,
    current: Option<i64>,
    expected: Option<i64>,
) -> Result<(), StoreError> {
    match (current, expected) {
        (None, _) => Err(StoreError::NotFound { layer, id }),
        (Some(actual), Some(expected)) if actual != expected => Err(StoreError::Conflict {
            layer,
            id,
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

/// One operation's commit in progress: what is stored, what waits to be inserted, what was
/// written and the audit entries so far.
struct Pending {
    /// One audit entry per feature (small operations) or summaries (bulk ones).
    per_feature: bool,
    /// Stored versions of the features named by id, kept current as changes apply.
    stored: HashMap<Layer, HashMap<i64, i64>>,
    /// The next new id of each layer the operation names ids in (above both the stored ids and
    /// the named ones), then of every layer once one has been handed out.
    next_id: HashMap<Layer, i64>,
    inserts: HashMap<Layer, Vec<Feature>>,
    committed: Committed,
    audit: Vec<NewAudit>,
}

impl Pending {
    /// Starts a commit: reads the stored versions of every feature named by id, one query per
    /// layer (none where every named id lies above the layer's largest).
    async fn new(
        tx: &mut impl Tx,
        operation: &Operation,
        data_version: i64,
        per_feature: bool,
    ) -> Result<Self, StoreError> {
        let mut stored: HashMap<Layer, HashMap<i64, i64>> = HashMap::new();
        let mut next_id = HashMap::new();
        for (layer, mut ids) in named_ids(operation) {
            let max = tx.max_id(layer).await?;
            let named_max = ids.iter().copied().max().unwrap_or(0);
            next_id.insert(layer, max.max(named_max) + 1);
            // Only ids up to the layer's largest can be stored (a bulk load names a million
            // new ones into an empty layer).
            ids.retain(|&id| id <= max);
            let versions = if ids.is_empty() {
                HashMap::new()
            } else {
                tx.versions(layer, &ids).await?
            };
            stored.insert(layer, versions);
        }
        Ok(Pending {
            per_feature,
            stored,
            next_id,
            inserts: HashMap::new(),
            committed: Committed {
                data_version,
                ..Committed::default()
            },
            audit: Vec::new(),
        })
    }

    /// An upsert or (with `expected`) an update: overwrites the stored feature, or queues a new
    /// one for insertion.
    async fn write(
        &mut self,
        tx: &mut impl Tx,
        f: &Feature,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let layer = f.layer();
        let current = (f.id() > 0)
            .then(|| self.stored.entry(layer).or_default().get(&f.id()).copied())
            .flatten();
        if expected.is_some() {
            check_version(layer, f.id(), current, expected)?;
        }
        let mut f = f.clone();
        if let Some(old_version) = current {
            self.update(tx, f, old_version).await
        } else {
            let id = if f.id() > 0 {
                f.id()
            } else {
                self.new_id(tx, layer).await?
            };
            f.set_meta(id, 1);
            self.stored.entry(layer).or_default().insert(id, 1);
            self.inserts.entry(layer).or_default().push(f);
            Ok(())
        }
    }

    /// Overwrites a stored feature with the next version, auditing its before and after.
    async fn update(
        &mut self,
        tx: &mut impl Tx,
        mut f: Feature,
        old_version: i64,
    ) -> Result<(), StoreError> {
        let layer = f.layer();
        let before = if self.per_feature {
            tx.fetch(layer, f.id()).await?
        } else {
            None
        };
        f.set_meta(f.id(), old_version + 1);
        tx.update(&f).await?;
        self.stored
            .entry(layer)
            .or_default()
            .insert(f.id(), old_version + 1);
        if self.per_feature {
            self.audit.push(NewAudit {
                layer: Some(layer),
                feature_id: Some(f.id()),
                before: before.as_ref().map(stored_json),
                after: Some(json(&f)),
            });
        }
        self.committed.written.push(f);
        Ok(())
    }

    /// A new feature's id: new ids follow both the stored ones and every id this operation
    /// names.
    async fn new_id(&mut self, tx: &mut impl Tx, layer: Layer) -> Result<i64, StoreError> {
        let next = match self.next_id.get(&layer) {
            Some(n) => *n,
            None => tx.max_id(layer).await? + 1,
        };
        self.next_id.insert(layer, next + 1);
        Ok(next)
    }

    /// Deletes a stored feature (checking its version if the change expects one), auditing
    /// what it was.
    async fn delete(
        &mut self,
        tx: &mut impl Tx,
        layer: Layer,
        id: i64,
        expected: Option<i64>,
    ) -> Result<(), StoreError> {
        let current = self.stored.entry(layer).or_default().get(&id).copied();
        check_version(layer, id, current, expected)?;
        let before = if self.per_feature {
            tx.fetch(layer, id).await?
        } else {
            None
        };
        tx.delete(layer, id).await?;
        self.stored.entry(layer).or_default().remove(&id);
        if self.per_feature {
            self.audit.push(NewAudit {
                layer: Some(layer),
                feature_id: Some(id),
                before: before.as_ref().map(stored_json),
                after: None,
            });
        }
        self.committed.deleted.push((layer, id));
        Ok(())
    }

    /// Inserts the queued new features layer by layer, auditing each (or each layer's id range
    /// in bulk).
    async fn insert_new(&mut self, tx: &mut impl Tx) -> Result<(), StoreError> {
        for layer in Layer::ALL {
            let Some(features) = self.inserts.remove(&layer) else {
                continue;
            };
            let refs: Vec<&Feature> = features.iter().collect();
            tx.insert(layer, &refs).await?;
            if self.per_feature {
                self.audit.extend(features.iter().map(|f| NewAudit {
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
                self.audit.push(NewAudit {
                    layer: Some(layer),
                    feature_id: None,
                    before: None,
                    after: Some(serde_json::json!({ "inserted": features.len(), "first_id": lo, "last_id": hi })),
                });
            }
            self.committed.written.extend(features);
        }
        Ok(())
    }

    /// For a bulk operation: one audit entry counting the updated and deleted features.
    fn summarise_bulk(&mut self) {
        if self.per_feature {
            return;
        }
        let committed = &self.committed;
        let updated = committed.written.len()
            - committed
                .written
                .iter()
                .filter(|f| f.version() == 1)
                .count();
        if updated > 0 || !committed.deleted.is_empty() {
            self.audit.push(NewAudit {
                layer: None,
                feature_id: None,
                before: None,
                after: Some(
                    serde_json::json!({ "updated": updated, "deleted": committed.deleted.len() }),
                ),
            });
        }
    }
}
