//! DELETE_IDENTITY exactly as documented: ownership proven by `hrId` or the
//! call forced, for every kind of record; and a purge that stops before
//! deleting anything when a membership removal was refused or failed.

mod common;

use atlassian_emulator::{Emulator, Faults, ScriptedFault};
use atlassian_lcm::config::Key;
use atlassian_lcm::report::{ErrorCode, Report, StepStatus};
use atlassian_lcm::{Lcm, Outcome};
use common::*;
use serde_json::{json, Value};

fn purge(worker: Value, force: bool) -> Value {
    let mut e = event("purge", worker, None);
    if force {
        e["options"] = json!({"force": true});
    }
    e
}

fn deleting() -> [(Key, &'static str); 2] {
    [(Key::AllowDelete, "true"), (Key::DeleteAccounts, "true")]
}

/// Runs the purge without `force` and checks it is refused with no write,
/// then with `force` and checks it went through with a warning.
async fn needs_force(emu: &Emulator, lcm: &Lcm, worker: Value, why: &str) -> Report {
    let r = run(lcm, &purge(worker.clone(), false)).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    let e = r.first_error().unwrap();
    assert_eq!(e.code, ErrorCode::OwnershipConflict, "{e:?}");
    assert!(e.message.contains(why), "{}", e.message);
    assert!(e.message.contains("options.force"), "{}", e.message);
    assert!(writes(emu).is_empty(), "{:#?}", writes(emu));
    let r = run(lcm, &purge(worker, true)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(
        r.warnings.iter().any(|w| w.contains("options.force")),
        "{:?}",
        r.warnings
    );
    r
}

#[tokio::test]
async fn our_own_record_is_deleted_without_force() {
    let (emu, lcm) = demo(&deleting()).await;
    let r = run(
        &lcm,
        &purge(
            json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"}),
            false,
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.warnings.iter().all(|w| !w.contains("force")));
    let state = emu.state();
    assert!(state
        .user("grace.hopper@example.com")
        .unwrap()
        .scim
        .is_none());
}

#[tokio::test]
async fn an_unclaimed_scim_user_needs_force() {
    let (emu, lcm) = demo(&deleting()).await;
    // Alan's record has no externalId: nothing proves it is ours.
    let alan = json!({"hrId": "E2000", "workEmail": "alan.turing@example.com"});
    needs_force(&emu, &lcm, alan, "no externalId").await;
    let state = emu.state();
    let alan = state.user("alan.turing@example.com").unwrap();
    assert!(alan.scim.is_none());
    assert_eq!(alan.status, "for_deletion");
}

#[tokio::test]
async fn another_provisioners_user_needs_force() {
    let (emu, lcm) = demo(&deleting()).await;
    let katherine = json!({"hrId": "E1020", "workEmail": "katherine.johnson@example.com"});
    needs_force(&emu, &lcm, katherine, "another provisioner").await;
    assert!(emu
        .state()
        .user("katherine.johnson@example.com")
        .unwrap()
        .scim
        .is_none());
}

#[tokio::test]
async fn an_input_without_hr_id_needs_force() {
    let (emu, lcm) = demo(&deleting()).await;
    let grace = json!({"workEmail": "grace.hopper@example.com"});
    needs_force(&emu, &lcm, grace, "no hrId").await;
}

#[tokio::test]
async fn an_admin_only_account_needs_force_to_be_deleted() {
    let (emu, lcm) = demo(&deleting()).await;
    let margaret = json!({"hrId": "E1004", "workEmail": "margaret.hamilton@example.com"});
    needs_force(&emu, &lcm, margaret.clone(), "no SCIM record").await;
    let state = emu.state();
    let m = state.user("margaret.hamilton@example.com").unwrap();
    assert_eq!(m.status, "for_deletion");
    assert!(m.groups.is_empty());
    // Replayed, there is nothing left to delete: no proof needed, no change.
    emu.clear_requests();
    let r = run(&lcm, &purge(margaret, false)).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn a_purge_stops_before_deleting_when_the_removal_cap_refuses() {
    let (emu, lcm) = demo(&[
        (Key::AllowDelete, "true"),
        (Key::DeleteAccounts, "true"),
        (Key::MaxRemovals, "1"),
    ])
    .await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(&lcm, &purge(grace, false)).await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert_eq!(r.first_error().unwrap().code, ErrorCode::RemovalCapExceeded);
    let stop = step_of(&r, "user grace.hopper@example.com", "delete_user");
    assert_eq!(stop.status, StepStatus::Skipped);
    assert!(
        stop.detail.contains("nothing was deleted"),
        "{}",
        stop.detail
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let state = emu.state();
    let g = state.user("grace.hopper@example.com").unwrap();
    assert!(g.scim.is_some());
    assert_eq!(g.groups.len(), 2);
}

#[tokio::test]
async fn a_purge_stops_before_deleting_when_a_removal_fails() {
    let (emu, lcm) = demo(&deleting()).await;
    emu.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("DELETE".into()),
            path_contains: Some("/memberships/".into()),
            status: 403,
            times: 100,
            ..Default::default()
        }],
        ..Faults::default()
    });
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(&lcm, &purge(grace, false)).await;
    // The SCIM-routed removal went through; the Admin one did not.
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    assert_eq!(
        step_of(&r, "group jira-software-users", "remove_membership").status,
        StepStatus::Failed
    );
    assert_eq!(
        step_of(&r, "user grace.hopper@example.com", "delete_user").status,
        StepStatus::Skipped
    );
    assert!(!emu
        .requests()
        .iter()
        .any(|q| q.method == "DELETE" && q.path.contains("/Users/")
            || q.path.contains("/lifecycle/")));
    let state = emu.state();
    let g = state.user("grace.hopper@example.com").unwrap();
    assert!(g.scim.is_some(), "the SCIM record is kept");
    assert_eq!(g.status, "active");
}
