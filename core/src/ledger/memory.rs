//! A ledger over any compare-and-set store, and the in-memory one.
//!
//! JavaScript hosts back the ledger with their own store through three async
//! functions (`get`, `compareAndSet`, `release`); [`StoreLedger`] builds the
//! four ledger operations from exactly those, so the wasm host and
//! [`MemoryLedger`] share one implementation of the rules.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{AppliedFact, Ledger, LedgerError, WorkerKey};
use crate::platform::{BoxFuture, MaybeSendSync};

/// How many times a contended compare-and-set is tried again before the
/// ledger reports an error. Contention on one worker key is two or three
/// deliveries at most, so a small number suffices.
const CAS_ATTEMPTS: usize = 16;

/// One worker's stored record: the latest applied fact and the lease.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// The latest applied HR fact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<AppliedFact>,
    /// Who holds the lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    /// When the lease lapses, epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expires_at_ms: Option<u64>,
}

/// A key-value store with an atomic compare-and-set.
pub trait CasStore: MaybeSendSync {
    /// The entry stored under `key`.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<LedgerEntry>, LedgerError>>;
    /// Stores `next` under `key` only if the stored entry equals `expected`
    /// (`None`: nothing stored). Returns whether it stored.
    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a LedgerEntry>,
        next: &'a LedgerEntry,
    ) -> BoxFuture<'a, Result<bool, LedgerError>>;
    /// Clears the lease under `key` if `owner` holds it.
    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>>;
}

/// The ledger rules over a [`CasStore`].
#[derive(Debug, Default)]
pub struct StoreLedger<S> {
    store: S,
    warning: Option<String>,
}

impl<S: CasStore> StoreLedger<S> {
    /// A ledger over `store`; `warning`, when set, is carried by every report.
    pub fn new(store: S, warning: Option<String>) -> Self {
        StoreLedger { store, warning }
    }

    /// Reads, changes with `edit` (which returns `None` to leave the entry
    /// as it is) and writes back, retrying while another writer wins.
    async fn update(
        &self,
        key: &WorkerKey,
        edit: impl Fn(&LedgerEntry) -> Option<LedgerEntry>,
    ) -> Result<bool, LedgerError> {
        for _ in 0..CAS_ATTEMPTS {
            let current = self.store.get(key.as_str()).await?;
            let base = current.clone().unwrap_or_default();
            let Some(next) = edit(&base) else {
                return Ok(false);
            };
            if self
                .store
                .compare_and_set(key.as_str(), current.as_ref(), &next)
                .await?
            {
                return Ok(true);
            }
        }
        Err(LedgerError(format!(
            "the record for {key} kept changing under {CAS_ATTEMPTS} attempts to update it"
        )))
    }
}

impl<S: CasStore> Ledger for StoreLedger<S> {
    fn read<'a>(
        &'a self,
        key: &'a WorkerKey,
    ) -> BoxFuture<'a, Result<Option<AppliedFact>, LedgerError>> {
        Box::pin(async move { Ok(self.store.get(key.as_str()).await?.and_then(|e| e.fact)) })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(self.update(key, move |e| {
            let held_by_other = e.lease_owner.as_deref().is_some_and(|o| o != owner)
                && e.lease_expires_at_ms.is_some_and(|t| t > now_ms);
            (!held_by_other).then(|| LedgerEntry {
                fact: e.fact.clone(),
                lease_owner: Some(owner.to_string()),
                lease_expires_at_ms: Some(expires_at_ms),
            })
        }))
    }

    fn advance<'a>(
        &'a self,
        key: &'a WorkerKey,
        fact: &'a AppliedFact,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(self.update(key, move |e| {
            let newer_recorded = e
                .fact
                .as_ref()
                .is_some_and(|f| f.occurred_at_ms > fact.occurred_at_ms);
            (!newer_recorded).then(|| LedgerEntry {
                fact: Some(fact.clone()),
                ..e.clone()
            })
        }))
    }

    fn release<'a>(
        &'a self,
        key: &'a WorkerKey,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        self.store.release(key.as_str(), owner)
    }

    fn scope_warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }
}

/// A process-local store: a map behind a lock.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<HashMap<String, LedgerEntry>>);

impl MemoryStore {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, LedgerEntry>> {
        // A panic while holding this lock cannot leave an entry half-written
        // (every change is one insert), so a poisoned lock is still sound.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl CasStore for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<LedgerEntry>, LedgerError>> {
        let entry = self.entries().get(key).cloned();
        Box::pin(async move { Ok(entry) })
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a LedgerEntry>,
        next: &'a LedgerEntry,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        let mut entries = self.entries();
        let stored = entries.get(key) == expected;
        if stored {
            entries.insert(key.to_string(), next.clone());
        }
        Box::pin(async move { Ok(stored) })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        if let Some(e) = self.entries().get_mut(key) {
            if e.lease_owner.as_deref() == Some(owner) {
                e.lease_owner = None;
                e.lease_expires_at_ms = None;
            }
        }
        Box::pin(async { Ok(()) })
    }
}

/// The ledger of a host with no durable store configured: ordering holds
/// only within this process (or wasm instance), which its warning says.
pub type MemoryLedger = StoreLedger<MemoryStore>;

impl MemoryLedger {
    /// An in-memory ledger whose reports carry `warning`.
    pub fn with_warning(warning: impl Into<String>) -> Self {
        StoreLedger::new(MemoryStore::default(), Some(warning.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_ledger_keeps_the_rules() {
        let l = MemoryLedger::default();
        crate::ledger::conformance::check_rules(&l, &l).await;
    }

    #[test]
    fn warning_is_carried() {
        assert_eq!(MemoryLedger::default().scope_warning(), None);
        assert_eq!(MemoryLedger::with_warning("w").scope_warning(), Some("w"));
    }
}
