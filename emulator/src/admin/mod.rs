//! The Organizations (Admin) API v2 under `/admin/v2/orgs/{orgId}`.
//!
//! Its directory id is not the SCIM directory id: `GET .../directories` is how a client learns it,
//! and `-` ("every directory") is accepted only where the spec says so (searches and reads).
//! Errors use the v2 `{"errors":[{id,status,code,title,detail}]}` body, `status` a string.

mod cursor;
mod groups;
mod memberships;
mod users;

use std::sync::{Arc, MutexGuard};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::OrgState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    let dir = "/admin/v2/orgs/{org}/directories/{dir}";
    Router::new()
        .route("/admin/v2/orgs/{org}/directories", get(directories))
        .route(&format!("{dir}/groups/search"), post(groups::search))
        .route(&format!("{dir}/groups/{{group}}"), get(groups::get_one))
        .route(
            &format!("{dir}/groups/{{group}}/memberships"),
            post(memberships::add),
        )
        .route(
            &format!("{dir}/groups/{{group}}/memberships/{{account}}"),
            delete(memberships::remove),
        )
        .route(&format!("{dir}/users/search"), post(users::search))
        .route(&format!("{dir}/users/{{account}}"), get(users::get_one))
        .route(
            &format!("{dir}/users/{{account}}/suspend"),
            post(users::suspend),
        )
        .route(
            &format!("{dir}/users/{{account}}/restore"),
            post(users::restore),
        )
}

/// A v2 error response.
pub(crate) fn error(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    let detail = detail.into();
    let title = status.canonical_reason().unwrap_or("Error");
    let id = format!("{:016x}", crate::ids::fnv1a(detail.as_bytes()));
    let body = json!({
        "errors": [{
            "id": id,
            "status": status.as_u16().to_string(),
            "code": code,
            "title": title,
            "detail": detail,
        }]
    });
    (status, Json(body)).into_response()
}

pub(crate) fn bad_request(detail: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, "BAD_REQUEST", detail)
}

pub(crate) fn not_found(detail: impl Into<String>) -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", detail)
}

/// 404 unless `org` is this org and `dir` its Admin directory (or `-` where `dash_ok`).
pub(crate) fn check_scope(
    state: &OrgState,
    org: &str,
    dir: &str,
    dash_ok: bool,
) -> Result<(), Response> {
    if org != state.org_id {
        return Err(not_found(format!("Organization {org} was not found")));
    }
    if dir == state.admin_directory_id || (dash_ok && dir == "-") {
        return Ok(());
    }
    if dir == "-" {
        return Err(not_found(
            "This endpoint needs a directory id, not '-': find it with GET /v2/orgs/{orgId}/directories",
        ));
    }
    if dir == state.scim_directory_id {
        return Err(not_found(format!(
            "Directory {dir} was not found. This is the SCIM directory id; the Admin API's directory id differs: find it with GET /v2/orgs/{{orgId}}/directories"
        )));
    }
    Err(not_found(format!("Directory {dir} was not found")))
}

/// The org, locked, once `org` and `dir` are known to be this org's (see [`check_scope`]).
pub(crate) fn scope<'a>(
    app: &'a AppState,
    org: &str,
    dir: &str,
    dash_ok: bool,
) -> Result<MutexGuard<'a, OrgState>, Response> {
    let state = app.state();
    check_scope(&state, org, dir, dash_ok)?;
    Ok(state)
}

/// 400 unless a list filter, when given, holds 1 to `max` items.
pub(crate) fn limited<T>(field: &str, list: &Option<Vec<T>>, max: usize) -> Result<(), Response> {
    match list {
        Some(items) if items.is_empty() || items.len() > max => Err(bad_request(format!(
            "{field} must hold between 1 and {max} items"
        ))),
        _ => Ok(()),
    }
}

/// A JSON body that may be absent (searches accept an empty body).
pub(crate) fn optional_body<T: for<'de> Deserialize<'de> + Default>(
    body: &[u8],
) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Invalid request body: {e}")))
}

/// The page size from a request: `default` when absent, 400 outside 1..=100.
pub(crate) fn page_limit(limit: Option<i64>, default: usize) -> Result<usize, Response> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => Err(bad_request(format!(
            "limit must be between 1 and 100, got {n}"
        ))),
    }
}

/// `links` for a page: `self`, and `next`/`prev` cursors where there are such pages.
pub(crate) fn page_links<Q: serde::Serialize>(
    kind: &str,
    query: &Q,
    offset: usize,
    limit: usize,
    more: bool,
) -> Value {
    let mut links = json!({ "self": cursor::encode(kind, offset, query) });
    if more {
        links["next"] = json!(cursor::encode(kind, offset + limit, query));
    }
    if offset > 0 {
        links["prev"] = json!(cursor::encode(kind, offset.saturating_sub(limit), query));
    }
    links
}

/// A `200` page: the `limit` items from `offset`, each rendered by `render`,
/// with cursor links; what every Admin search and listing answers.
pub(crate) fn page_response<T, Q: serde::Serialize>(
    kind: &str,
    query: &Q,
    items: impl IntoIterator<Item = T>,
    offset: usize,
    limit: usize,
    render: impl Fn(T) -> Value,
) -> Response {
    // Lazily: a page of a 100,000-account listing reads `offset + limit + 1`
    // items, not all of them (one more tells whether a next page exists).
    let mut page: Vec<T> = items.into_iter().skip(offset).take(limit + 1).collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let data: Vec<Value> = page.into_iter().map(render).collect();
    let links = page_links(kind, query, offset, limit, more);
    (
        StatusCode::OK,
        Json(json!({ "data": data, "links": links })),
    )
        .into_response()
}

pub(crate) use cursor::decode as decode_cursor;

/// The fields that close both Admin search bodies: the directory filter, the expansions and the
/// page. Flattened last into each body, so a cursor's encoded query keeps its field order.
#[derive(Debug, Clone, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SearchPage {
    directory_ids: Option<Vec<String>>,
    expand: Option<Vec<String>>,
    limit: Option<i64>,
    #[serde(skip_serializing)]
    cursor: Option<String>,
}

impl SearchPage {
    /// 400 for a bad `directoryIds` list, else the page size (`default` when absent).
    pub(crate) fn checked_limit(&self, default: usize) -> Result<usize, Response> {
        limited("directoryIds", &self.directory_ids, 10)?;
        page_limit(self.limit, default)
    }

    /// Whether the directory filter, if any, names the org's Admin directory.
    pub(crate) fn includes_directory(&self, admin_directory_id: &str) -> bool {
        self.directory_ids
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|id| id == admin_directory_id))
    }

    /// Whether `expand` asks for `what`.
    pub(crate) fn expands(&self, what: &str) -> bool {
        self.expand
            .as_ref()
            .is_some_and(|e| e.iter().any(|x| x == what))
    }
}

/// A search body, which ends in a [`SearchPage`].
pub(crate) trait Paged: Clone + serde::de::DeserializeOwned + Default {
    /// The paging fields.
    fn page(&mut self) -> &mut SearchPage;
}

/// Reads a search body and, when it carries a cursor, the query the cursor
/// encodes (its offset and filters; the body may still change `limit`).
pub(crate) fn search_request<Q: Paged>(kind: &str, body: &[u8]) -> Result<(usize, Q), Response> {
    let mut request: Q = optional_body(body)?;
    let Some(cursor) = request.page().cursor.clone() else {
        return Ok((0, request));
    };
    match decode_cursor::<Q>(kind, &cursor) {
        Some((offset, mut query)) => {
            let limit = request.page().limit.or(query.page().limit);
            query.page().limit = limit;
            Ok((offset, query))
        }
        None => Err(bad_request(format!("Invalid cursor {cursor}"))),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DirectoriesQuery {
    account_id: Option<String>,
    limit: Option<String>,
}

/// `GET /v2/orgs/{orgId}/directories`: the org's one directory.
async fn directories(
    State(app): State<Arc<AppState>>,
    Path(org): Path<String>,
    Query(query): Query<DirectoriesQuery>,
) -> Reply {
    let state = app.state();
    if org != state.org_id {
        return Err(not_found(format!("Organization {org} was not found")));
    }
    if let Some(limit) = &query.limit {
        match limit.parse::<i64>() {
            Ok(n) if (1..=100).contains(&n) => {}
            _ => {
                let detail = format!("limit must be between 1 and 100, got {limit}");
                return Err(bad_request(detail));
            }
        }
    }
    let now = app.clock.now().instant;
    let include = query
        .account_id
        .as_deref()
        .is_none_or(|id| state.visible_account(id, now).is_some());
    let data: Vec<Value> = include
        .then(|| {
            json!({
                "directoryId": state.admin_directory_id,
                "name": "Example Org directory",
                "icon": "https://example.invalid/directory.png",
            })
        })
        .into_iter()
        .collect();
    let links = page_links("directories", &(), 0, 100, data.len() > 100);
    Ok((
        StatusCode::OK,
        Json(json!({ "data": data, "links": links })),
    )
        .into_response())
}
