//! Sessions and failed sign-ins, written once for both stores over their [`Dialect`], so that
//! every server over one database honours the same tokens and counts the same failures.
//!
//! A session names its account; the account's role, scope and whether it is disabled are read
//! with the session each time, so a disabled account is signed out everywhere at once.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::dialect::Dialect;
use super::{account_from_row, Account, StoreError};

/// A session as stored: the SHA-256 of its token (hex), its account, and its times in Unix
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub token_sha256: String,
    pub name: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The session statements of database `DB`, run on a connection the store passes in.
pub struct Sessions<DB>(PhantomData<DB>);

impl<DB> Sessions<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
{
    /// Stores a new session, and drops the expired ones of every account.
    pub async fn open(conn: &mut DB::Connection, s: &StoredSession) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(s.created_at)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_sha256, name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(s.token_sha256.clone())
        .bind(s.name.clone())
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_db)?;
        Ok(())
    }

    /// The account of a live session (not expired at `now`, account not disabled) and when
    /// the session expires.
    pub async fn get(
        conn: &mut DB::Connection,
        token_sha256: &str,
        now: i64,
    ) -> Result<Option<(Account, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT a.name, a.password_hash, a.role, a.scope, a.disabled, s.expires_at
             FROM sessions s JOIN accounts a ON a.name = s.name
             WHERE s.token_sha256 = $1 AND s.expires_at > $2 AND NOT a.disabled",
        )
        .bind(token_sha256.to_owned())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (role, scope): (String, String) = (row.try_get(2)?, row.try_get(3)?);
        let account = account_from_row(
            row.try_get(0)?,
            row.try_get(1)?,
            &role,
            &scope,
            row.try_get(4)?,
        )?;
        Ok(Some((account, row.try_get(5)?)))
    }

    /// Ends one session.
    pub async fn end(conn: &mut DB::Connection, token_sha256: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_sha256 = $1")
            .bind(token_sha256.to_owned())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// The times of `name`'s failed sign-ins since `since`, oldest first.
    pub async fn failures(
        conn: &mut DB::Connection,
        name: &str,
        since: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let rows =
            sqlx::query("SELECT at FROM login_failures WHERE name = $1 AND at > $2 ORDER BY at")
                .bind(name.to_owned())
                .bind(since)
                .fetch_all(&mut *conn)
                .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(StoreError::from))
            .collect()
    }

    /// Records a failed sign-in of `name` at `at`, and forgets every failure before `forget`.
    pub async fn fail(
        conn: &mut DB::Connection,
        name: &str,
        at: i64,
        forget: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE at <= $1")
            .bind(forget)
            .execute(&mut *conn)
            .await?;
        sqlx::query("INSERT INTO login_failures (name, at) VALUES ($1, $2)")
            .bind(name.to_owned())
            .bind(at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
