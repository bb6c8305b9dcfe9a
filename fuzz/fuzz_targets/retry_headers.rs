//! `Retry-After` and `X-RateLimit-Reset`, parsed at a random `now` and fed
//! through the retry policy. Input: 8 bytes of `now` (epoch ms), 8 of jitter
//! seed, one of attempt number, one picking the status, one picking the
//! deadline, then the two header values separated by a newline.
//! Beyond "no panic": a wait the policy grants never exceeds its cap (the
//! server's cap when the server set the wait, the backoff cap otherwise) and
//! never reaches past the deadline.
#![no_main]

use std::time::Duration;

use atlassian_lcm::retry::{
    parse_rate_limit_reset, parse_retry_after, Attempt, Decision, GiveUp, Jitter, RetryPolicy,
};
use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 8] = [200, 400, 429, 500, 502, 503, 504, 302];

fuzz_target!(|data: &[u8]| {
    if data.len() < 19 {
        return;
    }
    let now_ms = u64::from_le_bytes(data[0..8].try_into().unwrap());
    let jitter = Jitter::new(u64::from_le_bytes(data[8..16].try_into().unwrap())).next_unit();
    let attempt = u32::from(data[16]);
    let status = STATUSES[data[17] as usize % STATUSES.len()];
    let deadline_ms = match data[18] % 3 {
        0 => None,
        1 => Some(now_ms.saturating_add(u64::from(data[18]) * 1_000)),
        _ => Some(now_ms),
    };
    let Ok(headers) = std::str::from_utf8(&data[19..]) else {
        return;
    };
    let (retry_after, reset) = match headers.split_once('\n') {
        Some((a, r)) => (Some(a), Some(r)),
        None => (Some(headers), None),
    };
    let server_wait = retry_after
        .and_then(|v| parse_retry_after(v, now_ms))
        .or_else(|| reset.and_then(|v| parse_rate_limit_reset(v, now_ms)));
    if let Some(r) = reset {
        let _ = parse_rate_limit_reset(r, now_ms);
    }
    for policy in [RetryPolicy::default(), tight_policy()] {
        let outcome = Attempt::Response {
            status,
            retry_after,
            rate_limit_reset: reset,
        };
        let decision = policy.decide(attempt, outcome, now_ms, deadline_ms, jitter);
        check(&policy, decision, server_wait, now_ms, deadline_ms);
        let transport = policy.decide(attempt, Attempt::Transport, now_ms, deadline_ms, jitter);
        check(&policy, transport, None, now_ms, deadline_ms);
    }
});

/// A policy whose caps a fuzzed header easily passes.
fn tight_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_server_delay: Duration::from_secs(1),
    }
}

fn check(
    policy: &RetryPolicy,
    decision: Decision,
    server_wait: Option<Duration>,
    now_ms: u64,
    deadline_ms: Option<u64>,
) {
    match decision {
        Decision::RetryAfter(wait) => {
            let cap = match server_wait {
                Some(_) => policy.max_server_delay,
                None => policy.max_delay,
            };
            assert!(wait <= cap, "waits {wait:?}, cap {cap:?}");
            if let Some(deadline) = deadline_ms {
                let until = now_ms as u128 + wait.as_millis();
                assert!(until < deadline as u128, "waits past the deadline");
            }
        }
        Decision::Stop(GiveUp::ServerDelayTooLong) => {
            assert!(server_wait.is_some_and(|w| w > policy.max_server_delay));
        }
        Decision::Stop(_) => {}
    }
}
