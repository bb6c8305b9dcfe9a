"""Figures for the Lambda host's note (a benchmark, not a test: it asserts nothing about time).

Prints
  1. the zipped bootstrap size of `cargo lambda build --release --arm64 --output-format zip`;
  2. the cold-start init time of the release binary measured locally: from spawning the process
     to its first `GET /2018-06-01/runtime/invocation/next` on a local Lambda runtime API (this
     script serves one), median of several starts — the x86_64 build of the same release profile,
     since this machine cannot run the arm64 one;
  3. the peak RSS (VmHWM) of that process after handling 100 EventBridge joiner events in a row
     (100 new users with three groups each) against the emulator binary, with the credentials read
     from moto's Secrets Manager.

    .tools/venv/bin/python tests/lambda/bench.py [--skip-arm64] [--events N] [--starts N]
(or LCM_LAMBDA_BENCH=1 scripts/test-lambda). Needs `cargo build -p atlassian-emulator` first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import FUNCTION, ROOT, TARGET, VENV_BIN, Service, free_port, wait_for  # noqa: E402

import boto3  # noqa: E402


def run(args, **kw):
    print("$", " ".join(str(a) for a in args), flush=True)
    subprocess.run(args, cwd=ROOT, check=True, timeout=3600, **kw)


class RuntimeApi:
    """A minimal Lambda runtime API: hands out queued events, collects responses."""

    def __init__(self):
        self.events: list[dict] = []
        self.responses: dict[str, tuple[str, bytes]] = {}
        self.first_next_at: float | None = None
        self.cond = threading.Condition()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    self.send_error(404)
                    return
                with api.cond:
                    if api.first_next_at is None:
                        api.first_next_at = time.monotonic()
                    api.cond.notify_all()
                    while not api.events:
                        if not api.cond.wait(timeout=0.5) and api.closing:
                            return  # the function was stopped while long-polling: nobody to answer
                    event = api.events.pop(0)
                request_id = str(uuid.uuid4())
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("lambda-runtime-aws-request-id", request_id)
                self.send_header("lambda-runtime-deadline-ms", str(int(time.time() * 1000) + 60_000))
                self.send_header("lambda-runtime-invoked-function-arn",
                                 "arn:aws:lambda:eu-west-1:123456789012:function:atlassian-lcm")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                parts = self.path.strip("/").split("/")
                self.send_response(202)
                self.send_header("content-length", "0")
                self.end_headers()
                if len(parts) >= 5 and parts[2] == "invocation":
                    with api.cond:
                        api.responses[parts[3]] = (parts[4], body)
                        api.cond.notify_all()

        self.closing = False
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.closing = True
        with self.cond:
            self.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()


def function_env(base: dict, runtime: RuntimeApi) -> dict:
    return {
        **base,
        "AWS_LAMBDA_RUNTIME_API": runtime.address,
        "AWS_LAMBDA_FUNCTION_NAME": "atlassian-lcm",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/atlassian-lcm",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
    }


def vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def joiner(i: int) -> dict:
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Worker Lifecycle", "source": "hr.bench",
        "account": "123456789012", "time": "2026-11-30T09:00:00Z", "region": "eu-west-1", "resources": [],
        "detail": {
            "schemaVersion": "1", "eventId": f"bench-{i:04d}", "lifecycle": "joiner",
            "worker": {"hrId": f"B{i:05d}", "workEmail": f"bench.user{i:04d}@example.com",
                       "givenName": "Bench", "familyName": f"User{i:04d}", "displayName": f"Bench User{i:04d}"},
            "access": {"groups": ["jira-software-users", "confluence-users", "engineering"], "mode": "add"},
        },
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-arm64", action="store_true", help="do not build the arm64 zip")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--starts", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "CARGO_TARGET_DIR": str(TARGET)}
    figures = {}

    # 1. The deployable artifact.
    if not args.skip_arm64:
        lambda_dir = TARGET / "lambda-arm64"
        run([VENV_BIN / "cargo-lambda", "lambda", "build", "--release", "--arm64", "--output-format", "zip",
             "--lambda-dir", lambda_dir, "-p", FUNCTION], env=env)
        figures["bootstrap.zip (arm64)"] = f"{(lambda_dir / FUNCTION / 'bootstrap.zip').stat().st_size / 1024 / 1024:.2f} MiB"

    # 2 and 3 run the same release profile built for this machine's architecture.
    host_dir = TARGET / "lambda-host"
    run([VENV_BIN / "cargo-lambda", "lambda", "build", "--release", "--lambda-dir", host_dir, "-p", FUNCTION],
        env=env)
    binary = host_dir / FUNCTION / "bootstrap"
    figures["bootstrap (host arch, unzipped)"] = f"{binary.stat().st_size / 1024 / 1024:.2f} MiB"

    log_dir = Path(tempfile.mkdtemp(prefix="lcm-bench-"))
    services: list[Service] = []
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LCM_"))}
        emulator = Service("emulator", [str(TARGET / "debug" / "atlassian-emulator"), "--port", str(free_port())],
                           base, log_dir, pipe_stdout=True)
        services.append(emulator)
        info = json.loads(emulator.read_line(timeout=30))
        moto_port = free_port()
        services.append(Service("moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                base, log_dir))
        moto_url = f"http://127.0.0.1:{moto_port}"

        def moto_up():
            try:
                import urllib.request
                with urllib.request.urlopen(moto_url + "/moto-api/", timeout=2):
                    return True
            except OSError:
                return False

        wait_for("moto_server", moto_up, timeout=60)
        sm = boto3.client("secretsmanager", endpoint_url=moto_url, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        arn = sm.create_secret(Name="lcm/bench", SecretString=json.dumps({
            "scim_url": info["scimUrl"], "scim_token": info["scimToken"], "admin_api_key": info["adminApiKey"],
            "scim_organization_id": info["orgId"]}))["ARN"]
        fn_base = {
            **base,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": moto_url, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(log_dir / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(log_dir / "none"),
            "LCM_SECRET_ARN": arn, "LCM_ADMIN_BASE_URL": info["adminBaseUrl"],
            "LCM_API_BASE_URL": info["apiBaseUrl"], "LCM_ALLOW_CUSTOM_ENDPOINTS": "true", "RUST_LOG": "warn",
        }

        # 2. Cold starts: spawn -> first poll of the runtime API.
        inits = []
        for _ in range(args.starts):
            runtime = RuntimeApi()
            started = time.monotonic()
            proc = subprocess.Popen([str(binary)], env=function_env(fn_base, runtime), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            try:
                wait_for("the first poll", lambda: runtime.first_next_at, timeout=30, interval=0.001)
                inits.append((runtime.first_next_at - started) * 1000)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
                runtime.close()
        figures["cold-start init (spawn -> first /invocation/next), median"] = (
            f"{statistics.median(inits):.1f} ms (min {min(inits):.1f}, max {max(inits):.1f}, n={len(inits)})")

        # 3. Peak memory over N events in a row.
        runtime = RuntimeApi()
        out = open(log_dir / "function.log", "wb")
        proc = subprocess.Popen([str(binary)], env=function_env({**fn_base, "RUST_LOG": "info"}, runtime),
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for("the first poll", lambda: runtime.first_next_at, timeout=30, interval=0.001)
            rss_idle = vm_kib(proc.pid, "VmRSS")
            started = time.monotonic()
            with runtime.cond:
                runtime.events.extend(joiner(i) for i in range(args.events))
                runtime.cond.notify_all()
            with runtime.cond:
                ok = runtime.cond.wait_for(lambda: len(runtime.responses) >= args.events, timeout=600)
            elapsed = time.monotonic() - started
            assert ok, f"only {len(runtime.responses)} of {args.events} events were answered"
            hwm = vm_kib(proc.pid, "VmHWM")
            outcomes = {}
            for kind, body in runtime.responses.values():
                key = json.loads(body).get("report", {}).get("outcome", kind) if kind == "response" else kind
                outcomes[key] = outcomes.get(key, 0) + 1
            figures[f"peak RSS (VmHWM) over {args.events} joiner events"] = (
                f"{hwm / 1024:.1f} MiB (RSS once ready: {rss_idle / 1024:.1f} MiB; "
                f"{elapsed:.1f} s, {elapsed * 1000 / args.events:.0f} ms/event; outcomes {outcomes})")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            runtime.close()
            out.close()
    finally:
        for s in reversed(services):
            s.stop()

    print()
    for name, value in figures.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
