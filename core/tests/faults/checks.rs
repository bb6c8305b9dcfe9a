//! The invariants judged after every delivery: the state a worker ends in is
//! the model's, or the reports say exactly which steps did not happen; a stale
//! event is refused and sends nothing; no grant follows a later leaver; a
//! replay of a converged event writes nothing; no secret in any report.

use atlassian_emulator::LoggedRequest;
use atlassian_lcm::report::{Step, StepStatus};
use atlassian_lcm::{ErrorCode, Outcome, Report};

use super::model::Person;
use super::schedule::identity;

/// How one delivery went for one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The state is the model's and the report says so (or the refusal was due).
    Converged,
    /// The state differs from the model only where the report says a step did not happen.
    ReportedExactly,
    /// An invariant broke.
    Violated(String),
}

/// Steps on the user whose failure leaves memberships unmade: everything but
/// the account's own state changes, which come after the memberships.
const ACCOUNT_ONLY: [&str; 5] = [
    "deactivate_user",
    "suspend_user",
    "restore_access",
    "delete_account",
    "delete_scim_user",
];

fn not_done(s: &Step) -> bool {
    matches!(s.status, StepStatus::Failed | StepStatus::Skipped)
}

/// Whether the reports say the worker's user-level state may differ.
fn user_covered(reports: &[&Report], user: &str) -> bool {
    reports
        .iter()
        .any(|r| r.error.is_some() || r.steps.iter().any(|s| s.target == user && not_done(s)))
}

/// Whether the reports say membership of `group` may differ.
fn group_covered(reports: &[&Report], user: &str, group: &str) -> bool {
    let target = format!("group {group}");
    reports.iter().any(|r| {
        r.error.is_some()
            || r.steps.iter().any(|s| {
                not_done(s)
                    && (s.target == target
                        || (s.target == user && !ACCOUNT_ONLY.contains(&s.operation.as_str())))
            })
    })
}

/// Every difference between `actual` and `expected` that no report covers.
fn uncovered(
    reports: &[&Report],
    worker: usize,
    expected: &Person,
    actual: &Person,
) -> Vec<String> {
    let user = format!("user {}", identity(worker).1);
    let mut out = Vec::new();
    let user_diff = expected.exists != actual.exists
        || expected.active != actual.active
        || expected.title != actual.title;
    if user_diff && !user_covered(reports, &user) {
        out.push(format!("user: expected {expected:?}, found {actual:?}"));
    }
    for g in expected.groups.symmetric_difference(&actual.groups) {
        if !group_covered(reports, &user, g) {
            let want = expected.groups.contains(g);
            out.push(format!(
                "group {g}: expected member={want}, found member={}",
                !want
            ));
        }
    }
    out
}

/// Steps a report calls done that the state does not show.
fn done_but_missing(reports: &[&Report], actual: &Person) -> Vec<String> {
    let mut out = Vec::new();
    for s in reports.iter().flat_map(|r| &r.steps) {
        if s.status != StepStatus::Done {
            continue;
        }
        let group = s.target.strip_prefix("group ");
        let holds = match (s.operation.as_str(), group) {
            ("add_membership", Some(g)) => actual.groups.contains(g),
            ("remove_membership", Some(g)) => !actual.groups.contains(g),
            ("create_user" | "reactivate_user", _) => actual.exists && actual.active,
            ("deactivate_user", _) => !actual.active,
            ("delete_scim_user", _) => !actual.exists,
            _ => true,
        };
        if !holds {
            out.push(format!(
                "{} {} reported done, state {actual:?}",
                s.operation, s.target
            ));
        }
    }
    out
}

fn success(r: &Report) -> bool {
    r.error.is_none() && matches!(r.outcome, Outcome::Succeeded | Outcome::NoChange)
}

/// Judges one worker after one delivery of its fact (one report, or several
/// for the same fact delivered at once).
pub fn judge(
    worker: usize,
    (pre, expected, actual): (&Person, &Person, &Person),
    reports: &[&Report],
    stale_expected: bool,
) -> Verdict {
    for r in reports {
        let stale = r.error.as_ref().map(|e| e.code) == Some(ErrorCode::StaleEvent);
        if stale != stale_expected {
            return Verdict::Violated(format!(
                "stale expected: {stale_expected}, report: {:?} {:?}",
                r.outcome, r.error
            ));
        }
    }
    if stale_expected {
        return if actual == pre {
            Verdict::Converged
        } else {
            Verdict::Violated(format!("a stale event changed {pre:?} into {actual:?}"))
        };
    }
    let ran = reports.iter().any(|r| r.error.is_none());
    let expected = if ran { expected } else { pre };
    if reports.iter().any(|r| success(r)) && actual != expected {
        return Verdict::Violated(format!(
            "reported {:?} but expected {expected:?}, found {actual:?}",
            reports.iter().map(|r| r.outcome).collect::<Vec<_>>()
        ));
    }
    let mut problems = uncovered(reports, worker, expected, actual);
    problems.extend(done_but_missing(reports, actual));
    if !problems.is_empty() {
        return Verdict::Violated(problems.join("; "));
    }
    if reports.iter().all(|r| success(r)) {
        Verdict::Converged
    } else {
        Verdict::ReportedExactly
    }
}

/// Membership grants in a slice of the request log.
pub fn grants(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|q| {
            let body = q.body.as_ref().map(|b| b.to_string().to_lowercase());
            (q.method == "POST" && q.path.contains("/memberships"))
                || (q.method == "PATCH"
                    && q.path.contains("/Groups/")
                    && body.is_some_and(|b| b.contains("\"add\"")))
        })
        .count()
}

/// Writes in a slice of the request log.
pub fn writes(log: &[LoggedRequest]) -> usize {
    log.iter().filter(|q| q.is_write()).count()
}

/// A secret found in a report's JSON.
pub fn secret_in(report: &Report, secrets: &[String]) -> Option<String> {
    let text = serde_json::to_string(report).expect("report serializes");
    secrets
        .iter()
        .find(|s| !s.is_empty() && text.contains(s.as_str()))
        .map(|_| "a credential appears in a report".to_string())
}
