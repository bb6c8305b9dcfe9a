//! Planning a reconcile against the emulator: one read of both systems
//! (O(pages), never a look-up per worker) and a plan with every kind of
//! drift the demo organisation holds, written nowhere.

mod common;

use atlassian_emulator::Seed;
use atlassian_lcm::event::parse_roster;
use atlassian_lcm::reconcile::{PlanAction, Summary};
use atlassian_lcm::RunOptions;
use common::*;

const ROSTER: &str = r#"{"hrId":"E1001","workEmail":"ada.lovelace@example.com","title":"Engineer","groups":["jira-software-users","confluence-users","engineering","platform-team"]}
{"hrId":"E1002","workEmail":"grace.hopper@example.com","title":"Principal Engineer","groups":["jira-software-users","engineering","confluence-users"]}
{"hrId":"E1004","workEmail":"alan.turing@example.com","groups":["confluence-users"]}
{"hrId":"E1005","workEmail":"katherine.johnson@example.com","groups":["engineering"]}
{"hrId":"E2001","workEmail":"mary.somerville@example.com","givenName":"Mary","familyName":"Somerville","groups":["engineering"]}
{"hrId":"E1003","workEmail":"joan.clarke@example.com","status":"terminated"}
"#;

#[tokio::test]
async fn planning_reads_pages_once_and_finds_every_drift() {
    let (emu, lcm) = seeded(Seed::demo(), &[]).await;
    let roster = parse_roster(ROSTER).unwrap();
    let planned = lcm
        .plan_reconcile(&roster, None, RunOptions::default())
        .await
        .unwrap();
    let plan = &planned.plan;
    let action = |hr: &str| plan.entries.iter().find(|e| e.hr_id == hr).unwrap();

    assert_eq!(
        action("E1001").action,
        PlanAction::Unchanged,
        "{:?}",
        action("E1001")
    );
    let grace = action("E1002");
    assert_eq!(grace.action, PlanAction::Update);
    assert_eq!(grace.changes[0].after, "Principal Engineer");
    assert_eq!(grace.add, ["confluence-users"]);
    let alan = action("E1004");
    assert_eq!(
        alan.changes
            .iter()
            .map(|c| c.path.as_str())
            .collect::<Vec<_>>(),
        ["externalId"]
    );
    assert_eq!(action("E1005").action, PlanAction::Skip, "Okta's user");
    assert_eq!(action("E2001").action, PlanAction::Create);
    let joan = action("E1003");
    assert_eq!(joan.action, PlanAction::Deprovision);
    assert_eq!(
        joan.remove,
        ["contractors"],
        "every membership, out of scope too"
    );
    let orphans: Vec<_> = plan.orphans.iter().map(|o| o.email.as_str()).collect();
    assert_eq!(
        orphans,
        ["linus.former@example.com"],
        "Margaret has no SCIM record: not an orphan"
    );

    assert_eq!(
        plan.summary(),
        Summary {
            create: 1,
            update: 2,
            deprovision: 1,
            memberships_added: 2,
            memberships_removed: 0,
            orphans: 1,
            unchanged: 1,
            skipped: 1,
        }
    );
    let log = emu.requests();
    assert!(
        log.iter()
            .all(|r| r.method == "GET" || r.path.ends_with("/search")),
        "reads only: {log:#?}"
    );
    // One page of SCIM users and one of Admin accounts, whatever the roster's size.
    assert_eq!(log.len(), 2, "{log:#?}");
    assert_eq!(planned.api_calls, 2);
}

/// 250 people: three pages of each listing, and still no per-worker read.
#[tokio::test]
async fn reads_grow_with_pages_not_people() {
    let mut seed = Seed::demo();
    let mut lines = String::new();
    for i in 0..250 {
        let email = format!("worker{i:03}@example.com");
        let hr = format!("W{i:03}");
        seed.users.push(atlassian_emulator::SeedUser {
            external_id: Some(hr.clone()),
            groups: vec!["engineering".into()],
            ..atlassian_emulator::SeedUser::new(&email, format!("Worker {i}"))
        });
        lines.push_str(&format!(
            "{{\"hrId\":\"{hr}\",\"workEmail\":\"{email}\",\"groups\":[\"engineering\"]}}\n"
        ));
    }
    let (emu, lcm) = seeded(seed, &[]).await;
    let roster = parse_roster(&lines).unwrap();
    let planned = lcm
        .plan_reconcile(&roster, None, RunOptions::default())
        .await
        .unwrap();
    let s = planned.plan.summary();
    assert_eq!(s.unchanged, 250, "{s:?}");
    // The demo's six SCIM users are orphans of this roster (its seventh
    // person has an account and no SCIM record).
    assert_eq!(s.orphans, 6, "{s:?}");
    let pages = (250usize + 7).div_ceil(100);
    assert_eq!(emu.requests().len(), 2 * pages, "{:#?}", emu.requests());
    let budget = 3 * pages + 3 + 20;
    assert!(planned.api_calls as usize <= budget);
}

/// A generated organisation of 5,000 with 2 % known drift: the plan finds
/// exactly that drift, in two listings' pages.
#[tokio::test]
async fn a_large_organisation_plans_its_known_drift_in_pages() {
    let org = atlassian_emulator::large_org(5_000, 2.0, 42);
    let (emu, lcm) = seeded(org.seed.clone(), &[]).await;
    let roster = parse_roster(&org.roster).unwrap();
    let planned = lcm
        .plan_reconcile(&roster, None, RunOptions::default())
        .await
        .unwrap();
    let s = planned.plan.summary();
    let d = org.drift;
    assert_eq!(
        (s.create, s.deprovision, s.update, s.orphans),
        (d.new_hires, d.terminated, d.retitled, d.orphans),
        "{s:?} vs {d:?}"
    );
    assert_eq!(
        (s.memberships_added, s.memberships_removed),
        (d.new_hires * 2 + d.moved, d.moved)
    );
    let in_atlassian = org.seed.users.len();
    assert_eq!(emu.requests().len(), 2 * in_atlassian.div_ceil(100));
}

/// The hosts' one call: roster text in, the document out. A bad line is a
/// roster error with no call; a good roster applies and converges, with
/// the done counts and every call counted.
#[tokio::test]
async fn reconcile_text_is_one_call_from_roster_to_document() {
    use atlassian_emulator::writes;
    use atlassian_lcm::config::Key;
    use atlassian_lcm::reconcile::{ReconcileError, ReconcileOptions};

    let (emu, lcm) = seeded(Seed::demo(), &[(Key::MaxDeprovisions, "1")]).await;
    let apply = ReconcileOptions {
        apply: true,
        ..ReconcileOptions::default()
    };
    let bad = format!("{ROSTER}{{\"hrId\":\"E9\",\"status\":\"gone\"}}\n");
    match lcm.reconcile_text(&bad, apply).await {
        Err(ReconcileError::Roster(e)) => {
            assert_eq!((e.lines.len(), e.lines[0].line), (1, 7), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emu.requests().len(), 0, "no call for a bad roster");

    let done = lcm.reconcile_text(ROSTER, apply).await.unwrap();
    assert!(done.applied && done.succeeded(), "{done:#?}");
    let s = done.summary;
    assert_eq!(
        (s.create, s.update, s.deprovision, s.orphans, s.skipped),
        (1, 2, 1, 1, 1)
    );
    assert_eq!(done.api_calls, emu.requests().len() as u64);
    let run = done.run.expect("the run's figures");
    assert_eq!((run.events, run.api_calls + 2), (4, done.api_calls));

    let before = emu.requests().len();
    let again = lcm.reconcile_text(ROSTER, apply).await.unwrap();
    assert_eq!(again.summary.unchanged, 5, "{:?}", again.summary);
    assert!(writes(&emu.requests()[before..]).is_empty());
}

/// The distributed apply: the plan as JSON Lines items, applied in batches
/// of 2 (as Step Functions' Distributed Map would hand them out), converges
/// the organisation, and the batches' tallies add up to the done counts of
/// the same reconcile applied in one process.
#[tokio::test]
async fn a_plan_applied_as_batches_of_items_converges_and_tallies_like_one_apply() {
    use atlassian_lcm::config::Key;
    use atlassian_lcm::event::Timestamp;
    use atlassian_lcm::reconcile::{plan_items, BatchTally, PlanItem, ReconcileOptions};

    let extra = [(Key::MaxDeprovisions, "1")];
    let (emu, lcm) = seeded(Seed::demo(), &extra).await;
    let roster = parse_roster(ROSTER).unwrap();
    let planned = lcm
        .reconcile(&roster, ReconcileOptions::default(), |_, _| {})
        .await
        .unwrap();
    let as_of = Timestamp::from_millis(1_764_000_000_000);
    let items = plan_items(&planned, &roster, as_of);
    assert_eq!(items.len(), 4, "create, two updates, one deprovision");
    // Through storage and back, as the plan step writes them and the Map reads them.
    let jsonl: String = items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap() + "\n")
        .collect();
    let read: Vec<PlanItem> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(read, items);

    let before = emu.requests().len();
    let mut batches = Vec::new();
    for chunk in read.chunks(2) {
        let applied = lcm.apply_items(chunk, RunOptions::default()).await;
        assert_eq!(applied.results.len(), chunk.len());
        assert_eq!(applied.tally.failed, 0, "{applied:#?}");
        batches.push(applied.tally);
    }
    let total = BatchTally::total(&planned.summary, &batches);
    assert_eq!(total.api_calls as usize, emu.requests().len() - before);

    let (_emu2, lcm2) = seeded(Seed::demo(), &extra).await;
    let apply = ReconcileOptions {
        apply: true,
        as_of: Some(as_of),
        ..ReconcileOptions::default()
    };
    let one = lcm2.reconcile(&roster, apply, |_, _| {}).await.unwrap();
    assert_eq!(total.done, one.summary, "batches add up to one apply");

    let again = lcm
        .reconcile(&roster, ReconcileOptions::default(), |_, _| {})
        .await
        .unwrap();
    assert!(plan_items(&again, &roster, as_of).is_empty(), "converged");
    let replay = lcm.apply_items(&items, RunOptions::default()).await;
    assert_eq!(
        replay.tally.succeeded, 0,
        "a replayed batch changes nothing: {replay:#?}"
    );
}

/// An item altered in storage is refused on its own, naming its field, and
/// sends nothing; the rest of its batch is applied.
#[tokio::test]
async fn a_bad_item_fails_alone_with_no_call() {
    use atlassian_lcm::event::Timestamp;
    use atlassian_lcm::reconcile::{plan_items, ReconcileOptions};
    use atlassian_lcm::ErrorCode;

    let (emu, lcm) = seeded(Seed::demo(), &[]).await;
    let roster = parse_roster(ROSTER).unwrap();
    let planned = lcm
        .reconcile(&roster, ReconcileOptions::default(), |_, _| {})
        .await
        .unwrap();
    let mut items = plan_items(&planned, &roster, Timestamp::from_millis(1_764_000_000_000));
    items.truncate(2);
    items[0].event["worker"]["workEmail"] = serde_json::json!("not-an-email");
    let before = emu.requests().len();
    let applied = lcm.apply_items(&items[..1], RunOptions::default()).await;
    assert_eq!((applied.tally.failed, applied.tally.transient), (1, 0));
    let error = applied.results[0].error.as_ref().unwrap();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(error.message.contains("workEmail"), "{error:?}");
    assert_eq!(emu.requests().len(), before, "no call for a bad item");
    let rest = lcm.apply_items(&items[1..], RunOptions::default()).await;
    assert_eq!(rest.tally.succeeded, 1, "{rest:#?}");
}

/// The rails are checked when planning: a group the connector may never
/// grant (`*-admins` is privileged by default) is taken out of the plan,
/// listed under the entry's `refused`, and never asked for; the rest of the
/// entry is applied.
#[tokio::test]
async fn a_privileged_group_is_refused_in_the_plan_and_never_asked_for() {
    use atlassian_lcm::reconcile::{plan_items, ReconcileOptions};
    use atlassian_lcm::ErrorCode;

    let (emu, lcm) = seeded(Seed::demo(), &[]).await;
    let roster = parse_roster(
        r#"{"hrId":"E2001","workEmail":"mary.somerville@example.com","givenName":"Mary","familyName":"Somerville","groups":["engineering","payroll-admins"]}
{"hrId":"E1001","workEmail":"ada.lovelace@example.com","title":"Engineer","groups":["jira-software-users","confluence-users","engineering","platform-team","site-admins"]}"#,
    )
    .unwrap();
    let planned = lcm
        .reconcile(&roster, ReconcileOptions::default(), |_, _| {})
        .await
        .unwrap();
    let mary = planned
        .entries
        .iter()
        .find(|e| e.plan.hr_id == "E2001")
        .unwrap();
    assert_eq!(
        (mary.plan.action, mary.plan.add.as_slice()),
        (PlanAction::Create, &["engineering".to_string()][..])
    );
    assert_eq!(mary.plan.refused.len(), 1, "{:?}", mary.plan);
    assert_eq!(
        (
            mary.plan.refused[0].group.as_str(),
            mary.plan.refused[0].code
        ),
        ("payroll-admins", ErrorCode::GroupNotGrantable)
    );
    let ada = planned
        .entries
        .iter()
        .find(|e| e.plan.hr_id == "E1001")
        .unwrap();
    assert_eq!(
        ada.plan.action,
        PlanAction::Skip,
        "only a refused grant: {:?}",
        ada.plan
    );
    assert_eq!(ada.plan.refused[0].group, "site-admins");
    let json = serde_json::to_value(&planned).unwrap();
    assert_eq!(
        json["entries"][0]["refused"][0]["code"],
        "group_not_grantable"
    );

    let items = plan_items(
        &planned,
        &roster,
        atlassian_lcm::event::Timestamp::from_millis(1_764_000_000_000),
    );
    assert_eq!(items.len(), 1, "no item for ada");
    assert!(
        !items[0].event.to_string().contains("payroll-admins"),
        "{}",
        items[0].event
    );
    let applied = lcm.apply_items(&items, RunOptions::default()).await;
    assert_eq!(applied.tally.succeeded, 1, "{applied:#?}");
    let groups = groups_of(&emu, "mary.somerville@example.com");
    assert!(
        groups.contains(&"engineering".to_string())
            && !groups.contains(&"payroll-admins".to_string()),
        "{groups:?}"
    );
}
