//! The embedded store: one OGC GeoPackage 1.3 file (SQLite), readable by GDAL and QGIS.
//!
//! Each layer is a feature table whose `INTEGER PRIMARY KEY` is the feature id (GDAL's FID);
//! geometries are GeoPackage binary blobs in SRS 4326. The audit log is an attributes table.
//! The R-tree spatial-index extension is not used: its triggers need SQL functions that only
//! GDAL/SpatiaLite provide; the engine keeps its own R-trees in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use async_trait::async_trait;
use engine::schema::{self, FieldKind};
use engine::snapshot::Unreadable;
use engine::{Feature, Layer};
use geo::BoundingRect;
use geo_types::Geometry;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

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

/// "GPKG" as the SQLite application id.
const GPKG_APPLICATION_ID: i64 = 0x4750_4B47;
/// GeoPackage 1.3.0 (the file uses nothing newer; GDAL 3.6 reads up to 1.3).
const GPKG_USER_VERSION: i64 = 10_300;
/// Version of the atlas tables inside the GeoPackage.
const ATLAS_SCHEMA_VERSION: i64 = 8;

/// Tables added in atlas schema version 2.
const ACCOUNTS_DDL: &str = "CREATE TABLE accounts (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, scope TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT 0, created_at TEXT NOT NULL)";

/// Tables added in atlas schema version 3: grid-planning drafts (an attributes table).
const PLAN_DRAFTS_DDL: &str = "CREATE TABLE plan_drafts (id INTEGER PRIMARY KEY AUTOINCREMENT, community_code TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')), version INTEGER NOT NULL DEFAULT 1, author TEXT NOT NULL, updated_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, published_data_version INTEGER, body TEXT NOT NULL);
CREATE INDEX plan_drafts_community_idx ON plan_drafts (community_code, id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('plan_drafts', 'attributes', 'plan_drafts', '网格方案草案 Grid-planning drafts');";

/// Tables added in atlas schema version 7: grid work (grid workers, organisations, visits,
/// needs), one versioned attributes table.
const GRID_WORK_DDL: &str = "CREATE TABLE grid_work (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK (kind IN ('grid_workers', 'organisations', 'visits', 'needs', 'building_heads', 'residents_groups', 'joint_units', 'resources', 'projects')), version INTEGER NOT NULL DEFAULT 1, community_code TEXT NOT NULL, grid_code TEXT, status TEXT, client_id TEXT, body TEXT NOT NULL, created_by TEXT NOT NULL, updated_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX grid_work_kind_idx ON grid_work (kind, community_code, id);
CREATE UNIQUE INDEX grid_work_client_idx ON grid_work (kind, client_id) WHERE client_id IS NOT NULL;
INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('grid_work', 'attributes', 'grid_work', '网格工作记录 Grid work: workers, organisations, visits, needs, building heads, residents groups, joint units, resources, projects');";

/// Tables added in atlas schema version 8: sessions and failed sign-ins, shared by every
/// process that opens the file (tokens only as their SHA-256; times in Unix milliseconds).
const SESSIONS_DDL: &str = "CREATE TABLE sessions (token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES accounts (name) ON DELETE CASCADE, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX sessions_name_idx ON sessions (name);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);
CREATE TABLE login_failures (name TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX login_failures_name_idx ON login_failures (name, at);";

const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]"#;

const GPKG_CORE: &str = r"
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE atlas_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, operation TEXT NOT NULL,
  layer TEXT, feature_id INTEGER, before TEXT, after TEXT, data_version INTEGER NOT NULL);
CREATE INDEX audit_log_feature_idx ON audit_log (layer, feature_id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, at);
";

/// Foreign keys of the atlas tables: (layer, column, referenced table, referenced column).
const FOREIGN_KEYS: &[(Layer, &str, &str, &str)] = &[
    (Layer::Communities, "street_code", "streets", "code"),
    (Layer::Grids, "community_code", "communities", "code"),
    (Layer::Compounds, "community_code", "communities", "code"),
    (Layer::Compounds, "grid_code", "grids", "code"),
    (Layer::Buildings, "community_code", "communities", "code"),
    (Layer::Buildings, "compound_id", "compounds", "id"),
    (Layer::Buildings, "grid_code", "grids", "code"),
    (Layer::Gates, "community_code", "communities", "code"),
    (Layer::Gates, "compound_id", "compounds", "id"),
    (Layer::Ways, "compound_id", "compounds", "id"),
    (Layer::Ways, "street_code", "streets", "code"),
    (Layer::Stations, "community_code", "communities", "code"),
    (
        Layer::ServiceSpaces,
        "community_code",
        "communities",
        "code",
    ),
    (Layer::ServiceSpaces, "station_id", "stations", "id"),
];

/// The DDL of a layer's feature table.
fn create_table(layer: Layer) -> String {
    let mut cols = vec![
        "id INTEGER PRIMARY KEY".to_owned(),
        "version INTEGER NOT NULL CHECK (version > 0)".to_owned(),
    ];
    for def in schema::fields(layer) {
        let ty = match def.kind {
            FieldKind::Integer { .. } => "INTEGER",
            FieldKind::Real { .. } => "DOUBLE",
            FieldKind::Boolean => "BOOLEAN",
            FieldKind::Text { .. }
            | FieldKind::Code { .. }
            | FieldKind::Enum(_)
            | FieldKind::EnumList(_) => "TEXT",
        };
        let unique = if def.name == "code" { " UNIQUE" } else { "" };
        let null = if def.required || def.kind == FieldKind::Boolean {
            " NOT NULL"
        } else {
            ""
        };
        cols.push(format!("{} {ty}{null}{unique}", def.name));
    }
    cols.push(format!(
        "geom {} NOT NULL",
        schema::geometry_kind(layer).ogc_name()
    ));
    for (l, col, table, target) in FOREIGN_KEYS {
        if *l == layer {
            cols.push(format!(
                "FOREIGN KEY ({col}) REFERENCES {table} ({target}) DEFERRABLE INITIALLY DEFERRED"
            ));
        }
    }
    format!(
        "CREATE TABLE {} (\n  {}\n)",
        layer.name(),
        cols.join(",\n  ")
    )
}

/// The embedded GeoPackage store.
pub struct GeoPackage {
    pool: SqlitePool,
    path: PathBuf,
}

impl GeoPackage {
    /// Opens the file, creating an empty atlas when it does not exist.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteJournalMode::Wal).await
    }

    /// Creates a fresh single-file GeoPackage (rollback journal, no `-wal` file): used by export.
    pub async fn create_file(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteJournalMode::Delete).await
    }

    async fn open_with(path: &Path, journal: SqliteJournalMode) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(journal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        // One connection: SQLite has one writer, and every write here is serialized anyway. No
        // idle reaping, pointless for one local file: sqlx 0.8's maintenance task can read its
        // idle count mid-update and spin for good (sqlx#3645; seen holding a CLI run at exit).
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        let store = GeoPackage {
            pool,
            path: path.to_owned(),
        };
        store.ensure_schema().await?;
        Ok(store)
    }

    async fn ensure_schema(&self) -> Result<(), StoreError> {
        let not_atlas = |reason: &str| StoreError::NotAnAtlas {
            path: self.path.display().to_string(),
            reason: reason.to_owned(),
        };
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&self.pool)
                .await?;
        if tables > 0 {
            let has_meta: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'atlas_meta'",
            )
            .fetch_one(&self.pool)
            .await?;
            if has_meta == 0 {
                return Err(not_atlas("it has tables but no atlas_meta table"));
            }
            let version: Option<i64> =
                sqlx::query_scalar("SELECT value FROM atlas_meta WHERE key = 'schema_version'")
                    .fetch_optional(&self.pool)
                    .await?;
            let Some(version) = version else {
                return Err(not_atlas("atlas_meta has no schema_version"));
            };
            if !(1..=ATLAS_SCHEMA_VERSION).contains(&version) {
                return Err(not_atlas(&format!(
                    "its atlas schema version is {version}, this build reads {ATLAS_SCHEMA_VERSION}"
                )));
            }
            if version < ATLAS_SCHEMA_VERSION {
                // Upgrades in one transaction: 1 → 2 accounts, 2 → 3 plan drafts, 3 → 4
                // compound gates, 4 → 5 buildings' approximate-location flag, 5 → 6 ways, 6 → 7 grid work, 7 → 8
                // shared sessions.
                let mut tx = self.pool.begin().await?;
                if version < 2 {
                    sqlx::query(ACCOUNTS_DDL).execute(&mut *tx).await?;
                }
                if version < 3 {
                    sqlx::raw_sql(PLAN_DRAFTS_DDL).execute(&mut *tx).await?;
                }
                if version < 4 {
                    create_layer(&mut tx, Layer::Gates).await?;
                }
                if version < 5 {
                    sqlx::query("ALTER TABLE buildings ADD COLUMN location_approximate BOOLEAN NOT NULL DEFAULT 0")
                        .execute(&mut *tx)
                        .await?;
                }
                if version < 6 {
                    create_layer(&mut tx, Layer::Ways).await?;
                }
                if version < 7 {
                    sqlx::raw_sql(GRID_WORK_DDL).execute(&mut *tx).await?;
                }
                if version < 8 {
                    sqlx::raw_sql(SESSIONS_DDL).execute(&mut *tx).await?;
                }
                sqlx::query("UPDATE atlas_meta SET value = ? WHERE key = 'schema_version'")
                    .bind(ATLAS_SCHEMA_VERSION)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            return Ok(());
        }
        sqlx::query(&format!("PRAGMA application_id = {GPKG_APPLICATION_ID}"))
            .execute(&self.pool)
            .await?;
        sqlx::query(&format!("PRAGMA user_version = {GPKG_USER_VERSION}"))
            .execute(&self.pool)
            .await?;
        let mut tx = self.pool.begin().await?;
        sqlx::raw_sql(GPKG_CORE).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO gpkg_spatial_ref_sys VALUES
             ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
             ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
             ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        )
        .bind(WGS84_WKT)
        .execute(&mut *tx)
        .await?;
        for layer in Layer::ALL {
            create_layer(&mut tx, layer).await?;
        }
        sqlx::query("INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('audit_log', 'attributes', 'audit_log', '审计日志 Audit log')")
            .execute(&mut *tx)
            .await?;
        sqlx::query(ACCOUNTS_DDL).execute(&mut *tx).await?;
        sqlx::raw_sql(PLAN_DRAFTS_DDL).execute(&mut *tx).await?;
        sqlx::raw_sql(GRID_WORK_DDL).execute(&mut *tx).await?;
        sqlx::raw_sql(SESSIONS_DDL).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO atlas_meta VALUES ('schema_version', ?), ('data_version', 0)")
            .bind(ATLAS_SCHEMA_VERSION)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Creates a layer's feature table and registers it as `GeoPackage` features.
async fn create_layer(tx: &mut Transaction<'_, Sqlite>, layer: Layer) -> Result<(), StoreError> {
    sqlx::query(&create_table(layer)).execute(&mut **tx).await?;
    sqlx::query("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?, 'features', ?, ?, 4326)")
        .bind(layer.name())
        .bind(layer.name())
        .bind(format!("{} {}", layer.title_zh(), layer.title_en()))
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, 4326, 0, 0)")
        .bind(layer.name())
        .bind(schema::geometry_kind(layer).ogc_name())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn columns(layer: Layer) -> String {
    let mut cols = vec!["id", "version"];
    cols.extend(schema::fields(layer).iter().map(|d| d.name));
    cols.join(", ")
}

fn select(layer: Layer) -> String {
    format!("SELECT {}, geom FROM {}", columns(layer), layer.name())
}

/// A stored row as a feature, or what makes it unreadable (named by column).
fn read_row(layer: Layer, row: &SqliteRow) -> Result<Feature, Unreadable> {
    rows::read::<SqliteRow, GpkgRows>(layer, row)
}

/// The GeoPackage keeps lists of names as JSON text and geometry as GeoPackage binary.
struct GpkgRows;

impl rows::RowDialect<SqliteRow> for GpkgRows {
    fn list(row: &SqliteRow, def: &schema::FieldDef) -> Result<Vec<String>, String> {
        let text: String = row
            .try_get(def.name)
            .map_err(|e| format!("{}: must be a JSON list of names: {e}", def.name))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a JSON list of names: {e}", def.name))
    }

    fn geometry(row: &SqliteRow) -> Result<Geometry, String> {
        let blob: Vec<u8> = row
            .try_get("geom")
            .map_err(|e| format!("geometry: not a GeoPackage geometry: {e}"))?;
        codec::from_gpkg_blob(&blob)
    }
}

fn push_cell<'a>(b: &mut sqlx::query_builder::Separated<'_, 'a, Sqlite, &'static str>, cell: Cell) {
    match cell {
        Cell::Int(v) => b.push_bind(v),
        Cell::Real(v) => b.push_bind(v),
        Cell::Text(v) => b.push_bind(v),
        Cell::Bool(v) => b.push_bind(v),
        Cell::List(v) => b.push_bind(serde_json::to_string(&v).unwrap_or_default()),
    };
}

/// Rows per INSERT statement (SQLite allows 32,766 bind parameters).
fn rows_per_statement(layer: Layer) -> usize {
    30_000 / (schema::fields(layer).len() + 3)
}

/// A GeoPackage transaction and the layer extents its writes widen, written to `gpkg_contents`
/// once per layer at the end (not once per updated row: a ledger may update a million).
struct GpkgTx<'t>(Transaction<'t, Sqlite>, HashMap<Layer, geo_types::Rect>);

impl GpkgTx<'_> {
    /// Notes that the layer's extent must cover `features`.
    fn extend_extent(&mut self, layer: Layer, features: &[&Feature]) {
        if let Some(rect) = features
            .iter()
            .filter_map(|f| f.geometry().bounding_rect())
            .reduce(engine::box_index::union)
        {
            let widened = self
                .1
                .get(&layer)
                .map_or(rect, |r| engine::box_index::union(*r, rect));
            self.1.insert(layer, widened);
        }
    }

    /// Widens each written layer's extent in `gpkg_contents`.
    async fn write_extents(&mut self) -> Result<(), StoreError> {
        for (layer, rect) in std::mem::take(&mut self.1) {
            Self::write_extent(&mut self.0, layer, rect).await?;
        }
        Ok(())
    }

    async fn write_extent(
        tx: &mut Transaction<'_, Sqlite>,
        layer: Layer,
        rect: geo_types::Rect,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
             max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
             last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?5",
        )
        .bind(rect.min().x)
        .bind(rect.min().y)
        .bind(rect.max().x)
        .bind(rect.max().y)
        .bind(layer.name())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Tx for GpkgTx<'_> {
    async fn data_version(&mut self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(rows::DATA_VERSION)
            .fetch_one(&mut *self.0)
            .await?)
    }

    async fn set_data_version(&mut self, version: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE atlas_meta SET value = ? WHERE key = 'data_version'")
            .bind(version)
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn max_id(&mut self, layer: Layer) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT coalesce(max(id), 0) FROM {}",
            layer.name()
        ))
        .fetch_one(&mut *self.0)
        .await?)
    }

    async fn versions(
        &mut self,
        layer: Layer,
        ids: &[i64],
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(30_000) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT id, version FROM {} WHERE id IN (",
                layer.name()
            ));
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *self.0).await?;
            out.extend(rows);
        }
        Ok(out)
    }

    async fn fetch(
        &mut self,
        layer: Layer,
        id: i64,
    ) -> Result<Option<Result<Feature, Unreadable>>, StoreError> {
        let row = sqlx::query(&format!("{} WHERE id = ?", select(layer)))
            .bind(id)
            .fetch_optional(&mut *self.0)
            .await?;
        Ok(row.map(|r| read_row(layer, &r)))
    }

    async fn insert(&mut self, layer: Layer, features: &[&Feature]) -> Result<(), StoreError> {
        for chunk in features.chunks(rows_per_statement(layer)) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO {} ({}, geom) ",
                layer.name(),
                columns(layer)
            ));
            qb.push_values(chunk, |mut b, f| {
                b.push_bind(f.id()).push_bind(f.version());
                for cell in codec::cells(f) {
                    push_cell(&mut b, cell);
                }
                b.push_bind(codec::gpkg_blob(&f.geometry()));
            });
            qb.build()
                .execute(&mut *self.0)
                .await
                .map_err(StoreError::from_db)?;
        }
        self.extend_extent(layer, features);
        Ok(())
    }

    async fn update(&mut self, feature: &Feature) -> Result<(), StoreError> {
        let layer = feature.layer();
        let mut qb = QueryBuilder::<Sqlite>::new(format!("UPDATE {} SET version = ", layer.name()));
        qb.push_bind(feature.version());
        for (def, cell) in schema::fields(layer).iter().zip(codec::cells(feature)) {
            qb.push(format!(", {} = ", def.name));
            match cell {
                Cell::Int(v) => qb.push_bind(v),
                Cell::Real(v) => qb.push_bind(v),
                Cell::Text(v) => qb.push_bind(v),
                Cell::Bool(v) => qb.push_bind(v),
                Cell::List(v) => qb.push_bind(serde_json::to_string(&v).unwrap_or_default()),
            };
        }
        qb.push(", geom = ")
            .push_bind(codec::gpkg_blob(&feature.geometry()))
            .push(" WHERE id = ")
            .push_bind(feature.id());
        qb.build()
            .execute(&mut *self.0)
            .await
            .map_err(StoreError::from_db)?;
        self.extend_extent(layer, &[feature]);
        Ok(())
    }

    async fn delete(&mut self, layer: Layer, id: i64) -> Result<(), StoreError> {
        sqlx::query(&format!("DELETE FROM {} WHERE id = ?", layer.name()))
            .bind(id)
            .execute(&mut *self.0)
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
        let at = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        for chunk in entries.chunks(4_000) {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO audit_log (at, actor, operation, layer, feature_id, before, after, data_version) ");
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(at.clone())
                    .push_bind(actor)
                    .push_bind(operation)
                    .push_bind(e.layer.map(Layer::name))
                    .push_bind(e.feature_id)
                    .push_bind(e.before.as_ref().map(ToString::to_string))
                    .push_bind(e.after.as_ref().map(ToString::to_string))
                    .push_bind(data_version);
            });
            qb.build().execute(&mut *self.0).await?;
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
        Drafts::<Sqlite>::publish(&mut self.0, id, expected_version, actor, data_version).await
    }
}

#[async_trait]
impl Store for GeoPackage {
    fn kind(&self) -> &'static str {
        "geopackage"
    }

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn put_account(&self, account: &Account, actor: &Actor) -> Result<(), StoreError> {
        Accounts::<Sqlite>::put(&mut *self.pool.acquire().await?, account, actor).await
    }

    async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Accounts::<Sqlite>::get(&mut *self.pool.acquire().await?, name).await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        Accounts::<Sqlite>::list(&mut *self.pool.acquire().await?).await
    }

    async fn open_session(&self, session: &StoredSession) -> Result<(), StoreError> {
        Sessions::<Sqlite>::open(&mut *self.pool.acquire().await?, session).await
    }

    async fn session(
        &self,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError> {
        Sessions::<Sqlite>::get(&mut *self.pool.acquire().await?, token_sha256, now).await
    }

    async fn end_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        Sessions::<Sqlite>::end(&mut *self.pool.acquire().await?, token_sha256).await
    }

    async fn login_failures(&self, name: &str, since: i64) -> Result<Vec<i64>, StoreError> {
        Sessions::<Sqlite>::failures(&mut *self.pool.acquire().await?, name, since).await
    }

    async fn record_login_failure(
        &self,
        name: &str,
        at: i64,
        forget: i64,
    ) -> Result<(), StoreError> {
        Sessions::<Sqlite>::fail(&mut *self.pool.acquire().await?, name, at, forget).await
    }

    async fn drafts(&self, community_code: Option<&str>) -> Result<Vec<DraftRecord>, StoreError> {
        Drafts::<Sqlite>::list(&mut *self.pool.acquire().await?, community_code).await
    }

    async fn draft(&self, id: i64) -> Result<Option<DraftRecord>, StoreError> {
        Drafts::<Sqlite>::get(&mut *self.pool.acquire().await?, id).await
    }

    async fn save_draft(
        &self,
        draft: &DraftRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DraftRecord, StoreError> {
        Drafts::<Sqlite>::save(
            &mut *self.pool.acquire().await?,
            draft,
            expected_version,
            actor,
        )
        .await
    }

    async fn delete_draft(&self, id: i64, expected_version: i64) -> Result<(), StoreError> {
        Drafts::<Sqlite>::delete(&mut *self.pool.acquire().await?, id, expected_version).await
    }

    async fn work_records(&self, query: &WorkQuery) -> Result<Vec<WorkRecord>, StoreError> {
        Work::<Sqlite>::list(&mut *self.pool.acquire().await?, query).await
    }

    async fn work_record(
        &self,
        kind: engine::gridwork::WorkKind,
        id: i64,
    ) -> Result<Option<WorkRecord>, StoreError> {
        Work::<Sqlite>::get(&mut *self.pool.acquire().await?, kind, id).await
    }

    async fn save_work(
        &self,
        record: &WorkRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(WorkRecord, bool), StoreError> {
        Work::<Sqlite>::save(
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
        Work::<Sqlite>::insert_all(&mut *self.pool.acquire().await?, records, actor).await
    }

    async fn close(&self) {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .ok();
        self.pool.close().await;
    }

    async fn data_version(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(rows::DATA_VERSION)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn load_all(&self) -> Result<Loaded, StoreError> {
        let mut tx = self.pool.begin().await?;
        let loaded = rows::load_layers::<Sqlite>(&mut tx, select, read_row).await?;
        tx.commit().await?;
        Ok(loaded)
    }

    async fn commit_checked(
        &self,
        operation: &Operation,
        actor: &Actor,
        verdict: Verdict,
    ) -> Result<Committed, StoreError> {
        let mut tx = GpkgTx(self.pool.begin().await?, HashMap::new());
        let committed = commit::run_checked(&mut tx, operation, actor, verdict).await?;
        tx.write_extents().await?;
        tx.0.commit().await.map_err(StoreError::from_db)?;
        Ok(committed)
    }

    async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut qb = QueryBuilder::<Sqlite>::new("SELECT id, at, actor, operation, layer, feature_id, before, after, data_version FROM audit_log WHERE 1");
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
            qb.push(" AND at >= ").push_bind(since.clone());
        }
        if let Some(until) = &query.until {
            qb.push(" AND at < ").push_bind(until.clone());
        }
        qb.push(" ORDER BY id DESC LIMIT ").push_bind(query.limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    operation: r.try_get("operation")?,
                    layer: r.try_get("layer")?,
                    feature_id: r.try_get("feature_id")?,
                    before: parse(r.try_get("before")?),
                    after: parse(r.try_get("after")?),
                    data_version: r.try_get("data_version")?,
                })
            })
            .collect()
    }
}
