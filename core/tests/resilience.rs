//! Failures on the wire: 429 and 503 storms, rate-limit headers, a real
//! requests-per-second limit, dropped connections, a deadline that runs out,
//! and an account that shows in the Admin API only after a delay.

mod common;

use std::time::Duration;

use atlassian_emulator::{Emulator, Faults, ScriptedFault, Seed};
use atlassian_lcm::clock::{Clock, SystemClock};
use atlassian_lcm::report::{ErrorCode, StepStatus};
use atlassian_lcm::{Outcome, RunOptions};
use common::*;
use serde_json::json;

/// Where fake time starts when nothing outside the engine reads the clock.
const NOW: u64 = 1_764_493_200_000; // 2025-11-30T09:00:00Z

fn ten_groups() -> serde_json::Value {
    json!({"groups": ["jira-software-users", "confluence-users", "engineering", "platform-team", "contractors"]})
}

#[tokio::test]
async fn a_storm_of_429_500_and_503_is_ridden_out() {
    let (emu, lcm) = demo(&[]).await;
    emu.set_faults(Faults {
        seed: 7,
        rate_429: 0.2,
        rate_503: 0.15,
        rate_500: 0.05,
        retry_after_secs: Some(0),
        ..Faults::default()
    });
    let r = run(&lcm, &event("joiner", newcomer(), Some(ten_groups()))).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.retries > 0, "the storm should have forced retries");
    let injected = emu.requests().iter().filter(|q| q.injected_fault).count();
    assert!(injected > 0);
    let r2 = run(
        &lcm,
        &event(
            "leaver",
            json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com"}),
            None,
        ),
    )
    .await;
    assert_eq!(r2.outcome, Outcome::Succeeded, "{r2:#?}");
    emu.clear_faults();
    let state = emu.state();
    let u = state.user("mary.somerville@example.com").unwrap();
    assert!(u.groups.is_empty() && !u.scim.as_ref().unwrap().active);
    // Exactly one user was created despite the faults.
    assert_eq!(
        state
            .users
            .iter()
            .filter(|x| x.email == "mary.somerville@example.com")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_500_on_create_is_looked_up_then_sent_once_more() {
    let (emu, lcm) = demo(&[]).await;
    // The emulator refuses before handling, so the user was not created: the
    // engine must find that out by looking, then create it exactly once more.
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("POST".into()),
            path_contains: Some("/Users".into()),
            status: 500,
            times: 1,
            ..Default::default()
        }],
        ..Faults::default()
    });
    let r = run(&lcm, &event("joiner", newcomer(), None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let creates: Vec<u16> = emu
        .requests()
        .iter()
        .filter(|q| q.method == "POST" && q.path.ends_with("/Users"))
        .map(|q| q.status)
        .collect();
    assert_eq!(creates, vec![500, 201]);
    let lookups_between = emu
        .requests()
        .iter()
        .filter(|q| q.method == "GET" && q.path.ends_with("/Users"))
        .count();
    assert_eq!(
        lookups_between, 4,
        "two look-ups before the first create, two before the second"
    );
}

#[tokio::test]
async fn x_ratelimit_reset_is_honoured() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    // The emulator names the reset as a wall-clock time, so fake time starts there.
    let (lcm, sleep) = engine_on_fake_time(config(&emu, &[]), SystemClock.now_ms());
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            path_contains: Some("/groups/search".into()),
            status: 429,
            times: 1,
            rate_limit_reset_secs: Some(1),
            ..Default::default()
        }],
        ..Faults::default()
    });
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["confluence-users"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(r.retries, 1);
    // The header names a time about a second ahead; the engine waited for it
    // rather than its 5 ms test backoff. The window the 429 spent is followed
    // by one the rate limiter spreads its few requests over: short waits.
    let slept = sleep.slept();
    assert!(
        (Duration::from_millis(500)..Duration::from_secs(2)).contains(&slept[0]),
        "{slept:?}"
    );
    assert!(
        slept[1..].iter().all(|w| *w < Duration::from_millis(100)),
        "{slept:?}"
    );
}

#[tokio::test]
async fn a_requests_per_second_limit_slows_but_does_not_fail() {
    let (emu, lcm) = demo(&[]).await;
    emu.set_faults(Faults {
        requests_per_second: Some(4),
        ..Faults::default()
    });
    let r = run(&lcm, &event("joiner", newcomer(), Some(ten_groups()))).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.retries > 0);
    assert_eq!(groups_of(&emu, "mary.somerville@example.com").len(), 5);
}

/// A joiner into `engineering` (SCIM-routed) whose first two SCIM group
/// writes answer `status` (0: the connection drops): it still succeeds, in
/// three attempts.
async fn joiner_past_two_group_faults(emu: &Emulator, lcm: &atlassian_lcm::Lcm, status: u16) {
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("PATCH".into()),
            path_contains: Some("/Groups/".into()),
            status,
            times: 2,
            ..Default::default()
        }],
        ..Faults::default()
    });
    let groups = json!({"groups": ["engineering"]});
    let r = run(lcm, &event("joiner", newcomer(), Some(groups))).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let attempts = step_of(&r, "group engineering", "add_membership").attempts;
    assert_eq!(attempts, 3, "{r:#?}");
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    let (emu, lcm) = demo(&[]).await;
    joiner_past_two_group_faults(&emu, &lcm, 0).await;
}

#[tokio::test]
async fn a_request_failing_past_the_deadline_is_reported_exactly() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let (lcm, sleep) = engine_on_fake_time(config(&emu, &[]), NOW);
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("POST".into()),
            path_contains: Some("/memberships".into()),
            status: 503,
            times: 10_000,
            retry_after_secs: Some(1),
            ..Default::default()
        }],
        ..Faults::default()
    });
    let opts = RunOptions {
        deadline_ms: Some(NOW + 2_500),
        ..Default::default()
    };
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "engineering"]})),
    );
    let r = lcm.run_json(&ev, opts).await.unwrap();
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    // What changed: the user and the SCIM group. What did not: the Admin group, and why.
    assert_eq!(
        step_of(&r, "user mary.somerville@example.com", "create_user").status,
        StepStatus::Done
    );
    assert_eq!(
        step_of(&r, "group engineering", "add_membership").status,
        StepStatus::Done
    );
    let failed = step_of(&r, "group jira-software-users", "add_membership");
    assert_eq!(failed.status, StepStatus::Failed);
    assert_eq!(
        failed.error.as_ref().unwrap().code,
        ErrorCode::DeadlineExceeded
    );
    assert_eq!(failed.http_status, Some(503));
    // Sent at 0 s, 1 s and 2 s; a third wait would end past the deadline.
    assert_eq!(failed.attempts, 3, "{failed:?}");
    assert_eq!(sleep.slept(), vec![Duration::from_secs(1); 2]);
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering"]
    );
    assert!(r.is_transient_failure());
}

#[tokio::test]
async fn an_account_that_shows_late_in_admin_is_waited_for() {
    let mut seed = Seed::demo();
    seed.options.omit_account_id_on_create = true;
    seed.options.account_visibility_delay_ms = 700;
    let (emu, lcm) = seeded(seed, &[]).await;
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["jira-software-users"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.identity.account_id.is_some());
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["jira-software-users"]
    );
}

/// A joiner for two groups (one Admin-routed, one SCIM-routed) whose new
/// account Admin never shows, on fake time with a 2 s deadline.
async fn joiner_never_visible(
    omit_account_id: bool,
) -> (Emulator, atlassian_lcm::Report, Vec<Duration>) {
    let mut seed = Seed::demo();
    seed.options.omit_account_id_on_create = omit_account_id;
    seed.options.account_visibility_delay_ms = 600_000;
    let emu = Emulator::start(seed).await.unwrap();
    let (lcm, sleep) = engine_on_fake_time(config(&emu, &[]), NOW);
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "engineering"]})),
    );
    let r = lcm
        .run_json(
            &ev,
            RunOptions {
                deadline_ms: Some(NOW + 2_000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    (emu, r, sleep.slept())
}

#[tokio::test]
async fn an_account_that_never_shows_is_reported_not_guessed() {
    let (emu, r, slept) = joiner_never_visible(true).await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    let e = step_of(&r, "group jira-software-users", "add_membership")
        .error
        .clone()
        .unwrap();
    assert_eq!(e.code, ErrorCode::UserNotFound);
    assert!(
        e.message.contains("not visible in the Admin API"),
        "{}",
        e.message
    );
    assert_eq!(
        step_of(&r, "group engineering", "add_membership").status,
        StepStatus::Done
    );
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering"]
    );
    // Polled once for the call, not once per Admin group; the next wait (2 s) would pass the deadline.
    assert_eq!(slept, [250, 500, 1_000].map(Duration::from_millis));
}

#[tokio::test]
async fn a_fresh_account_hidden_from_admin_for_1_5_s_still_gets_all_its_groups() {
    // The create answer carries the account id, so the first Admin membership
    // write goes out at once and meets Atlassian's lag as a 404.
    let mut seed = Seed::demo();
    seed.options.account_visibility_delay_ms = 1_500;
    let (emu, lcm) = seeded(seed, &[]).await;
    let started = std::time::Instant::now();
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["jira-software-users", "confluence-users", "engineering", "contractors"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec![
            "confluence-users",
            "contractors",
            "engineering",
            "jira-software-users"
        ]
    );
    let hidden: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|q| q.path.contains("/memberships") && q.status == 404)
        .collect();
    assert!(!hidden.is_empty(), "the lag was met, not dodged");
    let s = step_of(&r, "group jira-software-users", "add_membership");
    assert!(s.attempts > 1, "{s:#?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_grant_to_an_account_that_stays_hidden_is_retried_then_reported_exactly() {
    let (emu, r, slept) = joiner_never_visible(false).await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    let s = step_of(&r, "group jira-software-users", "add_membership");
    assert_eq!(s.status, StepStatus::Failed);
    assert_eq!(s.http_status, Some(404));
    assert_eq!(
        s.attempts, 4,
        "the first try and three after waiting: {s:#?}"
    );
    assert_eq!(slept, [250, 500, 1_000].map(Duration::from_millis));
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering"]
    );
}

#[tokio::test]
async fn a_404_for_an_account_not_just_created_is_not_waited_for() {
    let (emu, lcm) = demo(&[]).await;
    // The seeded records were created as the emulator started: an hour later
    // they are no longer fresh, and a 404 is an answer, not lag.
    let an_hour_on = SystemClock.now_ms() + 3_600_000;
    let (lcm_fake, sleep) = engine_on_fake_time(lcm.config().clone(), an_hour_on);
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("POST".into()),
            path_contains: Some("/memberships".into()),
            status: 404,
            times: 1,
            ..Default::default()
        }],
        ..Faults::default()
    });
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm_fake,
        &json!({"action": "MANAGE_RELATIONSHIPS", "worker": grace,
                "access": {"groups": ["confluence-users"], "mode": "add"}}),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert!(sleep.slept().is_empty(), "{:?}", sleep.slept());
}

#[tokio::test]
async fn an_account_created_moments_ago_by_another_event_is_waited_for_too() {
    let mut seed = Seed::demo();
    seed.options.account_visibility_delay_ms = 1_000;
    let (emu, lcm) = seeded(seed, &[]).await;
    let r = run(&lcm, &event("joiner", newcomer(), None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    // A mover right behind the joiner: its own run created nothing, but the
    // SCIM record's `meta.created` says the account is seconds old.
    let r = run(
        &lcm,
        &event(
            "mover",
            json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com"}),
            Some(json!({"groups": ["jira-software-users"], "mode": "add"})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["jira-software-users"]
    );
}

#[tokio::test]
async fn a_scim_group_patch_answered_404_for_a_fresh_user_is_sent_again() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let (lcm, sleep) = engine_on_fake_time(config(&emu, &[]), SystemClock.now_ms());
    joiner_past_two_group_faults(&emu, &lcm, 404).await;
    assert_eq!(sleep.slept(), [250, 500].map(Duration::from_millis));
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering"]
    );
}
