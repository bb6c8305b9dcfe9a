//! Bulk runs: many requests through one engine, so that they share its
//! pacing (the rate limiter, the caches, the ledger) instead of each paying
//! for a process of its own.
//!
//! Items are grouped by worker ([`Request::worker_key`], or a group the host
//! names, such as an SQS FIFO message group): the items of one group run one
//! after another in input order, because a later event for a person must
//! never overtake an earlier one; different groups run concurrently, up to
//! [`BulkOptions::workers`] at a time. Each finished item is handed to the
//! caller as it finishes, with its position in the input, so a host can show
//! progress, print it, or map it back to its file line or queue record.
//!
//! Nothing here parses or validates: items are already [`Request`]s (see
//! [`lines`] for JSON Lines), so a bad input never reaches the executor.
//!
//! - [`lines`]: JSON Lines text to requests, with every bad line named;
//! - [`summary`]: counts by outcome, API calls, retries, elapsed, rate.

pub mod lines;
pub mod summary;

use futures::stream::{self, Stream, StreamExt};

use crate::clock::rfc3339;
use crate::engine::{identity_of, Lcm, RunOptions};
use crate::event::{ActionCall, Request};
use crate::report::{ErrorCode, Identity, Report, ReportError};

pub use lines::{parse_lines, LineError};
pub use summary::{BulkSummary, OutcomeCounts};

/// One request of a bulk run.
#[derive(Debug, Clone)]
pub struct BulkItem {
    /// The validated request.
    pub request: Request,
    /// The ordering group: items of one group run in input order, one at a
    /// time. `None` means the request's worker key; a request with neither
    /// (a CHECK) is a group of its own.
    pub group: Option<String>,
}

impl BulkItem {
    /// An item ordered by its worker.
    pub fn new(request: Request) -> Self {
        BulkItem {
            request,
            group: None,
        }
    }

    /// An item ordered within `group` (an SQS FIFO `MessageGroupId`), which
    /// may differ from the worker key.
    pub fn in_group(request: Request, group: impl Into<String>) -> Self {
        BulkItem {
            request,
            group: Some(group.into()),
        }
    }

    fn group_key(&self) -> Option<String> {
        self.group.clone().or_else(|| self.request.worker_key())
    }
}

/// How a bulk run is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOptions {
    /// Passed to every run (dry run, deadline).
    pub run: RunOptions,
    /// Groups (workers) in progress at once; at least 1. Each run keeps its
    /// own requests within `LCM_CONCURRENCY`, and the engine's rate limiter
    /// paces all of them together.
    pub workers: usize,
    /// After an item fails transiently ([`Report::is_transient_failure`]),
    /// do not run the later items of its group: report each as failed with
    /// [`ErrorCode::EarlierEventFailed`], nothing sent. A queue that
    /// redelivers the failed item must redeliver these after it, never
    /// before (SQS FIFO partial batches). A permanent failure does not hold
    /// the group: retrying it cannot help, so nothing will come before them.
    pub hold_after_transient_failure: bool,
}

impl BulkOptions {
    /// `workers` groups at a time, nothing held after a failure.
    pub fn new(workers: usize) -> Self {
        BulkOptions {
            run: RunOptions::default(),
            workers,
            hold_after_transient_failure: false,
        }
    }
}

/// One finished item.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The item's position in the input, from 0.
    pub index: usize,
    /// Its report.
    pub report: Report,
}

/// The items in groups: each group's items in input order, the groups in
/// order of their first item (so the run starts in roughly input order).
fn into_groups(items: Vec<BulkItem>) -> Vec<Vec<(usize, Request)>> {
    let mut groups: Vec<Vec<(usize, Request)>> = Vec::new();
    let mut slot_of: std::collections::HashMap<String, usize> = Default::default();
    for (index, item) in items.into_iter().enumerate() {
        let slot = match item.group_key() {
            Some(key) => *slot_of.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            }),
            None => {
                groups.push(Vec::new());
                groups.len() - 1
            }
        };
        groups[slot].push((index, item.request));
    }
    groups
}

/// The items' reports as they finish (not in input order: use
/// [`Finished::index`]). Nothing runs until the stream is polled.
pub fn stream<'a>(
    lcm: &'a Lcm,
    items: Vec<BulkItem>,
    options: BulkOptions,
) -> impl Stream<Item = Finished> + 'a {
    stream::iter(into_groups(items))
        // Boxed: the groups are polled side by side, so each must stay put.
        .map(move |group| Box::pin(group_stream(lcm, group, options)))
        .flatten_unordered(options.workers.max(1))
}

/// One group, item after item. `held` is the earlier item that failed
/// transiently, once one has and the options say to hold.
fn group_stream(
    lcm: &Lcm,
    group: Vec<(usize, Request)>,
    options: BulkOptions,
) -> impl Stream<Item = Finished> + '_ {
    let state = (group.into_iter(), None::<Held>);
    stream::unfold(state, move |(mut items, held)| async move {
        let (index, request) = items.next()?;
        let report = match &held {
            Some(earlier) => not_attempted(lcm, &request, options.run, earlier),
            None => lcm.run(&request, options.run).await,
        };
        let held = held.or_else(|| {
            (options.hold_after_transient_failure && report.is_transient_failure()).then(|| Held {
                index,
                event_id: request.event_id.clone(),
            })
        });
        Some((Finished { index, report }, (items, held)))
    })
}

/// The earlier item a group is held behind.
#[derive(Debug, Clone)]
struct Held {
    index: usize,
    event_id: Option<String>,
}

/// The report of an item held behind an earlier failure: refused, nothing sent.
fn not_attempted(lcm: &Lcm, request: &Request, options: RunOptions, earlier: &Held) -> Report {
    let which = match &earlier.event_id {
        Some(id) => format!("event `{id}`"),
        None => format!("item {} of the batch", earlier.index + 1),
    };
    let error = ReportError {
        code: ErrorCode::EarlierEventFailed,
        message: format!(
            "not attempted: an earlier event for this worker ({which}) failed transiently, and this \
             one must not be applied before it; nothing was sent to Atlassian, retry it after that one"
        ),
    };
    let outcome = Report::derive_outcome(&[], Some(&error));
    Report {
        actions: request.calls.iter().map(ActionCall::kind).collect(),
        derived: None,
        lifecycle: request.lifecycle.map(|l| l.as_str().to_string()),
        event_id: request.event_id.clone(),
        identity: identity_of(Identity::default(), request),
        outcome,
        dry_run: request.dry_run || options.dry_run || lcm.config().safety().dry_run_only(),
        error: Some(error),
        stale_after: None,
        steps: Vec::new(),
        audit: Vec::new(),
        plan: Vec::new(),
        warnings: Vec::new(),
        verification: Vec::new(),
        api_calls: 0,
        retries: 0,
        started_at: rfc3339(lcm.clock().now_ms()),
        duration_ms: 0,
    }
}

/// Runs every item, hands each to `on_finished` as it finishes, and returns
/// the summary of the whole run.
pub async fn run(
    lcm: &Lcm,
    items: Vec<BulkItem>,
    options: BulkOptions,
    mut on_finished: impl FnMut(Finished),
) -> BulkSummary {
    let started = lcm.clock().now_ms();
    let mut summary = BulkSummary::default();
    let mut finished = std::pin::pin!(stream(lcm, items, options));
    while let Some(item) = finished.next().await {
        summary.add(&item.report);
        on_finished(item);
    }
    summary.finish(lcm.clock().now_ms().saturating_sub(started));
    summary
}

#[cfg(test)]
mod tests;
