//! A local AWS Lambda Runtime API (the part a function's runtime client talks to): it hands out
//! queued events on `GET /2018-06-01/runtime/invocation/next` (long-polling while there are none),
//! collects `POST .../invocation/{id}/response` and `/error`, and notes when the first `next`
//! arrived, which is when the function finished its init.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// What the function has done so far.
#[derive(Default)]
struct Shared {
    first_next: Option<Instant>,
    queue: VecDeque<Value>,
    /// `(kind, body)`: kind is `response` or `error`.
    answers: Vec<(String, Value)>,
    handed_out: u64,
}

/// A running Runtime API; dropping it stops accepting.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RuntimeApi {
    /// Starts one on a free loopback port.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let changed = Arc::new(Notify::new());
        let (s, c) = (shared.clone(), changed.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (s, c) = (s.clone(), c.clone());
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| serve(req, s.clone(), c.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(RuntimeApi {
            addr,
            shared,
            changed,
            task,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues events for the function.
    pub fn push(&self, events: impl IntoIterator<Item = Value>) {
        self.shared.lock().unwrap().queue.extend(events);
        self.changed.notify_waiters();
    }

    /// When the first `next` arrived, waiting for it up to `timeout`.
    pub async fn first_next(&self, timeout: std::time::Duration) -> Option<Instant> {
        self.wait_for(timeout, |s| s.first_next).await
    }

    /// The answers once there are `n`, waiting up to `timeout`.
    pub async fn answers(
        &self,
        n: usize,
        timeout: std::time::Duration,
    ) -> Option<Vec<(String, Value)>> {
        self.wait_for(timeout, |s| {
            (s.answers.len() >= n).then(|| s.answers.clone())
        })
        .await
    }

    async fn wait_for<T>(
        &self,
        timeout: std::time::Duration,
        done: impl Fn(&Shared) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            if let Some(value) = done(&self.shared.lock().unwrap()) {
                return Some(value);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

async fn serve(
    req: Request<Incoming>,
    shared: Arc<Mutex<Shared>>,
    changed: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    if req.method() == hyper::Method::GET && path.ends_with("/runtime/invocation/next") {
        return Ok(next(&shared, &changed).await);
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let kind = path.rsplit('/').next().unwrap_or_default().to_string();
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    shared.lock().unwrap().answers.push((kind, value));
    changed.notify_waiters();
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::new()))
        .unwrap())
}

/// Hands out the next event, waiting for one if the queue is empty.
async fn next(shared: &Mutex<Shared>, changed: &Notify) -> Response<Full<Bytes>> {
    let (event, id) = loop {
        let notified = changed.notified();
        let first = {
            let mut s = shared.lock().unwrap();
            let first = s.first_next.is_none();
            s.first_next.get_or_insert_with(Instant::now);
            if let Some(event) = s.queue.pop_front() {
                s.handed_out += 1;
                break (event, s.handed_out);
            }
            first
        };
        if first {
            // Whoever waits for the end of init learns of it now; this wakes our own `notified`
            // too, which only costs one more look at the empty queue.
            changed.notify_waiters();
        }
        notified.await;
    };
    let deadline_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() + 60_000)
        .unwrap_or_default();
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", format!("bench-{id}"))
        .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
        .header(
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:bench",
        )
        .body(Full::new(Bytes::from(event.to_string())))
        .unwrap()
}
