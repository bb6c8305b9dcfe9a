//! Admin users: `users/search` (find accounts by email, list their groups), `GET users/{id}`,
//! `suspend` and `restore`.
//!
//! Accounts minted by SCIM create stay out of these answers for the configured visibility delay,
//! which is how clients meet Atlassian's eventual consistency in tests.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::groups::GROUP_ARI_PREFIX;
use super::{bad_request, check_scope, not_found, page_limit, page_response, search_request};
use crate::app_state::AppState;
use crate::state::{Account, OrgState};

/// `MultiDirectoryUserSearchRequest` (the fields the emulator honours; others are ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserSearch {
    #[serde(skip_serializing_if = "Option::is_none")]
    emails: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_term: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_status: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_status: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claim_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_domains: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    directory_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expand: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(skip_serializing)]
    cursor: Option<String>,
}

/// The account as Admin shows it (`MultiDirectoryUser`), with `groups` when expanded.
fn user_json(state: &OrgState, account: &Account, with_groups: bool) -> Value {
    let scim = state.scim_user_for_account(&account.id);
    let mut body = json!({
        "accountId": account.id,
        "accountType": "atlassian",
        "email": account.email,
        "emailVerified": true,
        "name": account.display_name,
        "accountStatus": account.account_status(),
        "membershipStatus": account.membership_status(),
        "status": account.admin_status().as_str(),
        "claimStatus": "managed",
        "managementSource": if scim.is_some() { "synced" } else { "invited" },
        "addedToOrg": account.added_to_org,
        "mfaEnabled": false,
    });
    if let Some(user) = scim {
        let profile = [
            ("nickname", &user.nick_name),
            ("jobTitle", &user.title),
            ("department", &user.department),
            ("organization", &user.organization),
            ("timeZone", &user.timezone),
        ];
        for (key, value) in profile {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
    }
    if with_groups {
        // Only groups Admin shows; ids in ARI form, as the spec's example for this field has them.
        let groups: Vec<Value> = state
            .groups
            .iter()
            .filter(|g| g.has_member(&account.id))
            .filter_map(|g| {
                let id = g.admin_id.as_ref()?;
                Some(json!({
                    "id": format!("{GROUP_ARI_PREFIX}{id}"),
                    "name": g.name,
                    "description": g.description,
                }))
            })
            .collect();
        body["groups"] = json!(groups);
    }
    body
}

fn limited<T>(field: &str, list: &Option<Vec<T>>, max: usize) -> Result<(), Response> {
    match list {
        Some(items) if items.is_empty() || items.len() > max => Err(bad_request(format!(
            "{field} must hold between 1 and {max} items"
        ))),
        _ => Ok(()),
    }
}

fn contains(list: &Option<Vec<String>>, value: &str) -> bool {
    list.as_ref()
        .is_none_or(|items| items.iter().any(|i| i == value))
}

pub(super) async fn search(
    State(app): State<Arc<AppState>>,
    Path((org, dir)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let state = app.state();
    if let Err(response) = check_scope(&state, &org, &dir, true) {
        return response;
    }
    let (offset, query) = match search_request::<UserSearch>("users", &body) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if query.emails.is_some() && query.search_term.is_some() {
        return bad_request("emails cannot be combined with searchTerm");
    }
    let checks = [
        limited("emails", &query.emails, 100),
        limited("accountIds", &query.account_ids, 10),
        limited("groupIds", &query.group_ids, 10),
        limited("emailDomains", &query.email_domains, 10),
        limited("directoryIds", &query.directory_ids, 10),
    ];
    if let Some(Err(response)) = checks.into_iter().find(Result::is_err) {
        return response;
    }
    let limit = match page_limit(query.limit, 50) {
        Ok(limit) => limit,
        Err(response) => return response,
    };

    let now = app.clock.now().instant;
    let term = query.search_term.as_deref().map(str::to_lowercase);
    let found: Vec<&Account> = state
        .accounts
        .iter()
        .filter(|a| a.visible(now))
        .filter(|a| {
            query
                .emails
                .as_ref()
                .is_none_or(|emails| emails.iter().any(|e| e.eq_ignore_ascii_case(&a.email)))
        })
        .filter(|a| contains(&query.account_ids, &a.id))
        .filter(|a| {
            query.group_ids.as_ref().is_none_or(|ids| {
                ids.iter().any(|id| {
                    let id = super::groups::plain_group_id(id);
                    state
                        .group_by_admin_id(id)
                        .is_some_and(|g| g.has_member(&a.id))
                })
            })
        })
        .filter(|a| {
            term.as_ref().is_none_or(|t| {
                a.email.to_lowercase().contains(t) || a.display_name.to_lowercase().contains(t)
            })
        })
        .filter(|a| contains(&query.account_status, a.account_status()))
        .filter(|a| contains(&query.membership_status, a.membership_status()))
        .filter(|a| contains(&query.status, a.admin_status().as_str()))
        .filter(|_| query.claim_status.as_deref().is_none_or(|c| c == "managed"))
        .filter(|a| {
            query.email_domains.as_ref().is_none_or(|domains| {
                let domain = a.email.rsplit('@').next().unwrap_or_default();
                domains
                    .iter()
                    .any(|d| d.trim_start_matches('@').eq_ignore_ascii_case(domain))
            })
        })
        .filter(|_| {
            query
                .directory_ids
                .as_ref()
                .is_none_or(|ids| ids.contains(&state.admin_directory_id))
        })
        .collect();

    let with_groups = query
        .expand
        .as_ref()
        .is_some_and(|e| e.iter().any(|x| x == "groups"));
    page_response("users", &query, found, offset, limit, |a| {
        user_json(&state, a, with_groups)
    })
}

pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Response {
    let state = app.state();
    if let Err(response) = check_scope(&state, &org, &dir, true) {
        return response;
    }
    match state.visible_account(&account_id, app.clock.now().instant) {
        Some(account) => {
            let mut data = user_json(&state, account, false);
            if let Some(on) = account.deactivated_on() {
                data["deactivatedOn"] = json!(on);
            }
            (StatusCode::OK, Json(json!({ "data": data }))).into_response()
        }
        None => not_found(format!("User {account_id} was not found")),
    }
}

pub(super) async fn suspend(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Response {
    set_suspended(&app, &org, &dir, &account_id, true)
}

pub(super) async fn restore(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Response {
    set_suspended(&app, &org, &dir, &account_id, false)
}

/// Suspend keeps roles and group memberships, so restore is just the flag flipping back.
fn set_suspended(
    app: &AppState,
    org: &str,
    dir: &str,
    account_id: &str,
    suspended: bool,
) -> Response {
    let mut state = app.state();
    if let Err(response) = check_scope(&state, org, dir, false) {
        return response;
    }
    if state
        .visible_account(account_id, app.clock.now().instant)
        .is_none()
    {
        return not_found(format!("User {account_id} was not found"));
    }
    if let Some(account) = state.account_mut(account_id) {
        account.suspended = suspended;
    }
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

impl super::Paged for UserSearch {
    fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
    fn limit(&self) -> Option<i64> {
        self.limit
    }
    fn set_limit(&mut self, limit: Option<i64>) {
        self.limit = limit;
    }
}
