//! The PostGIS store (sqlx): schema from `migrations/`, geometry as EWKB with SRID 4326.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use engine::schema;
use engine::snapshot::Unreadable;
use engine::{Feature, Layer};
use geo_types::Geometry;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, QueryBuilder, Row, Transaction};

use super::accounts::Accounts;
use super::codec::{self, Cell};
use super::commit::{self, NewAudit, Tx};
use super::drafts::Drafts;
use super::rows;
use super::sessions::Sessions;
use super::work::Work;
use super::{
    Account, Actor, AuditEntry, AuditQuery, Committed, DraftRecord, Loaded, Operation, Store,
    StoreError, StoredSession, Verdict, WorkQuery, WorkRecord,
};

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// PostgreSQL + PostGIS.
pub struct PostGis {
    pool: PgPool,
    location: String,
    /// A streaming replica the snapshot is loaded from, when one is given.
    replica: Option<Replica>,
}

/// A read-only streaming replica of the primary: loading the whole store (a server's start and
/// every catch-up) reads it, never a version older than the primary's at the time of asking.
struct Replica {
    pool: PgPool,
    location: String,
    /// How long a load waits for the replica to replay up to the primary's version before it
    /// reads the primary instead.
    patience: Duration,
    loads: Arc<ReplicaLoads>,
}

/// How the loads of a store with a replica were answered.
#[derive(Debug, Default)]
pub struct ReplicaLoads {
    /// By the replica.
    pub replica: AtomicU64,
    /// By the primary, because the replica lagged longer than the patience.
    pub primary: AtomicU64,
}

/// Connection pool options: no idle reaping. sqlx 0.8's pool maintenance task can read its
/// idle count mid-update and spin for good (sqlx#3645, seen here holding a process at exit).
/// Connections stay open; a dead one is found by the check before each acquire.
fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(8)
        .idle_timeout(None)
        .max_lifetime(None)
}

/// A database URL without its password.
fn shown(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

impl PostGis {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        let pool = pool_options().connect_with(options.clone()).await?;
        MIGRATOR.run(&pool).await?;
        Ok(PostGis {
            pool,
            location: shown(&options),
            replica: None,
        })
    }

    /// Connects to the primary at `url` (writes, records, the data version) and to a streaming
    /// replica of it at `replica_url`, which the whole store is loaded from. A load waits up to
    /// `patience` for the replica to replay the primary's latest version, else reads the
    /// primary.
    pub async fn connect_with_replica(
        url: &str,
        replica_url: &str,
        patience: Duration,
    ) -> Result<Self, StoreError> {
        let mut store = PostGis::connect(url).await?;
        let options: PgConnectOptions = replica_url.parse()?;
        let pool = pool_options().connect_with(options.clone()).await?;
        let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&pool)
            .await?;
        if !in_recovery {
            tracing::warn!(replica = %shown(&options), "the read database is not a standby; reading it anyway");
        }
        store.replica = Some(Replica {
            pool,
            location: shown(&options),
            patience,
            loads: Arc::default(),
        });
        Ok(store)
    }

    /// How loads were answered, when the store has a replica.
    pub fn replica_loads(&self) -> Option<Arc<ReplicaLoads>> {
        self.replica.as_ref().map(|r| Arc::clone(&r.loads))
    }

    /// The connection pool (for tests and benchmarks).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

fn columns(layer: Layer) -> String {
    let mut cols = vec!["id", "version"];
    cols.extend(schema::fields(layer).iter().map(|d| d.name));
    cols.join(", ")
}

fn select(layer: Layer) -> String {
    format!(
        "SELECT {}, ST_AsBinary(geom) AS geom FROM {}",
        columns(layer),
        layer.name()
    )
}

/// A stored row as a feature, or what makes it unreadable (named by column).
fn read_row(layer: Layer, row: &PgRow) -> Result<Feature, Unreadable> {
    rows::read::<PgRow, PgRows>(layer, row)
}

/// PostGIS keeps lists of names as `text[]` and geometry as (E)WKB.
struct PgRows;

impl rows::RowDialect<PgRow> for PgRows {
    fn list(row: &PgRow, def: &schema::FieldDef) -> Result<Vec<String>, String> {
        row.try_get(def.name)
            .map_err(|e| format!("{}: must be a list of names: {e}", def.name))
    }

    fn geometry(row: &PgRow) -> Result<Geometry, String> {
        let wkb: Vec<u8> = row
            .try_get("geom")
            .map_err(|e| format!("geometry: not a geometry: {e}"))?;
        codec::from_wkb(&wkb)
    }
}

/// The channel a commit notifies with its new data version, so that every server over the
/// same database reads the store again before its next request needs to.
pub const DATA_CHANNEL: &str = "gridatlas_data";

/// Listens for commits of other servers on `url`'s database and calls `on_commit` with each new
/// data version; reconnects after a lost connection. Runs until the process ends.
pub async fn listen_for_commits<F, Fut>(url: String, on_commit: F)
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect(&url).await?;
            l.listen(DATA_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut l) => loop {
                match l.recv().await {
                    Ok(n) => on_commit(n.payload().parse().unwrap_or(0)).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the commit notifications; reconnecting");
                        break;
                    }
                }
            },
            Err(e) => tracing::warn!(error = %e, "cannot listen for commits; retrying"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Every feature of the database behind `pool`, in one REPEATABLE READ transaction: every
/// layer from the same committed state, with its data version.
async fn load_from(pool: &PgPool) -> Result<Loaded, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let loaded = rows::load_layers::<Postgres>(&mut tx, select, read_row).await?;
    tx.commit().await?;
    Ok(loaded)
}

/// The data version of the database behind `pool`.
async fn version_of(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(rows::DATA_VERSION)
        .fetch_one(pool)
        .await?)
}

/// Bytes of `COPY` data sent at once.
const COPY_PIECE: usize = 1 << 20;

/// PostgreSQL's type id of `text`, the element of a `text[]`.
const TEXT_OID: i32 = 25;

/// One feature as a row of PostgreSQL's binary `COPY` format: id, version, the schema's cells
/// (`bigint`, `double precision`, `text`, `boolean`, `text[]`) and the geometry as EWKB.
fn copy_row(buf: &mut Vec<u8>, f: &Feature) {
    fn field(buf: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            None => buf.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(b) => {
                buf.extend_from_slice(&(b.len() as i32).to_be_bytes());
                buf.extend_from_slice(b);
            }
        }
    }
    let cells = codec::cells(f);
    buf.extend_from_slice(&((cells.len() + 3) as i16).to_be_bytes());
    field(buf, Some(&f.id().to_be_bytes()));
    field(buf, Some(&f.version().to_be_bytes()));
    for cell in cells {
        match cell {
            Cell::Int(v) => field(buf, v.map(i64::to_be_bytes).as_ref().map(|b| &b[..])),
            Cell::Real(v) => field(buf, v.map(f64::to_be_bytes).as_ref().map(|b| &b[..])),
            Cell::Text(v) => field(buf, v.as_deref().map(str::as_bytes)),
            Cell::Bool(v) => field(buf, Some(&[u8::from(v)])),
            Cell::List(items) => {
                // One dimension of text, or no dimension when empty.
                let mut a =
                    Vec::with_capacity(20 + items.iter().map(|i| i.len() + 4).sum::<usize>());
                a.extend_from_slice(&i32::from(!items.is_empty()).to_be_bytes());
                a.extend_from_slice(&0i32.to_be_bytes());
                a.extend_from_slice(&TEXT_OID.to_be_bytes());
                if !items.is_empty() {
                    a.extend_from_slice(&(items.len() as i32).to_be_bytes());
                    a.extend_from_slice(&1i32.to_be_bytes());
                    for i in &items {
                        a.extend_from_slice(&(i.len() as i32).to_be_bytes());
                        a.extend_from_slice(i.as_bytes());
                    }
                }
                field(buf, Some(&a));
            }
        }
    }
    field(buf, Some(&codec::ewkb_4326(&f.geometry())));
}

/// A layer receiving at least this many upserts in one operation is loaded in bulk: its
/// secondary indexes are dropped before any write and built again after the `COPY`, and its
/// foreign keys are checked once for all rows instead of row by row (as `pg_restore` and
/// `ogr2ogr` load).
const BULK_ROWS: usize = 50_000;

/// An open PostGIS transaction, and what it set aside for bulk inserts.
struct PgTx<'t> {
    tx: Transaction<'t, Postgres>,
    /// The statements that build the dropped indexes again.
    indexes: Vec<String>,
    /// `(table, name, definition)` of the dropped foreign keys.
    keys: Vec<(String, String, String)>,
}

impl<'t> PgTx<'t> {
    fn new(tx: Transaction<'t, Postgres>) -> Self {
        PgTx {
            tx,
            indexes: Vec::new(),
            keys: Vec::new(),
        }
    }

    /// Sets aside a layer's secondary indexes and foreign keys (before anything is written in
    /// the transaction: PostgreSQL alters no table with pending foreign-key checks).
    async fn set_aside(&mut self, layer: Layer) -> Result<(), StoreError> {
        let table = layer.name();
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i
             WHERE i.schemaname = current_schema() AND i.tablename = $1
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                               WHERE c.conrelid = $1::regclass AND c.conname = i.indexname)",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await?;
        let keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname",
        )
        .bind(table)
        .fetch_all(&mut *self.tx)
        .await?;
        for (name, definition) in indexes {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut *self.tx)
                .await?;
            self.indexes.push(definition);
        }
        for (name, definition) in keys {
            sqlx::query(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
                .execute(&mut *self.tx)
                .await?;
            self.keys.push((table.to_owned(), name, definition));
        }
        Ok(())
    }
}

#[async_trait]
impl Tx for PgTx<'_> {
    async fn data_version(&mut self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar(
                "SELECT value FROM atlas_meta WHERE key = 'data_version' FOR UPDATE",
            )
            .fetch_one(&mut *self.tx)
            .await?,
        )
    }

    async fn set_data_version(&mut self, version: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE atlas_meta SET value = $1 WHERE key = 'data_version'")
            .bind(version)
            .execute(&mut *self.tx)
            .await?;
        // Delivered at commit to every server listening (`LISTEN gridatlas_data`).
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(DATA_CHANNEL)
            .bind(version.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn max_id(&mut self, layer: Layer) -> Result<i64, StoreError> {
        // The data-version row lock already serializes writers; max(id) is then stable.
        Ok(sqlx::query_scalar(&format!(
            "SELECT coalesce(max(id), 0) FROM {}",
            layer.name()
        ))
        .fetch_one(&mut *self.tx)
        .await?)
    }

    async fn versions(
        &mut self,
        layer: Layer,
        ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, version FROM {} WHERE id = ANY($1)",
            layer.name()
        ))
        .bind(ids)
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(rows.into_iter().collect())
    }

    async fn fetch(
        &mut self,
        layer: Layer,
        id: i64,
    ) -> Result<Option<Result<Feature, Unreadable>>, StoreError> {
        let row = sqlx::query(&format!("{} WHERE id = $1", select(layer)))
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        Ok(row.map(|r| read_row(layer, &r)))
    }

    /// New features by one binary `COPY` per layer: rows streamed in 1 MiB pieces, no bind
    /// limits, no statement per batch (see [`copy_rows`]).
    async fn insert(&mut self, layer: Layer, features: &[&Feature]) -> Result<(), StoreError> {
        let sql = format!(
            "COPY {} ({}, geom) FROM STDIN WITH (FORMAT binary)",
            layer.name(),
            columns(layer)
        );
        let mut copy = (*self.tx)
            .copy_in_raw(&sql)
            .await
            .map_err(StoreError::from_db)?;
        let mut buf = Vec::with_capacity(COPY_PIECE + 64 * 1024);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes());
        buf.extend_from_slice(&0i32.to_be_bytes());
        for f in features {
            copy_row(&mut buf, f);
            if buf.len() >= COPY_PIECE {
                copy.send(std::mem::take(&mut buf))
                    .await
                    .map_err(StoreError::from_db)?;
            }
        }
        buf.extend_from_slice(&(-1i16).to_be_bytes());
        copy.send(buf).await.map_err(StoreError::from_db)?;
        copy.finish().await.map_err(StoreError::from_db)?;
        Ok(())
    }

    async fn prepare(&mut self, upserts: &HashMap<Layer, usize>) -> Result<(), StoreError> {
        let bulk: Vec<Layer> = Layer::ALL
            .into_iter()
            .filter(|l| upserts.get(l).is_some_and(|&n| n >= BULK_ROWS))
            .collect();
        if !bulk.is_empty() {
            // Room to build the indexes again in memory (for this transaction only).
            sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                .execute(&mut *self.tx)
                .await?;
        }
        for layer in bulk {
            self.set_aside(layer).await?;
        }
        Ok(())
    }

    async fn inserted(&mut self) -> Result<(), StoreError> {
        if self.indexes.is_empty() && self.keys.is_empty() {
            return Ok(());
        }
        // The checks deferred so far run now, as they would at commit: no table may be altered
        // while checks on it are pending.
        sqlx::query("SET CONSTRAINTS ALL IMMEDIATE")
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_db)?;
        for index in std::mem::take(&mut self.indexes) {
            sqlx::query(&index).execute(&mut *self.tx).await?;
        }
        for (table, name, definition) in std::mem::take(&mut self.keys) {
            sqlx::query(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}"
            ))
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_db)?;
        }
        Ok(())
    }

    async fn update(&mut self, feature: &Feature) -> Result<(), StoreError> {
        let layer = feature.layer();
        let mut qb =
            QueryBuilder::<Postgres>::new(format!("UPDATE {} SET version = ", layer.name()));
        qb.push_bind(feature.version());
        for (def, cell) in schema::fields(layer).iter().zip(codec::cells(feature)) {
            qb.push(format!(", {} = ", def.name));
            match cell {
                Cell::Int(v) => qb.push_bind(v),
                Cell::Real(v) => qb.push_bind(v),
                Cell::Text(v) => qb.push_bind(v),
                Cell::Bool(v) => qb.push_bind(v),
                Cell::List(v) => qb.push_bind(v),
            };
        }
        qb.push(", geom = ST_GeomFromEWKB(")
            .push_bind(codec::ewkb_4326(&feature.geometry()))
            .push(") WHERE id = ")
            .push_bind(feature.id());
        qb.build()
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    async fn delete(&mut self, layer: Layer, id: i64) -> Result<(), StoreError> {
        sqlx::query(&format!("DELETE FROM {} WHERE id = $1", layer.name()))
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_db)?;
        Ok(())
    }

    async fn audit(
        &mut self,
        operation: &str,
        actor: &str,
        data_version: i64,
        entries: &[NewAudit],
    ) -> Result<(), StoreError> {
        for chunk in entries.chunks(8_000) {
            let mut qb = QueryBuilder::<Postgres>::new("INSERT INTO audit_log (actor, operation, layer, feature_id, before, after, data_version) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(actor)
                    .push_bind(operation)
                    .push_bind(e.layer.map(Layer::name))
                    .push_bind(e.feature_id)
                    .push_bind(e.before.clone())
                    .push_bind(e.after.clone())
                    .push_bind(data_version);
            });
            qb.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn publish_draft(
        &mut self,
        id: i64,
        expected_version: i64,
        actor: &str,
        data_version: i64,
    ) -> Result<(), StoreError> {
        Drafts::<Postgres>::publish(&mut self.tx, id, expected_version, actor, data_version).await
    }
}

#[async_trait]
impl Store for PostGis {
    fn kind(&self) -> &'static str {
        "postgis"
    }

    fn location(&self) -> String {
        match &self.replica {
            Some(r) => format!("{} (loaded from the replica {})", self.location, r.location),
            None => self.location.clone(),
        }
    }

    async fn drafts(&self, community_code: Option<&str>) -> Result<Vec<DraftRecord>, StoreError> {
        Drafts::<Postgres>::list(&mut *self.pool.acquire().await?, community_code).await
    }

    async fn draft(&self, id: i64) -> Result<Option<DraftRecord>, StoreError> {
        Drafts::<Postgres>::get(&mut *self.pool.acquire().await?, id).await
    }

    async fn save_draft(
        &self,
        draft: &DraftRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DraftRecord, StoreError> {
        Drafts::<Postgres>::save(
            &mut *self.pool.acquire().await?,
            draft,
            expected_version,
            actor,
        )
        .await
    }

    async fn delete_draft(&self, id: i64, expected_version: i64) -> Result<(), StoreError> {
        Drafts::<Postgres>::delete(&mut *self.pool.acquire().await?, id, expected_version).await
    }

    async fn work_records(&self, query: &WorkQuery) -> Result<Vec<WorkRecord>, StoreError> {
        Work::<Postgres>::list(&mut *self.pool.acquire().await?, query).await
    }

    async fn work_record(
        &self,
        kind: engine::gridwork::WorkKind,
        id: i64,
    ) -> Result<Option<WorkRecord>, StoreError> {
        Work::<Postgres>::get(&mut *self.pool.acquire().await?, kind, id).await
    }

    async fn save_work(
        &self,
        record: &WorkRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(WorkRecord, bool), StoreError> {
        Work::<Postgres>::save(
            &mut *self.pool.acquire().await?,
            record,
            expected_version,
            actor,
        )
        .await
    }

    async fn insert_work(
        &self,
        records: &[WorkRecord],
        actor: &Actor,
    ) -> Result<Vec<i64>, StoreError> {
        Work::<Postgres>::insert_all(&mut *self.pool.acquire().await?, records, actor).await
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn put_account(&self, account: &Account, actor: &Actor) -> Result<(), StoreError> {
        Accounts::<Postgres>::put(&mut *self.pool.acquire().await?, account, actor).await
    }

    async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Accounts::<Postgres>::get(&mut *self.pool.acquire().await?, name).await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        Accounts::<Postgres>::list(&mut *self.pool.acquire().await?).await
    }

    async fn open_session(&self, session: &StoredSession) -> Result<(), StoreError> {
        Sessions::<Postgres>::open(&mut *self.pool.acquire().await?, session).await
    }

    async fn session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError> {
        Sessions::<Postgres>::get(&mut *self.pool.acquire().await?, token_sha256, now).await
    }

    async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        Sessions::<Postgres>::end(&mut *self.pool.acquire().await?, token_sha256).await
    }

    async fn login_failures(&self, name: &str, since: i64) -> Result<Vec<i64>, StoreError> {
        Sessions::<Postgres>::failures(&mut *self.pool.acquire().await?, name, since).await
    }

    async fn record_login_failure(
        &self,
        name: &str,
        at: i64,
        forget: i64,
    ) -> Result<(), StoreError> {
        Sessions::<Postgres>::fail(&mut *self.pool.acquire().await?, name, at, forget).await
    }

    async fn data_version(&self) -> Result<i64, StoreError> {
        version_of(&self.pool).await
    }

    async fn load_all(&self) -> Result<Loaded, StoreError> {
        let Some(replica) = &self.replica else {
            return load_from(&self.pool).await;
        };
        // Never older than the primary now: wait for the replica to replay up to it.
        let wanted = self.data_version().await?;
        let deadline = tokio::time::Instant::now() + replica.patience;
        loop {
            let replayed = version_of(&replica.pool).await?;
            if replayed >= wanted {
                replica.loads.replica.fetch_add(1, Ordering::Relaxed);
                return load_from(&replica.pool).await;
            }
            if tokio::time::Instant::now() >= deadline {
                replica.loads.primary.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(replica = %replica.location, replayed, wanted, "the replica lags; loading from the primary");
                return load_from(&self.pool).await;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn commit_checked(
        &self,
        operation: &Operation,
        actor: &Actor,
        verdict: Verdict,
    ) -> Result<Committed, StoreError> {
        let mut tx = PgTx::new(self.pool.begin().await?);
        let committed = commit::run_checked(&mut tx, operation, actor, verdict).await?;
        tx.tx.commit().await.map_err(StoreError::from_db)?;
        Ok(committed)
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at, actor, operation, layer, feature_id, before, after, data_version FROM audit_log WHERE true",
        );
        if let Some(layer) = &query.layer {
            qb.push(" AND layer = ").push_bind(layer.clone());
        }
        if let Some(id) = query.feature_id {
            qb.push(" AND feature_id = ").push_bind(id);
        }
        if let Some(actor) = &query.actor {
            qb.push(" AND actor = ").push_bind(actor.clone());
        }
        if let Some(since) = &query.since {
            qb.push(" AND at >= ")
                .push_bind(since.clone())
                .push("::timestamptz");
        }
        if let Some(until) = &query.until {
            qb.push(" AND at < ")
                .push_bind(until.clone())
                .push("::timestamptz");
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(query.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    operation: r.try_get("operation")?,
                    layer: r.try_get("layer")?,
                    feature_id: r.try_get("feature_id")?,
                    before: r.try_get("before")?,
                    after: r.try_get("after")?,
                    data_version: r.try_get("data_version")?,
                })
            })
            .collect()
    }
}
