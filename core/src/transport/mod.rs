//! Sending one API request the way every request is sent, in three pieces:
//! [`request::build`] turns an [`ApiRequest`] into an HTTP request (base URL,
//! credential, body), a recorder keeps the tally and the dry-run plan, and
//! [`give_up`] decides — purely — what a request comes to when the retry
//! policy stops. [`Transport`] only runs the loop: deadline, in-flight bound,
//! the process's [`RateLimiter`], timeout, retry waits.

pub mod body;
pub mod give_up;
mod in_flight;
pub mod listing;
pub mod rate_limit;
mod recorder;
pub mod request;
pub mod response;

use std::sync::{Arc, Mutex};

use futures::future::{select, Either};

use crate::clock::{Clock, Sleep};
use crate::config::Config;
use crate::engine::RunOptions;
use crate::http::{HttpClient, HttpResponse, TransportError};
use crate::report::PlannedRequest;
use crate::retry::{millis, Decision, GiveUp, Jitter};

use in_flight::InFlight;
use recorder::Recorder;

pub use listing::ListingCap;
pub use rate_limit::RateLimiter;
pub use request::{segment, ApiRequest, Kind};
pub use response::{expect_json, ApiError, ApiResponse, Sent};

/// What the host injects: how to reach the network, how to wait, what time it is.
#[derive(Clone)]
pub struct Host {
    /// The HTTP client.
    pub http: Arc<dyn HttpClient>,
    /// The sleeper (retry waits, request timeouts, polling).
    pub sleep: Arc<dyn Sleep>,
    /// The clock (deadlines, timestamps).
    pub clock: Arc<dyn Clock>,
}

/// Sends requests for one call of the engine. Cheap to create per call.
pub struct Transport {
    host: Host,
    config: Arc<Config>,
    options: RunOptions,
    recorder: Recorder,
    in_flight: InFlight,
    limiter: Arc<RateLimiter>,
    jitter: Mutex<Jitter>,
    listing_cap: ListingCap,
}

impl Transport {
    /// A transport for one call. `options.deadline_ms` (epoch ms) bounds
    /// retries and waits; `options.dry_run` is the call's final say on
    /// whether writes are sent.
    pub fn new(host: Host, config: Arc<Config>, options: RunOptions) -> Self {
        let seed = host.clock.now_ms() ^ 0xA5A5_5A5A_DEAD_BEEF;
        Transport {
            in_flight: InFlight::new(config.limits().concurrency()),
            limiter: Arc::new(RateLimiter::new(config.limits().max_rps())),
            host,
            config,
            options,
            recorder: Recorder::default(),
            jitter: Mutex::new(Jitter::new(seed)),
            listing_cap: ListingCap::default(),
        }
    }

    /// The same transport pacing through `limiter`, shared with other calls
    /// (the engine passes its own, so all its calls share one). Without
    /// this, a transport has a limiter of its own.
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// The same transport with another bound on listings (tests set a small one).
    pub fn with_listing_cap(mut self, cap: ListingCap) -> Self {
        self.listing_cap = cap;
        self
    }

    /// How far one listing may go.
    pub fn listing_cap(&self) -> ListingCap {
        self.listing_cap
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The clock.
    pub fn now_ms(&self) -> u64 {
        self.host.clock.now_ms()
    }

    /// True in a dry run.
    pub fn dry_run(&self) -> bool {
        self.options.dry_run
    }

    /// Waits `wait` unless that would reach the call's deadline; `false` when
    /// it would (nothing was waited).
    pub async fn pause(&self, wait: std::time::Duration) -> bool {
        if let Some(deadline) = self.options.deadline_ms {
            if self.now_ms().saturating_add(millis(wait)) >= deadline {
                return false;
            }
        }
        self.host.sleep.sleep(wait).await;
        true
    }

    /// Requests sent and retries so far.
    pub fn counts(&self) -> (u32, u32) {
        self.recorder.counts()
    }

    /// The writes recorded in a dry run.
    pub fn take_plan(&self) -> Vec<PlannedRequest> {
        self.recorder.take_plan()
    }

    /// The full URL of a request.
    pub fn url(&self, req: &ApiRequest) -> String {
        request::url(&self.config, req)
    }

    /// Sends a read; retries as the policy says. Any status is returned.
    pub async fn read(&self, req: ApiRequest) -> Result<ApiResponse, ApiError> {
        debug_assert_eq!(req.kind, Kind::Read);
        self.send(&req).await
    }

    /// Sends a write, or records it in a dry run.
    pub async fn write(&self, req: ApiRequest) -> Result<Sent, ApiError> {
        if self.options.dry_run {
            self.recorder.plan(request::planned(&self.config, &req));
            return Ok(Sent::Planned);
        }
        self.send(&req).await.map(Sent::Response)
    }

    /// The retry loop: send, ask the policy, wait or settle.
    async fn send(&self, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let mut attempt = 0u32;
        loop {
            if self.options.deadline_ms.is_some_and(|d| self.now_ms() >= d) {
                return Err(give_up::out_of_time(attempt));
            }
            let slot = self.in_flight.enter().await;
            if !self.pace().await {
                return Err(give_up::out_of_time(attempt));
            }
            attempt += 1;
            self.recorder.sent(attempt);
            let result = self.attempt(req).await;
            // The place is freed before any retry wait, which needs none.
            drop(slot);
            if let Ok(resp) = &result {
                let now = self.now_ms();
                self.limiter
                    .observe(now, resp.status().as_u16(), resp.headers());
            }
            let signal = give_up::signal(&result);
            let decision = if give_up::may_retry(req.kind, signal) && !give_up::is_final(&result) {
                let draw = self.jitter.lock().expect("jitter lock").next_unit();
                let deadline = self.options.deadline_ms;
                self.config
                    .limits()
                    .retry()
                    .decide(attempt, signal, self.now_ms(), deadline, draw)
            } else {
                Decision::Stop(GiveUp::NotRetryable)
            };
            match decision {
                Decision::RetryAfter(wait) => self.host.sleep.sleep(wait).await,
                Decision::Stop(why) => return give_up::settle(req.kind, why, attempt, result),
            }
        }
    }

    /// Waits for the rate limiter's place, with a place in flight already
    /// held so the request goes the moment its place comes; `false` when that
    /// wait would reach the call's deadline.
    async fn pace(&self) -> bool {
        let wait = self.limiter.reserve(self.now_ms());
        wait.is_zero() || self.pause(wait).await
    }

    /// One exchange, within the request timeout.
    async fn attempt(&self, req: &ApiRequest) -> Result<HttpResponse, TransportError> {
        let request = request::build(&self.config, req)?;
        let timeout = self.config.limits().request_timeout();
        let call = self.host.http.execute(request);
        let timer = self.host.sleep.sleep(timeout);
        match select(call, timer).await {
            // Checked again here for host clients that do not cap the body themselves.
            Either::Left((Ok(resp), _)) => {
                body::check_length(Some(resp.body().len() as u64)).map(|()| resp)
            }
            Either::Left((Err(e), _)) => Err(e),
            Either::Right(_) => Err(TransportError::Timeout(millis(timeout))),
        }
    }
}
