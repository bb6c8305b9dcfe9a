//! SCIM `/Groups`: the identity provider's groups as this SCIM directory holds them.
//!
//! Members are SCIM user ids (not account ids). Only groups the directory holds are visible here:
//! admin-managed groups such as `jira-software-users` are not, which is why a client must route
//! membership changes by where a group lives.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::users::{patch_request, Operation};
use super::{
    directory, error, filter, get_resource, list_response, object_body, respond, ListQuery,
};
use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::clock::Now;
use crate::members::Members;
use crate::seed::GroupKind;
use crate::state::{Group, OrgState};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn group_json(state: &OrgState, group: &Group, base_url: &str, with_members: bool) -> Value {
    let dir = &state.scim_directory_id;
    let id = group.scim_id.as_deref().unwrap_or_default();
    let mut body = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": group.name,
        "meta": {
            "resourceType": "Group",
            "location": format!("{base_url}/scim/directory/{dir}/Groups/{id}"),
            "created": group.created,
            "lastModified": group.last_modified,
        },
    });
    if with_members {
        // Members without a SCIM record in this directory are not SCIM members.
        let members: Vec<Value> = group
            .members
            .iter()
            .filter_map(|account_id| state.scim_user_for_account(account_id))
            .map(|user| {
                json!({
                    "type": "User",
                    "value": user.id,
                    "display": user.user_name,
                    "$ref": format!("{base_url}/scim/directory/{dir}/Users/{}", user.id),
                })
            })
            .collect();
        body["members"] = json!(members);
    }
    body
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        None,
        format!("Resource [GROUP] with id [{id}] not found"),
    )
}

pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Path(dir): Path<String>,
    Query(query): Query<ListQuery>,
) -> Reply {
    let state = directory(&app, &dir)?;
    let filter = query.filter(&["displayName"])?;
    let page = query.page()?;
    let with_members = !query.excludes("members");
    let all = state
        .groups
        .iter()
        .filter(|g| g.scim_id.is_some())
        // Like Atlassian, displayName eq ignores case: callers must compare names themselves.
        .filter(|g| {
            filter
                .as_ref()
                .is_none_or(|f| g.name.eq_ignore_ascii_case(&f.value))
        })
        .collect();
    Ok(list_response(all, &page, |g| {
        group_json(&state, g, &app.base_url, with_members)
    }))
}

pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
) -> Reply {
    get_resource(
        &app,
        &dir,
        |state| state.group_by_scim_id(&id),
        || not_found(&id),
        |state, group| group_json(state, group, &app.base_url, true),
    )
}

/// Creating a group through SCIM makes an identity-provider group: it shows in Admin as synced.
pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    Path(dir): Path<String>,
    body: Bytes,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let body = object_body(&body)?;
    let name = body
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                "displayName is required",
            )
        })?;
    if state
        .groups
        .iter()
        .any(|g| g.name.eq_ignore_ascii_case(name))
    {
        return Err(error(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("Resource [GROUP]: with displayName[{name}] already exists."),
        ));
    }
    let members = match body.get("members") {
        Some(value) => member_accounts(&state, value)?,
        None => Vec::new(),
    };
    let stamp = app.clock.now().stamp();
    let mut group = Group {
        name: name.to_string(),
        kind: GroupKind::Synced,
        description: "Synced from the identity provider".into(),
        admin_id: Some(state.ids.uuid()),
        scim_id: Some(state.ids.uuid()),
        members: Members::default(),
        created: stamp.clone(),
        last_modified: stamp,
    };
    for account in &members {
        group.members.insert(account);
    }
    let body = group_json(&state, &group, &app.base_url, true);
    state.groups.push(group);
    Ok(respond(StatusCode::CREATED, body))
}

pub(super) async fn patch(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let mut group = state
        .group_by_scim_id(&id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    let now = app.clock.now();
    for operation in patch_request(&body)? {
        apply(&state, &mut group, operation, &now)?;
    }
    let body = group_json(&state, &group, &app.base_url, true);
    if let Some(slot) = state.group_by_scim_id_mut(&id) {
        *slot = group;
    }
    Ok(respond(StatusCode::OK, body))
}

pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let before = state.groups.len();
    state
        .groups
        .retain(|g| g.scim_id.as_deref() != Some(id.as_str()));
    if state.groups.len() == before {
        return Err(not_found(&id));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Account ids for a `[{"value": "<scimUserId>"}]` array; 404 for an unknown SCIM user.
fn member_accounts(state: &OrgState, value: &Value) -> Result<Vec<String>, Response> {
    let Value::Array(items) = value else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "members must be an array of {\"value\": \"<SCIM user id>\"}",
        ));
    };
    items
        .iter()
        .map(|item| {
            let id = item["value"].as_str().ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    "each member needs a value (a SCIM user id)",
                )
            })?;
            state
                .scim_user(id)
                .map(|u| u.account_id.clone())
                .ok_or_else(|| {
                    error(
                        StatusCode::NOT_FOUND,
                        None,
                        format!("Resource [USER] with id [{id}] not found"),
                    )
                })
        })
        .collect()
}

/// Account ids named by a remove: unknown SCIM ids are skipped (removing a non-member is a no-op).
fn known_accounts(state: &OrgState, ids: impl IntoIterator<Item = String>) -> Vec<String> {
    ids.into_iter()
        .filter_map(|id| state.scim_user(&id).map(|u| u.account_id.clone()))
        .collect()
}

fn apply(
    state: &OrgState,
    group: &mut Group,
    operation: Operation,
    now: &Now,
) -> Result<(), Response> {
    let path = operation.path.as_deref().map(str::to_string);
    let lower = path.as_deref().map(str::to_ascii_lowercase);
    match (operation.op.as_str(), lower.as_deref(), operation.value) {
        ("add", Some("members"), Some(value)) => {
            for account in member_accounts(state, &value)? {
                group.add_member(&account, now);
            }
        }
        ("replace", Some("members"), value) => {
            let members = match value {
                Some(value) => member_accounts(state, &value)?,
                None => Vec::new(),
            };
            group.members.clear();
            for account in members {
                group.add_member(&account, now);
            }
            group.last_modified = now.stamp();
        }
        ("remove", Some("members"), None) => {
            group.members.clear();
            group.last_modified = now.stamp();
        }
        ("remove", Some("members"), Some(value)) => {
            let ids = value
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i["value"].as_str().map(str::to_string))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            for account in known_accounts(state, ids) {
                group.remove_member(&account, now);
            }
        }
        ("remove", Some(p), _) if p.starts_with("members[") && p.ends_with(']') => {
            let original = path.unwrap_or_default();
            let inner = &original["members[".len()..original.len() - 1];
            let f = filter::parse(inner, &["value"])
                .map_err(|detail| error(StatusCode::BAD_REQUEST, Some("invalidPath"), detail))?;
            for account in known_accounts(state, [f.value]) {
                group.remove_member(&account, now);
            }
        }
        (_, Some("displayname"), Some(value)) => {
            // displayName is immutable: only a no-op "replace with the same name" is accepted.
            if value.as_str() != Some(group.name.as_str()) {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    Some("mutability"),
                    "Renaming a group is not supported",
                ));
            }
        }
        (_, None, Some(Value::Object(attributes))) => {
            // No path: {"members": [...]} or {"displayName": ...} as attributes.
            for (key, value) in attributes {
                let nested = Operation {
                    op: operation.op.clone(),
                    path: Some(key),
                    value: Some(value),
                };
                apply(state, group, nested, now)?;
            }
        }
        (_, Some("externalid"), _) => {}
        (op, path, _) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                Some("invalidPath"),
                format!(
                    "Unsupported group operation [{op}] on path [{}]",
                    path.unwrap_or("")
                ),
            ))
        }
    }
    Ok(())
}
