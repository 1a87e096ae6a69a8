//! The one API error type: a status, a stable machine code, a human message and, for invalid
//! features, every problem found. A 500 never carries internal text to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Problem;
use serde_json::json;

use engine::planning::{PlanningError, PublishError};

use super::planning::view::violations_json;
use crate::atlas::AtlasError;
use crate::store::history::PastError;
use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    /// A known path asked with a method it does not serve (405 `method_not_allowed`).
    MethodNotAllowed(String),
    Conflict(String),
    /// A walking analysis of an atlas without walkable ways (409 `no_walking_network`).
    NoWalkingNetwork(String),
    PreconditionRequired(String),
    Invalid(Vec<Problem>),
    /// A planning operation that cannot be applied (422 `invalid_operation`).
    InvalidOperation(String),
    /// A plan that breaks grid rules, with the violations (422 `invalid_plan`).
    InvalidPlan {
        message: String,
        violations: serde_json::Value,
    },
    Internal(String),
}

impl ApiError {
    /// The human message of the error (a 500's stays internal).
    fn message(&self) -> String {
        match self {
            ApiError::Invalid(problems) => problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::Internal(_) => "internal error; the details are in the server log".into(),
            ApiError::InvalidPlan { message, .. }
            | ApiError::BadRequest(message)
            | ApiError::InvalidOperation(message)
            | ApiError::Unauthorized(message)
            | ApiError::Forbidden(message)
            | ApiError::NotFound(message)
            | ApiError::Conflict(message)
            | ApiError::NoWalkingNetwork(message)
            | ApiError::PreconditionRequired(message)
            | ApiError::MethodNotAllowed(message) => message.clone(),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::NoWalkingNetwork(_) => (StatusCode::CONFLICT, "no_walking_network"),
            ApiError::PreconditionRequired(_) => {
                (StatusCode::PRECONDITION_REQUIRED, "precondition_required")
            }
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_feature"),
            ApiError::InvalidOperation(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_operation")
            }
            ApiError::InvalidPlan { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_plan"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<AtlasError> for ApiError {
    fn from(e: AtlasError) -> Self {
        match e {
            AtlasError::Invalid(problems) => ApiError::Invalid(problems),
            AtlasError::Store(s) => s.into(),
            AtlasError::Task(t) => ApiError::Internal(t),
        }
    }
}

/// The request parameter a refusal names first (`build_year_min: …`), if any.
fn parameter_of(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("invalid request: ").unwrap_or(message);
    let (name, _) = rest.split_once(": ")?;
    (!name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    .then_some(name)
}

impl From<PastError> for ApiError {
    fn from(e: PastError) -> Self {
        match e {
            PastError::Store(s) => s.into(),
            // The log cannot give that moment back: a state of the data, not a bad request.
            PastError::History(h) => ApiError::Conflict(h.to_string()),
            PastError::Task(t) => ApiError::Internal(t),
        }
    }
}

impl From<PlanningError> for ApiError {
    fn from(e: PlanningError) -> Self {
        match e {
            PlanningError::UnknownCommunity(_) => ApiError::NotFound(e.to_string()),
            PlanningError::InvalidGrid {
                grid,
                field,
                reason,
            } => ApiError::Invalid(vec![Problem::because(field, reason).at(None, Some(grid))]),
            PlanningError::InOperation { index, source } => match ApiError::from(*source) {
                ApiError::Invalid(problems) => ApiError::Invalid(
                    problems
                        .into_iter()
                        .map(|p| Problem {
                            field: format!("operation {index}: {}", p.field),
                            ..p
                        })
                        .collect(),
                ),
                ApiError::NotFound(m) => ApiError::NotFound(format!("operation {index}: {m}")),
                other => {
                    ApiError::InvalidOperation(format!("operation {index}: {}", other.message()))
                }
            },
            other => ApiError::InvalidOperation(other.to_string()),
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Violations(v) => ApiError::InvalidPlan {
                message: PublishError::Violations(v.clone()).to_string(),
                violations: violations_json(&v),
            },
            PublishError::MultiPart { ref grid, parts } => ApiError::InvalidPlan {
                message: e.to_string(),
                violations: json!([{ "rule": "multi_part", "grid": grid, "parts": parts, "severity": "error", "message": e.to_string() }]),
            },
            PublishError::Unstorable { grid, problems } => ApiError::Invalid(
                problems
                    .into_iter()
                    .map(|p| p.at(None, Some(grid.clone())))
                    .collect(),
            ),
            PublishError::BaseChanged { .. } => ApiError::Conflict(e.to_string()),
            PublishError::Planning(p) => p.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            StoreError::NotFound { .. }
            | StoreError::DraftNotFound(_)
            | StoreError::WorkNotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::DraftConflict { .. } | StoreError::WorkConflict { .. } => {
                ApiError::Conflict(e.to_string())
            }
            StoreError::Refused(problems) => ApiError::Invalid(problems),
            StoreError::Integrity(m) => {
                let zh = format!("数据库拒绝了这次写入（违反数据完整性约束）：{m}");
                ApiError::Invalid(vec![Problem::new("feature", m, zh)])
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<tiles::TileError> for ApiError {
    /// A tile address out of range is the client's; a failed compression is ours.
    fn from(e: tiles::TileError) -> Self {
        match e {
            tiles::TileError::Compression { .. } => ApiError::Internal(e.to_string()),
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = match self {
            ApiError::Invalid(problems) => {
                let message = problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                json!({ "code": code, "message": message, "problems": problems })
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                json!({ "code": code, "message": "internal error; the details are in the server log" })
            }
            ApiError::InvalidPlan {
                message,
                violations,
            } => json!({ "code": code, "message": message, "violations": violations }),
            // A parameter's refusal reads `name: reason` (or `invalid request: name: reason`):
            // its name is given apart, for a client to show the reason beside that input.
            ApiError::BadRequest(m) => match parameter_of(&m) {
                Some(field) => json!({ "code": code, "message": m, "field": field }),
                None => json!({ "code": code, "message": m }),
            },
            ApiError::InvalidOperation(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::MethodNotAllowed(m)
            | ApiError::Conflict(m)
            | ApiError::NoWalkingNetwork(m)
            | ApiError::PreconditionRequired(m) => json!({ "code": code, "message": m }),
        };
        (status, Json(body)).into_response()
    }
}
