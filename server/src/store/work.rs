//! Grid-work records (grid workers, organisations, visits, needs), written once for both stores
//! over their [`Dialect`]: one versioned table whose body the engine types
//! ([`engine::gridwork`]); a write guarded by the version it read (so a need is claimed once:
//! the second claim finds a newer version), a visit sent twice under one client id kept once,
//! and every change audited in the same transaction.

use std::marker::PhantomData;

use engine::gridwork::WorkKind;
use sqlx::{ColumnIndex, Connection, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::dialect::Dialect;
use super::{Actor, StoreError, WorkQuery, WorkRecord};

/// The grid-work statements of database `DB`.
pub struct Work<DB>(PhantomData<DB>);

impl<DB> Work<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    Option<String>: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
{
    /// The columns of a [`WorkRecord`], in [`Self::from_row`] order.
    fn columns() -> String {
        format!(
            "id, kind, version, community_code, grid_code, status, client_id, created_by, \
             updated_by, {}, {}, {}",
            DB::time_text("created_at"),
            DB::time_text("updated_at"),
            DB::json_text("body")
        )
    }

    fn from_row(row: &DB::Row) -> Result<WorkRecord, StoreError> {
        let id: i64 = row.try_get(0)?;
        let kind: String = row.try_get(1)?;
        let body: String = row.try_get(11)?;
        let unreadable =
            |why: String| StoreError::Integrity(format!("stored {kind} {id} is unreadable: {why}"));
        Ok(WorkRecord {
            id,
            kind: WorkKind::from_name(&kind).ok_or_else(|| unreadable("unknown kind".into()))?,
            version: row.try_get(2)?,
            community_code: row.try_get(3)?,
            grid_code: row.try_get(4)?,
            status: row.try_get(5)?,
            client_id: row.try_get(6)?,
            created_by: row.try_get(7)?,
            updated_by: row.try_get(8)?,
            created_at: row.try_get(9)?,
            updated_at: row.try_get(10)?,
            body: serde_json::from_str(&body).map_err(|e| unreadable(e.to_string()))?,
        })
    }

    /// Records of one kind matching the query, oldest first.
    pub async fn list(
        conn: &mut DB::Connection,
        query: &WorkQuery,
    ) -> Result<Vec<WorkRecord>, StoreError> {
        let mut sql = format!("SELECT {} FROM grid_work WHERE kind = $1", Self::columns());
        let mut binds: Vec<String> = vec![query.kind.name().to_owned()];
        for (column, value) in [
            ("community_code", &query.community),
            ("grid_code", &query.grid),
            ("status", &query.status),
        ] {
            if let Some(v) = value {
                binds.push(v.clone());
                sql.push_str(&format!(" AND {column} = ${}", binds.len()));
            }
        }
        if let Some(prefix) = &query.street {
            binds.push(format!("{prefix}%"));
            sql.push_str(&format!(" AND community_code LIKE ${}", binds.len()));
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&mut *conn).await?;
        rows.iter().map(Self::from_row).collect()
    }

    /// One record of `kind`.
    pub async fn get(
        conn: &mut DB::Connection,
        kind: WorkKind,
        id: i64,
    ) -> Result<Option<WorkRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM grid_work WHERE kind = $1 AND id = $2",
            Self::columns()
        );
        let row = sqlx::query(&sql)
            .bind(kind.name().to_owned())
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(Self::from_row).transpose()
    }

    /// Saves a record by `actor` in one transaction with its audit entry: a new one when
    /// `expected_version` is `None` (one that repeats a stored record's client id is that
    /// record: returned with `false`), else the stored one if it is still at
    /// `expected_version`. Returns the record as stored and whether it was written.
    pub async fn save(
        conn: &mut DB::Connection,
        record: &WorkRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<(WorkRecord, bool), StoreError> {
        let mut tx = conn.begin().await?;
        let (now, body, columns) = (DB::NOW, DB::json_param(5), Self::columns());
        let before = match expected_version {
            Some(_) => Self::get(&mut tx, record.kind, record.id).await?,
            None => None,
        };
        let sql = match expected_version {
            None => format!(
                "INSERT INTO grid_work (kind, community_code, grid_code, status, body, client_id, \
                 created_by, updated_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, {body}, $6, $7, $7, {now}, {now}) \
                 ON CONFLICT DO NOTHING RETURNING {columns}"
            ),
            Some(_) => format!(
                "UPDATE grid_work SET community_code = $2, grid_code = $3, status = $4, \
                 body = {body}, updated_by = $7, updated_at = {now}, version = version + 1 \
                 WHERE kind = $1 AND id = $8 AND version = $9 RETURNING {columns}"
            ),
        };
        let mut query = sqlx::query(&sql)
            .bind(record.kind.name().to_owned())
            .bind(record.community_code.clone())
            .bind(record.grid_code.clone())
            .bind(record.status.clone())
            .bind(record.body.to_string())
            .bind(record.client_id.clone())
            .bind(actor.name.clone());
        if let Some(expected) = expected_version {
            query = query.bind(record.id).bind(expected);
        }
        let row = query
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from_db)?;
        let saved = match (row, expected_version) {
            (Some(row), _) => Self::from_row(&row)?,
            (None, None) => {
                // The client id is taken: the record sent before.
                let sql =
                    format!("SELECT {columns} FROM grid_work WHERE kind = $1 AND client_id = $2");
                let row = sqlx::query(&sql)
                    .bind(record.kind.name().to_owned())
                    .bind(record.client_id.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(row) = row else {
                    return Err(StoreError::Integrity(format!(
                        "a new {} was not stored",
                        record.kind.name()
                    )));
                };
                return Ok((Self::from_row(&row)?, false));
            }
            (None, Some(expected)) => {
                return Err(match before {
                    None => StoreError::WorkNotFound {
                        kind: record.kind,
                        id: record.id,
                    },
                    Some(b) => StoreError::WorkConflict {
                        kind: record.kind,
                        id: record.id,
                        expected,
                        actual: b.version,
                    },
                })
            }
        };
        let data_version: i64 =
            sqlx::query("SELECT value FROM atlas_meta WHERE key = 'data_version'")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        sqlx::query(&format!(
            "INSERT INTO audit_log (at, actor, operation, layer, feature_id, before, after, data_version) \
             VALUES ({now}, $1, $2, $3, $4, {}, {}, $7)",
            DB::json_param(5),
            DB::json_param(6)
        ))
        .bind(actor.name.clone())
        .bind(if before.is_some() { "update" } else { "insert" }.to_owned())
        .bind(record.kind.name().to_owned())
        .bind(saved.id)
        .bind(before.map(|b| b.body.to_string()))
        .bind(Some(saved.body.to_string()))
        .bind(data_version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((saved, true))
    }

    /// Inserts records in one transaction (a demo's or a bulk load's), audited as one summary
    /// entry per kind; returns their ids in order.
    pub async fn insert_all(
        conn: &mut DB::Connection,
        records: &[WorkRecord],
        actor: &Actor,
    ) -> Result<Vec<i64>, StoreError> {
        let mut tx = conn.begin().await?;
        let sql = format!(
            "INSERT INTO grid_work (kind, community_code, grid_code, status, body, client_id, \
             created_by, updated_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, {}, $6, $7, $7, {now}, {now}) RETURNING id",
            DB::json_param(5),
            now = DB::NOW
        );
        let mut ids = Vec::with_capacity(records.len());
        for r in records {
            let row = sqlx::query(&sql)
                .bind(r.kind.name().to_owned())
                .bind(r.community_code.clone())
                .bind(r.grid_code.clone())
                .bind(r.status.clone())
                .bind(r.body.to_string())
                .bind(r.client_id.clone())
                .bind(actor.name.clone())
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_db)?;
            ids.push(row.try_get::<i64, _>(0)?);
        }
        let data_version: i64 =
            sqlx::query("SELECT value FROM atlas_meta WHERE key = 'data_version'")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        for kind in WorkKind::ALL {
            let n = records.iter().filter(|r| r.kind == *kind).count();
            if n == 0 {
                continue;
            }
            sqlx::query(&format!(
                "INSERT INTO audit_log (at, actor, operation, layer, after, data_version) \
                 VALUES ({}, $1, 'insert', $2, {}, $4)",
                DB::NOW,
                DB::json_param(3)
            ))
            .bind(actor.name.clone())
            .bind(kind.name().to_owned())
            .bind(serde_json::json!({ "inserted": n }).to_string())
            .bind(data_version)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ids)
    }
}
