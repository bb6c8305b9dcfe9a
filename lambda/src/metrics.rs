//! CloudWatch metrics in the Embedded Metric Format: one JSON line on stdout
//! per invocation, which CloudWatch Logs turns into metrics without an API
//! call (no latency, no extra permission).
//!
//! Namespace `AtlassianLcm`, dimensions `Action` × `Outcome`, metrics
//! `Invocations`, `ApiCalls`, `Retries`, `DurationMs`. `Action` is the
//! report's actions joined with `+` (a joiner is
//! `SYNC_IDENTITIES+MANAGE_RELATIONSHIPS`), or `NONE` when the engine did not
//! run; `Outcome` is the report's outcome, or `rejected` (bad input, unknown
//! route) / `error` (credentials or configuration) when it did not.

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
                        {"Name": "DurationMs", "Unit": "Milliseconds"}
                    ]
                }]
            },
            "Action": self.action,
            "Outcome": self.outcome,
            "Invocations": 1,
            "ApiCalls": self.api_calls,
            "Retries": self.retries,
            "DurationMs": self.duration_ms
        })
    }

    /// Prints the EMF line. Straight to stdout, not through `tracing`: EMF
    /// needs `_aws` as a top-level object, which the log formatter would nest.
    pub fn emit(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        println!("{}", self.to_emf(now));
    }
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
            duration_ms: 120,
        };
        let v = m.to_emf(1_764_493_200_000);
        let decl = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(decl["Namespace"], NAMESPACE);
        assert_eq!(decl["Dimensions"], json!([["Action", "Outcome"]]));
        for metric in decl["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(v[name].is_number(), "{name} has no value");
        }
        for dim in ["Action", "Outcome"] {
            assert!(v[dim].is_string());
        }
        assert_eq!(
            (v["ApiCalls"].as_u64(), v["_aws"]["Timestamp"].as_u64()),
            (Some(7), Some(1_764_493_200_000))
        );
    }
}
