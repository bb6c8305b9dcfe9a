use serde_json::json;

use super::*;
use crate::event::parse_roster;
use crate::reconcile::plan::Summary;

fn user(
    id: &str,
    email: &str,
    external_id: Option<&str>,
    title: &str,
    groups: &[&str],
) -> DirectoryUser {
    DirectoryUser {
        user: serde_json::from_value(json!({
            "id": id,
            "userName": email,
            "externalId": external_id,
            "title": title,
            "active": true,
        }))
        .unwrap(),
        account_id: None,
        groups: groups.iter().map(|g| (*g).into()).collect(),
    }
}

/// One roster and one directory holding every kind of drift.
fn fixture() -> (Roster, Directory) {
    let roster = parse_roster(
        r#"{"hrId":"E1","workEmail":"new@example.com","title":"Engineer","groups":["eng","jira-users"]}
{"hrId":"E2","workEmail":"gone@example.com","status":"terminated"}
{"hrId":"E3","workEmail":"retitled@example.com","title":"Staff Engineer","groups":["eng"]}
{"hrId":"E4","workEmail":"moved@example.com","title":"Engineer","groups":["ops"]}
{"hrId":"E5","workEmail":"dropped@example.com","title":"Engineer","groups":["eng"]}
{"hrId":"E6","workEmail":"unclaimed@example.com","title":"Engineer","groups":["eng"]}
{"hrId":"E7","workEmail":"okta@example.com","title":"Engineer","groups":["eng"]}
{"hrId":"E8","workEmail":"same@example.com","title":"Engineer","groups":["eng"]}
{"hrId":"E9","workEmail":"left-long-ago@example.com","status":"terminated"}"#,
    )
    .unwrap();
    let directory = Directory::new(vec![
        user(
            "u2",
            "gone@example.com",
            Some("E2"),
            "Engineer",
            &["eng", "confluence-users"],
        ),
        user(
            "u3",
            "retitled@example.com",
            Some("E3"),
            "Engineer",
            &["eng"],
        ),
        user(
            "u4",
            "moved@example.com",
            Some("E4"),
            "Engineer",
            &["eng", "confluence-users"],
        ),
        user(
            "u5",
            "dropped@example.com",
            Some("E5"),
            "Engineer",
            &["eng", "jira-users"],
        ),
        user("u6", "UNCLAIMED@example.com", None, "Engineer", &["eng"]),
        user("u7", "okta@example.com", Some("00u-okta"), "Engineer", &[]),
        user(
            "u8",
            "same@example.com",
            Some("E8"),
            "Engineer",
            &["eng", "site-admins"],
        ),
        user(
            "u99",
            "contractor@example.com",
            Some("C1"),
            "Contractor",
            &["eng"],
        ),
    ]);
    (roster, directory)
}

fn entry<'p>(plan: &'p Plan, hr: &str) -> &'p PlanEntry {
    plan.entries.iter().find(|e| e.hr_id == hr).unwrap()
}

#[test]
fn every_kind_of_drift_is_planned() {
    let (roster, directory) = fixture();
    let plan = plan(&roster, &directory, &Scope::new(None, &roster));
    check_hires_leavers_and_changes(&plan);
    check_ownership_scope_and_orphans(&plan);
    assert_eq!(
        plan.summary(),
        Summary {
            create: 1,
            update: 2,
            deprovision: 1,
            memberships_added: 3,
            memberships_removed: 2,
            orphans: 1,
            unchanged: 2,
            skipped: 1,
        }
    );
}

fn check_hires_leavers_and_changes(plan: &Plan) {
    let new = entry(plan, "E1");
    assert_eq!(
        (new.action, new.add.as_slice()),
        (
            PlanAction::Create,
            &["eng".to_string(), "jira-users".to_string()][..]
        )
    );

    let gone = entry(plan, "E2");
    assert_eq!(gone.action, PlanAction::Deprovision);
    assert_eq!(
        gone.remove,
        ["confluence-users", "eng"],
        "every membership, out of scope too"
    );

    let retitled = entry(plan, "E3");
    assert_eq!(retitled.action, PlanAction::Update);
    assert_eq!(retitled.changes.len(), 1);
    assert_eq!(
        (
            retitled.changes[0].path.as_str(),
            retitled.changes[0].before.as_deref(),
            retitled.changes[0].after.as_str()
        ),
        ("title", Some("Engineer"), "Staff Engineer")
    );

    let moved = entry(plan, "E4");
    assert_eq!(
        (moved.add.as_slice(), moved.remove.as_slice()),
        (&["ops".to_string()][..], &["eng".to_string()][..])
    );
    assert!(
        moved.changes.is_empty(),
        "confluence-users is out of scope: untouched"
    );

    let dropped = entry(plan, "E5");
    assert_eq!(dropped.remove, ["jira-users"]);

    let unclaimed = entry(plan, "E6");
    assert_eq!(unclaimed.action, PlanAction::Update);
    assert_eq!(
        unclaimed
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect::<Vec<_>>(),
        ["externalId"],
        "adopted; the e-mail matches without case"
    );
}

fn check_ownership_scope_and_orphans(plan: &Plan) {
    let okta = entry(plan, "E7");
    assert_eq!(okta.action, PlanAction::Skip);
    assert!(okta.reason.as_deref().unwrap().contains("00u-okta"));
    assert!(
        okta.add.is_empty(),
        "another provisioner's user gets nothing"
    );

    let same = entry(plan, "E8");
    assert_eq!(
        same.action,
        PlanAction::Unchanged,
        "site-admins is out of scope: {same:?}"
    );
    assert_eq!(
        entry(plan, "E9").action,
        PlanAction::Unchanged,
        "nobody to deprovision"
    );

    assert_eq!(plan.orphans.len(), 1);
    assert_eq!(
        (
            plan.orphans[0].email.as_str(),
            plan.orphans[0].scim_user_id.as_str()
        ),
        ("contractor@example.com", "u99")
    );
}

#[test]
fn a_managed_scope_decides_which_groups_move() {
    let (roster, directory) = fixture();
    let scope = Scope::new(Some(vec!["eng".into(), "confluence-*".into()]), &roster);
    let plan = plan(&roster, &directory, &scope);
    let moved = entry(&plan, "E4");
    assert_eq!(
        moved.remove,
        ["confluence-users", "eng"],
        "ops is out of the managed scope, so is not added"
    );
    assert!(moved.add.is_empty());
    assert_eq!(
        entry(&plan, "E5").action,
        PlanAction::Unchanged,
        "jira-users is out of scope now"
    );
}

#[test]
fn a_deactivated_active_worker_is_reactivated_and_counted_as_an_update() {
    let roster =
        parse_roster(r#"{"hrId":"E1","workEmail":"back@example.com","groups":["eng"]}"#).unwrap();
    let mut u = user("u1", "back@example.com", Some("E1"), "x", &["eng"]);
    u.user.active = Some(false);
    let plan = plan(
        &roster,
        &Directory::new(vec![u]),
        &Scope::new(None, &roster),
    );
    assert!(plan.entries[0].reactivate);
    assert_eq!(plan.summary().update, 1);
}

#[test]
fn a_converged_directory_plans_nothing() {
    let roster = parse_roster(
        r#"{"hrId":"E1","workEmail":"a@example.com","title":"Engineer","groups":["eng"]}
{"hrId":"E2","workEmail":"b@example.com","status":"terminated"}"#,
    )
    .unwrap();
    let mut b = user("u2", "b@example.com", Some("E2"), "Engineer", &[]);
    b.user.active = Some(false);
    let directory = Directory::new(vec![
        user("u1", "a@example.com", Some("E1"), "Engineer", &["eng"]),
        b,
    ]);
    let plan = plan(&roster, &directory, &Scope::new(None, &roster));
    assert_eq!(
        plan.summary(),
        Summary {
            unchanged: 2,
            ..Summary::default()
        }
    );
}

#[test]
fn the_json_document_uses_the_contract_spellings() {
    let (roster, directory) = fixture();
    let plan = plan(&roster, &directory, &Scope::new(None, &roster));
    let summary = serde_json::to_value(plan.summary()).unwrap();
    for key in [
        "create",
        "update",
        "deprovision",
        "membershipsAdded",
        "membershipsRemoved",
        "orphans",
        "unchanged",
    ] {
        assert!(summary[key].is_u64(), "{key} in {summary}");
    }
    let e = serde_json::to_value(entry(&plan, "E3")).unwrap();
    assert_eq!(e["action"], "update");
    assert_eq!(
        e["changes"][0],
        json!({"path": "title", "before": "Engineer", "after": "Staff Engineer"})
    );
    assert_eq!(e["scimUserId"], "u3");
}
