//! The few SQL differences between the stores, so drafts and accounts are written once
//! (`drafts.rs`, `accounts.rs`) for both. Parameters are `$1`, `$2`, … in both: sqlx binds
//! SQLite's `$N` by number, as PostgreSQL's.

use sqlx::{Postgres, Sqlite};

/// How a store's SQL spells times, JSON and row locks.
pub trait Dialect: sqlx::Database {
    /// The current time as the stored time column type (UTC, milliseconds, in the GeoPackage).
    const NOW: &'static str;
    /// Locks a row read before it is written (the data version); nothing where the database
    /// serializes writers itself.
    const FOR_UPDATE: &'static str;
    /// A JSON parameter bound as text, in the stored JSON column type.
    fn json_param(n: usize) -> String;
    /// A JSON column read as text.
    fn json_text(column: &str) -> String;
    /// A time column read as RFC 3339 UTC text with milliseconds.
    fn time_text(column: &str) -> String;
}

impl Dialect for Sqlite {
    const NOW: &'static str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
    const FOR_UPDATE: &'static str = "";

    fn json_param(n: usize) -> String {
        format!("${n}")
    }

    fn json_text(column: &str) -> String {
        column.to_owned()
    }

    fn time_text(column: &str) -> String {
        column.to_owned()
    }
}

impl Dialect for Postgres {
    const NOW: &'static str = "now()";
    const FOR_UPDATE: &'static str = " FOR UPDATE";

    fn json_param(n: usize) -> String {
        format!("${n}::jsonb")
    }

    fn json_text(column: &str) -> String {
        format!("{column}::text")
    }

    fn time_text(column: &str) -> String {
        format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
    }
}
