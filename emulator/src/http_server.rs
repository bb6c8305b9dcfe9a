//! The HTTP server: an accept loop over hyper, and the pipeline every API request goes through
//! before it reaches the router (`router.rs`).
//!
//! Pipeline: CORS preflight → control API (`/__emulator`, exempt from everything below) → log entry
//! opened → fault decision (in arrival order) → latency → injected fault or dropped connection, or
//! else auth → content type → the API's router → log entry closed. axum's own `serve` cannot close
//! a connection without answering, which dropped-connection faults need, hence hyper directly.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use axum::Router;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::api_errors::{api_error, fault_response};
use crate::app_state::{lock, AppState};
use crate::faults::Verdict;
use crate::log::{Api, LoggedRequest};

/// Bodies larger than this are refused (no Atlassian call needs more).
const MAX_BODY: usize = 8 * 1024 * 1024;
/// How long a graceful shutdown waits for requests in flight.
const GRACE: Duration = Duration::from_secs(5);

/// Returned to hyper to make it close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Serves until `shutdown` turns true, then stops accepting and gives requests in flight
/// [`GRACE`] to finish.
pub(crate) async fn run(
    listener: TcpListener,
    app: Arc<AppState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let api = crate::router::api(app.clone());
    let control = crate::router::control(app.clone());
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let (app, api, control) = (app.clone(), api.clone(), control.clone());
                let service = service_fn(move |request| {
                    handle(app.clone(), api.clone(), control.clone(), request)
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                connections.spawn(async move {
                    let _ = connection.await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}

async fn handle(
    app: Arc<AppState>,
    api: Router,
    control: Router,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let cors = app.state().options.cors;
    let origin = request.headers().get(header::ORIGIN).cloned();
    if cors && request.method() == Method::OPTIONS {
        return Ok(preflight(request.headers()));
    }
    let path = request.uri().path().to_string();
    let mut response = if path.starts_with("/__emulator") {
        let request = request.map(Body::new);
        unwrap_infallible(control.oneshot(request).await)
    } else {
        handle_api(&app, api, request).await?
    };
    if cors {
        add_cors(response.headers_mut(), origin);
    }
    Ok(response)
}

async fn handle_api(
    app: &AppState,
    router: Router,
    request: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let seq = app.next_seq();
    let started_at_us = app.now_us();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let api = Api::for_path(&path);
    let mut entry = LoggedRequest {
        seq,
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        body: None,
        status: 0,
        started_at_us,
        finished_at_us: 0,
        injected_fault: false,
        api,
    };
    let trace_id = format!("{seq:016x}");

    // Decide before reading or sleeping, so the decision order is the arrival order.
    let now = app.clock.now();
    let decision = lock(&app.faults).decide(parts.method.as_str(), &path, now.instant, now.wall);

    let bytes = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let response = api_error(
                api,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large",
                trace_id,
            );
            return Ok(finish(app, entry, response));
        }
    };
    entry.body = logged_body(&bytes);

    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    let always = decision.headers;
    let finish = |entry, response| finish(app, entry, with_headers(response, &always));
    match decision.verdict {
        Verdict::Drop => {
            entry.injected_fault = true;
            entry.finished_at_us = app.now_us();
            lock(&app.log).push(entry);
            return Err(DropConnection);
        }
        Verdict::Refuse { status, headers } => {
            entry.injected_fault = true;
            let response = fault_response(api, status, &headers, trace_id);
            return Ok(finish(entry, response));
        }
        Verdict::Pass => {}
    }

    let checked = crate::auth::check(&app.state(), api, &parts.headers, trace_id.clone());
    if let Err(response) = checked {
        return Ok(finish(entry, response));
    }
    if !bytes.is_empty() && !is_json(&parts.headers) {
        let response = api_error(
            api,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send JSON bodies as application/json or application/scim+json",
            trace_id,
        );
        return Ok(finish(entry, response));
    }

    let request = Request::from_parts(parts, Body::from(bytes));
    let response = unwrap_infallible(router.oneshot(request).await);
    Ok(finish(entry, response))
}

/// Adds headers every answer to a request carries (the Organizations API's rate-limit headers),
/// keeping any the answer set itself.
fn with_headers(
    mut response: Response<Body>,
    headers: &[(&'static str, String)],
) -> Response<Body> {
    for (name, value) in headers {
        let name = header::HeaderName::from_static(name);
        if let (false, Ok(value)) = (
            response.headers().contains_key(&name),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Closes the log entry and hands the response back.
fn finish(app: &AppState, mut entry: LoggedRequest, response: Response<Body>) -> Response<Body> {
    entry.status = response.status().as_u16();
    entry.finished_at_us = app.now_us();
    lock(&app.log).push(entry);
    response
}

fn unwrap_infallible<T>(result: Result<T, Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

/// The body for the log: JSON as JSON, anything else as a string, nothing as `None`.
fn logged_body(bytes: &Bytes) -> Option<serde_json::Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(
        serde_json::from_slice(bytes).unwrap_or_else(|_| {
            serde_json::Value::String(String::from_utf8_lossy(bytes).into_owned())
        }),
    )
}

/// `application/json`, `application/scim+json` or any other `+json` type.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

fn preflight(headers: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NO_CONTENT;
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    );
    let allowed = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(
            "authorization, content-type, accept",
        ));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    add_cors(h, headers.get(header::ORIGIN).cloned());
    response
}

fn add_cors(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        origin.unwrap_or(HeaderValue::from_static("*")),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Location",
        ),
    );
}
