//! The one rate limiter of a process: every request of every concurrent call
//! of an engine asks it for a time to go, so a batch paces itself as a whole
//! instead of each call bouncing off Atlassian's limit on its own.
//!
//! What it paces to, most trusted first:
//! - the server's own budget: the Organizations API sends `X-RateLimit-Limit`,
//!   `-Remaining` and `-Reset` (an ISO time) on its responses (reference
//!   B.4 and G.1, "rate limits" narrative of the Organizations API). The
//!   remaining requests are spread over the time to the reset, half of them
//!   allowed at once so a single person's writes still go out together;
//! - without that budget, a rate learned from 429s: additive increase,
//!   multiplicative decrease, so it settles just under the server's rate
//!   rather than hitting it and waiting a whole `Retry-After` (SCIM and user
//!   management publish neither headers nor numbers: reference A.4, C.3, D);
//! - never faster than `LCM_MAX_RPS`, when set, whatever the above say.
//!
//! Before anything is known there is no pacing at all: a lone event is never
//! slowed by a limit nobody has met.
//!
//! One bucket, not one per API: nothing published says SCIM and the
//! Organizations API have separate budgets (reference G.1 gives no numbers
//! for either), so the safe reading is that they share one, and an Admin
//! budget or a SCIM 429 paces every request. If they are in fact separate,
//! this only errs on the slow side.
//!
//! The limiter is a pure state machine over epoch milliseconds (the injected
//! clock's), so it runs on wasm32 and is tested with simulated time; the
//! transport does the waiting.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;

use crate::retry::parse_rate_limit_reset;

/// A 429 multiplies the learned rate by this.
const DECREASE: f64 = 0.7;
/// Requests per second gained per second of successes while below 90 % of
/// the rate that last drew a 429: recovery from a decrease takes about a second.
const FAST_GAIN: f64 = 20.0;
/// Requests per second gained per second of successes near or above it:
/// probing for more is slow, so the sawtooth stays close under the limit.
const SLOW_GAIN: f64 = 1.0;
/// The learned rate never drops below this (requests per second).
const MIN_RATE: f64 = 0.5;
/// Nor rises above this.
const MAX_RATE: f64 = 10_000.0;
/// Several requests in flight meet the same exhausted window; one decrease
/// per this long answers them all.
const CALM_MS: u64 = 1_000;
/// Answers about the same window name its reset within this much of each other.
const SAME_RESET_MS: f64 = 50.0;

/// What the server said about the current window.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// `X-RateLimit-Limit`, when sent: what a fresh window holds.
    limit: Option<u32>,
    /// Requests left before the reset, counting those reserved since.
    remaining: u32,
    /// When the window resets (epoch ms).
    reset_ms: f64,
    /// The longest time to a reset seen, rounded up to whole seconds: an
    /// estimate of the window's length (answers arrive after the window
    /// started, so what they see is short of it).
    window_ms: f64,
    /// `false` for a window assumed after the last one ended, before any
    /// answer about it: the estimate may end it early, so it allows no burst.
    confirmed: bool,
}

impl Budget {
    /// The next window, assumed like this one, once this one is over. Only
    /// after a spent one: a window that ended with requests to spare says
    /// nothing is pressing, and the next answer tells the new budget.
    fn next(self) -> Option<Budget> {
        let limit = self.limit.filter(|_| self.remaining == 0)?;
        (self.window_ms >= 1.0).then_some(Budget {
            remaining: limit,
            reset_ms: self.reset_ms + self.window_ms,
            confirmed: false,
            ..self
        })
    }
}

#[derive(Debug)]
struct Pace {
    /// `LCM_MAX_RPS`.
    cap: Option<f64>,
    /// `false` for [`RateLimiter::unpaced`].
    paced: bool,
    /// The rate learned from 429s; `None` until the first.
    learned: Option<f64>,
    /// The rate that last drew a 429.
    ceiling: f64,
    /// When the next request may go by the server budget or learned rate.
    next_ms: f64,
    /// When the next request may go by the cap.
    next_cap_ms: f64,
    budget: Option<Budget>,
    /// No further decrease before this.
    calm_until_ms: u64,
    /// Times of the requests let through in the last second.
    recent: VecDeque<f64>,
    figures: Figures,
}

/// What the limiter has done so far, for benchmarks and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// Requests that were made to wait.
    pub waits: u64,
    /// Their waits, summed, in milliseconds.
    pub waited_ms: u64,
    /// 429 answers seen.
    pub throttled: u64,
    /// The learned rate (requests per second), once a 429 has taught one.
    pub learned_rps: Option<f64>,
}

/// One limiter, shared (in an `Arc`) by every call of an engine and its clones.
#[derive(Debug)]
pub struct RateLimiter(Mutex<Pace>);

impl RateLimiter {
    /// A limiter that never lets more than `max_rps` requests go in any second
    /// (`LCM_MAX_RPS`; `None` for no cap of its own).
    pub fn new(max_rps: Option<u32>) -> Self {
        Self::build(max_rps, true)
    }

    /// A limiter that never waits: what a client without one does. For
    /// comparisons and benchmarks.
    pub fn unpaced() -> Self {
        Self::build(None, false)
    }

    fn build(max_rps: Option<u32>, paced: bool) -> Self {
        RateLimiter(Mutex::new(Pace {
            cap: max_rps.filter(|&n| n > 0).map(f64::from),
            paced,
            learned: None,
            ceiling: 0.0,
            next_ms: 0.0,
            next_cap_ms: 0.0,
            budget: None,
            calm_until_ms: 0,
            recent: VecDeque::new(),
            figures: Figures::default(),
        }))
    }

    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.0.lock().expect("rate limiter lock")
    }

    /// Reserves the next place for a request about to be sent at `now_ms`
    /// (epoch ms) and says how long to wait for it. Waits are whole
    /// milliseconds, rounded up, so a request never goes before its place.
    pub fn reserve(&self, now_ms: u64) -> Duration {
        let mut pace = self.pace();
        if !pace.paced {
            return Duration::ZERO;
        }
        let now = now_ms as f64;
        let at = pace.place(now);
        pace.recent.push_back(at);
        let wait = Duration::from_millis((at - now).max(0.0).ceil() as u64);
        if !wait.is_zero() {
            pace.figures.waits += 1;
            pace.figures.waited_ms += crate::retry::millis(wait);
        }
        wait
    }

    /// Learns from an answer that arrived at `now_ms`: the server's budget
    /// from its headers, a decrease from a 429, an increase from anything else.
    pub fn observe(&self, now_ms: u64, status: u16, headers: &HeaderMap) {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok());
        let reset = header("x-ratelimit-reset").and_then(|v| parse_rate_limit_reset(v, now_ms));
        let limit = header("x-ratelimit-limit").and_then(|v| v.trim().parse().ok());
        let mut pace = self.pace();
        let now = now_ms as f64;
        if let (Some(remaining), Some(reset)) = (remaining, reset) {
            pace.note_budget(now, limit, remaining, now + reset.as_millis() as f64);
        }
        if status == 429 {
            pace.figures.throttled += 1;
            pace.back_off(now_ms);
        } else {
            pace.gain();
        }
        pace.figures.learned_rps = pace.learned;
    }

    /// What the limiter has done so far.
    pub fn figures(&self) -> Figures {
        self.pace().figures
    }
}

impl Pace {
    /// The time the next request may go, at or after `now`; takes that place.
    fn place(&mut self, now: f64) -> f64 {
        while self.recent.front().is_some_and(|&t| t <= now - 1_000.0) {
            self.recent.pop_front();
        }
        let mut at = now.max(self.next_ms - self.burst(now));
        at = self.take_budget(at);
        // Spaced from where the schedule stands, not from when this request
        // goes: a budget is then spread evenly up to its reset, bursts included.
        let base = self.next_ms.max(at);
        self.next_ms = base + self.interval(base);
        if let Some(cap) = self.cap {
            // A separate, strict spacing: no burst can take a second past the cap.
            at = at.max(self.next_cap_ms);
            self.next_cap_ms = at + 1_000.0 / cap;
        }
        at
    }

    /// How far ahead of the spacing a request may go: half the server's
    /// remaining budget, so one person's writes go out together; none for a
    /// learned rate, whose limit is only known to be near.
    fn burst(&self, now: f64) -> f64 {
        match self.budget {
            Some(b) if b.confirmed && b.reset_ms > now => (b.reset_ms - now) / 2.0,
            _ => 0.0,
        }
    }

    /// The first time at or after `at` that the budget allows, rolling over
    /// windows that are over; takes one request from the budget.
    fn take_budget(&mut self, mut at: f64) -> f64 {
        for _ in 0..3 {
            let Some(b) = self.budget.as_mut() else {
                return at;
            };
            if b.reset_ms <= at {
                self.budget = b.next();
            } else if b.remaining == 0 {
                at = b.reset_ms;
            } else {
                b.remaining -= 1;
                return at;
            }
        }
        at
    }

    /// The spacing after a request scheduled at `at`: what is left of the
    /// window shared by what is left of the budget, this request included.
    fn interval(&self, at: f64) -> f64 {
        match self.budget {
            Some(b) if b.reset_ms > at => (b.reset_ms - at) / f64::from(b.remaining + 1),
            // Past this window's end the next one's budget spaces requests.
            Some(_) => 0.0,
            None => self.learned.map_or(0.0, |rate| 1_000.0 / rate),
        }
    }

    fn note_budget(&mut self, now: f64, limit: Option<u32>, remaining: u32, reset_ms: f64) {
        let seen = ((reset_ms - now) / 1_000.0).ceil() * 1_000.0;
        match self.budget.as_mut() {
            Some(b) if (b.reset_ms - reset_ms).abs() <= SAME_RESET_MS => {
                // The server's reset, not the one assumed for a window not yet seen.
                b.reset_ms = reset_ms;
                b.confirmed = true;
                b.remaining = b.remaining.min(remaining);
                b.window_ms = b.window_ms.max(seen);
                b.limit = limit.or(b.limit);
            }
            // An answer about a window already over.
            Some(b) if reset_ms < b.reset_ms => {}
            current => {
                let window_ms = current.map_or(seen, |b| b.window_ms.max(seen));
                let limit = limit.or(self.budget.and_then(|b| b.limit));
                self.budget = Some(Budget {
                    limit,
                    remaining,
                    reset_ms,
                    window_ms,
                    confirmed: true,
                });
            }
        }
    }

    /// Multiplicative decrease, once per [`CALM_MS`], from the rate actually
    /// sent (the learned one may be far above what was being asked for).
    fn back_off(&mut self, now_ms: u64) {
        let now = now_ms as f64;
        // Only the window under way: one assumed for later is not spent yet.
        let budget = self
            .budget
            .as_mut()
            .filter(|b| b.reset_ms > now && b.reset_ms - b.window_ms <= now);
        let held = budget.is_some();
        if let Some(b) = budget {
            // The shared window is spent, whichever API said so; its reset
            // holds every request, so the learned spacing need not.
            b.remaining = 0;
        }
        if now_ms < self.calm_until_ms {
            return;
        }
        let sent = self.recent.len().max(1) as f64;
        let base = self.learned.map_or(sent, |rate| rate.min(sent));
        self.ceiling = base;
        let rate = (base * DECREASE).max(MIN_RATE);
        self.learned = Some(rate);
        self.calm_until_ms = now_ms + CALM_MS;
        if !held {
            self.next_ms = self.next_ms.max(now_ms as f64 + 1_000.0 / rate);
        }
    }

    /// Additive increase: a success adds `gain / rate`, so a second of them
    /// at that rate adds `gain` requests per second.
    fn gain(&mut self) {
        if let Some(rate) = self.learned {
            let gain = if rate < 0.9 * self.ceiling {
                FAST_GAIN
            } else {
                SLOW_GAIN
            };
            self.learned = Some((rate + gain / rate).min(MAX_RATE));
        }
    }
}

#[cfg(test)]
mod tests;
