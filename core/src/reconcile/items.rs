//! The plan as self-contained items, one event each, for applying a
//! reconcile anywhere: in this process ([`Lcm::reconcile`] with `apply`), or
//! spread over many (Step Functions' Distributed Map reads the items from S3
//! as JSON Lines, batches them, and hands each batch to a function, which
//! calls [`Lcm::apply_items`]). An item carries the event itself and what it
//! adds to the done counts, so a batch needs neither the roster nor the
//! directory, and the batches' tallies add up to the same summary an
//! in-process apply reports.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::document::{OrphanAction, ReconcileDocument};
use super::events::{event_value, orphan_event_value, EventValue};
use super::plan::{PlanAction, Summary};
use crate::bulk::{self, BulkItem, BulkOptions};
use crate::engine::{Lcm, RunOptions};
use crate::event::{InputError, Request, Roster, RosterEntry, Timestamp};
use crate::report::{ErrorCode, Outcome, Report, ReportError};

/// One thing to do: a roster entry's event, or an orphan's leaver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanItem {
    /// The roster line it was planned from (none for an orphan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// HR id (an orphan's `externalId`).
    pub hr_id: String,
    /// Work e-mail.
    pub email: String,
    /// `create`, `update` or `deprovision`.
    pub action: PlanAction,
    /// An orphan's leaver, not a roster entry's event.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub orphan: bool,
    /// Counts under `update` when it succeeds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub updates_attributes: bool,
    /// Memberships it adds for an active worker.
    #[serde(default)]
    pub memberships_added: usize,
    /// Memberships it removes from an active worker.
    #[serde(default)]
    pub memberships_removed: usize,
    /// Apply as a rehire that sets `active: true`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reactivate: bool,
    /// The lifecycle event, validated where it is applied.
    pub event: serde_json::Value,
}

impl PlanItem {
    /// The validated request; a bad event (a new hire without a name, or an
    /// item altered in storage) is an input error naming its field.
    pub fn request(&self) -> Result<Request, InputError> {
        EventValue {
            event: self.event.clone(),
            reactivate: self.reactivate,
        }
        .request(self.line)
    }
}

/// The items of a planned document: an event for every entry that differs
/// (a skipped one has none), then a leaver for every orphan to deprovision.
/// Each is one HR fact as of `as_of`, so a worker whose ledger holds a newer
/// event is refused as stale.
pub fn plan_items(
    document: &ReconcileDocument,
    roster: &Roster,
    as_of: Timestamp,
) -> Vec<PlanItem> {
    let lines: HashMap<usize, &RosterEntry> = roster.entries.iter().map(|l| (l.line, l)).collect();
    let entries = document.entries.iter().filter_map(|entry| {
        let plan = &entry.plan;
        let value = event_value(plan, lines.get(&plan.line)?, as_of)?;
        let active = matches!(plan.action, PlanAction::Create | PlanAction::Update);
        Some(PlanItem {
            line: Some(plan.line),
            hr_id: plan.hr_id.clone(),
            email: plan.email.clone(),
            action: plan.action,
            orphan: false,
            updates_attributes: plan.updates_attributes(),
            memberships_added: if active { plan.add.len() } else { 0 },
            memberships_removed: if active { plan.remove.len() } else { 0 },
            reactivate: value.reactivate,
            event: value.event,
        })
    });
    let orphans = document
        .orphans
        .iter()
        .filter(|o| o.action == OrphanAction::Deprovision)
        .map(|o| {
            let value = orphan_event_value(&o.orphan, as_of);
            PlanItem {
                line: None,
                hr_id: o.orphan.external_id.clone().unwrap_or_default(),
                email: o.orphan.email.clone(),
                action: PlanAction::Deprovision,
                orphan: true,
                updates_attributes: false,
                memberships_added: 0,
                memberships_removed: 0,
                reactivate: false,
                event: value.event,
            }
        });
    entries.chain(orphans).collect()
}

/// What one item came to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemResult {
    /// The roster line (none for an orphan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// HR id.
    pub hr_id: String,
    /// Work e-mail.
    pub email: String,
    /// What was planned.
    pub action: PlanAction,
    /// How its event ended.
    pub outcome: Outcome,
    /// Why it did not succeed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// Its event's report (none when the item was not a valid event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
}

/// The counts of a batch of items, which add up across batches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTally {
    /// Items in the batch.
    pub items: usize,
    /// Items whose event succeeded.
    pub succeeded: usize,
    /// Items whose event found nothing left to do.
    pub no_change: usize,
    /// Items that did not succeed.
    pub failed: usize,
    /// Of those, the ones a later attempt may apply (Atlassian 5xx,
    /// time-outs, 429s past the deadline).
    #[serde(default)]
    pub transient: usize,
    /// Requests that reached Atlassian.
    pub api_calls: u64,
    /// The done counts of the items that succeeded (`unchanged` counts the
    /// no-change ones).
    #[serde(flatten)]
    pub done: Summary,
}

impl BatchTally {
    fn add(&mut self, item: &PlanItem, outcome: Outcome, transient: bool) {
        self.items += 1;
        match outcome {
            Outcome::Succeeded => {
                self.succeeded += 1;
                let d = &mut self.done;
                match item.action {
                    PlanAction::Create => d.create += 1,
                    PlanAction::Deprovision => d.deprovision += 1,
                    PlanAction::Update => d.update += usize::from(item.updates_attributes),
                    PlanAction::Unchanged | PlanAction::Skip => {}
                }
                d.memberships_added += item.memberships_added;
                d.memberships_removed += item.memberships_removed;
            }
            Outcome::NoChange => {
                self.no_change += 1;
                self.done.unchanged += 1;
            }
            _ => {
                self.failed += 1;
                self.transient += usize::from(transient);
            }
        }
    }

    /// The run's totals: the done counts of every batch, with the plan's
    /// unchanged, orphans and skipped (which no batch sees).
    pub fn total(planned: &Summary, batches: &[BatchTally]) -> BatchTally {
        let mut t = BatchTally::default();
        for b in batches {
            t.items += b.items;
            t.succeeded += b.succeeded;
            t.no_change += b.no_change;
            t.failed += b.failed;
            t.transient += b.transient;
            t.api_calls += b.api_calls;
            t.done.add_changes(&b.done);
        }
        t.done.unchanged += planned.unchanged;
        t.done.orphans = planned.orphans;
        t.done.skipped = planned.skipped;
        t
    }
}

/// A batch applied: its counts and each item's result, in item order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedBatch {
    /// The counts.
    #[serde(flatten)]
    pub tally: BatchTally,
    /// One per item.
    pub results: Vec<ItemResult>,
}

impl Lcm {
    /// Applies `items` through the bulk executor (rate limiter, per-worker
    /// ordering, ledger), as [`Lcm::reconcile`] applies a whole plan. An
    /// item that is not a valid event fails on its own, nothing sent for it.
    pub async fn apply_items(&self, items: &[PlanItem], run: RunOptions) -> AppliedBatch {
        let mut results: Vec<Option<ItemResult>> = vec![None; items.len()];
        let mut slots = Vec::new();
        let mut bulk_items = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.request() {
                Ok(request) => {
                    slots.push(i);
                    bulk_items.push(BulkItem::new(request));
                }
                Err(e) => results[i] = Some(invalid(item, &e)),
            }
        }
        let options = BulkOptions {
            run,
            ..BulkOptions::new(self.config().limits().concurrency())
        };
        let totals = bulk::run(self, bulk_items, options, |f| {
            let item = &items[slots[f.index]];
            results[slots[f.index]] = Some(ItemResult {
                line: item.line,
                hr_id: item.hr_id.clone(),
                email: item.email.clone(),
                action: item.action,
                outcome: f.report.outcome,
                error: f.report.first_error().cloned(),
                report: Some(f.report),
            });
        })
        .await;
        let mut tally = BatchTally {
            api_calls: totals.api_calls,
            ..BatchTally::default()
        };
        for (item, r) in items.iter().zip(&results) {
            let Some(r) = r else { continue };
            let transient = r.report.as_ref().is_some_and(Report::is_transient_failure);
            tally.add(item, r.outcome, transient);
        }
        let results = results.into_iter().flatten().collect();
        AppliedBatch { tally, results }
    }
}

fn invalid(item: &PlanItem, e: &InputError) -> ItemResult {
    ItemResult {
        line: item.line,
        hr_id: item.hr_id.clone(),
        email: item.email.clone(),
        action: item.action,
        outcome: Outcome::Failed,
        error: Some(invalid_input(item.line, e)),
        report: None,
    }
}

/// An item's input error as `line N: field: message` (the field after the
/// line, which the event's message starts with).
pub(crate) fn invalid_input(line: Option<usize>, e: &InputError) -> ReportError {
    let prefix = line.map(|n| format!("line {n}: ")).unwrap_or_default();
    let message = e.message.strip_prefix(&prefix).unwrap_or(&e.message);
    ReportError {
        code: ErrorCode::InvalidInput,
        message: format!("{prefix}{}: {message}", e.field),
    }
}
