//! Admin groups: `groups/search` (find groups by name) and `GET groups/{groupId}`.
//!
//! `groupNames` match exactly but ignoring case, as Atlassian documents; the client is expected to
//! compare the returned name itself. Synced groups show `externalSynced: true, managedBy: external`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    bad_request, limited, not_found, page_response, scope, search_request, Paged, SearchPage,
};
use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::{Group, OrgState};

/// The prefix of the group ARIs that `users/search?expand=groups` returns.
pub(crate) const GROUP_ARI_PREFIX: &str = "ari:cloud:identity::group/";

/// `MultiDirectoryGroupSearchRequest` (the fields the emulator honours; others are ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupSearch {
    group_names: Option<Vec<String>>,
    search_term: Option<String>,
    group_ids: Option<Vec<String>>,
    account_ids: Option<Vec<String>>,
    #[serde(flatten)]
    page: SearchPage,
}

impl Paged for GroupSearch {
    fn page(&mut self) -> &mut SearchPage {
        &mut self.page
    }
}

/// The group as Admin shows it (`MultiDirectoryGroup`).
pub(crate) fn group_json(state: &OrgState, group: &Group, counts: bool) -> Value {
    let synced = group.externally_synced();
    let id = group.admin_id.clone().unwrap_or_default();
    let mut body = json!({
        "id": id,
        "name": group.name,
        "description": group.description,
        "directoryId": state.admin_directory_id,
        "externalSynced": synced,
        "managedBy": if synced { "external" } else { "admins" },
        "managementAccess": {
            "deletable": !synced,
            "modifiable": !synced,
            "readable": true,
        },
        "links": { "self": super::cursor::encode("group", 0, &id) },
    });
    if counts {
        body["counts"] = json!({ "users": group.members.len(), "resources": 0 });
    }
    body
}

/// Accepts a plain group id or its ARI form.
pub(crate) fn plain_group_id(id: &str) -> &str {
    id.strip_prefix(GROUP_ARI_PREFIX).unwrap_or(id)
}

pub(super) async fn search(
    State(app): State<Arc<AppState>>,
    Path((org, dir)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let state = scope(&app, &org, &dir, true)?;
    let (offset, query) = search_request::<GroupSearch>("groups", &body)?;
    if query.group_names.is_some() && (query.search_term.is_some() || query.group_ids.is_some()) {
        return Err(bad_request(
            "groupNames cannot be combined with searchTerm or groupIds",
        ));
    }
    limited("groupNames", &query.group_names, 100)?;
    limited("groupIds", &query.group_ids, 10)?;
    limited("accountIds", &query.account_ids, 10)?;
    let limit = query.page.checked_limit(20)?;

    let term = query.search_term.as_deref().map(str::to_lowercase);
    let mut found: Vec<&Group> = state
        .groups
        .iter()
        .filter(|g| g.admin_id.is_some())
        .filter(|g| {
            query
                .group_names
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(&g.name)))
        })
        .filter(|g| {
            term.as_ref()
                .is_none_or(|t| g.name.to_lowercase().contains(t))
        })
        .filter(|g| {
            query.group_ids.as_ref().is_none_or(|ids| {
                ids.iter()
                    .any(|id| g.admin_id.as_deref() == Some(plain_group_id(id)))
            })
        })
        .filter(|g| {
            query
                .account_ids
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|id| g.has_member(id)))
        })
        .filter(|_| query.page.includes_directory(&state.admin_directory_id))
        .collect();
    found.sort_by_key(|g| g.name.to_lowercase());

    let counts = query.page.expands("counts.users");
    Ok(page_response("groups", &query, found, offset, limit, |g| {
        group_json(&state, g, counts)
    }))
}

pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    Path((org, dir, group)): Path<(String, String, String)>,
) -> Reply {
    let state = scope(&app, &org, &dir, true)?;
    let g = state
        .group_by_admin_id(plain_group_id(&group))
        .ok_or_else(|| not_found(format!("Group {group} was not found")))?;
    let data = group_json(&state, g, true);
    Ok((StatusCode::OK, Json(json!({ "data": data }))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cursor encodes the query as JSON (absent filters as `null`, the
    /// cursor itself never), and decodes to the same query.
    #[test]
    fn search_body_serializes_in_field_order_with_the_page_last() {
        let query: GroupSearch = serde_json::from_value(json!({
            "limit": 5, "expand": ["counts.users"], "directoryIds": ["d"],
            "searchTerm": "x", "groupNames": ["a"], "cursor": "c"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_string(&query).unwrap(),
            r#"{"groupNames":["a"],"searchTerm":"x","groupIds":null,"accountIds":null,"directoryIds":["d"],"expand":["counts.users"],"limit":5}"#
        );
        let cursor = super::super::cursor::encode("groups", 7, &query);
        let (offset, back): (usize, GroupSearch) =
            super::super::cursor::decode("groups", &cursor).unwrap();
        assert_eq!(offset, 7);
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&query).unwrap()
        );
    }
}
