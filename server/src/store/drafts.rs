//! Grid-planning drafts, written once for both stores over their [`Dialect`]: versioned saves
//! (a stale version or a published draft is a conflict), deletion, and publication inside a
//! commit's transaction.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::dialect::Dialect;
use super::{draft_refusal, Actor, DraftRecord, StoreError};

/// The draft statements of database `DB`, run on a connection (or open transaction) the
/// store passes in.
pub struct Drafts<DB>(PhantomData<DB>);

impl<DB> Drafts<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
{
    /// The columns of a [`DraftRecord`], in [`Self::from_row`] order.
    fn columns() -> String {
        format!(
            "id, version, community_code, name, status, author, updated_by, {}, {}, \
             published_data_version, {}",
            DB::time_text("created_at"),
            DB::time_text("updated_at"),
            DB::json_text("body")
        )
    }

    fn from_row(row: &DB::Row) -> Result<DraftRecord, StoreError> {
        let id: i64 = row.try_get(0)?;
        let body: String = row.try_get(10)?;
        Ok(DraftRecord {
            id,
            version: row.try_get(1)?,
            community_code: row.try_get(2)?,
            name: row.try_get(3)?,
            status: row.try_get(4)?,
            author: row.try_get(5)?,
            updated_by: row.try_get(6)?,
            created_at: row.try_get(7)?,
            updated_at: row.try_get(8)?,
            published_data_version: row.try_get(9)?,
            body: serde_json::from_str(&body).map_err(|e| {
                StoreError::Integrity(format!("stored draft {id} is unreadable: {e}"))
            })?,
        })
    }

    /// Drafts of one community or all, newest first.
    pub async fn list(
        conn: &mut DB::Connection,
        community_code: Option<&str>,
    ) -> Result<Vec<DraftRecord>, StoreError> {
        let filter = match community_code {
            Some(_) => " WHERE community_code = $1",
            None => "",
        };
        let sql = format!(
            "SELECT {} FROM plan_drafts{filter} ORDER BY id DESC",
            Self::columns()
        );
        let mut query = sqlx::query(&sql);
        if let Some(code) = community_code {
            query = query.bind(code.to_owned());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        rows.iter().map(Self::from_row).collect()
    }

    /// One draft.
    pub async fn get(
        conn: &mut DB::Connection,
        id: i64,
    ) -> Result<Option<DraftRecord>, StoreError> {
        let sql = format!("SELECT {} FROM plan_drafts WHERE id = $1", Self::columns());
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(Self::from_row).transpose()
    }

    /// Saves a draft by `actor`: a new one (version 1) when `expected_version` is `None`, else
    /// its name and body if the stored version is still `expected_version` and it is not
    /// published. Returns the draft as stored.
    pub async fn save(
        conn: &mut DB::Connection,
        draft: &DraftRecord,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<DraftRecord, StoreError> {
        let (now, body, columns) = (DB::NOW, DB::json_param(3), Self::columns());
        let sql = match expected_version {
            None => format!(
                "INSERT INTO plan_drafts (name, body, author, updated_by, created_at, updated_at, \
                 community_code) VALUES ($1, {body}, $2, $2, {now}, {now}, $4) RETURNING {columns}"
            ),
            Some(_) => format!(
                "UPDATE plan_drafts SET name = $1, body = {body}, updated_by = $2, \
                 updated_at = {now}, version = version + 1 \
                 WHERE id = $4 AND version = $5 AND status = 'draft' RETURNING {columns}"
            ),
        };
        let query = sqlx::query(&sql)
            .bind(draft.name.clone())
            .bind(actor.name.clone())
            .bind(draft.body.to_string());
        let query = match expected_version {
            None => query.bind(draft.community_code.clone()),
            Some(expected) => query.bind(draft.id).bind(expected),
        };
        let row = query
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from_db)?;
        match (row, expected_version) {
            (Some(row), _) => Self::from_row(&row),
            (None, Some(expected)) => Err(Self::refusal(conn, draft.id, expected).await?),
            (None, None) => Err(StoreError::Integrity(
                "a new draft was not stored".to_owned(),
            )),
        }
    }

    /// Deletes a draft if its stored version is still `expected_version` and it is not
    /// published.
    pub async fn delete(
        conn: &mut DB::Connection,
        id: i64,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "DELETE FROM plan_drafts WHERE id = $1 AND version = $2 AND status = 'draft' \
             RETURNING id",
        )
        .bind(id)
        .bind(expected_version);
        Self::guarded(conn, query, id, expected_version).await
    }

    /// Marks a draft published by `actor` at `data_version` inside a commit's transaction, if
    /// its stored version is still `expected_version` and it is not published yet.
    pub async fn publish(
        conn: &mut DB::Connection,
        id: i64,
        expected_version: i64,
        actor: &str,
        data_version: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE plan_drafts SET status = 'published', version = version + 1, \
             updated_by = $1, updated_at = {}, published_data_version = $2 \
             WHERE id = $3 AND version = $4 AND status = 'draft' RETURNING id",
            DB::NOW
        );
        let query = sqlx::query(&sql)
            .bind(actor.to_owned())
            .bind(data_version)
            .bind(id)
            .bind(expected_version);
        Self::guarded(conn, query, id, expected_version).await
    }

    /// Runs a write guarded by the draft's version (`… RETURNING id`); no row written is a
    /// refusal.
    async fn guarded<'q>(
        conn: &mut DB::Connection,
        query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
        id: i64,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        match query.fetch_optional(&mut *conn).await? {
            Some(_) => Ok(()),
            None => Err(Self::refusal(conn, id, expected_version).await?),
        }
    }

    /// Why a draft write matched no row: the draft is gone, or at another version or published.
    async fn refusal(
        conn: &mut DB::Connection,
        id: i64,
        expected: i64,
    ) -> Result<StoreError, StoreError> {
        let row = sqlx::query("SELECT version, status FROM plan_drafts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let stored = match row {
            Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
            None => None,
        };
        Ok(draft_refusal(id, expected, stored))
    }
}
