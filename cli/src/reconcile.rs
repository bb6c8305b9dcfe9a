//! `lcm reconcile ROSTER.jsonl [--apply] [--json]`: the core's reconcile,
//! printed. Without `--apply` it plans and writes nothing; with it, the
//! plan's events run through the bulk executor with the progress bar and
//! summary line of a bulk `lcm run`. `--json` prints the core's document,
//! the same every host returns; otherwise a table.

use atlassian_lcm::event::{parse_roster, Timestamp};
use atlassian_lcm::reconcile::{
    DocumentEntry, DocumentOrphan, OrphanAction, PlanAction, ReconcileDocument, ReconcileOptions,
    Summary,
};
use atlassian_lcm::Lcm;

use crate::render::Style;

/// Reads the roster (a file, or `-` for stdin), then the configuration, and
/// reconciles. The exit status: 0 when the plan was made or fully applied,
/// 1 when some of it failed or `--apply` was refused by the cap; a bad
/// roster or configuration is an `Err` (exit 2) before any call.
pub async fn run(path: &str, args: &crate::Args) -> Result<i32, String> {
    let (apply, json) = (args.apply, args.json);
    let as_of = args
        .as_of
        .as_deref()
        .map(Timestamp::parse)
        .transpose()
        .map_err(|e| format!("--as-of: {e}"))?;
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("cannot read stdin: {e}"))?
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    // The roster first: a bad line must be named even without a configuration.
    let roster = parse_roster(&text).map_err(|e| format!("{path}: {e}"))?;
    let config = crate::settings::load(args.config.as_deref())?;
    let lcm = Lcm::native(config).map_err(|e| e.to_string())?;
    let lcm = crate::with_ledger(lcm, !apply)?;
    let bar = crate::bulk::progress_bar(0);
    let options = ReconcileOptions {
        apply,
        as_of,
        ..ReconcileOptions::default()
    };
    let document = lcm
        .reconcile(&roster, options, |_, total| {
            bar.set_length(total as u64);
            bar.inc(1);
        })
        .await
        .map_err(|e| {
            format!(
                "cannot read the directory ({}): {}",
                e.code.as_str(),
                e.message
            )
        });
    bar.finish_and_clear();
    let document = match document {
        Ok(d) => d,
        Err(e) => {
            eprintln!("lcm: {e}");
            return Ok(1);
        }
    };
    if json {
        let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
        println!("{text}");
        if let Some(run) = &document.run {
            eprintln!("{run}");
        }
    } else {
        print!("{}", table(&document, Style::detect()));
    }
    Ok(if !apply || document.succeeded() { 0 } else { 1 })
}

/// The document for people: the counts, one line per worker that differs,
/// one per orphan, the refusal, and after `--apply` the summary line.
pub fn table(d: &ReconcileDocument, s: Style) -> String {
    let mut out = format!(
        "{} {}\n",
        s.bold(if d.applied {
            "reconcile applied:"
        } else {
            "reconcile plan:"
        }),
        counts(&d.summary)
    );
    if !d.entries.is_empty() {
        out.push_str(&s.dim(&format!(
            "  {:<5} {:<12} {:<34} {}\n",
            "line", "action", "worker", "what differs (before → after)"
        )));
    }
    for e in &d.entries {
        out.push_str(&entry_line(e, s));
    }
    if !d.orphans.is_empty() {
        out.push_str(&format!(
            "{}\n",
            s.bold("orphans (SCIM users no roster line matches):")
        ));
    }
    for o in &d.orphans {
        out.push_str(&orphan_line(o, s));
    }
    if let Some(r) = &d.refused {
        out.push_str(&format!(
            "{} {} ({})\n",
            s.red("refused:"),
            r.message,
            r.code
        ));
    }
    if let Some(run) = &d.run {
        out.push_str(&format!("{}\n", s.bold(&run.to_string())));
    } else {
        out.push_str(&s.dim(&format!(
            "{} read requests; nothing was written.\n",
            d.api_calls
        )));
    }
    out
}

fn counts(s: &Summary) -> String {
    let orphans = if s.orphans == 1 { "orphan" } else { "orphans" };
    let mut text = format!(
        "{} create, {} update, {} deprovision, {} memberships added, {} removed, {} {orphans}, {} unchanged",
        s.create,
        s.update,
        s.deprovision,
        s.memberships_added,
        s.memberships_removed,
        s.orphans,
        s.unchanged
    );
    if s.skipped > 0 {
        text.push_str(&format!(", {} skipped", s.skipped));
    }
    text
}

fn entry_line(e: &DocumentEntry, s: Style) -> String {
    let p = &e.plan;
    let action = match p.action {
        PlanAction::Create => s.green("create"),
        PlanAction::Update => s.cyan("update"),
        PlanAction::Deprovision => s.red("deprovision"),
        PlanAction::Skip => s.yellow("skip"),
        PlanAction::Unchanged => "unchanged".to_string(),
    };
    let mut what: Vec<String> = p
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.path,
                c.before.as_deref().unwrap_or("(none)"),
                c.after
            )
        })
        .collect();
    if p.reactivate {
        what.push("reactivate".into());
    }
    what.extend(p.add.iter().map(|g| format!("+{g}")));
    what.extend(p.remove.iter().map(|g| format!("-{g}")));
    // A grant the rails refuse is shown where the add would have been.
    what.extend(
        p.refused
            .iter()
            .map(|r| format!("+{} refused ({})", r.group, r.code.as_str())),
    );
    if p.action == PlanAction::Deprovision {
        what.push("deactivate".into());
    }
    if let Some(r) = &p.reason {
        what.push(r.clone());
    }
    // Padding counts the visible text, not the colour codes around it.
    let pad = 12 + action.len() - action_name(p.action).len();
    let mut line = format!(
        "  {:<5} {:<pad$} {:<34} {}",
        p.line,
        action,
        p.email,
        what.join("; ")
    );
    if let Some(outcome) = e.outcome {
        line.push_str(&format!("  [{}]", outcome.as_str()));
    }
    if let Some(err) = &e.error {
        line.push_str(&format!(" {}", s.red(&err.message)));
    }
    line + "\n"
}

fn action_name(a: PlanAction) -> &'static str {
    match a {
        PlanAction::Create => "create",
        PlanAction::Update => "update",
        PlanAction::Deprovision => "deprovision",
        PlanAction::Skip => "skip",
        PlanAction::Unchanged => "unchanged",
    }
}

fn orphan_line(o: &DocumentOrphan, s: Style) -> String {
    let x = &o.orphan;
    let groups = if x.groups.is_empty() {
        "-".to_string()
    } else {
        x.groups.join(",")
    };
    let mut line = format!(
        "  {:<34} scim {}  account {}  externalId {}  {}  groups {}  → {}",
        x.email,
        x.scim_user_id,
        x.account_id.as_deref().unwrap_or("-"),
        x.external_id.as_deref().unwrap_or("-"),
        if x.active { "active" } else { "inactive" },
        groups,
        match o.action {
            OrphanAction::Report => "report".to_string(),
            OrphanAction::Deprovision => s.red("deprovision"),
        }
    );
    if let Some(r) = &o.reason {
        line.push_str(&format!(" ({r})"));
    }
    if let Some(outcome) = o.outcome {
        line.push_str(&format!("  [{}]", outcome.as_str()));
    }
    line + "\n"
}
