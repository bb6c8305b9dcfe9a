"""Trust, end to end (issue #9): only listed EventBridge sources run, the secret holds credentials only,
and events apply in HR order through the DynamoDB ledger (moto), whatever the delivery order or overlap.

The stale and busy tests follow the engine's contract: reports fail with `stale_event` (permanent,
naming the newer event) and `worker_busy` (transient) once the engine consults the ledger.
"""

import json
import time

from conftest import FIXTURES, LEDGER_TABLE, secret_value


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def writes(stack):
    """The requests that could change Atlassian (searches are POSTs that only read)."""
    return [r for r in stack.requests() if r["method"] != "GET" and not r["path"].endswith("/search")]


def eventbridge(detail, source="hr.workday", event_id=None):
    event = fixture("eventbridge-leaver.json")
    event["source"] = source
    event["id"] = event_id or f"eb-{detail['eventId']}"
    event["detail"] = detail
    return event


def leaver(hr_id, email, event_id, occurred_at):
    return {"schemaVersion": "1", "eventId": event_id, "lifecycle": "leaver", "occurredAt": occurred_at,
            "worker": {"hrId": hr_id, "workEmail": email}}


def joiner(hr_id, email, event_id, occurred_at, groups=("jira-software-users", "confluence-users")):
    given = email.split("@")[0]
    return {"schemaVersion": "1", "eventId": event_id, "lifecycle": "joiner", "occurredAt": occurred_at,
            "worker": {"hrId": hr_id, "workEmail": email, "givenName": given.title(), "familyName": "Race",
                       "displayName": f"{given.title()} Race"},
            "access": {"groups": list(groups), "mode": "add"}}


def test_a_forged_source_makes_no_atlassian_call_and_is_queued_as_untrusted(stack):
    forged = fixture("eventbridge-forged-source.json")
    result = stack.invoke("eventbridge-forged-source.json")
    assert result.rc == 0, "a permanent failure must not be retried by Lambda"
    body = result.json
    assert body["disposition"] == "failure_queued", body
    assert body["error"]["code"] == "untrusted_source"
    assert stack.requests() == [], "a forged event reached Atlassian"
    assert stack.user(forged["detail"]["worker"]["workEmail"]) is None

    [message] = stack.drain_queue()
    queued = json.loads(message["Body"])
    assert queued["error"]["code"] == "untrusted_source"
    assert queued["error"]["field"] == "LCM_EVENT_SOURCES"
    assert forged["source"] in queued["error"]["message"]
    assert queued["event"] == forged, "the queued event must be the original"
    assert message["MessageAttributes"]["errorCode"]["StringValue"] == "untrusted_source"

    # The ordinary joiner for the same worker, from a listed source, runs (the forged one also asks
    # for site-admins, which the grant rails refuse whatever the source).
    assert stack.invoke("eventbridge-joiner.json").json["disposition"] == "done"
    assert stack.user(forged["detail"]["worker"]["workEmail"]) is not None


def test_a_safety_setting_in_the_secret_is_refused_by_name(stack, rotated):
    # The rotation makes the function read the secret again (on the 401); the new secret also tries
    # to switch deletes on. It is refused whole: nothing runs with it.
    new_scim, new_admin = rotated
    poisoned = {**secret_value(stack, new_scim, new_admin), "allow_delete": True}
    stack.secrets.put_secret_value(SecretId=stack.secret_arn, SecretString=json.dumps(poisoned))
    status, body = stack.invoke("apigw-v2-health.json").http()
    assert status == 500, body
    assert body["error"]["code"] == "invalid_config"
    assert body["error"]["field"] == "allow_delete"
    assert "LCM_ALLOW_DELETE" in body["error"]["message"] and "environment" in body["error"]["message"]
    assert writes(stack) == []

    # A purge is still refused by the deployment's LCM_ALLOW_DELETE (unset: false).
    stack.secrets.put_secret_value(SecretId=stack.secret_arn,
                                   SecretString=json.dumps(secret_value(stack, new_scim, new_admin)))
    status, report = stack.invoke("function-url-delete.json").http()
    assert status == 403, report
    assert stack.user("joan.clarke@example.com")["scim"] is not None


def test_a_stale_mover_after_a_leaver_is_queued_with_zero_writes(stack):
    hr_id, email = "E1002", "grace.hopper@example.com"
    left = stack.invoke(data=eventbridge(leaver(hr_id, email, "hr-stale-leaver", "2026-11-30T12:00:00Z")))
    assert left.json["disposition"] == "done", left.stdout
    stack.emulator_call("DELETE", "/__emulator/requests")

    mover = {"schemaVersion": "1", "eventId": "hr-stale-mover", "lifecycle": "mover",
             "occurredAt": "2026-11-30T11:00:00Z", "worker": {"hrId": hr_id, "workEmail": email, "title": "CTO"},
             "access": {"groups": ["engineering"], "mode": "add"}}
    result = stack.invoke(data=eventbridge(mover))
    assert result.rc == 0, "stale_event is permanent: Lambda must not retry it"
    body = result.json
    assert body["disposition"] == "failure_queued", body
    assert body["error"]["code"] == "stale_event"
    assert writes(stack) == [], "a stale event wrote to Atlassian"
    [message] = stack.drain_queue()
    queued = json.loads(message["Body"])
    assert queued["error"]["code"] == "stale_event"
    assert "hr-stale-leaver" in queued["error"]["message"], "the reason must name the newer event"
    user = stack.user(email)
    assert user["scim"]["active"] is False and user["groups"] == []

    # Over HTTP the same stale event is a 409 with the report.
    call = fixture("apigw-v2-events-mover.json")
    call["body"] = json.dumps(mover)
    status, report = stack.invoke(data=call).http()
    assert status == 409, report
    assert report["error"]["code"] == "stale_event"
    assert writes(stack) == []


def test_a_busy_worker_is_retried_not_queued(stack):
    # Another run holds the worker's lease (a row as DynamoLedger writes it) for a minute.
    until_ms = int(time.time() * 1000) + 60_000
    stack.dynamodb.put_item(TableName=LEDGER_TABLE, Item={
        "pk": {"S": "lease#hr:E1001"}, "owner": {"S": "another-sandbox"},
        "expiresAtMs": {"N": str(until_ms)}, "expiresAt": {"N": str(until_ms // 1000 + 1)}})

    status_event = fixture("apigw-v2-events-mover.json")
    response = stack.invoke(data=status_event).json
    assert response["statusCode"] == 503, response
    assert int(response["headers"]["retry-after"]) > 0
    assert json.loads(response["body"])["error"]["code"] == "worker_busy"

    result = stack.invoke("eventbridge-mover.json")
    assert result.rc != 0, f"worker_busy is transient: Lambda must retry it: {result.stdout}"
    assert "Lcm.TransientFailure" in result.stdout + result.stderr and "worker_busy" in result.stdout + result.stderr
    assert stack.drain_queue(wait=1) == []
    assert writes(stack) == []


def settle(stack, event, result, attempts=10):
    """What Lambda does with an asynchronous event: retry it while it fails transiently."""
    for _ in range(attempts):
        if result.rc == 0:
            return result
        assert "Lcm.TransientFailure" in result.stdout + result.stderr, result.stdout + result.stderr
        time.sleep(0.5)
        result = stack.invoke(data=event)
    raise AssertionError(f"{event['detail']['eventId']} still failed after {attempts} retries: {result.stdout}")


def test_concurrent_joiner_and_leaver_always_end_without_access(concurrent):
    stack = concurrent  # several function instances: the invocations really overlap
    # 20 workers, each sent a joiner (09:00) and a later leaver (10:00) as two invocations started
    # together, joiner first for even rounds and leaver first for odd ones. Whatever interleaving
    # the ledger's lease and record allow, the latest fact (the leaver) must win.
    rounds = []
    for i in range(20):
        hr_id, email = f"E3{i:03d}", f"race{i:02d}@example.com"
        join = eventbridge(joiner(hr_id, email, f"race-join-{i}", "2026-11-30T09:00:00Z"))
        leave = eventbridge(leaver(hr_id, email, f"race-leave-{i}", "2026-11-30T10:00:00Z"))
        pair = [join, leave] if i % 2 == 0 else [leave, join]
        pending = [stack.start_invoke(data=event) for event in pair]
        results = [settle(stack, event, p.wait()) for event, p in zip(pair, pending)]
        rounds.append((email, {event["detail"]["lifecycle"]: r.json for event, r in zip(pair, results)}))

    for email, bodies in rounds:
        user = stack.user(email)
        assert user is None or (user["scim"]["active"] is False and user["groups"] == []
                                and user.get("accountStatus") != "active"), f"{email} kept access: {user}"
        assert bodies["leaver"]["disposition"] == "done", bodies["leaver"]
        joined = bodies["joiner"]
        # The joiner either ran first (then the leaver undid it) or lost to the newer leaver.
        assert joined["disposition"] == "done" or joined["error"]["code"] == "stale_event", joined

    facts = {item["pk"]["S"]: item for item in stack.ledger_items() if item["pk"]["S"].startswith("fact#hr:E3")}
    assert len(facts) == 20
    assert {item["lifecycle"]["S"] for item in facts.values()} == {"leaver"}, "the ledger must end on the leaver"
