//! Failure semantics of asynchronous (EventBridge) events: what is retried,
//! what goes to the failure queue, and what the queue message holds.
//!
//! - **Done**: the report is a success (`succeeded`, `no_change`, `planned`).
//! - **Transient**: every failure could pass on a retry (Atlassian 5xx,
//!   time-outs, an unknown write outcome, another run holding the worker's
//!   lease (`worker_busy`) — the core's
//!   [`Report::is_transient_failure`] — or a Secrets Manager outage). The
//!   function returns an error; Lambda retries the event and, once retries
//!   are exhausted, its on-failure destination (the same queue) receives it.
//! - **Permanent**: retrying cannot help (bad input, an untrusted `source`,
//!   an event older than the worker's recorded fact (`stale_event`), disabled
//!   action, ownership conflict, removal cap, unknown group, refused
//!   credentials even after a fresh secret, invalid configuration). The function sends the
//!   event with its reason to `LCM_FAILURE_QUEUE_URL` itself and returns
//!   success, so Lambda does not retry it pointlessly. Without a queue URL —
//!   or if SQS refuses the message — it returns an error instead, so the
//!   event still reaches the platform's failure destination: nothing is lost.

use atlassian_lcm::{ErrorCode, InputError, Report};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::MessageAttributeValue;
use serde::Serialize;
use serde_json::Value;

use crate::error::HostError;

/// Why an event failed, as the queue message and logs carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureReason {
    /// Stable code: an `ErrorCode` of the core, or a host code such as `invalid_config`.
    pub code: String,
    /// The field at fault, when there is one (`worker.workEmail`, `LCM_SCIM_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl FailureReason {
    /// The reason for bad input.
    pub fn input(e: &InputError) -> Self {
        FailureReason {
            code: ErrorCode::InvalidInput.as_str().into(),
            field: Some(e.field.clone()),
            message: e.message.clone(),
        }
    }

    /// The reason for an event from a sender the deployment does not trust.
    pub fn untrusted(why: crate::settings::Untrusted) -> Self {
        FailureReason {
            code: ErrorCode::UntrustedSource.as_str().into(),
            field: Some(crate::settings::EVENT_SOURCES.into()),
            message: why.0,
        }
    }

    /// The reason for a host failure.
    pub fn host(e: &HostError) -> Self {
        FailureReason {
            code: e.code().into(),
            field: e.field().map(str::to_string),
            message: e.to_string(),
        }
    }
}

/// What to do with an event after the engine ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Succeeded (or nothing to do, or planned).
    Done,
    /// Return an error so Lambda retries.
    Transient(FailureReason),
    /// Send to the failure queue; do not retry.
    Permanent(FailureReason),
}

/// Decides from the report alone.
pub fn disposition(report: &Report) -> Disposition {
    if report.outcome.is_success() {
        return Disposition::Done;
    }
    let reason = match report.first_error() {
        Some(e) => FailureReason {
            code: e.code.as_str().into(),
            field: None,
            message: e.message.clone(),
        },
        None => FailureReason {
            code: "failed".into(),
            field: None,
            message: format!("the outcome is {}", report.outcome.as_str()),
        },
    };
    if report.is_transient_failure() {
        Disposition::Transient(reason)
    } else {
        Disposition::Permanent(reason)
    }
}

/// The failure queue message: enough to understand the failure and to replay
/// the event (`event` is the original EventBridge event, untouched).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureMessage<'a> {
    /// Why.
    pub error: &'a FailureReason,
    /// The original event.
    pub event: &'a Value,
    /// The report, when the engine ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<&'a Report>,
    /// The Lambda request id of the attempt.
    pub request_id: &'a str,
    /// The function that gave up on it.
    pub function_arn: &'a str,
    /// RFC 3339 time.
    pub failed_at: String,
    /// The SQS message id, when the event came in an SQS batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqs_message_id: Option<&'a str>,
}

/// The SQS failure queue.
#[derive(Debug, Clone)]
pub struct FailureQueue {
    /// The SQS client, built once in `main`.
    pub client: aws_sdk_sqs::Client,
    /// The queue URL.
    pub url: String,
}

impl FailureQueue {
    /// Sends the message; returns the SQS message id.
    pub async fn send(&self, message: &FailureMessage<'_>) -> Result<String, String> {
        let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
        let code = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&message.error.code)
            .build()
            .map_err(|e| e.to_string())?;
        let out = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_attributes("errorCode", code)
            .send()
            .await
            .map_err(|e| format!("{}", DisplayErrorContext(&e)))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(outcome: &str, errors: &[&str]) -> Report {
        let steps: Vec<Value> = errors
            .iter()
            .map(|code| {
                json!({"target": "t", "operation": "op", "status": "failed", "detail": "", "attempts": 1,
                       "error": {"code": code, "message": format!("{code} happened")}})
            })
            .collect();
        serde_json::from_value(json!({
            "actions": ["SYNC_IDENTITIES"], "identity": {}, "outcome": outcome, "dryRun": false,
            "steps": steps, "audit": [], "apiCalls": 1, "retries": 0,
            "startedAt": "2026-11-30T09:00:00Z", "durationMs": 5
        }))
        .unwrap()
    }

    #[test]
    fn successes_are_done() {
        for outcome in ["succeeded", "no_change", "planned"] {
            assert_eq!(disposition(&report(outcome, &[])), Disposition::Done);
        }
    }

    #[test]
    fn retryable_failures_are_transient() {
        let Disposition::Transient(reason) =
            disposition(&report("failed", &["transport", "atlassian_error"]))
        else {
            panic!("expected transient")
        };
        assert_eq!(reason.code, "transport");
    }

    #[test]
    fn anything_else_is_permanent() {
        for codes in [
            &["group_not_found"][..],
            &["ownership_conflict"],
            &["transport", "removal_cap_exceeded"],
            &["unauthorized"],
        ] {
            let Disposition::Permanent(reason) = disposition(&report("partial", codes)) else {
                panic!("expected permanent for {codes:?}")
            };
            assert_eq!(reason.code, codes[0]);
        }
    }

    #[test]
    fn message_carries_event_reason_and_report() {
        let reason = FailureReason::input(&InputError {
            field: "worker.workEmail".into(),
            message: "bad".into(),
        });
        let event = json!({"detail-type": "Worker Lifecycle"});
        let msg = FailureMessage {
            error: &reason,
            event: &event,
            report: None,
            request_id: "r-1",
            function_arn: "arn:aws:lambda:eu-west-1:1:function:lcm",
            failed_at: "2026-11-30T09:00:00Z".into(),
            sqs_message_id: None,
        };
        let v = serde_json::to_value(&msg).unwrap();
        assert_eq!(v["error"]["field"], "worker.workEmail");
        assert_eq!(v["event"]["detail-type"], "Worker Lifecycle");
        assert_eq!(v["requestId"], "r-1");
        assert!(v.get("report").is_none());
        assert!(v.get("sqsMessageId").is_none());
    }
}
