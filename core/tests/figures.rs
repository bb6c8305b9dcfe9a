//! API calls and sequential round trips for a joiner and a leaver with ten
//! groups (five admin-managed, five synced), from the emulator's request log
//! with 20 ms of latency per request so that overlap is visible. Call counts
//! are deterministic, so they are asserted; run with `--nocapture` to see them.

mod common;

use atlassian_emulator::{sequential_round_trips, Faults, GroupKind, Seed, SeedGroup};
use atlassian_lcm::Outcome;
use common::*;
use serde_json::json;

fn ten_group_seed() -> (Seed, Vec<String>) {
    let mut seed = Seed::demo();
    let mut names = Vec::new();
    for i in 1..=5 {
        seed.groups.push(SeedGroup::new(
            format!("product-{i:02}"),
            GroupKind::AdminManaged,
        ));
        seed.groups
            .push(SeedGroup::new(format!("team-{i:02}"), GroupKind::Synced));
        names.push(format!("product-{i:02}"));
        names.push(format!("team-{i:02}"));
    }
    (seed, names)
}

#[tokio::test]
async fn joiner_and_leaver_with_ten_groups() {
    let (seed, names) = ten_group_seed();
    let (emu, lcm) = seeded(seed, &[]).await;
    emu.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });

    let r = run(
        &lcm,
        &event("joiner", newcomer(), Some(json!({"groups": names}))),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let log = emu.requests();
    let joiner = (log.len(), sequential_round_trips(&log), r.api_calls);
    assert_eq!(groups_of(&emu, "mary.somerville@example.com").len(), 10);

    emu.clear_requests();
    let r = run(
        &lcm,
        &event(
            "leaver",
            json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com"}),
            None,
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let log = emu.requests();
    let leaver = (log.len(), sequential_round_trips(&log), r.api_calls);
    assert!(groups_of(&emu, "mary.somerville@example.com").is_empty());

    eprintln!(
        "joiner, 10 groups: {} API calls, {} sequential round trips",
        joiner.0, joiner.1
    );
    eprintln!(
        "leaver, 10 groups: {} API calls, {} sequential round trips",
        leaver.0, leaver.1
    );
    // The report counts exactly what reached Atlassian.
    assert_eq!((joiner.0 as u32, leaver.0 as u32), (joiner.2, leaver.2));
    // 2 look-ups, 1 create, 1 Admin group search, 5 SCIM group look-ups, 10 adds.
    assert_eq!(joiner.0, 19);
    // 1 SCIM look-up, 1 Admin user search, 1 Admin group search, 10 removals, 1 deactivation.
    assert_eq!(leaver.0, 14);
    // Writes and look-ups overlap: far fewer round trips than calls.
    assert!(joiner.1 <= 8 && leaver.1 <= 8, "{joiner:?} {leaver:?}");
}
