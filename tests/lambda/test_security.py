"""The safety rails through the Lambda host, one table row per rail, each run through the three entry
shapes (EventBridge event, API Gateway HTTP v2 call, direct invocation): a purge without
LCM_ALLOW_DELETE, the removal cap, protected groups, privileged groups, custom endpoints without
their opt-in, and bad input. Each case checks the exact error code (and the HTTP status the code
maps to) and what the emulator saw: no request at all, or no write. The CLI and wasm hosts run the
same table (cli/tests/security.rs, wasm/tests/security.test.mjs).

Safety settings are the deployment's (the function's environment), so the rails that need other
settings than the session's function run on two more functions started here, beside it, on the
same emulator, moto and ledger: `strict` (a removal cap of 2, `platform-team` protected) and `closed`
(LCM_ALLOW_CUSTOM_ENDPOINTS unset, so the emulator is a host nobody chose).
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
from dataclasses import dataclass, field

import pytest

from conftest import FIXTURES, FUNCTION, INVOKE_TIMEOUT, START_TIMEOUT, VENV_BIN, Invoked, Pending, Service, \
    free_port, stop_pid, wait_for

ADA = "ada.lovelace@example.com"
GRACE = "grace.hopper@example.com"
ADA_GROUPS = ["confluence-users", "engineering", "jira-software-users", "platform-team"]

# What each function's environment changes from the session's function (None: the variable unset).
FUNCTIONS = {
    "strict": {"LCM_MAX_REMOVALS": "2", "LCM_PROTECTED_GROUPS": "platform-team"},
    "closed": {"LCM_ALLOW_CUSTOM_ENDPOINTS": None},
}

# The HTTP status each code answers (lambda/src/http_api.rs `status_for_code`; 200 for success).
HTTP_STATUS = {None: 200, "action_disabled": 403, "removal_cap_exceeded": 422, "group_not_grantable": 422,
               "invalid_input": 400, "invalid_config": 500}


def event(lifecycle, worker, access=None):
    e = {"schemaVersion": "1", "eventId": f"sec-{lifecycle}", "lifecycle": lifecycle,
         "occurredAt": "2026-11-30T09:00:00Z", "worker": worker}
    if access is not None:
        e["access"] = access
    return e


def newcomer(**extra):
    return {"hrId": "E4242", "workEmail": "hedy.lamarr@example.com", "displayName": "Hedy Lamarr", **extra}


def joiner(worker):
    return event("joiner", worker, {"groups": ["confluence-users"]})


@dataclass
class Rail:
    name: str
    function: str  # "main" (the session's), or a key of FUNCTIONS
    input: object
    code: str | None  # the exact code of the first error, None for none
    calls: str  # "none" (no request at all), "no_writes", or "only_deactivation"
    refused: bool = False  # refused before any report (bad input or configuration)
    field: str | None = None  # the field a refusal names
    mentions: str | None = None  # a text the refusal's message must contain
    step: tuple | None = None  # (target, operation, status) the report must hold
    groups: tuple | None = None  # (email, exact groups afterwards)
    never_named: str | None = None  # a group no request may name at all


RAILS = [
    Rail("purge_without_allow_delete", "main", event("purge", {"hrId": "E1002", "workEmail": GRACE}),
         code="action_disabled", calls="none", mentions="LCM_ALLOW_DELETE"),
    Rail("mover_over_the_removal_cap", "strict",
         event("mover", {"hrId": "E1001", "workEmail": ADA},
               {"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "remove"}),
         code="removal_cap_exceeded", calls="no_writes",
         step=(f"user {ADA}", "remove_memberships", "failed"), groups=(ADA, ADA_GROUPS)),
    Rail("leaver_over_the_removal_cap", "strict", event("leaver", {"hrId": "E1001", "workEmail": ADA}),
         code="removal_cap_exceeded", calls="only_deactivation",
         step=(f"user {ADA}", "remove_memberships", "failed"), groups=(ADA, ADA_GROUPS)),
    Rail("replace_keeps_a_protected_group", "strict",
         event("mover", {"hrId": "E1001", "workEmail": ADA},
               {"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "replace"}),
         code=None, calls="no_writes",
         step=("group platform-team", "remove_membership", "skipped"), groups=(ADA, ADA_GROUPS)),
    Rail("privileged_group_is_not_granted", "main",
         event("mover", {"hrId": "E1002", "workEmail": GRACE}, {"groups": ["payroll-admins"], "mode": "add"}),
         code="group_not_grantable", calls="no_writes",
         step=("group payroll-admins", "add_membership", "failed"),
         groups=(GRACE, ["engineering", "jira-software-users"]), never_named="payroll-admins"),
    Rail("custom_endpoints_without_opt_in", "closed", joiner(newcomer()),
         code="invalid_config", calls="none", refused=True, mentions="LCM_ALLOW_CUSTOM_ENDPOINTS"),
    Rail("malformed_email", "main", joiner(newcomer(workEmail="hedy.example.com")),
         code="invalid_input", calls="none", refused=True, field="worker.workEmail"),
    Rail("unknown_field", "main", joiner(newcomer(givenNam="Hedy")),
         code="invalid_input", calls="none", refused=True, field="worker.givenNam"),
    Rail("malformed_event", "main",
         {"schemaVersion": "1", "eventId": "sec-bad", "lifecycle": "joiner", "worker": "hedy"},
         code="invalid_input", calls="none", refused=True, field="worker"),
]

SHAPES = ["eventbridge", "http", "direct"]


class Function:
    """One more function under its own `cargo lambda watch`, with the session's environment changed
    by `changes`; stopped (with the function process it spawned) by stop()."""

    def __init__(self, stack, name: str, changes: dict):
        self.stack, self.name = stack, name
        self.env = {k: v for k, v in stack.env.items() if changes.get(k, "") is not None}
        self.env.update({k: v for k, v in changes.items() if v is not None})
        self.port = free_port()
        self.watch = Service(f"cargo-lambda-watch-{name}", [
            str(VENV_BIN / "cargo-lambda"), "lambda", "watch",
            "--invoke-address", "127.0.0.1", "--invoke-port", str(self.port),
            "--ignore-changes", "--quiet", "--package", FUNCTION, "--bin", FUNCTION,
        ], self.env, stack.log_dir)

        def up():
            assert self.watch.alive(), f"cargo lambda watch ({name}) exited; see {self.watch.stderr_path}"
            with socket.socket() as sock:
                sock.settimeout(1)
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(f"cargo lambda watch ({name})", up, timeout=60)
        warm = self.invoke(json.loads((FIXTURES / "direct-check.json").read_text()), timeout=START_TIMEOUT)
        assert warm.rc == 0, f"warm-up of {name} failed: {warm.stderr}\n{warm.stdout}"

    def invoke(self, data, timeout: float = INVOKE_TIMEOUT) -> Invoked:
        args = [str(VENV_BIN / "cargo-lambda"), "lambda", "invoke", "--invoke-address", "127.0.0.1",
                "--invoke-port", str(self.port), "--output-format", "json", "--data-ascii", json.dumps(data),
                FUNCTION]
        proc = subprocess.Popen(args, env={**self.env, "RUST_LOG": "warn"}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        return Pending(self.stack, proc).wait(timeout)

    def output(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.watch.stdout_path, self.watch.stderr_path))

    def stop(self):
        pids = set()
        for line in self.watch.stdout_path.read_text(errors="replace").splitlines():
            try:
                doc = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(doc, dict) and doc.get("message") == "ready" and "pid" in doc:
                pids.add(int(doc["pid"]))
        self.watch.stop()
        for pid in pids:
            stop_pid(pid, FUNCTION)


@pytest.fixture(scope="module")
def functions(stack):
    started = {}
    try:
        for name, changes in FUNCTIONS.items():
            started[name] = Function(stack, name, changes)
        yield started
    finally:
        for f in started.values():
            f.stop()


def shaped(shape: str, name: str, detail):
    """The rail's input as the entry shape carries it."""
    if shape == "eventbridge":
        e = json.loads((FIXTURES / "eventbridge-leaver.json").read_text())
        e["id"] = f"eb-security-{name}"
        e["detail"] = detail
        return e
    if shape == "http":
        e = json.loads((FIXTURES / "apigw-v2-events-mover.json").read_text())
        e["body"] = base64.b64encode(json.dumps(detail).encode()).decode()
        e["isBase64Encoded"] = True
        e["headers"].pop("content-length", None)
        return e
    return detail


def first_error_code(report: dict):
    for error in [report.get("error")] + [s.get("error") for s in report.get("steps", [])]:
        if error:
            return error["code"]
    return None


def answer(shape: str, result: Invoked):
    """(code, error, report) as the shape answers: the code of the error, the error object of a
    refusal (None for a report), and the report (None for a refusal)."""
    assert result.rc == 0, f"the invocation failed: {result.stderr}\n{result.stdout}"
    if shape == "eventbridge":
        body = result.json
        if body["disposition"] == "done":
            return first_error_code(body["report"]), None, body["report"]
        assert body["disposition"] == "failure_queued", body
        report = body.get("report")
        return body["error"]["code"], (None if report else body["error"]), report
    if shape == "http":
        status, body = result.http()
        code = body["error"]["code"] if "outcome" not in body else first_error_code(body)
        assert status == HTTP_STATUS[code], f"HTTP {status} for {code}: {body}"
        return (code, body["error"], None) if "outcome" not in body else (code, None, body)
    body = result.json
    if "outcome" not in body:
        return body["error"]["code"], body["error"], None
    return first_error_code(body), None, body


def writes(requests):
    return [r for r in requests if r["method"] not in ("GET", "HEAD") and not r["path"].endswith("/search")]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("rail", RAILS, ids=[r.name for r in RAILS])
def test_rail(stack, functions, rail: Rail, shape: str):
    function = stack if rail.function == "main" else functions[rail.function]
    result = function.invoke(data=shaped(shape, rail.name, rail.input))
    code, error, report = answer(shape, result)
    assert code == rail.code, f"{rail.name} via {shape}: {result.stdout}"
    if rail.refused:
        assert error is not None and report is None, f"{rail.name} via {shape} ran the engine: {result.stdout}"
    else:
        assert report is not None, f"{rail.name} via {shape}: no report: {result.stdout}"
    if rail.field:
        assert error["field"] == rail.field, error
    if rail.mentions:
        message = (error or report.get("error") or {}).get("message", "")
        assert rail.mentions in message, f"{rail.mentions} not named: {result.stdout}"
    if rail.step:
        target, operation, status = rail.step
        steps = [s for s in report["steps"] if s["target"] == target and s["operation"] == operation]
        assert [s["status"] for s in steps] == [status], report["steps"]

    requests = stack.requests()
    if rail.calls == "none":
        assert requests == [], f"{rail.name} via {shape} reached Atlassian: {requests}"
    elif rail.calls == "no_writes":
        assert writes(requests) == [], f"{rail.name} via {shape} wrote: {writes(requests)}"
    else:
        [w] = writes(requests)
        assert w["method"] == "PATCH" and "/Users/" in w["path"], w
    if rail.never_named:
        named = [r for r in requests if rail.never_named in json.dumps(r)]
        assert named == [], f"{rail.never_named} was looked up: {named}"
    if rail.groups:
        email, groups = rail.groups
        assert sorted(stack.user(email)["groups"]) == groups


def test_the_extra_functions_printed_no_secret(stack, functions):
    # RUST_LOG=debug, as the session's function; refused configurations included.
    functions["closed"].invoke(data=joiner(newcomer()))
    for f in functions.values():
        output = f.output()
        assert len(output) > 1000, f"{f.name} printed almost nothing: the scan would prove nothing"
        for token in stack.tokens:
            assert token not in output, f"a credential appeared in the output of {f.name}"
