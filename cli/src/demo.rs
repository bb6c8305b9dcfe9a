//! `lcm demo`: the whole lifecycle of one person — joiner, mover, leaver,
//! rehire, purge, and a replay — against the emulator started in-process with
//! the demo organization. Each event is planned first (a dry run), then run;
//! a delayed older mover, delivered after the leaver, is refused as stale;
//! the audit trail follows; a reconcile against the HR roster closes the
//! show, finding a leaver whose event was lost and an orphan, and applying
//! the leaver. Nothing leaves this machine: the ordering ledger is a fresh
//! file in a temporary directory, never the user's.

use atlassian_emulator::{Emulator, Seed};
use atlassian_lcm::config::{Key, RawValue, Source};
use std::sync::Arc;

use atlassian_lcm::event::parse_roster;
use atlassian_lcm::reconcile::ReconcileOptions;
use atlassian_lcm::report::AuditEvent;
use atlassian_lcm::{Config, ErrorCode, Lcm, RawConfig, Report, RunOptions};
use serde_json::{json, Value};

use crate::ledger::SqliteLedger;
use crate::render::{self, Style};

/// The events of the scenario, in order: `(title, event)`.
pub fn scenario() -> Vec<(&'static str, Value)> {
    let worker = json!({
        "hrId": "E2001", "workEmail": "hedy.lamarr@example.com",
        "givenName": "Hedy", "familyName": "Lamarr", "displayName": "Hedy Lamarr",
        "title": "Engineer", "department": "Platform", "organization": "Example",
        "timezone": "Europe/Vienna", "preferredLanguage": "de-AT"
    });
    // HR's times: one hour apart, in the order HR made the changes.
    let event = |id: &str, lifecycle: &str, worker: Value, access: Option<Value>| {
        let n: u32 = id[id.len() - 1..].parse().unwrap_or(0);
        let mut e = json!({
            "schemaVersion": "1", "eventId": id, "lifecycle": lifecycle,
            "occurredAt": format!("2026-11-30T{:02}:00:00Z", 8 + n), "worker": worker
        });
        if let Some(a) = access {
            e["access"] = a;
        }
        e
    };
    let mut moved = worker.clone();
    moved["title"] = json!("Senior Engineer");
    moved["department"] = json!("Developer Experience");
    let minimal = json!({"hrId": "E2001", "workEmail": "hedy.lamarr@example.com"});
    vec![
        (
            "Joiner: Hedy starts, with product access and her team's IdP group",
            event(
                "demo-0001",
                "joiner",
                worker.clone(),
                Some(
                    json!({"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "add"}),
                ),
            ),
        ),
        (
            "Mover: promoted, changes team (replace within scope)",
            event(
                "demo-0002",
                "mover",
                moved.clone(),
                Some(
                    json!({"groups": ["jira-software-users", "confluence-users", "platform-team"], "mode": "replace",
                        "scope": ["jira-software-users", "confluence-users", "engineering", "platform-team"]}),
                ),
            ),
        ),
        (
            "Leaver: every membership removed, then deactivated",
            event("demo-0003", "leaver", minimal.clone(), None),
        ),
        (
            "Replay of the leaver: idempotent, no writes",
            event("demo-0003", "leaver", minimal.clone(), None),
        ),
        (
            "Rehire: reactivated, access replaced",
            event(
                "demo-0004",
                "rehire",
                moved,
                Some(
                    json!({"groups": ["jira-software-users", "confluence-users"], "mode": "replace"}),
                ),
            ),
        ),
        (
            "Purge: memberships removed, SCIM record and account deleted",
            event("demo-0005", "purge", minimal, None),
        ),
    ]
}

/// A mover that HR made between the mover and the leaver, delivered only now
/// (EventBridge keeps no order): the ledger refuses it.
pub fn delayed_mover() -> Value {
    json!({
        "schemaVersion": "1", "eventId": "demo-0002b", "lifecycle": "mover",
        "occurredAt": "2026-11-30T10:30:00Z",
        "worker": {"hrId": "E2001", "workEmail": "hedy.lamarr@example.com"},
        "access": {"groups": ["engineering"], "mode": "add"}
    })
}

/// HR's roster at the end of the day: everyone as Atlassian has them,
/// except that Joan left (her leaver event was lost) and Linus, whom HR no
/// longer lists at all, is still in SCIM: an orphan. Alan is unclaimed (no
/// `externalId`, adopted) and Katherine belongs to Okta (left alone).
pub const ROSTER: &str = r#"{"hrId":"E1001","workEmail":"ada.lovelace@example.com","title":"Engineer","groups":["jira-software-users","confluence-users","engineering","platform-team"]}
{"hrId":"E1002","workEmail":"grace.hopper@example.com","title":"Staff Engineer","groups":["jira-software-users","engineering"]}
{"hrId":"E1004","workEmail":"alan.turing@example.com","groups":["confluence-users"]}
{"hrId":"E1005","workEmail":"katherine.johnson@example.com"}
{"hrId":"E1003","workEmail":"joan.clarke@example.com","status":"terminated"}
{"hrId":"E2001","workEmail":"hedy.lamarr@example.com","status":"terminated"}
"#;

/// Plans the reconcile of [`ROSTER`], then applies it; prints both. Returns
/// whether the plan found the lost leaver and the orphan and the apply
/// succeeded, and both documents.
async fn reconcile(lcm: &Lcm, json_output: bool, style: Style) -> Result<(bool, Value), String> {
    let roster = parse_roster(ROSTER).map_err(|e| e.to_string())?;
    let plan = lcm
        .reconcile(&roster, ReconcileOptions::default(), |_, _| {})
        .await
        .map_err(|e| e.message)?;
    let apply = ReconcileOptions {
        apply: true,
        ..ReconcileOptions::default()
    };
    let done = lcm
        .reconcile(&roster, apply, |_, _| {})
        .await
        .map_err(|e| e.message)?;
    let found = plan.summary.deprovision == 1 && plan.summary.orphans == 1;
    if !json_output {
        println!(
            "\n{}",
            style.bold("Reconcile: HR's roster against Atlassian")
        );
        println!("{}", style.dim("   lcm reconcile roster.jsonl"));
        print!("{}", crate::reconcile::table(&plan, style));
        println!("{}", style.dim("   lcm reconcile roster.jsonl --apply"));
        print!("{}", crate::reconcile::table(&done, style));
    }
    let documents = json!({"plan": plan, "applied": done});
    Ok((found && done.succeeded(), documents))
}

/// A ledger file of the demo's own, removed when dropped.
struct DemoLedger(std::path::PathBuf);

impl DemoLedger {
    fn create() -> Result<(DemoLedger, SqliteLedger), String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("lcm-demo-{}-{nanos}", std::process::id()));
        let ledger = SqliteLedger::open(&dir.join("ledger.sqlite3"))?;
        Ok((DemoLedger(dir), ledger))
    }
}

impl Drop for DemoLedger {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the demo; returns the process exit code.
pub async fn run(json_output: bool) -> Result<i32, String> {
    let style = Style::detect();
    let emulator = Emulator::start(Seed::demo())
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let (_ledger_dir, ledger) = DemoLedger::create()?;
    let lcm = Lcm::native(demo_config(&emulator)?)
        .map_err(|e| e.to_string())?
        .with_ledger(Arc::new(ledger));
    if !json_output {
        println!("{}", style.bold("atlassian-lcm demo"));
        println!(
            "{}",
            style.dim(&format!(
                "Atlassian emulator on {} (demo org: 7 people, 7 groups; admin-managed product groups, IdP-synced team groups)\nDeletion is enabled for the demo (LCM_ALLOW_DELETE, LCM_DELETE_ACCOUNTS).",
                emulator.base_url()
            ))
        );
    }
    let mut reports: Vec<Value> = Vec::new();
    let mut audit: Vec<AuditEvent> = Vec::new();
    let mut all_ok = true;
    let mut stale_report = None;
    for (n, (title, event)) in scenario().into_iter().enumerate() {
        let plan = lcm
            .run_json(
                &event,
                RunOptions {
                    dry_run: true,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let done = lcm
            .run_json(&event, RunOptions::default())
            .await
            .map_err(|e| e.to_string())?;
        all_ok &= done.outcome.is_success() && plan.outcome.is_success();
        audit.extend(done.audit.iter().cloned());
        if json_output {
            reports.push(json!({"title": title, "event": event, "plan": plan, "report": done}));
        } else {
            print_pair(n + 1, title, &event, &plan, &done, style);
        }
        if n == 3 {
            let (ok, stale) = refuse_delayed(&lcm, json_output, style).await?;
            all_ok &= ok;
            stale_report = Some(stale);
        }
    }
    let state = emulator.state();
    if json_output {
        let (reconciled, reconcile_documents) = reconcile(&lcm, json_output, style).await?;
        all_ok &= reconciled;
        let out =
            json!({"steps": reports, "stale": stale_report, "reconcile": reconcile_documents});
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        println!("\n{}", style.bold("Audit trail"));
        print!("{}", render::audit(&audit, style));
        let still_there = state.user("hedy.lamarr@example.com").is_some();
        println!(
            "\n{} {}",
            style.bold("End state:"),
            if still_there {
                "Hedy's account is kept by Atlassian, scheduled for deletion (14-day grace)"
            } else {
                "no trace of Hedy in the directory"
            }
        );
        println!(
            "{}",
            style.dim(&format!(
                "{} requests reached the emulator.",
                emulator.requests().len()
            ))
        );
        all_ok &= reconcile(&lcm, json_output, style).await?.0;
    }
    emulator.shutdown();
    Ok(if all_ok { 0 } else { 1 })
}

/// Sends [`delayed_mover`]: it must be refused as `stale_event`, with no
/// call; one line says so. Returns whether it was, and the report.
async fn refuse_delayed(
    lcm: &Lcm,
    json_output: bool,
    style: Style,
) -> Result<(bool, Report), String> {
    let report = lcm
        .run_json(&delayed_mover(), RunOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    let refused = report.error.as_ref().map(|e| e.code) == Some(ErrorCode::StaleEvent)
        && report.api_calls == 0;
    if !json_output {
        let newer = report.stale_after.as_ref();
        println!(
            "\n{} {}",
            style.bold("Delayed:"),
            style.dim(&format!(
                "mover demo-0002b (occurred 10:30, before the leaver) arrives now: {} as {}, nothing sent (the newer fact is the {} {})",
                if refused { "refused" } else { "NOT refused" },
                report.error.as_ref().map_or("-", |e| e.code.as_str()),
                newer.map_or("-", |f| f.lifecycle.as_str()),
                newer.map_or("-", |f| f.event_id.as_str()),
            ))
        );
    }
    Ok((refused, report))
}

fn print_pair(n: usize, title: &str, event: &Value, plan: &Report, done: &Report, style: Style) {
    println!("\n{} {}", style.bold(&format!("{n}.")), style.bold(title));
    println!(
        "{}",
        style.dim(&format!(
            "   event {} · lifecycle {}",
            event["eventId"].as_str().unwrap_or(""),
            event["lifecycle"].as_str().unwrap_or("")
        ))
    );
    println!("  {}", style.cyan("dry run"));
    print!("{}", render::report(plan, style));
    println!("  {}", style.green("run"));
    print!("{}", render::report(done, style));
}

fn demo_config(emulator: &Emulator) -> Result<Config, String> {
    let mut raw = RawConfig::default();
    let mut set = |k: Key, v: String| raw.set(k, RawValue::Text(v), Source::Host);
    set(Key::ScimUrl, emulator.scim_url());
    set(Key::ScimToken, emulator.scim_token());
    set(Key::AdminApiKey, emulator.admin_api_key());
    set(Key::OrganizationId, emulator.org_id());
    set(Key::AdminBaseUrl, emulator.admin_base_url());
    set(Key::ApiBaseUrl, emulator.api_base_url());
    set(Key::AllowCustomEndpoints, "true".into());
    set(Key::AllowDelete, "true".into());
    set(Key::DeleteAccounts, "true".into());
    // One leaver in a roster of six: the default 5 % would refuse it.
    set(Key::MaxDeprovisions, "1".into());
    Config::from_raw(&raw).map_err(|e| e.to_string())
}
