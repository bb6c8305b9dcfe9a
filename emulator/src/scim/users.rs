//! SCIM `/Users`: list with a filter, create (linking to an existing account by email), get,
//! replace (PUT), patch, delete.
//!
//! A SCIM user is linked to an Atlassian account; `active`, the email and the display name flow to
//! that account, which is what the Admin and user-management APIs then show.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::{directory, error, get_resource, list_response, object_body, respond, ListQuery};
use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::clock::Now;
use crate::state::{OrgState, ScimUser};

const CORE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ATLASSIAN_SCHEMA: &str = "urn:scim:schemas:extension:atlassian-external:1.0";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The user as SCIM shows it; `with_account` false leaves out the Atlassian extension.
pub(super) fn user_json(
    state: &OrgState,
    user: &ScimUser,
    base_url: &str,
    with_account: bool,
) -> Value {
    let dir = &state.scim_directory_id;
    let mut schemas = vec![CORE_SCHEMA, ENTERPRISE_SCHEMA];
    if with_account {
        schemas.insert(0, ATLASSIAN_SCHEMA);
    }
    let mut name = Map::new();
    if let Some(given) = &user.given_name {
        name.insert("givenName".into(), json!(given));
    }
    if let Some(family) = &user.family_name {
        name.insert("familyName".into(), json!(family));
    }
    let formatted = user.formatted.clone().or_else(|| {
        let parts: Vec<&str> = [&user.given_name, &user.family_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    if let Some(formatted) = formatted {
        name.insert("formatted".into(), json!(formatted));
    }
    let groups: Vec<Value> = state
        .groups
        .iter()
        .filter(|g| g.has_member(&user.account_id))
        .filter_map(|g| {
            let id = g.scim_id.as_ref()?;
            Some(json!({
                "value": id,
                "display": g.name,
                "type": "direct",
                "$ref": format!("{base_url}/scim/directory/{dir}/Groups/{id}"),
            }))
        })
        .collect();

    let mut body = json!({
        "schemas": schemas,
        "id": user.id,
        "userName": user.user_name,
        "emails": [{"value": user.email, "type": "work", "primary": true}],
        "name": name,
        "displayName": user.shown_name(),
        "active": user.active,
        "groups": groups,
        "meta": {
            "resourceType": "User",
            "location": format!("{base_url}/scim/directory/{dir}/Users/{}", user.id),
            "created": user.created,
            "lastModified": user.last_modified,
        },
    });
    let optional = [
        ("externalId", &user.external_id),
        ("nickName", &user.nick_name),
        ("title", &user.title),
        ("department", &user.department),
        ("organization", &user.organization),
        ("timezone", &user.timezone),
        ("preferredLanguage", &user.preferred_language),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            body[key] = json!(value);
        }
    }
    let mut enterprise = Map::new();
    if let Some(department) = &user.department {
        enterprise.insert("department".into(), json!(department));
    }
    if let Some(organization) = &user.organization {
        enterprise.insert("organization".into(), json!(organization));
    }
    if !enterprise.is_empty() {
        body[ENTERPRISE_SCHEMA] = Value::Object(enterprise);
    }
    if with_account {
        body[ATLASSIAN_SCHEMA] = json!({ "atlassianAccountId": user.account_id });
    }
    body
}

pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Path(dir): Path<String>,
    Query(query): Query<ListQuery>,
) -> Reply {
    let state = directory(&app, &dir)?;
    let filter = query.filter(&["userName", "externalId"])?;
    let page = query.page()?;
    let matches = |user: &&ScimUser| match &filter {
        None => true,
        // Atlassian compares userName ignoring case; externalId is case-exact.
        Some(f) if f.attribute == "userName" => user.user_name.eq_ignore_ascii_case(&f.value),
        Some(f) => user.external_id.as_deref() == Some(f.value.as_str()),
    };
    let all = state.scim_users.iter().filter(matches).collect();
    Ok(list_response(all, &page, |u| {
        user_json(&state, u, &app.base_url, true)
    }))
}

pub(super) async fn get_one(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
) -> Reply {
    get_resource(
        &app,
        &dir,
        |state| state.scim_user(&id),
        || not_found(&id),
        |state, user| user_json(state, user, &app.base_url, true),
    )
}

pub(super) async fn create(
    State(app): State<Arc<AppState>>,
    Path(dir): Path<String>,
    body: Bytes,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let now = app.clock.now();
    let body = object_body(&body)?;
    let mut user = ScimUser::default();
    apply_resource(&mut user, &body)?;
    check_unique(&state, &user, None)?;
    user.account_id = link_account(&mut state, &user, &now)?;
    let stamp = now.stamp();
    user.id = state.ids.uuid();
    user.created = stamp.clone();
    user.last_modified = stamp;
    let with_account = !state.options.omit_account_id_on_create;
    let body = user_json(&state, &user, &app.base_url, with_account);
    state.push_scim_user(user);

    let mut response = respond(StatusCode::CREATED, body.clone());
    if let Some(Ok(location)) = body["meta"]["location"].as_str().map(HeaderValue::from_str) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// The account a new SCIM user belongs to: an existing account with its email is linked rather
/// than duplicated, as Atlassian does (409 if another SCIM user already holds it); else a new one.
fn link_account(state: &mut OrgState, user: &ScimUser, now: &Now) -> Result<String, Response> {
    let existing = state
        .account_by_email(&user.email)
        .map(|a| (a.id.clone(), state.scim_user_for_account(&a.id).is_some()));
    match existing {
        Some((_, true)) => Err(error(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!(
                "Resource [USER]: with email[{}] already exists.",
                user.email
            ),
        )),
        Some((account_id, false)) => {
            if let Some(account) = state.account_mut(&account_id) {
                account.email = user.email.clone();
                account.display_name = user.shown_name();
            }
            state.set_account_active(&account_id, user.active, now);
            Ok(account_id)
        }
        None => Ok(state.mint_account(&user.email, &user.shown_name(), user.active, now)),
    }
}

pub(super) async fn replace(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let current = state.scim_user(&id).ok_or_else(|| not_found(&id))?;
    // PUT replaces every mutable attribute: what the body leaves out is cleared.
    let mut user = ScimUser {
        id: current.id.clone(),
        account_id: current.account_id.clone(),
        created: current.created.clone(),
        ..ScimUser::default()
    };
    apply_resource(&mut user, &object_body(&body)?)?;
    commit(&mut state, &app.base_url, user, &app.clock.now())
}

pub(super) async fn patch(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let mut user = state
        .scim_user(&id)
        .cloned()
        .ok_or_else(|| not_found(&id))?;
    for operation in patch_request(&body)? {
        apply_operation(&mut user, operation)?;
    }
    commit(&mut state, &app.base_url, user, &app.clock.now())
}

pub(super) async fn delete(
    State(app): State<Arc<AppState>>,
    Path((dir, id)): Path<(String, String)>,
) -> Reply {
    let mut state = directory(&app, &dir)?;
    let position = state.scim_position(&id).ok_or_else(|| not_found(&id))?;
    // Deleting removes the SCIM record, unlinks the account, drops its memberships of the
    // directory's synced groups (they came from the identity provider) and deactivates it.
    let now = app.clock.now();
    let user = state.remove_scim_user(position);
    for group in state.groups.iter_mut().filter(|g| g.scim_id.is_some()) {
        group.remove_member(&user.account_id, &now);
    }
    state.set_account_active(&user.account_id, false, &now);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Stores an updated user after the uniqueness checks, mirroring what the account shows.
fn commit(state: &mut OrgState, base_url: &str, mut user: ScimUser, now: &Now) -> Reply {
    check_unique(state, &user, Some(&user.id))?;
    user.last_modified = now.stamp();
    let account_id = user.account_id.clone();
    if let Some(account) = state.account_mut(&account_id) {
        account.email = user.email.clone();
        account.display_name = user.shown_name();
    }
    state.set_account_active(&account_id, user.active, now);
    let body = user_json(state, &user, base_url, true);
    if let Some(i) = state.scim_position(&user.id) {
        state.scim_users[i] = user;
    }
    Ok(respond(StatusCode::OK, body))
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        None,
        format!("Resource [USER] with id [{id}] not found"),
    )
}

/// 409 `uniqueness` if another SCIM user has this userName, email or externalId.
fn check_unique(state: &OrgState, user: &ScimUser, except: Option<&str>) -> Result<(), Response> {
    let uniqueness = |detail: String| Err(error(StatusCode::CONFLICT, Some("uniqueness"), detail));
    for other in state
        .scim_users
        .iter()
        .filter(|o| Some(o.id.as_str()) != except)
    {
        let names = [&other.user_name, &other.email];
        if names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&user.user_name))
        {
            return uniqueness(format!(
                "Resource [USER]: with userName[{}] already exists.",
                user.user_name
            ));
        }
        if names.iter().any(|n| n.eq_ignore_ascii_case(&user.email)) {
            return uniqueness(format!(
                "Resource [USER]: with email[{}] already exists.",
                user.email
            ));
        }
        if user.external_id.is_some() && other.external_id == user.external_id {
            return uniqueness(format!(
                "Resource [USER]: with externalId[{}] already exists.",
                user.external_id.as_deref().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

fn invalid_value(detail: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
}

/// A string attribute: absent, `null` and `""` all mean "not set".
fn string_value(key: &str, value: Option<&Value>) -> Result<Option<String>, Response> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid_value(format!(
            "{key} must be a string, got {other}"
        ))),
    }
}

/// `active`: a boolean, or the strings `"true"`/`"false"` that some identity providers send.
fn bool_value(key: &str, value: &Value) -> Result<bool, Response> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(invalid_value(format!(
            "{key} must be a boolean, got {other}"
        ))),
    }
}

/// The primary (else first) email of an `emails` array.
fn primary_email(value: &Value) -> Result<Option<String>, Response> {
    let Value::Array(emails) = value else {
        return Err(invalid_value("emails must be an array"));
    };
    let chosen = emails
        .iter()
        .find(|e| e["primary"].as_bool() == Some(true))
        .or_else(|| emails.first());
    match chosen {
        None => Ok(None),
        Some(email) => match email["value"].as_str().filter(|v| !v.is_empty()) {
            Some(value) => Ok(Some(value.to_string())),
            None => Err(invalid_value("each email needs a non-empty value")),
        },
    }
}

/// Sets every attribute from a full resource (create, PUT); `user` starts cleared.
fn apply_resource(user: &mut ScimUser, body: &Map<String, Value>) -> Result<(), Response> {
    let user_name = string_value("userName", body.get("userName"))?
        .ok_or_else(|| invalid_value("userName is required"))?;
    user.email = match body.get("emails") {
        Some(emails) => primary_email(emails)?.unwrap_or_else(|| user_name.clone()),
        None => user_name.clone(),
    };
    user.user_name = user_name;
    user.external_id = string_value("externalId", body.get("externalId"))?;
    if let Some(name) = body.get("name").filter(|n| !n.is_null()) {
        let Value::Object(name) = name else {
            return Err(invalid_value("name must be an object"));
        };
        user.given_name = string_value("name.givenName", name.get("givenName"))?;
        user.family_name = string_value("name.familyName", name.get("familyName"))?;
        user.formatted = string_value("name.formatted", name.get("formatted"))?;
    }
    user.display_name = string_value("displayName", body.get("displayName"))?;
    user.nick_name = string_value("nickName", body.get("nickName"))?;
    user.title = string_value("title", body.get("title"))?;
    user.department = string_value("department", body.get("department"))?;
    user.organization = string_value("organization", body.get("organization"))?;
    user.timezone = string_value("timezone", body.get("timezone"))?;
    user.preferred_language = string_value("preferredLanguage", body.get("preferredLanguage"))?;
    if let Some(Value::Object(enterprise)) = body.get(ENTERPRISE_SCHEMA) {
        if user.department.is_none() {
            user.department = string_value("department", enterprise.get("department"))?;
        }
        if user.organization.is_none() {
            user.organization = string_value("organization", enterprise.get("organization"))?;
        }
    }
    // Atlassian treats a missing `active` as true.
    user.active = match body.get("active") {
        None | Some(Value::Null) => true,
        Some(value) => bool_value("active", value)?,
    };
    Ok(())
}

/// One PATCH operation.
pub(super) struct Operation {
    pub op: String,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// The `Operations` (RFC 7644) or `operations` (Atlassian's schema) array.
/// The operations of a PATCH request body (a JSON object with `Operations`).
pub(super) fn patch_request(body: &[u8]) -> Result<Vec<Operation>, Response> {
    patch_operations(&object_body(body)?)
}

fn patch_operations(body: &Map<String, Value>) -> Result<Vec<Operation>, Response> {
    let syntax = |detail: &str| error(StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail);
    if let Some(Value::Array(schemas)) = body.get("schemas") {
        if !schemas.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA)) {
            return Err(syntax(
                "schemas must contain urn:ietf:params:scim:api:messages:2.0:PatchOp",
            ));
        }
    }
    let Some(Value::Array(raw)) = body.get("Operations").or_else(|| body.get("operations")) else {
        return Err(syntax("Operations must be a non-empty array"));
    };
    if raw.is_empty() {
        return Err(syntax("Operations must be a non-empty array"));
    }
    raw.iter()
        .map(|op| {
            let op_name = op["op"]
                .as_str()
                .ok_or_else(|| syntax("each operation needs an op"))?
                .to_ascii_lowercase();
            if !matches!(op_name.as_str(), "add" | "replace" | "remove") {
                return Err(syntax("op must be add, replace or remove"));
            }
            let path = match &op["path"] {
                Value::Null => None,
                Value::String(p) if p.trim().is_empty() => None,
                Value::String(p) => Some(p.trim().to_string()),
                _ => return Err(syntax("path must be a string")),
            };
            let value = op.get("value").cloned().filter(|v| !v.is_null());
            Ok(Operation {
                op: op_name,
                path,
                value,
            })
        })
        .collect()
}

fn apply_operation(user: &mut ScimUser, operation: Operation) -> Result<(), Response> {
    match (operation.op.as_str(), operation.path, operation.value) {
        ("remove", None, _) => Err(error(
            StatusCode::BAD_REQUEST,
            Some("noTarget"),
            "remove needs a path",
        )),
        ("remove", Some(path), _) => set_path(user, &path, None),
        (_, Some(path), Some(value)) => set_path(user, &path, Some(&value)),
        (_, Some(path), None) => Err(invalid_value(format!("{path}: value is required"))),
        // No path: the value is an object of attributes (dotted keys allowed, as Entra sends).
        (_, None, Some(Value::Object(attributes))) => {
            for (key, value) in &attributes {
                set_path(user, key, Some(value))?;
            }
            Ok(())
        }
        (_, None, _) => Err(invalid_value("without a path, value must be an object")),
    }
}

/// Sets (`Some`) or clears (`None`) one attribute addressed by a PATCH path.
fn set_path(user: &mut ScimUser, path: &str, value: Option<&Value>) -> Result<(), Response> {
    let lower = path.to_ascii_lowercase();
    let enterprise_prefix = format!("{}:", ENTERPRISE_SCHEMA.to_ascii_lowercase());
    let key = lower.strip_prefix(&enterprise_prefix).unwrap_or(&lower);
    let text = |field: &mut Option<String>| -> Result<(), Response> {
        *field = string_value(path, value)?;
        Ok(())
    };
    match key {
        "active" => match value {
            Some(value) => user.active = bool_value(path, value)?,
            None => return Err(invalid_value("active cannot be removed")),
        },
        "username" => match string_value(path, value)? {
            Some(name) => user.user_name = name,
            None => return Err(invalid_value("userName cannot be removed")),
        },
        "externalid" => text(&mut user.external_id)?,
        "displayname" => text(&mut user.display_name)?,
        "nickname" => text(&mut user.nick_name)?,
        "title" => text(&mut user.title)?,
        "department" => text(&mut user.department)?,
        "organization" => text(&mut user.organization)?,
        "timezone" => text(&mut user.timezone)?,
        "preferredlanguage" => text(&mut user.preferred_language)?,
        "name.givenname" => text(&mut user.given_name)?,
        "name.familyname" => text(&mut user.family_name)?,
        "name.formatted" => text(&mut user.formatted)?,
        "name" => match value {
            None => {
                user.given_name = None;
                user.family_name = None;
                user.formatted = None;
            }
            Some(Value::Object(name)) => {
                for (sub, sub_value) in name {
                    set_path(user, &format!("name.{sub}"), Some(sub_value))?;
                }
            }
            Some(_) => return Err(invalid_value("name must be an object")),
        },
        "emails" | "emails[type eq \"work\"].value" | "emails.value" => {
            let email = match value {
                None => None,
                Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
                Some(array) => primary_email(array)?,
            };
            match email {
                Some(email) => user.email = email,
                None => return Err(invalid_value("emails is required")),
            }
        }
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user" => match value {
            Some(Value::Object(attributes)) => {
                for (sub, sub_value) in attributes {
                    set_path(user, sub, Some(sub_value))?;
                }
            }
            _ => return Err(invalid_value("the enterprise extension must be an object")),
        },
        "schemas" | "id" | "meta" | "groups" => {}
        _ => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                Some("invalidPath"),
                format!("Attribute [{path}] is not supported"),
            ))
        }
    }
    Ok(())
}
