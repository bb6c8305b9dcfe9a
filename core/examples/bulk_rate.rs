//! Benchmark: many joiners at once through one engine (so one rate limiter)
//! against the in-process emulator enforcing a requests-per-second limit.
//! Prints elapsed time, useful requests per second as a share of the limit,
//! 429s, failures and duplicates, then the same as one JSON line.
//!
//! ```text
//! cargo run -p atlassian-lcm --example bulk_rate --locked -- [JOINERS] [LIMIT] [PARALLEL] [LATENCY_MS] [--unpaced]
//! ```
//! Defaults: 1000 joiners, 100 req/s, 100 runs at once, 20 ms latency.
//! `--unpaced` swaps the limiter for one that never waits, for comparison.

use std::sync::Arc;
use std::time::Instant;

use atlassian_emulator::{Emulator, Faults, Seed};
use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::native::{ReqwestClient, TokioSleep};
use atlassian_lcm::transport::RateLimiter;
use atlassian_lcm::{Config, Lcm, Outcome, RawConfig, RunOptions};
use futures::stream::{self, StreamExt};
use serde_json::json;

/// Every joiner goes into one group of each kind the demo org has.
const GROUPS: [&str; 3] = ["jira-software-users", "engineering", "confluence-users"];

struct Args {
    joiners: usize,
    limit: u32,
    parallel: usize,
    latency_ms: u64,
    unpaced: bool,
}

fn args() -> Args {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let unpaced = all.iter().any(|a| a == "--unpaced");
    let numbers: Vec<u64> = all
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(|a| a.parse().unwrap_or_else(|_| panic!("not a number: {a}")))
        .collect();
    let at = |i: usize, default: u64| numbers.get(i).copied().unwrap_or(default);
    Args {
        joiners: at(0, 1000) as usize,
        limit: at(1, 100) as u32,
        parallel: at(2, 100).max(1) as usize,
        latency_ms: at(3, 20),
        unpaced,
    }
}

fn config(emu: &Emulator) -> Config {
    let env = emu.lcm_env();
    Config::from_raw(&RawConfig::from_vars(
        env.iter().map(|(k, v)| (*k, v.as_str())),
    ))
    .expect("valid config")
}

fn joiner(i: usize) -> serde_json::Value {
    json!({"schemaVersion": "1", "eventId": format!("bench-{i}"), "lifecycle": "joiner",
        "worker": {"hrId": format!("B{i:06}"), "workEmail": format!("bench.{i}@example.com"),
                   "givenName": "Bench", "familyName": format!("Worker {i}"),
                   "displayName": format!("Bench Worker {i}")},
        "access": {"groups": GROUPS}})
}

/// SCIM users beyond the first per joiner's user name.
fn duplicates(emu: &Emulator, joiners: usize) -> usize {
    let state = emu.state();
    let mut per_name = std::collections::HashMap::<&str, usize>::new();
    for user in &state.users {
        if let Some(scim) = &user.scim {
            *per_name.entry(scim.user_name.as_str()).or_default() += 1;
        }
    }
    (0..joiners)
        .map(|i| {
            let n = per_name.get(format!("bench.{i}@example.com").as_str());
            n.copied().unwrap_or(0).saturating_sub(1)
        })
        .sum()
}

#[tokio::main]
async fn main() {
    let a = args();
    let emu = Emulator::start(Seed::demo())
        .await
        .expect("emulator starts");
    emu.set_faults(Faults {
        requests_per_second: Some(a.limit),
        latency_ms: a.latency_ms,
        ..Faults::default()
    });
    let http = Arc::new(ReqwestClient::new().expect("http client"));
    let mut lcm = Lcm::new(
        config(&emu),
        http,
        Arc::new(TokioSleep),
        Arc::new(SystemClock),
    );
    if a.unpaced {
        lcm = lcm.with_rate_limiter(Arc::new(RateLimiter::unpaced()));
    }
    let started = Instant::now();
    let outcomes: Vec<Option<Outcome>> = stream::iter(0..a.joiners)
        .map(|i| {
            let lcm = lcm.clone();
            async move {
                let report = lcm.run_json(&joiner(i), RunOptions::default()).await;
                report.ok().map(|r| r.outcome)
            }
        })
        .buffer_unordered(a.parallel)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let failures = outcomes
        .iter()
        .filter(|o| **o != Some(Outcome::Succeeded))
        .count();
    let log = emu.requests();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    let useful = log.len() - throttled;
    let useful_rps = useful as f64 / elapsed;
    let share = useful_rps / f64::from(a.limit);
    let dups = duplicates(&emu, a.joiners);
    let figures = lcm.rate_limiter().figures();
    println!(
        "{} joiners, {} req/s limit, {} at once, {} ms latency{}: {elapsed:.1} s, {useful} useful requests \
         ({useful_rps:.1}/s, {:.0} % of the limit), {throttled} 429s, {failures} failures, {dups} duplicates; \
         limiter waits {} ({} ms in all)",
        a.joiners,
        a.limit,
        a.parallel,
        a.latency_ms,
        if a.unpaced { ", unpaced" } else { "" },
        share * 100.0,
        figures.waits,
        figures.waited_ms,
    );
    println!(
        "{}",
        json!({"joiners": a.joiners, "limitRps": a.limit, "parallel": a.parallel, "latencyMs": a.latency_ms,
               "unpaced": a.unpaced, "elapsedSeconds": elapsed, "usefulRequests": useful,
               "usefulRps": useful_rps, "shareOfLimit": share, "throttled": throttled,
               "failures": failures, "duplicates": dups})
    );
}
