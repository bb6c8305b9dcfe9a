//! What came back: a response with its attempt count, the error a request
//! came to, and how a write ended (sent, or planned in a dry run).

use serde::de::DeserializeOwned;

use crate::report::{ErrorCode, ReportError, System};

/// A response that arrived (any status).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Raw body.
    pub body: Vec<u8>,
    /// Requests sent to get it.
    pub attempts: u32,
}

impl ApiResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError {
            code: ErrorCode::UnexpectedResponse,
            status: Some(self.status),
            message: format!("could not read Atlassian's response: {e}"),
            attempts: self.attempts,
        })
    }

    /// Turns a non-2xx response into an error with Atlassian's own message.
    pub fn error(&self, system: System) -> ApiError {
        let code = match self.status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            300..=399 => ErrorCode::UnexpectedResponse,
            429 | 500..=599 => ErrorCode::AtlassianError,
            _ => ErrorCode::Rejected,
        };
        let detail = error_detail(system, &self.body);
        let hint = match self.status {
            401 => " (check the API key for this API; it may have expired or been rotated)",
            300..=399 => {
                " (redirects are not followed so that credentials stay on the configured host)"
            }
            _ => "",
        };
        ApiError {
            code,
            status: Some(self.status),
            message: format!(
                "HTTP {}{}{}",
                self.status,
                detail.map(|d| format!(": {d}")).unwrap_or_default(),
                hint
            ),
            attempts: self.attempts,
        }
    }
}

/// Pulls the human message out of each API's error body shape.
fn error_detail(system: System, body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |p: &str| v.pointer(p).and_then(|x| x.as_str()).map(str::to_string);
    let found = match system {
        System::Scim => text("/detail").or_else(|| text("/error")),
        System::Admin => text("/errors/0/detail")
            .or_else(|| text("/errors/0/title"))
            .or_else(|| text("/message")),
        System::UserManagement => text("/context/message").or_else(|| text("/key")),
        System::Jira => text("/errorMessages/0").or_else(|| text("/message")),
        System::Confluence => text("/message"),
        System::Bitbucket => text("/error/message"),
    };
    found.map(|s| s.chars().take(300).collect())
}

/// A request that produced no usable response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// Final HTTP status, if any.
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// Requests sent.
    pub attempts: u32,
}

impl ApiError {
    /// As a report error.
    pub fn to_report(&self) -> ReportError {
        ReportError {
            code: self.code,
            message: self.message.clone(),
        }
    }
}

/// What a write came to.
#[derive(Debug, Clone)]
pub enum Sent {
    /// Sent; here is the response (any status).
    Response(ApiResponse),
    /// Dry run: recorded in the plan, not sent.
    Planned,
}

/// Reads a successful response as `T`, or turns a failure into an error.
pub fn expect_json<T: DeserializeOwned>(resp: &ApiResponse, system: System) -> Result<T, ApiError> {
    if resp.is_success() {
        resp.json()
    } else {
        Err(resp.error(system))
    }
}
