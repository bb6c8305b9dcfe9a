//! Many joiners under an emulator that enforces a requests-per-second limit the way Atlassian
//! does (429 with `X-RateLimit-*`): elapsed time, useful requests per second as a share of the
//! limit, the 429s the server sent, failed events and duplicate users.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use atlassian_emulator::{Emulator, Faults};
use atlassian_lcm::bulk::{self, BulkItem, BulkOptions};
use atlassian_lcm::{parse_request, Lcm, Outcome, Report};
use serde_json::Value;

use crate::org;
use crate::row::Row;

/// Workers in progress at once: enough to keep the server's limit busy at
/// the emulator's latency; the engine's rate limiter paces them together.
const IN_FLIGHT: usize = 16;

/// Runs `events` through the bulk executor every host uses (`lcm run` with
/// JSON Lines, the Lambda's batches), on one engine and so one rate limiter,
/// and returns their reports in input order.
async fn execute(lcm: &Lcm, events: Vec<Value>) -> Vec<Report> {
    let items = events
        .iter()
        .map(|e| BulkItem::new(parse_request(e).expect("the bench's events are valid")))
        .collect();
    let mut reports: Vec<Option<Report>> = vec![None; events.len()];
    bulk::run(lcm, items, BulkOptions::new(IN_FLIGHT), |f| {
        reports[f.index] = Some(f.report)
    })
    .await;
    reports
        .into_iter()
        .map(|r| r.expect("every item finishes"))
        .collect()
}

/// Runs `joiners` joiners (one admin-managed group each) under a limit of `limit` requests/s.
pub async fn run(joiners: usize, limit: u32) -> Result<(), String> {
    if joiners == 0 || limit == 0 {
        return Err("bulk: --joiners and --limit must be at least 1".into());
    }
    let bench = format!("Bulk: {joiners} joiners under a {limit} req/s limit");
    let emu = Emulator::start(org::seed())
        .await
        .map_err(|e| e.to_string())?;
    let lcm = org::engine(&emu);
    emu.set_faults(Faults {
        requests_per_second: Some(limit),
        ..Faults::default()
    });
    let events: Vec<Value> = (1..=joiners)
        .map(|i| {
            org::event(
                &format!("bulk-{i}"),
                "joiner",
                0,
                org::worker(i),
                Some(&["product-01"]),
            )
        })
        .collect();
    let started = Instant::now();
    let reports = execute(&lcm, events).await;
    let elapsed = started.elapsed();
    emu.clear_faults();

    let log = emu.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    let useful = log.len() - refused;
    let rate = useful as f64 / elapsed.as_secs_f64();
    let share = rate / f64::from(limit);
    let failures = reports
        .iter()
        .filter(|r| r.outcome != Outcome::Succeeded)
        .count();
    let duplicates = duplicate_users(&emu);
    let created = emu
        .state()
        .users
        .iter()
        .filter(|u| u.email.starts_with("bench.user"))
        .count();

    Row::info(&bench, "elapsed", secs(elapsed)).emit();
    Row::info(
        &bench,
        "requests",
        format!("{} ({useful} useful, {created} users created)", log.len()),
    )
    .emit();
    Row::judged(
        &bench,
        "useful requests/s, share of the limit",
        format!("{rate:.1}/s = {:.0} %", share * 100.0),
        "≥ 90 %",
        share >= 0.9,
    )
    .emit();
    Row::info(&bench, "429s from the server", refused.to_string()).emit();
    Row::judged(
        &bench,
        "failed events",
        failures.to_string(),
        "0",
        failures == 0,
    )
    .emit();
    Row::judged(
        &bench,
        "duplicate users (same userName)",
        duplicates.to_string(),
        "0",
        duplicates == 0,
    )
    .emit();
    Ok(())
}

/// SCIM users beyond the first with the same `userName`.
fn duplicate_users(emu: &Emulator) -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for user in emu.state().users {
        if let Some(scim) = user.scim {
            *seen.entry(scim.user_name.to_lowercase()).or_default() += 1;
        }
    }
    seen.values().map(|n| n - 1).sum()
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
