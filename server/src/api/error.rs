//! The one API error type: a status, a stable machine code, a human message and, for invalid
//! features, every problem found. A 500 never carries internal text to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::Problem;
use serde_json::json;

use crate::atlas::AtlasError;
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
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
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

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => ApiError::Conflict(e.to_string()),
            StoreError::NotFound { .. } | StoreError::DraftNotFound(_) => {
                ApiError::NotFound(e.to_string())
            }
            StoreError::DraftConflict { .. } => ApiError::Conflict(e.to_string()),
            StoreError::Integrity(m) => ApiError::Invalid(vec![Problem::new("feature", m)]),
            other => ApiError::Internal(other.to_string()),
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
            ApiError::BadRequest(m)
            | ApiError::InvalidOperation(m)
            | ApiError::Unauthorized(m)
            | ApiError::Forbidden(m)
            | ApiError::NotFound(m)
            | ApiError::MethodNotAllowed(m)
            | ApiError::Conflict(m)
            | ApiError::PreconditionRequired(m) => json!({ "code": code, "message": m }),
        };
        (status, Json(body)).into_response()
    }
}
