//! Shared set-up for the engine's HTTP tests: an in-process emulator, an
//! engine configured for it with a fast retry policy, and event builders.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use atlassian_emulator::{Emulator, LoggedRequest, Seed};
use atlassian_lcm::clock::SystemClock;
use atlassian_lcm::config::{Key, RawValue, Source};
use atlassian_lcm::http::HttpClient;
use atlassian_lcm::native::{ReqwestClient, TokioSleep};
use atlassian_lcm::retry::RetryPolicy;
use atlassian_lcm::testing::{FakeClock, FakeSleep};
use atlassian_lcm::{Config, Lcm, RawConfig, Report, RunOptions};
use serde_json::{json, Value};

/// Raw settings pointing at the emulator.
pub fn raw_config(emu: &Emulator) -> RawConfig {
    let env = emu.lcm_env();
    RawConfig::from_vars(env.iter().map(|(k, v)| (*k, v.as_str())))
}

/// A validated config with extra settings and a retry policy fast enough for tests.
pub fn config(emu: &Emulator, extra: &[(Key, &str)]) -> Config {
    let mut raw = raw_config(emu);
    for (k, v) in extra {
        raw.set(*k, RawValue::Text(v.to_string()), Source::Host);
    }
    let c = Config::from_raw(&raw).expect("valid test config");
    let retry = RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        ..c.limits().retry()
    };
    c.with_retry(retry)
}

/// An engine over reqwest.
pub fn engine(config: Config) -> Lcm {
    engine_with(config, Arc::new(ReqwestClient::new().unwrap()))
}

/// An engine over a given client (a wrapper, a closure).
pub fn engine_with(config: Config, http: Arc<dyn HttpClient>) -> Lcm {
    Lcm::new(config, http, Arc::new(TokioSleep), Arc::new(SystemClock))
}

/// An engine on fake time over reqwest: the clock stands at `now_ms` and moves
/// only as the engine sleeps, which it does at once. The sleeper tells what
/// the engine waited for. Request timeouts never fire (real requests are in flight).
pub fn engine_on_fake_time(config: Config, now_ms: u64) -> (Lcm, Arc<FakeSleep>) {
    let clock = FakeClock::at(now_ms);
    let sleep =
        Arc::new(FakeSleep::new(clock.clone()).holding_from(config.limits().request_timeout()));
    let http = Arc::new(ReqwestClient::new().unwrap());
    (Lcm::new(config, http, sleep.clone(), clock), sleep)
}

/// The demo org's emulator and an engine for it.
pub async fn demo(extra: &[(Key, &str)]) -> (Emulator, Lcm) {
    seeded(Seed::demo(), extra).await
}

/// A seeded emulator and an engine for it.
pub async fn seeded(seed: Seed, extra: &[(Key, &str)]) -> (Emulator, Lcm) {
    let emu = Emulator::start(seed).await.expect("emulator starts");
    let lcm = engine(config(&emu, extra));
    (emu, lcm)
}

/// A lifecycle event.
pub fn event(lifecycle: &str, worker: Value, access: Option<Value>) -> Value {
    let mut e = json!({"schemaVersion": "1", "eventId": format!("test-{lifecycle}"), "lifecycle": lifecycle, "worker": worker});
    if let Some(a) = access {
        e["access"] = a;
    }
    e
}

/// A new worker not in the demo org.
pub fn newcomer() -> Value {
    json!({"hrId": "E3001", "workEmail": "mary.somerville@example.com", "givenName": "Mary", "familyName": "Somerville",
           "displayName": "Mary Somerville", "title": "Analyst", "department": "Research", "timezone": "Europe/London"})
}

/// Runs an event for real.
pub async fn run(lcm: &Lcm, event: &Value) -> Report {
    lcm.run_json(event, RunOptions::default())
        .await
        .expect("valid input")
}

/// The requests that changed state.
pub fn writes(emu: &Emulator) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.is_write())
        .collect()
}

/// Groups the emulator says `email` is in, sorted.
pub fn groups_of(emu: &Emulator, email: &str) -> Vec<String> {
    let mut g = emu
        .state()
        .user(email)
        .map(|u| u.groups.clone())
        .unwrap_or_default();
    g.sort();
    g
}

/// A step's status and error code by target, for compact assertions.
pub fn step_of<'a>(
    report: &'a Report,
    target: &str,
    operation: &str,
) -> &'a atlassian_lcm::report::Step {
    report
        .steps
        .iter()
        .find(|s| s.target == target && s.operation == operation)
        .unwrap_or_else(|| panic!("no step {operation} on {target} in {:#?}", report.steps))
}
