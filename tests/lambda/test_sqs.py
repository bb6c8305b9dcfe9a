"""SQS FIFO batches through the function (issue 13): partial batch responses, the failure queue for
records no retry can fix, a transient failure in the middle of a message group, and the ledger in
moto's DynamoDB under concurrent batches.

Batches are in the shape Lambda's SQS event source mapping delivers (aws_lambda_events' fixtures,
with the FIFO attributes): tests/fixtures/events/sqs-fifo-batch-one-malformed.json, and `batch()`
below for the rest. Each record's body is the EventBridge event, as the template's pipe forwards it.
"""

import json
import time

from conftest import LEDGER_TABLE
from test_trust import eventbridge, joiner, leaver, writes


def record(message_id, group, body, index=0):
    return {
        "messageId": message_id, "receiptHandle": f"AQEB{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764579600000",
                       "SequenceNumber": f"{18832000000000000000 + index}", "MessageGroupId": group,
                       "SenderId": "AROAEXAMPLEPIPE:lcm-events-pipe",
                       "MessageDeduplicationId": f"dedup-{message_id}",
                       "ApproximateFirstReceiveTimestamp": "1764579600100"},
        "messageAttributes": {}, "md5OfBody": "0123456789abcdef0123456789abcdef",
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:lcm-events.fifo",
        "awsRegion": "us-east-1",
    }


def batch(*records):
    return {"Records": [record(mid, group, body, i) for i, (mid, group, body) in enumerate(records)]}


def failures(result):
    assert result.rc == 0, f"an SQS batch always answers a partial batch response: {result.stderr}"
    body = result.json
    assert set(body) == {"batchItemFailures"}, body
    return [f["itemIdentifier"] for f in body["batchItemFailures"]]


def test_a_batch_with_one_malformed_record_names_no_good_record_and_applies_both(stack):
    result = stack.invoke("sqs-fifo-batch-one-malformed.json")
    assert failures(result) == [], "the malformed record is queued, not retried; the good ones are done"

    for email, hr_id in (("frances.allen@example.com", "E3101"), ("mary.golda.ross@example.com", "E3103")):
        user = stack.user(email)
        assert user is not None, f"{email} was not created"
        assert user["scim"]["externalId"] == hr_id
        assert user["groups"] == ["confluence-users"], user["groups"]
    facts = {i["pk"]["S"] for i in stack.ledger_items() if i["pk"]["S"].startswith("fact#")}
    assert facts == {"fact#hr:E3101", "fact#hr:E3103"}, facts

    (message,) = stack.drain_queue(wait=2)
    body = json.loads(message["Body"])
    assert message["MessageAttributes"]["errorCode"]["StringValue"] == "invalid_input"
    assert body["error"]["code"] == "invalid_input" and body["error"]["field"] == "body", body["error"]
    assert "not JSON" in body["error"]["message"]
    assert body["sqsMessageId"] == "sqs-msg-2"
    # The raw body, as received, so it can be fixed and replayed.
    assert body["event"].startswith('{"detail-type": "Worker Lifecycle"'), body["event"]


def hold_lease(stack, hr_id, seconds=60):
    """Another run holds the worker's lease (a row as DynamoLedger writes it)."""
    until_ms = int(time.time() * 1000) + seconds * 1000
    stack.dynamodb.put_item(TableName=LEDGER_TABLE, Item={
        "pk": {"S": f"lease#hr:{hr_id}"}, "owner": {"S": "another-sandbox"},
        "expiresAtMs": {"N": str(until_ms)}, "expiresAt": {"N": str(until_ms // 1000 + 1)}})


def test_a_transient_failure_mid_group_retries_it_and_the_rest_of_its_group_only(stack):
    # E3202's lease is held elsewhere: its joiner fails transiently (worker_busy), so its later
    # mover must not run before it; E3201 and E3203, in other groups, go ahead.
    hold_lease(stack, "E3202")
    first = joiner("E3201", "fifo.first@example.com", "fifo-1", "2026-12-01T09:00:00Z")
    busy = joiner("E3202", "fifo.busy@example.com", "fifo-2", "2026-12-01T09:00:00Z")
    later = dict(joiner("E3202", "fifo.busy@example.com", "fifo-3", "2026-12-01T09:30:00Z"),
                 lifecycle="mover", worker={"hrId": "E3202", "workEmail": "fifo.busy@example.com",
                                            "title": "Moved"})
    other = joiner("E3203", "fifo.other@example.com", "fifo-4", "2026-12-01T09:00:00Z")
    event = batch(("m-1", "E3201", eventbridge(first)), ("m-2", "E3202", eventbridge(busy)),
                  ("m-3", "E3202", eventbridge(later)), ("m-4", "E3203", eventbridge(other)))
    before = len(stack.function_log_lines())
    assert failures(stack.invoke(data=event)) == ["m-2", "m-3"]

    assert stack.user("fifo.first@example.com") is not None
    assert stack.user("fifo.other@example.com") is not None
    assert stack.user("fifo.busy@example.com") is None
    assert not [r for r in stack.requests() if "fifo.busy" in json.dumps(r)], "nothing may be sent for E3202"
    assert [w for w in writes(stack) if "fifo.first" in json.dumps(w)], "the request log shows bodies and queries"
    assert stack.drain_queue(wait=1) == [], "transient failures are retried, never queued"
    lines = {}
    deadline = time.time() + 30
    while len(lines) < 4 and time.time() < deadline:
        lines = {l["message_id"]: l for l in stack.function_log_lines()[before:] if l.get("message") == "sqs record"}
        time.sleep(0.2)
    assert lines["m-2"]["error_code"] == "worker_busy" and lines["m-2"]["fate"] == "retry", lines["m-2"]
    assert lines["m-3"]["error_code"] == "earlier_event_failed" and lines["m-3"]["api_calls"] == 0, lines["m-3"]
    assert lines["m-1"]["fate"] == lines["m-4"]["fate"] == "done"

    # SQS redelivers the two, in order, once the lease is gone: both apply.
    stack.dynamodb.delete_item(TableName=LEDGER_TABLE, Key={"pk": {"S": "lease#hr:E3202"}})
    again = batch(("m-2", "E3202", eventbridge(busy)), ("m-3", "E3202", eventbridge(later)))
    assert failures(stack.invoke(data=again)) == []
    user = stack.user("fifo.busy@example.com")
    assert user["scim"]["title"] == "Moved", user["scim"]


def test_concurrent_batches_keep_the_ledger_ordered(concurrent):
    stack = concurrent  # several function instances: the invocations really overlap
    # Two batches at once, as two event source mapping pollers could deliver them after a
    # redrive: one with ten joiners (09:00), one with the same ten people's leavers (10:00).
    # Whatever the interleaving, every person ends without access and the ledger on the leaver;
    # a record the function names is delivered again, as SQS would.
    people = [(f"E34{i:02d}", f"sqs.race{i:02d}@example.com") for i in range(10)]
    joins = {f"j-{h}": (h, eventbridge(joiner(h, e, f"sqs-join-{h}", "2026-12-01T09:00:00Z"))) for h, e in people}
    leaves = {f"l-{h}": (h, eventbridge(leaver(h, e, f"sqs-leave-{h}", "2026-12-01T10:00:00Z"))) for h, e in people}
    pending = {"joins": joins, "leaves": leaves}
    for _round in range(10):
        if not any(pending.values()):
            break
        started = {name: stack.start_invoke(data=batch(*[(mid, h, ev) for mid, (h, ev) in recs.items()]))
                   for name, recs in pending.items() if recs}
        for name, invocation in started.items():
            named = failures(invocation.wait())
            pending[name] = {mid: pending[name][mid] for mid in named}
        time.sleep(0.5)
    assert not any(pending.values()), f"still failing after 10 deliveries: {pending}"

    for _hr_id, email in people:
        user = stack.user(email)
        assert user is None or (user["scim"]["active"] is False and user["groups"] == []
                                and user.get("accountStatus") != "active"), f"{email} kept access: {user}"
    facts = {i["pk"]["S"]: i for i in stack.ledger_items() if i["pk"]["S"].startswith("fact#hr:E34")}
    assert len(facts) == 10
    assert {i["lifecycle"]["S"] for i in facts.values()} == {"leaver"}, "the ledger must end on the leaver"
    # A joiner that lost to its leaver is stale: queued with its reason, not retried.
    for message in stack.drain_queue(wait=1):
        assert json.loads(message["Body"])["error"]["code"] == "stale_event"
