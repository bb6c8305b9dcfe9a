//! Bearer-token checks: the SCIM token for `/scim`, the admin API key for `/admin` and `/users`.
//!
//! Checked in front of every API so a wrong key fails the way Atlassian fails it (401 in that API's
//! error shape) whatever the path, including unknown ones under a known prefix.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;

use crate::api_errors::api_error;
use crate::log::Api;
use crate::state::OrgState;

/// `Ok` when the request carries the token `api` needs.
pub(crate) fn check(
    state: &OrgState,
    api: Api,
    headers: &HeaderMap,
    trace_id: String,
) -> Result<(), Response> {
    let expected = match api {
        Api::Scim => &state.scim_token,
        Api::Admin | Api::UserManagement => &state.admin_api_key,
        _ => return Ok(()),
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented {
        Some(token) if !expected.is_empty() && constant_time_eq(token, expected) => Ok(()),
        Some(_) => Err(api_error(
            api,
            StatusCode::UNAUTHORIZED,
            "Invalid API key",
            trace_id,
        )),
        None => Err(api_error(
            api,
            StatusCode::UNAUTHORIZED,
            "Missing Authorization: Bearer header",
            trace_id,
        )),
    }
}

/// Compares without an early exit, as a real server would; cheap habit, even for fake keys.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
