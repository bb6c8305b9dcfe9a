//! The user-provisioning (SCIM 2.0) API under `/scim/directory/{scimDirectoryId}`.
//!
//! Shapes follow Atlassian's OpenAPI document: `application/scim+json` responses, `ScimError` bodies
//! whose `status` is a string, `ListResponse` with a capital-R `Resources`, 1-based `startIndex`.

mod filter;
mod groups;
mod users;

use std::sync::{Arc, MutexGuard};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::state::OrgState;

pub(crate) const SCIM_JSON: &str = "application/scim+json";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Atlassian's page-size cap (undocumented; 100 keeps pagination honest in tests).
const MAX_COUNT: usize = 100;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/scim/directory/{dir}/Users",
            get(users::list).post(users::create),
        )
        .route(
            "/scim/directory/{dir}/Users/{id}",
            get(users::get_one)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(
            "/scim/directory/{dir}/Groups",
            get(groups::list).post(groups::create),
        )
        .route(
            "/scim/directory/{dir}/Groups/{id}",
            get(groups::get_one)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            "/scim/directory/{dir}/ServiceProviderConfig",
            get(service_provider_config),
        )
}

/// A SCIM JSON response.
pub(crate) fn respond(status: StatusCode, body: Value) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    response
}

/// A `ScimError` body (`status` is a string, as in Atlassian's schema).
pub(crate) fn error(
    status: StatusCode,
    scim_type: Option<&str>,
    detail: impl Into<String>,
) -> Response {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.as_u16().to_string(),
        "detail": detail.into(),
    });
    if let Some(kind) = scim_type {
        body["scimType"] = json!(kind);
    }
    respond(status, body)
}

/// The `Failure` body SCIM uses for 401 and 403.
pub(crate) fn failure(status: StatusCode, message: &str, trace_id: String) -> Response {
    respond(status, json!({ "error": message, "traceId": trace_id }))
}

/// The org, locked, once `dir` is known to be its SCIM directory; else SCIM's 404.
/// `GET /{Resource}/{id}` for users and groups alike: the resource `find`
/// picks out of the directory, as `render` shows it, else `missing`'s 404.
fn get_resource<T>(
    app: &AppState,
    dir: &str,
    find: impl FnOnce(&OrgState) -> Option<&T>,
    missing: impl FnOnce() -> Response,
    render: impl FnOnce(&OrgState, &T) -> Value,
) -> Reply {
    let state = directory(app, dir)?;
    let resource = find(&state).ok_or_else(missing)?;
    Ok(respond(StatusCode::OK, render(&state, resource)))
}

fn directory<'a>(app: &'a AppState, dir: &str) -> Result<MutexGuard<'a, OrgState>, Response> {
    let state = app.state();
    if dir == state.scim_directory_id {
        Ok(state)
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            None,
            format!("Directory [{dir}] not found"),
        ))
    }
}

/// Parses a request body as a JSON object, or answers 400 `invalidSyntax`.
fn object_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "The request body must be a JSON object",
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// List query parameters (kept as strings so a bad number gets a SCIM error, not axum's).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListQuery {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    excluded_attributes: Option<String>,
}

/// A page window: where to start (0-based) and how many to return.
struct Page {
    start_index: usize,
    count: usize,
}

impl ListQuery {
    fn page(&self) -> Result<Page, Response> {
        let number = |name: &str, raw: &Option<String>, default: i64| -> Result<i64, Response> {
            match raw.as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(text) => text.parse::<i64>().map_err(|_| {
                    error(
                        StatusCode::BAD_REQUEST,
                        Some("invalidValue"),
                        format!("{name} must be an integer, got [{text}]"),
                    )
                }),
            }
        };
        // RFC 7644 §3.4.2.4: startIndex < 1 means 1; a negative count means 0.
        let start_index = number("startIndex", &self.start_index, 1)?.max(1) as usize;
        let count =
            (number("count", &self.count, MAX_COUNT as i64)?.max(0) as usize).min(MAX_COUNT);
        Ok(Page { start_index, count })
    }

    fn filter(&self, allowed: &[&str]) -> Result<Option<filter::EqFilter>, Response> {
        match self.filter.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => filter::parse(text, allowed)
                .map(Some)
                .map_err(|detail| error(StatusCode::BAD_REQUEST, Some("invalidFilter"), detail)),
        }
    }

    fn excludes(&self, attribute: &str) -> bool {
        self.excluded_attributes.as_deref().is_some_and(|list| {
            list.split(',')
                .any(|a| a.trim().eq_ignore_ascii_case(attribute))
        })
    }
}

/// A `ListResponse` for one page of `all`.
/// A `ListResponse` page of `all`, rendering only the page's items: a
/// listing of 100,000 users page by page must not render every user for
/// every page.
fn list_response<T>(all: Vec<T>, page: &Page, render: impl Fn(T) -> Value) -> Response {
    let total = all.len();
    let resources: Vec<Value> = all
        .into_iter()
        .skip(page.start_index - 1)
        .take(page.count)
        .map(render)
        .collect();
    respond(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": page.start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

/// What this SCIM service supports; clients that read it learn the real limits.
async fn service_provider_config(
    State(app): State<Arc<AppState>>,
    Path(dir): Path<String>,
) -> Reply {
    let _checked = directory(&app, &dir)?;
    Ok(respond(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_COUNT},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with the directory's API key",
            }],
        }),
    ))
}
