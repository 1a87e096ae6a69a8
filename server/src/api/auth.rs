//! Who is calling: the `Editor` extractor every write handler takes, so each write path already
//! carries an account and is authorized in one place.
//!
//! Until accounts exist (the trust issue), one operator token set by `GRIDATLAS_ADMIN_TOKEN`
//! grants writes; with no token configured the atlas is read-only. No default token ships.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use engine::Layer;

use super::error::ApiError;
use super::AppState;
use crate::store::Actor;

/// An authenticated caller allowed to change data.
#[derive(Debug, Clone)]
pub struct Editor {
    pub actor: Actor,
}

impl Editor {
    /// Whether this editor may change features of `layer` in `community_code` (scopes come with
    /// accounts; the operator token covers the whole district).
    pub fn authorize(&self, _layer: Layer, _community_code: Option<&str>) -> Result<(), ApiError> {
        Ok(())
    }
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = state.config.admin_token.as_deref() else {
            return Err(ApiError::Unauthorized("this atlas is read-only: no write credentials are configured (GRIDATLAS_ADMIN_TOKEN)".into()));
        };
        let given = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized("writes need an Authorization: Bearer token".into())
            })?;
        if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(Editor {
                actor: Actor::new("admin"),
            })
        } else {
            Err(ApiError::Unauthorized("the token is not valid".into()))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
