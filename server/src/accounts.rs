//! Accounts and sessions: argon2 password hashes, expiring bearer tokens, and login rate limits.
//!
//! Sessions live in memory: a restart signs everyone out, which is the safe failure.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use engine::access::{Role, Scope};
use rand::RngCore;

use crate::store::Account;

/// How long a session lasts without being renewed.
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
    pub expires: Instant,
}

/// Why a login failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong name or password (never says which).
    Invalid,
    /// Too many failures for this account lately; retry after the given time.
    RateLimited(Duration),
}

/// The sessions and the recent login failures.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    /// Refuses early when the account has failed too often within the window.
    pub fn check_rate(&self, name: &str) -> Result<(), LoginError> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let recent = failures.entry(name.to_owned()).or_default();
        recent.retain(|t| now.duration_since(*t) < LOGIN_WINDOW);
        if recent.len() >= MAX_FAILED_LOGINS {
            let wait = LOGIN_WINDOW.saturating_sub(now.duration_since(recent[0]));
            return Err(LoginError::RateLimited(wait));
        }
        Ok(())
    }

    /// Signs in with a password checked against the account (which may be missing). The slow
    /// hash is the caller's to run off the async runtime.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        account: Option<&Account>,
    ) -> Result<(String, Session), LoginError> {
        self.check_rate(name)?;
        let ok =
            account.is_some_and(|a| !a.disabled && verify_password(password, &a.password_hash));
        let Some(account) = account.filter(|_| ok) else {
            self.failures
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(name.to_owned())
                .or_default()
                .push(Instant::now());
            return Err(LoginError::Invalid);
        };
        let session = Session {
            name: account.name.clone(),
            role: account.role,
            scope: account.scope.clone(),
            expires: Instant::now() + SESSION_TTL,
        };
        let token = new_token();
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(token.clone(), session.clone());
        Ok((token, session))
    }

    /// The live session of a token (expired ones are removed).
    pub fn session(&self, token: &str) -> Option<Session> {
        let mut map = self
            .by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(token) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn logout(&self, token: &str) {
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(token);
    }

    /// Ends every session of an account (after it is disabled or its password changes).
    pub fn end_all(&self, name: &str) {
        self.by_token
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, s| s.name != name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(password: &str) -> Account {
        Account {
            name: "wang".into(),
            password_hash: hash_password(password).expect("hash"),
            role: Role::Staff,
            scope: Scope::District,
            disabled: false,
        }
    }

    #[test]
    fn passwords_are_hashed_with_argon2_and_verified() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(hash_password("short").unwrap_err().contains("10"));
    }

    #[test]
    fn a_session_opens_with_the_right_password_and_logins_are_rate_limited() {
        let sessions = Sessions::default();
        let a = account("correct horse battery");
        let (token, s) = sessions
            .login("wang", "correct horse battery", Some(&a))
            .expect("login");
        assert_eq!(sessions.session(&token).map(|x| x.name), Some(s.name));
        sessions.logout(&token);
        assert!(sessions.session(&token).is_none());
        for _ in 0..MAX_FAILED_LOGINS {
            assert_eq!(
                sessions.login("wang", "guess", Some(&a)).map(|_| ()),
                Err(LoginError::Invalid)
            );
        }
        assert!(matches!(
            sessions.login("wang", "correct horse battery", Some(&a)),
            Err(LoginError::RateLimited(_))
        ));
        assert_eq!(
            sessions.login("nobody", "x", None).map(|_| ()),
            Err(LoginError::Invalid)
        );
    }
}
