//! `lcm demo`: the whole lifecycle of one person — joiner, mover, leaver,
//! rehire, purge, and a replay — against the emulator started in-process with
//! the demo organization. Each event is planned first (a dry run), then run;
//! the audit trail closes the show. Nothing leaves this machine.

use atlassian_emulator::{Emulator, Seed};
use atlassian_lcm::config::{Key, RawValue, Source};
use atlassian_lcm::report::AuditEvent;
use atlassian_lcm::{Config, Lcm, RawConfig, Report, RunOptions};
use serde_json::{json, Value};

use crate::render::{self, Style};

/// The events of the scenario, in order: `(title, event)`.
pub fn scenario() -> Vec<(&'static str, Value)> {
    let worker = json!({
        "hrId": "E2001", "workEmail": "hedy.lamarr@example.com",
        "givenName": "Hedy", "familyName": "Lamarr", "displayName": "Hedy Lamarr",
        "title": "Engineer", "department": "Platform", "organization": "Example",
        "timezone": "Europe/Vienna", "preferredLanguage": "de-AT"
    });
    let event = |id: &str, lifecycle: &str, worker: Value, access: Option<Value>| {
        let mut e = json!({
            "schemaVersion": "1", "eventId": id, "lifecycle": lifecycle,
            "occurredAt": "2026-11-30T09:00:00Z", "worker": worker
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

/// Runs the demo; returns the process exit code.
pub async fn run(json_output: bool) -> Result<i32, String> {
    let style = Style::detect();
    let emulator = Emulator::start(Seed::demo())
        .await
        .map_err(|e| format!("cannot start the emulator: {e}"))?;
    let lcm = Lcm::native(demo_config(&emulator)?).map_err(|e| e.to_string())?;
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
    }
    let state = emulator.state();
    if json_output {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"steps": reports})).map_err(|e| e.to_string())?
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
    }
    emulator.shutdown();
    Ok(if all_ok { 0 } else { 1 })
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
    Config::from_raw(&raw).map_err(|e| e.to_string())
}
