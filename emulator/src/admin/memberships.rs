//! Admin group memberships: add (`POST .../memberships`) and remove (`DELETE .../memberships/{id}`).
//!
//! The rule that shapes every client: groups synced from an identity provider refuse both, with a
//! 403 that says to change them in the identity provider (for this org: SCIM `PATCH /Groups`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::groups::plain_group_id;
use super::users::visible;
use super::{bad_request, error, not_found, scope};
use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::{Group, OrgState};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddMembership {
    account_id: Option<String>,
}

/// The group and account, or the 404/403 Atlassian would answer.
fn resolve<'a>(
    app: &AppState,
    state: &'a OrgState,
    group_id: &str,
    account_id: &str,
) -> Result<&'a Group, Response> {
    let group = state
        .group_by_admin_id(plain_group_id(group_id))
        .ok_or_else(|| not_found(format!("Group {group_id} was not found")))?;
    visible(app, state, account_id)?;
    if group.externally_synced() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "GROUP_EXTERNALLY_MANAGED",
            format!(
                "The group {} is synced from an identity provider: manage its members in your identity provider instead",
                group.name
            ),
        ));
    }
    Ok(group)
}

pub(super) async fn add(
    State(app): State<Arc<AppState>>,
    Path((org, dir, group_id)): Path<(String, String, String)>,
    body: Bytes,
) -> Reply {
    let mut state = scope(&app, &org, &dir, false)?;
    let account_id = match serde_json::from_slice::<AddMembership>(&body) {
        Ok(AddMembership {
            account_id: Some(id),
        }) if !id.is_empty() => id,
        Ok(_) => return Err(bad_request("accountId is required")),
        Err(e) => return Err(bad_request(format!("Invalid request body: {e}"))),
    };
    let group = resolve(&app, &state, &group_id, &account_id)?;
    if group.has_member(&account_id) {
        return Err(error(
            StatusCode::CONFLICT,
            "CONFLICT",
            format!(
                "User {account_id} is already a member of group {}",
                group.name
            ),
        ));
    }
    let name = group.name.clone();
    if let Some(group) = state.groups.iter_mut().find(|g| g.name == name) {
        group.add_member(&account_id, &app.clock.now());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn remove(
    State(app): State<Arc<AppState>>,
    Path((org, dir, group_id, account_id)): Path<(String, String, String, String)>,
) -> Reply {
    let mut state = scope(&app, &org, &dir, false)?;
    let group = resolve(&app, &state, &group_id, &account_id)?;
    if !group.has_member(&account_id) {
        return Err(not_found(format!(
            "User {account_id} is not a member of group {}",
            group.name
        )));
    }
    let name = group.name.clone();
    if let Some(group) = state.groups.iter_mut().find(|g| g.name == name) {
        group.remove_member(&account_id, &app.clock.now());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
