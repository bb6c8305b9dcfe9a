//! DEPROVISION_IDENTITY and DELETE_IDENTITY against the emulator: every
//! membership removed before deactivation, idempotent replays, ownership, the
//! delete opt-in, the removal cap (delete ownership is in `deletion.rs`).

mod common;

use atlassian_lcm::config::Key;
use atlassian_lcm::report::{ErrorCode, StepStatus};
use atlassian_lcm::Outcome;
use common::*;
use serde_json::json;

fn leaver(email: &str) -> serde_json::Value {
    event("leaver", json!({"workEmail": email}), None)
}

fn purge(hr_id: &str, email: &str) -> serde_json::Value {
    event("purge", json!({"hrId": hr_id, "workEmail": email}), None)
}

#[tokio::test]
async fn deprovision_removes_every_membership_then_deactivates() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &leaver("ada.lovelace@example.com")).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let state = emu.state();
    let ada = state.user("ada.lovelace@example.com").unwrap();
    assert!(ada.groups.is_empty(), "{:?}", ada.groups);
    assert!(!ada.scim.as_ref().unwrap().active);
    assert_eq!(ada.account_status, "inactive");
    // Order: the deactivation is the last write, after all four removals.
    let w = writes(&emu);
    assert_eq!(w.len(), 5, "{w:?}");
    let last = w.last().unwrap();
    assert_eq!(last.method, "PATCH");
    assert!(last.path.contains("/Users/"));
    assert!(w[..4]
        .iter()
        .all(|q| q.finished_at_us <= last.started_at_us));
    // Replay: nothing to do, nothing written.
    emu.clear_requests();
    let r = run(&lcm, &leaver("ada.lovelace@example.com")).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn deprovision_of_someone_elses_user_proceeds_and_flags_it() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(
        &lcm,
        &event(
            "leaver",
            json!({"hrId": "E5555", "workEmail": "katherine.johnson@example.com"}),
            None,
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("okta-00u1a2b3c4d5e6f7g8")),
        "{:?}",
        r.warnings
    );
    let state = emu.state();
    let katherine = state.user("katherine.johnson@example.com").unwrap();
    assert!(katherine.groups.is_empty(), "{:?}", katherine.groups);
    // Flagged, and still deactivated: a leaver never leaves access behind
    // because another provisioner created the user.
    assert!(!katherine.scim.as_ref().unwrap().active, "{katherine:?}");
    assert_eq!(katherine.account_status, "inactive");
}

#[tokio::test]
async fn deprovision_without_scim_record_suspends_in_admin() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &leaver("margaret.hamilton@example.com")).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        step_of(&r, "user margaret.hamilton@example.com", "suspend_user").status,
        StepStatus::Done
    );
    let m = emu
        .state()
        .user("margaret.hamilton@example.com")
        .cloned()
        .unwrap();
    assert!(m.groups.is_empty());
    assert_eq!(m.status, "suspended");
}

#[tokio::test]
async fn rehire_lifts_an_admin_suspension() {
    let (emu, lcm) = demo(&[]).await;
    assert_eq!(
        run(&lcm, &leaver("margaret.hamilton@example.com"))
            .await
            .outcome,
        Outcome::Succeeded
    );
    let margaret = json!({"hrId": "E1030", "workEmail": "margaret.hamilton@example.com", "displayName": "Margaret Hamilton"});
    let r = run(
        &lcm,
        &event(
            "rehire",
            margaret,
            Some(json!({"groups": ["jira-software-users"], "mode": "replace"})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        step_of(&r, "user margaret.hamilton@example.com", "restore_access").status,
        StepStatus::Done
    );
    let m = emu
        .state()
        .user("margaret.hamilton@example.com")
        .cloned()
        .unwrap();
    assert_eq!(m.status, "active");
    assert!(m.scim.as_ref().unwrap().active);
    assert_eq!(m.groups, vec!["jira-software-users"]);
}

#[tokio::test]
async fn deprovision_of_a_missing_user_is_no_change() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &leaver("nobody@example.com")).await;
    assert_eq!(r.outcome, Outcome::NoChange);
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn removal_cap_refuses_wholesale_removal() {
    let (emu, lcm) = demo(&[(Key::MaxRemovals, "2")]).await;
    let r = run(&lcm, &leaver("ada.lovelace@example.com")).await;
    let cap = r
        .steps
        .iter()
        .find(|s| s.operation == "remove_memberships")
        .expect("cap step");
    assert_eq!(
        cap.error.as_ref().unwrap().code,
        ErrorCode::RemovalCapExceeded
    );
    assert_eq!(
        groups_of(&emu, "ada.lovelace@example.com").len(),
        4,
        "no membership removed"
    );
    // Deactivation, the safe direction, still happens: the report is partial, not a lie.
    assert_eq!(r.outcome, Outcome::Partial);
}

#[tokio::test]
async fn delete_is_refused_without_opt_in_and_makes_no_call() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &purge("E1002", "grace.hopper@example.com")).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.error.as_ref().unwrap().code, ErrorCode::ActionDisabled);
    assert!(r
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("LCM_ALLOW_DELETE"));
    assert!(emu.requests().is_empty());
    assert_eq!(r.api_calls, 0);
}

#[tokio::test]
async fn delete_with_opt_in_removes_memberships_record_and_account() {
    let (emu, lcm) = demo(&[(Key::AllowDelete, "true"), (Key::DeleteAccounts, "true")]).await;
    let r = run(&lcm, &purge("E1002", "grace.hopper@example.com")).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let state = emu.state();
    let g = state.user("grace.hopper@example.com").unwrap();
    assert!(g.scim.is_none(), "SCIM record deleted");
    assert!(g.groups.is_empty());
    assert_eq!(g.status, "for_deletion");
    // Order: memberships, then the SCIM delete, then the account delete.
    let w: Vec<String> = writes(&emu)
        .iter()
        .map(|q| format!("{} {}", q.method, q.path))
        .collect();
    let scim_delete = w
        .iter()
        .position(|x| x.starts_with("DELETE") && x.contains("/Users/"))
        .unwrap();
    let account_delete = w
        .iter()
        .position(|x| x.ends_with("/lifecycle/delete"))
        .unwrap();
    assert!(scim_delete < account_delete && scim_delete >= 2, "{w:?}");
    // Replay: no change.
    emu.clear_requests();
    let r = run(&lcm, &purge("E1002", "grace.hopper@example.com")).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn delete_keeps_the_account_unless_account_deletion_is_on() {
    let (emu, lcm) = demo(&[(Key::AllowDelete, "true")]).await;
    let r = run(&lcm, &purge("E1003", "joan.clarke@example.com")).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.warnings.iter().any(|w| w.contains("LCM_DELETE_ACCOUNTS")));
    assert!(!emu
        .requests()
        .iter()
        .any(|q| q.path.contains("/lifecycle/")));
}
