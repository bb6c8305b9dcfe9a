use std::sync::Arc;
use std::time::Duration;

use atlassian_emulator::{Emulator, Seed};
use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::config::{Key, RawValue, Source};
use atlassian_lcm::http::{HttpClient, HttpRequest, TransportError};
use atlassian_lcm::native::{ReqwestClient, TokioSleep};
use atlassian_lcm::retry::RetryPolicy;
use atlassian_lcm::{Config, ErrorCode, Outcome, RawConfig};
use aws_lambda_events::sqs::SqsMessage;
use serde_json::{json, Value};

use super::*;
use crate::settings::HostSettings;

fn id(index: usize, group: Option<&str>) -> RecordId {
    RecordId {
        index,
        message_id: Some(format!("m-{index}")),
        group: group.map(str::to_string),
        body: Value::Null,
    }
}

fn result(index: usize, group: Option<&str>, fate: Fate) -> RecordResult {
    RecordResult {
        id: id(index, group),
        fate,
        report: None,
    }
}

fn reason(code: &str) -> FailureReason {
    FailureReason {
        code: code.into(),
        field: None,
        message: code.into(),
    }
}

fn named(response: &SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[test]
fn fifo_names_the_retried_record_and_every_later_one_of_its_group_only() {
    let records = vec![
        result(0, Some("A"), Fate::Done),
        result(1, Some("B"), Fate::Done),
        result(2, Some("A"), Fate::Retry(reason("transport"))),
        result(3, Some("B"), Fate::FailureQueued(reason("invalid_input"))),
        result(4, Some("A"), Fate::Done),
        result(5, Some("B"), Fate::Done),
        result(6, Some("A"), Fate::FailureQueued(reason("stale_event"))),
    ];
    let response = item_failures(&records).unwrap();
    // A's failure and everything after it in A; B's queued failure holds nothing.
    assert_eq!(named(&response), ["m-2", "m-4", "m-6"]);
    // The wire shape Lambda reads (aws_lambda_events' example-sqs-batch-response.json).
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-2"}, {"itemIdentifier": "m-4"},
            {"itemIdentifier": "m-6"}]})
    );
}

#[test]
fn a_standard_queue_names_only_the_records_to_retry() {
    let records = vec![
        result(0, None, Fate::Retry(reason("transport"))),
        result(1, None, Fate::Done),
        result(2, None, Fate::FailureQueued(reason("untrusted_source"))),
        result(3, None, Fate::Retry(reason("worker_busy"))),
    ];
    assert_eq!(named(&item_failures(&records).unwrap()), ["m-0", "m-3"]);
    let clean = vec![result(0, None, Fate::Done)];
    assert!(item_failures(&clean)
        .unwrap()
        .batch_item_failures
        .is_empty());
}

#[test]
fn a_record_to_retry_without_a_message_id_fails_the_invocation() {
    let mut record = result(4, Some("A"), Fate::Retry(reason("transport")));
    record.id.message_id = None;
    let err = item_failures(&[result(0, None, Fate::Done), record]).unwrap_err();
    assert_eq!(err, Unnamed(4));
    assert!(err.to_string().contains("record 5"));
}

/// Records whose requests mention `poison` get no answer, every attempt:
/// a transient failure of exactly those records, whatever runs alongside.
fn failing_for(poison: &'static str) -> Arc<dyn HttpClient> {
    let inner = Arc::new(ReqwestClient::new().unwrap());
    Arc::new(move |request: HttpRequest| {
        let inner = inner.clone();
        async move {
            let uri = request.uri().to_string();
            let body = String::from_utf8_lossy(request.body()).to_string();
            if uri.contains(poison) || body.contains(poison) {
                return Err(TransportError::Connection("reset by the test".into()));
            }
            inner.execute(request).await
        }
    })
}

fn engine(emu: &Emulator, http: Arc<dyn HttpClient>) -> Lcm {
    let mut raw = RawConfig::default();
    let mut set = |k: Key, v: String| raw.set(k, RawValue::Text(v), Source::Host);
    set(Key::ScimUrl, emu.scim_url());
    set(Key::ScimToken, emu.scim_token());
    set(Key::AdminApiKey, emu.admin_api_key());
    set(Key::OrganizationId, emu.org_id());
    set(Key::AdminBaseUrl, emu.admin_base_url());
    set(Key::ApiBaseUrl, emu.api_base_url());
    set(Key::AllowCustomEndpoints, "true".into());
    let config = Config::from_raw(&raw).unwrap();
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(10),
        ..config.limits().retry()
    };
    Lcm::new(
        config.with_retry(retry),
        http,
        Arc::new(TokioSleep),
        Arc::new(SystemClock),
    )
}

fn joiner(event_id: &str, hr_id: &str, email: &str, occurred_at: &str) -> Value {
    json!({"version": "0", "id": format!("eb-{event_id}"), "detail-type": "Worker Lifecycle",
        "source": "hr.workday", "account": "123456789012", "time": occurred_at,
        "region": "eu-west-1", "resources": [],
        "detail": {"schemaVersion": "1", "eventId": event_id, "lifecycle": "joiner",
            "occurredAt": occurred_at, "worker": {"hrId": hr_id, "workEmail": email,
            "givenName": "Test", "familyName": hr_id}}})
}

fn record(index: usize, group: &str, body: &Value) -> SqsMessage {
    serde_json::from_value(json!({
        "messageId": format!("m-{index}"), "receiptHandle": format!("AQEB-{index}"),
        "body": body.to_string(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764579600000",
            "SequenceNumber": format!("1883200000000000000{index}"), "MessageGroupId": group,
            "SenderId": "AROAEXAMPLE:pipe", "MessageDeduplicationId": format!("d-{index}"),
            "ApproximateFirstReceiveTimestamp": "1764579600100"},
        "messageAttributes": {}, "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:lcm-events.fifo",
        "awsRegion": "eu-west-1"
    }))
    .unwrap()
}

fn parse_all(bodies: &[(&str, Value)]) -> Vec<Parsed> {
    let settings =
        HostSettings::from_env(|k| (k == "LCM_EVENT_SOURCES").then(|| "hr.workday".into()))
            .unwrap();
    bodies
        .iter()
        .enumerate()
        .map(|(i, (group, body))| parse_record(&settings, i, &record(i, group, body)).unwrap())
        .collect()
}

async fn run_four(fifo: bool) -> (Emulator, Vec<(RecordId, Report)>) {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let lcm = engine(&emu, failing_for("sqs.poison"));
    // Group G: a joiner, then one that fails transiently, then one after it;
    // group H alongside. A message group is the host's to name: here it holds
    // three people, so the held record is visibly another person's.
    let parsed = parse_all(&[
        (
            "G",
            joiner(
                "e-0",
                "S100",
                "sqs.first@example.com",
                "2026-12-01T09:00:00Z",
            ),
        ),
        (
            "G",
            joiner(
                "e-1",
                "S101",
                "sqs.poison@example.com",
                "2026-12-01T09:00:01Z",
            ),
        ),
        (
            "G",
            joiner(
                "e-2",
                "S102",
                "sqs.third@example.com",
                "2026-12-01T09:00:02Z",
            ),
        ),
        (
            "H",
            joiner(
                "e-3",
                "S103",
                "sqs.other@example.com",
                "2026-12-01T09:00:03Z",
            ),
        ),
    ]);
    let run = RunOptions::default();
    let reports = execute(&lcm, parsed, fifo, run).await;
    (emu, reports)
}

#[tokio::test]
async fn a_transient_failure_mid_group_holds_the_rest_of_that_group_only() {
    let (emu, reports) = run_four(true).await;
    let outcomes: Vec<Outcome> = reports.iter().map(|(_, r)| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::Failed,
            Outcome::Succeeded
        ]
    );
    assert!(reports[1].1.is_transient_failure());
    let held = &reports[2].1;
    assert_eq!(
        held.error.as_ref().unwrap().code,
        ErrorCode::EarlierEventFailed
    );
    assert_eq!(held.api_calls, 0);
    let state = emu.state();
    assert!(state.user("sqs.first@example.com").is_some());
    assert!(state.user("sqs.other@example.com").is_some());
    assert!(state.user("sqs.third@example.com").is_none());
    assert!(
        !emu.requests()
            .iter()
            .any(|r| format!("{r:?}").contains("sqs.third")),
        "nothing may be sent for the held record"
    );
    // The verdicts and the response: the failed record and the one held behind it.
    let records: Vec<RecordResult> = reports
        .into_iter()
        .map(|(id, report)| RecordResult {
            fate: match disposition(&report) {
                Disposition::Done => Fate::Done,
                Disposition::Transient(r) => Fate::Retry(r),
                Disposition::Permanent(r) => Fate::FailureQueued(r),
            },
            id,
            report: Some(report),
        })
        .collect();
    assert_eq!(named(&item_failures(&records).unwrap()), ["m-1", "m-2"]);
}

#[tokio::test]
async fn a_standard_queue_holds_nothing() {
    let (emu, reports) = run_four(false).await;
    assert_eq!(reports[2].1.outcome, Outcome::Succeeded);
    assert!(emu.state().user("sqs.third@example.com").is_some());
}

#[tokio::test]
async fn an_event_older_than_the_last_applied_one_is_stale_and_permanent() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let lcm = engine(&emu, Arc::new(ReqwestClient::new().unwrap()));
    let parsed = parse_all(&[
        (
            "S200",
            joiner(
                "e-new",
                "S200",
                "sqs.late@example.com",
                "2026-12-01T10:00:00Z",
            ),
        ),
        (
            "S200",
            joiner(
                "e-old",
                "S200",
                "sqs.late@example.com",
                "2026-12-01T09:00:00Z",
            ),
        ),
    ]);
    let reports = execute(&lcm, parsed, true, RunOptions::default()).await;
    assert_eq!(reports[0].1.outcome, Outcome::Succeeded);
    let Disposition::Permanent(reason) = disposition(&reports[1].1) else {
        panic!("a stale event is permanent: {:?}", reports[1].1)
    };
    assert_eq!(reason.code, "stale_event");
    assert_eq!(reports[1].1.api_calls, 0);
}
