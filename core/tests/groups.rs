//! MANAGE_RELATIONSHIPS and CHECK against the emulator: routing between the
//! Admin API and SCIM, groups missing in one system or both, names that match
//! only when case is ignored, replace within scope, SCIM pagination.

mod common;

use atlassian_emulator::{GroupKind, Seed, SeedGroup};
use atlassian_lcm::report::{ErrorCode, StepStatus, System};
use atlassian_lcm::{Outcome, Request, RunOptions};
use common::*;
use serde_json::json;

fn relationships(worker: serde_json::Value, groups: &[&str], mode: &str) -> serde_json::Value {
    json!({"action": "MANAGE_RELATIONSHIPS", "worker": worker, "access": {"groups": groups, "mode": mode}})
}

#[tokio::test]
async fn mixed_groups_go_through_the_system_that_owns_each() {
    let (emu, lcm) = demo(&[]).await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm,
        &relationships(
            grace,
            &["confluence-users", "platform-team", "contractors"],
            "add",
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        step_of(&r, "group confluence-users", "add_membership").system,
        Some(System::Admin)
    );
    assert_eq!(
        step_of(&r, "group platform-team", "add_membership").system,
        Some(System::Scim)
    );
    assert_eq!(
        step_of(&r, "group contractors", "add_membership").system,
        Some(System::Scim)
    );
    let w = writes(&emu);
    assert_eq!(w.len(), 3, "{w:?}");
    assert_eq!(
        w.iter()
            .filter(|q| q.method == "POST" && q.path.ends_with("/memberships"))
            .count(),
        1
    );
    assert_eq!(
        w.iter()
            .filter(|q| q.method == "PATCH" && q.path.contains("/Groups/"))
            .count(),
        2
    );
    // No Admin membership call ever targets a synced group.
    let state = emu.state();
    let synced_admin_ids: Vec<String> = state
        .groups
        .iter()
        .filter(|g| g.externally_synced)
        .filter_map(|g| g.admin_id.clone())
        .collect();
    assert!(w.iter().all(|q| !synced_admin_ids
        .iter()
        .any(|id| q.path.contains(id.as_str()))));
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        vec![
            "confluence-users",
            "contractors",
            "engineering",
            "jira-software-users",
            "platform-team"
        ]
    );
}

#[tokio::test]
async fn a_group_missing_in_one_system_or_both_fails_alone() {
    let mut seed = Seed::demo();
    seed.groups
        .push(SeedGroup::new("legacy-synced", GroupKind::AdminOnlySynced));
    let (emu, lcm) = seeded(seed, &[]).await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm,
        &relationships(
            grace,
            &[
                "confluence-users",
                "legacy-synced",
                "no-such-group",
                "contractors",
            ],
            "add",
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    let legacy = step_of(&r, "group legacy-synced", "resolve_group");
    assert_eq!(
        legacy.error.as_ref().unwrap().code,
        ErrorCode::GroupNotFound
    );
    assert!(legacy.error.as_ref().unwrap().message.contains("synced"));
    assert_eq!(
        step_of(&r, "group no-such-group", "resolve_group")
            .error
            .as_ref()
            .unwrap()
            .code,
        ErrorCode::GroupNotFound
    );
    // The others went through: contractors exists only in SCIM.
    assert_eq!(
        step_of(&r, "group contractors", "add_membership").status,
        StepStatus::Done
    );
    assert_eq!(
        step_of(&r, "group confluence-users", "add_membership").status,
        StepStatus::Done
    );
    assert_eq!(writes(&emu).len(), 2);
}

#[tokio::test]
async fn names_matching_only_without_case_are_refused_with_a_hint() {
    let (emu, lcm) = demo(&[]).await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm,
        &relationships(grace, &["Confluence-Users", "Platform-Team"], "add"),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    for (name, existing) in [
        ("Confluence-Users", "confluence-users"),
        ("Platform-Team", "platform-team"),
    ] {
        let e = step_of(&r, &format!("group {name}"), "resolve_group")
            .error
            .clone()
            .unwrap();
        assert_eq!(e.code, ErrorCode::GroupNameCase);
        assert!(
            e.message.contains(&format!("`{existing}`")),
            "{}",
            e.message
        );
    }
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn replace_stays_within_scope_and_spares_protected_groups() {
    let (emu, lcm) = demo(&[(
        atlassian_lcm::config::Key::ProtectedGroups,
        "confluence-users",
    )])
    .await;
    let ada = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"});
    // Ada: jira-software-users, confluence-users, engineering, platform-team.
    let call = json!({"action": "MANAGE_RELATIONSHIPS", "worker": ada,
        "access": {"groups": ["contractors"], "mode": "replace", "scope": ["engineering", "confluence-users", "contractors"]}});
    let r = run(&lcm, &call).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        step_of(&r, "group confluence-users", "remove_membership").status,
        StepStatus::Skipped
    );
    assert_eq!(
        groups_of(&emu, "ada.lovelace@example.com"),
        vec![
            "confluence-users",
            "contractors",
            "jira-software-users",
            "platform-team"
        ]
    );
}

#[tokio::test]
async fn remove_mode_treats_absent_memberships_as_no_change() {
    let (emu, lcm) = demo(&[]).await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm,
        &relationships(grace, &["engineering", "confluence-users"], "remove"),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded);
    assert_eq!(
        step_of(&r, "group confluence-users", "remove_membership").status,
        StepStatus::NoChange
    );
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        vec!["jira-software-users"]
    );
}

#[tokio::test]
async fn memberships_of_an_account_without_scim_record_use_admin() {
    let (emu, lcm) = demo(&[]).await;
    let margaret = json!({"workEmail": "margaret.hamilton@example.com"});
    let r = run(
        &lcm,
        &relationships(margaret.clone(), &["jira-servicemanagement-users"], "add"),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    // A synced group needs a SCIM user id; she has none: that group fails alone, clearly.
    let r = run(&lcm, &relationships(margaret, &["engineering"], "add")).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(
        r.first_error().unwrap().message.contains("no SCIM record"),
        "{r:#?}"
    );
    assert!(groups_of(&emu, "margaret.hamilton@example.com")
        .contains(&"jira-servicemanagement-users".to_string()));
}

#[tokio::test]
async fn check_reports_directories_and_each_groups_route() {
    let (_emu, lcm) = demo(&[]).await;
    let groups = vec![
        "jira-software-users".to_string(),
        "engineering".into(),
        "contractors".into(),
        "Engineering".into(),
    ];
    let r = lcm
        .run(&Request::check(groups), RunOptions::default())
        .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    assert_eq!(
        step_of(&r, "group jira-software-users", "resolve_group").system,
        Some(System::Admin)
    );
    assert_eq!(
        step_of(&r, "group engineering", "resolve_group").system,
        Some(System::Scim)
    );
    assert_eq!(
        step_of(&r, "group contractors", "resolve_group").status,
        StepStatus::Passed
    );
    assert_eq!(
        step_of(&r, "group Engineering", "resolve_group")
            .error
            .as_ref()
            .unwrap()
            .code,
        ErrorCode::GroupNameCase
    );
    let admin = r
        .steps
        .iter()
        .find(|s| s.operation == "check_admin")
        .unwrap();
    assert!(
        admin
            .detail
            .contains("2d9e4f61-7a3b-48c5-b1e0-6c8f5a2d9e34"),
        "{}",
        admin.detail
    );
}

#[tokio::test]
async fn scim_listing_pages_through_every_user() {
    let (emu, lcm) = seeded(Seed::demo().with_bulk_users(230), &[]).await;
    let host = atlassian_lcm::transport::Host {
        http: std::sync::Arc::new(atlassian_lcm::native::ReqwestClient::new().unwrap()),
        sleep: std::sync::Arc::new(atlassian_lcm::native::TokioSleep),
        clock: std::sync::Arc::new(atlassian_lcm::clock::SystemClock),
    };
    let config = std::sync::Arc::new(lcm.config().clone());
    let t = atlassian_lcm::transport::Transport::new(host, config, RunOptions::default());
    let users: Vec<serde_json::Value> = atlassian_lcm::scim::Scim::new(&t)
        .list_all("Users", None)
        .await
        .unwrap();
    let mut ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((total, ids.len()), (236, 236)); // 6 demo users with SCIM records + 230
    assert_eq!(emu.requests().len(), 3, "three pages of 100");
    // A check reports the SCIM directory's `totalResults`, whatever the page size. (It
    // reads Admin directories, one page here; Admin cursor paging is in admin_paging.rs.)
    let r = lcm
        .run(&Request::check(vec![]), RunOptions::default())
        .await;
    assert!(
        r.steps[0].detail.contains("236 users"),
        "{}",
        r.steps[0].detail
    );
}
