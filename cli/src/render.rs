//! Reports for people: one line per step, a glyph for its status, the plan in
//! a dry run, warnings and the audit trail — readable at a glance. `--json`
//! bypasses all of this and prints the report as every host returns it.

use atlassian_lcm::products::Access;
use atlassian_lcm::report::{AuditEvent, Report, Step, StepStatus};

/// ANSI styling, off when stdout is not a terminal or `NO_COLOR` is set.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Detects whether to colour.
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
    pub fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    pub fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    pub fn cyan(&self, t: &str) -> String {
        self.paint("36", t)
    }
}

/// The report as text: the outcome line, the refusal, the steps, the plan,
/// the product verification and the warnings.
pub fn report(r: &Report, s: Style) -> String {
    let mut out = outcome_line(r, s);
    if let Some(e) = &r.error {
        out.push_str(&format!(
            "  {} {} ({})\n",
            s.red("refused:"),
            e.message,
            e.code.as_str()
        ));
    }
    for step in &r.steps {
        out.push_str(&step_lines(step, s));
    }
    out.push_str(&plan_lines(r, s));
    for v in &r.verification {
        let state = match v.state {
            Access::Active => s.green(v.state.as_str()),
            Access::Inactive | Access::Absent => s.cyan(v.state.as_str()),
            Access::Unknown => s.yellow(v.state.as_str()),
        };
        out.push_str(&format!(
            "  {} {} on {}: {state} ({})\n",
            s.bold("verified:"),
            v.product.title(),
            v.site,
            v.detail
        ));
    }
    for w in &r.warnings {
        out.push_str(&format!("  {} {w}\n", s.yellow("warning:")));
    }
    out
}

/// One event of a bulk run: where it came from and its outcome line; the
/// full report when it did not succeed, so a failure is never one line among
/// hundreds.
pub fn bulk_entry(location: &str, r: &Report, s: Style) -> String {
    let detail = if r.outcome.is_success() {
        outcome_line(r, s)
    } else {
        report(r, s)
    };
    format!("{}{detail}", s.bold(location))
}

/// `outcome: succeeded  3 API calls, ...  [JOINER who]` (`[derived update: ...]`
/// for a worker state).
fn outcome_line(r: &Report, s: Style) -> String {
    let outcome = r.outcome.as_str();
    let outcome = match r.outcome {
        o if !o.is_success() => s.red(outcome),
        atlassian_lcm::Outcome::Succeeded => s.green(outcome),
        atlassian_lcm::Outcome::Planned => s.cyan(outcome),
        _ => s.dim(outcome),
    };
    let who = [r.identity.email.as_deref(), r.identity.hr_id.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
    let actions: Vec<&str> = r.actions.iter().map(|a| a.as_str()).collect();
    // A worker state's action is derived: say which, before what it ran.
    let derived = r
        .derived
        .map(|d| {
            format!(
                "derived {}{}",
                d.as_str(),
                if actions.is_empty() { "" } else { ": " }
            )
        })
        .unwrap_or_default();
    format!(
        "  {} {}  {}  {}\n",
        s.bold("outcome:"),
        outcome,
        s.dim(&format!(
            "{} API calls, {} retries, {} ms",
            r.api_calls, r.retries, r.duration_ms
        )),
        s.dim(&format!(
            "[{derived}{}{}]",
            actions.join(" + "),
            if who.is_empty() {
                String::new()
            } else {
                format!(" {who}")
            }
        )),
    )
}

/// One step: its glyph, target, operation, detail and the system that answered; its error below.
fn step_lines(step: &Step, s: Style) -> String {
    let (glyph, word) = match step.status {
        StepStatus::Done => (s.green("✔"), "done"),
        StepStatus::Passed => (s.green("✔"), "ok"),
        StepStatus::NoChange => (s.dim("="), "no change"),
        StepStatus::Planned => (s.cyan("→"), "planned"),
        StepStatus::Skipped => (s.yellow("–"), "skipped"),
        StepStatus::Failed => (s.red("✘"), "failed"),
    };
    let via = match (step.system, step.http_status) {
        (Some(sys), Some(code)) => format!(
            " [{} {}{}]",
            serde_plain(&sys),
            code,
            if step.attempts > 1 {
                format!(", {} attempts", step.attempts)
            } else {
                String::new()
            }
        ),
        (Some(sys), None) => format!(" [{}]", serde_plain(&sys)),
        _ => String::new(),
    };
    let detail = if step.detail.is_empty() {
        String::new()
    } else {
        format!(": {}", step.detail)
    };
    let mut out = format!(
        "    {glyph} {:<9} {} {}{}{}\n",
        word,
        step.target,
        s.dim(&step.operation),
        detail,
        s.dim(&via)
    );
    if let Some(e) = &step.error {
        out.push_str(&format!(
            "        {} {} ({})\n",
            s.red("error:"),
            e.message,
            e.code.as_str()
        ));
    }
    out
}

/// A dry run's writes, none of them sent; empty when there is no plan.
fn plan_lines(r: &Report, s: Style) -> String {
    if r.plan.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "  {} ({} writes, none sent)\n",
        s.bold("plan"),
        r.plan.len()
    );
    for p in &r.plan {
        let body = p
            .body
            .as_ref()
            .map(|b| format!(" {}", b))
            .unwrap_or_default();
        out.push_str(&format!("    {:<6} {}{}\n", p.method, p.url, s.dim(&body)));
    }
    out
}

/// The audit trail as text, one change a line.
pub fn audit(events: &[AuditEvent], s: Style) -> String {
    let mut out = String::new();
    for e in events {
        let change = match (&e.before, &e.after) {
            (Some(b), Some(a)) => format!("{b} → {a}"),
            (None, Some(a)) => format!("→ {a}"),
            (Some(b), None) => format!("{b} → (gone)"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "  {} {:<20} {}  {}{}\n",
            s.dim(&e.at),
            e.action,
            e.target,
            s.dim(&shorten(&change, 160)),
            if e.planned {
                s.cyan(" (planned)")
            } else {
                String::new()
            }
        ));
    }
    out
}

/// A serde enum's wire name (`scim`, `ownership_conflict`).
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}
