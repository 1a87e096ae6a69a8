//! Accounts, written once for both stores over their [`Dialect`]: checked before writing,
//! audited in the same transaction, and checked again when read back.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Connection, Decode, Encode, Executor, IntoArguments, Row, Type};

use super::dialect::Dialect;
use super::{account_from_row, Account, Actor, StoreError};

const ACCOUNT_COLUMNS: &str = "name, password_hash, role, scope, disabled";

/// The account statements of database `DB`, run on a connection the store passes in.
pub struct Accounts<DB>(PhantomData<DB>);

impl<DB> Accounts<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    String: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    bool: Type<DB> + for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB>,
    Option<String>: Type<DB> + for<'q> Encode<'q, DB>,
{
    fn from_row(row: &DB::Row) -> Result<Account, StoreError> {
        let (role, scope): (String, String) = (row.try_get(2)?, row.try_get(3)?);
        account_from_row(
            row.try_get(0)?,
            row.try_get(1)?,
            &role,
            &scope,
            row.try_get(4)?,
        )
    }

    /// Creates or replaces an account (by name), audited as a change by `actor` at the
    /// current data version, in one transaction.
    pub async fn put(
        conn: &mut DB::Connection,
        account: &Account,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        account.validate()?;
        let mut tx = conn.begin().await?;
        let version: i64 = sqlx::query(&format!(
            "SELECT value FROM atlas_meta WHERE key = 'data_version'{}",
            DB::FOR_UPDATE
        ))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let before = sqlx::query(
            "SELECT name, role, scope, disabled, password_hash FROM accounts WHERE name = $1",
        )
        .bind(account.name.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let (before, old_hash) = match before {
            Some(r) => {
                let (name, role, scope): (String, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let disabled: bool = r.try_get(3)?;
                let hash: String = r.try_get(4)?;
                (
                    Some(serde_json::json!({ "name": name, "role": role, "scope": scope, "disabled": disabled }).to_string()),
                    Some(hash),
                )
            }
            None => (None, None),
        };
        // A new password or a disabled account signs the account out on every server.
        if account.disabled || old_hash.is_some_and(|h| h != account.password_hash) {
            sqlx::query("DELETE FROM sessions WHERE name = $1")
                .bind(account.name.clone())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!(
            "INSERT INTO accounts ({ACCOUNT_COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, {})
             ON CONFLICT (name) DO UPDATE SET password_hash = $2, role = $3, scope = $4, disabled = $5",
            DB::NOW
        ))
        .bind(account.name.clone())
        .bind(account.password_hash.clone())
        .bind(account.role.name().to_owned())
        .bind(account.scope.to_string())
        .bind(account.disabled)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_db)?;
        sqlx::query(&format!(
            "INSERT INTO audit_log (at, actor, operation, layer, before, after, data_version) \
             VALUES ({}, $1, 'account', 'accounts', {}, {}, $4)",
            DB::NOW,
            DB::json_param(2),
            DB::json_param(3)
        ))
        .bind(actor.name.clone())
        .bind(before)
        .bind(account.audit_json().to_string())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An account by name.
    pub async fn get(conn: &mut DB::Connection, name: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = $1"
        ))
        .bind(name.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(Self::from_row).transpose()
    }

    /// Every account, by name.
    pub async fn list(conn: &mut DB::Connection) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"
        ))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(Self::from_row).collect()
    }
}
