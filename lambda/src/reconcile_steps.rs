//! The three steps of the distributed reconcile, each one invocation from
//! the template's Step Functions state machine (`ReconcileStateMachine`),
//! known by `lcmStep`:
//!
//! - `reconcile-plan` `{rosterKey, runId}`: reads the roster from the bucket,
//!   reads Atlassian once (O(pages)), plans, checks the rails (the
//!   deprovision cap: a plan over it is refused whole, before any batch
//!   runs), and writes the drift document and the plan's items (JSON Lines,
//!   one event each) under the report prefix;
//! - `reconcile-batch` `{BatchInput: {runId, bucket, asOf}, Items: [...]}`
//!   (what a Distributed Map's `ItemBatcher` sends): applies the items
//!   through the bulk executor, writes their results, and answers the
//!   batch's counts; when some failed transiently it fails the invocation
//!   with `Lcm.ReconcileBatchIncomplete` so the Map retries the batch (its
//!   events are idempotent through the ordering ledger);
//! - `reconcile-summary` `{runId, bucket, planned, batches}`: adds the
//!   batches up, writes the report and emits its metrics.
//!
//! Answers are small (the counts and keys): Step Functions passes at most
//! 256 KiB between states, and the Map's inline results hold one answer per
//! batch.

use atlassian_lcm::clock::{rfc3339, Clock, SystemClock};
use atlassian_lcm::event::{parse_roster, Timestamp};
use atlassian_lcm::reconcile::{
    plan_items, BatchTally, PlanItem, ReconcileDocument, ReconcileOptions, Summary,
};
use atlassian_lcm::RunOptions;
use lambda_runtime::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::app::App;
use crate::error::HandlerError;
use crate::handler::run_reconcile;
use crate::reconcile::ReconcileJob;
use crate::reconcile_store::{ReconcileStore, StoreError};

/// The payload key that names a step.
pub const STEP_KEY: &str = "lcmStep";

/// A step's input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "lcmStep", deny_unknown_fields)]
pub enum Step {
    /// Plan the roster at `rosterKey`.
    #[serde(rename = "reconcile-plan", rename_all = "camelCase")]
    Plan {
        /// The roster's key, under `LCM_ROSTER_PREFIX`.
        roster_key: String,
        /// The execution's name: the reports' folder.
        run_id: String,
        /// The HR time the roster states (RFC 3339); default: now.
        #[serde(default)]
        as_of: Option<String>,
    },
    /// Apply one batch of the plan's items.
    #[serde(rename = "reconcile-batch")]
    Batch {
        /// What the `ItemBatcher` adds to every batch.
        #[serde(rename = "BatchInput")]
        batch_input: BatchInput,
        /// The items.
        #[serde(rename = "Items")]
        items: Vec<PlanItem>,
    },
    /// Add the batches up.
    #[serde(rename = "reconcile-summary", rename_all = "camelCase")]
    Summary {
        /// The run.
        run_id: String,
        /// The bucket the plan step named.
        bucket: String,
        /// The plan's counts.
        planned: Summary,
        /// Every batch's answer.
        batches: Vec<BatchTally>,
    },
}

/// What every batch of one run shares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInput {
    /// The run.
    pub run_id: String,
    /// The bucket the plan step named.
    pub bucket: String,
    /// The HR time of the plan's events (RFC 3339).
    pub as_of: String,
}

/// The plan step's answer: what the state machine's `Proceed` choice and
/// `ApplyBatches` map read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanAnswer {
    /// The run.
    pub run_id: String,
    /// The bucket.
    pub bucket: String,
    /// The roster read.
    pub roster_key: String,
    /// The items, JSON Lines (what the Map's `ItemReader` reads).
    pub plan_key: String,
    /// The drift document (`lcm reconcile --json`'s).
    pub drift_key: String,
    /// The HR time of the plan's events.
    pub as_of: String,
    /// False when the plan is refused whole: no batch may run.
    pub proceed: bool,
    /// Items in the plan.
    pub items: usize,
    /// The planned counts.
    pub summary: Summary,
    /// Why the plan is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<atlassian_lcm::reconcile::Refusal>,
    /// Empty: where the Map puts the batches' answers (so `Summary` finds
    /// the path even when no batch ran).
    pub batches: Vec<Value>,
}

/// Runs the step in `payload` (which has `lcmStep`).
pub async fn run_step(
    app: &App,
    ctx: &Context,
    payload: &Value,
    deadline_ms: u64,
) -> Result<Value, HandlerError> {
    let step: Step = serde_json::from_value(payload.clone()).map_err(|e| {
        permanent(
            "invalid_input",
            format!("not a reconcile step payload: {e}"),
        )
    })?;
    let store = app.reconcile_store.as_ref().ok_or_else(|| {
        permanent(
            "invalid_config",
            "LCM_RECONCILE_BUCKET is not set: this function has no reconcile bucket".into(),
        )
    })?;
    let answer = match step {
        Step::Plan {
            roster_key,
            run_id,
            as_of,
        } => {
            check_run_id(&run_id)?;
            let as_of = as_of_or_now(as_of.as_deref())?;
            to_value(&plan(app, store, &roster_key, &run_id, as_of, deadline_ms).await?)
        }
        Step::Batch { batch_input, items } => {
            check_run_id(&batch_input.run_id)?;
            check_bucket(store, &batch_input.bucket)?;
            let as_of = as_of_or_now(Some(&batch_input.as_of))?;
            batch(
                app,
                store,
                ctx,
                &batch_input.run_id,
                as_of,
                &items,
                deadline_ms,
            )
            .await?
        }
        Step::Summary {
            run_id,
            bucket,
            planned,
            batches,
        } => {
            check_run_id(&run_id)?;
            check_bucket(store, &bucket)?;
            summary(store, &run_id, &planned, &batches).await?
        }
    };
    Ok(answer)
}

async fn plan(
    app: &App,
    store: &ReconcileStore,
    roster_key: &str,
    run_id: &str,
    as_of: Timestamp,
    deadline_ms: u64,
) -> Result<PlanAnswer, HandlerError> {
    let text = store.read_roster(roster_key).await.map_err(store_error)?;
    let roster = parse_roster(&text)
        .map_err(|e| permanent("invalid_input", format!("{roster_key}: {e}")))?;
    drop(text);
    let job = ReconcileJob {
        roster,
        apply: false,
    };
    let options = ReconcileOptions {
        apply: false,
        as_of: Some(as_of),
        run: RunOptions {
            deadline_ms: Some(deadline_ms),
            dry_run: false,
        },
    };
    let document = match run_reconcile(app, &job, options).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => {
            let message = format!("cannot read the directory: {}", e.message);
            return Err(if e.code.is_transient() {
                transient(e.code.as_str(), message)
            } else {
                permanent(e.code.as_str(), message)
            });
        }
        Err(e) if e.is_transient() => return Err(transient(e.code(), e.to_string())),
        Err(e) => return Err(permanent(e.code(), e.to_string())),
    };
    // A refused plan writes no item: nothing can run it by mistake.
    let items = match document.refused {
        Some(_) => Vec::new(),
        None => plan_items(&document, &job.roster, as_of),
    };
    let drift = serde_json::to_vec(&document).map_err(internal)?;
    let folder = format!("{run_id}/");
    let drift_key = write(store, &format!("{folder}drift.json"), drift, JSON).await?;
    let plan_key = write(store, &format!("{folder}plan.jsonl"), jsonl(&items)?, JSONL).await?;
    Ok(plan_answer(
        store,
        &document,
        roster_key,
        run_id,
        as_of,
        items.len(),
        [plan_key, drift_key],
    ))
}

fn plan_answer(
    store: &ReconcileStore,
    document: &ReconcileDocument,
    roster_key: &str,
    run_id: &str,
    as_of: Timestamp,
    items: usize,
    [plan_key, drift_key]: [String; 2],
) -> PlanAnswer {
    PlanAnswer {
        run_id: run_id.to_string(),
        bucket: store.settings.bucket.clone(),
        roster_key: roster_key.to_string(),
        plan_key,
        drift_key,
        as_of: as_of.format(),
        proceed: document.refused.is_none(),
        items,
        summary: document.summary,
        refused: document.refused.clone(),
        batches: Vec::new(),
    }
}

async fn batch(
    app: &App,
    store: &ReconcileStore,
    ctx: &Context,
    run_id: &str,
    as_of: Timestamp,
    items: &[PlanItem],
    deadline_ms: u64,
) -> Result<Value, HandlerError> {
    // Every item must be an event of this run: a batch cannot smuggle in
    // events of another time (the ledger would order them by it).
    let stamp = as_of.format();
    if let Some(bad) = items
        .iter()
        .position(|i| i.event.get("occurredAt").and_then(Value::as_str) != Some(&stamp))
    {
        return Err(permanent(
            "invalid_input",
            format!("Items[{bad}]: its event's occurredAt is not the run's asOf ({stamp})"),
        ));
    }
    let engine = app
        .credentials
        .current()
        .await
        .map_err(|e| transient(e.code(), e.to_string()))?;
    let run = RunOptions {
        deadline_ms: Some(deadline_ms),
        dry_run: false,
    };
    let applied = engine.lcm.apply_items(items, run).await;
    let details = serde_json::to_vec(&json!({
        "runId": run_id,
        "requestId": ctx.request_id,
        "batch": applied,
    }))
    .map_err(internal)?;
    let name = format!("{run_id}/batches/{}.json", safe_segment(&ctx.request_id));
    let report_key = write(store, &name, details, JSON).await?;
    let tally = applied.tally;
    tracing::info!(
        run_id,
        items = tally.items,
        succeeded = tally.succeeded,
        failed = tally.failed,
        transient = tally.transient,
        report_key,
        "reconcile batch"
    );
    if tally.transient > 0 {
        return Err(HandlerError::BatchIncomplete {
            message: format!(
                "{} of {} items failed transiently (details: {report_key}); retrying the batch applies them, and the ledger makes the rest no-ops",
                tally.transient, tally.items
            ),
        });
    }
    let mut answer = to_value(&tally);
    answer["runId"] = json!(run_id);
    answer["reportKey"] = json!(report_key);
    Ok(answer)
}

async fn summary(
    store: &ReconcileStore,
    run_id: &str,
    planned: &Summary,
    batches: &[BatchTally],
) -> Result<Value, HandlerError> {
    let total = BatchTally::total(planned, batches);
    let report = json!({
        "runId": run_id,
        "planned": planned,
        "summary": total.done,
        "items": total.items,
        "succeeded": total.succeeded,
        "noChange": total.no_change,
        "failed": total.failed,
        "apiCalls": total.api_calls,
        "batches": batches.len(),
        "finishedAt": rfc3339(SystemClock.now_ms()),
    });
    let body = serde_json::to_vec_pretty(&report).map_err(internal)?;
    let report_key = write(store, &format!("{run_id}/report.json"), body, JSON).await?;
    crate::metrics::ReconcileMetrics {
        changed: total.succeeded as u64,
        failed: total.failed as u64,
        orphans: total.done.orphans as u64,
        api_calls: total.api_calls,
    }
    .emit();
    Ok(json!({
        "runId": run_id,
        "reportKey": report_key,
        "summary": total.done,
        "failed": total.failed,
    }))
}

const JSON: &str = "application/json";
const JSONL: &str = "application/x-ndjson";

fn jsonl(items: &[PlanItem]) -> Result<Vec<u8>, HandlerError> {
    let mut out = Vec::new();
    for item in items {
        serde_json::to_writer(&mut out, item).map_err(internal)?;
        out.push(b'\n');
    }
    Ok(out)
}

async fn write(
    store: &ReconcileStore,
    name: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<String, HandlerError> {
    store
        .write_report(name, body, content_type)
        .await
        .map_err(store_error)
}

/// A run id names a folder: Step Functions execution names are 1 to 80 of
/// letters, digits, `-` and `_`, and only those are accepted.
fn check_run_id(run_id: &str) -> Result<(), HandlerError> {
    let ok = (1..=80).contains(&run_id.len())
        && run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(permanent(
            "invalid_input",
            format!(
                "runId `{}` must be 1 to 80 of A-Z, a-z, 0-9, `-` and `_` (an execution name)",
                run_id.escape_debug()
            ),
        ))
    }
}

fn check_bucket(store: &ReconcileStore, bucket: &str) -> Result<(), HandlerError> {
    if bucket == store.settings.bucket {
        return Ok(());
    }
    Err(permanent(
        "invalid_input",
        format!(
            "the step names bucket `{bucket}`, but this function's reconcile bucket is `{}`",
            store.settings.bucket
        ),
    ))
}

fn as_of_or_now(text: Option<&str>) -> Result<Timestamp, HandlerError> {
    match text {
        None => Ok(Timestamp::from_millis(SystemClock.now_ms() as i64)),
        Some(t) => Timestamp::parse(t).map_err(|e| {
            permanent(
                "invalid_input",
                format!("asOf `{t}` is not an RFC 3339 time: {e}"),
            )
        }),
    }
}

/// Lambda request ids are UUIDs; anything else is reduced to what a key
/// segment may hold.
fn safe_segment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_else(|e| json!({"error": e.to_string()}))
}

fn store_error(e: StoreError) -> HandlerError {
    match e {
        StoreError::S3 { .. } => transient("s3_unavailable", e.to_string()),
        StoreError::Key(_) | StoreError::Roster(_) => permanent("invalid_input", e.to_string()),
    }
}

fn permanent(code: &str, message: String) -> HandlerError {
    HandlerError::Permanent {
        code: code.to_string(),
        message,
    }
}

fn transient(code: &str, message: String) -> HandlerError {
    HandlerError::Transient {
        code: code.to_string(),
        message,
    }
}

fn internal(e: serde_json::Error) -> HandlerError {
    transient("internal", e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_exactly_as_the_state_machine_sends_them() {
        let plan: Step = serde_json::from_value(json!({
            "lcmStep": "reconcile-plan", "rosterKey": "rosters/r.jsonl", "runId": "run-1"
        }))
        .unwrap();
        assert_eq!(
            plan,
            Step::Plan {
                roster_key: "rosters/r.jsonl".into(),
                run_id: "run-1".into(),
                as_of: None
            }
        );
        let batch: Step = serde_json::from_value(json!({
            "lcmStep": "reconcile-batch",
            "BatchInput": {"runId": "run-1", "bucket": "b", "asOf": "2026-12-01T00:00:00Z"},
            "Items": [{"hrId": "E1", "email": "a@example.com", "action": "deprovision",
                       "event": {"lifecycle": "leaver"}}]
        }))
        .unwrap();
        let Step::Batch { batch_input, items } = batch else {
            panic!()
        };
        assert_eq!((batch_input.run_id.as_str(), items.len()), ("run-1", 1));
        let summary: Step = serde_json::from_value(json!({
            "lcmStep": "reconcile-summary", "runId": "run-1", "bucket": "b",
            "planned": {"create": 1, "unchanged": 9},
            "batches": [{"items": 1, "succeeded": 1, "noChange": 0, "failed": 0,
                         "apiCalls": 4, "create": 1, "runId": "run-1", "reportKey": "k"}]
        }))
        .unwrap();
        let Step::Summary {
            planned, batches, ..
        } = summary
        else {
            panic!()
        };
        let total = BatchTally::total(&planned, &batches);
        assert_eq!(
            (total.done.create, total.done.unchanged, total.api_calls),
            (1, 9, 4)
        );
        for bad in [
            json!({"lcmStep": "reconcile-plan", "runId": "r"}),
            json!({"lcmStep": "reconcile-everything", "runId": "r"}),
            json!({"lcmStep": "reconcile-plan", "rosterKey": "k", "runId": "r", "bucket": "other"}),
        ] {
            assert!(
                serde_json::from_value::<Step>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn run_ids_are_execution_names() {
        assert!(check_run_id("0b6f-run_2026").is_ok());
        for bad in ["", "../x", "a/b", "a b", &"x".repeat(81)] {
            let e = check_run_id(bad).unwrap_err();
            assert!(e.to_string().contains("runId"), "{bad}: {e}");
        }
    }
}
