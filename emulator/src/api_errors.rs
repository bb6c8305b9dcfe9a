//! Error bodies for the layers in front of the APIs (auth, faults, content type, unknown paths).
//!
//! Each of Atlassian's APIs has its own error shape, and a client parses the one it expects; so a
//! 401 or an injected 503 must look like what that API would send, not a generic body.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::log::Api;

/// What a handler returns: its answer, or the error answer it stopped at, so that checks
/// short-circuit with `?`.
pub(crate) type Reply = Result<Response, Response>;

/// An error in `api`'s shape: SCIM `ScimError` (401/403: `{error, traceId}`), Admin v2
/// `{"errors": [...]}`, user management `{"key": ...}`.
pub(crate) fn api_error(api: Api, status: StatusCode, detail: &str, trace_id: String) -> Response {
    match api {
        Api::Scim if matches!(status.as_u16(), 401 | 403) => {
            crate::scim::failure(status, detail, trace_id)
        }
        Api::Scim => crate::scim::error(status, None, detail),
        Api::UserManagement => crate::user_management::key_error(status, um_key(status)),
        _ => {
            let code = status
                .canonical_reason()
                .unwrap_or("ERROR")
                .to_ascii_uppercase()
                .replace(' ', "_");
            let body = json!({
                "errors": [{
                    "id": trace_id,
                    "status": status.as_u16().to_string(),
                    "code": code,
                    "title": status.canonical_reason().unwrap_or("Error"),
                    "detail": detail,
                }]
            });
            (status, Json(body)).into_response()
        }
    }
}

fn um_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "notFound",
        415 => "unsupportedMediaType",
        429 => "tooManyRequests",
        503 => "serviceUnavailable",
        _ => "internalServerError",
    }
}

/// An injected fault's response: the API's error body plus the fault's headers.
pub(crate) fn fault_response(
    api: Api,
    status: u16,
    headers: &[(&'static str, String)],
    trace_id: String,
) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let detail = match status.as_u16() {
        429 => "Rate limit exceeded: retry later",
        503 => "Service temporarily unavailable",
        _ => "Injected failure",
    };
    let mut response = api_error(api, status, detail, trace_id);
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    response
}
