//! The user-management API: `GET /users/{id}/manage` and `POST .../manage/lifecycle/*`.
//!
//! Modelled rule: an account still linked to a SCIM user is managed by that directory, so the
//! lifecycle privileges (enable/disable and delete) are refused with reason
//! `externalDirectory.scim` until the SCIM record is deleted. Delete starts Atlassian's 14-day
//! grace: the account shows `status: for_deletion` (and `accountStatus: inactive`) in Admin, and
//! `cancel-delete` takes it back to deactivated.

use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::OrgState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/users/{account}/manage", get(manage))
        .route("/users/{account}/manage/lifecycle/disable", post(disable))
        .route("/users/{account}/manage/lifecycle/enable", post(enable))
        .route("/users/{account}/manage/lifecycle/delete", post(delete))
        .route(
            "/users/{account}/manage/lifecycle/cancel-delete",
            post(cancel_delete),
        )
}

/// A `{"key": ...}` body, the shape every user-management error has.
pub(crate) fn key_error(status: StatusCode, key: &str) -> Response {
    (status, Json(json!({ "key": key }))).into_response()
}

const PRIVILEGES: &[&str] = &[
    "profile",
    "profile.write",
    "profile.read",
    "email.set",
    "lifecycle.enablement",
    "lifecycle.delete",
    "apiToken.read",
    "apiToken.delete",
];

const PROFILE_FIELDS: &[&str] = &[
    "name",
    "nickname",
    "zoneinfo",
    "locale",
    "extended_profile.job_title",
    "extended_profile.organization",
    "extended_profile.department",
    "extended_profile.location",
];

/// `Manageability.Rule.Simple`: allowed, or refused because SCIM manages the account.
fn rule(scim_managed: bool) -> Value {
    if scim_managed {
        json!({ "allowed": false, "reason": { "key": "externalDirectory.scim" } })
    } else {
        json!({ "allowed": true })
    }
}

/// 404 `accountNotFound` unless the account exists and is visible; else whether SCIM manages it.
fn lookup(app: &AppState, state: &OrgState, account_id: &str) -> Result<bool, Response> {
    match state.visible_account(account_id, app.clock.now().instant) {
        Some(account) => Ok(state.scim_user_for_account(&account.id).is_some()),
        None => Err(key_error(StatusCode::NOT_FOUND, "accountNotFound")),
    }
}

/// The org, locked, once the account is known to be visible (else 404) and not managed by SCIM
/// (else 403): what every lifecycle call checks first.
fn lifecycle_target<'a>(
    app: &'a AppState,
    account_id: &str,
) -> Result<MutexGuard<'a, OrgState>, Response> {
    let state = app.state();
    if lookup(app, &state, account_id)? {
        return Err(forbidden_action());
    }
    Ok(state)
}

/// 403 `forbidden.action` with the refusing rule as context.
fn forbidden_action() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "key": "forbidden.action", "context": rule(true) })),
    )
        .into_response()
}

fn conflict(account_id: &str, code: &str, message: &str) -> Response {
    let body = json!({
        "key": "conflict.lifecycleErrors",
        "context": {
            "message": message,
            "accountId": account_id,
            "errorCodes": [{ "code": code, "message": message }],
        }
    });
    (StatusCode::CONFLICT, Json(body)).into_response()
}

async fn manage(
    State(app): State<Arc<AppState>>,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let state = app.state();
    let scim_managed = lookup(&app, &state, &account_id)?;
    let asked: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(key, _)| key == "privileges")
        .flat_map(|(_, value)| value.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    if let Some(unknown) = asked.iter().find(|p| !PRIVILEGES.contains(&p.as_str())) {
        let body = json!({ "key": "badRequest", "context": { "privileges": unknown } });
        return Err((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    let wanted: Vec<&str> = if asked.is_empty() {
        PRIVILEGES.to_vec()
    } else {
        asked.iter().map(String::as_str).collect()
    };
    let mut body = Map::new();
    for privilege in wanted {
        let value = match privilege {
            "profile" | "profile.write" => {
                let fields: Map<String, Value> = PROFILE_FIELDS
                    .iter()
                    .map(|f| (f.to_string(), rule(scim_managed)))
                    .collect();
                Value::Object(fields)
            }
            "lifecycle.enablement" | "lifecycle.delete" | "email.set" => rule(scim_managed),
            _ => rule(false),
        };
        body.insert(privilege.to_string(), value);
    }
    Ok((StatusCode::OK, Json(Value::Object(body))).into_response())
}

async fn disable(
    State(app): State<Arc<AppState>>,
    Path(account_id): Path<String>,
    body: Bytes,
) -> Reply {
    // The spec marks this body required; `{}` (or `{"message": "..."}`) will do.
    if !matches!(serde_json::from_slice::<Value>(&body), Ok(Value::Object(_))) {
        return Err(key_error(StatusCode::BAD_REQUEST, "bodyParseFailure"));
    }
    let mut state = lifecycle_target(&app, &account_id)?;
    state.set_account_active(&account_id, false, &app.clock.now());
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn enable(State(app): State<Arc<AppState>>, Path(account_id): Path<String>) -> Reply {
    let mut state = lifecycle_target(&app, &account_id)?;
    if state
        .account(&account_id)
        .is_some_and(|a| a.pending_deletion)
    {
        return Err(conflict(
            &account_id,
            "ACCOUNT_PENDING_DELETION",
            "The account is scheduled for deletion: cancel the deletion before enabling it",
        ));
    }
    state.set_account_active(&account_id, true, &app.clock.now());
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete(State(app): State<Arc<AppState>>, Path(account_id): Path<String>) -> Reply {
    let mut state = lifecycle_target(&app, &account_id)?;
    // The grace period shows the account as deactivated; deleting again is answered the same.
    state.set_account_active(&account_id, false, &app.clock.now());
    if let Some(account) = state.account_mut(&account_id) {
        account.pending_deletion = true;
    }
    Ok(success())
}

async fn cancel_delete(State(app): State<Arc<AppState>>, Path(account_id): Path<String>) -> Reply {
    let mut state = lifecycle_target(&app, &account_id)?;
    if let Some(account) = state.account_mut(&account_id) {
        account.pending_deletion = false;
        account.set_active(false, &app.clock.now());
    }
    Ok(success())
}

/// `200 {"message": "Success"}`, what delete and cancel-delete answer.
fn success() -> Response {
    (StatusCode::OK, Json(json!({ "message": "Success" }))).into_response()
}
