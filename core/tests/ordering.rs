//! Events applied in HR order through the ordering ledger, against the
//! emulator: stale events make no write and say what they lost to, the record
//! advances only on `succeeded`/`no_change`, equal times apply in arrival
//! order, leases serialize runs for one worker and lapse when a run crashed,
//! and a joiner racing its own leaver always ends with no access.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use atlassian_emulator::Emulator;
use atlassian_lcm::clock::{Clock, SystemClock};
use atlassian_lcm::ledger::{Ledger, MemoryLedger, WorkerKey};
use atlassian_lcm::report::ErrorCode;
use atlassian_lcm::{Lcm, Outcome, Report};
use common::*;
use serde_json::{json, Value};

/// 2026-11-30T09:00:00Z plus `hours`.
fn at(hours: i64) -> String {
    let h = 9 + hours;
    assert!((0..24).contains(&h));
    format!("2026-11-30T{h:02}:00:00Z")
}

/// A lifecycle event with its own id and `occurredAt`.
fn ordered(id: &str, lifecycle: &str, hours: i64, worker: Value, access: Option<Value>) -> Value {
    let mut e = event(lifecycle, worker, access);
    e["eventId"] = json!(id);
    e["occurredAt"] = json!(at(hours));
    e
}

fn ada() -> Value {
    json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"})
}

fn ada_key() -> WorkerKey {
    WorkerKey::from_stored("hr:E1001")
}

/// The demo org, an engine over a ledger the test can read.
async fn setup() -> (Emulator, Lcm, Arc<MemoryLedger>) {
    let (emu, lcm) = demo(&[]).await;
    let ledger = Arc::new(MemoryLedger::default());
    let lcm = lcm.with_ledger(ledger.clone());
    (emu, lcm, ledger)
}

/// Plans an event (a dry run).
async fn dry_run(lcm: &Lcm, event: &Value) -> Report {
    let options = atlassian_lcm::RunOptions {
        dry_run: true,
        ..Default::default()
    };
    lcm.run_json(event, options).await.expect("valid input")
}

fn assert_stale(r: &Report, newer_id: &str, newer_hours: i64) {
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    let e = r.error.as_ref().expect("a report-level error");
    assert_eq!(e.code, ErrorCode::StaleEvent, "{r:#?}");
    assert!(e.message.contains(newer_id), "{}", e.message);
    let newer = r.stale_after.as_ref().expect("staleAfter");
    assert_eq!(newer.event_id, newer_id);
    assert_eq!(
        newer.occurred_at,
        at(newer_hours).replace(":00Z", ":00.000Z")
    );
    assert!(r.steps.is_empty(), "{:#?}", r.steps);
    assert_eq!(r.api_calls, 0, "a stale event makes no call at all");
    assert!(!r.is_transient_failure(), "a stale event stays stale");
}

#[tokio::test]
async fn a_stale_mover_and_a_stale_rehire_after_a_leaver_write_nothing() {
    let (emu, lcm, ledger) = setup().await;
    let r = run(&lcm, &ordered("L", "leaver", 2, ada(), None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    emu.clear_requests();

    let mover = ordered(
        "M",
        "mover",
        1,
        ada(),
        Some(json!({"groups": ["confluence-users"], "mode": "add"})),
    );
    let r = run(&lcm, &mover).await;
    assert_stale(&r, "L", 2);
    let serialized = serde_json::to_value(&r).unwrap();
    assert_eq!(serialized["error"]["code"], "stale_event");
    assert_eq!(serialized["staleAfter"]["lifecycle"], "leaver");
    assert_eq!(serialized["staleAfter"]["eventId"], "L");

    let rehire = ordered(
        "R",
        "rehire",
        1,
        json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "displayName": "Ada Lovelace"}),
        Some(json!({"groups": ["jira-software-users"], "mode": "replace"})),
    );
    assert_stale(&run(&lcm, &rehire).await, "L", 2);
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
    let state = emu.state();
    let user = state.user("ada.lovelace@example.com").unwrap();
    assert!(!user.scim.as_ref().unwrap().active);
    assert!(user.groups.is_empty());
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "L"
    );
}

#[tokio::test]
async fn a_newer_rehire_still_works_and_an_old_leaver_replayed_after_it_changes_nothing() {
    let (emu, lcm, ledger) = setup().await;
    let leaver = ordered("L", "leaver", 1, ada(), None);
    assert_eq!(run(&lcm, &leaver).await.outcome, Outcome::Succeeded);
    let rehire = ordered(
        "R",
        "rehire",
        2,
        json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "displayName": "Ada Lovelace"}),
        Some(json!({"groups": ["jira-software-users"], "mode": "replace"})),
    );
    let r = run(&lcm, &rehire).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(
        emu.state()
            .user("ada.lovelace@example.com")
            .unwrap()
            .scim
            .as_ref()
            .unwrap()
            .active
    );
    assert_eq!(
        groups_of(&emu, "ada.lovelace@example.com"),
        ["jira-software-users"]
    );
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "R"
    );

    emu.clear_requests();
    assert_stale(&run(&lcm, &leaver).await, "R", 2);
    assert!(emu.requests().is_empty());
    assert!(
        emu.state()
            .user("ada.lovelace@example.com")
            .unwrap()
            .scim
            .as_ref()
            .unwrap()
            .active
    );
}

#[tokio::test]
async fn equal_times_apply_in_arrival_order_and_the_same_event_again_is_a_replay() {
    let (emu, lcm, ledger) = setup().await;
    let leaver = ordered("L", "leaver", 1, ada(), None);
    assert_eq!(run(&lcm, &leaver).await.outcome, Outcome::Succeeded);
    // The same instant, later in arrival: not stale.
    let rehire = ordered(
        "R",
        "rehire",
        1,
        json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "displayName": "Ada Lovelace"}),
        Some(json!({"groups": ["confluence-users"], "mode": "replace"})),
    );
    let r = run(&lcm, &rehire).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "R"
    );
    emu.clear_requests();
    let r = run(&lcm, &rehire).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    assert!(writes(&emu).is_empty(), "{:?}", writes(&emu));
    assert!(r.error.is_none());
}

#[tokio::test]
async fn a_failed_run_does_not_advance_so_a_retry_proceeds() {
    let (emu, lcm, ledger) = setup().await;
    let failing = ordered(
        "M2",
        "mover",
        2,
        ada(),
        Some(json!({"groups": ["no-such-group"], "mode": "add"})),
    );
    let r = run(&lcm, &failing).await;
    assert!(!r.outcome.is_success(), "{r:#?}");
    assert_eq!(ledger.read(&ada_key()).await.unwrap(), None, "not advanced");
    // An older event is not refused: the failed one was never recorded.
    let older = ordered(
        "M1",
        "mover",
        1,
        ada(),
        Some(json!({"groups": ["contractors"], "mode": "add"})),
    );
    let r = run(&lcm, &older).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(groups_of(&emu, "ada.lovelace@example.com").contains(&"contractors".to_string()));
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "M1"
    );
    // The retry of the failed event proceeds (and fails again on its own merits).
    let r = run(&lcm, &failing).await;
    assert_ne!(
        r.error.as_ref().map(|e| e.code),
        Some(ErrorCode::StaleEvent)
    );
    assert!(
        r.steps.iter().any(|s| s
            .error
            .as_ref()
            .is_some_and(|e| e.code == ErrorCode::GroupNotFound)),
        "{r:#?}"
    );
}

#[tokio::test]
async fn a_leaver_for_someone_found_nowhere_advances_and_a_later_older_joiner_is_refused() {
    let (emu, lcm, ledger) = setup().await;
    let worker = json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com"});
    let r = run(&lcm, &ordered("L", "leaver", 2, worker.clone(), None)).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    let key = WorkerKey::from_stored("hr:E3001");
    assert_eq!(
        ledger.read(&key).await.unwrap().unwrap().lifecycle,
        "leaver"
    );
    emu.clear_requests();
    let joiner = ordered(
        "J",
        "joiner",
        1,
        newcomer(),
        Some(json!({"groups": ["engineering"], "mode": "add"})),
    );
    assert_stale(&run(&lcm, &joiner).await, "L", 2);
    assert!(emu.requests().is_empty());
    assert!(emu.state().user("mary.somerville@example.com").is_none());
}

#[tokio::test]
async fn a_plan_reads_the_ledger_but_never_writes_it() {
    let (emu, lcm, ledger) = setup().await;
    assert!(run(&lcm, &ordered("L", "leaver", 2, ada(), None))
        .await
        .outcome
        .is_success());
    let mover = ordered(
        "M",
        "mover",
        1,
        ada(),
        Some(json!({"groups": ["contractors"]})),
    );
    let plan = dry_run(&lcm, &mover).await;
    assert_stale(&plan, "L", 2);
    assert!(plan.dry_run);
    // A newer plan is planned, and the record stays the leaver's.
    let newer = ordered(
        "M3",
        "mover",
        3,
        ada(),
        Some(json!({"groups": ["contractors"]})),
    );
    let plan = dry_run(&lcm, &newer).await;
    // Not stale: it is planned past the ledger. (Its grants then meet the
    // inactive-user rule, since the leaver deactivated the account.)
    assert!(plan.stale_after.is_none(), "{plan:#?}");
    assert_ne!(
        plan.error.as_ref().map(|e| e.code),
        Some(atlassian_lcm::ErrorCode::StaleEvent)
    );
    assert!(plan.dry_run);
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "L"
    );
    // The plan took no lease: another owner can take it at once.
    let now = SystemClock.now_ms();
    assert!(ledger
        .try_lease(&ada_key(), "x", now, now + 10)
        .await
        .unwrap());
    drop(emu);
}

#[tokio::test]
async fn unordered_calls_are_serialized_but_never_recorded() {
    let (_emu, lcm, ledger) = setup().await;
    assert!(run(&lcm, &ordered("L", "leaver", 2, ada(), None))
        .await
        .outcome
        .is_success());
    // A lifecycle event without occurredAt: applied, with a warning, not recorded.
    let mut mover = ordered(
        "M",
        "mover",
        1,
        ada(),
        Some(json!({"groups": ["contractors"]})),
    );
    mover.as_object_mut().unwrap().remove("occurredAt");
    let r = run(&lcm, &mover).await;
    assert_ne!(
        r.error.as_ref().map(|e| e.code),
        Some(ErrorCode::StaleEvent),
        "{r:#?}"
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("occurredAt")),
        "{:?}",
        r.warnings
    );
    // A direct call: not judged, not recorded.
    let call = json!({"action": "DEPROVISION_IDENTITY", "worker": ada()});
    let r = run(&lcm, &call).await;
    assert!(r.outcome.is_success(), "{r:#?}");
    assert!(
        r.warnings.iter().all(|w| !w.contains("occurredAt")),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        ledger.read(&ada_key()).await.unwrap().unwrap().event_id,
        "L"
    );
}

#[tokio::test]
async fn every_report_carries_the_ledgers_scope_warning() {
    let (_emu, lcm) = demo(&[]).await;
    let lcm = lcm.with_ledger(Arc::new(MemoryLedger::with_warning("only in this process")));
    let r = run(&lcm, &ordered("L", "leaver", 1, ada(), None)).await;
    assert!(
        r.warnings.iter().any(|w| w == "only in this process"),
        "{:?}",
        r.warnings
    );
    let r = lcm
        .run_json(&json!({"action": "CHECK"}), Default::default())
        .await
        .unwrap();
    assert!(
        r.warnings.iter().any(|w| w == "only in this process"),
        "{:?}",
        r.warnings
    );
}

#[tokio::test]
async fn a_busy_worker_fails_as_transient_and_a_crashed_runs_lease_lapses() {
    let (emu, lcm) = demo(&[]).await;
    let ledger = Arc::new(MemoryLedger::default());
    let now = SystemClock.now_ms();
    // A run that never gives its lease back.
    assert!(ledger
        .try_lease(&ada_key(), "crashed", now, u64::MAX)
        .await
        .unwrap());
    let (fake, sleep) = engine_on_fake_time(config(&emu, &[]), now);
    let fake = fake.with_ledger(ledger.clone());
    let r = run(&fake, &ordered("L", "leaver", 1, ada(), None)).await;
    assert_eq!(
        r.error.as_ref().map(|e| e.code),
        Some(ErrorCode::WorkerBusy),
        "{r:#?}"
    );
    assert_eq!(r.api_calls, 0);
    assert!(emu.requests().is_empty());
    assert!(r.is_transient_failure());
    let waited: Duration = sleep.slept().iter().sum();
    assert!(waited >= Duration::from_secs(9), "waited {waited:?}");

    // A crashed run whose lease lapses in 300 ms: the next run waits, then proceeds.
    let lcm = lcm.with_ledger(ledger.clone());
    let other = WorkerKey::from_stored("hr:E1002");
    let now = SystemClock.now_ms();
    assert!(ledger
        .try_lease(&other, "crashed", now, now + 300)
        .await
        .unwrap());
    let started = Instant::now();
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(&lcm, &ordered("L2", "leaver", 1, grace, None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    // It gave its own lease back.
    let now = SystemClock.now_ms();
    assert!(ledger
        .try_lease(&other, "next", now, now + 10)
        .await
        .unwrap());
}

/// One joiner and its leaver (an hour later), both started at once on two
/// engines sharing one ledger, `joiner_first` deciding which is spawned first.
async fn race(emu: &Emulator, engines: [&Lcm; 2], n: usize, joiner_first: bool) {
    let email = format!("racer{n}@example.com");
    let worker = json!({"hrId": format!("E6{n:03}"), "workEmail": email, "displayName": format!("Racer {n}")});
    let joiner = ordered(
        &format!("J{n}"),
        "joiner",
        1,
        worker.clone(),
        Some(json!({"groups": ["jira-software-users", "engineering"], "mode": "add"})),
    );
    let leaver = ordered(&format!("L{n}"), "leaver", 2, worker, None);
    let (a, b) = (engines[0].clone(), engines[1].clone());
    let spawn_joiner = || tokio::spawn(async move { run(&a, &joiner).await });
    let spawn_leaver = || tokio::spawn(async move { run(&b, &leaver).await });
    let (j, l) = if joiner_first {
        let j = spawn_joiner();
        (j, spawn_leaver())
    } else {
        let l = spawn_leaver();
        (spawn_joiner(), l)
    };
    let (j, l) = (j.await.unwrap(), l.await.unwrap());
    assert!(l.outcome.is_success(), "leaver {n}: {l:#?}");
    let joiner_code = j.error.as_ref().map(|e| e.code);
    assert!(
        j.outcome == Outcome::Succeeded || joiner_code == Some(ErrorCode::StaleEvent),
        "joiner {n}: {j:#?}"
    );
    let state = emu.state();
    if let Some(user) = state.user(&email) {
        assert!(user.groups.is_empty(), "{email} kept {:?}", user.groups);
        assert!(
            !user.scim.as_ref().is_some_and(|s| s.active),
            "{email} is active"
        );
        assert_ne!(user.account_status, "active", "{email}'s account is active");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_racing_joiner_and_leaver_pairs_always_end_without_access() {
    let (emu, a) = demo(&[]).await;
    let ledger: Arc<dyn Ledger> = Arc::new(MemoryLedger::default());
    let a = a.with_ledger(ledger.clone());
    let b = engine(config(&emu, &[])).with_ledger(ledger);
    let mut pairs = Vec::new();
    for n in 0..20 {
        let (emu, a, b) = (&emu, &a, &b);
        pairs.push(async move { race(emu, [a, b], n, n % 2 == 0).await });
    }
    futures::future::join_all(pairs).await;
}
