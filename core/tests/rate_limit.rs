//! The process's rate limiter through the engine, against the emulator's
//! requests-per-second limit (one window for all APIs; 429 with
//! `Retry-After` on SCIM, `X-RateLimit-*` on every Admin answer). Real time,
//! so only outcomes and counts are asserted, never durations; the figures
//! are printed.

mod common;

use std::sync::Arc;

use atlassian_emulator::{Emulator, Faults, Seed};
use atlassian_lcm::transport::RateLimiter;
use atlassian_lcm::{Lcm, Outcome, RunOptions};
use common::*;
use futures::stream::{self, StreamExt};
use serde_json::json;

const JOINERS: usize = 80;
const LIMIT: u32 = 100;

fn joiner(i: usize) -> serde_json::Value {
    let worker = json!({"hrId": format!("E7{i:03}"), "workEmail": format!("bulk.{i}@example.com"),
        "givenName": "Bulk", "familyName": format!("Worker {i}"), "displayName": format!("Bulk Worker {i}")});
    let mut e = event(
        "joiner",
        worker,
        Some(json!({"groups": ["jira-software-users", "engineering", "confluence-users"]})),
    );
    e["eventId"] = json!(format!("bulk-{i}"));
    e
}

/// What one bulk run came to.
#[derive(Debug)]
struct Bulk {
    failed: usize,
    duplicates: usize,
    missing_groups: usize,
    throttled: usize,
    requests: usize,
    /// 429s and requests after the first two seconds: the opening burst
    /// meets the limit before anything is known of it (80 joiners' first
    /// look-ups alone are more than a second's budget); what the limiter
    /// does shows after it.
    later_throttled: usize,
    later_requests: usize,
}

/// All joiners at once through one engine (so through one limiter).
async fn bulk(limiter: Option<Arc<RateLimiter>>) -> Bulk {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    emu.set_faults(Faults {
        requests_per_second: Some(LIMIT),
        ..Faults::default()
    });
    let mut lcm: Lcm = engine(config(&emu, &[]));
    if let Some(limiter) = limiter {
        lcm = lcm.with_rate_limiter(limiter);
    }
    let reports: Vec<_> = stream::iter(0..JOINERS)
        .map(|i| {
            let lcm = lcm.clone();
            async move { lcm.run_json(&joiner(i), RunOptions::default()).await }
        })
        .buffer_unordered(JOINERS)
        .collect()
        .await;
    let failed = reports
        .iter()
        .filter(|r| r.as_ref().map_or(true, |r| r.outcome != Outcome::Succeeded))
        .count();
    let state = emu.state();
    let duplicates = (0..JOINERS)
        .map(|i| {
            let name = format!("bulk.{i}@example.com");
            let n = state
                .users
                .iter()
                .filter(|u| u.scim.as_ref().is_some_and(|s| s.user_name == name))
                .count();
            n.saturating_sub(1)
        })
        .sum();
    let missing_groups = (0..JOINERS)
        .filter(|i| groups_of(&emu, &format!("bulk.{i}@example.com")).len() != 3)
        .count();
    let log = emu.requests();
    let start = log.iter().map(|r| r.started_at_us).min().unwrap_or(0);
    let later: Vec<_> = log
        .iter()
        .filter(|r| r.started_at_us >= start + 2_000_000)
        .collect();
    Bulk {
        failed,
        duplicates,
        missing_groups,
        throttled: log.iter().filter(|r| r.status == 429).count(),
        requests: log.len(),
        later_throttled: later.iter().filter(|r| r.status == 429).count(),
        later_requests: later.len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_joiners_under_a_rate_limit_succeed_with_few_429s() {
    let paced = bulk(None).await;
    let unpaced = bulk(Some(Arc::new(RateLimiter::unpaced()))).await;
    for (name, b) in [("paced", &paced), ("unpaced", &unpaced)] {
        println!(
            "{JOINERS} joiners at {LIMIT} req/s, {name}: {} 429s in {} requests, {} in {} after the opening burst",
            b.throttled, b.requests, b.later_throttled, b.later_requests
        );
    }
    assert_eq!(
        (paced.failed, paced.duplicates, paced.missing_groups),
        (0, 0, 0),
        "{paced:?}"
    );
    // The first burst meets the limit before anything is known; after that
    // the limiter keeps requests from getting there.
    assert!(
        paced.later_requests > 0 && paced.later_throttled * 10 <= paced.later_requests,
        "{paced:?}: after the opening burst, more than a tenth of the requests drew a 429"
    );
    // Both meet the opening burst alike; what differs is the rest.
    assert!(
        unpaced.later_throttled >= 3 * paced.later_throttled.max(1),
        "paced {paced:?} vs unpaced {unpaced:?}"
    );
}
