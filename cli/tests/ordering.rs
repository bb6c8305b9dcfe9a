//! `lcm` and its ordering ledger file: a stale event exits 1 with nothing
//! sent, `lcm plan` reads the ledger but never creates or writes it, a ledger
//! that cannot be opened exits 2 before any call, and two `lcm run`
//! processes sharing one `LCM_LEDGER` file serialize a joiner and its leaver.

mod common;

use common::text;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use atlassian_emulator::{Emulator, Seed};
use serde_json::{json, Value};

fn lcm(emu: &Emulator, ledger: &Path) -> Command {
    let mut c = common::lcm();
    c.env("LCM_LEDGER", ledger).envs(common::env_for(emu));
    c
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("order", name)
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(format!("{name}.json"));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

fn event(id: &str, lifecycle: &str, hour: u32, worker: Value, access: Option<Value>) -> Value {
    let mut e = json!({"schemaVersion": "1", "eventId": id, "lifecycle": lifecycle,
        "occurredAt": format!("2026-11-30T{hour:02}:00:00Z"), "worker": worker});
    if let Some(a) = access {
        e["access"] = a;
    }
    e
}

fn ada() -> Value {
    json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"})
}

fn report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_event_exits_1_and_a_plan_reads_but_never_writes_the_ledger() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("stale");
    let ledger = dir.join("state").join("ledger.sqlite3");
    let mover = write(
        &dir,
        "mover",
        &event(
            "M",
            "mover",
            9,
            ada(),
            Some(json!({"groups": ["contractors"]})),
        ),
    );
    // A plan with no ledger file yet: planned, and the file is not created.
    let plan = lcm(&emu, &ledger).arg("plan").arg(&mover).output().unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(!ledger.exists(), "a plan created the ledger");

    let leaver = write(&dir, "leaver", &event("L", "leaver", 10, ada(), None));
    let out = lcm(&emu, &ledger).arg("run").arg(&leaver).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    emu.clear_requests();
    let out = lcm(&emu, &ledger)
        .args(["run", "--json"])
        .arg(&mover)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let r = report(&out);
    assert_eq!(r["error"]["code"], "stale_event", "{r:#}");
    assert_eq!(r["staleAfter"]["eventId"], "L");
    assert_eq!(r["apiCalls"], 0);
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());

    // The text report names the code and the newer event too.
    let out = lcm(&emu, &ledger).arg("run").arg(&mover).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("stale_event") && text(&out).contains(" L "),
        "{}",
        text(&out)
    );

    // A stale plan says so, and leaves the file as it was.
    let recorded = std::fs::read(&ledger).unwrap();
    let plan = lcm(&emu, &ledger)
        .args(["plan", "--json"])
        .arg(&mover)
        .output()
        .unwrap();
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    assert_eq!(report(&plan)["error"]["code"], "stale_event");
    assert_eq!(
        std::fs::read(&ledger).unwrap(),
        recorded,
        "a plan wrote the ledger"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ledger_that_cannot_be_opened_exits_2_before_any_call() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("unopenable");
    let leaver = write(&dir, "leaver", &event("L", "leaver", 10, ada(), None));
    let blocker = dir.join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let out = lcm(&emu, &blocker.join("ledger.sqlite3"))
        .arg("run")
        .arg(&leaver)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ordering ledger") && text(&out).contains("LCM_LEDGER"),
        "{}",
        text(&out)
    );

    // No LCM_LEDGER and no HOME or XDG_STATE_HOME: nowhere to put it.
    let out = lcm(&emu, Path::new(""))
        .env_remove("LCM_LEDGER")
        .arg("run")
        .arg(&leaver)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("LCM_LEDGER=PATH"), "{}", text(&out));

    // A file that is not SQLite.
    let junk = dir.join("junk.sqlite3");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let out = lcm(&emu, &junk).arg("run").arg(&leaver).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("junk.sqlite3"), "{}", text(&out));
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

/// Twenty joiners and their leavers (an hour later), each pair started at
/// once as two `lcm run` processes sharing one ledger file, half of them
/// joiner first: every worker ends with no active account and no groups.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_racing_pairs_in_two_processes_always_end_without_access() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let dir = scratch("race");
    let ledger = dir.join("ledger.sqlite3");
    for n in 0..20u32 {
        let email = format!("racer{n}@example.com");
        let worker = json!({"hrId": format!("E7{n:03}"), "workEmail": email, "displayName": format!("Racer {n}")});
        let joiner = write(
            &dir,
            &format!("j{n}"),
            &event(
                &format!("J{n}"),
                "joiner",
                9,
                worker.clone(),
                Some(json!({"groups": ["jira-software-users", "engineering"]})),
            ),
        );
        let leaver = write(
            &dir,
            &format!("l{n}"),
            &event(&format!("L{n}"), "leaver", 10, worker, None),
        );
        let spawn = |file: &Path| {
            lcm(&emu, &ledger)
                .args(["run", "--json"])
                .arg(file)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (j, l) = if n % 2 == 0 {
            let j = spawn(&joiner);
            (j, spawn(&leaver))
        } else {
            let l = spawn(&leaver);
            (spawn(&joiner), l)
        };
        let (j, l) = (j.wait_with_output().unwrap(), l.wait_with_output().unwrap());
        assert_eq!(l.status.code(), Some(0), "leaver {n}: {}", text(&l));
        let jr = report(&j);
        assert!(
            jr["outcome"] == "succeeded" || jr["error"]["code"] == "stale_event",
            "joiner {n}: {jr:#}"
        );
        let state = emu.state();
        if let Some(user) = state.user(&email) {
            assert!(user.groups.is_empty(), "{email} kept {:?}", user.groups);
            assert!(
                !user.scim.as_ref().is_some_and(|s| s.active),
                "{email} is active"
            );
            assert_ne!(user.account_status, "active", "{email}'s account is active");
        }
    }
}
