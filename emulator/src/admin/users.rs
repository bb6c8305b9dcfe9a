//! Admin users: `users/search` (find accounts by email, list their groups), `GET users/{id}`,
//! `suspend` and `restore`.
//!
//! Accounts minted by SCIM create stay out of these answers for the configured visibility delay,
//! which is how clients meet Atlassian's eventual consistency in tests.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::groups::GROUP_ARI_PREFIX;
use super::{
    bad_request, limited, not_found, page_response, scope, search_request, Paged, SearchPage,
};
use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::{Account, OrgState};

/// `MultiDirectoryUserSearchRequest` (the fields the emulator honours; others are ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserSearch {
    emails: Option<Vec<String>>,
    account_ids: Option<Vec<String>>,
    group_ids: Option<Vec<String>>,
    search_term: Option<String>,
    account_status: Option<Vec<String>>,
    membership_status: Option<Vec<String>>,
    status: Option<Vec<String>>,
    claim_status: Option<String>,
    email_domains: Option<Vec<String>>,
    #[serde(flatten)]
    page: SearchPage,
}

impl Paged for UserSearch {
    fn page(&mut self) -> &mut SearchPage {
        &mut self.page
    }
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

fn contains(list: &Option<Vec<String>>, value: &str) -> bool {
    list.as_ref()
        .is_none_or(|items| items.iter().any(|i| i == value))
}

pub(super) async fn search(
    State(app): State<Arc<AppState>>,
    Path((org, dir)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let state = scope(&app, &org, &dir, true)?;
    let (offset, query) = search_request::<UserSearch>("users", &body)?;
    if query.emails.is_some() && query.search_term.is_some() {
        return Err(bad_request("emails cannot be combined with searchTerm"));
    }
    limited("emails", &query.emails, 100)?;
    limited("accountIds", &query.account_ids, 10)?;
    limited("groupIds", &query.group_ids, 10)?;
    limited("emailDomains", &query.email_domains, 10)?;
    let limit = query.page.checked_limit(50)?;

    let now = app.clock.now().instant;
    let term = query.search_term.as_deref().map(str::to_lowercase);
    let found = state
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
        .filter(|_| query.page.includes_directory(&state.admin_directory_id));

    let with_groups = query.page.expands("groups");
    Ok(page_response("users", &query, found, offset, limit, |a| {
        user_json(&state, a, with_groups)
    }))
}

pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Reply {
    let state = scope(&app, &org, &dir, true)?;
    let account = visible(&app, &state, &account_id)?;
    let mut data = user_json(&state, account, false);
    if let Some(on) = account.deactivated_on() {
        data["deactivatedOn"] = json!(on);
    }
    Ok((StatusCode::OK, Json(json!({ "data": data }))).into_response())
}

pub(super) async fn suspend(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Reply {
    set_suspended(&app, &org, &dir, &account_id, true)
}

pub(super) async fn restore(
    State(app): State<Arc<AppState>>,
    Path((org, dir, account_id)): Path<(String, String, String)>,
) -> Reply {
    set_suspended(&app, &org, &dir, &account_id, false)
}

/// Suspend keeps roles and group memberships, so restore is just the flag flipping back.
fn set_suspended(app: &AppState, org: &str, dir: &str, account_id: &str, suspended: bool) -> Reply {
    let mut state = scope(app, org, dir, false)?;
    visible(app, &state, account_id)?;
    if let Some(account) = state.account_mut(account_id) {
        account.suspended = suspended;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The account as Admin sees it now, or Admin's 404 (also while the visibility delay hides it).
pub(super) fn visible<'a>(
    app: &AppState,
    state: &'a OrgState,
    account_id: &str,
) -> Result<&'a Account, Response> {
    state
        .visible_account(account_id, app.clock.now().instant)
        .ok_or_else(|| not_found(format!("User {account_id} was not found")))
}
