//! Who is calling: sign-in endpoints, and the `Editor` extractor every write handler takes, so
//! each write is authenticated (401) and checked against the caller's role and scope (403) in
//! one place.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::access::{may_change, Place, Role, Scope};
use engine::{Feature, Layer};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::AppState;
use crate::accounts::{LoginError, SESSION_TTL};
use crate::store::Actor;

/// A signed-in caller allowed to change data within a role and a scope.
#[derive(Debug, Clone)]
pub struct Editor {
    pub actor: Actor,
    pub role: Role,
    pub scope: Scope,
    /// For an organisation's account: the organisation it acts for (the record listing it
    /// among its accounts), and the service spaces that organisation operates.
    pub organisation: Option<i64>,
    pub operates: Vec<i64>,
}

impl Editor {
    /// Whether this editor may change `feature` (its layer by role, its place by scope).
    pub fn authorize(&self, feature: &Feature) -> Result<(), ApiError> {
        self.may_change(feature)
            .map_err(|d| ApiError::Forbidden(d.to_string()))
    }

    /// [`Editor::authorize`], with the refusal as the engine gives it (to list among an
    /// import's problems).
    pub fn may_change(&self, feature: &Feature) -> Result<(), engine::access::Denied> {
        match self.role {
            Role::Organisation => engine::access::may_operate(&self.scope, &self.operates, feature),
            _ => may_change(self.role, &self.scope, feature.layer(), Place::of(feature)),
        }
    }

    /// Whether this editor may delete features of `layer`: an organisation deletes nothing.
    pub fn authorize_delete(&self, layer: Layer) -> Result<(), ApiError> {
        if self.role == Role::Organisation {
            return Err(ApiError::Forbidden(format!(
                "an organisation does not delete {layer}"
            )));
        }
        Ok(())
    }

    /// Whether this editor's role changes `layer` at all.
    pub fn authorize_layer(&self, layer: Layer) -> Result<(), ApiError> {
        if self.role.edits(layer) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "a {} does not change {layer}",
                self.role
            )))
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

impl FromRequestParts<AppState> for Editor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            ApiError::Unauthorized(
                "sign in first: changes need an Authorization: Bearer token from POST /api/session"
                    .into(),
            )
        })?;
        let session = crate::accounts::session(state.atlas.store(), token)
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the session is unknown or has expired; sign in again".into(),
                )
            })?;
        let (organisation, operates) = match session.role {
            Role::Organisation => acting_for(state, &session.name).await?,
            _ => (None, Vec::new()),
        };
        Ok(Editor {
            actor: Actor::new(session.name),
            role: session.role,
            scope: session.scope,
            organisation,
            operates,
        })
    }
}

/// The organisation that lists `account` among its accounts, and the service spaces it
/// operates.
async fn acting_for(state: &AppState, account: &str) -> Result<(Option<i64>, Vec<i64>), ApiError> {
    let orgs = state
        .atlas
        .store()
        .work_records(&crate::store::WorkQuery::all(
            engine::gridwork::WorkKind::Organisation,
        ))
        .await?;
    let listing = orgs.into_iter().find(|o| {
        o.body["accounts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|n| n == account))
    });
    Ok(match listing {
        Some(o) => {
            let spaces = o.body["spaces"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_i64)
                .collect();
            (Some(o.id), spaces)
        }
        None => (None, Vec::new()),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    name: String,
    password: String,
}

/// `POST /api/session` `{name, password}` → `{token, name, role, scope, expires_in}`.
pub async fn login(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let login: Login = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body: expected {{\"name\": …, \"password\": …}}: {e}"
        ))
    })?;
    if login.name.len() > 64 || login.password.len() > 1024 {
        return Err(ApiError::BadRequest("name or password too long".into()));
    }
    match crate::accounts::sign_in(state.atlas.store(), &login.name, &login.password).await? {
        Ok((token, s)) => Ok(Json(json!({
            "token": token,
            "name": s.name,
            "role": s.role.name(),
            "scope": s.scope.to_string(),
            "expires_in": SESSION_TTL.as_secs()
        }))
        .into_response()),
        Err(LoginError::Invalid) => Err(ApiError::Unauthorized("wrong name or password".into())),
        Err(LoginError::RateLimited(wait)) => Ok(too_many(wait)),
    }
}

fn too_many(wait: std::time::Duration) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "code": "too_many_requests", "retry_after_s": wait.as_secs().max(1), "message": format!("too many failed sign-ins for this account; try again in {} s", wait.as_secs().max(1)) })),
    )
        .into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// `GET /api/session`: who is signed in.
pub async fn whoami(editor: Editor) -> Json<serde_json::Value> {
    Json(
        json!({ "name": editor.actor.name, "role": editor.role.name(), "scope": editor.scope.to_string() }),
    )
}

/// `DELETE /api/session`: sign out.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    if let Some(t) = bearer(&headers) {
        crate::accounts::sign_out(state.atlas.store(), t).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
