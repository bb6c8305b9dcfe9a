"""End-to-end harness for the Lambda host: real processes, real protocols.

Starts, once per session and on free ports,
  * the Atlassian emulator binary (`target/debug/atlassian-emulator`),
  * moto_server (Secrets Manager holding the Atlassian credentials, SQS for the failure queue,
    DynamoDB for the ordering ledger, S3 for the distributed reconcile's bucket), its requests
    serialized (moto_site/sitecustomize.py),
  * `cargo lambda watch` running the function (`atlassian-lcm-lambda`),
and invokes the function with `cargo lambda invoke --data-file tests/fixtures/events/<x>.json`.
Every test starts from the same state (the `fresh` fixture): the emulator's seed, an empty
ledger table and an empty failure queue.

Everything is stopped at the end, failures included; every wait is bounded.
Logs of each process are kept in $LCM_E2E_LOG_DIR (default target/lambda-e2e).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "events"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VENV_BIN = Path(os.environ.get("LCM_VENV_BIN", ROOT / ".tools" / "venv" / "bin"))
FUNCTION = "atlassian-lcm-lambda"
SECRET_NAME = "lcm/atlassian"
QUEUE_NAME = "lcm-failures"
LEDGER_TABLE = "lcm-ledger"
# The distributed reconcile's bucket (infra/template.yaml: ReconcileBucket) and its prefixes.
RECONCILE_BUCKET = "lcm-reconcile"
# The EventBridge sources the function trusts (LCM_EVENT_SOURCES), those of the fixtures.
EVENT_SOURCES = "hr.workday,hr.bamboohr"
MOTO_SITE = Path(__file__).resolve().parent / "moto_site"

START_TIMEOUT = float(os.environ.get("LCM_E2E_START_TIMEOUT", "600"))  # includes a cargo build
# Function instances of the `concurrent_stack` (the `stack` has one, so a test can count on the
# instance it warmed: credential rotation, one log line per invocation).
WATCH_CONCURRENCY = 4
INVOKE_TIMEOUT = float(os.environ.get("LCM_E2E_INVOKE_TIMEOUT", "120"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Service:
    """A child process in its own process group, with its output in log files."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path, pipe_stdout: bool = False):
        self.name = name
        self.stdout_path = log_dir / f"{name}.stdout.log"
        self.stderr_path = log_dir / f"{name}.stderr.log"
        self._out = None if pipe_stdout else open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe_stdout else self._out,
            stderr=self._err,
            start_new_session=True,
        )

    def read_line(self, timeout: float) -> str:
        """The first stdout line (for processes started with pipe_stdout)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError(f"{self.name} printed nothing in {timeout:.0f} s; see {self.stderr_path}")
        line = self.proc.stdout.readline().decode()
        if not line:
            raise RuntimeError(f"{self.name} exited ({self.proc.poll()}); see {self.stderr_path}")
        return line

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        for f in (self._out, self._err, self.proc.stdout):
            if f:
                f.close()


def stop_pid(pid: int, expect_in_cmdline: str):
    """Stops one process we know by id (the function `cargo lambda watch` spawned in its own group)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return
    if expect_in_cmdline not in cmdline:
        return  # the id was reused by someone else's process: leave it alone
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)


@dataclass
class Invoked:
    rc: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)

    def http(self):
        """(status, body) of an API Gateway / function URL response."""
        response = self.json
        return response["statusCode"], json.loads(response["body"])


class Pending:
    """An invocation under way."""

    def __init__(self, stack: "Stack", proc: subprocess.Popen):
        self.stack, self.proc = stack, proc

    def wait(self, timeout: float = INVOKE_TIMEOUT) -> Invoked:
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise
        # stderr too: `cargo lambda invoke` prints a function error (the runtime's error response) there.
        self.stack.seen += [stdout, stderr]
        return Invoked(self.proc.returncode, stdout, stderr)


class Stack:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.services: list[Service] = []
        self.function_pids: set[int] = set()
        self.emulator_info: dict = {}
        self.tokens: set[str] = set()  # every credential the function was ever given
        self.seen: list[str] = []  # every response, invoker stderr and queue message, for the secret scan

    # -- emulator -----------------------------------------------------------------------------
    def emulator_url(self, path: str) -> str:
        return self.emulator_info["baseUrl"] + path

    def emulator_call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.emulator_url(path), data=data, method=method,
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            text = resp.read().decode()
            return json.loads(text) if text.strip() else None

    def state(self) -> dict:
        return self.emulator_call("GET", "/__emulator/state")

    def user(self, email: str) -> dict | None:
        return next((u for u in self.state()["users"] if u["email"].lower() == email.lower()), None)

    def requests(self) -> list:
        return self.emulator_call("GET", "/__emulator/requests")

    # -- the function -------------------------------------------------------------------------
    def invoke(self, fixture: str | None = None, data: dict | None = None,
               timeout: float = INVOKE_TIMEOUT) -> Invoked:
        done = self.start_invoke(fixture, data).wait(timeout)
        self.note_function_pids()
        return done

    def start_invoke(self, fixture: str | None = None, data: dict | None = None) -> "Pending":
        """Starts an invocation without waiting for it (to run two at once)."""
        args = [str(VENV_BIN / "cargo-lambda"), "lambda", "invoke",
                "--invoke-address", "127.0.0.1", "--invoke-port", str(self.invoke_port),
                "--output-format", "json"]
        if fixture:
            args += ["--data-file", str(FIXTURES / fixture)]
        else:
            args += ["--data-ascii", json.dumps(data)]
        args.append(FUNCTION)
        # The invoker must not inherit the function's RUST_LOG=debug: its own logs would mix into
        # the response it prints.
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, "RUST_LOG": "warn"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, stdin=subprocess.DEVNULL)
        return Pending(self, proc)

    # -- per-test state -----------------------------------------------------------------------
    def reset(self):
        """The emulator's seed, an empty ledger and an empty failure queue."""
        self.emulator_call("POST", "/__emulator/reset")
        for item in self.ledger_items():
            self.dynamodb.delete_item(TableName=LEDGER_TABLE, Key={"pk": item["pk"]})
        self.drain_queue(wait=0)

    def ledger_items(self) -> list[dict]:
        items, start = [], {}
        while True:
            page = self.dynamodb.scan(TableName=LEDGER_TABLE, ConsistentRead=True, **start)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    def drain_queue(self, wait: float = 5) -> list[dict]:
        """Every message now on the failure queue (and deletes them)."""
        messages = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=int(wait), MessageAttributeNames=["All"])
            batch = got.get("Messages", [])
            if not batch:
                return messages
            for m in batch:
                messages.append(m)
                self.seen.append(json.dumps(m))  # the body and the message attributes
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
            wait = 1

    def function_log_lines(self) -> list[dict]:
        """The JSON lines the function printed (through cargo lambda watch's stdout)."""
        lines = []
        text = self.watch.stdout_path.read_text(errors="replace")
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return lines

    def invocation_lines(self) -> list[dict]:
        """The function's one summary line per invocation, so far."""
        return [l for l in self.function_log_lines() if l.get("message") == "invocation"]

    def wait_for_invocation_lines(self, count: int, timeout: float = 30) -> list[dict]:
        """Waits until the function has logged `count` invocation lines: an invocation's response can
        reach the harness before its last log lines reach the log file."""
        return wait_for(f"{count} invocation log lines", lambda: (lines := self.invocation_lines())
                        and len(lines) >= count and lines, timeout)

    def note_function_pids(self):
        for line in self.function_log_lines():
            if line.get("message") == "ready" and "pid" in line:
                self.function_pids.add(int(line["pid"]))

    def all_function_output(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.watch.stdout_path, self.watch.stderr_path))

    def stop(self):
        if hasattr(self, "watch"):
            self.note_function_pids()
        for service in reversed(self.services):
            service.stop()
        for pid in self.function_pids:
            stop_pid(pid, FUNCTION)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    log_dir = Path(os.environ.get("LCM_E2E_LOG_DIR", TARGET / "lambda-e2e"))
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    s = Stack(log_dir)
    try:
        start(s, tmp_path_factory.mktemp("aws"))
        yield s
    finally:
        s.stop()


@pytest.fixture(autouse=True)
def fresh(stack):
    """Each test starts from the seed, whatever ran before it (issue #10)."""
    stack.reset()
    yield stack


@pytest.fixture(scope="session")
def concurrent_stack(tmp_path_factory):
    """A second stack whose `cargo lambda watch` runs WATCH_CONCURRENCY function instances, for the
    tests whose invocations must really run at once (races on the ledger, a Map's batches)."""
    log_dir = Path(os.environ.get("LCM_E2E_LOG_DIR", TARGET / "lambda-e2e")) / "concurrent"
    log_dir.mkdir(parents=True, exist_ok=True)
    s = Stack(log_dir)
    try:
        start(s, tmp_path_factory.mktemp("aws-concurrent"), concurrency=WATCH_CONCURRENCY)
        yield s
    finally:
        s.stop()


@pytest.fixture
def concurrent(concurrent_stack):
    """The concurrent stack, from the seed with an empty ledger, as `fresh` does for `stack`."""
    concurrent_stack.reset()
    yield concurrent_stack


def start(s: Stack, aws_dir: Path, concurrency: int = 1):
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LCM_"))}

    # 1. The emulator binary, on a free port; its ready line has the URLs and (fake) tokens.
    emulator_bin = TARGET / "debug" / "atlassian-emulator"
    assert emulator_bin.exists(), f"{emulator_bin} is missing: run `cargo build -p atlassian-emulator`"
    emulator = Service("emulator", [str(emulator_bin), "--port", str(free_port())], base_env, s.log_dir,
                       pipe_stdout=True)
    s.services.append(emulator)
    s.emulator_info = json.loads(emulator.read_line(timeout=30))
    s.tokens |= {s.emulator_info["scimToken"], s.emulator_info["adminApiKey"]}

    # 2. moto_server: Secrets Manager, SQS and DynamoDB. Its requests are serialized by
    #    moto_site/sitecustomize.py (the file says why): moto's conditional writes are not atomic
    #    under concurrent requests, DynamoDB's are, and the concurrent joiner/leaver test must
    #    exercise the ledger's conditions, not moto's race.
    moto_port = free_port()
    site = aws_dir / "moto_site"
    shutil.copytree(MOTO_SITE, site)
    moto = Service("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                   {**base_env, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}, s.log_dir)
    s.services.append(moto)
    moto_url = f"http://127.0.0.1:{moto_port}"

    def moto_up():
        try:
            with urllib.request.urlopen(moto_url + "/moto-api/", timeout=2):
                return True
        except OSError:
            assert moto.alive(), f"moto_server exited; see {moto.stderr_path}"
            return False

    wait_for("moto_server", moto_up, timeout=60)
    assert (site / "serialized").exists(), "moto_server did not import moto_site/sitecustomize.py"
    aws_env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_url,
        # No real profile or credentials file may leak in.
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name="us-east-1")
    s.secrets = session.client("secretsmanager", endpoint_url=moto_url)
    s.sqs = session.client("sqs", endpoint_url=moto_url)
    s.secret_arn = s.secrets.create_secret(Name=SECRET_NAME, SecretString=json.dumps(secret_value(s)))["ARN"]
    s.queue_url = s.sqs.create_queue(QueueName=QUEUE_NAME)["QueueUrl"]
    s.dynamodb = session.client("dynamodb", endpoint_url=moto_url)
    # The template's table (infra/template.yaml: LedgerTable): one string partition key.
    s.dynamodb.create_table(TableName=LEDGER_TABLE, BillingMode="PAY_PER_REQUEST",
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    s.s3 = session.client("s3", endpoint_url=moto_url)
    s.s3.create_bucket(Bucket=RECONCILE_BUCKET)

    # 3. The function under cargo lambda watch (prebuilt by scripts/test-lambda, so no compile here
    #    unless sources changed). Configuration as the SAM template sets it: endpoints and switches
    #    in the environment, credentials in the secret.
    s.invoke_port = free_port()
    s.env = {
        **base_env,
        **aws_env,
        "PATH": f"{VENV_BIN}{os.pathsep}{base_env.get('PATH', '')}",
        "CARGO_TARGET_DIR": str(TARGET),
        # debug, so the secret scan covers the most the function can print (the SDKs included).
        "RUST_LOG": "debug",
        "LCM_SECRET_ARN": s.secret_arn,
        "LCM_SECRET_TTL_SECONDS": "300",
        "LCM_FAILURE_QUEUE_URL": s.queue_url,
        "LCM_LEDGER_TABLE": LEDGER_TABLE,
        "LCM_EVENT_SOURCES": EVENT_SOURCES,
        "LCM_ADMIN_BASE_URL": s.emulator_info["adminBaseUrl"],
        "LCM_API_BASE_URL": s.emulator_info["apiBaseUrl"],
        "LCM_ALLOW_CUSTOM_ENDPOINTS": "true",
        "LCM_PROTECTED_GROUPS": "payroll-admins",
        "LCM_RECONCILE_BUCKET": RECONCILE_BUCKET,
        "LCM_ROSTER_PREFIX": "rosters/",
        "LCM_REPORT_PREFIX": "reports/",
    }
    s.watch = Service("cargo-lambda-watch", [
        str(VENV_BIN / "cargo-lambda"), "lambda", "watch",
        "--invoke-address", "127.0.0.1", "--invoke-port", str(s.invoke_port),
        "--ignore-changes", "--quiet",
        # With more than one, several instances as Lambda runs several: concurrent invocations
        # really run at once, each instance with its own memory, sharing only the DynamoDB ledger.
        "--concurrency", str(concurrency),
        "--package", FUNCTION, "--bin", FUNCTION,
    ], s.env, s.log_dir)
    s.services.append(s.watch)

    def watch_up():
        assert s.watch.alive(), f"cargo lambda watch exited; see {s.watch.stderr_path}"
        with socket.socket() as sock:
            sock.settimeout(1)
            return sock.connect_ex(("127.0.0.1", s.invoke_port)) == 0

    wait_for("cargo lambda watch", watch_up, timeout=60)
    # The first invocation starts (and, if needed, builds) the function: a CHECK warms it up.
    warm = s.invoke("direct-check.json", timeout=START_TIMEOUT)
    assert warm.rc == 0, f"warm-up invocation failed: {warm.stderr}\n{warm.stdout}"


def secret_value(s: Stack, scim_token: str | None = None, admin_api_key: str | None = None) -> dict:
    info = s.emulator_info
    return {
        "scim_url": info["scimUrl"],
        "scim_token": scim_token or info["scimToken"],
        "admin_api_key": admin_api_key or info["adminApiKey"],
        "scim_organization_id": info["orgId"],
    }


@pytest.fixture
def rotated(stack):
    """Atlassian (the emulator) accepts only new keys and the secret holds them; the function's
    cached credentials (TTL 300 s) are stale. Afterwards the seed's keys are put back and the
    function re-reads them, so later tests see no 401."""
    new_scim, new_admin = "rotated-scim-token-e2e-7f3a91", "rotated-admin-api-key-e2e-c62d04"
    stack.tokens |= {new_scim, new_admin}
    stack.emulator_call("PUT", "/__emulator/tokens", {"scimToken": new_scim, "adminApiKey": new_admin})
    stack.secrets.put_secret_value(SecretId=stack.secret_arn,
                                   SecretString=json.dumps(secret_value(stack, new_scim, new_admin)))
    yield new_scim, new_admin
    info = stack.emulator_info
    stack.emulator_call("PUT", "/__emulator/tokens", {"scimToken": info["scimToken"],
                                                      "adminApiKey": info["adminApiKey"]})
    stack.secrets.put_secret_value(SecretId=stack.secret_arn, SecretString=json.dumps(secret_value(stack)))
    status, report = stack.invoke("apigw-v2-health.json").http()
    assert status == 200, f"the function did not recover the seed's credentials: {report}"
