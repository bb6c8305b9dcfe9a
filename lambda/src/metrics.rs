//! CloudWatch metrics in the Embedded Metric Format: one JSON line on stdout
//! per invocation, which CloudWatch Logs turns into metrics without an API
//! call (no latency, no extra permission).
//!
//! Namespace `AtlassianLcm`, dimensions `Action` × `Outcome`, metrics
//! `Invocations`, `ApiCalls`, `Retries`, `DurationMs` and `NotFound` (1 when
//! a leaver or purge found the worker in neither system: HR and Atlassian
//! disagree about who exists, worth an alarm even though the run is
//! `no_change`) and `OffboardingUnproven` (1 when a removal's product
//! verification left a product active or unknown; see
//! `atlassian_lcm::products`). `Action` is the
//! report's actions joined with `+` (a joiner is
//! `SYNC_IDENTITIES+MANAGE_RELATIONSHIPS`), or `NONE` when the engine did not
//! run; `Outcome` is the report's outcome, or `rejected` (bad input, unknown
//! route) / `error` (credentials or configuration) when it did not.

use atlassian_lcm::{ErrorCode, Outcome, Report};
use serde_json::{json, Value};

/// The CloudWatch namespace.
pub const NAMESPACE: &str = "AtlassianLcm";

/// One invocation's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationMetrics {
    /// The `Action` dimension.
    pub action: String,
    /// The `Outcome` dimension.
    pub outcome: String,
    /// HTTP requests sent to Atlassian (both runs when a 401 caused a rerun).
    pub api_calls: u64,
    /// Of which retries.
    pub retries: u64,
    /// See [`is_not_found`].
    pub not_found: bool,
    /// See `atlassian_lcm::products::offboarding_unproven`.
    pub offboarding_unproven: bool,
    /// The whole invocation, in milliseconds.
    pub duration_ms: u64,
}

impl InvocationMetrics {
    /// The EMF document; `timestamp_ms` is epoch milliseconds.
    pub fn to_emf(&self, timestamp_ms: u64) -> Value {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Action", "Outcome"]],
                    "Metrics": [
                        {"Name": "Invocations", "Unit": "Count"},
                        {"Name": "ApiCalls", "Unit": "Count"},
                        {"Name": "Retries", "Unit": "Count"},
                        {"Name": "DurationMs", "Unit": "Milliseconds"},
                        {"Name": "NotFound", "Unit": "Count"}
                    ]
                }, {
                    // By action alone, so one alarm covers every outcome of a leaver and a purge.
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Action"]],
                    "Metrics": [{"Name": "OffboardingUnproven", "Unit": "Count"}]
                }]
            },
            "Action": self.action,
            "Outcome": self.outcome,
            "Invocations": 1,
            "ApiCalls": self.api_calls,
            "Retries": self.retries,
            "DurationMs": self.duration_ms,
            "NotFound": u8::from(self.not_found),
            "OffboardingUnproven": u8::from(self.offboarding_unproven)
        })
    }

    /// Prints the EMF line. Straight to stdout, not through `tracing`: EMF
    /// needs `_aws` as a top-level object, which the log formatter would nest.
    pub fn emit(&self) {
        println!("{}", self.to_emf(now_ms()));
    }
}

/// True when the run removed access from someone found in neither system:
/// a `no_change` report whose steps or warnings carry the engine's
/// `not_found` marker.
pub fn is_not_found(report: &Report) -> bool {
    let marker = ErrorCode::NotFound.as_str();
    report.outcome == Outcome::NoChange
        && (report.steps.iter().any(|s| {
            s.error
                .as_ref()
                .is_some_and(|e| e.code == ErrorCode::NotFound)
        }) || report.warnings.iter().any(|w| w.contains(marker)))
}

/// A distributed reconcile's figures, emitted by its summary step: namespace
/// [`NAMESPACE`], dimension `Action` = `RECONCILE`, metrics
/// `ReconcileChanged` (items applied), `ReconcileFailed` (items that did not
/// succeed: worth an alarm), `ReconcileOrphans` and `ApiCalls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconcileMetrics {
    /// Items whose event succeeded.
    pub changed: u64,
    /// Items that did not succeed.
    pub failed: u64,
    /// SCIM users no roster worker matched.
    pub orphans: u64,
    /// Requests the batches sent to Atlassian.
    pub api_calls: u64,
}

impl ReconcileMetrics {
    /// The EMF document; `timestamp_ms` is epoch milliseconds.
    pub fn to_emf(&self, timestamp_ms: u64) -> Value {
        json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Action"]],
                    "Metrics": [
                        {"Name": "ReconcileChanged", "Unit": "Count"},
                        {"Name": "ReconcileFailed", "Unit": "Count"},
                        {"Name": "ReconcileOrphans", "Unit": "Count"},
                        {"Name": "ApiCalls", "Unit": "Count"}
                    ]
                }]
            },
            "Action": "RECONCILE",
            "ReconcileChanged": self.changed,
            "ReconcileFailed": self.failed,
            "ReconcileOrphans": self.orphans,
            "ApiCalls": self.api_calls,
        })
    }

    /// Prints the EMF line (see [`InvocationMetrics::emit`]).
    pub fn emit(&self) {
        println!("{}", self.to_emf(now_ms()));
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_declares_every_metric_it_carries() {
        let m = InvocationMetrics {
            action: "SYNC_IDENTITIES+MANAGE_RELATIONSHIPS".into(),
            outcome: "succeeded".into(),
            api_calls: 7,
            retries: 1,
            not_found: true,
            offboarding_unproven: true,
            duration_ms: 120,
        };
        let v = m.to_emf(1_764_493_200_000);
        let decls = v["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(decls[0]["Dimensions"], json!([["Action", "Outcome"]]));
        assert_eq!(decls[1]["Dimensions"], json!([["Action"]]));
        for decl in decls {
            assert_eq!(decl["Namespace"], NAMESPACE);
            for metric in decl["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap();
                assert!(v[name].is_number(), "{name} has no value");
            }
        }
        for dim in ["Action", "Outcome"] {
            assert!(v[dim].is_string());
        }
        assert_eq!(
            (v["ApiCalls"].as_u64(), v["_aws"]["Timestamp"].as_u64()),
            (Some(7), Some(1_764_493_200_000))
        );
        assert_eq!(v["NotFound"], 1);
        assert_eq!(v["OffboardingUnproven"], 1);
    }

    #[test]
    fn a_removal_not_proven_by_the_products_is_counted() {
        let warned = report(
            "succeeded",
            &["offboarding not proven: Jira on https://acme.atlassian.net says active"],
            None,
        );
        assert!(atlassian_lcm::products::offboarding_unproven(&warned));
        assert!(!atlassian_lcm::products::offboarding_unproven(&report(
            "succeeded",
            &[],
            None
        )));
    }

    fn report(outcome: &str, warnings: &[&str], step_error: Option<&str>) -> Report {
        let steps: Vec<Value> = step_error
            .iter()
            .map(|code| json!({"target": "user x", "operation": "find_user", "status": "no_change", "detail": "",
                               "attempts": 1, "error": {"code": code, "message": "nowhere"}}))
            .collect();
        serde_json::from_value(json!({
            "actions": ["DEPROVISION_IDENTITY"], "identity": {}, "outcome": outcome, "dryRun": false,
            "steps": steps, "audit": [], "warnings": warnings, "apiCalls": 2, "retries": 0,
            "startedAt": "2026-11-30T09:00:00Z", "durationMs": 5
        }))
        .unwrap()
    }

    #[test]
    fn a_leaver_found_nowhere_is_counted() {
        assert!(is_not_found(&report(
            "no_change",
            &["not_found: the worker is in neither system"],
            None
        )));
        assert!(is_not_found(&report("no_change", &[], Some("not_found"))));
        assert!(!is_not_found(&report("no_change", &[], None)));
        assert!(!is_not_found(&report(
            "no_change",
            &[],
            Some("user_not_found")
        )));
        // A 404 that failed a run is a failure, not a worker found nowhere.
        assert!(!is_not_found(&report("failed", &[], Some("not_found"))));
    }
}
