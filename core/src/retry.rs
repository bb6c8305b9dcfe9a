//! The one retry policy, as a pure function: given what happened to an attempt,
//! the time, the deadline and a jitter draw, decide whether to wait and try
//! again. No I/O, no clock reads, so the whole policy is tested as a table.
//!
//! Order of preference for the wait: the server's `Retry-After` (seconds or an
//! HTTP date), then `X-RateLimit-Reset` (Atlassian's Admin API sends an ISO 8601
//! time; a bare number is read as epoch seconds when large, delta seconds when
//! small, since both forms exist across Atlassian products), then capped
//! exponential backoff with full jitter.

use std::time::Duration;

/// Statuses worth retrying: rate limits and server-side trouble.
pub const RETRYABLE_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

/// How persistent to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling before jitter for the first retry.
    pub base_delay: Duration,
    /// No computed backoff exceeds this.
    pub max_delay: Duration,
    /// A server asking for a longer wait than this is not waited for.
    pub max_server_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_server_delay: Duration::from_secs(120),
        }
    }
}

/// What happened to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'a> {
    /// A response arrived.
    Response {
        /// Its status.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<&'a str>,
        /// The `X-RateLimit-Reset` header, if any.
        rate_limit_reset: Option<&'a str>,
    },
    /// No response (connection failure, timeout).
    Transport,
}

/// Why the policy stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The outcome is final (success, or an error retrying cannot fix).
    NotRetryable,
    /// `max_attempts` reached.
    AttemptsExhausted,
    /// Waiting would pass the deadline.
    Deadline,
    /// The server asked for a wait longer than `max_server_delay`.
    ServerDelayTooLong,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Stop.
    Stop(GiveUp),
}

impl RetryPolicy {
    /// Decides after attempt number `attempt` (1-based). `now_ms` and
    /// `deadline_ms` are epoch milliseconds; `jitter` is a uniform draw in
    /// `[0, 1)`.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: Attempt<'_>,
        now_ms: u64,
        deadline_ms: Option<u64>,
        jitter: f64,
    ) -> Decision {
        let server_wait = match outcome {
            Attempt::Transport => None,
            Attempt::Response {
                status,
                retry_after,
                rate_limit_reset,
            } => {
                if !RETRYABLE_STATUSES.contains(&status) {
                    return Decision::Stop(GiveUp::NotRetryable);
                }
                retry_after
                    .and_then(|v| parse_retry_after(v, now_ms))
                    .or_else(|| rate_limit_reset.and_then(|v| parse_rate_limit_reset(v, now_ms)))
            }
        };
        if attempt >= self.max_attempts {
            return Decision::Stop(GiveUp::AttemptsExhausted);
        }
        let wait = match server_wait {
            Some(w) if w > self.max_server_delay => {
                return Decision::Stop(GiveUp::ServerDelayTooLong)
            }
            Some(w) => w,
            None => self.backoff(attempt, jitter),
        };
        if let Some(deadline) = deadline_ms {
            if now_ms.saturating_add(millis(wait)) >= deadline {
                return Decision::Stop(GiveUp::Deadline);
            }
        }
        Decision::RetryAfter(wait)
    }

    /// Full jitter: uniform in `[0, min(max_delay, base * 2^(attempt-1))]`.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
        let ceiling = self.base_delay.saturating_mul(exp).min(self.max_delay);
        ceiling.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// A duration in whole milliseconds, saturating at `u64::MAX` (a plain `as`
/// cast of `as_millis()` would wrap a huge server wait into a small one).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The wait until `at_ms` (epoch milliseconds, possibly negative): zero for a
/// time already past.
fn until(at_ms: i128, now_ms: u64) -> Duration {
    let ms = at_ms.saturating_sub(i128::from(now_ms)).max(0);
    Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
}

/// `Retry-After`: delta seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    Some(until(i128::try_from(at_ms).unwrap_or(i128::MAX), now_ms))
}

/// `X-RateLimit-Reset`: an ISO 8601 time (Atlassian Admin API), or a number.
/// Every conversion saturates: a huge number is a very long wait (which the
/// policy then refuses to wait for), never an overflow or a wrapped short one.
/// A negative or fractional number is not a form Atlassian documents; it is
/// ignored, so the policy falls back to its own backoff rather than hammering.
pub fn parse_rate_limit_reset(value: &str, now_ms: u64) -> Option<Duration> {
    let v = value.trim();
    if let Ok(n) = v.parse::<u64>() {
        // Epoch seconds are ten digits today; a small number can only be a delta.
        return Some(if n > 1_000_000_000 {
            until(i128::from(n) * 1000, now_ms)
        } else {
            Duration::from_secs(n)
        });
    }
    let at =
        time::OffsetDateTime::parse(v, &time::format_description::well_known::Iso8601::DEFAULT)
            .ok()?;
    Some(until(at.unix_timestamp_nanos() / 1_000_000, now_ms))
}

/// A small deterministic generator for jitter draws (xorshift64*). The core
/// cannot rely on an OS random source on wasm32, and jitter needs spread, not
/// secrecy.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeds the generator; a zero seed is replaced by a constant.
    pub fn new(seed: u64) -> Self {
        Jitter(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// A draw in `[0, 1)`.
    pub fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_493_200_000; // 2025-11-30T09:00:00Z

    const fn resp(status: u16) -> Attempt<'static> {
        Attempt::Response {
            status,
            retry_after: None,
            rate_limit_reset: None,
        }
    }

    // (name, attempt, outcome, deadline, jitter draw, expected decision)
    type Case = (
        &'static str,
        u32,
        Attempt<'static>,
        Option<u64>,
        f64,
        Decision,
    );

    const fn wait(ms: u64) -> Decision {
        Decision::RetryAfter(Duration::from_millis(ms))
    }

    // A `const` rather than a function so the table can grow without the
    // test growing; every row is still checked by `decision_table`.
    const DECISIONS: &[Case] = &[
        (
            "200 is final",
            1,
            resp(200),
            None,
            0.5,
            Decision::Stop(GiveUp::NotRetryable),
        ),
        (
            "404 is final",
            1,
            resp(404),
            None,
            0.5,
            Decision::Stop(GiveUp::NotRetryable),
        ),
        (
            "409 is final",
            1,
            resp(409),
            None,
            0.5,
            Decision::Stop(GiveUp::NotRetryable),
        ),
        (
            "401 is final",
            1,
            resp(401),
            None,
            0.5,
            Decision::Stop(GiveUp::NotRetryable),
        ),
        (
            "500 backs off, full jitter of 500ms",
            1,
            resp(500),
            None,
            0.5,
            wait(250),
        ),
        ("502 retried", 1, resp(502), None, 1.0, wait(500)),
        ("504 retried", 1, resp(504), None, 0.0, wait(0)),
        (
            "third attempt doubles twice",
            3,
            resp(503),
            None,
            1.0,
            wait(2000),
        ),
        // 500 ms doubled four times is 8 s; the 5 s cap wins.
        ("capped at max_delay", 5, resp(503), None, 1.0, wait(5000)),
        (
            "transport retried",
            2,
            Attempt::Transport,
            None,
            1.0,
            wait(1000),
        ),
        (
            "attempts exhausted",
            6,
            resp(503),
            None,
            0.5,
            Decision::Stop(GiveUp::AttemptsExhausted),
        ),
        (
            "Retry-After seconds wins",
            1,
            Attempt::Response {
                status: 429,
                retry_after: Some("7"),
                rate_limit_reset: Some("2025-11-30T09:01:00Z"),
            },
            None,
            0.5,
            wait(7000),
        ),
        (
            "Retry-After HTTP date",
            1,
            Attempt::Response {
                status: 503,
                retry_after: Some("Sun, 30 Nov 2025 09:00:03 GMT"),
                rate_limit_reset: None,
            },
            None,
            0.5,
            wait(3000),
        ),
        (
            "X-RateLimit-Reset ISO time",
            1,
            Attempt::Response {
                status: 429,
                retry_after: None,
                rate_limit_reset: Some("2025-11-30T09:00:04Z"),
            },
            None,
            0.5,
            wait(4000),
        ),
        (
            "X-RateLimit-Reset in the past waits 0",
            1,
            Attempt::Response {
                status: 429,
                retry_after: None,
                rate_limit_reset: Some("2025-11-30T08:00:00Z"),
            },
            None,
            0.5,
            wait(0),
        ),
        (
            "X-RateLimit-Reset epoch seconds",
            1,
            Attempt::Response {
                status: 429,
                retry_after: None,
                rate_limit_reset: Some("1764493202"),
            },
            None,
            0.5,
            wait(2000),
        ),
        (
            "garbage headers fall back to backoff",
            1,
            Attempt::Response {
                status: 429,
                retry_after: Some("soon"),
                rate_limit_reset: Some("later"),
            },
            None,
            1.0,
            wait(500),
        ),
        (
            "deadline too close",
            1,
            Attempt::Response {
                status: 429,
                retry_after: Some("5"),
                rate_limit_reset: None,
            },
            Some(NOW + 4_000),
            0.5,
            Decision::Stop(GiveUp::Deadline),
        ),
        (
            "deadline far enough",
            1,
            Attempt::Response {
                status: 429,
                retry_after: Some("5"),
                rate_limit_reset: None,
            },
            Some(NOW + 60_000),
            0.5,
            wait(5000),
        ),
        (
            "server delay too long",
            1,
            Attempt::Response {
                status: 429,
                retry_after: Some("3600"),
                rate_limit_reset: None,
            },
            None,
            0.5,
            Decision::Stop(GiveUp::ServerDelayTooLong),
        ),
    ];

    #[test]
    fn decision_table() {
        let p = RetryPolicy {
            max_delay: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        for &(name, attempt, outcome, deadline, jitter, want) in DECISIONS {
            assert_eq!(
                p.decide(attempt, outcome, NOW, deadline, jitter),
                want,
                "{name}"
            );
        }
    }

    /// Found by the `retry_headers` fuzz target: epoch seconds past
    /// `u64::MAX / 1000` overflowed the conversion to milliseconds (a panic
    /// with overflow checks, a wrapped, far too short wait without).
    #[test]
    fn a_reset_beyond_any_epoch_is_a_wait_too_long_not_an_overflow() {
        let huge = "176447644932693261";
        let wait = parse_rate_limit_reset(huge, NOW).unwrap();
        assert_eq!(
            wait,
            Duration::from_millis(u64::MAX),
            "saturated, not wrapped"
        );
        let outcome = Attempt::Response {
            status: 429,
            retry_after: None,
            rate_limit_reset: Some(huge),
        };
        assert_eq!(
            RetryPolicy::default().decide(1, outcome, NOW, None, 0.5),
            Decision::Stop(GiveUp::ServerDelayTooLong)
        );
    }

    #[test]
    fn rate_limit_reset_never_overflows() {
        let secs = |n: u64| Some(Duration::from_secs(n));
        #[rustfmt::skip]
        let cases: [(&str, &str, Option<Duration>); 13] = [
            ("small delta", "30", secs(30)),
            ("the largest delta", "1000000000", secs(1_000_000_000)),
            ("epoch seconds, 2 s ahead", "1764493202", secs(2)),
            ("epoch seconds in the past", "1000000001", secs(0)),
            ("epoch seconds far ahead", "99999999999", secs(99_999_999_999 - NOW / 1000)),
            // u64::MAX seconds * 1000 overflows u64; it must saturate, not wrap.
            ("u64::MAX", "18446744073709551615", Some(Duration::from_millis(u64::MAX))),
            ("beyond u64", "18446744073709551616", None),
            ("negative", "-5", None),
            ("negative epoch", "-1764493202", None),
            ("fraction", "1.5", None),
            ("ISO far future", "9999-12-31T23:59:59Z", Some(Duration::from_millis(253_402_300_799_000 - NOW))),
            ("ISO before the epoch", "1900-01-01T00:00:00Z", secs(0)),
            ("ISO with an offset", "2025-11-30T10:00:05+01:00", secs(5)),
        ];
        for (name, header, want) in cases {
            assert_eq!(parse_rate_limit_reset(header, NOW), want, "{name}");
        }
        assert_eq!(
            parse_rate_limit_reset("5", u64::MAX),
            secs(5),
            "delta at the end of time"
        );
        assert_eq!(
            parse_rate_limit_reset("1764493202", u64::MAX),
            secs(0),
            "epoch at the end of time"
        );
    }

    #[test]
    fn huge_server_waits_are_refused_not_wrapped() {
        let p = RetryPolicy::default();
        let huge = |reset: &'static str| Attempt::Response {
            status: 429,
            retry_after: None,
            rate_limit_reset: Some(reset),
        };
        for reset in [
            "18446744073709551615",
            "9999-12-31T23:59:59Z",
            "99999999999",
        ] {
            assert_eq!(
                p.decide(1, huge(reset), NOW, Some(NOW + 60_000), 0.5),
                Decision::Stop(GiveUp::ServerDelayTooLong),
                "{reset}"
            );
        }
        let retry_after = Attempt::Response {
            status: 503,
            retry_after: Some("18446744073709551615"),
            rate_limit_reset: None,
        };
        assert_eq!(
            p.decide(1, retry_after, NOW, None, 0.5),
            Decision::Stop(GiveUp::ServerDelayTooLong)
        );
        assert_eq!(millis(Duration::MAX), u64::MAX);
        assert_eq!(millis(Duration::from_millis(7)), 7);
    }

    #[test]
    fn jitter_is_uniformish_and_deterministic() {
        let mut a = Jitter::new(42);
        let mut b = Jitter::new(42);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_unit()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.next_unit()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
    }
}
