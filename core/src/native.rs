//! Native host pieces behind the `reqwest` feature: an [`HttpClient`] over
//! reqwest (rustls, no redirects, a connect timeout, the body read in chunks up
//! to [`body::MAX_BODY_BYTES`]) and a [`Sleep`] over tokio.
//! The per-request timeout is the engine's own (see `transport`), so every host
//! gets the same one.

use std::time::Duration;

use crate::clock::Sleep;
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::platform::BoxFuture;
use crate::transport::body::{self, CappedBody};

/// reqwest-backed client. Cheap to clone; build once per process and share.
#[derive(Clone, Debug)]
pub struct ReqwestClient {
    inner: reqwest::Client,
}

impl ReqwestClient {
    /// A client that never follows redirects and gives up connecting after 10 s.
    pub fn new() -> Result<Self, TransportError> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(50))
            .user_agent(concat!("atlassian-lcm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestClient { inner })
    }
}

impl HttpClient for ReqwestClient {
    fn execute(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let req = self
                .inner
                .request(parts.method, &url)
                .headers(parts.headers)
                .body(body);
            let mut resp = req.send().await.map_err(|e| classify(&e))?;
            body::check_length(resp.content_length())?;
            let mut builder = http::Response::builder().status(resp.status());
            for (name, value) in resp.headers() {
                builder = builder.header(name, value);
            }
            let mut bytes = CappedBody::default();
            while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
                bytes.push(&chunk)?;
            }
            builder
                .body(bytes.into_bytes())
                .map_err(|e| TransportError::Other(e.to_string()))
        })
    }
}

/// reqwest errors never carry headers; the URL is dropped too, since the
/// engine reports which request failed in its own words.
fn classify(e: &reqwest::Error) -> TransportError {
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(url.as_str(), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    if e.is_timeout() {
        TransportError::Timeout(10_000)
    } else if e.is_connect() || e.is_request() || e.is_body() {
        TransportError::Connection(message)
    } else {
        TransportError::Other(message)
    }
}

/// tokio-backed sleeper.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
