//! One SQS record, read: which message it is, its FIFO message group, and
//! what its body asks for — or why it can never be run (bad JSON, bad input,
//! an untrusted sender), which no redelivery can change.
//!
//! The body is the EventBridge event the HR system put on the bus, as the
//! pipe (`infra/template.yaml`, `EventsPipe`) forwards it: `source` is
//! checked against `LCM_EVENT_SOURCES` exactly as for an event delivered
//! directly, and `detail` is the lifecycle event. [`RecordWork`] is the
//! extension point for the other bodies issue 13 names (worker-state events,
//! reconcile batch items): each becomes a variant, recognised in
//! [`parse_body`], and the batch runner turns it into requests.

use atlassian_lcm::{parse_request, ErrorCode, Request};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsMessage;
use serde_json::Value;

use crate::failure::FailureReason;
use crate::settings::HostSettings;

/// The `attributes` key holding a FIFO record's message group.
pub const MESSAGE_GROUP_ID: &str = "MessageGroupId";

/// What a record asks the function to do.
#[derive(Debug, Clone)]
pub enum RecordWork {
    /// A lifecycle event (the EventBridge event's `detail`).
    Lifecycle(Box<Request>),
}

/// Where a record came from, whatever became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordId {
    /// Position in the batch, from 0.
    pub index: usize,
    /// The SQS message id: what `batchItemFailures` names. Always present in
    /// what SQS delivers; `None` only in a hand-made event.
    pub message_id: Option<String>,
    /// The FIFO message group (`attributes.MessageGroupId`); `None` on a
    /// standard queue.
    pub group: Option<String>,
    /// The body as JSON (a JSON string holding the raw text when it is not
    /// JSON), for the failure queue message.
    pub body: Value,
}

/// A record that can be run.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Which record.
    pub id: RecordId,
    /// What it asks for.
    pub work: RecordWork,
}

/// A record that can never be run, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// Which record.
    pub id: RecordId,
    /// Why: the failure queue message's `error`.
    pub reason: FailureReason,
}

/// Reads record `index` of a batch.
pub fn parse_record(
    settings: &HostSettings,
    index: usize,
    message: &SqsMessage,
) -> Result<Parsed, Box<Rejected>> {
    let text = message.body.as_deref().unwrap_or("");
    let parsed: Result<Value, _> = serde_json::from_str(text);
    let id = RecordId {
        index,
        message_id: message.message_id.clone(),
        group: message.attributes.get(MESSAGE_GROUP_ID).cloned(),
        body: parsed
            .as_ref()
            .map_or_else(|_| Value::String(text.to_string()), Clone::clone),
    };
    let outcome = match parsed {
        Ok(body) => parse_body(settings, body),
        Err(e) => Err(invalid("body", format!("the record body is not JSON: {e}"))),
    };
    match outcome {
        Ok(work) => Ok(Parsed { id, work }),
        Err(reason) => Err(Box::new(Rejected { id, reason })),
    }
}

/// The work a JSON body asks for (see the module documentation).
fn parse_body(settings: &HostSettings, body: Value) -> Result<RecordWork, FailureReason> {
    let is_event = body.get("detail-type").is_some() && body.get("source").is_some();
    if !is_event {
        return Err(invalid(
            "body",
            "the record body must be an EventBridge event (`detail-type`, `source`, `detail`)"
                .into(),
        ));
    }
    let event: EventBridgeEvent<Value> = serde_json::from_value(body)
        .map_err(|e| invalid("body", format!("not a valid EventBridge event: {e}")))?;
    // Before the detail is even read, as on the direct path: a forged event
    // gets no say at all, whichever way it arrived.
    settings
        .trusts_source(&event.source)
        .map_err(FailureReason::untrusted)?;
    let request = parse_request(&event.detail).map_err(|e| FailureReason::input(&e))?;
    Ok(RecordWork::Lifecycle(Box::new(request)))
}

fn invalid(field: &str, message: String) -> FailureReason {
    FailureReason {
        code: ErrorCode::InvalidInput.as_str().into(),
        field: Some(field.into()),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsEvent;
    use serde_json::json;

    fn settings() -> HostSettings {
        HostSettings::from_env(|k| (k == "LCM_EVENT_SOURCES").then(|| "hr.workday".to_string()))
            .unwrap()
    }

    /// A FIFO record in the shape SQS delivers (`aws_lambda_events`' own
    /// fixture, with the FIFO attributes the Lambda documentation lists).
    fn fifo_event(bodies: &[(&str, &str, String)]) -> SqsEvent {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, (id, group, body))| {
                json!({
                    "messageId": id,
                    "receiptHandle": format!("AQEB-{i}"),
                    "body": body,
                    "attributes": {
                        "ApproximateReceiveCount": "1",
                        "SentTimestamp": "1764493200000",
                        "SequenceNumber": format!("1883100000000000000{i}"),
                        "MessageGroupId": group,
                        "SenderId": "AROAEXAMPLE:pipe",
                        "MessageDeduplicationId": format!("dedup-{i}"),
                        "ApproximateFirstReceiveTimestamp": "1764493200100"
                    },
                    "messageAttributes": {},
                    "md5OfBody": "0123456789abcdef0123456789abcdef",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:lcm-events.fifo",
                    "awsRegion": "eu-west-1"
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    fn joiner(source: &str, email: &str) -> String {
        json!({"version": "0", "id": "e-1", "detail-type": "Worker Lifecycle", "source": source,
            "account": "123456789012", "time": "2026-11-30T09:00:00Z", "region": "eu-west-1",
            "resources": [], "detail": {"schemaVersion": "1", "eventId": "hr-1", "lifecycle": "joiner",
            "occurredAt": "2026-11-30T09:00:00Z", "worker": {"hrId": "E1", "workEmail": email,
            "displayName": "Test One"}}})
        .to_string()
    }

    #[test]
    fn a_fifo_record_yields_its_request_message_id_and_group() {
        let event = fifo_event(&[("m-1", "E1", joiner("hr.workday", "a@example.com"))]);
        let parsed = parse_record(&settings(), 0, &event.records[0]).unwrap();
        assert_eq!(parsed.id.message_id.as_deref(), Some("m-1"));
        assert_eq!(parsed.id.group.as_deref(), Some("E1"));
        assert_eq!(parsed.id.body["detail"]["eventId"], "hr-1");
        let RecordWork::Lifecycle(request) = parsed.work;
        assert_eq!(request.worker_key().as_deref(), Some("E1"));
    }

    #[test]
    fn the_crates_standard_queue_fixture_has_no_group_and_a_non_json_body() {
        // The shape of aws_lambda_events' example-sqs-event.json: body "Message Body".
        let event: SqsEvent = serde_json::from_value(json!({"Records": [{
            "messageId": "MessageID_1", "receiptHandle": "MessageReceiptHandle",
            "body": "Message Body", "md5OfBody": "fce0ea8dd236ccb3ed9b37dae260836f",
            "eventSourceARN": "arn:aws:sqs:us-west-2:123456789012:SQSQueue",
            "eventSource": "aws:sqs", "awsRegion": "us-west-2",
            "attributes": {"ApproximateReceiveCount": "2", "SentTimestamp": "1520621625029",
                "SenderId": "AROAIWPX5BD2BHG722MW4:sender", "ApproximateFirstReceiveTimestamp": "1520621634884"},
            "messageAttributes": {"Attribute1": {"stringValue": "AttributeValue1", "stringListValues": [],
                "binaryListValues": [], "dataType": "String"}}}]}))
        .unwrap();
        let rejected = parse_record(&settings(), 3, &event.records[0]).unwrap_err();
        assert_eq!(rejected.id.index, 3);
        assert_eq!(rejected.id.group, None);
        assert_eq!(rejected.id.body, json!("Message Body"));
        assert_eq!(rejected.reason.code, "invalid_input");
        assert_eq!(rejected.reason.field.as_deref(), Some("body"));
        assert!(rejected.reason.message.contains("not JSON"));
    }

    #[test]
    fn every_permanent_defect_is_named() {
        let cases = [
            ("{\"detail-type\":".to_string(), "invalid_input", "body"),
            (
                "{\"lifecycle\": \"joiner\"}".to_string(),
                "invalid_input",
                "body",
            ),
            (
                joiner("hr.forged", "a@example.com"),
                "untrusted_source",
                "LCM_EVENT_SOURCES",
            ),
            (
                joiner("hr.workday", "not-an-email"),
                "invalid_input",
                "worker.workEmail",
            ),
        ];
        for (body, code, field) in cases {
            let event = fifo_event(&[("m-1", "E1", body.clone())]);
            let rejected = parse_record(&settings(), 0, &event.records[0]).unwrap_err();
            assert_eq!(rejected.reason.code, code, "{body}");
            assert_eq!(rejected.reason.field.as_deref(), Some(field), "{body}");
            assert_eq!(rejected.id.message_id.as_deref(), Some("m-1"));
        }
    }
}
