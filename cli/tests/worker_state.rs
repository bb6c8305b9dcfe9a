//! `lcm run` with worker-state events: roster lines in a `.jsonl` file, each
//! run as one event whose action is derived from Atlassian's state, ordered
//! through the CLI's ledger like any event.

mod common;

use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atlassian_emulator::{Emulator, Seed};
use serde_json::{json, Value};

fn lcm(emu: &Emulator, dir: &Path) -> Command {
    common::lcm_in(emu, dir)
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("state", name)
}

fn states(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn derived(out: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| {
            (
                r["derived"].as_str().unwrap_or("-").to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_of_worker_states_derives_each_action_and_a_replay_writes_nothing() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("day");
    let at = "2026-11-30T09:00:00Z";
    let file = dir.join("states.jsonl");
    std::fs::write(
        &file,
        states(&[
            json!({"eventId": "s1", "occurredAt": at, "hrId": "E3001", "workEmail": "mary.somerville@example.com",
                   "displayName": "Mary Somerville", "groups": ["engineering"]}),
            json!({"eventId": "s2", "occurredAt": at, "hrId": "E1002", "workEmail": "grace.hopper@example.com",
                   "title": "Principal Engineer"}),
            json!({"eventId": "s3", "occurredAt": at, "hrId": "E1003", "workEmail": "joan.clarke@example.com",
                   "status": "terminated"}),
            json!({"eventId": "s4", "occurredAt": at, "hrId": "E1001", "workEmail": "ada.lovelace@example.com",
                   "groups": ["engineering"]}),
        ]),
    )
    .unwrap();
    let out = lcm(&emu, &dir)
        .args(["run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        derived(&out),
        pairs(&[
            ("create", "succeeded"),
            ("update", "succeeded"),
            ("deprovision", "succeeded"),
            ("unchanged", "no_change"),
        ])
    );

    // The same states again (the same times: not older, so applied) change nothing.
    emu.clear_requests();
    let out = lcm(&emu, &dir).arg("run").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        emu.requests().iter().all(|r| !r.is_write()),
        "{:#?}",
        emu.requests()
    );
    assert!(
        stdout.contains("states.jsonl:2  outcome: no_change"),
        "{stdout}"
    );
    assert!(stdout.contains("[derived unchanged"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_state_is_stale_and_a_state_without_occurred_at_is_refused_whole() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("stale");
    let grace = |id: &str, at: &str, title: &str| json!({"eventId": id, "occurredAt": at, "hrId": "E1002", "workEmail": "grace.hopper@example.com", "title": title});
    let file = dir.join("late.jsonl");
    std::fs::write(
        &file,
        states(&[
            grace("new", "2026-11-30T10:00:00Z", "Principal Engineer"),
            grace("old", "2026-11-30T09:00:00Z", "Intern"),
        ]),
    )
    .unwrap();
    let out = lcm(&emu, &dir)
        .args(["run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let reports: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports[1]["error"]["code"], "stale_event");
    assert_eq!(reports[1]["apiCalls"], 0);
    let title = emu
        .state()
        .user("grace.hopper@example.com")
        .and_then(|u| u.scim.clone())
        .and_then(|s| s.title);
    assert_eq!(title.as_deref(), Some("Principal Engineer"));

    emu.clear_requests();
    let bad = dir.join("bad.jsonl");
    let mut untimed = grace("x", "", "CTO");
    untimed.as_object_mut().unwrap().remove("occurredAt");
    std::fs::write(
        &bad,
        states(&[grace("ok", "2026-11-30T11:00:00Z", "CTO"), untimed]),
    )
    .unwrap();
    let out = lcm(&emu, &dir).arg("run").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.jsonl:2: occurredAt: is required"),
        "{stderr}"
    );
    assert!(emu.requests().is_empty(), "nothing sent for a bad file");
}
