//! The bulk executor against the emulator: one worker's events run in input
//! order while different workers overlap (round trips from the emulator's
//! log at fixed latency), and the hold-after-transient-failure option leaves
//! a worker's later events unsent. Run with `--nocapture` for the figures.

mod common;

use atlassian_emulator::{sequential_round_trips, Emulator, Faults, ScriptedFault};
use atlassian_lcm::bulk::{self, BulkItem, BulkOptions, BulkSummary, Finished};
use atlassian_lcm::config::Key;
use atlassian_lcm::{parse_request, ErrorCode, Lcm, Outcome, Report};
use common::*;
use serde_json::{json, Value};

fn lifecycle_event(
    id: &str,
    lifecycle: &str,
    hour: u32,
    worker: Value,
    access: Option<Value>,
) -> Value {
    let mut e = json!({"schemaVersion": "1", "eventId": id, "lifecycle": lifecycle,
        "occurredAt": format!("2026-11-30T{hour:02}:00:00Z"), "worker": worker});
    if let Some(a) = access {
        e["access"] = a;
    }
    e
}

fn person(n: u32) -> Value {
    json!({"hrId": format!("E50{n:02}"), "workEmail": format!("bulk.person{n}@example.com"),
           "givenName": "Bulk", "familyName": format!("Person{n}"), "displayName": format!("Bulk Person{n}")})
}

fn joiner(n: u32, hour: u32) -> Value {
    lifecycle_event(
        &format!("J{n}"),
        "joiner",
        hour,
        person(n),
        Some(json!({"groups": ["confluence-users", "engineering"]})),
    )
}

fn items(events: &[Value]) -> Vec<BulkItem> {
    events
        .iter()
        .map(|e| BulkItem::new(parse_request(e).expect("valid event")))
        .collect()
}

/// Runs `events` and returns the reports in input order with the summary.
async fn run_bulk(lcm: &Lcm, events: &[Value], options: BulkOptions) -> (Vec<Report>, BulkSummary) {
    let mut done: Vec<Option<Report>> = vec![None; events.len()];
    let summary = bulk::run(lcm, items(events), options, |f: Finished| {
        assert!(done[f.index].is_none(), "item {} finished twice", f.index);
        done[f.index] = Some(f.report);
    })
    .await;
    let reports = done
        .into_iter()
        .map(|r| r.expect("every item finishes"))
        .collect();
    (reports, summary)
}

fn scim_active(emu: &Emulator, email: &str) -> Option<bool> {
    emu.state()
        .user(email)
        .and_then(|u| u.scim.as_ref())
        .map(|s| s.active)
}

#[tokio::test]
async fn one_workers_events_run_in_input_order_while_workers_overlap() {
    let (emu, lcm) = demo(&[]).await;
    emu.set_faults(Faults {
        latency_ms: 10,
        ..Faults::default()
    });
    // Interleaved: each worker's leaver comes right behind the other's joiner.
    let events = [
        joiner(1, 9),
        joiner(2, 9),
        lifecycle_event("L1", "leaver", 10, person(1), None),
        lifecycle_event("L2", "leaver", 10, person(2), None),
    ];
    let (reports, summary) = run_bulk(&lcm, &events, BulkOptions::new(4)).await;
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    }
    // A leaver that overtook its joiner would find nobody (or be undone by
    // it): the end state says each ran after its joiner.
    for n in [1, 2] {
        let email = format!("bulk.person{n}@example.com");
        assert_eq!(
            scim_active(&emu, &email),
            Some(false),
            "{email} did not end left"
        );
        assert!(groups_of(&emu, &email).is_empty(), "{email} kept groups");
    }
    assert_eq!(summary.events, 4);
    assert_eq!(summary.outcomes.get(Outcome::Succeeded), 4);
    assert!(summary.all_succeeded());
    let calls: u32 = reports.iter().map(|r| r.api_calls).sum();
    assert_eq!(summary.api_calls, u64::from(calls));
    assert_eq!(summary.api_calls, emu.requests().len() as u64);
}

/// Sequential round trips of four joiners for four workers, `workers` at a time.
async fn four_joiners(workers: usize) -> (usize, u64) {
    // Without the group cache, so that one at a time does the same work as
    // all at once (with it, later joiners skip the look-ups the first made).
    let (emu, lcm) = demo(&[(Key::CacheTtlSeconds, "0")]).await;
    emu.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let events: Vec<Value> = (1..=4).map(|n| joiner(n, 9)).collect();
    let (reports, summary) = run_bulk(&lcm, &events, BulkOptions::new(workers)).await;
    assert!(
        reports.iter().all(|r| r.outcome == Outcome::Succeeded),
        "{reports:#?}"
    );
    (sequential_round_trips(&emu.requests()), summary.api_calls)
}

#[tokio::test]
async fn different_workers_run_concurrently_up_to_the_bound() {
    let (emu, lcm) = demo(&[(Key::CacheTtlSeconds, "0")]).await;
    emu.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let r = run(&lcm, &joiner(1, 9)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let one = sequential_round_trips(&emu.requests());

    let (together, calls_together) = four_joiners(4).await;
    let (two_at_a_time, _) = four_joiners(2).await;
    let (one_at_a_time, calls_alone) = four_joiners(1).await;
    println!(
        "round trips: one joiner {one}; four joiners 4 at a time {together}, 2 at a time \
         {two_at_a_time}, 1 at a time {one_at_a_time}; API calls {calls_together} / {calls_alone}"
    );
    // Four workers at once take about as many round trips as one; one at a
    // time takes four times as many; two at a time, twice.
    assert!(
        together <= one + 1,
        "{together} round trips for 4 concurrent joiners, {one} for one"
    );
    assert!(
        one_at_a_time >= 4 * one - 3,
        "{one_at_a_time} one at a time, {one} for one"
    );
    assert!(two_at_a_time > together && two_at_a_time < one_at_a_time);
    // Concurrency changes the schedule, not the work.
    assert_eq!(calls_together, calls_alone);
}

/// A worker whose joiner fails (POST /Users answered `status` every time),
/// then that worker's mover, then another worker's joiner; one at a time.
async fn failing_first(status: u16, hold: bool) -> (Vec<Report>, BulkSummary, Emulator) {
    let (emu, lcm) = demo(&[]).await;
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("POST".into()),
            path_contains: Some("/Users".into()),
            status,
            times: 6,
            ..ScriptedFault::default()
        }],
        ..Faults::default()
    });
    let events = [
        joiner(1, 9),
        lifecycle_event(
            "M1",
            "mover",
            10,
            person(1),
            Some(json!({"groups": ["contractors"]})),
        ),
        lifecycle_event(
            "M-ada",
            "mover",
            10,
            json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"}),
            Some(json!({"groups": ["contractors"]})),
        ),
    ];
    let options = BulkOptions {
        hold_after_transient_failure: hold,
        ..BulkOptions::new(1)
    };
    let (reports, summary) = run_bulk(&lcm, &events, options).await;
    (reports, summary, emu)
}

#[tokio::test]
async fn a_transient_failure_holds_the_workers_later_events_when_asked() {
    let (reports, summary, emu) = failing_first(503, true).await;
    assert!(reports[0].is_transient_failure(), "{:#?}", reports[0]);
    let held = &reports[1];
    assert_eq!(held.outcome, Outcome::Failed);
    let error = held.error.as_ref().expect("held with an error");
    assert_eq!(error.code, ErrorCode::EarlierEventFailed);
    assert!(error.message.contains("`J1`"), "{}", error.message);
    assert_eq!((held.api_calls, held.event_id.as_deref()), (0, Some("M1")));
    assert!(held.is_transient_failure(), "a held event is retried later");
    // Nothing was sent for the held mover: every request after the joiner's
    // is the other worker's.
    let joiner_calls = reports[0].api_calls as usize;
    assert_eq!(
        emu.requests().len(),
        joiner_calls + reports[2].api_calls as usize
    );
    // The other worker is not held.
    assert_eq!(reports[2].outcome, Outcome::Succeeded, "{:#?}", reports[2]);
    assert_eq!(summary.outcomes.get(Outcome::Failed), 2);
    assert_eq!(summary.not_attempted, 1);
    assert!(!summary.all_succeeded());
}

#[tokio::test]
async fn without_the_option_or_after_a_permanent_failure_later_events_run() {
    for (status, hold) in [(503, false), (400, true)] {
        let (reports, summary, _emu) = failing_first(status, hold).await;
        assert_eq!(reports[0].outcome, Outcome::Failed, "{:#?}", reports[0]);
        assert_eq!(reports[0].is_transient_failure(), status == 503);
        let mover = &reports[1];
        assert!(
            mover.api_calls > 0,
            "{status}/{hold}: the mover was not run: {mover:#?}"
        );
        assert_ne!(
            mover.first_error().map(|e| e.code),
            Some(ErrorCode::EarlierEventFailed)
        );
        assert_eq!(summary.not_attempted, 0);
    }
}
