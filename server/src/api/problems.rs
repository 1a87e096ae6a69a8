//! The data problems an admin must see: stored rows that could not be read, left out of the map
//! until a write repairs or deletes them.

use axum::extract::State;
use axum::Json;
use engine::access::Role;
use serde_json::{json, Value};

use super::auth::Editor;
use super::error::ApiError;
use super::AppState;

/// `GET /api/problems` (admins) — every unreadable stored row: layer, id, stored version and
/// the reason naming the field, with the request that repairs it; reason and repair in English
/// and Chinese (`reason_zh`, `repair_zh`).
pub async fn list(State(state): State<AppState>, editor: Editor) -> Result<Json<Value>, ApiError> {
    if editor.role != Role::Admin {
        return Err(ApiError::Forbidden(format!(
            "a {} does not see the store's problems; ask an admin",
            editor.role
        )));
    }
    let snapshot = state.atlas.snapshot();
    let problems: Vec<Value> = snapshot
        .unreadable
        .iter()
        .map(|u| {
            let request = format!("PUT /ogc/collections/{}/items/{}", u.layer.name(), u.id);
            let if_match = format!("If-Match: \"{}\"", u.version.unwrap_or_default());
            json!({
                "layer": u.layer,
                "id": u.id,
                "version": u.version,
                "field": u.field,
                "reason": u.reason,
                "reason_zh": u.reason_zh,
                "repair": format!("{request} with {if_match}"),
                "repair_zh": format!("{request}，请求头 {if_match}"),
            })
        })
        .collect();
    Ok(Json(
        json!({ "data_version": snapshot.version, "problems": problems }),
    ))
}
