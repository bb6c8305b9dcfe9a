//! Fault injection: rate limits, server errors, latency and dropped connections, deterministic.
//!
//! A client's retry logic is only as good as the failures it has met. Faults are decided per
//! request, in arrival order, by a seeded PRNG (never the wall clock), so a failing test replays
//! exactly. A fault refuses the request before the API sees it: state never changes.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant, SystemTime};

use crate::ids::SplitMix64;
use crate::log::Api;

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
    /// A real fixed-window limiter, the way Atlassian answers: beyond this many requests in a
    /// second, 429. One window counts every API, since nothing published says SCIM and the
    /// Organizations API have separate budgets. SCIM and user management answer 429 with
    /// `Retry-After` (whole seconds to the window's end, rounded up); the Organizations API answers
    /// 429 with `X-RateLimit-Limit`, `-Remaining` and `-Reset` (ISO-8601 UTC) and sends those three
    /// headers on every answer while the limit is set, as its documentation says it does.
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

/// A decision: the verdict, how long to wait before acting on it, and headers every answer to
/// this request carries (the Organizations API's rate-limit headers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub verdict: Verdict,
    pub latency: Duration,
    pub headers: Vec<(&'static str, String)>,
}

/// Where a request stands in the current rate-limit window.
#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u32,
    count: u32,
    reset_in: Duration,
}

impl Window {
    fn over(&self) -> bool {
        self.count > self.limit
    }

    fn headers(&self, wall: SystemTime) -> Vec<(&'static str, String)> {
        let remaining = self.limit.saturating_sub(self.count);
        rate_limit_headers(self.limit, remaining, wall + self.reset_in).to_vec()
    }

    /// The 429 this API answers when the window is spent.
    fn refusal(&self, api: Api, wall: SystemTime) -> Verdict {
        let headers = if api == Api::Admin {
            self.headers(wall)
        } else {
            // Whole seconds, rounded up, so a client that waits them is surely past the reset.
            let secs = self.reset_in.as_millis().div_ceil(1000).max(1);
            vec![("retry-after", secs.to_string())]
        };
        Verdict::Refuse {
            status: 429,
            headers,
        }
    }
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
        let api = Api::for_path(path);
        let window = self
            .plan
            .requests_per_second
            .map(|limit| self.count_in_window(limit, now));
        let headers = match window {
            Some(w) if api == Api::Admin => w.headers(wall),
            _ => Vec::new(),
        };

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
                        let reset = wall + Duration::from_secs(secs);
                        headers.extend(rate_limit_headers(100, 0, reset));
                    }
                    Verdict::Refuse { status, headers }
                }
            };
            return Decision {
                verdict,
                latency,
                headers,
            };
        }

        if let Some(w) = window.filter(Window::over) {
            return Decision {
                verdict: w.refusal(api, wall),
                latency,
                headers,
            };
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
                headers.extend(rate_limit_headers(100, 0, wall + ahead));
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
        Decision {
            verdict,
            latency,
            headers,
        }
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

    /// Counts the request in the current one-second window (a window starts with the first
    /// request after the last one ended); refused requests count too, as they do at a gateway.
    fn count_in_window(&mut self, limit: u32, now: Instant) -> Window {
        let second = Duration::from_secs(1);
        let (start, count) = match self.window {
            Some((start, count)) if now.duration_since(start) < second => {
                (start, count.saturating_add(1))
            }
            _ => (now, 1),
        };
        self.window = Some((start, count));
        Window {
            limit,
            count,
            reset_in: second.saturating_sub(now.duration_since(start)),
        }
    }
}

/// The Organizations API's rate-limit headers, reset time as ISO-8601 UTC.
fn rate_limit_headers(
    limit: u32,
    remaining: u32,
    reset: SystemTime,
) -> [(&'static str, String); 3] {
    [
        ("x-ratelimit-limit", limit.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
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

    fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    const ADMIN: &str = "/admin/v2/orgs/o/directories";
    const SCIM: &str = "/scim/directory/d/Users";
    const USER_MANAGEMENT: &str = "/users/a/manage/lifecycle/disable";

    fn limited(limit: u32) -> FaultEngine {
        FaultEngine::new(Faults {
            requests_per_second: Some(limit),
            ..Faults::default()
        })
    }

    #[test]
    fn limiter_allows_the_limit_per_window_across_apis() {
        let mut engine = limited(3);
        let (now, wall) = (Instant::now(), SystemTime::now());
        // One window for every API: two SCIM requests and one Admin use it up.
        for path in [SCIM, ADMIN, SCIM] {
            assert_eq!(engine.decide("GET", path, now, wall).verdict, Verdict::Pass);
        }
        for path in [ADMIN, SCIM, USER_MANAGEMENT] {
            let verdict = engine.decide("GET", path, now, wall).verdict;
            assert!(
                matches!(verdict, Verdict::Refuse { status: 429, .. }),
                "{path}: {verdict:?}"
            );
        }
        let later = now + Duration::from_millis(1001);
        assert_eq!(
            engine.decide("GET", SCIM, later, wall).verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn scim_and_user_management_429s_carry_retry_after_only() {
        for path in [SCIM, USER_MANAGEMENT] {
            let mut engine = limited(1);
            let now = Instant::now();
            let wall = SystemTime::now();
            let first = engine.decide("GET", path, now, wall);
            assert!(first.headers.is_empty(), "{path}: {:?}", first.headers);
            let second = engine.decide("GET", path, now + Duration::from_millis(300), wall);
            assert!(second.headers.is_empty(), "{path}");
            let Verdict::Refuse { status, headers } = second.verdict else {
                panic!("{path}: {:?}", second.verdict);
            };
            assert_eq!(status, 429);
            // 700 ms to the reset, rounded up to whole seconds.
            assert_eq!(headers, vec![("retry-after", "1".to_string())], "{path}");
        }
    }

    #[test]
    fn admin_answers_carry_rate_limit_headers_and_429s_an_iso_reset() {
        let mut engine = limited(2);
        let now = Instant::now();
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(86_400);
        let first = engine.decide("POST", ADMIN, now, wall);
        assert_eq!(first.verdict, Verdict::Pass);
        assert_eq!(header(&first.headers, "x-ratelimit-limit"), Some("2"));
        assert_eq!(header(&first.headers, "x-ratelimit-remaining"), Some("1"));
        assert_eq!(
            header(&first.headers, "x-ratelimit-reset"),
            Some("1970-01-02T00:00:01.000Z")
        );
        let at = now + Duration::from_millis(250);
        let second = engine.decide("GET", ADMIN, at, wall);
        assert_eq!(second.verdict, Verdict::Pass);
        assert_eq!(header(&second.headers, "x-ratelimit-remaining"), Some("0"));
        let third = engine.decide("GET", ADMIN, at, wall);
        let Verdict::Refuse { status, headers } = third.verdict else {
            panic!("{:?}", third.verdict);
        };
        assert_eq!(status, 429);
        assert_eq!(header(&headers, "retry-after"), None);
        assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("0"));
        assert_eq!(
            header(&headers, "x-ratelimit-reset"),
            Some("1970-01-02T00:00:00.750Z")
        );
    }

    #[test]
    fn without_a_limit_admin_answers_carry_no_rate_limit_headers() {
        let mut engine = FaultEngine::default();
        let decision = engine.decide("GET", ADMIN, Instant::now(), SystemTime::now());
        assert!(decision.headers.is_empty());
    }
}
