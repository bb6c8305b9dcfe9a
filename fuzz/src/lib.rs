//! What the fuzz targets share: the secret marker the configuration targets
//! plant, and the checks every response target makes of an error.

use atlassian_lcm::report::System;
use atlassian_lcm::transport::ApiResponse;

/// Prefixed to every credential a configuration target sets, so a leak is a
/// plain substring search that fixed message text cannot match by chance.
pub const SECRET_MARKER: &str = "FUZZ-SECRET-7q3x";

/// Panics if `text` (a Debug rendering, an error message) shows a planted
/// credential.
pub fn assert_no_secret(what: &str, text: &str) {
    assert!(
        !text.contains(SECRET_MARKER),
        "{what} shows a credential: {text}"
    );
}

/// Statuses whose error path is exercised for every body: each branch of
/// `ApiResponse::error` (auth hint, redirect hint, retryable, rejected).
pub const ERROR_STATUSES: [u16; 9] = [302, 400, 401, 403, 404, 409, 429, 500, 503];

/// A response carrying `body` with `status`.
pub fn response(status: u16, body: &[u8]) -> ApiResponse {
    ApiResponse {
        status,
        body: body.to_vec(),
        attempts: 1,
    }
}

/// Turns `body` into an error under every status in [`ERROR_STATUSES`] and
/// checks the message: it names the status and quotes at most 300 characters
/// of Atlassian's text (so a huge error body cannot bloat a report).
pub fn check_errors(system: System, body: &[u8]) {
    for status in ERROR_STATUSES {
        let err = response(status, body).error(system);
        assert_eq!(err.status, Some(status));
        let prefix = format!("HTTP {status}");
        assert!(err.message.starts_with(&prefix), "{}", err.message);
        // Prefix, ": ", 300 quoted characters and the longest hint (under 100).
        let bound = prefix.len() + 2 + 300 + 100;
        assert!(
            err.message.chars().count() <= bound,
            "error message of {} characters",
            err.message.chars().count()
        );
        assert!(!err.code.as_str().is_empty());
        assert_eq!(err.to_report().message, err.message);
    }
}
