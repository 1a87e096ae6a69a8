//! The stores: PostGIS (through sqlx) and the embedded GeoPackage, behind one trait.
//!
//! The store is the one source of truth. Every write is one transaction carrying a whole
//! [`Operation`] — all of it commits or none of it does — and writes its audit entries and the
//! new data version in that same transaction.

pub mod accounts;
mod cells;
pub mod codec;
pub mod commit;
pub mod dialect;
pub mod drafts;
pub mod gpkg;
pub mod history;
pub mod postgis;
mod rows;
pub mod sessions;
pub mod work;

/// Rebuilds an account from its stored columns, naming what is wrong with a bad row.
pub(crate) fn account_from_row(
    name: String,
    password_hash: String,
    role: &str,
    scope: &str,
    disabled: bool,
) -> Result<Account, StoreError> {
    let bad = |reason: String| StoreError::Integrity(format!("stored account {name}: {reason}"));
    engine::access::check_account_name(&name).map_err(bad)?;
    Ok(Account {
        role: role.parse().map_err(bad)?,
        scope: scope.parse().map_err(bad)?,
        name,
        password_hash,
        disabled,
    })
}

use async_trait::async_trait;
use engine::snapshot::Unreadable;
use engine::{Dataset, Feature, Layer};
use serde::Serialize;

pub use sessions::StoredSession;

/// A user account: a role and a scope; the password only as an argon2 PHC hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub password_hash: String,
    pub role: engine::access::Role,
    pub scope: engine::access::Scope,
    pub disabled: bool,
}

impl Account {
    /// Checks the account as the loader will read it back: its name, and a password hash in
    /// PHC form. Both stores call this before writing an account.
    pub fn validate(&self) -> Result<(), StoreError> {
        engine::access::check_account_name(&self.name).map_err(StoreError::Integrity)?;
        if !self.password_hash.starts_with('$') || self.password_hash.len() > 512 {
            return Err(StoreError::Integrity(format!(
                "account {}: the password is not stored as a PHC hash",
                self.name
            )));
        }
        Ok(())
    }

    /// The audit-log form: everything but the password hash.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({ "name": self.name, "role": self.role.name(), "scope": self.scope.to_string(), "disabled": self.disabled })
    }
}

/// Who makes a change (recorded in the audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account name, or `cli:<os user>` for command-line imports.
    pub name: String,
}

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Actor { name: name.into() }
    }
}

pub use engine::Change;

/// What kind of operation a change set is (recorded in the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Import,
    Edit,
    Publish,
}

impl OperationKind {
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Import => "import",
            OperationKind::Edit => "edit",
            OperationKind::Publish => "publish",
        }
    }
}

/// An all-or-nothing change set.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub kind: OperationKind,
    pub changes: Vec<Change>,
    /// The grid-planning draft this operation publishes: marked published in the same
    /// transaction, so the grids and the draft change together or not at all.
    pub publishes: Option<DraftPublication>,
}

impl Operation {
    /// An operation of `kind` with these changes, publishing no draft.
    pub fn new(kind: OperationKind, changes: Vec<Change>) -> Self {
        Operation {
            kind,
            changes,
            publishes: None,
        }
    }
}

/// A draft being published by an operation, and what it changes (for the audit log).
#[derive(Debug, Clone, PartialEq)]
pub struct DraftPublication {
    pub id: i64,
    /// The draft's version the publisher saw; another version is a conflict.
    pub expected_version: i64,
    /// Written to the audit log as the publication's summary entry.
    pub summary: serde_json::Value,
}

/// A saved grid-planning draft 网格方案草案. The store keeps its plan as opaque JSON; the
/// planning API gives it meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftRecord {
    pub id: i64,
    /// Grows by one with every saved change (the draft's ETag).
    pub version: i64,
    pub community_code: String,
    pub name: String,
    /// `draft` or `published`.
    pub status: String,
    pub author: String,
    pub updated_by: String,
    /// RFC 3339 UTC times.
    pub created_at: String,
    pub updated_at: String,
    /// The data version its publication produced.
    pub published_data_version: Option<i64>,
    /// The plan, the plan it started from and its rule options.
    #[serde(skip)]
    pub body: serde_json::Value,
}

/// A grid-work record 网格工作记录 as stored: its body is typed and checked by
/// [`engine::gridwork::Body`]; where it lies (community, grid) and a need's status are kept in
/// columns for lists and scope checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkRecord {
    pub id: i64,
    pub kind: engine::gridwork::WorkKind,
    /// Grows by one with every saved change (the record's ETag).
    pub version: i64,
    pub community_code: String,
    pub grid_code: Option<String>,
    pub status: Option<String>,
    /// The phone's id of a record sent from the field (kept once however often it is sent).
    pub client_id: Option<String>,
    pub created_by: String,
    pub updated_by: String,
    /// RFC 3339 UTC times.
    pub created_at: String,
    pub updated_at: String,
    pub body: serde_json::Value,
}

/// Which grid-work records to list.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkQuery {
    pub kind: engine::gridwork::WorkKind,
    /// A street's code: its communities' records.
    pub street: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    pub status: Option<String>,
}

impl WorkQuery {
    /// Every record of `kind`.
    pub fn all(kind: engine::gridwork::WorkKind) -> WorkQuery {
        WorkQuery {
            kind,
            street: None,
            community: None,
            grid: None,
            status: None,
        }
    }
}

/// Above this many changes an operation is audited by one summary entry per layer (counts and
/// id range) instead of one entry per feature with before/after.
pub const PER_FEATURE_AUDIT_LIMIT: usize = 10_000;

/// What a committed operation produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Committed {
    /// The store's data version after the commit.
    pub data_version: i64,
    /// Inserted and updated features as stored (with their ids and versions).
    pub written: Vec<Feature>,
    /// Deleted features.
    pub deleted: Vec<(Layer, i64)>,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    /// RFC 3339 UTC time.
    pub at: String,
    pub actor: String,
    pub operation: String,
    pub layer: Option<String>,
    pub feature_id: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub data_version: i64,
}

/// Filters of an audit-log query; all optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// A layer's name, or a grid-work list's (`needs` …).
    pub layer: Option<String>,
    pub feature_id: Option<i64>,
    pub actor: Option<String>,
    /// RFC 3339 lower bound (inclusive).
    pub since: Option<String>,
    /// RFC 3339 upper bound (exclusive).
    pub until: Option<String>,
    pub limit: i64,
}

/// What a store holds, as loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    pub version: i64,
    pub data: Dataset,
    /// Rows that could not be read, each with its reason.
    pub unreadable: Vec<Unreadable>,
}

impl Loaded {
    /// Adds a row as read: a feature, or an unreadable row.
    pub(crate) fn push(&mut self, row: Result<Feature, Unreadable>) {
        match row {
            Ok(f) => self.data.push(f),
            Err(u) => self.unreadable.push(u),
        }
    }
}

/// The engine's check of an operation, running while a store writes it
/// ([`Store::commit_checked`]): `Ok` lets the transaction commit, an error rolls it back.
pub type Verdict =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), StoreError>> + Send>>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The engine's check refused the operation ([`Store::commit_checked`]); nothing was
    /// written.
    #[error("{} problem(s): {}", .0.len(), .0.iter().take(3).map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Vec<engine::Problem>),
    /// The engine's check could not finish (its task panicked); nothing was written.
    #[error("the integrity check failed: {0}")]
    CheckFailed(String),
    #[error("{layer} {id} was changed by someone else: expected version {expected}, stored version {actual}")]
    Conflict {
        layer: Layer,
        id: i64,
        expected: i64,
        actual: i64,
    },
    #[error("{layer} {id} does not exist")]
    NotFound { layer: Layer, id: i64 },
    #[error("draft {id} was changed by someone else: expected version {expected}, stored version {actual}{}", if *.published { " (it has been published)" } else { "" })]
    DraftConflict {
        id: i64,
        expected: i64,
        actual: i64,
        published: bool,
    },
    #[error("draft {0} does not exist")]
    DraftNotFound(i64),
    #[error("{kind} {id} was changed by someone else: expected version {expected}, stored version {actual}", kind = .kind.name())]
    WorkConflict {
        kind: engine::gridwork::WorkKind,
        id: i64,
        expected: i64,
        actual: i64,
    },
    #[error("{kind} {id} does not exist", kind = .kind.name())]
    WorkNotFound {
        kind: engine::gridwork::WorkKind,
        id: i64,
    },
    #[error("{0}")]
    Integrity(String),
    #[error("stored {layer} {id} is unreadable: {reason}")]
    Corrupt {
        layer: Layer,
        id: i64,
        reason: String,
    },
    #[error("the store file {path} is not a Grid Atlas GeoPackage: {reason}")]
    NotAnAtlas { path: String, reason: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a database error raised by a constraint to an integrity error with its message.
    pub(crate) fn from_db(e: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            if db.is_foreign_key_violation() || db.is_unique_violation() || db.is_check_violation()
            {
                return StoreError::Integrity(db.message().to_owned());
            }
        }
        StoreError::Database(e)
    }
}

/// A store of the atlas: PostGIS or the embedded GeoPackage.
#[async_trait]
pub trait Store: Send + Sync {
    /// `"postgis"` or `"geopackage"`.
    fn kind(&self) -> &'static str;
    /// Where the data lives (a file path or a database URL without its password).
    fn location(&self) -> String;
    /// The data version, every readable feature, and the rows that could not be read (kept
    /// untouched in the store, reported, left out of the dataset). A store with unreadable
    /// rows still loads.
    async fn load_all(&self) -> Result<Loaded, StoreError>;
    /// The data version the store holds now: ahead of a server's snapshot when another server
    /// (or a command-line import) has committed since.
    async fn data_version(&self) -> Result<i64, StoreError>;
    /// The data version and every feature; an unreadable row is an error (for tools that need
    /// the whole store, such as tests and exports of a clean store).
    async fn load(&self) -> Result<(i64, Dataset), StoreError> {
        let loaded = self.load_all().await?;
        match loaded.unreadable.into_iter().next() {
            Some(u) => Err(StoreError::Corrupt {
                layer: u.layer,
                id: u.id,
                reason: u.reason,
            }),
            None => Ok((loaded.version, loaded.data)),
        }
    }
    /// Commits an operation atomically, with its audit entries and a new data version.
    async fn commit(&self, operation: &Operation, actor: &Actor) -> Result<Committed, StoreError> {
        self.commit_checked(operation, actor, Box::pin(async { Ok(()) }))
            .await
    }
    /// Commits an operation as [`Store::commit`] does while `verdict` — the engine's check of
    /// it — runs: the transaction commits once the verdict is `Ok`, and is otherwise rolled back
    /// with the verdict's error, which comes before any error of the store's own (the check
    /// names the feature and field of a row the database would refuse).
    async fn commit_checked(
        &self,
        operation: &Operation,
        actor: &Actor,
        verdict: Verdict,
    ) -> Result<Committed, StoreError>;
    /// Audit entries matching the query, newest first.
    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;
    /// Closes every connection; a GeoPackage is checkpointed into one self-contained file.
    async fn close(&self);
    /// Creates or replaces an account (by name), audited as a change by `actor`.
    async fn put_account(&self, account: &Account, actor: &Actor) -> Result<(), StoreError>;
    /// An account by name.
    async fn account(&self, name: &str) -> Result<Option<Account>, StoreError>;
    /// Every account, by name.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// Stores a new session: every server over this store honours its token.
    async fn open_session(&self, session: &StoredSession) -> Result<(), StoreError>;
    /// The account of a live session (not expired at `now`, in Unix milliseconds; account
    /// not disabled) and when the session expires.
    async fn session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError>;
    /// Ends one session.
    async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError>;
    /// The times of `name`'s failed sign-ins after `since` (Unix milliseconds), oldest first.
    async fn login_failures(&self, name: &str, since: i64) -> Result<Vec<i64>, StoreError>;
    /// Records a failed sign-in of `name` at `at`, forgetting every failure before `forget`.
    async fn record_login_failure(
        &self,
        name: &str,
        at: i64,
        forget: i64,
    ) -> Result<(), StoreError>;
    /// Grid-planning drafts, of one community or all, newest first.
    async fn drafts(&self, community_code: Option<&str>) -> Result<Vec<DraftRecord>, StoreError>;
    /// One draft.
    async fn draft(&self, id: i64) -> Result<Option<DraftRecord>, StoreError>;
    /// Saves a draft by `actor`: a new one (id assigned, version 1) when `expected_version` is
    /// `None`, else its name and body if the stored version is still `expected_version` and it
    /// is not published. Returns the draft as stored.
    async fn save_draft(
        &self,
        draft: &DraftRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DraftRecord, StoreError>;
    /// Deletes a draft if its stored version is still `expected_version`.
    async fn delete_draft(&self, id: i64, expected_version: i64) -> Result<(), StoreError>;
    /// Grid-work records matching the query, oldest first.
    async fn work_records(&self, query: &WorkQuery) -> Result<Vec<WorkRecord>, StoreError>;
    /// One grid-work record.
    async fn work_record(
        &self,
        kind: engine::gridwork::WorkKind,
        id: i64,
    ) -> Result<Option<WorkRecord>, StoreError>;
    /// Saves a grid-work record by `actor` with its audit entry: a new one when
    /// `expected_version` is `None` (one repeating a stored client id is that record, returned
    /// with `false`), else the stored one if still at `expected_version`.
    async fn save_work(
        &self,
        record: &WorkRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(WorkRecord, bool), StoreError>;
    /// Inserts grid-work records in one transaction, one audit entry per kind; their ids in
    /// order.
    async fn insert_work(
        &self,
        records: &[WorkRecord],
        actor: &Actor,
    ) -> Result<Vec<i64>, StoreError>;
}

/// Opens the store named by a location: a `postgres://` URL or a GeoPackage file path.
pub async fn open(location: &str) -> Result<Box<dyn Store>, StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(postgis::PostGis::connect(location).await?))
    } else {
        Ok(Box::new(
            gpkg::GeoPackage::open(std::path::Path::new(location)).await?,
        ))
    }
}

/// Opens a store for serving: [`open`], with the snapshot loaded from a streaming replica of
/// the PostGIS primary when `read_location` names one (waiting up to a second for it to
/// replay the primary's latest version).
pub async fn open_with_reads(
    location: &str,
    read_location: Option<&str>,
) -> Result<Box<dyn Store>, StoreError> {
    match read_location {
        None => open(location).await,
        Some(replica)
            if location.starts_with("postgres://") || location.starts_with("postgresql://") =>
        {
            Ok(Box::new(
                postgis::PostGis::connect_with_replica(location, replica, REPLICA_PATIENCE).await?,
            ))
        }
        Some(_) => Err(StoreError::Integrity(
            "--read-database-url needs a PostGIS store (--database-url)".into(),
        )),
    }
}

/// How long a load waits for a lagging replica before it reads the primary.
pub const REPLICA_PATIENCE: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a draft write matched no row: the draft is gone, or another version or published.
pub(crate) fn draft_refusal(id: i64, expected: i64, stored: Option<(i64, String)>) -> StoreError {
    match stored {
        None => StoreError::DraftNotFound(id),
        Some((actual, status)) => StoreError::DraftConflict {
            id,
            expected,
            actual,
            published: status == "published",
        },
    }
}
