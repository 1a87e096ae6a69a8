//! Accounts and sessions: argon2 password hashes, expiring bearer tokens, and login rate limits.
//!
//! Sessions and failed sign-ins live in the store, so every server over one database honours
//! the same tokens and counts the same failures; a token is kept there only as its SHA-256.
//! Times are Unix milliseconds of the server's clock (servers are expected to keep NTP time).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use engine::access::{Role, Scope};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError, StoredSession};

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Failed logins allowed per account within [`LOGIN_WINDOW`] before further attempts are refused.
pub const MAX_FAILED_LOGINS: usize = 5;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes a password (argon2id, random salt) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("password: cannot hash: {e}"))
}

/// Whether a password matches a stored PHC hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub scope: Scope,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong name or password (never says which).
    Invalid,
    /// Too many failures for this account lately; retry after the given time.
    RateLimited(Duration),
}

/// Now, in Unix milliseconds.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The form a token is stored in: its SHA-256, hex.
fn token_sha256(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether failures at these times (oldest first, all within the window before `now`) leave
/// room for another attempt; if not, how long until the oldest leaves the window.
fn rate_limit(failures: &[i64], now: i64) -> Result<(), LoginError> {
    if failures.len() < MAX_FAILED_LOGINS {
        return Ok(());
    }
    let wait = failures[0] + ms(LOGIN_WINDOW) - now;
    Err(LoginError::RateLimited(Duration::from_millis(
        u64::try_from(wait.max(1)).unwrap_or(1),
    )))
}

/// Refuses early when the account has failed too often within the window, on any server.
async fn check_rate(store: &dyn Store, name: &str) -> Result<Result<(), LoginError>, StoreError> {
    let now = now_ms();
    let failures = store.login_failures(name, now - ms(LOGIN_WINDOW)).await?;
    Ok(rate_limit(&failures, now))
}

/// Signs in: the rate limit, the password (the slow hash runs off the async runtime), then a
/// new session in the store. A failure is recorded for every server to count.
pub async fn sign_in(
    store: &dyn Store,
    name: &str,
    password: &str,
) -> Result<Result<(String, Session), LoginError>, StoreError> {
    if let Err(e) = check_rate(store, name).await? {
        return Ok(Err(e));
    }
    let account = store.account(name).await?;
    let candidate = password.to_owned();
    let account = tokio::task::spawn_blocking(move || {
        account.filter(|a| !a.disabled && verify_password(&candidate, &a.password_hash))
    })
    .await
    .unwrap_or(None);
    let now = now_ms();
    let Some(account) = account else {
        store
            .record_login_failure(name, now, now - ms(LOGIN_WINDOW))
            .await?;
        return Ok(Err(LoginError::Invalid));
    };
    let token = new_token();
    let session = Session {
        name: account.name.clone(),
        role: account.role,
        scope: account.scope.clone(),
        expires_at: now + ms(SESSION_TTL),
    };
    store
        .open_session(&StoredSession {
            token_sha256: token_sha256(&token),
            name: account.name,
            created_at: now,
            expires_at: session.expires_at,
        })
        .await?;
    Ok(Ok((token, session)))
}

/// The live session of a token, as its account stands now.
pub async fn session(store: &dyn Store, token: &str) -> Result<Option<Session>, StoreError> {
    Ok(store
        .session(&token_sha256(token), now_ms())
        .await?
        .map(|(a, expires_at)| Session {
            name: a.name,
            role: a.role,
            scope: a.scope,
            expires_at,
        }))
}

/// Ends a session on every server.
pub async fn sign_out(store: &dyn Store, token: &str) -> Result<(), StoreError> {
    store.end_session(&token_sha256(token)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::gpkg::GeoPackage;
    use crate::store::{Account, Actor};

    #[test]
    fn passwords_are_hashed_with_argon2_and_verified() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(hash_password("short").unwrap_err().contains("10"));
    }

    #[test]
    fn the_wait_runs_from_the_oldest_failure_in_the_window() {
        let window = ms(LOGIN_WINDOW);
        assert_eq!(rate_limit(&[1, 2, 3, 4], 10), Ok(()));
        assert_eq!(
            rate_limit(&[1_000, 2_000, 3_000, 4_000, 5_000], 61_000),
            Err(LoginError::RateLimited(Duration::from_millis(
                (1_000 + window - 61_000) as u64
            )))
        );
    }

    #[tokio::test]
    async fn a_session_opens_with_the_right_password_ends_and_logins_are_rate_limited() {
        let dir = tempfile::tempdir().expect("dir");
        let store = GeoPackage::open(&dir.path().join("a.gpkg"))
            .await
            .expect("store");
        let account = Account {
            name: "wang".into(),
            password_hash: hash_password("correct horse battery").expect("hash"),
            role: Role::Staff,
            scope: Scope::District,
            disabled: false,
        };
        store
            .put_account(&account, &Actor::new("test"))
            .await
            .expect("account");
        let (token, s) = sign_in(&store, "wang", "correct horse battery")
            .await
            .expect("store")
            .expect("login");
        assert_eq!(session(&store, &token).await.expect("store"), Some(s));
        assert_eq!(session(&store, "forged").await.expect("store"), None);
        sign_out(&store, &token).await.expect("store");
        assert_eq!(session(&store, &token).await.expect("store"), None);

        // A new password signs the account out.
        let (token, _) = sign_in(&store, "wang", "correct horse battery")
            .await
            .expect("store")
            .expect("login");
        let renewed = Account {
            password_hash: hash_password("another horse battery").expect("hash"),
            ..account
        };
        store
            .put_account(&renewed, &Actor::new("test"))
            .await
            .expect("account");
        assert_eq!(session(&store, &token).await.expect("store"), None);

        for _ in 0..MAX_FAILED_LOGINS {
            assert_eq!(
                sign_in(&store, "wang", "guess")
                    .await
                    .expect("store")
                    .map(|_| ()),
                Err(LoginError::Invalid)
            );
        }
        assert!(matches!(
            sign_in(&store, "wang", "another horse battery")
                .await
                .expect("store"),
            Err(LoginError::RateLimited(_))
        ));
        assert_eq!(
            sign_in(&store, "nobody", "x")
                .await
                .expect("store")
                .map(|_| ()),
            Err(LoginError::Invalid)
        );
        store.close().await;
    }
}
