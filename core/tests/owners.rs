//! A leaver learns which system owns each of its Admin groups from one page
//! of the organization's groups, read beside its look-ups. These tests cover
//! what that page cannot settle: an organization with more groups than one
//! page holds, a group the page shows synced from an identity provider, and a
//! page cached by the engine that has gone stale.

mod common;

use atlassian_emulator::{
    sequential_round_trips, Faults, GroupKind, LoggedRequest, Seed, SeedGroup,
};
use atlassian_lcm::report::StepStatus;
use atlassian_lcm::Outcome;
use common::*;
use serde_json::{json, Value};

const ADA: &str = "ada.lovelace@example.com";

fn leaver(email: &str) -> Value {
    event("leaver", json!({"workEmail": email}), None)
}

/// Admin group searches, as the `groupNames` each carried (`None`: the
/// unfiltered page of every group).
fn group_searches(log: &[LoggedRequest]) -> Vec<Option<Vec<String>>> {
    log.iter()
        .filter(|q| q.path.ends_with("/groups/search"))
        .map(|q| {
            let names = q.body.as_ref()?.get("groupNames")?.as_array()?.clone();
            Some(
                names
                    .iter()
                    .map(|n| n.as_str().unwrap_or_default().to_string())
                    .collect(),
            )
        })
        .collect()
}

/// Admin membership writes addressed to the group with this Admin id.
fn admin_writes_to(log: &[LoggedRequest], admin_id: &str) -> usize {
    log.iter()
        .filter(|q| q.is_write() && q.path.contains(&format!("/groups/{admin_id}/memberships")))
        .count()
}

/// The Admin id the emulator gave the group named `name`.
fn admin_id(emu: &atlassian_emulator::Emulator, name: &str) -> String {
    let state = emu.state();
    let g = state
        .groups
        .iter()
        .find(|g| g.name == name)
        .expect("seeded");
    g.admin_id.clone().expect("known to Admin")
}

/// 120 admin-managed groups that sort before every demo group, so the first
/// page of the organization's groups holds none of Ada's.
#[tokio::test]
async fn groups_past_the_first_page_are_resolved_by_name() {
    let mut seed = Seed::demo();
    for i in 0..120 {
        seed.groups.insert(
            0,
            SeedGroup::new(format!("aa-{i:03}"), GroupKind::AdminManaged),
        );
    }
    let (emu, lcm) = seeded(seed, &[]).await;
    emu.set_faults(Faults {
        latency_ms: 100,
        ..Faults::default()
    });
    let r = run(&lcm, &leaver(ADA)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(groups_of(&emu, ADA).is_empty());
    let log = emu.requests();
    // The page, then a search for the two admin-managed groups it did not
    // show (SCIM named the synced two): one round trip more than the page saves.
    assert_eq!(
        group_searches(&log),
        [
            None,
            Some(vec![
                "jira-software-users".to_string(),
                "confluence-users".to_string()
            ])
        ]
    );
    assert_eq!(sequential_round_trips(&log), 4);
}

/// `payroll-admins` becomes a group Admin shows synced from an identity
/// provider that this SCIM directory does not have: the page says so, so no
/// Admin removal is sent for it; resolved by name it is refused for that
/// group alone, and every other membership goes.
#[tokio::test]
async fn a_group_the_page_shows_synced_gets_no_admin_removal() {
    let mut seed = Seed::demo();
    for g in &mut seed.groups {
        if g.name == "payroll-admins" {
            g.kind = GroupKind::AdminOnlySynced;
        }
    }
    let (emu, lcm) = seeded(seed, &[]).await;
    let r = run(&lcm, &leaver("katherine.johnson@example.com")).await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    let log = emu.requests();
    assert_eq!(admin_writes_to(&log, &admin_id(&emu, "payroll-admins")), 0);
    let payroll = step_of(&r, "group payroll-admins", "remove_membership");
    assert_eq!(payroll.status, StepStatus::Failed, "{payroll:#?}");
    let jsm = step_of(
        &r,
        "group jira-servicemanagement-users",
        "remove_membership",
    );
    assert_eq!(jsm.status, StepStatus::Done, "{jsm:#?}");
    assert_eq!(
        groups_of(&emu, "katherine.johnson@example.com"),
        ["payroll-admins"]
    );
}

/// The engine keeps the page for the TTL. When a group on it has since moved
/// to an identity provider, Admin refuses the removal (403): the group is
/// read again by name, the page dropped, and the next leaver reads a new one.
#[tokio::test]
async fn a_stale_cached_page_is_read_again() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &leaver("grace.hopper@example.com")).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");

    let mut changed = Seed::demo();
    for g in &mut changed.groups {
        if g.name == "jira-software-users" {
            g.kind = GroupKind::AdminOnlySynced;
        }
    }
    emu.reset(changed).expect("reset");
    emu.clear_requests();
    let r = run(&lcm, &leaver("margaret.hamilton@example.com")).await;
    let log = emu.requests();
    // The cached page answered: no unfiltered search, one 403, one search by name.
    assert_eq!(
        group_searches(&log),
        [Some(vec!["jira-software-users".to_string()])],
        "{log:#?}"
    );
    let refused: Vec<u16> = log
        .iter()
        .filter(|q| q.is_write() && q.status >= 400)
        .map(|q| q.status)
        .collect();
    assert_eq!(refused, [403]);
    let jsu = step_of(&r, "group jira-software-users", "remove_membership");
    assert_eq!(jsu.status, StepStatus::Failed, "{jsu:#?}");
    let cu = step_of(&r, "group confluence-users", "remove_membership");
    assert_eq!(cu.status, StepStatus::Done, "{cu:#?}");

    emu.clear_requests();
    run(&lcm, &leaver("alan.turing@example.com")).await;
    assert_eq!(group_searches(&emu.requests()), [None]);
}
