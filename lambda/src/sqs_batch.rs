//! An SQS batch, start to finish: every record read ([`crate::sqs_record`]),
//! the runnable ones through the core's bulk executor on one engine, each
//! record's fate decided, and the partial batch response built.
//!
//! - **Done**: the record is deleted from the queue (not named).
//! - **Permanent** (bad JSON, bad input, untrusted sender, `stale_event`, any
//!   failure no retry can fix): sent with its reason to the failure queue
//!   (`LCM_FAILURE_QUEUE_URL`) and *not* named in `batchItemFailures`, since
//!   a redelivery would fail the same way. Without a queue, or when SQS
//!   refuses the message, it is named instead, so the source queue's redrive
//!   policy keeps it: nothing is lost.
//! - **Transient**: named in `batchItemFailures`, so SQS redelivers it. On a
//!   FIFO queue the executor holds the later records of the same message
//!   group (`hold_after_transient_failure`: nothing sent for them), and
//!   every later record of that group is named too — a later event for a
//!   person is never applied before an earlier one. Other groups, and the
//!   rest of the batch, are unaffected: the whole batch is never failed.

use std::collections::HashSet;

use atlassian_lcm::bulk::{self, BulkItem, BulkOptions};
use atlassian_lcm::clock::{rfc3339, Clock, SystemClock};
use atlassian_lcm::{Lcm, Report, RunOptions};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::Context;

use crate::app::App;
use crate::error::HostError;
use crate::failure::{disposition, Disposition, FailureMessage, FailureReason};
use crate::sqs_record::{parse_record, Parsed, RecordId, RecordWork, Rejected};

/// What became of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Applied (or nothing to do): deleted from the queue.
    Done,
    /// Named in `batchItemFailures`: SQS delivers it again.
    Retry(FailureReason),
    /// On the failure queue, with its reason; not named.
    FailureQueued(FailureReason),
}

impl Fate {
    /// A short name for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Fate::Done => "done",
            Fate::Retry(_) => "retry",
            Fate::FailureQueued(_) => "failure_queued",
        }
    }
}

/// One record, after the run.
#[derive(Debug, Clone)]
pub struct RecordResult {
    /// Which record.
    pub id: RecordId,
    /// What became of it.
    pub fate: Fate,
    /// Its report, when the engine ran it.
    pub report: Option<Report>,
}

/// A record's fate before the failure queue is tried.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Which record.
    pub id: RecordId,
    /// Done, transient or permanent.
    pub disposition: Disposition,
    /// Its report, when the engine ran it.
    pub report: Option<Report>,
}

/// A whole batch, after the run.
#[derive(Debug)]
pub struct BatchRun {
    /// Every record, in batch order.
    pub records: Vec<RecordResult>,
    /// What the function answers.
    pub response: SqsBatchResponse,
    /// Atlassian requests over the batch.
    pub api_calls: u64,
    /// Retries over the batch.
    pub retries: u64,
}

/// A record to retry has no `messageId`, so the response cannot name it:
/// the invocation must fail as a whole (SQS itself always sets the id).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {} must be retried but has no messageId", .0 + 1)]
pub struct Unnamed(pub usize);

/// Runs a batch (see the module documentation).
pub async fn run_batch(
    app: &App,
    ctx: &Context,
    event: SqsEvent,
    deadline_ms: u64,
) -> Result<BatchRun, Unnamed> {
    let fifo = is_fifo(&event);
    let mut verdicts = Vec::with_capacity(event.records.len());
    let mut runnable = Vec::new();
    for (index, message) in event.records.iter().enumerate() {
        match parse_record(&app.settings, index, message) {
            Ok(parsed) => runnable.push(parsed),
            Err(rejected) => verdicts.push(rejected_verdict(*rejected)),
        }
    }
    let options = RunOptions {
        deadline_ms: Some(deadline_ms),
        dry_run: false,
    };
    verdicts.extend(run_parsed(app, runnable, fifo, options).await);
    verdicts.sort_by_key(|v| v.id.index);
    let (api_calls, retries) =
        verdicts
            .iter()
            .filter_map(|v| v.report.as_ref())
            .fold((0, 0), |(calls, retries), r| {
                (
                    calls + u64::from(r.api_calls),
                    retries + u64::from(r.retries),
                )
            });
    let mut records = Vec::with_capacity(verdicts.len());
    for verdict in verdicts {
        records.push(settle(app, ctx, verdict).await);
    }
    let response = item_failures(&records)?;
    Ok(BatchRun {
        records,
        response,
        api_calls,
        retries,
    })
}

/// A FIFO batch: its records carry a message group.
pub fn is_fifo(event: &SqsEvent) -> bool {
    event.records.iter().any(|r| {
        r.attributes
            .contains_key(crate::sqs_record::MESSAGE_GROUP_ID)
            || r.event_source_arn
                .as_deref()
                .is_some_and(|a| a.ends_with(".fifo"))
    })
}

fn rejected_verdict(rejected: Rejected) -> Verdict {
    Verdict {
        id: rejected.id,
        disposition: Disposition::Permanent(rejected.reason),
        report: None,
    }
}

/// The runnable records through the engine; on a 401 with a secret to read
/// again, the secret is refreshed and the refused records retried by SQS
/// (their redelivery runs on the fresh credentials), rather than rerun here
/// out of their group's order.
async fn run_parsed(app: &App, parsed: Vec<Parsed>, fifo: bool, run: RunOptions) -> Vec<Verdict> {
    if parsed.is_empty() {
        return Vec::new();
    }
    let engine = match app.credentials.current().await {
        Ok(engine) => engine,
        Err(e) => return host_failure(parsed, &e),
    };
    let reports = execute(&engine.lcm, parsed, fifo, run).await;
    let refused = reports.iter().any(|(_, r)| r.has_unauthorized());
    let rotate = refused && app.credentials.can_rotate();
    if rotate {
        tracing::warn!(
            generation = engine.generation,
            "Atlassian refused the credentials (401): reading the secret again; the refused records are retried"
        );
        if let Err(e) = app.credentials.refresh(engine.generation).await {
            tracing::error!(code = e.code(), error = %e, "cannot read the secret again");
        }
    }
    reports
        .into_iter()
        .map(|(id, report)| {
            let disposition = match disposition(&report) {
                Disposition::Permanent(reason) if rotate && report.has_unauthorized() => {
                    Disposition::Transient(reason)
                }
                other => other,
            };
            Verdict {
                id,
                disposition,
                report: Some(report),
            }
        })
        .collect()
}

/// Every runnable record fails the same way when there is no engine.
fn host_failure(parsed: Vec<Parsed>, e: &HostError) -> Vec<Verdict> {
    let reason = FailureReason::host(e);
    parsed
        .into_iter()
        .map(|p| Verdict {
            id: p.id,
            disposition: if e.is_transient() {
                Disposition::Transient(reason.clone())
            } else {
                Disposition::Permanent(reason.clone())
            },
            report: None,
        })
        .collect()
}

/// Runs the records through the bulk executor: one FIFO message group's
/// records one after another in batch order (held after a transient
/// failure), groups side by side. Returns every record with its report.
pub async fn execute(
    lcm: &Lcm,
    parsed: Vec<Parsed>,
    fifo: bool,
    run: RunOptions,
) -> Vec<(RecordId, Report)> {
    let (ids, items): (Vec<RecordId>, Vec<BulkItem>) = parsed
        .into_iter()
        .map(|p| {
            let RecordWork::Lifecycle(request) = p.work;
            let item = match &p.id.group {
                Some(group) => BulkItem::in_group(*request, group.clone()),
                None => BulkItem::new(*request),
            };
            (p.id, item)
        })
        .unzip();
    let options = BulkOptions {
        run,
        hold_after_transient_failure: fifo,
        ..BulkOptions::new(lcm.config().limits().concurrency())
    };
    let mut reports: Vec<Option<Report>> = vec![None; ids.len()];
    bulk::run(lcm, items, options, |f| reports[f.index] = Some(f.report)).await;
    ids.into_iter()
        .zip(reports)
        .map(|(id, report)| (id, report.expect("the executor reports every item")))
        .collect()
}

/// A verdict's fate: permanent failures go to the failure queue here.
async fn settle(app: &App, ctx: &Context, verdict: Verdict) -> RecordResult {
    let Verdict {
        id,
        disposition,
        report,
    } = verdict;
    let fate = match disposition {
        Disposition::Done => Fate::Done,
        Disposition::Transient(reason) => Fate::Retry(reason),
        Disposition::Permanent(reason) => {
            queue_failure(app, ctx, &id, reason, report.as_ref()).await
        }
    };
    RecordResult { id, fate, report }
}

async fn queue_failure(
    app: &App,
    ctx: &Context,
    id: &RecordId,
    reason: FailureReason,
    report: Option<&Report>,
) -> Fate {
    let Some(queue) = &app.failure_queue else {
        tracing::warn!(
            code = %reason.code,
            message_id = id.message_id.as_deref(),
            "LCM_FAILURE_QUEUE_URL is not set: naming this permanent failure in batchItemFailures so the source queue's redrive policy keeps it"
        );
        return Fate::Retry(reason);
    };
    let message = FailureMessage {
        error: &reason,
        event: &id.body,
        report,
        request_id: &ctx.request_id,
        function_arn: &ctx.invoked_function_arn,
        failed_at: rfc3339(SystemClock.now_ms()),
        sqs_message_id: id.message_id.as_deref(),
    };
    match queue.send(&message).await {
        Ok(_) => Fate::FailureQueued(reason),
        Err(sqs_error) => {
            tracing::error!(
                code = %reason.code,
                sqs_error = %sqs_error,
                "cannot send the permanent failure to the failure queue: naming it in batchItemFailures instead"
            );
            Fate::Retry(reason)
        }
    }
}

/// The partial batch response: every record to retry and, on a FIFO queue,
/// every later record of a message group one of them belongs to.
pub fn item_failures(records: &[RecordResult]) -> Result<SqsBatchResponse, Unnamed> {
    let mut response = SqsBatchResponse::default();
    let mut failed_groups: HashSet<&str> = HashSet::new();
    for record in records {
        let behind_failure = record
            .id
            .group
            .as_deref()
            .is_some_and(|g| failed_groups.contains(g));
        if !(behind_failure || matches!(record.fate, Fate::Retry(_))) {
            continue;
        }
        let Some(message_id) = &record.id.message_id else {
            return Err(Unnamed(record.id.index));
        };
        response.add_failure(message_id.clone());
        if let Some(group) = record.id.group.as_deref() {
            failed_groups.insert(group);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests;
