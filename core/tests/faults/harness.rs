//! The campaign's engine: fake time that is instant but observed, and an HTTP
//! client around reqwest that turns chosen requests into timeouts and checks
//! that every request refused with an advertised wait was sent again only
//! after that wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlassian_lcm::clock::{Clock, Sleep};
use atlassian_lcm::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use atlassian_lcm::native::ReqwestClient;
use atlassian_lcm::platform::BoxFuture;
use atlassian_lcm::retry::{parse_rate_limit_reset, parse_retry_after};
use atlassian_lcm::testing::FakeClock;

use super::schedule::Rng;

/// A sleeper on the fake clock: waits complete at once (moving the clock),
/// except the request timeout, which never fires (real requests are in
/// flight), and, where accounts show late, a real pause of a fiftieth of the
/// wait so that the emulator's real-time visibility delay can pass.
pub struct CampaignSleep {
    pub clock: Arc<FakeClock>,
    pub hold_from: Duration,
    pub real_share: bool,
}

impl Sleep for CampaignSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        if duration >= self.hold_from {
            return Box::pin(futures::future::pending());
        }
        self.clock.advance(duration);
        let real = (duration / 50).min(Duration::from_millis(10));
        if self.real_share && !real.is_zero() {
            return Box::pin(tokio::time::sleep(real));
        }
        Box::pin(futures::future::ready(()))
    }
}

/// How often a request is answered by a timeout the client reports: before
/// it reached the emulator, or after (the change was made, the answer lost).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeouts {
    pub before: f64,
    pub after: f64,
}

/// What the client saw: requests that came back too early after a 429/503
/// with an advertised wait, and how many advertised waits were honoured.
#[derive(Debug, Default)]
pub struct Observed {
    /// Key → fake time before which it must not be sent again.
    not_before: HashMap<String, u64>,
    /// Descriptions of early retries.
    pub early: Vec<String>,
    /// Advertised waits that a retry respected.
    pub honoured: u32,
    /// Timeouts injected.
    pub timeouts: u32,
}

impl Observed {
    /// Forgets pending waits: a new run may send what an earlier run gave up on.
    pub fn new_run(&mut self) {
        self.not_before.clear();
    }
}

/// The wrapping client.
pub struct FaultyClient {
    inner: Arc<ReqwestClient>,
    clock: Arc<FakeClock>,
    timeouts: Timeouts,
    rng: Mutex<Rng>,
    pub observed: Arc<Mutex<Observed>>,
}

impl FaultyClient {
    pub fn new(clock: Arc<FakeClock>, timeouts: Timeouts, seed: u64) -> Self {
        FaultyClient {
            inner: Arc::new(ReqwestClient::new().expect("reqwest client")),
            clock,
            timeouts,
            rng: Mutex::new(Rng::new(seed ^ 0x0007_1570_u64)),
            observed: Arc::default(),
        }
    }
}

fn key_of(req: &HttpRequest) -> String {
    format!(
        "{} {} {}",
        req.method(),
        req.uri(),
        String::from_utf8_lossy(req.body())
    )
}

/// The wait a refusal advertises, in milliseconds from `now`.
fn advertised_wait(resp: &HttpResponse, now: u64) -> Option<u64> {
    if !matches!(resp.status().as_u16(), 429 | 503) {
        return None;
    }
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let wait = header("retry-after")
        .and_then(|v| parse_retry_after(v, now))
        .or_else(|| header("x-ratelimit-reset").and_then(|v| parse_rate_limit_reset(v, now)))?;
    Some(wait.as_millis() as u64)
}

impl HttpClient for FaultyClient {
    fn execute(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let key = key_of(&request);
            let now = self.clock.now_ms();
            {
                let mut seen = self.observed.lock().expect("observed");
                if let Some(due) = seen.not_before.remove(&key) {
                    if now < due {
                        seen.early
                            .push(format!("{key} sent at {now}, advertised wait until {due}"));
                    } else {
                        seen.honoured += 1;
                    }
                }
            }
            let roll = self.rng.lock().expect("rng").unit();
            let t = self.timeouts;
            if roll < t.before {
                self.observed.lock().expect("observed").timeouts += 1;
                return Err(TransportError::Timeout(30_000));
            }
            let resp = self.inner.execute(request).await?;
            if roll < t.before + t.after {
                self.observed.lock().expect("observed").timeouts += 1;
                return Err(TransportError::Timeout(30_000));
            }
            if let Some(wait) = advertised_wait(&resp, now) {
                let mut seen = self.observed.lock().expect("observed");
                seen.not_before.insert(key, now + wait);
            }
            Ok(resp)
        })
    }
}
