//! API calls and sequential round trips for one person's whole lifecycle with
//! ten groups of every kind (four admin-managed, three synced from the
//! identity provider, three known only to SCIM), counted from the emulator's
//! request log at a fixed latency per request, so that requests sent
//! together overlap and requests that wait for another do not. At fixed
//! latency both counts are deterministic, so they are asserted exactly; run
//! with `--nocapture` to see them. The latency (100 ms) is well above how
//! late a request sent together with others may start on a busy machine, so
//! a loaded test run counts the same.
//!
//! The events run on one engine, as in a warm Lambda, one wasm instance or
//! one CLI batch: only the first of them resolves its groups. The cold rows
//! run each event on an engine of its own.

mod common;

use atlassian_emulator::{
    sequential_round_trips, Emulator, Faults, GroupKind, LoggedRequest, Seed, SeedGroup,
};
use atlassian_lcm::{Lcm, Outcome};
use common::*;
use serde_json::{json, Value};

const EMAIL: &str = "mary.somerville@example.com";

/// The groups of the joiner (ten) and, for the mover, two more.
fn seed() -> (Seed, Vec<String>) {
    let mut seed = Seed::demo();
    let kinds = [
        ("product", GroupKind::AdminManaged, 5),
        ("team", GroupKind::Synced, 4),
        ("crew", GroupKind::ScimOnly, 3),
    ];
    let mut names = Vec::new();
    for (prefix, kind, count) in kinds {
        for i in 1..=count {
            let name = format!("{prefix}-{i:02}");
            seed.groups.push(SeedGroup::new(name.clone(), kind));
            // The last admin-managed and synced groups are the mover's new ones.
            if !(prefix == "product" && i == 5 || prefix == "team" && i == 4) {
                names.push(name);
            }
        }
    }
    (seed, names)
}

/// The mover keeps eight groups, leaves `product-04` and `crew-03`, and
/// joins `product-05` (admin-managed) and `team-04` (synced).
fn mover_groups(joiner: &[String]) -> Vec<String> {
    joiner
        .iter()
        .filter(|n| *n != "product-04" && *n != "crew-03")
        .cloned()
        .chain(["product-05".to_string(), "team-04".to_string()])
        .collect()
}

fn leaver() -> Value {
    event("leaver", json!({"hrId": "E3001", "workEmail": EMAIL}), None)
}

/// The lifecycle, in order: name, event, expected outcome.
fn lifecycle(names: &[String]) -> Vec<(&'static str, Value, Outcome)> {
    let mut moved = newcomer();
    moved["title"] = json!("Lead Analyst");
    let groups = json!({"groups": names});
    vec![
        (
            "joiner",
            event("joiner", newcomer(), Some(groups.clone())),
            Outcome::Succeeded,
        ),
        (
            "joiner replay",
            event("joiner", newcomer(), Some(groups.clone())),
            Outcome::NoChange,
        ),
        (
            "mover",
            event(
                "mover",
                moved.clone(),
                Some(json!({"groups": mover_groups(names), "mode": "replace"})),
            ),
            Outcome::Succeeded,
        ),
        ("leaver", leaver(), Outcome::Succeeded),
        ("leaver replay", leaver(), Outcome::NoChange),
        (
            "rehire",
            event("rehire", moved, Some(groups)),
            Outcome::Succeeded,
        ),
    ]
}

/// What one event cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cost {
    calls: usize,
    round_trips: usize,
    writes: usize,
}

async fn measure(emu: &Emulator, lcm: &Lcm, name: &str, e: &Value, want: Outcome) -> Cost {
    emu.clear_requests();
    let r = run(lcm, e).await;
    assert_eq!(r.outcome, want, "{name}: {r:#?}");
    let log: Vec<LoggedRequest> = emu.requests();
    // The report counts exactly what reached Atlassian.
    assert_eq!(r.api_calls as usize, log.len(), "{name}");
    Cost {
        calls: log.len(),
        round_trips: sequential_round_trips(&log),
        writes: log.iter().filter(|q| q.is_write()).count(),
    }
}

async fn slow_emulator() -> (Emulator, Vec<String>) {
    let (seed, names) = seed();
    let emu = Emulator::start(seed).await.expect("emulator starts");
    emu.set_faults(Faults {
        latency_ms: 100,
        ..Faults::default()
    });
    (emu, names)
}

#[tokio::test]
async fn every_lifecycle_at_the_round_trip_limit() {
    let (emu, names) = slow_emulator().await;
    let lcm = engine(config(&emu, &[]));
    let mut costs = Vec::new();
    for (name, e, want) in lifecycle(&names) {
        let cost = measure(&emu, &lcm, name, &e, want).await;
        eprintln!(
            "{name}, 10 groups: {} API calls, {} sequential round trips",
            cost.calls, cost.round_trips
        );
        costs.push((name, cost));
        let mut expect = groups_of(&emu, EMAIL);
        expect.sort();
        match name {
            "joiner" | "joiner replay" | "rehire" => assert_eq!(expect.len(), 10, "{name}"),
            "mover" => assert_eq!(expect, {
                let mut m = mover_groups(&names);
                m.sort();
                m
            }),
            _ => assert!(expect.is_empty(), "{name}: {expect:?}"),
        }
    }
    let cost = |n: &str| costs.iter().find(|(k, _)| *k == n).unwrap().1;
    let c = |calls, round_trips, writes| Cost {
        calls,
        round_trips,
        writes,
    };
    // Look-ups by hrId and e-mail ∥ Admin group search → create ∥ 6 SCIM
    // group look-ups → 10 grants.
    assert_eq!(cost("joiner"), c(20, 3, 11));
    // Look-ups ∥ (groups cached) → the Admin user with groups: reads only.
    assert_eq!(cost("joiner replay"), c(3, 2, 0));
    // Look-ups ∥ Admin user ∥ Admin search for the 2 new groups → PATCH ∥
    // SCIM look-up of the new synced group → 2 grants ∥ 2 removals.
    assert_eq!(cost("mover"), c(10, 3, 5));
    // SCIM look-ups ∥ Admin user with groups ∥ one page of the org's Admin
    // groups (their owners; the engine's first leaver reads it, the next
    // within the TTL has it cached) → 10 removals → deactivate.
    assert_eq!(cost("leaver"), c(15, 3, 11));
    assert_eq!(cost("leaver replay"), c(3, 1, 0));
    // Look-ups ∥ Admin user → reactivate → 10 grants.
    assert_eq!(cost("rehire"), c(14, 3, 11));
}

/// Each event on an engine of its own: nothing cached. The joiner is the
/// same as above; a leaver reads the owners of the Admin groups (one page of
/// the org's groups) beside its look-ups, so it too needs no more round trips
/// than on a warm engine. Its replay reads that page for nothing: one call.
#[tokio::test]
async fn cold_engines_cost_one_resolution_each() {
    let (emu, names) = slow_emulator().await;
    let mut costs = Vec::new();
    for (name, e, want) in lifecycle(&names) {
        let lcm = engine(config(&emu, &[]));
        let cost = measure(&emu, &lcm, name, &e, want).await;
        eprintln!(
            "{name}, 10 groups, cold engine: {} API calls, {} sequential round trips",
            cost.calls, cost.round_trips
        );
        costs.push((name, cost));
    }
    let rts: Vec<(&str, usize, usize)> = costs
        .iter()
        .map(|(n, c)| (*n, c.round_trips, c.calls))
        .collect();
    assert_eq!(
        rts,
        [
            ("joiner", 3, 20),
            ("joiner replay", 2, 10),
            ("mover", 3, 16),
            ("leaver", 3, 15),
            ("leaver replay", 1, 4),
            ("rehire", 3, 21)
        ]
    );
}
