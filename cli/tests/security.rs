//! The safety rails through the `lcm` binary, one table row per rail: a purge
//! without `LCM_ALLOW_DELETE`, the removal cap, protected groups, privileged
//! groups, custom endpoints without their opt-in, and bad input. Each row
//! checks the exact answer (`--json` report code, or for input and
//! configuration errors exit status 2 naming the field) and what the emulator
//! saw: no request at all, or no write. The Lambda and wasm hosts run the same
//! table (`tests/lambda/test_security.py`, `wasm/tests/security.test.mjs`).

mod common;

use common::text;

use std::process::Output;

use atlassian_emulator::{Emulator, LoggedRequest, Seed};
use common::{env_for, lcm};
use serde_json::{json, Value};

const ADA: &str = "ada.lovelace@example.com";
const GRACE: &str = "grace.hopper@example.com";
const ADA_GROUPS: [&str; 4] = [
    "confluence-users",
    "engineering",
    "jira-software-users",
    "platform-team",
];

/// What the emulator may have seen.
#[derive(Debug, Clone, Copy)]
enum Calls {
    /// Not one request: the refusal came before anything was sent.
    None,
    /// Reads only.
    NoWrites,
    /// Reads, and the leaver's deactivation (a PATCH of the SCIM user) alone:
    /// deactivating is the safe direction, and no cap holds it back.
    OnlyDeactivation,
}

/// How `lcm` answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// A report (exit status `exit`) whose first error has this code; `None`
    /// for a report with no error at all.
    Report {
        exit: i32,
        code: Option<&'static str>,
    },
    /// Refused before any report (exit status 2), naming `field`: the CLI's
    /// spelling of `invalid_input` (`lcm: FILE: FIELD: why`) or of
    /// `invalid_config` (`lcm: invalid configuration:` and a line per setting).
    Refused { code: Code, field: &'static str },
}

/// The two codes of a refusal before any report.
#[derive(Debug, Clone, Copy)]
enum Code {
    InvalidInput,
    InvalidConfig,
}

/// One rail.
struct Rail {
    name: &'static str,
    /// Settings added to the emulator's (`None` value: the setting removed).
    settings: &'static [(&'static str, Option<&'static str>)],
    /// The file `lcm run` reads.
    input: String,
    answer: Answer,
    calls: Calls,
    /// The step (target, operation, status) the report must hold, if any.
    step: Option<(&'static str, &'static str, &'static str)>,
    /// The user whose groups must be exactly these afterwards.
    groups: Option<(&'static str, &'static [&'static str])>,
}

fn event(lifecycle: &str, worker: Value, access: Option<Value>) -> String {
    let mut e = json!({"schemaVersion": "1", "eventId": format!("sec-{lifecycle}"),
                       "lifecycle": lifecycle, "occurredAt": "2026-11-30T09:00:00Z", "worker": worker});
    if let Some(a) = access {
        e["access"] = a;
    }
    e.to_string()
}

fn ada() -> Value {
    json!({"hrId": "E1001", "workEmail": ADA})
}

fn grace() -> Value {
    json!({"hrId": "E1002", "workEmail": GRACE})
}

fn joiner(worker: Value) -> String {
    event(
        "joiner",
        worker,
        Some(json!({"groups": ["confluence-users"]})),
    )
}

fn newcomer() -> Value {
    json!({"hrId": "E4242", "workEmail": "hedy.lamarr@example.com", "displayName": "Hedy Lamarr"})
}

fn rails() -> Vec<Rail> {
    let mut rails = report_rails();
    rails.extend(refusal_rails());
    rails
}

/// Rails `lcm` enforces once the event is accepted, so the answer is a
/// report.
fn report_rails() -> Vec<Rail> {
    vec![
        Rail {
            name: "purge without LCM_ALLOW_DELETE",
            settings: &[],
            input: event("purge", grace(), None),
            answer: Answer::Report {
                exit: 1,
                code: Some("action_disabled"),
            },
            calls: Calls::None,
            step: None,
            groups: None,
        },
        Rail {
            name: "mover removing more than LCM_MAX_REMOVALS",
            settings: &[("LCM_MAX_REMOVALS", Some("2"))],
            input: event(
                "mover",
                ada(),
                Some(
                    json!({"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "remove"}),
                ),
            ),
            answer: Answer::Report {
                exit: 1,
                code: Some("removal_cap_exceeded"),
            },
            calls: Calls::NoWrites,
            step: Some((
                "user ada.lovelace@example.com",
                "remove_memberships",
                "failed",
            )),
            groups: Some((ADA, &ADA_GROUPS)),
        },
        Rail {
            name: "leaver with more memberships than LCM_MAX_REMOVALS",
            settings: &[("LCM_MAX_REMOVALS", Some("2"))],
            input: event("leaver", ada(), None),
            answer: Answer::Report {
                exit: 1,
                code: Some("removal_cap_exceeded"),
            },
            calls: Calls::OnlyDeactivation,
            step: Some((
                "user ada.lovelace@example.com",
                "remove_memberships",
                "failed",
            )),
            groups: Some((ADA, &ADA_GROUPS)),
        },
        Rail {
            name: "replace that would drop a protected group",
            settings: &[("LCM_PROTECTED_GROUPS", Some("platform-team"))],
            input: event(
                "mover",
                ada(),
                Some(
                    json!({"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "replace"}),
                ),
            ),
            answer: Answer::Report {
                exit: 0,
                code: None,
            },
            calls: Calls::NoWrites,
            step: Some(("group platform-team", "remove_membership", "skipped")),
            groups: Some((ADA, &ADA_GROUPS)),
        },
        Rail {
            name: "grant of a privileged group (default LCM_PRIVILEGED_GROUPS)",
            settings: &[],
            input: event(
                "mover",
                grace(),
                Some(json!({"groups": ["payroll-admins"], "mode": "add"})),
            ),
            answer: Answer::Report {
                exit: 1,
                code: Some("group_not_grantable"),
            },
            calls: Calls::NoWrites,
            step: Some(("group payroll-admins", "add_membership", "failed")),
            groups: Some((GRACE, &["engineering", "jira-software-users"])),
        },
    ]
}

/// Rails that stop `lcm` before it sends anything: bad configuration or
/// bad input.
fn refusal_rails() -> Vec<Rail> {
    let mut bad_email = newcomer();
    bad_email["workEmail"] = json!("hedy.example.com");
    let mut unknown_field = newcomer();
    unknown_field["givenNam"] = json!("Hedy");
    vec![
        Rail {
            name: "custom endpoints without LCM_ALLOW_CUSTOM_ENDPOINTS",
            settings: &[("LCM_ALLOW_CUSTOM_ENDPOINTS", None)],
            input: joiner(newcomer()),
            answer: Answer::Refused {
                code: Code::InvalidConfig,
                field: "LCM_ALLOW_CUSTOM_ENDPOINTS",
            },
            calls: Calls::None,
            step: None,
            groups: None,
        },
        Rail {
            name: "malformed e-mail",
            settings: &[],
            input: joiner(bad_email),
            answer: Answer::Refused { code: Code::InvalidInput, field: "worker.workEmail" },
            calls: Calls::None,
            step: None,
            groups: None,
        },
        Rail {
            name: "unknown field",
            settings: &[],
            input: joiner(unknown_field),
            answer: Answer::Refused { code: Code::InvalidInput, field: "worker.givenNam" },
            calls: Calls::None,
            step: None,
            groups: None,
        },
        Rail {
            name: "malformed event (worker is not an object)",
            settings: &[],
            input: json!({"schemaVersion": "1", "eventId": "sec-bad", "lifecycle": "joiner", "worker": "hedy"})
                .to_string(),
            answer: Answer::Refused { code: Code::InvalidInput, field: "worker" },
            calls: Calls::None,
            step: None,
            groups: None,
        },
        Rail {
            name: "malformed event (not JSON)",
            settings: &[],
            input: r#"{"schemaVersion": "1", "lifecycle": "joiner""#.into(),
            answer: Answer::Refused { code: Code::InvalidInput, field: "(body)" },
            calls: Calls::None,
            step: None,
            groups: None,
        },
    ]
}

fn run_rail(emu: &Emulator, rail: &Rail, index: usize) -> Output {
    let file =
        std::env::temp_dir().join(format!("lcm-security-{}-{index}.json", std::process::id()));
    std::fs::write(&file, &rail.input).unwrap();
    let mut env = env_for(emu);
    for (name, value) in rail.settings {
        env.retain(|(n, _)| n != name);
        if let Some(v) = value {
            env.push((name, v.to_string()));
        }
    }
    let out = lcm()
        .envs(env)
        .arg("run")
        .arg(&file)
        .arg("--json")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    out
}

fn first_error_code(report: &Value) -> Option<String> {
    let steps = report["steps"].as_array().cloned().unwrap_or_default();
    std::iter::once(&report["error"])
        .chain(steps.iter().map(|s| &s["error"]))
        .find_map(|e| e["code"].as_str().map(str::to_string))
}

fn check_answer(rail: &Rail, out: &Output) -> Option<Value> {
    let name = rail.name;
    match rail.answer {
        Answer::Report { exit, code } => {
            assert_eq!(out.status.code(), Some(exit), "{name}: {}", text(out));
            let report: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{name}: no JSON report ({e}): {}", text(out)));
            assert_eq!(
                first_error_code(&report).as_deref(),
                code,
                "{name}: {report:#}"
            );
            Some(report)
        }
        Answer::Refused { code, field } => {
            assert_eq!(out.status.code(), Some(2), "{name}: {}", text(out));
            assert!(
                out.stdout.is_empty(),
                "{name}: printed a report: {}",
                text(out)
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            let named = match code {
                Code::InvalidInput => stderr.contains(&format!(".json: {field}: ")),
                Code::InvalidConfig => {
                    stderr.starts_with("lcm: invalid configuration:") && stderr.contains(field)
                }
            };
            assert!(
                named,
                "{name}: not refused as {code:?} naming `{field}`: {stderr}"
            );
            None
        }
    }
}

fn check_calls(rail: &Rail, requests: &[LoggedRequest]) {
    let name = rail.name;
    let writes: Vec<&LoggedRequest> = requests.iter().filter(|q| q.is_write()).collect();
    match rail.calls {
        Calls::None => assert!(requests.is_empty(), "{name}: {requests:#?}"),
        Calls::NoWrites => assert!(writes.is_empty(), "{name}: {writes:#?}"),
        Calls::OnlyDeactivation => {
            let [w] = writes.as_slice() else {
                panic!("{name}: expected the deactivation alone: {writes:#?}")
            };
            assert!(
                w.method == "PATCH" && w.path.contains("/Users/"),
                "{name}: {w:#?}"
            );
        }
    }
}

fn check_step(rail: &Rail, report: Option<&Value>) {
    let Some((target, operation, status)) = rail.step else {
        return;
    };
    let report = report.expect("a step needs a report");
    let steps = report["steps"].as_array().unwrap();
    let found = steps
        .iter()
        .find(|s| s["target"] == target && s["operation"] == operation)
        .unwrap_or_else(|| panic!("{}: no step {target} {operation}: {report:#}", rail.name));
    assert_eq!(found["status"], status, "{}: {found:#}", rail.name);
}

fn check_groups(rail: &Rail, emu: &Emulator) {
    let Some((email, expected)) = rail.groups else {
        return;
    };
    let mut groups = emu.state().user(email).unwrap().groups.clone();
    groups.sort();
    assert_eq!(groups, expected, "{}: {email}'s groups", rail.name);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rail_holds_through_lcm_run() {
    for (index, rail) in rails().iter().enumerate() {
        let emu = Emulator::start(Seed::demo()).await.unwrap();
        let out = run_rail(&emu, rail, index);
        let report = check_answer(rail, &out);
        check_calls(rail, &emu.requests());
        check_step(rail, report.as_ref());
        check_groups(rail, &emu);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_privileged_group_is_never_even_looked_up() {
    // The grant is refused by name before group resolution: no request at
    // all names the group (a look-up could leak that it exists).
    let rail = rails()
        .into_iter()
        .find(|r| r.name.starts_with("grant of a privileged"))
        .unwrap();
    let rail = &rail;
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    run_rail(&emu, rail, 99);
    let named: Vec<LoggedRequest> = emu
        .requests()
        .into_iter()
        .filter(|q| {
            let body = q.body.as_ref().map(Value::to_string).unwrap_or_default();
            format!("{} {:?} {body}", q.path, q.query).contains("payroll-admins")
        })
        .collect();
    assert!(named.is_empty(), "{named:#?}");
}
