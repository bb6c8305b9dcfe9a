//! Fault injection: rate limits, server errors, latency and dropped connections, deterministic.
//!
//! A client's retry logic is only as good as the failures it has met. Faults are decided per
//! request, in arrival order, by a seeded PRNG (never the wall clock), so a failing test replays
//! exactly. A fault refuses the request before the API sees it: state never changes.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant, SystemTime};

use crate::ids::SplitMix64;

/// The fault plan. `Default` injects nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Faults {
    /// Seed of the PRNG that decides random faults.
    pub seed: u64,
    /// Share of requests answered 429.
    pub rate_429: f64,
    /// Share of requests answered 500.
    pub rate_500: f64,
    /// Share of requests answered 503.
    pub rate_503: f64,
    /// Random 429s and 503s carry `Retry-After: N`.
    pub retry_after_secs: Option<u64>,
    /// Random 429s carry `X-RateLimit-Reset` (ISO-8601 UTC, `retry_after_secs` or 1 s ahead) with
    /// `X-RateLimit-Limit` and `X-RateLimit-Remaining`, like the Organizations API.
    pub rate_limit_reset: bool,
    /// Delay added to every request, so concurrency shows in the log's timestamps.
    pub latency_ms: u64,
    /// Share of requests whose connection is closed without a response.
    pub drop_rate: f64,
    /// A real fixed-window limiter: beyond this many requests in a second, 429 with
    /// `X-RateLimit-*` headers.
    pub requests_per_second: Option<u32>,
    /// Targeted faults, checked before the random ones.
    pub script: Vec<ScriptedFault>,
}

/// "The first `times` requests matching this get that answer."
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScriptedFault {
    /// Only requests with this method (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Only requests whose path contains this; `None` matches any.
    pub path_contains: Option<String>,
    /// The status to answer; 0 drops the connection; a 2xx lets the request through (useful with
    /// `latency_ms` alone to slow one endpoint down).
    pub status: u16,
    /// How many matching requests to affect.
    pub times: u32,
    /// Add `Retry-After: N`.
    pub retry_after_secs: Option<u64>,
    /// Add `X-RateLimit-Reset` N seconds ahead (with `X-RateLimit-Limit`/`-Remaining`).
    pub rate_limit_reset_secs: Option<u64>,
    /// Extra delay before answering.
    pub latency_ms: Option<u64>,
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Handle it normally.
    Pass,
    /// Answer with this status and headers instead of handling it.
    Refuse {
        status: u16,
        headers: Vec<(&'static str, String)>,
    },
    /// Close the connection without answering.
    Drop,
}

/// A decision: the verdict and how long to wait before acting on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub verdict: Verdict,
    pub latency: Duration,
}

/// The live fault state: the plan plus what it has used up.
#[derive(Debug)]
pub(crate) struct FaultEngine {
    plan: Faults,
    rng: SplitMix64,
    script_left: Vec<u32>,
    window: Option<(Instant, u32)>,
}

impl Default for FaultEngine {
    fn default() -> Self {
        Self::new(Faults::default())
    }
}

impl FaultEngine {
    pub fn new(plan: Faults) -> Self {
        Self {
            rng: SplitMix64::new(plan.seed),
            script_left: plan.script.iter().map(|s| s.times).collect(),
            plan,
            window: None,
        }
    }

    /// Decides the fate of the next request to arrive. Exactly one PRNG draw per request, whatever
    /// the outcome, so the random sequence does not shift when scripts or the limiter intervene.
    pub fn decide(&mut self, method: &str, path: &str, now: Instant, wall: SystemTime) -> Decision {
        let roll = self.rng.next_f64();
        let mut latency = Duration::from_millis(self.plan.latency_ms);

        if let Some(i) = self.matching_script(method, path) {
            self.script_left[i] -= 1;
            let script = &self.plan.script[i];
            latency += Duration::from_millis(script.latency_ms.unwrap_or(0));
            let verdict = match script.status {
                0 => Verdict::Drop,
                200..=299 => Verdict::Pass,
                status => {
                    let mut headers = Vec::new();
                    if let Some(secs) = script.retry_after_secs {
                        headers.push(("retry-after", secs.to_string()));
                    }
                    if let Some(secs) = script.rate_limit_reset_secs {
                        headers.extend(rate_limit_headers(100, wall + Duration::from_secs(secs)));
                    }
                    Verdict::Refuse { status, headers }
                }
            };
            return Decision { verdict, latency };
        }

        if let Some(limit) = self.plan.requests_per_second {
            if let Some(reset_in) = self.over_limit(limit, now) {
                let headers = rate_limit_headers(limit, wall + reset_in).to_vec();
                return Decision {
                    verdict: Verdict::Refuse {
                        status: 429,
                        headers,
                    },
                    latency,
                };
            }
        }

        let p = &self.plan;
        let verdict = if roll < p.drop_rate {
            Verdict::Drop
        } else if roll < p.drop_rate + p.rate_429 {
            let mut headers = Vec::new();
            if let Some(secs) = p.retry_after_secs {
                headers.push(("retry-after", secs.to_string()));
            }
            if p.rate_limit_reset {
                let ahead = Duration::from_secs(p.retry_after_secs.unwrap_or(1));
                headers.extend(rate_limit_headers(100, wall + ahead));
            }
            Verdict::Refuse {
                status: 429,
                headers,
            }
        } else if roll < p.drop_rate + p.rate_429 + p.rate_500 {
            Verdict::Refuse {
                status: 500,
                headers: Vec::new(),
            }
        } else if roll < p.drop_rate + p.rate_429 + p.rate_500 + p.rate_503 {
            let headers = p
                .retry_after_secs
                .map(|secs| vec![("retry-after", secs.to_string())])
                .unwrap_or_default();
            Verdict::Refuse {
                status: 503,
                headers,
            }
        } else {
            Verdict::Pass
        };
        Decision { verdict, latency }
    }

    fn matching_script(&self, method: &str, path: &str) -> Option<usize> {
        self.plan.script.iter().enumerate().position(|(i, s)| {
            self.script_left[i] > 0
                && s.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && s.path_contains.as_deref().is_none_or(|p| path.contains(p))
        })
    }

    /// Counts the request in the current one-second window; `Some(time to reset)` when over.
    fn over_limit(&mut self, limit: u32, now: Instant) -> Option<Duration> {
        let second = Duration::from_secs(1);
        let (start, count) = match self.window {
            Some((start, count)) if now.duration_since(start) < second => (start, count + 1),
            _ => (now, 1),
        };
        self.window = Some((start, count));
        (count > limit).then(|| second.saturating_sub(now.duration_since(start)))
    }
}

/// The Organizations API's rate-limit headers, reset time as ISO-8601 UTC.
fn rate_limit_headers(limit: u32, reset: SystemTime) -> [(&'static str, String); 3] {
    [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", "0".to_string()),
        ("x-ratelimit-reset", crate::timestamp::iso(reset)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(plan: Faults, n: usize) -> Vec<u16> {
        let mut engine = FaultEngine::new(plan);
        let (now, wall) = (Instant::now(), SystemTime::now());
        (0..n)
            .map(
                |_| match engine.decide("GET", "/scim/x", now, wall).verdict {
                    Verdict::Pass => 200,
                    Verdict::Drop => 0,
                    Verdict::Refuse { status, .. } => status,
                },
            )
            .collect()
    }

    #[test]
    fn same_seed_same_faults_different_seed_different_faults() {
        let plan = |seed| Faults {
            seed,
            rate_429: 0.2,
            rate_500: 0.1,
            rate_503: 0.1,
            drop_rate: 0.1,
            ..Faults::default()
        };
        let a = statuses(plan(7), 200);
        assert_eq!(a, statuses(plan(7), 200));
        assert_ne!(a, statuses(plan(8), 200));
        for status in [0, 200, 429, 500, 503] {
            assert!(a.contains(&status), "{status} never drawn");
        }
    }

    #[test]
    fn script_fires_exactly_times_and_only_on_match() {
        let plan = Faults {
            script: vec![ScriptedFault {
                method: Some("post".into()),
                path_contains: Some("/Users".into()),
                status: 503,
                times: 2,
                retry_after_secs: Some(3),
                ..ScriptedFault::default()
            }],
            ..Faults::default()
        };
        let mut engine = FaultEngine::new(plan);
        let (now, wall) = (Instant::now(), SystemTime::now());
        let get = engine.decide("GET", "/scim/directory/d/Users", now, wall);
        assert_eq!(get.verdict, Verdict::Pass);
        for _ in 0..2 {
            let post = engine.decide("POST", "/scim/directory/d/Users", now, wall);
            assert_eq!(
                post.verdict,
                Verdict::Refuse {
                    status: 503,
                    headers: vec![("retry-after", "3".into())]
                }
            );
        }
        let third = engine.decide("POST", "/scim/directory/d/Users", now, wall);
        assert_eq!(third.verdict, Verdict::Pass);
    }

    #[test]
    fn limiter_allows_the_limit_per_window() {
        let mut engine = FaultEngine::new(Faults {
            requests_per_second: Some(3),
            ..Faults::default()
        });
        let (now, wall) = (Instant::now(), SystemTime::now());
        let mut refused = 0;
        for _ in 0..5 {
            if let Verdict::Refuse {
                status: 429,
                headers,
            } = engine.decide("GET", "/a", now, wall).verdict
            {
                assert_eq!(headers[0], ("x-ratelimit-limit", "3".to_string()));
                refused += 1;
            }
        }
        assert_eq!(refused, 2);
        let later = now + Duration::from_millis(1001);
        assert_eq!(
            engine.decide("GET", "/a", later, wall).verdict,
            Verdict::Pass
        );
    }
}
