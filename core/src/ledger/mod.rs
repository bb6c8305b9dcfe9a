//! The ordering ledger: per worker, the latest HR fact applied to Atlassian,
//! and a lease that serializes runs for that worker.
//!
//! HR facts have an order (`occurredAt`); deliveries do not (EventBridge
//! delivers at least once, retries for a day and keeps no order, and two
//! deliveries for one person can run at once). The engine asks the ledger
//! before any write: an event strictly older than the recorded fact is refused
//! as `stale_event`; the record advances only when a run ends `succeeded` or
//! `no_change`. The pattern is AWS Lambda Powertools' idempotency record: a
//! conditional write per key and an in-progress lease with an expiry, so a
//! crashed run never blocks a worker for good.
//!
//! The trait is runtime-free like [`crate::http::HttpClient`]; each host brings
//! one implementation: SQLite for the CLI, DynamoDB for the Lambda, a
//! JavaScript object for wasm, and [`MemoryLedger`] where nothing durable is
//! configured (its [`Ledger::scope_warning`] says so in every report).

#[cfg(any(test, feature = "test-support"))]
pub mod conformance;
mod memory;
mod sequence;

pub use memory::{CasStore, LedgerEntry, MemoryLedger, StoreLedger};
pub use sequence::{judge, lease_owner, Lease, LeaseWait, Verdict};

use crate::platform::{BoxFuture, MaybeSendSync};

/// Whose record this is: the HR id, else the lower-cased work e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkerKey(String);

impl WorkerKey {
    /// The key for a worker: `hr:<hrId>` when there is one, else
    /// `email:<lower-cased e-mail>`. The prefix keeps an HR id that happens to
    /// look like an e-mail from colliding with another worker's e-mail.
    pub fn new(hr_id: Option<&str>, email: Option<&str>) -> Option<WorkerKey> {
        match (hr_id, email) {
            (Some(h), _) if !h.is_empty() => Some(WorkerKey(format!("hr:{h}"))),
            (_, Some(e)) if !e.is_empty() => Some(WorkerKey(format!("email:{}", e.to_lowercase()))),
            _ => None,
        }
    }

    /// A key read back from storage, as [`WorkerKey::as_str`] wrote it.
    pub fn from_stored(raw: impl Into<String>) -> WorkerKey {
        WorkerKey(raw.into())
    }

    /// The stored form (`hr:E1042`, `email:ada@example.com`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WorkerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The latest HR fact applied for a worker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedFact {
    /// When HR says it happened, epoch milliseconds.
    pub occurred_at_ms: i64,
    /// The event that carried it.
    pub event_id: String,
    /// `joiner`, `mover`, `leaver`, `rehire`, `purge`, or `state` for a
    /// worker-state record.
    pub lifecycle: String,
}

/// The ledger could not be read or written. The message names the store and
/// what failed; it never carries credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ordering ledger: {0}")]
pub struct LedgerError(pub String);

/// A store of applied facts and leases, one record per worker.
///
/// Every method is a single conditional operation on the store, so two
/// processes sharing it cannot both win.
pub trait Ledger: MaybeSendSync {
    /// The latest applied fact for `key`, if any.
    fn read<'a>(
        &'a self,
        key: &'a WorkerKey,
    ) -> BoxFuture<'a, Result<Option<AppliedFact>, LedgerError>>;

    /// Takes the lease on `key` for `owner` until `expires_at_ms`, if it is
    /// free, expired (`expires_at_ms` of the holder ≤ `now_ms`) or already
    /// `owner`'s. Returns whether `owner` holds it now.
    fn try_lease<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>>;

    /// Records `fact` unless the record already holds a strictly newer one.
    /// Returns whether it was recorded.
    fn advance<'a>(
        &'a self,
        key: &'a WorkerKey,
        fact: &'a AppliedFact,
    ) -> BoxFuture<'a, Result<bool, LedgerError>>;

    /// Gives the lease back if `owner` still holds it; otherwise does nothing.
    fn release<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>>;

    /// A warning every report carries when this ledger orders events only
    /// within part of the deployment (one process, one wasm instance).
    fn scope_warning(&self) -> Option<&str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::WorkerKey;

    #[test]
    fn worker_key_prefers_hr_id_and_lowercases_email() {
        let k = |h, e| WorkerKey::new(h, e).map(|k| k.as_str().to_string());
        assert_eq!(k(Some("E1"), Some("A@X.com")).as_deref(), Some("hr:E1"));
        assert_eq!(
            k(None, Some("Ada@Example.COM")).as_deref(),
            Some("email:ada@example.com")
        );
        assert_eq!(
            k(Some(""), Some("a@x.com")).as_deref(),
            Some("email:a@x.com")
        );
        assert_eq!(k(None, None), None);
    }
}
