//! Structured JSON logs on stdout (CloudWatch Logs keeps each line as an
//! event and Logs Insights queries its fields).
//!
//! The level filter is `RUST_LOG` (e.g. `info`, `atlassian_lcm_lambda=debug`),
//! else `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced logging controls),
//! else `info`. What is logged is chosen field by field in the handler — ids,
//! action, outcome, duration — never a configuration or a secret.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber; call once, first thing in `main`.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("AWS_LAMBDA_LOG_LEVEL")
                .ok()
                .map(|l| l.to_ascii_lowercase())
        })
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        // CloudWatch Logs captures stdout; the ANSI escapes a terminal wants are noise there.
        .with_ansi(false)
        .init();
}
