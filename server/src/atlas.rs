//! The atlas service: the store (source of truth) plus the engine's current snapshot.
//!
//! Every write goes through [`Atlas::commit`]: checked against the snapshot, written to the
//! store in one transaction, and only then visible, as a new snapshot swapped in atomically.
//! Readers take an `Arc` of the current snapshot and never wait for writers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use engine::integrity::{self, ChangeView};
use engine::{Feature, Problem, Snapshot};
use tokio::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::store::history::{features_at, PastError};
use crate::store::{Actor, Change, Committed, Operation, Store, StoreError, Verdict};

/// Why a write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AtlasError {
    #[error("{} problem(s): {}", .0.len(), .0.iter().take(3).map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("background task failed: {0}")]
    Task(String),
}

/// The snapshot of everything `store` holds. Rows that cannot be read are left out of the
/// snapshot, listed in it ([`Snapshot::unreadable`]) and logged.
async fn read_snapshot(store: &dyn Store) -> Result<Snapshot, AtlasError> {
    let loaded = store.load_all().await?;
    for u in &loaded.unreadable {
        tracing::warn!(layer = %u.layer, id = u.id, reason = %u.reason, "stored row is unreadable; left out of the map until repaired");
    }
    tokio::task::spawn_blocking(move || {
        Snapshot::new(loaded.version, loaded.data).with_unreadable(loaded.unreadable)
    })
    .await
    .map_err(|e| AtlasError::Task(e.to_string()))
}

/// The store and the snapshot that mirrors it.
pub struct Atlas {
    store: Box<dyn Store>,
    snapshot: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    /// The data version of this server's latest commit: once the store holds it, the snapshot
    /// that shows it is being built, and no request needs to wait for the writer to know.
    committed: AtomicI64,
    /// Snapshots of past moments rebuilt from the audit log, newest use last.
    past: std::sync::Mutex<Vec<(DateTime<Utc>, Arc<Snapshot>)>>,
}

/// Past snapshots kept (a year of month ends and a few more).
const PAST_KEPT: usize = 16;

impl Atlas {
    /// Loads the store into a first snapshot. Rows that cannot be read are left out of the
    /// snapshot, listed in it ([`Snapshot::unreadable`]) and logged: the atlas opens anyway, and
    /// a write of such a feature repairs it.
    pub async fn open(store: Box<dyn Store>) -> Result<Self, AtlasError> {
        let snapshot = read_snapshot(store.as_ref()).await?;
        Ok(Atlas {
            store,
            snapshot: ArcSwap::from_pointee(snapshot),
            writer: Mutex::new(()),
            committed: AtomicI64::new(0),
            past: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Brings the snapshot up to the store when another writer — another server over the same
    /// PostGIS, or a command-line import into the same GeoPackage — has committed since: the
    /// store is read again. Returns whether it was. Called before each request is answered, so
    /// a write through one server shows on every other at its next request.
    pub async fn catch_up(&self) -> Result<bool, AtlasError> {
        // A version this server committed itself is on its way into the snapshot: waiting for
        // the writer would only queue readers behind every edit.
        let known = || {
            self.snapshot
                .load()
                .version
                .max(self.committed.load(Ordering::Acquire))
        };
        if self.store.data_version().await? <= known() {
            return Ok(false);
        }
        // Under the writer's lock: a commit of this server in flight has written the store but
        // not yet swapped its snapshot; once it has, nothing may be left to read.
        let _writer = self.writer.lock().await;
        if self.store.data_version().await? <= self.snapshot.load().version {
            return Ok(false);
        }
        let snapshot = read_snapshot(self.store()).await?;
        tracing::info!(
            data_version = snapshot.version,
            "the store moved on: snapshot read again"
        );
        self.swap_in(snapshot);
        Ok(true)
    }

    /// Makes `next` the current snapshot. The one before is dropped off the request's path:
    /// with its memo it may hold a city's coverage, which takes tens of milliseconds to free.
    fn swap_in(&self, next: Snapshot) {
        let before = self.snapshot.swap(Arc::new(next));
        tokio::task::spawn_blocking(move || drop(before));
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The snapshot of the data as it was at `at` (the current one for now or later), rebuilt
    /// from the audit log ([`crate::store::history`]). A moment more than a minute past is
    /// settled, so its snapshot is kept for the next request.
    pub async fn snapshot_at(&self, at: DateTime<Utc>) -> Result<Arc<Snapshot>, PastError> {
        let now = Utc::now();
        if at >= now {
            return Ok(self.snapshot());
        }
        if let Some(s) = self.kept(at) {
            return Ok(s);
        }
        let current = self.snapshot();
        let (version, data) = features_at(self.store(), current, at).await?;
        let snapshot = tokio::task::spawn_blocking(move || Arc::new(Snapshot::new(version, data)))
            .await
            .map_err(|e| PastError::Task(e.to_string()))?;
        if at < now - chrono::Duration::minutes(1) {
            if let Ok(mut kept) = self.past.lock() {
                kept.retain(|(t, _)| *t != at);
                kept.push((at, Arc::clone(&snapshot)));
                if kept.len() > PAST_KEPT {
                    kept.remove(0);
                }
            }
        }
        Ok(snapshot)
    }

    fn kept(&self, at: DateTime<Utc>) -> Option<Arc<Snapshot>> {
        let mut kept = self.past.lock().ok()?;
        let i = kept.iter().position(|(t, _)| *t == at)?;
        let entry = kept.remove(i);
        let snapshot = Arc::clone(&entry.1);
        kept.push(entry);
        Some(snapshot)
    }

    /// Checks an operation against the current snapshot without writing anything.
    pub async fn check(&self, operation: &Operation) -> Result<(), AtlasError> {
        let snapshot = self.snapshot();
        let op = operation.clone();
        let problems = tokio::task::spawn_blocking(move || integrity_problems(&snapshot, &op))
            .await
            .map_err(|e| AtlasError::Task(e.to_string()))?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AtlasError::Invalid(problems))
        }
    }

    /// Commits an operation: integrity check, one store transaction, then the new snapshot.
    ///
    /// A big operation (an import) is checked while the store writes it, in its transaction,
    /// which commits only once the check found nothing: the check and the database's work share
    /// the cores instead of taking turns. A small one is checked first, so a refused edit never
    /// opens a transaction.
    pub async fn commit(
        &self,
        operation: Operation,
        actor: &Actor,
    ) -> Result<Committed, AtlasError> {
        let _writer = self.writer.lock().await;
        let (kind, changes) = (operation.kind.name(), operation.changes.len());
        let operation = Arc::new(operation);
        let verdict = checked(self.snapshot(), Arc::clone(&operation));
        let committed = if changes >= CHECKED_WHILE_WRITTEN {
            self.store.commit_checked(&operation, actor, verdict).await
        } else {
            match verdict.await {
                Ok(()) => self.store.commit(&operation, actor).await,
                Err(refused) => Err(refused),
            }
        }
        .map_err(|e| match e {
            StoreError::Refused(problems) => AtlasError::Invalid(problems),
            StoreError::CheckFailed(e) => AtlasError::Task(e),
            e => AtlasError::Store(e),
        })?;
        self.published(committed, kind, changes, actor).await
    }

    /// Swaps in the snapshot with a commit's changes (or the store read again, when another
    /// server committed in between).
    async fn published(
        &self,
        committed: Committed,
        kind: &str,
        changes: usize,
        actor: &Actor,
    ) -> Result<Committed, AtlasError> {
        self.committed
            .fetch_max(committed.data_version, Ordering::AcqRel);
        let current = self.snapshot();
        let (written, deleted, version) = (
            committed.written.clone(),
            committed.deleted.clone(),
            committed.data_version,
        );
        let next = if version == current.version + 1 {
            tokio::task::spawn_blocking(move || current.with_changes(version, &written, &deleted))
                .await
                .map_err(|e| AtlasError::Task(e.to_string()))?
        } else {
            // Another server committed between this snapshot and this commit: its changes are
            // in the store, not in the snapshot, so the store is read again whole.
            read_snapshot(self.store()).await?
        };
        self.swap_in(next);
        tracing::info!(kind, actor = %actor.name, changes, data_version = version, "committed");
        Ok(committed)
    }
}

/// Operations of at least this many changes are checked while the store writes them.
const CHECKED_WHILE_WRITTEN: usize = 10_000;

/// The integrity check of `operation` against `snapshot`, started on a blocking thread.
pub(crate) fn checked(snapshot: Arc<Snapshot>, operation: Arc<Operation>) -> Verdict {
    let check = tokio::task::spawn_blocking(move || integrity_problems(&snapshot, &operation));
    Box::pin(async move {
        match check.await {
            Ok(problems) if problems.is_empty() => Ok(()),
            Ok(problems) => Err(StoreError::Refused(problems)),
            Err(e) => Err(StoreError::CheckFailed(e.to_string())),
        }
    })
}

fn integrity_problems(snapshot: &Snapshot, operation: &Operation) -> Vec<Problem> {
    let mut written: Vec<&Feature> = Vec::new();
    let mut deleted = Vec::new();
    for change in &operation.changes {
        match change {
            Change::Upsert(f) | Change::Update { feature: f, .. } => written.push(f),
            Change::Delete { layer, id, .. } => deleted.push((*layer, *id)),
        }
    }
    integrity::check(
        snapshot,
        &ChangeView {
            written: &written,
            deleted: &deleted,
        },
    )
}
