//! Bulk `lcm run`: several FILEs, `.jsonl` files and JSON Lines on stdin in
//! one run against the emulator; NDJSON in input order; the exit status
//! (0 all good, 1 on any failure, 2 on any bad line, with nothing sent); one
//! worker's events in file order; the summary line for people.

mod common;

use common::text;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use atlassian_emulator::{Emulator, Seed};
use serde_json::{json, Value};

fn lcm(emu: &Emulator, dir: &Path) -> Command {
    common::lcm_in(emu, dir)
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("bulk", name)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn lines(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

fn person(n: u32) -> Value {
    json!({"hrId": format!("E60{n:02}"), "workEmail": format!("batch.person{n}@example.com"),
           "givenName": "Batch", "familyName": format!("Person{n}"), "displayName": format!("Batch Person{n}")})
}

fn event(id: &str, lifecycle: &str, hour: u32, worker: Value, groups: Option<&[&str]>) -> Value {
    let mut e = json!({"schemaVersion": "1", "eventId": id, "lifecycle": lifecycle,
        "occurredAt": format!("2026-11-30T{hour:02}:00:00Z"), "worker": worker});
    if let Some(g) = groups {
        e["access"] = json!({ "groups": g });
    }
    e
}

fn joiner(n: u32) -> Value {
    event(
        &format!("J{n}"),
        "joiner",
        9,
        person(n),
        Some(&["confluence-users"]),
    )
}

/// Runs `lcm` with `stdin` piped in.
fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn scim_active(emu: &Emulator, email: &str) -> Option<bool> {
    emu.state()
        .user(email)
        .and_then(|u| u.scim.as_ref())
        .map(|s| s.active)
}

#[tokio::test(flavor = "multi_thread")]
async fn files_json_lines_and_stdin_run_as_one_batch_printing_ndjson_in_input_order() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("mixed");
    let single = write(
        &dir,
        "one.json",
        &serde_json::to_string_pretty(&joiner(1)).unwrap(),
    );
    // Blank lines are skipped, not events.
    let batch = write(
        &dir,
        "batch.jsonl",
        &format!("{}\n\n{}\n", joiner(2), joiner(3)),
    );
    let ada = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"});
    let stdin = lines(&[
        joiner(4),
        event("M-ada", "mover", 9, ada, Some(&["contractors"])),
    ]);

    let mut cmd = lcm(&emu, &dir);
    cmd.args(["run", "--json"])
        .arg(&single)
        .arg(&batch)
        .arg("-");
    let out = run_with_stdin(cmd, &stdin);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let reports: Vec<Value> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not one report a line: {e}: {l}"))
        })
        .collect();
    let ids: Vec<&str> = reports
        .iter()
        .map(|r| r["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["J1", "J2", "J3", "J4", "M-ada"], "{stdout}");
    for r in &reports {
        assert_eq!(r["outcome"], "succeeded", "{r:#}");
    }
    for n in 1..=4 {
        assert_eq!(
            scim_active(&emu, &format!("batch.person{n}@example.com")),
            Some(true)
        );
    }
    // The summary goes to stderr, so stdout stays NDJSON; its calls are the emulator's.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let calls = emu.requests().len();
    assert!(
        stderr.contains(&format!(
            "summary: 5 events: 5 succeeded; {calls} API calls, 0 retries, "
        )),
        "{stderr}"
    );
    let sum: u64 = reports
        .iter()
        .map(|r| r["apiCalls"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, calls as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_workers_joiner_then_leaver_in_a_file_ends_left_with_a_summary_for_people() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("order");
    let file = write(
        &dir,
        "day.jsonl",
        &lines(&[
            joiner(1),
            joiner(2),
            event("L1", "leaver", 10, person(1), None),
        ]),
    );
    let out = lcm(&emu, &dir).arg("run").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        scim_active(&emu, "batch.person1@example.com"),
        Some(false),
        "{stdout}"
    );
    assert_eq!(scim_active(&emu, "batch.person2@example.com"), Some(true));
    // Each event gets a line naming where it came from; then the summary.
    for line in [
        "day.jsonl:1  outcome: succeeded",
        "day.jsonl:3  outcome: succeeded",
    ] {
        assert!(stdout.contains(line), "no `{line}` in {stdout}");
    }
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("summary: 3 events: 3 succeeded; ") && last.ends_with(" req/s"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn any_failed_event_exits_1_and_shows_its_report() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("failure");
    let file = write(
        &dir,
        "day.jsonl",
        &lines(&[
            joiner(1),
            event("J2", "joiner", 9, person(2), Some(&["no-such-group"])),
        ]),
    );
    let out = lcm(&emu, &dir).arg("run").arg(&file).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stdout.contains("group_not_found"), "{stdout}");
    assert!(
        stdout.contains("summary: 2 events: 1 succeeded, 1 "),
        "{stdout}"
    );

    // NDJSON too: every report printed, the failure among them.
    let out = lcm(&emu, &dir)
        .args(["run", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let outcomes: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["outcome"].clone())
        .collect();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0], "no_change");
    assert_ne!(outcomes[1], "succeeded");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_line_anywhere_refuses_the_whole_run_with_its_line_and_no_call() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("bad");
    let good = write(&dir, "good.jsonl", &lines(&[joiner(1)]));
    let mut broken = joiner(2);
    broken["worker"]["workEmail"] = json!("not-an-email");
    let bad = write(
        &dir,
        "bad.jsonl",
        &format!("{}\n{broken}\n{{\"lifecycle\": \n", joiner(3)),
    );
    let out = lcm(&emu, &dir)
        .arg("run")
        .arg(&good)
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let bad_name = bad.display().to_string();
    assert!(
        stderr.contains(&format!("{bad_name}:2: worker.workEmail")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{bad_name}:3: (body): not valid JSON")),
        "{stderr}"
    );
    assert!(
        stderr.contains("2 bad events; nothing was sent"),
        "{stderr}"
    );
    assert!(!stderr.contains(":1:"), "a good line was named: {stderr}");
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
    assert!(emu.state().user("batch.person1@example.com").is_none());

    // Bad stdin is named too.
    let mut cmd = lcm(&emu, &dir);
    cmd.args(["run", "-"]);
    let out = run_with_stdin(cmd, &format!("{}\n[]\n", joiner(1)));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stdin:2: (body)"),
        "{}",
        text(&out)
    );
    assert!(emu.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn help_for_run_describes_bulk_input_output_and_exit_status() {
    let out = common::lcm().args(["run", "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "FILE.jsonl",
        "NDJSON",
        "summary: ",
        "exit 2",
        "LCM_CONCURRENCY",
    ] {
        assert!(help.contains(needle), "no `{needle}` in {help}");
    }
}
