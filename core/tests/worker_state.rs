//! Worker-state events against the emulator: a roster line sent alone, whose
//! action is derived from one person's state in Atlassian (never a directory
//! listing), ordered like any event by `occurredAt`.

mod common;

use atlassian_emulator::Emulator;
use atlassian_lcm::report::ErrorCode;
use atlassian_lcm::worker_state::DerivedAction;
use atlassian_lcm::{Lcm, Outcome, Report, RunOptions};
use common::*;
use serde_json::{json, Value};

/// A worker-state event: the line's fields plus an id and a time.
fn state(id: &str, at: &str, line: Value) -> Value {
    let mut v = line;
    v["eventId"] = json!(id);
    v["occurredAt"] = json!(at);
    v
}

/// Runs `event` on a cleared request log; returns the report and the log.
async fn run_fresh(emu: &Emulator, lcm: &Lcm, event: &Value) -> (Report, usize, usize) {
    emu.clear_requests();
    let report = run(lcm, event).await;
    let all = emu.requests().len();
    let w = writes(emu).len();
    (report, all, w)
}

/// What every state costs before it writes: SCIM by externalId and by
/// userName, and the Admin account with its groups — a leaver's look-ups.
const STATE_READS: usize = 3;

#[tokio::test]
async fn a_new_hire_is_created_and_the_same_state_again_writes_nothing() {
    let (emu, lcm) = demo(&[]).await;
    let line = json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com", "givenName": "Mary",
                      "familyName": "Somerville", "displayName": "Mary Somerville", "title": "Analyst",
                      "groups": ["engineering"]});
    let first = state("ws-1", "2026-11-30T09:00:00Z", line.clone());
    let (report, _, w) = run_fresh(&emu, &lcm, &first).await;
    assert_eq!(report.derived, Some(DerivedAction::Create), "{report:#?}");
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(
        report
            .actions
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["SYNC_IDENTITIES", "MANAGE_RELATIONSHIPS"]
    );
    assert!(w >= 2, "a create and a membership: {w}");
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        ["engineering"]
    );
    assert_eq!(
        serde_json::to_value(&report).unwrap()["derived"],
        "create",
        "the JSON spelling"
    );

    let again = state("ws-2", "2026-11-30T10:00:00Z", line);
    let (report, all, w) = run_fresh(&emu, &lcm, &again).await;
    assert_eq!(
        report.derived,
        Some(DerivedAction::Unchanged),
        "{report:#?}"
    );
    assert_eq!(report.outcome, Outcome::NoChange);
    assert!(report.actions.is_empty());
    assert_eq!((all, w), (STATE_READS, 0), "{:#?}", emu.requests());
    assert_eq!(report.api_calls as usize, STATE_READS);
}

#[tokio::test]
async fn a_retitled_worker_is_updated_and_groups_out_of_the_line_stay() {
    let (emu, lcm) = demo(&[]).await;
    let line = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com",
                      "title": "Principal Engineer", "groups": ["engineering"]});
    let (report, _, _) = run_fresh(&emu, &lcm, &state("ws-g1", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(report.derived, Some(DerivedAction::Update), "{report:#?}");
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let grace = emu
        .state()
        .user("grace.hopper@example.com")
        .cloned()
        .unwrap();
    assert_eq!(
        grace.scim.unwrap().title.as_deref(),
        Some("Principal Engineer")
    );
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        ["engineering", "jira-software-users"],
        "jira-software-users is not in the line's scope: kept"
    );
}

#[tokio::test]
async fn with_managed_groups_a_state_removes_a_managed_group_it_no_longer_lists() {
    let managed = [(
        atlassian_lcm::config::Key::ManagedGroups,
        "jira-*,confluence-*,engineering",
    )];
    let (emu, lcm) = demo(&managed).await;
    let line = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com",
                      "groups": ["engineering", "confluence-users"]});
    let (report, _, _) = run_fresh(&emu, &lcm, &state("ws-m1", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(report.derived, Some(DerivedAction::Groups), "{report:#?}");
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        ["confluence-users", "engineering"],
        "jira-software-users is managed (jira-*) and not listed: removed"
    );
}

#[tokio::test]
async fn a_missing_group_alone_is_a_group_change() {
    let (emu, lcm) = demo(&[]).await;
    let line = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com",
                      "groups": ["confluence-users", "engineering"]});
    let (report, all, w) =
        run_fresh(&emu, &lcm, &state("ws-g2", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(report.derived, Some(DerivedAction::Groups), "{report:#?}");
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(w, 1, "one membership added: {:#?}", emu.requests());
    assert!(all > STATE_READS);
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        ["confluence-users", "engineering", "jira-software-users"]
    );
}

#[tokio::test]
async fn a_deactivated_worker_active_in_hr_is_reactivated() {
    let (emu, lcm) = demo(&[]).await;
    let line = json!({"hrId": "E0999", "workEmail": "linus.former@example.com", "groups": ["engineering"]});
    let (report, _, _) = run_fresh(&emu, &lcm, &state("ws-l1", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(
        report.derived,
        Some(DerivedAction::Reactivate),
        "{report:#?}"
    );
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let linus = emu
        .state()
        .user("linus.former@example.com")
        .cloned()
        .unwrap();
    assert!(linus.scim.unwrap().active, "reactivated");
    assert_eq!(groups_of(&emu, "linus.former@example.com"), ["engineering"]);
}

#[tokio::test]
async fn a_terminated_worker_is_deprovisioned_and_again_is_unchanged() {
    let (emu, lcm) = demo(&[]).await;
    let line =
        json!({"hrId": "E1003", "workEmail": "joan.clarke@example.com", "status": "terminated"});
    let (report, _, _) = run_fresh(
        &emu,
        &lcm,
        &state("ws-j1", "2026-11-30T09:00:00Z", line.clone()),
    )
    .await;
    assert_eq!(
        report.derived,
        Some(DerivedAction::Deprovision),
        "{report:#?}"
    );
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert_eq!(report.actions[0].as_str(), "DEPROVISION_IDENTITY");
    let joan = emu
        .state()
        .user("joan.clarke@example.com")
        .cloned()
        .unwrap();
    assert!(!joan.scim.unwrap().active);
    assert!(groups_of(&emu, "joan.clarke@example.com").is_empty());

    let (report, all, w) =
        run_fresh(&emu, &lcm, &state("ws-j2", "2026-11-30T10:00:00Z", line)).await;
    assert_eq!(
        report.derived,
        Some(DerivedAction::Unchanged),
        "{report:#?}"
    );
    assert_eq!((all, w), (STATE_READS, 0));
}

#[tokio::test]
async fn a_terminated_worker_nobody_knows_is_unchanged_and_said_so() {
    let (emu, lcm) = demo(&[]).await;
    let line = json!({"hrId": "E4040", "workEmail": "nobody@example.com", "status": "terminated"});
    let (report, all, w) =
        run_fresh(&emu, &lcm, &state("ws-n", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(
        report.derived,
        Some(DerivedAction::Unchanged),
        "{report:#?}"
    );
    assert_eq!(report.outcome, Outcome::NoChange);
    assert_eq!(
        report.first_error().map(|e| e.code),
        Some(ErrorCode::NotFound)
    );
    assert_eq!((all, w), (STATE_READS, 0));
}

#[tokio::test]
async fn another_provisioners_user_is_skipped_with_its_reason() {
    let (emu, lcm) = demo(&[]).await;
    let line =
        json!({"hrId": "E1005", "workEmail": "katherine.johnson@example.com", "title": "CFO"});
    let (report, all, w) =
        run_fresh(&emu, &lcm, &state("ws-k", "2026-11-30T09:00:00Z", line)).await;
    assert_eq!(report.derived, Some(DerivedAction::Skip), "{report:#?}");
    assert_eq!(report.outcome, Outcome::Failed);
    let e = report.first_error().unwrap();
    assert_eq!(e.code, ErrorCode::OwnershipConflict);
    assert!(e.message.contains("okta-00u1a2b3c4d5e6f7g8"), "{e:?}");
    assert_eq!((all, w), (STATE_READS, 0));
}

#[tokio::test]
async fn an_older_state_after_a_newer_one_is_stale_and_sends_nothing() {
    let (emu, lcm) = demo(&[]).await;
    let grace = |title: &str| json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com", "title": title});
    let newer = state(
        "ws-new",
        "2026-11-30T10:00:00Z",
        grace("Principal Engineer"),
    );
    let (report, _, _) = run_fresh(&emu, &lcm, &newer).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");

    let older = state("ws-old", "2026-11-30T09:00:00Z", grace("Staff Engineer"));
    let (report, all, _) = run_fresh(&emu, &lcm, &older).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.error.as_ref().unwrap().code, ErrorCode::StaleEvent);
    let after = report.stale_after.as_ref().unwrap();
    assert_eq!(
        (after.event_id.as_str(), after.lifecycle.as_str()),
        ("ws-new", "state")
    );
    assert_eq!(report.derived, None, "nothing was read, so nothing derived");
    assert_eq!(all, 0, "no call at all: {:#?}", emu.requests());

    // A lifecycle event older than the state is stale too, and the other way round.
    let mut mover = event("mover", grace("Staff Engineer"), None);
    mover["occurredAt"] = json!("2026-11-30T09:30:00Z");
    let (report, all, _) = run_fresh(&emu, &lcm, &mover).await;
    assert_eq!(report.error.as_ref().unwrap().code, ErrorCode::StaleEvent);
    assert_eq!(all, 0);
}

#[tokio::test]
async fn a_state_without_occurred_at_is_refused_naming_it_with_no_call() {
    let (emu, lcm) = demo(&[]).await;
    let mut v =
        json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com", "eventId": "ws-x"});
    let e = lcm.run_json(&v, RunOptions::default()).await.unwrap_err();
    assert_eq!(e.field, "occurredAt", "{e:?}");
    v["occurredAt"] = json!("2026-11-30T09:00:00Z");
    v.as_object_mut().unwrap().remove("eventId");
    let e = lcm.run_json(&v, RunOptions::default()).await.unwrap_err();
    assert_eq!(e.field, "eventId", "{e:?}");
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn a_plan_of_a_state_derives_and_writes_nothing() {
    let (emu, lcm) = demo(&[]).await;
    let line =
        json!({"hrId": "E1003", "workEmail": "joan.clarke@example.com", "status": "terminated"});
    emu.clear_requests();
    let report = lcm
        .run_json(
            &state("ws-p", "2026-11-30T09:00:00Z", line),
            RunOptions {
                dry_run: true,
                ..RunOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.derived, Some(DerivedAction::Deprovision));
    assert_eq!(report.outcome, Outcome::Planned, "{report:#?}");
    assert!(!report.plan.is_empty());
    assert!(writes(&emu).is_empty());
}
