"""The Lambda host end to end: `cargo lambda watch` + `cargo lambda invoke` with the sample events in
tests/fixtures/events/, against the emulator binary, with the credentials in moto's Secrets Manager
and the failure queue in moto's SQS.

Each test starts from the emulator's seed (emulator/src/seed.rs), an empty ledger and an empty
failure queue (conftest.py's `fresh` fixture), so any subset runs in any order. The ordering and
trust tests are in test_trust.py.
"""

import json

import pytest

from conftest import FIXTURES, secret_value


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_warm_up_check_succeeded(stack):
    # The session's first invocation (the direct CHECK fixture) started the function and read the
    # secret; a second CHECK on the warm function resolves the groups through both systems.
    report = stack.invoke("direct-check.json").json
    assert report["outcome"] == "succeeded", report
    assert report["actions"] == ["CHECK"]
    assert report["apiCalls"] > 0


def test_eventbridge_joiner_creates_the_user_with_their_groups(stack):
    result = stack.invoke("eventbridge-joiner.json")
    assert result.rc == 0, result.stderr
    body = result.json
    assert body["disposition"] == "done"
    report = body["report"]
    assert report["outcome"] == "succeeded", report
    assert report["eventId"] == "hr-2026-000123"
    assert report["actions"] == ["SYNC_IDENTITIES", "MANAGE_RELATIONSHIPS"]

    user = stack.user("mary.jackson@example.com")
    assert user is not None, "the joiner was not created"
    assert user["scim"]["externalId"] == "E2001"
    assert user["scim"]["active"] is True
    assert user["scim"]["title"] == "Aerospace Engineer"
    assert sorted(user["groups"]) == ["confluence-users", "engineering", "jira-software-users"]

    # Replaying the same event changes nothing (idempotent) and is still a success.
    again = stack.invoke("eventbridge-joiner.json").json
    assert again["report"]["outcome"] == "no_change", again


def test_eventbridge_leaver_is_deactivated_without_memberships(stack):
    assert stack.user("grace.hopper@example.com")["groups"], "seed changed: grace.hopper has no groups"
    result = stack.invoke("eventbridge-leaver.json")
    assert result.rc == 0, result.stderr
    report = result.json["report"]
    assert report["outcome"] == "succeeded", report
    assert report["actions"] == ["DEPROVISION_IDENTITY"]

    user = stack.user("grace.hopper@example.com")
    assert user["groups"] == []
    assert user["scim"]["active"] is False
    assert user["accountStatus"] == "inactive"


def test_api_gateway_v2_event_updates_the_mover(stack):
    status, report = stack.invoke("apigw-v2-events-mover.json").http()
    assert status == 200, report
    assert report["outcome"] == "succeeded"
    assert report["lifecycle"] == "mover"
    user = stack.user("ada.lovelace@example.com")
    assert user["scim"]["title"] == "Principal Engineer"
    assert "jira-servicemanagement-users" in user["groups"]
    assert "engineering" in user["groups"], "a mover in add mode keeps its other groups"


def test_api_gateway_v2_direct_action_from_the_path(stack):
    status, report = stack.invoke("apigw-v2-action-relationships.json").http()
    assert status == 200, report
    assert report["actions"] == ["MANAGE_RELATIONSHIPS"]
    assert "confluence-users" in stack.user("grace.hopper@example.com")["groups"]


def test_api_gateway_v2_health_is_the_check_action(stack):
    response = stack.invoke("apigw-v2-health.json").json
    assert response["headers"]["content-type"] == "application/json"
    status, report = response["statusCode"], json.loads(response["body"])
    assert status == 200, report
    assert report["actions"] == ["CHECK"]
    assert report["outcome"] == "succeeded"


def test_api_gateway_v1_plan_changes_nothing(stack):
    before = stack.user("joan.clarke@example.com")
    writes_before = [r for r in stack.requests() if r["method"] not in ("GET",) and not r["path"].endswith("/search")]
    status, report = stack.invoke("apigw-v1-plan-leaver.json").http()
    assert status == 200, report
    assert report["outcome"] == "planned"
    assert report["dryRun"] is True
    assert report["plan"], "a planned leaver lists the writes it would send"
    assert stack.user("joan.clarke@example.com") == before
    writes_after = [r for r in stack.requests() if r["method"] not in ("GET",) and not r["path"].endswith("/search")]
    assert writes_after == writes_before, "a plan sent a write"


def test_api_gateway_v1_rehire_reactivates(stack):
    status, report = stack.invoke("apigw-v1-events-rehire.json").http()
    assert status == 200, report
    user = stack.user("linus.former@example.com")
    assert user["scim"]["active"] is True
    assert sorted(user["groups"]) == ["confluence-users", "jira-software-users"]


def test_bad_request_is_400_naming_the_field_and_calls_nothing(stack):
    calls_before = len(stack.requests())
    status, body = stack.invoke("apigw-v2-bad-request.json").http()
    assert status == 400, body
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["field"] == "worker.workEmail"
    assert len(stack.requests()) == calls_before, "bad input reached Atlassian"


def test_unknown_route_and_wrong_method(stack):
    event = fixture("apigw-v2-health.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/nope"
    status, body = stack.invoke(data=event).http()
    assert (status, body["error"]["code"]) == (404, "not_found")
    event = fixture("apigw-v2-health.json")
    event["requestContext"]["http"]["method"] = "DELETE"
    response = stack.invoke(data=event).json
    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "GET"


def test_function_url_delete_is_403_when_disabled(stack):
    status, report = stack.invoke("function-url-delete.json").http()
    assert status == 403, report
    assert report["error"]["code"] == "action_disabled"
    assert stack.user("joan.clarke@example.com")["scim"] is not None, "a disabled delete deleted"


def test_direct_invocations(stack):
    report = stack.invoke("direct-deprovision.json").json
    assert report["outcome"] == "planned"
    assert report["eventId"] == "ops-2026-0042"
    report = stack.invoke("lifecycle-joiner.json").json
    assert report["outcome"] == "succeeded", report
    report = stack.invoke("lifecycle-joiner.json").json
    assert report["outcome"] == "no_change", "a replayed joiner changes nothing"
    body = stack.invoke(data={"action": "SYNC_IDENTITIES", "worker": {"hrId": "E9"}}).json
    assert body["error"]["code"] == "invalid_input"
    assert body["error"]["field"] == "worker.workEmail"


def test_permanent_eventbridge_failures_land_in_the_failure_queue(stack):
    stack.drain_queue(wait=0)
    calls_before = len(stack.requests())

    bad = stack.invoke("eventbridge-invalid-email.json")
    assert bad.rc == 0, "a permanent failure must not be retried by Lambda"
    assert bad.json["disposition"] == "failure_queued"
    assert len(stack.requests()) == calls_before, "bad input reached Atlassian"

    purge = stack.invoke("eventbridge-purge.json")
    assert purge.rc == 0
    assert purge.json["disposition"] == "failure_queued"
    assert purge.json["error"]["code"] == "action_disabled"

    messages = {json.loads(m["Body"])["event"]["id"]: m for m in stack.drain_queue()}
    assert set(messages) == {fixture("eventbridge-invalid-email.json")["id"], fixture("eventbridge-purge.json")["id"]}

    invalid = json.loads(messages[fixture("eventbridge-invalid-email.json")["id"]]["Body"])
    assert invalid["error"] == {"code": "invalid_input", "field": "worker.workEmail",
                                "message": invalid["error"]["message"]}
    assert invalid["event"] == fixture("eventbridge-invalid-email.json"), "the queued event must be the original"
    assert invalid["requestId"]
    assert messages[fixture("eventbridge-invalid-email.json")["id"]]["MessageAttributes"]["errorCode"][
        "StringValue"] == "invalid_input"

    purged = json.loads(messages[fixture("eventbridge-purge.json")["id"]]["Body"])
    assert purged["error"]["code"] == "action_disabled"
    assert purged["report"]["outcome"] == "failed"


def test_transient_failure_is_returned_as_an_error_for_lambda_to_retry(stack):
    stack.drain_queue(wait=0)
    # Every Atlassian request answers 503 until the core's retries give up.
    stack.emulator_call("PUT", "/__emulator/faults", {"rate503": 1.0})
    try:
        result = stack.invoke("eventbridge-mover.json")
    finally:
        stack.emulator_call("DELETE", "/__emulator/faults")
    assert result.rc != 0, f"a transient failure must fail the invocation: {result.stdout}"
    assert "Lcm.TransientFailure" in result.stdout + result.stderr
    assert stack.drain_queue(wait=1) == [], "transient failures are Lambda's to retry, not queued by us"
    # The retry Lambda would make now succeeds.
    assert stack.invoke("eventbridge-mover.json").json["disposition"] == "done"


def test_rotation_recovers_through_the_401_refetch(stack, rotated):

    status, report = stack.invoke("apigw-v2-health.json").http()
    assert status == 200, report
    assert report["outcome"] == "succeeded"
    assert any("401" in w for w in report.get("warnings", [])), report.get("warnings")

    refreshed = [l for l in stack.function_log_lines() if l.get("message") == "invocation"
                 and l.get("credentials_refreshed") is True]
    assert refreshed, "no invocation logged a credential refresh"
    # The next call uses the new credentials straight away.
    status, report = stack.invoke("apigw-v2-health.json").http()
    assert status == 200 and not report.get("warnings"), report


def test_every_invocation_is_logged_and_measured(stack):
    # Its own invocations, so the test holds alone: a success, a rejection and an HTTP call.
    before = len([l for l in stack.function_log_lines() if l.get("message") == "invocation"])
    stack.invoke("eventbridge-joiner.json")
    stack.invoke("eventbridge-invalid-email.json")
    stack.invoke("apigw-v2-health.json")
    lines = stack.function_log_lines()
    invocations = [l for l in lines if l.get("message") == "invocation"]
    assert len(invocations) >= before + 3
    for line in invocations:
        for field in ("request_id", "source", "outcome", "duration_ms"):
            assert field in line, f"{field} missing from {line}"
    assert any(l.get("event_id") == "hr-2026-000123" and l.get("action") == "SYNC_IDENTITIES+MANAGE_RELATIONSHIPS"
               for l in invocations)
    # One per invocation; a reconcile summary step adds its own (Action=RECONCILE, no Outcome).
    emf = [l for l in lines if "_aws" in l and "Outcome" in l]
    assert len(emf) == len(invocations), "one EMF line per invocation"
    for doc in emf:
        decl = doc["_aws"]["CloudWatchMetrics"][0]
        assert decl["Namespace"] == "AtlassianLcm"
        assert decl["Dimensions"] == [["Action", "Outcome"]]
        for metric in ("Invocations", "ApiCalls", "Retries", "DurationMs", "NotFound"):
            assert isinstance(doc[metric], (int, float))


def test_no_secret_was_ever_printed(stack, rotated):
    # The function runs with RUST_LOG=debug (conftest.py). This test makes its own invocations
    # (so it proves something alone): a 401 and the credential refetch it causes (the `rotated`
    # fixture), a success, failures queued with their message attributes, HTTP 200 and 400
    # responses and a transient failure the runtime gets as an error. Once the function has logged
    # every one of them, it scans everything the function and cargo lambda watch printed in the
    # session, every response and invoker stderr the harness received and every failure queue
    # message, for every credential the function was ever given (the rotated ones included).
    before = len(stack.invocation_lines())
    assert stack.invoke("apigw-v2-health.json").http()[0] == 200
    stack.invoke("eventbridge-joiner.json")
    stack.invoke("eventbridge-purge.json")
    stack.invoke("eventbridge-invalid-email.json")
    stack.invoke("apigw-v2-bad-request.json")
    stack.emulator_call("PUT", "/__emulator/faults", {"rate503": 1.0})
    try:
        transient = stack.invoke("eventbridge-mover.json")
    finally:
        stack.emulator_call("DELETE", "/__emulator/faults")
    assert transient.rc != 0, transient.stdout
    logged = stack.wait_for_invocation_lines(before + 6)
    assert any(l.get("credentials_refreshed") is True for l in logged[before:]), "no 401 refetch was logged"
    queued = stack.drain_queue(wait=1)
    assert len(queued) == 2 and all(m.get("MessageAttributes") for m in queued), queued
    output = stack.all_function_output()
    assert len(output) > 1000, "the function printed almost nothing: the scan would prove nothing"
    debug = [l for l in stack.function_log_lines() if l.get("level") == "DEBUG"]
    assert debug, "RUST_LOG=debug is not in effect"
    assert any(str(l.get("target", "")).startswith("aws_") for l in debug), "the SDKs' debug lines are missing"
    responses = "\n".join(stack.seen)
    for kept in ('"failure_queued"', '"invalid_input"', '"MessageAttributes"', "Lcm.TransientFailure"):
        assert kept in responses, f"{kept} is missing: responses, invoker stderr or queue messages were not kept"
    assert len(stack.tokens) >= 4 and set(rotated) <= stack.tokens
    for token in stack.tokens:
        assert token not in output, "a credential appeared in the function's output"
        assert token not in responses, "a credential appeared in a response, invoker stderr or a failure queue message"


# -- POST /v1/reconcile ---------------------------------------------------------------------------

# Grace is retitled and moves team; Alan is unclaimed (adopted); Mary is a new hire. No deprovision:
# the function runs with the default LCM_MAX_DEPROVISIONS (5 % of three allows none).
RECONCILE_ROSTER = "\n".join(json.dumps(w) for w in [
    {"hrId": "E1002", "workEmail": "grace.hopper@example.com", "title": "Principal Engineer",
     "groups": ["jira-software-users", "platform-team"]},
    {"hrId": "E1004", "workEmail": "alan.turing@example.com", "groups": ["confluence-users"]},
    {"hrId": "E2001", "workEmail": "mary.somerville@example.com", "givenName": "Mary",
     "familyName": "Somerville", "displayName": "Mary Somerville", "groups": ["engineering"]},
]) + "\n"


def reconcile_call(roster: str, query: str = "") -> dict:
    """An HTTP API 2.0 `POST /v1/reconcile` with the roster as an NDJSON body."""
    event = fixture("apigw-v2-health.json")
    event["routeKey"] = "POST /v1/reconcile"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/reconcile"
    event["requestContext"]["http"]["method"] = "POST"
    event["requestContext"]["routeKey"] = "POST /v1/reconcile"
    event["rawQueryString"] = query
    event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&")) if query else None
    event["headers"]["content-type"] = "application/x-ndjson"
    event["body"] = roster
    return event


def writes(requests: list) -> list:
    return [r for r in requests if r["method"] not in ("GET", "HEAD", "OPTIONS") and not r["path"].endswith("/search")]


def counts(document: dict) -> dict:
    keys = ("create", "update", "deprovision", "membershipsAdded", "membershipsRemoved", "unchanged")
    return {k: document["summary"][k] for k in keys}


def test_reconcile_plans_with_reads_only_then_applies_and_converges(stack):
    calls_before = len(stack.requests())
    status, plan = stack.invoke(data=reconcile_call(RECONCILE_ROSTER)).http()
    assert status == 200, plan
    assert plan["applied"] is False
    drift = {"create": 1, "update": 2, "deprovision": 0, "membershipsAdded": 2, "membershipsRemoved": 1,
             "unchanged": 0}
    assert counts(plan) == drift, plan
    assert "linus.former@example.com" in [o["email"] for o in plan["orphans"]], plan
    after_plan = stack.requests()
    assert writes(after_plan[calls_before:]) == [], "a plan sent a write"
    assert plan["apiCalls"] == len(after_plan) - calls_before, "every read counted"

    status, done = stack.invoke(data=reconcile_call(RECONCILE_ROSTER, "apply=true")).http()
    assert status == 200, done
    assert (done["applied"], done["failed"]) == (True, 0), done
    assert counts(done) == drift, done
    assert done["run"]["events"] == 3 and done["run"]["outcomes"]["succeeded"] == 3, done["run"]
    mary = stack.user("mary.somerville@example.com")
    assert (mary["scim"]["externalId"], mary["groups"]) == ("E2001", ["engineering"])
    grace = stack.user("grace.hopper@example.com")
    assert grace["scim"]["title"] == "Principal Engineer"
    assert sorted(grace["groups"]) == ["jira-software-users", "platform-team"]
    assert stack.user("alan.turing@example.com")["scim"]["externalId"] == "E1004"
    # The DynamoDB ledger recorded each applied worker, as for events.
    keys = {item["pk"]["S"] for item in stack.ledger_items()}
    assert {"fact#hr:E1002", "fact#hr:E1004", "fact#hr:E2001"} <= keys, keys

    calls_before = len(stack.requests())
    status, again = stack.invoke(data=reconcile_call(RECONCILE_ROSTER, "apply=true")).http()
    assert status == 200, again
    assert counts(again) == {**{k: 0 for k in drift}, "unchanged": 3}, again
    assert writes(stack.requests()[calls_before:]) == [], "a second apply wrote"


def test_reconcile_cap_refuses_a_mass_deprovision_with_422_and_nothing_sent(stack):
    roster = "\n".join(json.dumps(w) for w in [
        {"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "groups": ["engineering"]},
        {"hrId": "E1003", "workEmail": "joan.clarke@example.com", "status": "terminated"},
    ])
    calls_before = len(stack.requests())
    status, document = stack.invoke(data=reconcile_call(roster, "apply=true")).http()
    assert status == 422, document
    assert document["applied"] is False
    assert document["refused"]["code"] == "deprovision_cap_exceeded", document
    assert "(0 for a roster of 2)" in document["refused"]["message"]
    assert writes(stack.requests()[calls_before:]) == [], "a refused plan sent a write"
    assert stack.user("joan.clarke@example.com")["scim"]["active"] is True


def test_reconcile_bad_roster_is_400_naming_each_line_and_calls_nothing(stack):
    roster = RECONCILE_ROSTER + '{"hrId": "E9", "workEmail": "not-an-email"}\n{nope\n'
    calls_before = len(stack.requests())
    status, body = stack.invoke(data=reconcile_call(roster, "apply=true")).http()
    assert status == 400, body
    error = body["error"]
    assert (error["code"], error["field"]) == ("invalid_input", "roster")
    assert "\n  line 4: workEmail: " in error["message"] and "\n  line 5: (line): " in error["message"], error
    assert [(l["line"], l["field"]) for l in error["lines"]] == [(4, "workEmail"), (5, "(line)")]
    assert len(stack.requests()) == calls_before, "a bad roster reached Atlassian"
