//! One invocation, start to finish: recognise it, run the engine (reading the
//! secret again and rerunning once on a 401), shape the answer for whoever
//! asked, route failures (see [`crate::failure`]), and write one log line and
//! one metrics line.

use std::time::Instant;

use atlassian_lcm::clock::{rfc3339, Clock, SystemClock};
use atlassian_lcm::reconcile::{ReconcileDocument, ReconcileOptions};
use atlassian_lcm::transport::ApiError;
use atlassian_lcm::{parse_request, ErrorCode, Outcome, Report, Request, RunOptions};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{json, Value};

use crate::app::App;
use crate::error::{HandlerError, HostError};
use crate::failure::{disposition, Disposition, FailureMessage, FailureReason};
use crate::http_api::{self, error_body, Prepared, Route};
use crate::invocation::{classify, respond, HttpAnswer, HttpCall, HttpFlavor, Invocation};
use crate::metrics::InvocationMetrics;
use crate::reconcile::{self, ReconcileJob};
use crate::sqs_batch::{self, Fate, RecordResult};

/// What the engine produced for one invocation.
#[derive(Debug)]
pub struct Run {
    /// The report (of the second run, after a credential refresh).
    pub report: Report,
    /// Atlassian requests over both runs.
    pub api_calls: u64,
    /// Retries over both runs.
    pub retries: u64,
    /// True when a 401 made the host read the secret again and rerun.
    pub refreshed: bool,
}

/// Runs a request with the current credentials; on a 401, reads the secret
/// again (ignoring the TTL), rebuilds the engine and runs the request once
/// more. The core's actions are idempotent, so the rerun is safe.
pub async fn run_engine(
    app: &App,
    request: &Request,
    options: RunOptions,
) -> Result<Run, HostError> {
    let engine = app.credentials.current().await?;
    let first = engine.lcm.run(request, options).await;
    if !(first.has_unauthorized() && app.credentials.can_rotate()) {
        return Ok(Run {
            api_calls: first.api_calls.into(),
            retries: first.retries.into(),
            report: first,
            refreshed: false,
        });
    }
    tracing::warn!(
        generation = engine.generation,
        "Atlassian refused the credentials (401): reading the secret again and rerunning once"
    );
    let fresh = app.credentials.refresh(engine.generation).await?;
    let mut second = fresh.lcm.run(request, options).await;
    // Changes the first run made before the 401 are real: keep them in the
    // audit trail, or the report would hide them.
    second.audit.splice(0..0, first.audit);
    second.warnings.push(
        "Atlassian refused the cached credentials (401); the secret was read again and the request run a second time: this report describes the second run".into(),
    );
    Ok(Run {
        api_calls: u64::from(first.api_calls) + u64::from(second.api_calls),
        retries: u64::from(first.retries) + u64::from(second.retries),
        report: second,
        refreshed: true,
    })
}

/// What the log line and the metrics say about an invocation.
#[derive(Debug, Default)]
struct Summary {
    /// The EventBridge event's own `source` (e.g. `hr.workday`), which says
    /// which HR system sent it.
    event_source: Option<String>,
    event_id: Option<String>,
    action: Option<String>,
    outcome: String,
    route: Option<&'static str>,
    http_request_id: Option<String>,
    status: Option<u16>,
    disposition: Option<&'static str>,
    error_code: Option<String>,
    error_field: Option<String>,
    api_calls: u64,
    retries: u64,
    refreshed: bool,
    not_found: bool,
    offboarding_unproven: bool,
}

impl Summary {
    fn from_run(run: &Run) -> Summary {
        let report = &run.report;
        Summary {
            event_id: report.event_id.clone(),
            action: Some(
                report
                    .actions
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join("+"),
            ),
            outcome: report.outcome.as_str().into(),
            error_code: report.first_error().map(|e| e.code.as_str().to_string()),
            api_calls: run.api_calls,
            retries: run.retries,
            refreshed: run.refreshed,
            not_found: crate::metrics::is_not_found(report),
            offboarding_unproven: atlassian_lcm::products::offboarding_unproven(report),
            ..Summary::default()
        }
    }

    fn rejected(code: &str, field: Option<&str>) -> Summary {
        Summary {
            outcome: "rejected".into(),
            error_code: Some(code.into()),
            error_field: field.map(str::to_string),
            ..Summary::default()
        }
    }

    fn host(e: &HostError) -> Summary {
        Summary {
            outcome: "error".into(),
            error_code: Some(e.code().into()),
            error_field: e.field().map(str::to_string),
            ..Summary::default()
        }
    }
}

/// The function handler: every invocation shape comes through here.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
    let started = Instant::now();
    let started_ms = SystemClock.now_ms();
    let (payload, ctx) = event.into_parts();
    let original = payload.clone();
    let invocation = classify(payload);
    let source = invocation.as_ref().map_or("unknown", Invocation::source);
    let deadline_ms = match &invocation {
        Ok(Invocation::Http(call))
            if matches!(
                call.flavor,
                HttpFlavor::ApiGatewayV1 | HttpFlavor::ApiGatewayV2
            ) =>
        {
            app.settings
                .api_gateway_deadline(ctx.deadline, started_ms, started_ms)
        }
        _ => app.settings.engine_deadline(ctx.deadline, started_ms),
    };
    let (summary, result) = match invocation {
        Err(e) => {
            let summary = Summary::rejected("unknown_invocation", None);
            (summary, Err(HandlerError::UnknownShape(e.0)))
        }
        Ok(Invocation::EventBridge(event)) => {
            let event_source = event.source.clone();
            let (mut summary, result) =
                eventbridge(app, &ctx, *event, &original, deadline_ms).await;
            summary.event_source = Some(event_source);
            (summary, result)
        }
        Ok(Invocation::Sqs(event)) => sqs(app, &ctx, *event, deadline_ms).await,
        Ok(Invocation::Http(call)) => {
            let (summary, response) = http(app, call, deadline_ms).await;
            (summary, Ok(response))
        }
        Ok(Invocation::Direct(value)) => direct(app, &value, deadline_ms).await,
        Ok(Invocation::ReconcileStep(value)) => {
            let result = crate::reconcile_steps::run_step(app, &ctx, &value, deadline_ms).await;
            let summary = Summary {
                action: Some("RECONCILE".into()),
                outcome: if result.is_ok() {
                    "succeeded"
                } else {
                    "failed"
                }
                .into(),
                ..Summary::default()
            };
            (summary, result)
        }
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    log_invocation(&ctx, source, &summary, duration_ms, result.as_ref().err());
    tracing::debug!(
        lambda_deadline_ms = ctx.deadline,
        engine_deadline_ms = deadline_ms,
        "deadline"
    );
    InvocationMetrics {
        action: summary.action.clone().unwrap_or_else(|| "NONE".into()),
        outcome: summary.outcome.clone(),
        api_calls: summary.api_calls,
        retries: summary.retries,
        not_found: summary.not_found,
        offboarding_unproven: summary.offboarding_unproven,
        duration_ms,
    }
    .emit();
    result
}

fn log_invocation(
    ctx: &Context,
    source: &str,
    s: &Summary,
    duration_ms: u64,
    error: Option<&HandlerError>,
) {
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                request_id = %ctx.request_id,
                source,
                event_source = s.event_source.as_deref(),
                event_id = s.event_id.as_deref(),
                action = s.action.as_deref(),
                route = s.route,
                http_request_id = s.http_request_id.as_deref(),
                outcome = %s.outcome,
                status = s.status,
                disposition = s.disposition,
                error_code = s.error_code.as_deref(),
                error_field = s.error_field.as_deref(),
                api_calls = s.api_calls,
                retries = s.retries,
                credentials_refreshed = s.refreshed,
                not_found = s.not_found,
                offboarding_unproven = s.offboarding_unproven,
                duration_ms,
                returned_error = error.map(|e| e.to_string()),
                "invocation"
            )
        };
    }
    let success = Outcome::parse(&s.outcome).is_some_and(Outcome::is_success);
    if error.is_some() {
        line!(error)
    } else if success {
        line!(info)
    } else {
        line!(warn)
    }
}

/// EventBridge: asynchronous. Success and permanent failures (queued) return
/// `Ok`; transient failures return `Err` so Lambda retries.
async fn eventbridge(
    app: &App,
    ctx: &Context,
    event: EventBridgeEvent<Value>,
    original: &Value,
    deadline_ms: u64,
) -> (Summary, Result<Value, HandlerError>) {
    // Before the detail is even read: a forged event gets no say at all.
    if let Err(untrusted) = app.settings.trusts_source(&event.source) {
        let mut summary = Summary::rejected(ErrorCode::UntrustedSource.as_str(), None);
        let reason = FailureReason::untrusted(untrusted);
        let result = permanent(app, ctx, original, reason, None, &mut summary).await;
        return (summary, result);
    }
    let request = match parse_request(&event.detail) {
        Ok(r) => r,
        Err(e) => {
            let mut summary = Summary::rejected(ErrorCode::InvalidInput.as_str(), Some(&e.field));
            summary.event_id = event
                .detail
                .get("eventId")
                .and_then(Value::as_str)
                .map(str::to_string);
            let reason = FailureReason::input(&e);
            let result = permanent(app, ctx, original, reason, None, &mut summary).await;
            return (summary, result);
        }
    };
    let options = RunOptions {
        deadline_ms: Some(deadline_ms),
        dry_run: false,
    };
    let run = match run_engine(app, &request, options).await {
        Ok(run) => run,
        Err(e) => {
            let mut summary = Summary::host(&e);
            summary.event_id = request.event_id.clone();
            let reason = FailureReason::host(&e);
            let result = if e.is_transient() {
                summary.disposition = Some("retry");
                Err(HandlerError::Transient {
                    code: reason.code,
                    message: reason.message,
                })
            } else {
                permanent(app, ctx, original, reason, None, &mut summary).await
            };
            return (summary, result);
        }
    };
    let mut summary = Summary::from_run(&run);
    let result = match disposition(&run.report) {
        Disposition::Done => {
            summary.disposition = Some("done");
            Ok(json!({ "disposition": "done", "report": run.report }))
        }
        Disposition::Transient(reason) => {
            summary.disposition = Some("retry");
            Err(HandlerError::Transient {
                code: reason.code,
                message: reason.message,
            })
        }
        Disposition::Permanent(reason) => {
            permanent(app, ctx, original, reason, Some(&run.report), &mut summary).await
        }
    };
    (summary, result)
}

/// An SQS batch ([`crate::sqs_batch`]): always a partial batch response,
/// unless a record to retry cannot be named (then the whole batch fails).
async fn sqs(
    app: &App,
    ctx: &Context,
    event: SqsEvent,
    deadline_ms: u64,
) -> (Summary, Result<Value, HandlerError>) {
    let records = event.records.len();
    let run = match sqs_batch::run_batch(app, ctx, event, deadline_ms).await {
        Ok(run) => run,
        Err(unnamed) => {
            let mut summary = Summary::rejected("invalid_batch", Some("messageId"));
            summary.disposition = Some("retry_batch");
            let error = HandlerError::Transient {
                code: "invalid_batch".into(),
                message: unnamed.to_string(),
            };
            return (summary, Err(error));
        }
    };
    for record in &run.records {
        log_record(record);
    }
    let done = run.records.iter().filter(|r| r.fate == Fate::Done).count();
    let outcome = if done == records {
        Outcome::Succeeded
    } else if done == 0 {
        Outcome::Failed
    } else {
        Outcome::Partial
    };
    let summary = Summary {
        outcome: outcome.as_str().into(),
        disposition: Some("batch"),
        api_calls: run.api_calls,
        retries: run.retries,
        error_code: run.records.iter().find_map(|r| match &r.fate {
            Fate::Retry(reason) | Fate::FailureQueued(reason) => Some(reason.code.clone()),
            Fate::Done => None,
        }),
        ..Summary::default()
    };
    tracing::info!(
        records,
        done,
        batch_item_failures = run.response.batch_item_failures.len(),
        "sqs batch"
    );
    let body = serde_json::to_value(&run.response).map_err(|e| HandlerError::Transient {
        code: "internal".into(),
        message: format!("cannot serialize the batch response: {e}"),
    });
    (summary, body)
}

/// One line per record: which message, its group, what became of it.
fn log_record(record: &RecordResult) {
    let reason = match &record.fate {
        Fate::Done => None,
        Fate::Retry(reason) | Fate::FailureQueued(reason) => Some(reason),
    };
    let report = record.report.as_ref();
    macro_rules! line {
        ($level:ident) => {
            tracing::$level!(
                message_id = record.id.message_id.as_deref(),
                message_group = record.id.group.as_deref(),
                event_id = report.and_then(|r| r.event_id.as_deref()),
                outcome = report.map(|r| r.outcome.as_str()),
                fate = record.fate.as_str(),
                error_code = reason.map(|r| r.code.as_str()),
                error_field = reason.and_then(|r| r.field.as_deref()),
                api_calls = report.map_or(0, |r| r.api_calls),
                "sqs record"
            )
        };
    }
    if reason.is_some() {
        line!(warn)
    } else {
        line!(info)
    }
}

/// A permanent failure of an asynchronous event: to the failure queue and
/// `Ok`, or — with no queue, or SQS failing — `Err`, so it is not lost.
async fn permanent(
    app: &App,
    ctx: &Context,
    original: &Value,
    reason: FailureReason,
    report: Option<&Report>,
    summary: &mut Summary,
) -> Result<Value, HandlerError> {
    let Some(queue) = &app.failure_queue else {
        summary.disposition = Some("error_no_queue");
        tracing::warn!(
            code = %reason.code,
            "LCM_FAILURE_QUEUE_URL is not set: returning this permanent failure as an error so that, after Lambda's retries, it reaches the function's failure destination"
        );
        return Err(HandlerError::Permanent {
            code: reason.code,
            message: reason.message,
        });
    };
    let message = FailureMessage {
        error: &reason,
        event: original,
        report,
        request_id: &ctx.request_id,
        function_arn: &ctx.invoked_function_arn,
        failed_at: rfc3339(SystemClock.now_ms()),
        sqs_message_id: None,
    };
    match queue.send(&message).await {
        Ok(message_id) => {
            summary.disposition = Some("failure_queued");
            Ok(
                json!({ "disposition": "failure_queued", "error": reason, "failureMessageId": message_id, "report": report }),
            )
        }
        Err(sqs_error) => {
            summary.disposition = Some("error_queue_failed");
            tracing::error!(
                code = %reason.code,
                sqs_error = %sqs_error,
                "cannot send the permanent failure to the failure queue: returning it as an error so Lambda's failure destination receives it"
            );
            Err(HandlerError::Permanent {
                code: reason.code,
                message: reason.message,
            })
        }
    }
}

/// API Gateway and function URLs: synchronous, always answered (never queued).
async fn http(app: &App, call: HttpCall, deadline_ms: u64) -> (Summary, Value) {
    let flavor = call.flavor;
    let (mut summary, answer) = match http_api::prepare(&call) {
        Err(answer) => {
            let code = answer.body["error"]["code"]
                .as_str()
                .unwrap_or("rejected")
                .to_string();
            let field = answer.body["error"]["field"].as_str().map(str::to_string);
            (Summary::rejected(&code, field.as_deref()), answer)
        }
        Ok(Prepared::Reconcile(job)) => {
            let (mut summary, answer) = http_reconcile(app, &job, deadline_ms).await;
            summary.route = Some(Route::Reconcile.template());
            (summary, answer)
        }
        Ok(Prepared::Job(job)) => {
            let options = RunOptions {
                deadline_ms: Some(deadline_ms),
                dry_run: job.dry_run,
            };
            let (mut summary, answer) = match run_engine(app, &job.request, options).await {
                Ok(run) => (
                    Summary::from_run(&run),
                    http_api::answer_report(&run.report),
                ),
                Err(e) => (Summary::host(&e), http_api::host_error(&e)),
            };
            summary.route = Some(job.route.template());
            (summary, answer)
        }
    };
    summary.status = Some(answer.status);
    summary.http_request_id = call.request_id.clone();
    (summary, respond(flavor, &answer))
}

/// Runs a reconcile; when reading the directory meets a 401 (nothing was
/// written yet), reads the secret again and reconciles once more, as
/// [`run_engine`] does for a request. A 401 while applying fails those
/// events, which the document reports; it is not rerun.
pub async fn run_reconcile(
    app: &App,
    job: &ReconcileJob,
    options: ReconcileOptions,
) -> Result<Result<ReconcileDocument, ApiError>, HostError> {
    let engine = app.credentials.current().await?;
    let first = engine.lcm.reconcile(&job.roster, options, |_, _| {}).await;
    match first {
        Err(e) if e.code == ErrorCode::Unauthorized && app.credentials.can_rotate() => {
            tracing::warn!(
                generation = engine.generation,
                "Atlassian refused the credentials (401) reading the directory: reading the secret again and reconciling once more"
            );
            let fresh = app.credentials.refresh(engine.generation).await?;
            Ok(fresh.lcm.reconcile(&job.roster, options, |_, _| {}).await)
        }
        other => Ok(other),
    }
}

/// `POST /v1/reconcile`: the document, or the error that kept it from being made.
async fn http_reconcile(app: &App, job: &ReconcileJob, deadline_ms: u64) -> (Summary, HttpAnswer) {
    let options = ReconcileOptions {
        apply: job.apply,
        run: RunOptions {
            deadline_ms: Some(deadline_ms),
            dry_run: false,
        },
        ..ReconcileOptions::default()
    };
    let action = Some("RECONCILE".to_string());
    match run_reconcile(app, job, options).await {
        Ok(Ok(document)) => {
            let outcome = match (&document.refused, document.applied, document.failed) {
                (Some(_), _, _) => "refused",
                (None, false, _) => Outcome::Planned.as_str(),
                (None, true, 0) => Outcome::Succeeded.as_str(),
                (None, true, _) => Outcome::Partial.as_str(),
            };
            let summary = Summary {
                action,
                outcome: outcome.into(),
                error_code: document.refused.as_ref().map(|r| r.code.to_string()),
                api_calls: document.api_calls,
                retries: document.run.as_ref().map_or(0, |r| r.retries),
                ..Summary::default()
            };
            (summary, reconcile::answer_document(&document))
        }
        Ok(Err(e)) => {
            let summary = Summary {
                action,
                outcome: Outcome::Failed.as_str().into(),
                error_code: Some(e.code.as_str().into()),
                ..Summary::default()
            };
            (summary, reconcile::read_error(&e))
        }
        Err(e) => (Summary::host(&e), http_api::host_error(&e)),
    }
}

/// A direct invocation: synchronous. The report, or `{"error": ...}` for bad
/// input or configuration; only a credentials outage is an `Err`.
async fn direct(
    app: &App,
    value: &Value,
    deadline_ms: u64,
) -> (Summary, Result<Value, HandlerError>) {
    let request = match parse_request(value) {
        Ok(r) => r,
        Err(e) => {
            return (
                Summary::rejected(ErrorCode::InvalidInput.as_str(), Some(&e.field)),
                Ok(error_body(
                    ErrorCode::InvalidInput.as_str(),
                    Some(&e.field),
                    &e.message,
                )),
            )
        }
    };
    let options = RunOptions {
        deadline_ms: Some(deadline_ms),
        dry_run: false,
    };
    match run_engine(app, &request, options).await {
        Ok(run) => {
            let summary = Summary::from_run(&run);
            let body = serde_json::to_value(&run.report)
                .unwrap_or_else(|e| error_body("internal", None, &e.to_string()));
            (summary, Ok(body))
        }
        Err(e) if e.is_transient() => {
            let summary = Summary::host(&e);
            (
                summary,
                Err(HandlerError::Transient {
                    code: e.code().into(),
                    message: e.to_string(),
                }),
            )
        }
        Err(e) => (
            Summary::host(&e),
            Ok(error_body(e.code(), e.field(), &e.to_string())),
        ),
    }
}
