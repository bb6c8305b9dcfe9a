"""The distributed reconcile, driven as Step Functions would drive it.

There is no local Step Functions with Distributed Map, so this module interprets the template's
own state machine (`ReconcileStateMachine`, rendered by infra/tests/state_machine.py): it walks
the states in the definition's order, builds each Lambda payload from the definition's
`Parameters` (JSONPath `.$` fields, `$$.Execution.Name`), reads the plan from moto's S3 as the
Map's `ItemReader` does (JSON Lines), batches it per `ItemBatcher` (`MaxItemsPerBatch`,
`BatchInput`), runs up to `MaxConcurrency` batches at once, applies `Retry` on the errorType the
function returns, `ResultPath`, `OutputPath` and the `Choice` rules. Every step is a real
invocation of the function under `cargo lambda watch`, against the emulator, with the ordering
ledger in moto's DynamoDB. A payload the function and the template disagree on fails here.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import RECONCILE_BUCKET, ROOT

sys.path.insert(0, str(ROOT / "infra" / "tests"))
import state_machine  # noqa: E402 - the template's definition, rendered

TEMPLATE = ROOT / "infra" / "template.yaml"
BATCH_TIMEOUT = 600


class StepFailed(Exception):
    """A state ended in an error (the function's errorType), after its retries."""

    def __init__(self, error: str, cause: str):
        super().__init__(f"{error}: {cause[:2000]}")
        self.error, self.cause = error, cause


def path_get(document, path: str, context: dict):
    if path.startswith("$$."):
        document, path = context, "$" + path[2:]
    assert path == "$" or path.startswith("$."), f"unsupported JSONPath {path}"
    value = document
    for part in [p for p in path[2:].split(".") if p]:
        assert isinstance(value, dict) and part in value, f"{path}: no `{part}` in {str(value)[:300]}"
        value = value[part]
    return value


def resolve(template, document, context):
    """`Parameters` / `BatchInput` with every `key.$` replaced by the value at its path."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = path_get(document, value, context)
            else:
                out[key] = resolve(value, document, context)
        return out
    if isinstance(template, list):
        return [resolve(v, document, context) for v in template]
    return template


def with_result(document: dict, result_path: str | None, result):
    if result_path in (None, "$"):
        return result
    assert result_path.startswith("$.") and "." not in result_path[2:], result_path
    return {**document, result_path[2:]: result}


class Machine:
    """Runs one execution of a definition; `invoke(payload)` is the function."""

    def __init__(self, stack, definition: dict, execution: str, hooks: dict | None = None):
        self.stack, self.definition = stack, definition
        self.context = {"Execution": {"Name": execution}}
        self.visited: list[str] = []
        self.invocations: list[dict] = []
        self.errors: list[str] = []
        # "enter:<State>" runs as a state is entered; "retry" between a failed attempt and its
        # retry (where Step Functions waits IntervalSeconds): how a test changes the world.
        self.hooks = hooks or {}

    def run(self, states: dict, start: str, document):
        name = start
        while True:
            self.visited.append(name)
            self.hooks.get(f"enter:{name}", lambda: None)()
            state = states[name]
            kind = state["Type"]
            if kind == "Succeed":
                return "Succeed", document
            if kind == "Fail":
                return state["Error"], document
            if kind == "Choice":
                name = self.choose(state, document)
                continue
            try:
                output = self.task(state, document) if kind == "Task" else self.map(state, document)
            except StepFailed as failure:
                catch = next((c for c in state.get("Catch", [])
                              if set(c["ErrorEquals"]) & {failure.error, "States.ALL"}), None)
                if catch is None:
                    return failure.error, document
                document = with_result(document, catch.get("ResultPath"),
                                       {"Error": failure.error, "Cause": failure.cause})
                name = catch["Next"]
                continue
            document = output
            if state.get("End"):
                return "Succeed", document
            name = state["Next"]

    def choose(self, state: dict, document) -> str:
        for rule in state["Choices"]:
            value = path_get(document, rule["Variable"], self.context)
            ops = {"BooleanEquals": lambda v, x: v is x, "NumericEquals": lambda v, x: v == x,
                   "NumericGreaterThan": lambda v, x: v > x}
            (op, operand), = [(k, v) for k, v in rule.items() if k in ops]
            if ops[op](value, operand):
                return rule["Next"]
        return state["Default"]

    def task(self, state: dict, document):
        assert state["Resource"] == "arn:aws:states:::lambda:invoke", state["Resource"]
        params = resolve(state["Parameters"], document, self.context)
        payload = params["Payload"]
        attempts = {}
        while True:
            self.invocations.append(payload)
            result = self.stack.invoke(data=payload, timeout=BATCH_TIMEOUT)
            if result.rc == 0:
                answer = result.json
                break
            text = result.stdout + result.stderr
            error = next((e for e in ("Lcm.ReconcileBatchIncomplete", "Lcm.TransientFailure",
                                      "Lcm.PermanentFailure", "Lcm.UnknownInvocation") if e in text),
                         "Lambda.Unknown")
            self.errors.append(error)
            retry = next((r for r in state.get("Retry", []) if error in r["ErrorEquals"]), None)
            attempts[error] = attempts.get(error, 0) + 1
            if retry is None or attempts[error] > retry.get("MaxAttempts", 3):
                raise StepFailed(error, text)
            self.hooks.get("retry", lambda: None)()
        output = with_result(document, state.get("ResultPath"), {"Payload": answer})
        return path_get(output, state["OutputPath"], self.context) if "OutputPath" in state else output

    def map(self, state: dict, document):
        reader = state["ItemReader"]
        assert reader["Resource"] == "arn:aws:states:::s3:getObject"
        assert reader["ReaderConfig"]["InputType"] == "JSONL"
        where = resolve(reader["Parameters"], document, self.context)
        body = self.stack.s3.get_object(Bucket=where["Bucket"], Key=where["Key"])["Body"].read()
        items = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        batcher = state["ItemBatcher"]
        size = batcher["MaxItemsPerBatch"]
        assert isinstance(size, int), f"MaxItemsPerBatch must be a number, not {size!r}"
        shared = resolve(batcher["BatchInput"], document, self.context)
        batches = [{"BatchInput": shared, "Items": items[i:i + size]} for i in range(0, len(items), size)]
        processor = state["ItemProcessor"]
        assert processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED"

        def child(batch):
            end, output = self.run(processor["States"], processor["StartAt"], batch)
            return end, output

        with ThreadPoolExecutor(max_workers=state["MaxConcurrency"]) as pool:
            ran = list(pool.map(child, batches))
        failed = [output for end, output in ran if end != "Succeed"]
        if len(failed) * 100 > state.get("ToleratedFailurePercentage", 0) * max(len(batches), 1):
            raise StepFailed("States.ExceedToleratedFailureThreshold", json.dumps(failed)[:2000])
        self.batches = len(batches)
        return with_result(document, state.get("ResultPath"), [output for _, output in ran])


def execute(stack, roster: str, execution: str, parameters: dict | None = None,
            hooks: dict | None = None) -> Machine:
    key = f"rosters/{execution}.jsonl"
    stack.s3.put_object(Bucket=RECONCILE_BUCKET, Key=key, Body=roster.encode())
    definition = state_machine.definition(TEMPLATE, parameters or {})
    machine = Machine(stack, definition, execution, hooks)
    machine.end, machine.output = machine.run(definition["States"], definition["StartAt"], {"rosterKey": key})
    return machine


def s3_json(stack, key: str):
    return json.loads(stack.s3.get_object(Bucket=RECONCILE_BUCKET, Key=key)["Body"].read())


def test_a_5000_person_roster_converges_through_plan_batches_and_summary(concurrent):
    """On the stack with several function instances, so the Map's batches really run at once
    against the one DynamoDB ledger."""
    fresh = concurrent
    org = fresh.emulator_call("POST", "/__emulator/large-org", {"people": 5000, "driftPercent": 5, "seed": 13})
    drift = org["drift"]
    changed = drift["newHires"] + drift["terminated"] + drift["retitled"] + drift["moved"]
    machine = execute(fresh, org["roster"], "run-5000", {"ReconcileBatchSize": "40"})
    assert machine.end == "Succeed", f"{machine.visited}: {str(machine.output)[:2000]}"
    assert machine.visited[:3] == ["Plan", "Proceed", "ApplyBatches"], machine.visited
    assert machine.visited[-3:] == ["Summary", "Converged", "Done"], machine.visited
    assert machine.batches == -(-changed // 40), (machine.batches, changed)

    plan = machine.invocations[0]
    assert plan == {"lcmStep": "reconcile-plan", "rosterKey": "rosters/run-5000.jsonl", "runId": "run-5000"}
    summary = machine.output
    assert summary["failed"] == 0, summary
    s = summary["summary"]
    assert (s["create"], s["deprovision"], s["update"], s["orphans"]) == (
        drift["newHires"], drift["terminated"], drift["retitled"], drift["orphans"]), (s, drift)
    drift_doc = s3_json(fresh, "reports/run-5000/drift.json")
    assert drift_doc["summary"]["create"] == drift["newHires"] and not drift_doc["applied"]
    assert s["unchanged"] == drift_doc["summary"]["unchanged"] > 4000, (s, drift_doc["summary"])
    report = s3_json(fresh, summary["reportKey"])
    assert report["summary"] == s and report["items"] == changed, report

    # Converged: a second run plans nothing and goes straight from Proceed to Summary.
    again = execute(fresh, org["roster"], "run-5000-again")
    assert again.end == "Succeed", again.output
    assert "ApplyBatches" not in again.visited, again.visited
    assert again.output["summary"]["create"] == 0 and again.output["failed"] == 0, again.output
    # The ledger in DynamoDB holds one record per worker the batches changed.
    assert len(fresh.ledger_items()) >= changed - drift["orphans"]


def test_a_batch_that_fails_transiently_is_retried_and_the_run_converges(fresh):
    """Atlassian answers 503 to everything while the batches first run, and recovers before the
    Map's retry: the batch fails as Lcm.ReconcileBatchIncomplete (nothing is lost), its retry
    applies every item, and the summary counts each change once."""
    roster = "".join(json.dumps(line) + "\n" for line in [
        {"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "title": "Chief Engineer",
         "groups": ["engineering"]},
        {"hrId": "E1002", "workEmail": "grace.hopper@example.com", "title": "Rear Admiral",
         "groups": ["engineering"]},
    ])
    fault = lambda: fresh.emulator_call("PUT", "/__emulator/faults", {"rate503": 1.0})  # noqa: E731
    recover = lambda: fresh.emulator_call("DELETE", "/__emulator/faults")  # noqa: E731
    try:
        machine = execute(fresh, roster, "run-flaky", hooks={"enter:ApplyBatches": fault, "retry": recover})
    finally:
        recover()
    assert machine.end == "Succeed", (machine.visited, str(machine.output)[:2000])
    assert machine.errors == ["Lcm.ReconcileBatchIncomplete"], machine.errors
    batch_calls = [p for p in machine.invocations if p["lcmStep"] == "reconcile-batch"]
    assert len(batch_calls) == 2 and batch_calls[0] == batch_calls[1], "the same batch, retried"
    assert machine.output["failed"] == 0 and machine.output["summary"]["update"] == 2, machine.output
    assert fresh.user("ada.lovelace@example.com")["scim"]["title"] == "Chief Engineer"
    assert fresh.user("grace.hopper@example.com")["scim"]["title"] == "Rear Admiral"


def test_a_plan_over_the_deprovision_cap_runs_no_batch(fresh):
    roster = "".join(json.dumps({"hrId": f"E100{i}", "workEmail": email, "status": "terminated"}) + "\n"
                     for i, email in enumerate(["ada.lovelace@example.com", "grace.hopper@example.com"], 1))
    before = len(fresh.requests())
    machine = execute(fresh, roster, "run-capped")
    assert machine.end == "ReconcilePlanRefused", (machine.visited, machine.output)
    assert machine.visited == ["Plan", "Proceed", "PlanRefused"]
    assert machine.output["refused"]["code"] == "deprovision_cap_exceeded", machine.output
    writes = [r for r in fresh.requests()[before:] if r["method"] not in ("GET", "HEAD")
              and not r["path"].endswith("/users/search")]
    assert writes == [], writes
    body = fresh.s3.get_object(Bucket=RECONCILE_BUCKET, Key=machine.output["planKey"])["Body"].read()
    assert body == b"", "a refused plan holds no item a Map could run"


@pytest.mark.parametrize("payload, wanted", [
    ({"lcmStep": "reconcile-plan", "rosterKey": "reports/evil.jsonl", "runId": "r1"}, "is not under `rosters/`"),
    ({"lcmStep": "reconcile-plan", "rosterKey": "rosters/absent.jsonl", "runId": "r1"}, "no roster readable"),
    ({"lcmStep": "reconcile-plan", "rosterKey": "rosters/x.jsonl", "runId": "../r"}, "runId"),
    ({"lcmStep": "reconcile-summary", "runId": "r1", "bucket": "someone-elses", "planned": {}, "batches": []},
     "this function's reconcile bucket is `lcm-reconcile`"),
])
def test_bad_step_payloads_fail_permanently_with_no_call(fresh, payload, wanted):
    before = len(fresh.requests())
    result = fresh.invoke(data=payload)
    # cargo lambda wraps the error message over lines, with a border.
    text = " ".join((result.stdout + result.stderr).replace("\u2502", " ").split())
    assert result.rc != 0 and "Lcm.PermanentFailure" in text and wanted in text, text
    assert len(fresh.requests()) == before, "no call to Atlassian"
