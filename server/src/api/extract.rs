//! HTTP plumbing shared by every handler: the `If-Match` version a write names, query strings
//! and JSON bodies parsed with the field named in the error, ETags, and CPU work moved off the
//! async runtime.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// The version a write says it changes, from `If-Match: "3"` (an ETag; `W/` accepted).
/// Absent when the request has no `If-Match`; a malformed one is refused (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// Reads the header.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(v) = headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let s = v
            .to_str()
            .unwrap_or("")
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"');
        s.parse::<i64>().map(|n| IfMatch(Some(n))).map_err(|_| {
            ApiError::BadRequest(format!(
                "If-Match: expected an ETag such as \"3\", got {v:?}"
            ))
        })
    }

    /// The version, required (428 when missing), naming what is being changed.
    pub fn required(self, what: &str) -> Result<i64, ApiError> {
        self.0.ok_or_else(|| {
            ApiError::PreconditionRequired(format!(
                "say which version of the {what} you are changing: an If-Match header with its ETag"
            ))
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        IfMatch::from_headers(&parts.headers)
    }
}

/// The ETag of a version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Query parameters, refused with the parameter and reason named (400).
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::BadRequest(format!("query: {e}")))
}

/// A JSON body, refused with what was expected and the parser's reason (400).
pub fn json_body<T: DeserializeOwned>(bytes: &[u8], expected: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("body: {expected}: {e}")))
}

/// Runs CPU-heavy work (analyses, planning, encoding) on the blocking pool, never inside a
/// request future.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("background task failed: {e}")))?
}

/// The day parameter `field` names (`YYYY-MM-DD`), today when none.
pub fn day_or_today(field: &str, value: Option<&str>) -> Result<chrono::NaiveDate, ApiError> {
    match value {
        Some(d) => engine::gridwork::parse_date(d)
            .ok_or_else(|| ApiError::BadRequest(format!("{field}: \"{d}\" is not YYYY-MM-DD"))),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}
