//! How the engine puts a run through the ordering ledger ([`crate::ledger`]):
//! before any Atlassian call it takes the worker's lease and judges the event
//! against the latest applied HR fact; after the run it advances the record
//! (on `succeeded` or `no_change`) and gives the lease back.
//!
//! What is ordered:
//! - **Lifecycle events with `occurredAt`**: serialized under the worker's
//!   lease, judged (strictly older than the record → `stale_event`, no call),
//!   and recorded when a real run ends `succeeded` or `no_change`.
//! - **Lifecycle events without `occurredAt`** (the v1 schema makes it
//!   optional): they cannot be ordered, so they are serialized under the lease
//!   and applied, never judged and never recorded, with a warning. Refusing
//!   them would break producers that conform to the schema; recording them
//!   would need a time they do not have, and any time we made up (the arrival
//!   time) could wrongly refuse a real, later-stamped fact.
//! - **Worker-state events** (a roster line; `occurredAt` is required by the
//!   parser): ordered exactly as lifecycle events with `occurredAt`, their
//!   fact recorded with the lifecycle `state`.
//! - **Direct action calls** (operators, no `occurredAt`): serialized under
//!   the lease, not judged, not recorded.
//! - **Dry runs** read the record (a stale plan says so) but never take the
//!   lease or write the ledger.
//!
//! A ledger that fails before the run fails it as `ledger_unavailable`
//! (transient, nothing sent); one that fails after the run adds a warning that
//! the record did not advance, because the run's changes stand.

use crate::clock::{Clock, Sleep};
use crate::event::{Request, Timestamp};
use crate::ledger::{
    judge, lease_owner, AppliedFact, Lease, LeaseWait, Ledger, LedgerError, Verdict, WorkerKey,
};
use crate::report::{ErrorCode, NewerFact, Outcome, ReportError};

/// Why a run was refused before any Atlassian call.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    /// The report-level error.
    pub error: ReportError,
    /// With `stale_event`: the fact it lost to.
    pub stale_after: Option<NewerFact>,
}

/// One run's passage through the ledger: what it holds and what it will
/// record, from [`admit`] to [`Gate::finish`].
pub(crate) struct Gate<'a> {
    ledger: &'a dyn Ledger,
    /// The worker, once the run holds its lease or reads its record.
    key: Option<WorkerKey>,
    /// The lease owner id, while the run holds the lease.
    lease: Option<String>,
    /// The fact to record if the run ends well.
    record: Option<AppliedFact>,
    /// Set when the run must not proceed.
    pub refusal: Option<Refusal>,
    /// Warnings for the report.
    warnings: Vec<String>,
}

/// What [`admit`] needs to know of the call.
#[derive(Clone, Copy)]
pub(crate) struct Admit<'r> {
    /// The request.
    pub request: &'r Request,
    /// A plan: read the record only.
    pub dry_run: bool,
    /// The run's deadline, which bounds the wait and the lease.
    pub deadline_ms: Option<u64>,
}

/// The ledger's name for a worker-state event's fact, where a lifecycle
/// event's records its lifecycle.
pub(crate) const STATE_FACT: &str = "state";

/// Warns that an event without `occurredAt` was not ordered.
const UNORDERED: &str = "the event has no occurredAt, so it was applied in arrival order without \
     being checked against newer HR facts for this worker, and it was not recorded as the latest \
     fact; set occurredAt on lifecycle events so that a delayed older event cannot undo a newer one";

/// Takes the lease and judges the event (see the module docs). Never calls
/// Atlassian; a refusal is in [`Gate::refusal`].
pub(crate) async fn admit<'a>(
    ledger: &'a dyn Ledger,
    time: (&dyn Clock, &dyn Sleep),
    call: Admit<'_>,
) -> Gate<'a> {
    let mut gate = Gate {
        ledger,
        key: None,
        lease: None,
        record: None,
        refusal: None,
        warnings: ledger
            .scope_warning()
            .map(str::to_string)
            .into_iter()
            .collect(),
    };
    let request = call.request;
    let Some(key) = request.worker().and_then(|w| {
        WorkerKey::new(
            w.hr_id.as_ref().map(|h| h.as_str()),
            w.email.as_ref().map(|e| e.as_str()),
        )
    }) else {
        return gate;
    };
    // A worker state is ordered as an event is; its fact is recorded as `state`.
    let label = request
        .lifecycle
        .map(|l| l.as_str())
        .or(request.state.as_ref().map(|_| STATE_FACT));
    let ordered = match (label, request.occurred_at) {
        (Some(label), Some(at)) => Some(AppliedFact {
            occurred_at_ms: at.millis(),
            event_id: request.event_id.clone().unwrap_or_default(),
            lifecycle: label.to_string(),
        }),
        (Some(_), None) => {
            gate.warnings.push(UNORDERED.to_string());
            None
        }
        (None, _) => None,
    };
    if !call.dry_run {
        let owner = lease_owner(
            request.event_id.as_deref().unwrap_or("call"),
            time.0.now_ms(),
        );
        let wait = LeaseWait::default();
        match Lease::acquire(ledger, &key, &owner, time, wait, call.deadline_ms).await {
            Ok(Lease::Held) => gate.lease = Some(owner),
            Ok(Lease::Busy) => return gate.refused(busy(&key, wait)),
            Err(e) => return gate.refused(unavailable(&e)),
        }
    }
    gate.key = Some(key);
    let Some(fact) = ordered else {
        return gate;
    };
    let key = gate.key.clone().expect("set above");
    match ledger.read(&key).await {
        Ok(recorded) => match judge(recorded.as_ref(), fact.occurred_at_ms) {
            Verdict::Apply if !call.dry_run => gate.record = Some(fact),
            Verdict::Apply => {}
            Verdict::Stale(newer) => gate.refusal = Some(stale(&fact, &newer, &key)),
        },
        Err(e) => gate.refusal = Some(unavailable(&e)),
    }
    gate
}

impl Gate<'_> {
    fn refused(mut self, refusal: Refusal) -> Self {
        self.refusal = Some(refusal);
        self
    }

    /// Records the event when the run ended `succeeded` or `no_change`, gives
    /// the lease back, and returns the warnings for the report.
    pub(crate) async fn finish(self, outcome: Outcome) -> Vec<String> {
        let mut warnings = self.warnings;
        let Some(key) = self.key else {
            return warnings;
        };
        let applied = matches!(outcome, Outcome::Succeeded | Outcome::NoChange);
        if let (Some(fact), true) = (&self.record, applied && self.refusal.is_none()) {
            match self.ledger.advance(&key, fact).await {
                Ok(true) => {}
                // Only possible when this run's lease lapsed and a run of a
                // newer event finished meanwhile: the newer fact stays.
                Ok(false) => warnings.push(format!(
                    "a newer HR fact for {key} was recorded while this run was going on; \
                     the ordering record keeps the newer one"
                )),
                Err(e) => warnings.push(format!(
                    "the changes above were made, but the ordering record for {key} did not \
                     advance ({e}): an older event for this worker delivered later would not be \
                     refused as stale"
                )),
            }
        }
        if let Some(owner) = &self.lease {
            if let Err(e) = self.ledger.release(&key, owner).await {
                warnings.push(format!(
                    "the lease on {key} could not be given back ({e}); it lapses by itself, \
                     and until then other runs for this worker wait"
                ));
            }
        }
        warnings
    }
}

fn busy(key: &WorkerKey, wait: LeaseWait) -> Refusal {
    Refusal {
        error: ReportError {
            code: ErrorCode::WorkerBusy,
            message: format!(
                "another run for {key} held its lease for the whole wait ({} s); nothing was \
                 sent to Atlassian; retry later (the Lambda retries by itself)",
                wait.budget.as_secs()
            ),
        },
        stale_after: None,
    }
}

fn unavailable(e: &LedgerError) -> Refusal {
    Refusal {
        error: ReportError {
            code: ErrorCode::LedgerUnavailable,
            message: format!(
                "{e}; nothing was sent to Atlassian, since the event could not be ordered; retry \
                 when the ledger is reachable"
            ),
        },
        stale_after: None,
    }
}

fn stale(event: &AppliedFact, newer: &AppliedFact, key: &WorkerKey) -> Refusal {
    let at = |f: &AppliedFact| Timestamp::from_millis(f.occurred_at_ms).format();
    Refusal {
        error: ReportError {
            code: ErrorCode::StaleEvent,
            message: format!(
                "stale event: this {} occurred at {}, before the {} {} (occurred at {}) already \
                 applied for {key}; nothing was sent to Atlassian, because access follows the \
                 latest HR fact (send a newer event to change it)",
                event.lifecycle,
                at(event),
                newer.lifecycle,
                newer.event_id,
                at(newer),
            ),
        },
        stale_after: Some(NewerFact {
            event_id: newer.event_id.clone(),
            occurred_at: at(newer),
            lifecycle: newer.lifecycle.clone(),
        }),
    }
}
