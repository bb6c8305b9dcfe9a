//! What a bulk run did, in figures: counts by outcome, API calls, retries,
//! elapsed time and requests per second. Serialized for machines (camelCase,
//! outcomes by their wire names) and displayed as the one summary line people
//! read.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::report::{ErrorCode, Outcome, Report};

/// Events per outcome, in [`Outcome::ALL`] order. Serialized as an object
/// keyed by the outcome's wire name (`{"succeeded": 298, "no_change": 2, ...}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts([u64; Outcome::ALL.len()]);

impl OutcomeCounts {
    /// The events that ended with `outcome`.
    pub fn get(&self, outcome: Outcome) -> u64 {
        self.0[slot(outcome)]
    }

    fn add(&mut self, outcome: Outcome) {
        self.0[slot(outcome)] += 1;
    }
}

fn slot(outcome: Outcome) -> usize {
    Outcome::ALL
        .iter()
        .position(|o| *o == outcome)
        .expect("every outcome is in Outcome::ALL")
}

impl Serialize for OutcomeCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Outcome::ALL.len()))?;
        for outcome in Outcome::ALL {
            map.serialize_entry(outcome.as_str(), &self.get(outcome))?;
        }
        map.end()
    }
}

/// The figures of a bulk run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkSummary {
    /// Events run (held ones included).
    pub events: u64,
    /// Events per outcome.
    pub outcomes: OutcomeCounts,
    /// Of the failed, those not attempted because an earlier event for the
    /// same worker failed (`earlier_event_failed`).
    pub not_attempted: u64,
    /// HTTP requests sent to Atlassian, retries included.
    pub api_calls: u64,
    /// Of which retries.
    pub retries: u64,
    /// Wall time of the whole run, in milliseconds.
    pub elapsed_ms: u64,
    /// `apiCalls` per second of `elapsedMs` (0 when no time passed).
    pub requests_per_second: f64,
}

impl BulkSummary {
    /// Counts one finished event.
    pub fn add(&mut self, report: &Report) {
        self.events += 1;
        self.outcomes.add(report.outcome);
        if report
            .error
            .as_ref()
            .is_some_and(|e| e.code == ErrorCode::EarlierEventFailed)
        {
            self.not_attempted += 1;
        }
        self.api_calls += u64::from(report.api_calls);
        self.retries += u64::from(report.retries);
    }

    /// Closes the run after `elapsed_ms`.
    pub fn finish(&mut self, elapsed_ms: u64) {
        self.elapsed_ms = elapsed_ms;
        self.requests_per_second = if elapsed_ms == 0 {
            0.0
        } else {
            self.api_calls as f64 * 1000.0 / elapsed_ms as f64
        };
    }

    /// True when every event succeeded, made no change or (in a dry run)
    /// was planned: the bulk run's exit status 0.
    pub fn all_succeeded(&self) -> bool {
        Outcome::ALL
            .into_iter()
            .filter(|o| !o.is_success())
            .all(|o| self.outcomes.get(o) == 0)
    }
}

/// The summary line:
/// `summary: 300 events: 298 succeeded, 2 no change; 2,411 API calls, 3 retries, 41.2 s, 58.5 req/s`.
/// Outcomes that no event had are left out; held events are named after the
/// failed count (`3 failed (2 not attempted)`).
impl std::fmt::Display for BulkSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for outcome in Outcome::ALL {
            let n = self.outcomes.get(outcome);
            if n == 0 {
                continue;
            }
            let mut part = format!("{} {}", thousands(n), outcome.as_str().replace('_', " "));
            if outcome == Outcome::Failed && self.not_attempted > 0 {
                part.push_str(&format!(
                    " ({} not attempted)",
                    thousands(self.not_attempted)
                ));
            }
            parts.push(part);
        }
        let counts = if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        };
        write!(
            f,
            "summary: {} {}{counts}; {} API {}, {} {}, {:.1} s, {:.1} req/s",
            thousands(self.events),
            plural(self.events, "event", "events"),
            thousands(self.api_calls),
            plural(self.api_calls, "call", "calls"),
            thousands(self.retries),
            plural(self.retries, "retry", "retries"),
            self.elapsed_ms as f64 / 1000.0,
            self.requests_per_second,
        )
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `2411` as `2,411`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_names_counts_calls_retries_time_and_rate() {
        let mut s = BulkSummary {
            events: 300,
            api_calls: 2411,
            retries: 3,
            ..Default::default()
        };
        for _ in 0..298 {
            s.outcomes.add(Outcome::Succeeded);
        }
        s.outcomes.add(Outcome::NoChange);
        s.outcomes.add(Outcome::NoChange);
        s.finish(41_200);
        assert_eq!(
            s.to_string(),
            "summary: 300 events: 298 succeeded, 2 no change; 2,411 API calls, 3 retries, 41.2 s, 58.5 req/s"
        );
        assert!(s.all_succeeded());
        s.outcomes.add(Outcome::Failed);
        s.not_attempted = 1;
        assert!(!s.all_succeeded());
        assert!(s.to_string().contains("1 failed (1 not attempted);"), "{s}");
    }

    #[test]
    fn singulars_and_an_empty_run() {
        let mut s = BulkSummary::default();
        s.finish(0);
        assert_eq!(
            s.to_string(),
            "summary: 0 events; 0 API calls, 0 retries, 0.0 s, 0.0 req/s"
        );
        s.events = 1;
        s.api_calls = 1;
        s.retries = 1;
        s.outcomes.add(Outcome::Partial);
        assert_eq!(
            s.to_string(),
            "summary: 1 event: 1 partial; 1 API call, 1 retry, 0.0 s, 0.0 req/s"
        );
        assert!(!s.all_succeeded());
    }

    #[test]
    fn thousands_separators() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), want);
        }
    }

    #[test]
    fn serialized_with_every_outcome_by_wire_name() {
        let mut s = BulkSummary::default();
        s.add(&Report {
            actions: vec![],
            derived: None,
            lifecycle: None,
            event_id: None,
            identity: Default::default(),
            outcome: Outcome::NoChange,
            dry_run: false,
            error: None,
            stale_after: None,
            steps: vec![],
            audit: vec![],
            plan: vec![],
            warnings: vec![],
            verification: vec![],
            api_calls: 4,
            retries: 1,
            started_at: String::new(),
            duration_ms: 0,
        });
        s.finish(500);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["events"], 1);
        assert_eq!(v["outcomes"]["no_change"], 1);
        assert_eq!(v["outcomes"]["succeeded"], 0);
        assert_eq!(v["outcomes"].as_object().unwrap().len(), Outcome::ALL.len());
        assert_eq!(v["elapsedMs"], 500);
        assert_eq!(
            (v["apiCalls"].as_u64(), v["retries"].as_u64()),
            (Some(4), Some(1))
        );
        assert_eq!(v["requestsPerSecond"], 8.0);
        assert!(v.get("requestsPerSecond").is_some() && v.get("notAttempted").is_some());
    }
}
