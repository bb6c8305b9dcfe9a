//! Settings only the Lambda host has (the engine's own come from
//! [`atlassian_lcm::RawConfig::from_env`]): where the credentials live, how
//! long a warm function keeps them, where permanent failures go, which
//! EventBridge senders are trusted, and how much of the remaining Lambda time
//! is kept back as a safety margin.

use std::time::Duration;

use atlassian_lcm::config::{count, FieldError, Problem, RawValue, Source};
use atlassian_lcm::ConfigError;

/// `LCM_SECRET_ARN`: the Secrets Manager secret holding the Atlassian credentials.
pub const SECRET_ARN: &str = "LCM_SECRET_ARN";
/// `LCM_SECRET_TTL_SECONDS`: how long a warm function keeps the secret (default 300).
pub const SECRET_TTL_SECONDS: &str = "LCM_SECRET_TTL_SECONDS";
/// `LCM_FAILURE_QUEUE_URL`: the SQS queue that receives permanent failures of asynchronous events.
pub const FAILURE_QUEUE_URL: &str = "LCM_FAILURE_QUEUE_URL";
/// `LCM_EVENT_SOURCES`: the EventBridge `source` values whose events the
/// function executes (comma-separated, matched exactly). Unset, it executes none.
pub const EVENT_SOURCES: &str = "LCM_EVENT_SOURCES";

/// `LCM_RECONCILE_BUCKET`: the S3 bucket of the distributed reconcile
/// (rosters in, plans and reports out). Unset, the reconcile steps refuse.
pub const RECONCILE_BUCKET: &str = "LCM_RECONCILE_BUCKET";
/// `LCM_ROSTER_PREFIX`: the only keys a reconcile reads a roster from (default `rosters/`).
pub const ROSTER_PREFIX: &str = "LCM_ROSTER_PREFIX";
/// `LCM_REPORT_PREFIX`: the only keys a reconcile writes under (default `reports/`).
pub const REPORT_PREFIX: &str = "LCM_REPORT_PREFIX";

/// Default for [`SECRET_TTL_SECONDS`].
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);
/// Kept back from the Lambda deadline so the function can still log, emit
/// metrics, write to the failure queue and answer after the engine stops.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(1_500);
/// The engine's budget for an API Gateway call, counted from the invocation's
/// start: under API Gateway's 29 s integration timeout, so that when the
/// caller gets its 504 and retries, the first run has already stopped writing.
pub const API_GATEWAY_BUDGET: Duration = Duration::from_millis(28_000);

/// The host's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSettings {
    /// ARN (or name) of the credentials secret; `None` means every setting,
    /// credentials included, comes from the environment (local runs).
    pub secret_arn: Option<String>,
    /// How long fetched credentials are trusted before the secret is read again.
    pub secret_ttl: Duration,
    /// The failure queue; `None` makes permanent failures errors (see `failure`).
    pub failure_queue_url: Option<String>,
    /// The trusted EventBridge sources; `None` when [`EVENT_SOURCES`] is not
    /// set, which trusts none (see [`HostSettings::trusts_source`]).
    pub event_sources: Option<Vec<String>>,
    /// See [`DEADLINE_MARGIN`].
    pub deadline_margin: Duration,
    /// Where the distributed reconcile reads and writes; `None` when
    /// [`RECONCILE_BUCKET`] is not set.
    pub reconcile_bucket: Option<BucketSettings>,
}

/// The reconcile bucket and the two prefixes the function may use in it
/// (its role allows `GetObject` under one and `PutObject` under the other:
/// the checks here make a wrong key a clear error, not an AccessDenied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSettings {
    /// The bucket's name.
    pub bucket: String,
    /// [`ROSTER_PREFIX`], ending in `/`.
    pub roster_prefix: String,
    /// [`REPORT_PREFIX`], ending in `/`.
    pub report_prefix: String,
}

/// Why an EventBridge event is not executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted(pub String);

/// Reads [`RECONCILE_BUCKET`] and its prefixes, naming each bad one.
fn bucket_settings(
    non_empty: &impl Fn(&str) -> Option<String>,
    errors: &mut Vec<FieldError>,
) -> Option<BucketSettings> {
    let mut bad = |name: &str, why: String| {
        errors.push(FieldError::named(
            name,
            Some(Source::Env),
            Problem::new(why),
        ))
    };
    let prefix = |name: &str, default: &str, bad: &mut dyn FnMut(&str, String)| {
        let p = non_empty(name).unwrap_or_else(|| default.to_string());
        let ok = p.ends_with('/') && !p.starts_with('/') && !p.split('/').any(|s| s == "..");
        if !ok {
            bad(
                name,
                format!("must be a key prefix ending in `/` (like `{default}`), not `{p}`"),
            );
        }
        p
    };
    let roster_prefix = prefix(ROSTER_PREFIX, "rosters/", &mut bad);
    let report_prefix = prefix(REPORT_PREFIX, "reports/", &mut bad);
    if roster_prefix.starts_with(&report_prefix) || report_prefix.starts_with(&roster_prefix) {
        bad(
            REPORT_PREFIX,
            format!("must not overlap {ROSTER_PREFIX} (`{roster_prefix}`): reports would land among rosters"),
        );
    }
    let bucket = non_empty(RECONCILE_BUCKET)?;
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !valid {
        bad(
            RECONCILE_BUCKET,
            format!("must be an S3 bucket name (3 to 63 of a-z, 0-9, `-` and `.`), not `{bucket}`"),
        );
    }
    Some(BucketSettings {
        bucket,
        roster_prefix,
        report_prefix,
    })
}

impl HostSettings {
    /// Reads the settings through `lookup` (e.g. `std::env::var`); names every bad one.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<HostSettings, ConfigError> {
        let non_empty = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut errors = Vec::new();
        let secret_ttl = match non_empty(SECRET_TTL_SECONDS) {
            None => DEFAULT_SECRET_TTL,
            Some(v) => match count(&RawValue::Text(v), 0, 86_400) {
                Ok(secs) => Duration::from_secs(secs),
                Err(problem) => {
                    errors.push(FieldError::named(
                        SECRET_TTL_SECONDS,
                        Some(Source::Env),
                        problem.text(" (seconds)"),
                    ));
                    DEFAULT_SECRET_TTL
                }
            },
        };
        let failure_queue_url = non_empty(FAILURE_QUEUE_URL);
        if let Some(url) = &failure_queue_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                errors.push(FieldError::named(
                    FAILURE_QUEUE_URL,
                    Some(Source::Env),
                    Problem::new(format!(
                        "must be an SQS queue URL like https://sqs.eu-west-1.amazonaws.com/123456789012/lcm-failures, not `{url}`"
                    )),
                ));
            }
        }
        let event_sources = non_empty(EVENT_SOURCES).map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        });
        if event_sources.as_ref().is_some_and(Vec::is_empty) {
            errors.push(FieldError::named(
                EVENT_SOURCES,
                Some(Source::Env),
                Problem::new(
                    "names no source; list the EventBridge sources of your HR systems, like hr.workday,hr.bamboohr",
                ),
            ));
        }
        let reconcile_bucket = bucket_settings(&non_empty, &mut errors);
        if !errors.is_empty() {
            return Err(ConfigError { errors });
        }
        Ok(HostSettings {
            reconcile_bucket,
            secret_arn: non_empty(SECRET_ARN),
            secret_ttl,
            failure_queue_url,
            event_sources,
            deadline_margin: DEADLINE_MARGIN,
        })
    }

    /// Whether an EventBridge event from `source` may run. Anyone allowed to
    /// put events on the bus could otherwise grant access, so an unset list
    /// trusts no one: a deployment that forgot the setting refuses every
    /// event loudly instead of executing forged ones.
    pub fn trusts_source(&self, source: &str) -> Result<(), Untrusted> {
        match &self.event_sources {
            None => Err(Untrusted(format!(
                "{EVENT_SOURCES} is not set, so no EventBridge source is trusted and the event from `{source}` was not executed; set it to the sources of your HR systems (the SAM template sets it from its EventSources parameter)"
            ))),
            Some(list) if list.iter().any(|s| s == source) => Ok(()),
            Some(list) => Err(Untrusted(format!(
                "the EventBridge source `{source}` is not one of {EVENT_SOURCES} ({}): the event was not executed",
                list.join(", ")
            ))),
        }
    }

    /// The engine's deadline (epoch ms) for an invocation whose Lambda
    /// deadline is `lambda_deadline_ms`, at `now_ms`.
    ///
    /// Lambda sends an epoch time. Local emulators may not: `cargo lambda
    /// watch` 1.9 sends the function timeout itself (`600000`). A value too
    /// small to be an epoch time after 2001 is therefore read as the time
    /// left, so local runs get the budget they were given rather than none.
    pub fn engine_deadline(&self, lambda_deadline_ms: u64, now_ms: u64) -> u64 {
        const EPOCH_2001_MS: u64 = 1_000_000_000_000;
        let deadline = if lambda_deadline_ms < EPOCH_2001_MS {
            now_ms.saturating_add(lambda_deadline_ms)
        } else {
            lambda_deadline_ms
        };
        deadline.saturating_sub(self.deadline_margin.as_millis() as u64)
    }

    /// The engine's deadline for an API Gateway call that started at
    /// `started_ms`: [`HostSettings::engine_deadline`], but never past
    /// [`API_GATEWAY_BUDGET`] after the start, since API Gateway gives up at
    /// 29 s whatever the function's timeout.
    pub fn api_gateway_deadline(
        &self,
        lambda_deadline_ms: u64,
        started_ms: u64,
        now_ms: u64,
    ) -> u64 {
        let budget = started_ms.saturating_add(API_GATEWAY_BUDGET.as_millis() as u64);
        self.engine_deadline(lambda_deadline_ms, now_ms).min(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use atlassian_lcm::config::Spelling;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<HostSettings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        HostSettings::from_env(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_without_variables() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.secret_arn, None);
        assert_eq!(s.secret_ttl, DEFAULT_SECRET_TTL);
        assert_eq!(s.failure_queue_url, None);
        assert_eq!(s.event_sources, None);
        assert_eq!(s.reconcile_bucket, None);
    }

    #[test]
    fn the_reconcile_bucket_has_two_prefixes_that_do_not_overlap() {
        let s = settings(&[(RECONCILE_BUCKET, "acme-lcm-reconcile")]).unwrap();
        let b = s.reconcile_bucket.unwrap();
        assert_eq!(
            (
                b.bucket.as_str(),
                b.roster_prefix.as_str(),
                b.report_prefix.as_str()
            ),
            ("acme-lcm-reconcile", "rosters/", "reports/")
        );
        let e = settings(&[
            (RECONCILE_BUCKET, "Not_A_Bucket"),
            (ROSTER_PREFIX, "rosters"),
            (REPORT_PREFIX, "rosters/out/"),
        ])
        .unwrap_err();
        let named: Vec<&str> = e.errors.iter().map(|f| f.field(Spelling::Env)).collect();
        assert_eq!(
            named,
            [ROSTER_PREFIX, REPORT_PREFIX, RECONCILE_BUCKET],
            "{e}"
        );
        let e = settings(&[(RECONCILE_BUCKET, "b-1"), (REPORT_PREFIX, "../x/")]).unwrap_err();
        assert!(e.to_string().contains("ending in `/`"), "{e}");
    }

    #[test]
    fn event_sources_are_matched_exactly() {
        let s = settings(&[(EVENT_SOURCES, " hr.workday, hr.bamboohr ,")]).unwrap();
        assert_eq!(s.trusts_source("hr.workday"), Ok(()));
        assert_eq!(s.trusts_source("hr.bamboohr"), Ok(()));
        for forged in ["hr.workday.evil", "hr", "HR.WORKDAY", ""] {
            let Untrusted(why) = s.trusts_source(forged).unwrap_err();
            assert!(
                why.contains(EVENT_SOURCES) && why.contains("hr.bamboohr"),
                "{why}"
            );
        }
    }

    #[test]
    fn without_event_sources_no_source_is_trusted() {
        let s = settings(&[]).unwrap();
        let Untrusted(why) = s.trusts_source("hr.workday").unwrap_err();
        assert!(why.contains("LCM_EVENT_SOURCES is not set"), "{why}");
        let e = settings(&[(EVENT_SOURCES, " , ")]).unwrap_err();
        assert_eq!(e.errors[0].field(Spelling::Env), EVENT_SOURCES);
    }

    #[test]
    fn reads_every_variable() {
        let s = settings(&[
            (SECRET_ARN, "arn:aws:secretsmanager:eu-west-1:1:secret:lcm"),
            (SECRET_TTL_SECONDS, "60"),
            (
                FAILURE_QUEUE_URL,
                "https://sqs.eu-west-1.amazonaws.com/1/lcm-failures",
            ),
        ])
        .unwrap();
        assert_eq!(s.secret_ttl, Duration::from_secs(60));
        assert!(s.secret_arn.unwrap().ends_with(":lcm"));
        assert!(s.failure_queue_url.is_some());
    }

    #[test]
    fn bad_values_are_all_named() {
        let e = settings(&[
            (SECRET_TTL_SECONDS, "soon"),
            (FAILURE_QUEUE_URL, "lcm-failures"),
        ])
        .unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|f| f.field(Spelling::Env)).collect();
        assert_eq!(fields, [SECRET_TTL_SECONDS, FAILURE_QUEUE_URL]);
    }

    #[test]
    fn deadline_keeps_the_margin_back() {
        let s = settings(&[]).unwrap();
        let now = 1_796_029_200_000;
        assert_eq!(s.engine_deadline(now + 10_000, now), now + 8_500);
        assert_eq!(s.engine_deadline(now + 1_000, now), now - 500);
        // A local emulator's relative timeout counts from now.
        assert_eq!(s.engine_deadline(600_000, now), now + 598_500);
    }

    #[test]
    fn api_gateway_calls_stop_before_its_29_s_timeout() {
        let s = settings(&[]).unwrap();
        let start = 1_796_029_200_000;
        // A 60 s function: the engine stops 28 s after the start, not at 58.5 s.
        assert_eq!(
            s.api_gateway_deadline(start + 60_000, start, start),
            start + 28_000
        );
        // Counted from the invocation's start, not from when the engine begins.
        assert_eq!(
            s.api_gateway_deadline(start + 60_000, start, start + 2_000),
            start + 28_000
        );
        // A function with less time left than that keeps its own margin.
        assert_eq!(
            s.api_gateway_deadline(start + 20_000, start, start),
            start + 18_500
        );
        // cargo lambda watch's relative timeout.
        assert_eq!(
            s.api_gateway_deadline(600_000, start, start),
            start + 28_000
        );
    }
}
