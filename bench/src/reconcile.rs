//! Reconcile at scale: planning a large organisation in a process of its own, so that its peak
//! RSS is the planner's alone (the emulator serving it runs in the parent), with the reads it
//! made against the budget of 3·⌈N/100⌉ + 3·G + 20.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Instant;

use atlassian_emulator::{large_org, Emulator};
use atlassian_lcm::event::parse_roster;
use atlassian_lcm::{Config, Lcm, RawConfig, RunOptions};
use serde::{Deserialize, Serialize};

use crate::row::Row;

/// The seed of every generated organisation, so runs compare.
const SEED: u64 = 2026;

/// What the planning child reports on its one line of stdout.
#[derive(Debug, Serialize, Deserialize)]
struct PlanFigures {
    /// Requests the plan made (all reads).
    reads: u32,
    /// Plan entries that are not "unchanged".
    drift: usize,
    /// The child's peak resident set (VmHWM), KiB.
    peak_kib: u64,
    /// Parse and plan, wall time.
    millis: u128,
}

/// The parent: an emulator holding `people` (1 % drift), and a child process that plans them.
pub async fn plan_rss(people: usize) -> Result<(), String> {
    let bench = format!("Reconcile: planning {people} people");
    let org = large_org(people, 1.0, SEED);
    let groups = distinct_groups(&org.roster);
    let emu = Emulator::start(org.seed).await.map_err(|e| e.to_string())?;
    let roster =
        std::env::temp_dir().join(format!("lcm-bench-roster-{}.jsonl", std::process::id()));
    std::fs::write(&roster, &org.roster).map_err(|e| format!("{}: {e}", roster.display()))?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let child = tokio::process::Command::new(exe)
        .arg("plan-child")
        .arg(&roster)
        .env_clear()
        .envs(emu.lcm_env())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .await
        .map_err(|e| e.to_string());
    let _ = std::fs::remove_file(&roster);
    let out = child?;
    if !out.status.success() {
        return Err(format!("plan-child failed: {}", out.status));
    }
    let figures: PlanFigures = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("plan-child printed no figures: {e}"))?;
    let budget = 3 * people.div_ceil(100) + 3 * groups + 20;
    let mib = figures.peak_kib as f64 / 1024.0;
    Row::info(
        &bench,
        "plan time (parse + read + diff)",
        format!("{:.1} s", figures.millis as f64 / 1000.0),
    )
    .emit();
    Row::info(&bench, "workers with drift", figures.drift.to_string()).emit();
    Row::judged(
        &bench,
        format!("reads ({groups} groups in scope)"),
        figures.reads.to_string(),
        format!("≤ {budget}"),
        figures.reads as usize <= budget,
    )
    .emit();
    Row::judged(
        &bench,
        "peak RSS of the planner (VmHWM)",
        format!("{mib:.1} MiB"),
        "≤ 256 MiB",
        mib <= 256.0,
    )
    .emit();
    Ok(())
}

/// The child: plans the roster at `path` against the emulator its environment names and
/// prints [`PlanFigures`].
pub async fn plan_child(path: &str) -> Result<(), String> {
    let started = Instant::now();
    let config = Config::from_raw(&RawConfig::from_env(|k| std::env::var(k).ok()))
        .map_err(|e| e.to_string())?;
    let lcm = Lcm::native(config).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let roster = parse_roster(&text).map_err(|e| e.to_string())?;
    drop(text);
    let planned = lcm
        .plan_reconcile(&roster, None, RunOptions::default())
        .await
        .map_err(|e| format!("{}: {}", e.code.as_str(), e.message))?;
    let drift = planned
        .plan
        .entries
        .iter()
        .filter(|e| e.action != atlassian_lcm::reconcile::PlanAction::Unchanged)
        .count();
    let figures = PlanFigures {
        reads: planned.api_calls,
        drift,
        peak_kib: own_peak_kib()?,
        millis: started.elapsed().as_millis(),
    };
    println!(
        "{}",
        serde_json::to_string(&figures).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// The groups a roster names: the scope when `LCM_MANAGED_GROUPS` is unset.
fn distinct_groups(roster: &str) -> usize {
    let mut names = BTreeSet::new();
    for line in roster.lines() {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(line) {
            for g in value["groups"].as_array().into_iter().flatten() {
                names.insert(g.as_str().unwrap_or_default().to_string());
            }
        }
    }
    names.len()
}

fn own_peak_kib() -> Result<u64, String> {
    crate::lambda::status_kib(std::process::id(), "VmHWM")
}

/// Workers in progress at once in both runs, as in the bulk benchmark.
const IN_FLIGHT: usize = 16;

/// What one way of converging the organisation cost.
struct Converged {
    reads: usize,
    writes: usize,
    refused: usize,
    seconds: f64,
    failed: usize,
}

/// `reconcile --apply` of `people` (1 % drift) under a `limit` req/s emulator, beside the same
/// roster sent naively as one worker-state event per worker (each reads its person), on a
/// fresh emulator of the same organisation, in one run.
pub async fn versus_naive(people: usize, limit: u32) -> Result<(), String> {
    let bench = format!("Reconcile: {people} people, 1 % drift, {limit} req/s limit");
    let org = large_org(people, 1.0, SEED);
    let reconciled = reconcile_apply(&org, limit).await?;
    let naive = naive_states(&org, limit).await?;
    let share = |c: &Converged| (c.reads + c.writes) as f64 / c.seconds / f64::from(limit);
    for (name, c) in [
        ("reconcile --apply", &reconciled),
        ("naive, one event per worker", &naive),
    ] {
        Row::info(
            &bench,
            format!("{name}: reads, writes"),
            format!(
                "{} reads, {} writes ({} 429s)",
                c.reads, c.writes, c.refused
            ),
        )
        .emit();
        Row::info(
            &bench,
            format!("{name}: elapsed, share of the limit"),
            format!("{:.1} s, {:.0} %", c.seconds, share(c) * 100.0),
        )
        .emit();
    }
    Row::judged(
        &bench,
        "failed (reconcile, naive)",
        format!("{}, {}", reconciled.failed, naive.failed),
        "0, 0",
        reconciled.failed == 0 && naive.failed == 0,
    )
    .emit();
    Row::info(
        &bench,
        "naive ÷ reconcile: API calls, elapsed",
        format!(
            "{:.1}×, {:.1}×",
            (naive.reads + naive.writes) as f64 / (reconciled.reads + reconciled.writes) as f64,
            naive.seconds / reconciled.seconds
        ),
    )
    .emit();
    Ok(())
}

async fn limited_emulator(
    org: &atlassian_emulator::LargeOrg,
    limit: u32,
) -> Result<Emulator, String> {
    let emu = Emulator::start(org.seed.clone())
        .await
        .map_err(|e| e.to_string())?;
    emu.set_faults(atlassian_emulator::Faults {
        requests_per_second: Some(limit),
        ..atlassian_emulator::Faults::default()
    });
    Ok(emu)
}

fn converged(emu: &Emulator, seconds: f64, failed: usize) -> Converged {
    let log = emu.requests();
    let refused = log.iter().filter(|r| r.status == 429).count();
    let writes = log
        .iter()
        .filter(|r| r.status != 429 && r.is_write())
        .count();
    Converged {
        reads: log.len() - refused - writes,
        writes,
        refused,
        seconds,
        failed,
    }
}

async fn reconcile_apply(
    org: &atlassian_emulator::LargeOrg,
    limit: u32,
) -> Result<Converged, String> {
    let emu = limited_emulator(org, limit).await?;
    let lcm = crate::org::engine(&emu);
    let options = atlassian_lcm::reconcile::ReconcileOptions {
        apply: true,
        ..Default::default()
    };
    let started = Instant::now();
    let document = lcm
        .reconcile_text(&org.roster, options)
        .await
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(refusal) = &document.refused {
        return Err(format!("reconcile refused: {}", refusal.message));
    }
    Ok(converged(&emu, seconds, document.failed))
}

async fn naive_states(org: &atlassian_emulator::LargeOrg, limit: u32) -> Result<Converged, String> {
    use atlassian_lcm::bulk::{self, BulkItem, BulkOptions};
    let emu = limited_emulator(org, limit).await?;
    let lcm = crate::org::engine(&emu);
    let mut items = Vec::new();
    for (i, line) in org.roster.lines().enumerate() {
        let mut state: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        state["eventId"] = serde_json::json!(format!("naive-{i}"));
        state["occurredAt"] = serde_json::json!("2026-11-30T09:00:00Z");
        let request = atlassian_lcm::parse_request(&state).map_err(|e| e.to_string())?;
        items.push(BulkItem::new(request));
    }
    let started = Instant::now();
    let mut failed = 0;
    bulk::run(&lcm, items, BulkOptions::new(IN_FLIGHT), |f| {
        failed += usize::from(!f.report.outcome.is_success());
    })
    .await;
    Ok(converged(&emu, started.elapsed().as_secs_f64(), failed))
}
