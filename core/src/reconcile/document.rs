//! The one JSON document a reconcile returns, whichever host runs it (`lcm
//! reconcile --json`, the wasm `reconcile()`, the Lambda's `POST
//! /v1/reconcile`): the summary counts (planned when planning, done after
//! applying), the entries that differ, and the orphans.

use serde::Serialize;

use super::plan::{Orphan, PlanAction, PlanEntry, Summary};
use crate::bulk::BulkSummary;
use crate::report::{Outcome, Report, ReportError};

/// The error code of a plan refused whole by `LCM_MAX_DEPROVISIONS`.
pub const DEPROVISION_CAP_EXCEEDED: &str = "deprovision_cap_exceeded";

/// What a reconcile planned or did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileDocument {
    /// True when the plan was executed (`--apply`, not refused).
    pub applied: bool,
    /// Planned counts when planning (or refused), done counts after applying.
    pub summary: Summary,
    /// Entries and orphans whose events did not succeed (0 when planning).
    pub failed: usize,
    /// Why the plan is refused whole (it deprovisions more than
    /// `LCM_MAX_DEPROVISIONS` allows): nothing was sent, or, when planning,
    /// nothing would be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// Requests that reached Atlassian: the directory read, then the writes.
    pub api_calls: u64,
    /// Every roster worker for whom something differs (or who is skipped),
    /// in roster order; the unchanged are counted, not listed, so the
    /// document grows with the drift, not the roster.
    pub entries: Vec<DocumentEntry>,
    /// Every SCIM user no roster worker matches.
    pub orphans: Vec<DocumentOrphan>,
    /// The figures of the run that applied the plan (events, outcomes,
    /// calls, retries, elapsed, rate), as a bulk `lcm run` reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<BulkSummary>,
}

/// A refusal of the whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// [`DEPROVISION_CAP_EXCEEDED`].
    pub code: &'static str,
    /// What the plan holds and what the cap allows.
    pub message: String,
}

/// One roster worker's plan, and after applying, its event's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentEntry {
    /// What differs, before → after.
    #[serde(flatten)]
    pub plan: PlanEntry,
    /// The outcome of the event that applied it (after `--apply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Why it was not applied, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// The full report of the event that applied it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

/// What a reconcile does with an orphan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OrphanAction {
    /// Listed, not touched (`LCM_ORPHANS=report`, or not ours).
    Report,
    /// Deprovisioned (`LCM_ORPHANS=deprovision` and its `externalId` is ours).
    Deprovision,
}

/// One orphan: what Atlassian holds, and what the reconcile does with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentOrphan {
    /// E-mail, SCIM id, account id, `externalId`, groups.
    #[serde(flatten)]
    pub orphan: Orphan,
    /// Reported or deprovisioned.
    pub action: OrphanAction,
    /// Why it is only reported, under `LCM_ORPHANS=deprovision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The outcome of its leaver (after `--apply`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The full report of its leaver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

impl DocumentEntry {
    /// True when the entry was applied and its event succeeded.
    fn done(&self) -> bool {
        self.outcome == Some(Outcome::Succeeded)
    }
}

impl ReconcileDocument {
    /// The counts of what was done: each entry's planned counts when its
    /// event succeeded; an event that found nothing left to do counts as
    /// unchanged; orphans are still every orphan found, and those
    /// deprovisioned count under `deprovision` as well.
    pub fn done_summary(&self, planned_unchanged: usize) -> Summary {
        let mut s = Summary {
            orphans: self.orphans.len(),
            unchanged: planned_unchanged,
            ..Summary::default()
        };
        for e in &self.entries {
            if e.outcome == Some(Outcome::NoChange) {
                s.unchanged += 1;
            }
            if e.plan.action == PlanAction::Skip {
                s.skipped += 1;
            }
            if !e.done() {
                continue;
            }
            match e.plan.action {
                PlanAction::Create => s.create += 1,
                PlanAction::Deprovision => s.deprovision += 1,
                PlanAction::Update => s.update += usize::from(e.plan.updates_attributes()),
                PlanAction::Unchanged | PlanAction::Skip => {}
            }
            if matches!(e.plan.action, PlanAction::Create | PlanAction::Update) {
                s.memberships_added += e.plan.add.len();
                s.memberships_removed += e.plan.remove.len();
            }
        }
        s.deprovision += self
            .orphans
            .iter()
            .filter(|o| o.outcome == Some(Outcome::Succeeded))
            .count();
        s
    }

    /// True when nothing failed and nothing was refused: after applying,
    /// every event succeeded (or found nothing to do).
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.refused.is_none()
    }
}
