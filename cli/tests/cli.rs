//! The `lcm` binary as a person uses it: the demo, plan and run with their exit
//! statuses, check, clear errors for bad input and bad configuration, and no
//! credential in anything it prints.

mod common;

use common::text;

use atlassian_emulator::{Emulator, Seed};
use common::{env_for, lcm};
use serde_json::{json, Value};

fn write_event(name: &str, v: &Value) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("lcm-cli-{}-{name}.json", std::process::id()));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

fn joiner() -> Value {
    json!({"schemaVersion": "1", "eventId": "cli-1", "lifecycle": "joiner",
           "worker": {"hrId": "E4001", "workEmail": "rosalind.franklin@example.com", "displayName": "Rosalind Franklin"},
           "access": {"groups": ["confluence-users", "engineering"]}})
}

#[test]
fn demo_runs_the_whole_lifecycle() {
    let out = lcm().arg("demo").output().unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    for section in [
        "1. Joiner",
        "2. Mover",
        "3. Leaver",
        "4. Replay",
        "5. Rehire",
        "6. Purge",
        "Audit trail",
        "membership.added",
        "user.deactivated",
        "account.deleted",
    ] {
        assert!(t.contains(section), "missing {section} in:\n{t}");
    }
    assert!(!t.contains("failed"), "{t}");
    let json_out = lcm().args(["demo", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    assert_eq!(steps[0]["plan"]["outcome"], "planned");
    assert_eq!(steps[0]["report"]["outcome"], "succeeded");
    assert_eq!(steps[3]["report"]["outcome"], "no_change");
    // The demo ends with a reconcile that finds the lost leaver and the orphan.
    let reconcile = t.split("Reconcile: HR's roster against Atlassian").nth(1);
    let reconcile = reconcile.unwrap_or_else(|| panic!("no reconcile at the end of:\n{t}"));
    for want in [
        "5     deprovision  joan.clarke@example.com",
        "linus.former@example.com",
        "reconcile applied: 0 create, 1 update, 1 deprovision,",
    ] {
        assert!(reconcile.contains(want), "no `{want}` in:\n{reconcile}");
    }
    let plan = &v["reconcile"]["plan"]["summary"];
    assert_eq!(
        (plan["deprovision"].as_u64(), plan["orphans"].as_u64()),
        (Some(1), Some(1)),
        "{v:#}"
    );
    assert_eq!(v["reconcile"]["applied"]["applied"], true);
    assert_eq!(v["reconcile"]["applied"]["failed"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_then_run_then_replay() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let file = write_event("joiner", &joiner());
    let plan = lcm()
        .envs(env_for(&emu))
        .arg("plan")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan));
    let report: Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(report["outcome"], "planned");
    assert_eq!(report["plan"].as_array().unwrap().len(), 3);
    assert!(emu.requests().iter().all(|r| !r.is_write()));

    let run = lcm()
        .envs(env_for(&emu))
        .arg("run")
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains("outcome: succeeded"), "{}", text(&run));
    let mut groups = emu
        .state()
        .user("rosalind.franklin@example.com")
        .unwrap()
        .groups
        .clone();
    groups.sort();
    assert_eq!(groups, vec!["confluence-users", "engineering"]);

    let replay = lcm()
        .envs(env_for(&emu))
        .arg("run")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    assert!(replay.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&replay.stdout).unwrap()["outcome"],
        "no_change"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_and_partial_outcomes_exit_non_zero() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let mut ev = joiner();
    ev["access"]["groups"] = json!(["confluence-users", "no-such-group"]);
    let out = lcm()
        .envs(env_for(&emu))
        .arg("run")
        .arg(write_event("partial", &ev))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no-such-group"));
    let purge = json!({"schemaVersion": "1", "eventId": "p", "lifecycle": "purge", "worker": {"hrId": "E1002", "workEmail": "grace.hopper@example.com"}});
    let out = lcm()
        .envs(env_for(&emu))
        .arg("run")
        .arg(write_event("purge", &purge))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("LCM_ALLOW_DELETE"), "{}", text(&out));
}

#[test]
fn bad_input_is_named_and_needs_no_configuration() {
    let mut ev = joiner();
    ev["worker"]["workEmail"] = json!("rosalind");
    let out = lcm()
        .arg("run")
        .arg(write_event("bad", &ev))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    assert!(
        t.contains("worker.workEmail") && t.contains("`rosalind`"),
        "{t}"
    );
}

#[test]
fn bad_configuration_names_every_variable() {
    let out = lcm()
        .arg("run")
        .arg(write_event("cfg", &joiner()))
        .env("LCM_SCIM_URL", "https://evil.example.com/scim/directory/x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let t = text(&out);
    for name in [
        "LCM_SCIM_TOKEN",
        "LCM_ADMIN_API_KEY",
        "LCM_SCIM_ORGANIZATION_ID",
        "LCM_ALLOW_CUSTOM_ENDPOINTS",
    ] {
        assert!(t.contains(name), "{name} not named in:\n{t}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_and_no_secret_in_output_even_on_401() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let env = env_for(&emu);
    let (scim_token, admin_key) = (emu.scim_token(), emu.admin_api_key());
    let ok = lcm()
        .envs(env.clone())
        .args(["check", "jira-software-users", "engineering"])
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(
        text(&ok).contains("admin-managed") && text(&ok).contains("synced"),
        "{}",
        text(&ok)
    );
    emu.set_tokens(Some("changed".into()), Some("changed-too".into()));
    let mut outputs = vec![text(&ok)];
    for args in [vec!["check", "--json"], vec!["check"]] {
        let out = lcm().envs(env.clone()).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        outputs.push(text(&out));
    }
    assert!(outputs[1].contains("unauthorized"), "{}", outputs[1]);
    for o in outputs {
        assert!(!o.contains(&scim_token) && !o.contains(&admin_key), "{o}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_refuses_a_bad_group_name_and_sends_nothing() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    for bad in [" engineering", ""] {
        let out = lcm()
            .envs(env_for(&emu))
            .args(["check", "engineering", bad])
            .output()
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{t}");
        assert!(
            t.contains("groups[1]") && t.contains(&format!("`{bad}` is not a group name")),
            "{t}"
        );
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        lcm().arg("frobnicate").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(lcm().args(["run"]).output().unwrap().status.code(), Some(2));
    assert!(lcm().arg("--help").output().unwrap().status.success());
}
