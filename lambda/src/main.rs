//! `atlassian-lcm-lambda`: the Lambda function's entry point (`bootstrap`
//! after `cargo lambda build`). Builds the shared state once per cold start,
//! logs `ready` with the init time, then serves invocations with
//! [`atlassian_lcm_lambda::handle`].

use std::time::Instant;

use atlassian_lcm_lambda::{handle, logging, App};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    logging::init();
    let app = match App::from_env().await {
        Ok(app) => app,
        Err(e) => {
            // An init failure is what Lambda reports for every event until fixed.
            tracing::error!(code = e.code(), field = e.field(), error = %e, "cannot start");
            return Err(e.into());
        }
    };
    tracing::info!(
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        // Lets local harnesses find the process (to measure it, or stop it).
        pid = std::process::id(),
        secret = app.credentials.can_rotate(),
        failure_queue = app.failure_queue.is_some(),
        ledger = %app.ledger_name,
        "ready"
    );
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(app, event)
    }))
    .await
}
