//! Hardening, over real HTTP: a redirect is never followed (and the token never
//! reaches its target), an id Atlassian hands back that would leave its path
//! segment is never sent, a body over 16 MiB is refused without a retry, and a
//! listing past its cap is an error rather than a shortened answer.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use atlassian_emulator::Seed;
use atlassian_lcm::admin::Admin;
use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::config::{Key, RawValue, Source};
use atlassian_lcm::http::{HttpClient, TransportError};
use atlassian_lcm::native::{ReqwestClient, TokioSleep};
use atlassian_lcm::report::ErrorCode;
use atlassian_lcm::scim::Scim;
use atlassian_lcm::transport::{ApiError, Host, ListingCap, Transport};
use atlassian_lcm::{Config, RawConfig, RunOptions};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::*;

/// What a bare local server saw.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    authorization: AtomicBool,
}

/// Reads one request head (up to the blank line), lower-cased.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).to_lowercase()
}

/// A server answering every request with `answer(port)`'s bytes (then
/// `then`, if any, written until the client hangs up), recording what it saw.
async fn serve<F>(answer: F, then: Option<Vec<u8>>) -> (u16, Arc<Seen>)
where
    F: Fn() -> Vec<u8> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            record.connections.fetch_add(1, Ordering::SeqCst);
            let head = read_head(&mut stream).await;
            if head.contains("\r\nauthorization:") {
                record.authorization.store(true, Ordering::SeqCst);
            }
            let answer = answer();
            let then = then.clone();
            tokio::spawn(async move {
                if stream.write_all(&answer).await.is_err() {
                    return;
                }
                if let Some(chunk) = then {
                    while stream.write_all(&chunk).await.is_ok() {}
                }
            });
        }
    });
    (port, seen)
}

/// A config whose three APIs all live at `base`.
fn config_at(base: &str) -> Config {
    let mut raw = RawConfig::default();
    let mut set = |k: Key, v: &str| raw.set(k, RawValue::Text(v.into()), Source::Host);
    set(Key::ScimUrl, &format!("{base}/scim/directory/d1"));
    set(Key::ScimToken, "scim-token-secret");
    set(Key::AdminApiKey, "admin-key-secret");
    set(Key::OrganizationId, "org-1");
    set(Key::AdminBaseUrl, &format!("{base}/admin"));
    set(Key::ApiBaseUrl, base);
    set(Key::AllowCustomEndpoints, "true");
    Config::from_raw(&raw).expect("valid config")
}

fn transport(config: Config, http: Arc<dyn HttpClient>) -> Transport {
    let host = Host {
        http,
        sleep: Arc::new(TokioSleep),
        clock: Arc::new(SystemClock),
    };
    Transport::new(host, Arc::new(config), RunOptions::default())
}

fn reqwest() -> Arc<dyn HttpClient> {
    Arc::new(ReqwestClient::new().unwrap())
}

/// Every SCIM user, through `t`.
async fn list_users(t: &Transport) -> Result<Vec<Value>, ApiError> {
    Scim::new(t).list_all("Users", None).await
}

/// A listing refused for its body size, after one request.
fn assert_refused_at_the_cap(result: Result<Vec<Value>, ApiError>) {
    let err = result.unwrap_err();
    assert_eq!(err.code, ErrorCode::UnexpectedResponse, "{err:?}");
    assert!(err.message.contains("16 MiB cap"), "{}", err.message);
    assert_eq!(err.attempts, 1, "retried: {err:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_the_token_stays_home() {
    let (target, at_target) = serve(
        || {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec()
        },
        None,
    )
    .await;
    let location = format!("http://127.0.0.1:{target}/scim/directory/d1/Users");
    let (origin, at_origin) = serve(
        move || {
            format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n")
                .into_bytes()
        },
        None,
    )
    .await;
    let lcm = engine(config_at(&format!("http://127.0.0.1:{origin}")));
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["confluence-users"]})),
    );
    let report = run(&lcm, &ev).await;

    assert!(
        at_origin.connections.load(Ordering::SeqCst) > 0,
        "the origin was asked"
    );
    assert!(
        at_origin.authorization.load(Ordering::SeqCst),
        "the origin got the token"
    );
    assert_eq!(
        at_target.connections.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );
    assert!(
        !at_target.authorization.load(Ordering::SeqCst),
        "the token reached the target"
    );
    assert!(!report.outcome.is_success(), "{report:#?}");
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("redirects are not followed"), "{json}");
    assert!(!json.contains("secret"), "{json}");
}

/// Forwards to the emulator, but hands back `..` as every SCIM user's id.
fn tampering_proxy(sent: Arc<Mutex<Vec<String>>>) -> Arc<dyn HttpClient> {
    let inner = reqwest();
    atlassian_lcm::testing::client(move |req| {
        let inner = inner.clone();
        let sent = sent.clone();
        async move {
            sent.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri()));
            let listing = req.method() == http::Method::GET && req.uri().path().ends_with("/Users");
            let resp = inner.execute(req).await?;
            if !listing {
                return Ok(resp);
            }
            let (mut parts, body) = resp.into_parts();
            let mut page: Value =
                serde_json::from_slice(&body).map_err(|e| TransportError::Other(e.to_string()))?;
            for user in page["Resources"].as_array_mut().into_iter().flatten() {
                user["id"] = json!("..");
            }
            parts.headers.remove(http::header::CONTENT_LENGTH);
            Ok(http::Response::from_parts(
                parts,
                page.to_string().into_bytes(),
            ))
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_that_would_leave_its_segment_is_never_sent() {
    let emu = atlassian_emulator::Emulator::start(Seed::demo())
        .await
        .unwrap();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let lcm = engine_with(config(&emu, &[]), tampering_proxy(sent.clone()));
    let ev = event(
        "leaver",
        json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"}),
        None,
    );
    let report = run(&lcm, &ev).await;

    let sent = sent.lock().unwrap().clone();
    assert!(!sent.is_empty());
    for line in &sent {
        let path = line.split('?').next().unwrap();
        assert!(
            !path
                .split('/')
                .any(|s| s == ".." || s.eq_ignore_ascii_case("%2e%2e")),
            "sent {line}"
        );
    }
    // The user's own record was never written to, under any path.
    let user_writes: Vec<_> = writes(&emu)
        .into_iter()
        .filter(|w| w.path.contains("/Users"))
        .collect();
    assert!(user_writes.is_empty(), "{user_writes:?}");
    assert!(!report.outcome.is_success(), "{report:#?}");
    let refused = report
        .steps
        .iter()
        .filter_map(|s| s.error.as_ref())
        .find(|e| e.message.contains("SCIM user id"))
        .unwrap_or_else(|| panic!("no step names the SCIM user id: {report:#?}"));
    assert_eq!(refused.code, ErrorCode::UnexpectedResponse);
    assert!(
        refused.message.contains("no request was sent"),
        "{}",
        refused.message
    );
}

const CAP: usize = 16 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let (port, seen) = serve(
        move || format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{{", CAP + 1).into_bytes(),
        None,
    )
    .await;
    let t = transport(config_at(&format!("http://127.0.0.1:{port}")), reqwest());
    assert_refused_at_the_cap(list_users(&t).await);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_body_is_cut_at_the_cap_and_not_retried() {
    // Chunked, no length: the client only learns the size by reading.
    let chunk = {
        let data = vec![b' '; 1 << 20];
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(&data);
        c.extend_from_slice(b"\r\n");
        c
    };
    let (port, seen) = serve(
        || b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(),
        Some(chunk),
    )
    .await;
    let t = transport(config_at(&format!("http://127.0.0.1:{port}")), reqwest());
    // Bounded here, so a client reading without a cap fails rather than hangs.
    let listing = tokio::time::timeout(std::time::Duration::from_secs(20), list_users(&t));
    assert_refused_at_the_cap(listing.await.expect("the body was not cut at the cap"));
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_host_client_that_does_not_cap_is_capped_by_the_transport() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let huge = atlassian_lcm::testing::client(move |_req| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(http::Response::builder()
                .status(200)
                .body(vec![b' '; CAP + 1])
                .unwrap())
        }
    });
    let t = transport(config_at("http://127.0.0.1:9"), huge);
    assert_refused_at_the_cap(list_users(&t).await);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "retried");
}

fn capped(emu: &atlassian_emulator::Emulator, max_pages: u32, max_items: usize) -> Transport {
    let cap = ListingCap {
        max_pages,
        max_items,
    };
    transport(config(emu, &[]), reqwest()).with_listing_cap(cap)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scim_listing_past_its_cap_is_an_error() {
    let emu = atlassian_emulator::Emulator::start(Seed::default().with_bulk_users(150))
        .await
        .unwrap();
    let err = list_users(&capped(&emu, 100, 120)).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UnexpectedResponse);
    assert!(
        err.message.contains("more than 120 items"),
        "{}",
        err.message
    );
    assert!(err.message.contains("SCIM /Users"), "{}", err.message);

    let err = list_users(&capped(&emu, 1, 1_000)).await.unwrap_err();
    assert!(err.message.contains("more than 1 pages"), "{}", err.message);

    // At the cap exactly, the listing is whole and comes back.
    let all = list_users(&capped(&emu, 2, 150)).await.unwrap();
    assert_eq!(all.len(), 150);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_listing_past_its_cap_is_an_error() {
    let emu = atlassian_emulator::Emulator::start(Seed::demo())
        .await
        .unwrap();
    let names: Vec<String> = ["jira-software-users", "confluence-users", "engineering"]
        .map(String::from)
        .into();
    let t = capped(&emu, 10, 2);
    let err = Admin::new(&t).search_groups(&names).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::UnexpectedResponse);
    assert!(err.message.contains("more than 2 items"), "{}", err.message);
    assert!(err.message.contains("groups/search"), "{}", err.message);

    let t = capped(&emu, 10, 3);
    let found = Admin::new(&t).search_groups(&names).await.unwrap();
    assert_eq!(found.len(), 3);
}
