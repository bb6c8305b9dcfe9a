//! A request as data ([`ApiRequest`]) and the pure function that turns it into
//! the HTTP request the host sends: base URL and credential chosen by API,
//! query escaped, body serialised with the right content type.

use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::Method;

use super::response::ApiError;
use crate::config::Config;
use crate::http::{HttpRequest, TransportError};
use crate::report::{ErrorCode, PlannedRequest, System};
use crate::secret::Secret;

/// Characters left as they are in a path segment or query value; everything
/// else is escaped (account ids may contain `|`, which must not reach a URL raw).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// Percent-encodes a query key or value.
fn escape(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Places an id in a URL path as one escaped segment, or refuses it. `role`
/// names the id in the error (`SCIM user id`, `account id`).
///
/// Escaping alone is not enough: `.` and `..` are unreserved, and URL parsers
/// (WHATWG's among them) resolve `%2E%2E` as `..` too, so such an id would
/// point the request at another resource. A slash or backslash would split
/// the segment on servers that decode before routing, and an empty id would
/// name the collection. Ids come from Atlassian's responses (configuration
/// checks its own), so a refusal is an unexpected response, raised while the
/// request is built: nothing is sent.
pub fn segment(role: &str, id: &str) -> Result<String, ApiError> {
    let why = if id.is_empty() {
        Some("it is empty")
    } else if id == "." || id == ".." {
        Some("it is a dot segment")
    } else if id.contains(['/', '\\']) {
        Some("it contains a slash or backslash")
    } else if id.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match why {
        None => Ok(escape(id)),
        Some(why) => Err(ApiError {
            code: ErrorCode::UnexpectedResponse,
            status: None,
            message: format!(
                "the {role} {:?} cannot be placed in a URL path ({why}); no request was sent",
                id.chars().take(80).collect::<String>()
            ),
            attempts: 0,
        }),
    }
}

/// How a request may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads (GET, search POSTs): retried freely, sent in dry runs.
    Read,
    /// Idempotent writes: retried freely, recorded instead of sent in dry runs.
    Write,
    /// A write that must not be sent twice (SCIM create): retried only when the
    /// server certainly did not process it (429, 503); otherwise the caller
    /// looks the object up before trying again.
    Create,
}

/// One request to one of Atlassian's APIs, described as data.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Which API (base URL and credential).
    pub system: System,
    /// HTTP method.
    pub method: Method,
    /// Path below the API's base, starting with `/`, segments already escaped.
    pub path: String,
    /// Query parameters, unescaped.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// Retry and dry-run behaviour.
    pub kind: Kind,
    /// For [`System::Jira`] and [`System::Confluence`]: the product site
    /// (one of `LCM_PRODUCT_SITES`) the path is below.
    pub site: Option<String>,
}

impl ApiRequest {
    /// A request without query or body.
    pub fn new(system: System, method: Method, path: impl Into<String>, kind: Kind) -> Self {
        ApiRequest {
            system,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            kind,
            site: None,
        }
    }

    /// Sends the request to a product site.
    pub fn on_site(mut self, site: &str) -> Self {
        self.site = Some(site.to_string());
        self
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// The configured base URL of a request's API. A product request names its
/// site; the products module only builds them for configured sites.
fn base_url<'a>(config: &'a Config, req: &'a ApiRequest) -> &'a str {
    match req.system {
        System::Scim => config.credentials().scim_url(),
        System::Admin => config.endpoints().admin_base_url(),
        System::UserManagement => config.endpoints().api_base_url(),
        System::Jira | System::Confluence => req.site.as_deref().unwrap_or_default(),
        System::Bitbucket => config.endpoints().bitbucket_base_url(),
    }
}

/// The `Authorization` value for an API: the SCIM token, or the Admin API key
/// (which the user-management API accepts too), as bearer tokens; the product
/// sites and Bitbucket take the product user and API token as basic auth.
fn authorization(config: &Config, system: System) -> Result<String, TransportError> {
    let bearer = |token: &Secret| format!("Bearer {}", token.expose());
    match system {
        System::Scim => Ok(bearer(config.credentials().scim_token())),
        System::Admin | System::UserManagement => Ok(bearer(config.credentials().admin_api_key())),
        System::Jira | System::Confluence | System::Bitbucket => {
            let credentials = config.credentials();
            match (credentials.product_user(), credentials.product_token()) {
                (Some(user), Some(token)) => Ok(crate::products::basic_auth(user, token)),
                // Configuration refuses sites without both; kept as an error, never a panic.
                _ => Err(TransportError::Other(
                    "no product credentials (LCM_PRODUCT_USER, LCM_PRODUCT_TOKEN) are configured"
                        .into(),
                )),
            }
        }
    }
}

/// The full URL of a request.
pub fn url(config: &Config, req: &ApiRequest) -> String {
    let mut url = format!("{}{}", base_url(config, req), req.path);
    if !req.query.is_empty() {
        let q: Vec<String> = req
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
            .collect();
        url.push('?');
        url.push_str(&q.join("&"));
    }
    url
}

/// A write as a dry run's plan shows it (no credential).
pub fn planned(config: &Config, req: &ApiRequest) -> PlannedRequest {
    PlannedRequest {
        method: req.method.to_string(),
        url: url(config, req),
        body: req.body.clone(),
    }
}

/// The HTTP request for `req`. The authorization header is marked sensitive so
/// that no `Debug` of the request shows it.
pub fn build(config: &Config, req: &ApiRequest) -> Result<HttpRequest, TransportError> {
    let mut auth = HeaderValue::from_str(&authorization(config, req.system)?).map_err(|_| {
        TransportError::Other("the API key contains characters not allowed in a header".into())
    })?;
    auth.set_sensitive(true);
    let mut builder = http::Request::builder()
        .method(req.method.clone())
        .uri(url(config, req))
        .header(AUTHORIZATION, auth);
    let body = match &req.body {
        Some(b) => {
            let content_type = if req.system == System::Scim {
                "application/scim+json"
            } else {
                "application/json"
            };
            builder = builder.header(CONTENT_TYPE, content_type);
            serde_json::to_vec(b).map_err(|e| TransportError::Other(e.to_string()))?
        }
        None => Vec::new(),
    };
    builder
        .body(body)
        .map_err(|e| TransportError::Other(format!("bad request: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_table() {
        #[rustfmt::skip]
        let cases: [(&str, Option<&str>, &str); 17] = [
            ("plain", Some("abc-123"), "abc-123"),
            ("unreserved marks", Some("a.b_c~d:e"), "a.b_c~d:e"),
            ("a pipe is escaped", Some("a%7Cb"), "a|b"),
            ("a space is escaped", Some("a%20b"), "a b"),
            ("a percent is escaped, so it cannot forge an escape", Some("a%252E"), "a%2E"),
            ("a question mark cannot start a query", Some("a%3Fx%3D1"), "a?x=1"),
            ("a hash cannot start a fragment", Some("a%23b"), "a#b"),
            ("non-ASCII is UTF-8 escaped", Some("%C3%A9"), "\u{e9}"),
            ("dots inside an id are fine", Some("..a"), "..a"),
            ("empty", None, ""),
            ("dot", None, "."),
            ("dot dot", None, ".."),
            ("slash", None, "a/b"),
            ("leading slash", None, "/etc"),
            ("backslash", None, "..\\x"),
            ("newline", None, "a\nb"),
            ("NUL", None, "a\u{0}b"),
        ];
        for (name, want, id) in cases {
            let got = segment("SCIM user id", id);
            match (&got, want) {
                (Ok(s), Some(w)) => assert_eq!(s, w, "{name}"),
                (Err(e), None) => {
                    assert_eq!(e.code, ErrorCode::UnexpectedResponse, "{name}");
                    assert_eq!(e.attempts, 0, "{name}");
                    assert!(e.message.contains("SCIM user id"), "{name}: {}", e.message);
                }
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn query_values_are_escaped_not_refused() {
        assert_eq!(escape("userName eq \"a/b\""), "userName%20eq%20%22a%2Fb%22");
        assert_eq!(escape(".."), "..");
    }
}
