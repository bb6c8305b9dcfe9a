//! `lcm reconcile` against the emulator: every kind of drift planned with
//! reads only (within the O(pages) budget), applied until Atlassian matches
//! the roster, a second apply that writes nothing, the deprovision cap
//! refusing a mass deprovision with nothing sent, orphans of ours
//! deprovisioned on request, and a bad roster line refused before any call.

mod common;

use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atlassian_emulator::{Emulator, LoggedRequest, Seed};
use serde_json::Value;

/// Ada drops a product group and keeps an out-of-scope one; Grace is
/// retitled and moves team; Alan is unclaimed (adopted); Katherine is Okta's;
/// Mary is a new hire; Joan left (her leaver was lost). Linus is an orphan.
const ROSTER: &str = r#"{"hrId":"E1001","workEmail":"ada.lovelace@example.com","title":"Engineer","groups":["jira-software-users","engineering","platform-team"]}
{"hrId":"E1002","workEmail":"grace.hopper@example.com","title":"Principal Engineer","groups":["jira-software-users","platform-team"]}
{"hrId":"E1004","workEmail":"alan.turing@example.com","groups":["confluence-users"]}
{"hrId":"E1005","workEmail":"katherine.johnson@example.com","groups":["engineering"]}
{"hrId":"E2001","workEmail":"mary.somerville@example.com","givenName":"Mary","familyName":"Somerville","displayName":"Mary Somerville","groups":["engineering"]}
{"hrId":"E1003","workEmail":"joan.clarke@example.com","status":"terminated"}
"#;

/// The demo organisation with Ada also in a group the roster never names.
fn seed() -> Seed {
    let mut seed = Seed::demo();
    let ada = seed
        .users
        .iter_mut()
        .find(|u| u.email == "ada.lovelace@example.com")
        .unwrap();
    ada.groups.push("jira-servicemanagement-users".into());
    seed
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("reconcile", name)
}

fn lcm(emu: &Emulator, dir: &Path, extra: &[(&str, &str)]) -> Command {
    let mut c = common::lcm_in(emu, dir);
    c.envs(extra.iter().copied());
    c
}

fn reconcile(
    emu: &Emulator,
    dir: &Path,
    roster: &str,
    args: &[&str],
    extra: &[(&str, &str)],
) -> Output {
    let file = dir.join("roster.jsonl");
    std::fs::write(&file, roster).unwrap();
    lcm(emu, dir, extra)
        .arg("reconcile")
        .arg(&file)
        .args(args)
        .output()
        .unwrap()
}

fn document(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document: {e}: {}", text(o)))
}

fn writes(emu: &Emulator) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(LoggedRequest::is_write)
        .collect()
}

fn summary(d: &Value) -> Vec<(&str, u64)> {
    [
        "create",
        "update",
        "deprovision",
        "membershipsAdded",
        "membershipsRemoved",
        "orphans",
        "unchanged",
    ]
    .into_iter()
    .map(|k| {
        (
            k,
            d["summary"][k]
                .as_u64()
                .unwrap_or_else(|| panic!("no summary.{k}: {d:#}")),
        )
    })
    .collect()
}

fn groups(emu: &Emulator, email: &str) -> Vec<String> {
    let mut g = emu.state().user(email).unwrap().groups.clone();
    g.sort();
    g
}

/// One deprovision is the drift here; the default 5 % of six allows none.
const ONE_LEAVER: [(&str, &str); 1] = [("LCM_MAX_DEPROVISIONS", "1")];

/// Each worker's entry and the orphan in the plan of [`ROSTER`]: what
/// differs, before → after.
fn every_drift_is_named(d: &Value) {
    let entry = |email: &str| {
        d["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["email"] == email)
            .unwrap_or_else(|| panic!("no entry for {email}: {d:#}"))
            .clone()
    };
    let ada = entry("ada.lovelace@example.com");
    assert_eq!(
        (ada["action"].as_str(), &ada["remove"]),
        (Some("update"), &serde_json::json!(["confluence-users"]))
    );
    assert!(
        ada.get("changes").is_none(),
        "no attribute changes: {ada:#}"
    );
    let grace = entry("grace.hopper@example.com");
    assert_eq!(grace["changes"][0]["path"], "title");
    assert_eq!(
        (
            grace["changes"][0]["before"].as_str(),
            grace["changes"][0]["after"].as_str()
        ),
        (Some("Staff Engineer"), Some("Principal Engineer"))
    );
    assert_eq!(
        (&grace["add"], &grace["remove"]),
        (
            &serde_json::json!(["platform-team"]),
            &serde_json::json!(["engineering"])
        )
    );
    let alan = entry("alan.turing@example.com");
    assert_eq!(
        (
            alan["changes"][0]["path"].as_str(),
            alan["changes"][0]["after"].as_str()
        ),
        (Some("externalId"), Some("E1004"))
    );
    assert_eq!(entry("katherine.johnson@example.com")["action"], "skip");
    assert_eq!(entry("mary.somerville@example.com")["action"], "create");
    let joan = entry("joan.clarke@example.com");
    assert_eq!(
        (joan["action"].as_str(), &joan["remove"]),
        (Some("deprovision"), &serde_json::json!(["contractors"]))
    );
    let orphans = d["orphans"].as_array().unwrap();
    assert_eq!(orphans.len(), 1, "{d:#}");
    assert_eq!(
        (
            orphans[0]["email"].as_str(),
            orphans[0]["externalId"].as_str(),
            orphans[0]["action"].as_str()
        ),
        (
            Some("linus.former@example.com"),
            Some("E0999"),
            Some("report")
        )
    );
    assert!(
        orphans[0]["scimUserId"].is_string() && orphans[0]["accountId"].is_string(),
        "{d:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_names_every_drift_with_reads_only_within_the_budget() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("plan");
    let out = reconcile(&emu, &dir, ROSTER, &["--json"], &ONE_LEAVER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = document(&out);
    assert_eq!(
        summary(&d),
        [
            ("create", 1),
            ("update", 2),
            ("deprovision", 1),
            ("membershipsAdded", 2),
            ("membershipsRemoved", 2),
            ("orphans", 1),
            ("unchanged", 0)
        ],
        "{d:#}"
    );
    every_drift_is_named(&d);

    assert_eq!(writes(&emu), [], "planning writes nothing");
    // N = 6 people, G = 4 groups in scope: 3·⌈6/100⌉ + 3·4 + 20.
    let reads = emu.requests().len();
    assert!(reads <= 3 + 12 + 20, "{reads} reads");
    assert_eq!(reads, 2, "one page of each listing");
    assert_eq!(d["apiCalls"], 2);
    assert_eq!(d["applied"], false);

    // The same plan for people: a line per worker, the orphan, the counts.
    let out = reconcile(&emu, &dir, ROSTER, &[], &ONE_LEAVER);
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(table.starts_with("reconcile plan: 1 create, 2 update, 1 deprovision, 2 memberships added, 2 removed, 1 orphan, 0 unchanged, 1 skipped\n"), "{table}");
    for want in [
        "title: Staff Engineer → Principal Engineer; +platform-team; -engineering",
        "-contractors; deactivate",
        "linus.former@example.com",
        "2 read requests; nothing was written.",
    ] {
        assert!(table.contains(want), "no `{want}` in\n{table}");
    }
    assert_eq!(writes(&emu), []);
}

/// Atlassian after applying [`ROSTER`]: every drift undone, the orphan,
/// the out-of-scope group and another provisioner's user untouched.
fn atlassian_matches_the_roster(emu: &Emulator) {
    let state = emu.state();
    let mary = state.user("mary.somerville@example.com").unwrap();
    assert_eq!(
        mary.scim
            .as_ref()
            .map(|s| (s.active, s.external_id.as_deref())),
        Some((true, Some("E2001")))
    );
    assert_eq!(groups(emu, "mary.somerville@example.com"), ["engineering"]);
    let joan = state.user("joan.clarke@example.com").unwrap();
    assert_eq!(joan.scim.as_ref().map(|s| s.active), Some(false));
    assert!(joan.groups.is_empty(), "the lost leaver is done: {joan:?}");
    let grace = state.user("grace.hopper@example.com").unwrap();
    assert_eq!(
        grace.scim.as_ref().and_then(|s| s.title.as_deref()),
        Some("Principal Engineer")
    );
    assert_eq!(
        groups(emu, "grace.hopper@example.com"),
        ["jira-software-users", "platform-team"]
    );
    assert_eq!(
        groups(emu, "ada.lovelace@example.com"),
        [
            "engineering",
            "jira-servicemanagement-users",
            "jira-software-users",
            "platform-team"
        ],
        "the product group dropped; the out-of-scope group untouched"
    );
    let alan = state.user("alan.turing@example.com").unwrap();
    assert_eq!(
        alan.scim.as_ref().and_then(|s| s.external_id.as_deref()),
        Some("E1004"),
        "adopted"
    );
    let katherine = state.user("katherine.johnson@example.com").unwrap();
    assert_eq!(
        katherine
            .scim
            .as_ref()
            .and_then(|s| s.external_id.as_deref()),
        Some("okta-00u1a2b3c4d5e6f7g8")
    );
    assert_eq!(
        groups(emu, "katherine.johnson@example.com"),
        ["jira-servicemanagement-users", "payroll-admins"],
        "another provisioner's user is never touched"
    );
    let linus = state.user("linus.former@example.com").unwrap();
    assert!(linus.scim.is_some(), "an orphan is reported, not touched");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_converges_and_a_second_apply_writes_nothing() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("apply");
    let out = reconcile(&emu, &dir, ROSTER, &["--apply", "--json"], &ONE_LEAVER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = document(&out);
    assert_eq!(d["applied"], true);
    assert_eq!(d["failed"], 0, "{d:#}");
    assert_eq!(
        summary(&d),
        [
            ("create", 1),
            ("update", 2),
            ("deprovision", 1),
            ("membershipsAdded", 2),
            ("membershipsRemoved", 2),
            ("orphans", 1),
            ("unchanged", 0)
        ],
        "done counts: {d:#}"
    );
    assert_eq!(
        d["apiCalls"].as_u64(),
        Some(emu.requests().len() as u64),
        "every call counted"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("summary: 5 events: 5 succeeded; "),
        "{stderr}"
    );

    atlassian_matches_the_roster(&emu);

    // Converged: the plan holds nothing but what is not ours to change.
    let before = emu.requests().len();
    let out = reconcile(&emu, &dir, ROSTER, &["--apply", "--json"], &ONE_LEAVER);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = document(&out);
    assert_eq!(
        summary(&d),
        [
            ("create", 0),
            ("update", 0),
            ("deprovision", 0),
            ("membershipsAdded", 0),
            ("membershipsRemoved", 0),
            ("orphans", 1),
            ("unchanged", 5)
        ],
        "{d:#}"
    );
    let again: Vec<_> = emu.requests()[before..]
        .iter()
        .filter(|r| r.is_write())
        .cloned()
        .collect();
    assert_eq!(again, [], "a second apply writes nothing");
    assert_eq!(
        emu.requests().len() - before,
        2,
        "and reads one page of each listing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cap_refuses_a_mass_deprovision_with_nothing_sent() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("cap");
    // The default cap, 5 % of a six-person roster, allows no deprovision.
    let out = reconcile(&emu, &dir, ROSTER, &["--apply", "--json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let d = document(&out);
    assert_eq!(d["applied"], false);
    assert_eq!(d["refused"]["code"], "deprovision_cap_exceeded");
    let message = d["refused"]["message"].as_str().unwrap();
    assert!(message.contains("the plan deprovisions 1 people, more than LCM_MAX_DEPROVISIONS allows (0 for a roster of 6)"), "{message}");
    assert_eq!(writes(&emu), [], "nothing sent");

    // Without --apply the plan is still shown, with the refusal to come.
    let out = reconcile(&emu, &dir, ROSTER, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("refused: the plan deprovisions 1 people"),
        "{}",
        text(&out)
    );
    assert_eq!(writes(&emu), []);
}

#[tokio::test(flavor = "multi_thread")]
async fn orphans_of_ours_are_deprovisioned_on_request_and_others_only_reported() {
    // Linus still active and in a group: only the ledger can say he is not ours.
    let mut seed = seed();
    let linus = seed
        .users
        .iter_mut()
        .find(|u| u.email == "linus.former@example.com")
        .unwrap();
    linus.active = true;
    linus.groups.push("engineering".into());
    let emu = Emulator::start(seed).await.unwrap();
    let dir = scratch("orphans");
    // Hedy joins through this connector, so the ledger knows her HR id; then
    // HR's roster no longer has her at all.
    let joiner = r#"{"schemaVersion":"1","eventId":"J-hedy","lifecycle":"joiner","occurredAt":"2026-11-30T09:00:00Z",
        "worker":{"hrId":"E2002","workEmail":"hedy.lamarr@example.com","displayName":"Hedy Lamarr"},"access":{"groups":["engineering"]}}"#;
    let file = dir.join("joiner.json");
    std::fs::write(&file, joiner).unwrap();
    let out = lcm(&emu, &dir, &[]).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let policy = [
        ("LCM_MAX_DEPROVISIONS", "2"),
        ("LCM_ORPHANS", "deprovision"),
    ];
    let out = reconcile(&emu, &dir, ROSTER, &["--json"], &policy);
    let d = document(&out);
    let action = |email: &str| {
        d["orphans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["email"] == email)
            .map(|o| o["action"].as_str().unwrap().to_string())
    };
    assert_eq!(
        action("hedy.lamarr@example.com").as_deref(),
        Some("deprovision"),
        "{d:#}"
    );
    assert_eq!(
        action("linus.former@example.com").as_deref(),
        Some("report"),
        "not known to be ours: {d:#}"
    );
    assert_eq!(
        d["summary"]["deprovision"], 2,
        "Joan and Hedy, within the cap"
    );

    let out = reconcile(&emu, &dir, ROSTER, &["--apply", "--json"], &policy);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let hedy = emu.state().user("hedy.lamarr@example.com").unwrap().clone();
    assert_eq!(
        hedy.scim.as_ref().map(|s| s.active),
        Some(false),
        "{hedy:?}"
    );
    assert!(hedy.groups.is_empty());
    assert!(emu
        .state()
        .user("linus.former@example.com")
        .unwrap()
        .scim
        .is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_roster_line_is_named_and_nothing_is_sent() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("bad");
    let roster = format!(
        "{ROSTER}{}\n",
        r#"{"hrId":"E3001","workEmail":"not-an-email"}"#
    );
    let out = reconcile(&emu, &dir, &roster, &["--apply"], &ONE_LEAVER);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 7: workEmail: "), "{stderr}");
    assert_eq!(emu.requests().len(), 0, "no call at all");
    // A bad setting is exit 2 too, named, before any call.
    let out = reconcile(&emu, &dir, ROSTER, &[], &[("LCM_ORPHANS", "delete")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("LCM_ORPHANS"),
        "{}",
        text(&out)
    );
    assert_eq!(emu.requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_hire_that_cannot_be_created_fails_alone_and_exits_1() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("nameless");
    let roster = r#"{"hrId":"E1001","workEmail":"ada.lovelace@example.com","title":"CTO","groups":["engineering"]}
{"hrId":"E2009","workEmail":"nameless@example.com","groups":["engineering"]}
"#;
    let out = reconcile(&emu, &dir, roster, &["--apply", "--json"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let d = document(&out);
    assert_eq!(d["failed"], 1, "{d:#}");
    let entry = &d["entries"].as_array().unwrap()[1];
    assert_eq!(entry["outcome"], "failed", "{d:#}");
    assert_eq!(entry["error"]["code"], "invalid_input");
    let message = entry["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("line 2: displayName: a new user needs"),
        "{message}"
    );
    assert_eq!(d["summary"]["create"], 0, "nothing created: {d:#}");
    assert!(emu.state().user("nameless@example.com").is_none());
    // The rest of the plan still ran.
    assert_eq!(d["entries"][0]["outcome"], "succeeded", "{d:#}");
    assert_eq!(d["summary"]["update"], 1, "{d:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn as_of_orders_the_roster_against_the_ledger() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("as-of");
    let out = reconcile(&emu, &dir, ROSTER, &["--as-of", "yesterday"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--as-of"), "{}", text(&out));
    assert!(emu.requests().is_empty(), "a bad --as-of sends nothing");

    // Mary joins at 09:00 through this connector; a roster true as of the
    // day before says nothing about her that is newer, so she is left alone.
    let joiner = r#"{"schemaVersion":"1","eventId":"J-mary","lifecycle":"joiner","occurredAt":"2026-11-30T09:00:00Z",
        "worker":{"hrId":"E2001","workEmail":"mary.somerville@example.com","displayName":"Mary Somerville"},"access":{"groups":["engineering"]}}"#;
    let file = dir.join("joiner.json");
    std::fs::write(&file, joiner).unwrap();
    let out = lcm(&emu, &dir, &[]).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let left = r#"{"hrId":"E2001","workEmail":"mary.somerville@example.com","status":"terminated"}
"#;
    let cap = [("LCM_MAX_DEPROVISIONS", "1")];
    let args = ["--apply", "--json", "--as-of", "2026-11-29T17:00:00Z"];
    let before = writes(&emu).len();
    let out = reconcile(&emu, &dir, left, &args, &cap);
    let d = document(&out);
    let mary = &d["entries"][0];
    assert_eq!(mary["error"]["code"], "stale_event", "{d:#}");
    assert_eq!(
        writes(&emu).len(),
        before,
        "a stale roster line writes nothing"
    );
    assert_eq!(groups(&emu, "mary.somerville@example.com"), ["engineering"]);

    // As of now (the default) the roster is newer: Mary is deprovisioned.
    let out = reconcile(&emu, &dir, left, &["--apply", "--json"], &cap);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(groups(&emu, "mary.somerville@example.com").is_empty());
}

/// A group the grant rails forbid (`payroll-admins` matches the default
/// `*-admins`) is refused in the plan: the table shows it, `--json` lists it
/// under the entry's `refused`, and `--apply` creates the person without it.
#[tokio::test(flavor = "multi_thread")]
async fn a_privileged_group_is_refused_in_the_plan_and_shown() {
    let emu = Emulator::start(seed()).await.unwrap();
    let dir = scratch("refused");
    let roster = r#"{"hrId":"E2001","workEmail":"mary.somerville@example.com","givenName":"Mary","familyName":"Somerville","groups":["engineering","payroll-admins"]}
"#;
    let out = reconcile(&emu, &dir, roster, &[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("+engineering; +payroll-admins refused (group_not_grantable)"),
        "{table}"
    );
    let out = reconcile(&emu, &dir, roster, &["--apply", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let d = document(&out);
    let mary = &d["entries"][0];
    assert_eq!(mary["refused"][0]["group"], "payroll-admins", "{mary}");
    assert_eq!(mary["add"], serde_json::json!(["engineering"]));
    assert_eq!(groups(&emu, "mary.somerville@example.com"), ["engineering"]);
}
