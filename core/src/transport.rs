//! Sending one API request the way every request is sent: the right base URL
//! and credential for its API, a timeout, the retry policy, the deadline,
//! accounting of calls and retries, and — in a dry run — writes recorded into
//! the plan instead of sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{select, Either};
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::Method;
use serde::de::DeserializeOwned;

use crate::clock::{Clock, Sleep};
use crate::config::Config;
use crate::http::{HttpClient, TransportError};
use crate::report::{ErrorCode, PlannedRequest, ReportError, System};
use crate::retry::{Attempt, Decision, GiveUp, Jitter};

/// Characters left as they are in a path segment; everything else is escaped
/// (account ids may contain `|`, which must not reach a URL raw).
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// Escapes one path segment.
pub fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
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
        }
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

#[derive(Debug, Default)]
struct Tally {
    calls: u32,
    retries: u32,
    plan: Vec<PlannedRequest>,
}

/// Sends requests for one call of the engine. Cheap to create per call.
pub struct Transport {
    http: Arc<dyn HttpClient>,
    sleep: Arc<dyn Sleep>,
    clock: Arc<dyn Clock>,
    config: Arc<Config>,
    deadline_ms: Option<u64>,
    dry_run: bool,
    tally: Mutex<Tally>,
    jitter: Mutex<Jitter>,
}

impl Transport {
    /// A transport for one call. `deadline_ms` (epoch ms) bounds retries.
    pub fn new(
        http: Arc<dyn HttpClient>,
        sleep: Arc<dyn Sleep>,
        clock: Arc<dyn Clock>,
        config: Arc<Config>,
        deadline_ms: Option<u64>,
        dry_run: bool,
    ) -> Self {
        let seed = clock.now_ms() ^ 0xA5A5_5A5A_DEAD_BEEF;
        Transport {
            http,
            sleep,
            clock,
            config,
            deadline_ms,
            dry_run,
            tally: Mutex::new(Tally::default()),
            jitter: Mutex::new(Jitter::new(seed)),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The deadline, epoch milliseconds.
    pub fn deadline_ms(&self) -> Option<u64> {
        self.deadline_ms
    }

    /// The sleeper.
    pub fn sleeper(&self) -> &dyn Sleep {
        self.sleep.as_ref()
    }

    /// True in a dry run.
    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Requests sent and retries so far.
    pub fn counts(&self) -> (u32, u32) {
        let t = self.tally.lock().expect("tally lock");
        (t.calls, t.retries)
    }

    /// The writes recorded in a dry run.
    pub fn take_plan(&self) -> Vec<PlannedRequest> {
        std::mem::take(&mut self.tally.lock().expect("tally lock").plan)
    }

    /// The full URL of a request.
    pub fn url(&self, req: &ApiRequest) -> String {
        let base = match req.system {
            System::Scim => self.config.credentials().scim_url(),
            System::Admin => self.config.endpoints().admin_base_url(),
            System::UserManagement => self.config.endpoints().api_base_url(),
        };
        let mut url = format!("{base}{}", req.path);
        if !req.query.is_empty() {
            url.push('?');
            let q: Vec<String> = req
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", segment(k), segment(v)))
                .collect();
            url.push_str(&q.join("&"));
        }
        url
    }

    /// Sends a read; retries as the policy says. Any status is returned.
    pub async fn read(&self, req: ApiRequest) -> Result<ApiResponse, ApiError> {
        debug_assert_eq!(req.kind, Kind::Read);
        self.send(&req).await
    }

    /// Sends a write, or records it in a dry run.
    pub async fn write(&self, req: ApiRequest) -> Result<Sent, ApiError> {
        if self.dry_run {
            let planned = PlannedRequest {
                method: req.method.to_string(),
                url: self.url(&req),
                body: req.body.clone(),
            };
            self.tally.lock().expect("tally lock").plan.push(planned);
            return Ok(Sent::Planned);
        }
        self.send(&req).await.map(Sent::Response)
    }

    async fn send(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let policy = self.config.limits().retry();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(deadline) = self.deadline_ms {
                if self.clock.now_ms() >= deadline {
                    return Err(ApiError {
                        code: ErrorCode::DeadlineExceeded,
                        status: None,
                        message: "the time budget ran out before the request could be sent".into(),
                        attempts: attempt - 1,
                    });
                }
            }
            {
                let mut t = self.tally.lock().expect("tally lock");
                t.calls += 1;
                if attempt > 1 {
                    t.retries += 1;
                }
            }
            let result = self.once(req).await;
            let (outcome, retry_after, reset) = match &result {
                Ok(resp) => (
                    Some(resp.status().as_u16()),
                    header(resp, "retry-after"),
                    header(resp, "x-ratelimit-reset"),
                ),
                Err(_) => (None, None, None),
            };
            // A create is repeated only when the server certainly refused it.
            let may_retry = match (req.kind, outcome) {
                (Kind::Create, Some(429 | 503)) => true,
                (Kind::Create, _) => false,
                _ => true,
            };
            let signal = match outcome {
                Some(status) => Attempt::Response {
                    status,
                    retry_after: retry_after.as_deref(),
                    rate_limit_reset: reset.as_deref(),
                },
                None => Attempt::Transport,
            };
            let decision = if may_retry {
                let draw = self.jitter.lock().expect("jitter lock").next_unit();
                policy.decide(attempt, signal, self.clock.now_ms(), self.deadline_ms, draw)
            } else {
                Decision::Stop(GiveUp::NotRetryable)
            };
            match (decision, result) {
                (Decision::RetryAfter(wait), _) => self.sleep.sleep(wait).await,
                (Decision::Stop(why), Ok(resp)) => {
                    let status = resp.status().as_u16();
                    if why == GiveUp::Deadline && crate::retry::RETRYABLE_STATUSES.contains(&status)
                    {
                        return Err(ApiError {
                            code: ErrorCode::DeadlineExceeded,
                            status: Some(status),
                            message: format!(
                                "HTTP {status} and no time left to retry within the deadline"
                            ),
                            attempts: attempt,
                        });
                    }
                    if req.kind == Kind::Create && matches!(status, 500 | 502 | 504) {
                        // The server may have created the object before failing.
                        return Err(ApiError {
                            code: ErrorCode::OutcomeUnknown,
                            status: Some(status),
                            message: format!(
                                "HTTP {status}: the create may or may not have reached Atlassian"
                            ),
                            attempts: attempt,
                        });
                    }
                    let (_, body) = resp.into_parts();
                    return Ok(ApiResponse {
                        status,
                        body,
                        attempts: attempt,
                    });
                }
                (Decision::Stop(why), Err(e)) => {
                    let (code, prefix) = match (req.kind, why) {
                        (Kind::Create, _) => (
                            ErrorCode::OutcomeUnknown,
                            "the create may or may not have reached Atlassian",
                        ),
                        (_, GiveUp::Deadline) => (
                            ErrorCode::DeadlineExceeded,
                            "no time left to retry within the deadline",
                        ),
                        _ => (ErrorCode::Transport, "no response from Atlassian"),
                    };
                    return Err(ApiError {
                        code,
                        status: None,
                        message: format!("{prefix}: {e}"),
                        attempts: attempt,
                    });
                }
            }
        }
    }

    async fn once(&self, req: &ApiRequest) -> Result<http::Response<Vec<u8>>, TransportError> {
        let token = match req.system {
            System::Scim => self.config.credentials().scim_token(),
            System::Admin | System::UserManagement => self.config.credentials().admin_api_key(),
        };
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(self.url(req));
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                TransportError::Other(
                    "the API key contains characters not allowed in a header".into(),
                )
            })?;
        auth.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, auth);
        let body = match &req.body {
            Some(b) => {
                let ct = if req.system == System::Scim {
                    "application/scim+json"
                } else {
                    "application/json"
                };
                builder = builder.header(CONTENT_TYPE, ct);
                serde_json::to_vec(b).map_err(|e| TransportError::Other(e.to_string()))?
            }
            None => Vec::new(),
        };
        let request = builder
            .body(body)
            .map_err(|e| TransportError::Other(format!("bad request: {e}")))?;
        let timeout = self.config.limits().request_timeout();
        let call = self.http.execute(request);
        let timer = self.sleep.sleep(timeout);
        match select(call, timer).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(TransportError::Timeout(duration_ms(timeout))),
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn header(resp: &http::Response<Vec<u8>>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads a successful response as `T`, or turns a failure into an error.
pub fn expect_json<T: DeserializeOwned>(resp: &ApiResponse, system: System) -> Result<T, ApiError> {
    if resp.is_success() {
        resp.json()
    } else {
        Err(resp.error(system))
    }
}
