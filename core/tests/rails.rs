//! The rules no event can talk its way past: administrative groups are never
//! granted (`LCM_PRIVILEGED_GROUPS`), only grantable groups are when an
//! allow-list is set (`LCM_GRANTABLE_GROUPS`), removals pass both, an
//! inactive user gets no access until a rehire, and a leaver for nobody says
//! `not_found`.

mod common;

use atlassian_emulator::{GroupKind, LoggedRequest, Seed, SeedGroup};
use atlassian_lcm::config::Key;
use atlassian_lcm::report::{ErrorCode, Report, StepStatus};
use atlassian_lcm::{Outcome, RunOptions};
use common::*;
use serde_json::{json, Value};

/// The demo org with `site-admins` (admin-managed), which Ada is in.
fn seed_with_site_admins() -> Seed {
    let mut seed = Seed::demo();
    seed.groups
        .push(SeedGroup::new("site-admins", GroupKind::AdminManaged));
    let ada = seed
        .users
        .iter_mut()
        .find(|u| u.email == "ada.lovelace@example.com")
        .unwrap();
    ada.groups.push("site-admins".into());
    seed
}

/// True when the request names `group` anywhere (path, query or body), whatever the case.
fn mentions(q: &LoggedRequest, group: &str) -> bool {
    let group = group.to_lowercase();
    let body = q.body.as_ref().map(Value::to_string).unwrap_or_default();
    [q.path.clone(), q.query.clone().unwrap_or_default(), body]
        .iter()
        .any(|s| s.to_lowercase().contains(&group))
}

fn calls_for(emu: &atlassian_emulator::Emulator, group: &str) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|q| mentions(q, group))
        .collect()
}

fn error_of(r: &Report, group: &str) -> ErrorCode {
    let s = step_of(r, &format!("group {group}"), "add_membership");
    assert_eq!(s.status, StepStatus::Failed, "{s:#?}");
    s.error.as_ref().expect("an error").code
}

fn mover(worker: Value, groups: &[&str], mode: &str) -> Value {
    event(
        "mover",
        worker,
        Some(json!({"groups": groups, "mode": mode})),
    )
}

#[tokio::test]
async fn a_joiner_never_gets_site_admins_and_gets_the_rest() {
    let (emu, lcm) = seeded(seed_with_site_admins(), &[]).await;
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["jira-software-users", "site-admins", "engineering"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    assert_eq!(error_of(&r, "site-admins"), ErrorCode::GroupNotGrantable);
    let message = &step_of(&r, "group site-admins", "add_membership")
        .error
        .as_ref()
        .unwrap()
        .message;
    assert!(message.contains("LCM_PRIVILEGED_GROUPS"), "{message}");
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering", "jira-software-users"]
    );
    let calls = calls_for(&emu, "site-admins");
    assert!(calls.is_empty(), "no call at all for it: {calls:#?}");
}

#[tokio::test]
async fn case_variants_and_default_patterns_are_refused_too() {
    let (emu, lcm) = seeded(seed_with_site_admins(), &[]).await;
    let grace = json!({"hrId": "E1002", "workEmail": "grace.hopper@example.com"});
    let r = run(
        &lcm,
        &mover(
            grace,
            &["Site-Admins", "payroll-admins", "confluence-users"],
            "add",
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    // Refused as privileged, not as a case mismatch: no look-up told us the real name.
    assert_eq!(error_of(&r, "Site-Admins"), ErrorCode::GroupNotGrantable);
    // `*-admins` in the default list.
    assert_eq!(error_of(&r, "payroll-admins"), ErrorCode::GroupNotGrantable);
    assert!(calls_for(&emu, "site-admins").is_empty());
    assert!(calls_for(&emu, "payroll-admins").is_empty());
    assert_eq!(
        groups_of(&emu, "grace.hopper@example.com"),
        vec!["confluence-users", "engineering", "jira-software-users"]
    );
}

#[tokio::test]
async fn an_allow_list_grants_only_what_it_matches_exactly() {
    let (emu, lcm) = demo(&[(Key::GrantableGroups, "jira-*,engineering")]).await;
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["jira-software-users", "confluence-users", "engineering", "Engineering"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    assert_eq!(
        error_of(&r, "confluence-users"),
        ErrorCode::GroupNotGrantable
    );
    // The allow-list is exact: a case variant does not match it.
    assert_eq!(error_of(&r, "Engineering"), ErrorCode::GroupNotGrantable);
    assert!(step_of(&r, "group confluence-users", "add_membership")
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("LCM_GRANTABLE_GROUPS"));
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering", "jira-software-users"]
    );
    assert!(calls_for(&emu, "confluence-users").is_empty());
}

#[tokio::test]
async fn removal_is_never_blocked_by_the_grant_rails() {
    let (emu, lcm) = seeded(
        seed_with_site_admins(),
        &[(Key::GrantableGroups, "jira-software-users")],
    )
    .await;
    let ada = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"});
    let r = run(
        &lcm,
        &mover(ada.clone(), &["site-admins", "confluence-users"], "remove"),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        groups_of(&emu, "ada.lovelace@example.com"),
        vec!["engineering", "jira-software-users", "platform-team"]
    );
    // A leaver takes the rest, privileged or not grantable alike.
    let r = run(&lcm, &event("leaver", ada, None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(groups_of(&emu, "ada.lovelace@example.com").is_empty());
}

#[tokio::test]
async fn a_replace_that_names_a_privileged_group_never_removes_it() {
    let (emu, lcm) = seeded(seed_with_site_admins(), &[]).await;
    let ada = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"});
    let r = run(
        &lcm,
        &mover(ada, &["site-admins", "jira-software-users"], "replace"),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Partial, "{r:#?}");
    assert_eq!(error_of(&r, "site-admins"), ErrorCode::GroupNotGrantable);
    assert_eq!(
        groups_of(&emu, "ada.lovelace@example.com"),
        vec!["jira-software-users", "site-admins"]
    );
}

#[tokio::test]
async fn a_deactivated_user_gets_no_access_and_is_told_to_send_a_rehire() {
    let (emu, lcm) = demo(&[]).await;
    let linus = json!({"hrId": "E0999", "workEmail": "linus.former@example.com", "displayName": "Linus Former"});
    let r = run(
        &lcm,
        &mover(
            linus.clone(),
            &["jira-software-users", "engineering"],
            "add",
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    for g in ["jira-software-users", "engineering"] {
        assert_eq!(error_of(&r, g), ErrorCode::InactiveUser);
        let e = step_of(&r, &format!("group {g}"), "add_membership")
            .error
            .clone()
            .unwrap();
        assert!(e.message.contains("rehire"), "{}", e.message);
    }
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    assert!(groups_of(&emu, "linus.former@example.com").is_empty());

    // A joiner for the same person is no back door either.
    let r = run(
        &lcm,
        &event(
            "joiner",
            linus.clone(),
            Some(json!({"groups": ["confluence-users"]})),
        ),
    )
    .await;
    assert_eq!(error_of(&r, "confluence-users"), ErrorCode::InactiveUser);
    assert!(groups_of(&emu, "linus.former@example.com").is_empty());

    // A rehire reactivates first, so its groups go through; its plan shows them too.
    let rehire = event(
        "rehire",
        linus,
        Some(json!({"groups": ["jira-software-users", "engineering"]})),
    );
    let plan = lcm
        .run_json(
            &rehire,
            RunOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(plan.outcome, Outcome::Planned, "{plan:#?}");
    let r = run(&lcm, &rehire).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        groups_of(&emu, "linus.former@example.com"),
        vec!["engineering", "jira-software-users"]
    );
}

#[tokio::test]
async fn a_suspended_admin_account_gets_no_access() {
    let (emu, lcm) = demo(&[]).await;
    // Margaret has no SCIM record: a leaver suspends her in the Admin directory.
    let margaret = json!({"workEmail": "margaret.hamilton@example.com"});
    let r = run(&lcm, &event("leaver", margaret.clone(), None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    emu.clear_requests();
    let r = run(
        &lcm,
        &json!({"action": "MANAGE_RELATIONSHIPS", "worker": margaret,
                "access": {"groups": ["jira-software-users"], "mode": "add"}}),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert_eq!(error_of(&r, "jira-software-users"), ErrorCode::InactiveUser);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}

#[tokio::test]
async fn a_leaver_or_purge_for_nobody_says_not_found_and_changes_nothing() {
    let (emu, lcm) = demo(&[(Key::AllowDelete, "true")]).await;
    let nobody = json!({"hrId": "E9999", "workEmail": "nobody@example.com"});
    for lifecycle in ["leaver", "purge"] {
        let r = run(&lcm, &event(lifecycle, nobody.clone(), None)).await;
        assert_eq!(r.outcome, Outcome::NoChange, "{lifecycle}: {r:#?}");
        let s = step_of(&r, "user nobody@example.com", "find_user");
        assert_eq!(s.status, StepStatus::NoChange);
        assert_eq!(s.error.as_ref().unwrap().code, ErrorCode::NotFound);
        // Machine-readable as the hosts see it.
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["operation"] == "find_user" && s["error"]["code"] == "not_found"));
    }
    assert!(writes(&emu).is_empty());
}
