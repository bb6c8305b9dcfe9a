//! The Lambda host against a bare `lambda_runtime` echo function (`bench-echo`), both run as real
//! processes under the local Runtime API ([`crate::runtime_api`]):
//! - init: from spawning the process to its first `GET .../invocation/next`, each binary started
//!   `starts` times, alternating, median of each and their ratio;
//! - memory: one function process handles `events` joiners (direct invocations, three groups each)
//!   against an in-process emulator; its peak RSS is `VmHWM` from `/proc/PID/status`.
//!
//! The function gets its settings from plain environment variables (no Secrets Manager, the
//! in-memory ordering ledger), so no AWS service is involved.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use atlassian_emulator::Emulator;
use serde_json::Value;

use crate::org;
use crate::row::Row;
use crate::runtime_api::RuntimeApi;

/// What to run.
pub struct Plan {
    /// The Lambda host's release binary.
    pub function: PathBuf,
    /// The `bench-echo` release binary.
    pub echo: PathBuf,
    /// Starts of each binary for the init figure.
    pub starts: usize,
    /// Events for the memory figure.
    pub events: usize,
}

const INIT: &str = "Lambda init (spawn → first /invocation/next)";
const WAIT: Duration = Duration::from_secs(60);

/// Measures both figures and prints their rows.
pub async fn run(plan: Plan) -> Result<(), String> {
    if plan.starts == 0 || plan.events == 0 {
        return Err("lambda: --starts and --events must be at least 1".into());
    }
    let emu = Emulator::start(org::seed())
        .await
        .map_err(|e| e.to_string())?;
    let env = emu.lcm_env();
    let (mut host, mut echo) = (Vec::new(), Vec::new());
    for _ in 0..plan.starts {
        host.push(init_time(&plan.function, &env).await?);
        echo.push(init_time(&plan.echo, &[]).await?);
    }
    let (h, e) = (median(&mut host), median(&mut echo));
    let ratio = h / e;
    let n = plan.starts;
    Row::info(
        INIT,
        format!("atlassian-lcm-lambda (median of {n})"),
        format!("{h:.1} ms"),
    )
    .emit();
    Row::info(
        INIT,
        format!("bare lambda_runtime echo (median of {n})"),
        format!("{e:.1} ms"),
    )
    .emit();
    Row::judged(
        INIT,
        "ratio (lcm ÷ echo)",
        format!("{ratio:.2}×"),
        "≤ 1.5×",
        ratio <= 1.5,
    )
    .emit();
    peak_rss(&plan, &env).await
}

/// Starts `binary` under a fresh Runtime API; the milliseconds until its first poll.
async fn init_time(binary: &PathBuf, env: &[(&'static str, String)]) -> Result<f64, String> {
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut child = spawn(binary, &api, env, "warn")?;
    let first = api.first_next(WAIT).await;
    stop(&mut child);
    let first =
        first.ok_or_else(|| format!("{} never polled the Runtime API", binary.display()))?;
    Ok(first.duration_since(started).as_secs_f64() * 1000.0)
}

/// One function process over `plan.events` joiners; its VmHWM.
async fn peak_rss(plan: &Plan, env: &[(&'static str, String)]) -> Result<(), String> {
    let bench = format!("Lambda memory ({} events, one process)", plan.events);
    let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let mut child = spawn(&plan.function, &api, env, "info")?;
    let result = async {
        api.first_next(WAIT)
            .await
            .ok_or("the function never polled")?;
        let ready = status_kib(child.id(), "VmRSS")?;
        let groups = ["product-01", "team-01", "scim-01"];
        api.push((0..plan.events).map(|i| {
            org::event(
                &format!("rss-{i}"),
                "joiner",
                0,
                org::worker(10_000 + i),
                Some(&groups),
            )
        }));
        let answers = api
            .answers(plan.events, Duration::from_secs(600))
            .await
            .ok_or("the function did not answer every event")?;
        let hwm = status_kib(child.id(), "VmHWM")?;
        Ok::<_, String>((ready, hwm, answers))
    }
    .await;
    stop(&mut child);
    let (ready, hwm, answers) = result?;
    let succeeded = answers
        .iter()
        .filter(|(kind, body)| kind == "response" && outcome(body) == Some("succeeded"))
        .count();
    let mib = |kib: u64| kib as f64 / 1024.0;
    Row::info(
        &bench,
        "RSS once ready (VmRSS)",
        format!("{:.1} MiB", mib(ready)),
    )
    .emit();
    Row::info(
        &bench,
        "events succeeded",
        format!("{succeeded} of {}", plan.events),
    )
    .emit();
    Row::judged(
        &bench,
        "peak RSS (VmHWM)",
        format!("{:.1} MiB", mib(hwm)),
        "≤ 40 MiB",
        mib(hwm) <= 40.0,
    )
    .emit();
    Ok(())
}

/// The report's outcome in a function response, wherever the host put it.
fn outcome(body: &Value) -> Option<&str> {
    body["report"]["outcome"]
        .as_str()
        .or(body["outcome"].as_str())
}

fn spawn(
    binary: &PathBuf,
    api: &RuntimeApi,
    env: &[(&'static str, String)],
    log: &str,
) -> Result<Child, String> {
    Command::new(binary)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("RUST_LOG", log)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A `kB` field of `/proc/PID/status`.
pub(crate) fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}
