//! Planning and applying a reconcile as one call each, so every host (the
//! CLI, wasm, the Lambda) stays a parser and a printer: roster text in, the
//! [`ReconcileDocument`] out. Applying runs the plan's events through the
//! bulk executor, so they take the same actions, rails, rate limiter,
//! per-worker ordering and ledger as HR events do.

use std::collections::HashMap;

use super::document::{
    DocumentEntry, DocumentOrphan, OrphanAction, ReconcileDocument, Refusal,
    DEPROVISION_CAP_EXCEEDED,
};
use super::items::{invalid_input, plan_items};
use super::plan::{Orphan, OrphanPolicy, Plan, PlanAction};
use crate::bulk::{self, BulkItem, BulkOptions, Finished};
use crate::engine::{Lcm, RunOptions};
use crate::event::{parse_roster, Roster, RosterError, Timestamp};
use crate::ledger::WorkerKey;
use crate::report::Outcome;
use crate::transport::ApiError;

/// How a reconcile runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileOptions {
    /// Execute the plan (`--apply`); otherwise only plan, writing nothing.
    pub apply: bool,
    /// The HR time the roster states (`--as-of`); default: now. Each event
    /// is one fact as of this time for the ordering ledger.
    pub as_of: Option<Timestamp>,
    /// Passed to every event (a deadline; `dry_run` plans each event).
    pub run: RunOptions,
}

/// Why a reconcile made no document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// A bad roster: every bad line, by number and field; nothing was sent.
    #[error("{0}")]
    Roster(RosterError),
    /// The directory could not be read; nothing was written.
    #[error("cannot read the directory ({}): {}", .0.code.as_str(), .0.message)]
    Read(ApiError),
}

impl Lcm {
    /// Parses `roster` (JSON Lines) and plans or applies its reconcile:
    /// [`Lcm::reconcile`] for hosts that hold the roster as text.
    pub async fn reconcile_text(
        &self,
        roster: &str,
        options: ReconcileOptions,
    ) -> Result<ReconcileDocument, ReconcileError> {
        let roster = parse_roster(roster).map_err(ReconcileError::Roster)?;
        self.reconcile(&roster, options, |_, _| {})
            .await
            .map_err(ReconcileError::Read)
    }

    /// Plans the reconcile of `roster` within `LCM_MANAGED_GROUPS`, takes
    /// out the grants the rails forbid, decides the orphans by
    /// `LCM_ORPHANS`, and refuses the plan whole when it
    /// deprovisions more than `LCM_MAX_DEPROVISIONS` allows (nothing sent).
    /// With `options.apply`, runs the plan's events, handing each to
    /// `on_finished` as it finishes with the number of events in all (a
    /// progress bar), and returns the done counts; otherwise the planned
    /// counts, and nothing is written.
    pub async fn reconcile(
        &self,
        roster: &Roster,
        options: ReconcileOptions,
        on_finished: impl FnMut(&Finished, usize),
    ) -> Result<ReconcileDocument, ApiError> {
        let managed = self.config().safety().managed_groups().map(<[_]>::to_vec);
        let mut planned = self.plan_reconcile(roster, managed, options.run).await?;
        planned.plan.refuse_ungrantable(self.config().safety());
        let orphans = self.decide_orphans(&planned.plan.orphans).await;
        let to_deprovision = orphans
            .iter()
            .filter(|o| o.action == OrphanAction::Deprovision)
            .count();
        let cap = self.config().safety().max_deprovisions();
        let refused = planned
            .plan
            .over_cap(cap, to_deprovision)
            .map(|message| Refusal {
                code: DEPROVISION_CAP_EXCEEDED,
                message,
            });
        let mut summary = planned.plan.summary();
        summary.deprovision += to_deprovision;
        let mut document = ReconcileDocument {
            applied: false,
            summary,
            failed: 0,
            refused,
            api_calls: u64::from(planned.api_calls),
            entries: differing(&planned.plan),
            orphans,
            run: None,
        };
        if options.apply && document.refused.is_none() {
            let as_of = options
                .as_of
                .unwrap_or_else(|| Timestamp::from_millis(self.clock().now_ms() as i64));
            self.apply(&mut document, roster, as_of, options.run, on_finished)
                .await;
            document.summary = document.done_summary(planned.plan.summary().unchanged);
        }
        Ok(document)
    }

    /// Each orphan as reported or to be deprovisioned. Safe reading of
    /// "its `externalId` looks like ours": an `externalId` alone cannot say
    /// which provisioner set it, so an orphan is ours only when the ordering
    /// ledger holds an event this connector applied for that HR id; any
    /// other (another provisioner's, one set by hand, or ours from before
    /// this ledger) is reported, never deprovisioned.
    async fn decide_orphans(&self, orphans: &[Orphan]) -> Vec<DocumentOrphan> {
        let policy = self.config().safety().orphans();
        let mut out = Vec::with_capacity(orphans.len());
        for orphan in orphans {
            let (action, reason) = match policy {
                OrphanPolicy::Report => (OrphanAction::Report, None),
                OrphanPolicy::Deprovision => self.orphan_action(orphan).await,
            };
            out.push(DocumentOrphan {
                orphan: orphan.clone(),
                action,
                reason,
                outcome: None,
                report: None,
            });
        }
        out
    }

    async fn orphan_action(&self, orphan: &Orphan) -> (OrphanAction, Option<String>) {
        let report = |why: &str| (OrphanAction::Report, Some(why.to_string()));
        if !orphan.active && orphan.groups.is_empty() {
            return report("already deactivated, in no group");
        }
        let Some(key) = orphan
            .external_id
            .as_deref()
            .and_then(|x| WorkerKey::new(Some(x), None))
        else {
            return report("no externalId: not provisioned by this connector");
        };
        match self.ledger().read(&key).await {
            Ok(Some(_)) => (OrphanAction::Deprovision, None),
            Ok(None) => {
                report("the ledger holds no event for its externalId: not known to be ours")
            }
            Err(_) => report("the ledger could not be read: not known to be ours"),
        }
    }

    /// Runs the document's entries and orphans to deprovision as events
    /// through the bulk executor, and records each outcome in its entry.
    async fn apply(
        &self,
        document: &mut ReconcileDocument,
        roster: &Roster,
        as_of: Timestamp,
        run: RunOptions,
        mut on_finished: impl FnMut(&Finished, usize),
    ) {
        // Where each item's report goes: an entry, or an orphan.
        let mut slots = Vec::new();
        let mut items = Vec::new();
        let entry_of: HashMap<usize, usize> = document
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.plan.line, i))
            .collect();
        let mut orphans_to_go = document
            .orphans
            .iter()
            .enumerate()
            .filter(|(_, o)| o.action == OrphanAction::Deprovision)
            .map(|(i, _)| i);
        for item in plan_items(document, roster, as_of) {
            let slot = match item.line.and_then(|l| entry_of.get(&l)) {
                Some(&i) if !item.orphan => Slot::Entry(i),
                _ => match orphans_to_go.next() {
                    Some(i) => Slot::Orphan(i),
                    None => continue,
                },
            };
            match item.request() {
                Ok(request) => {
                    slots.push(slot);
                    items.push(BulkItem::new(request));
                }
                Err(e) => {
                    if let Slot::Entry(i) = slot {
                        let entry = &mut document.entries[i];
                        entry.outcome = Some(Outcome::Failed);
                        entry.error = Some(invalid_input(item.line, &e));
                    }
                }
            }
        }
        let options = BulkOptions {
            run,
            ..BulkOptions::new(self.config().limits().concurrency())
        };
        let total = items.len();
        let mut finished = Vec::with_capacity(total);
        let totals = bulk::run(self, items, options, |f| {
            on_finished(&f, total);
            finished.push(f);
        })
        .await;
        for f in finished {
            let outcome = Some(f.report.outcome);
            match slots[f.index] {
                Slot::Entry(i) => {
                    let entry = &mut document.entries[i];
                    entry.outcome = outcome;
                    entry.error = f.report.first_error().cloned();
                    entry.report = Some(f.report);
                }
                Slot::Orphan(i) => {
                    document.orphans[i].outcome = outcome;
                    document.orphans[i].report = Some(f.report);
                }
            }
        }
        document.applied = true;
        document.api_calls += totals.api_calls;
        document.failed = failed(document);
        document.run = Some(totals);
    }
}

/// Where a bulk item's report belongs.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Entry(usize),
    Orphan(usize),
}

/// The entries that differ or are skipped, in roster order.
fn differing(plan: &Plan) -> Vec<DocumentEntry> {
    plan.entries
        .iter()
        .filter(|e| e.action != PlanAction::Unchanged)
        .map(|e| DocumentEntry {
            plan: e.clone(),
            outcome: None,
            error: None,
            report: None,
        })
        .collect()
}

/// Entries and orphans whose events ran and did not succeed.
fn failed(document: &ReconcileDocument) -> usize {
    let bad = |o: Option<Outcome>| o.is_some_and(|o| !o.is_success());
    document.entries.iter().filter(|e| bad(e.outcome)).count()
        + document.orphans.iter().filter(|o| bad(o.outcome)).count()
}
