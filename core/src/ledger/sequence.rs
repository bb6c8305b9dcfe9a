//! The ordering rules: whether an event is stale, and how a run waits for a
//! worker's lease. Pure decisions plus one bounded wait loop, so the engine
//! only calls them.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{AppliedFact, Ledger, LedgerError, WorkerKey};
use crate::clock::{Clock, Sleep};

/// What the ledger says of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No newer fact is recorded: run it.
    Apply,
    /// A strictly newer fact was applied already: refuse, naming it.
    Stale(AppliedFact),
}

/// Judges an event that occurred at `occurred_at_ms` against the recorded
/// fact. Equal times are not stale: HR systems stamp a whole day's changes
/// with one time, so such events apply in arrival order (and the same event
/// again is a replay, idempotent by the actions' own rules).
pub fn judge(recorded: Option<&AppliedFact>, occurred_at_ms: i64) -> Verdict {
    match recorded {
        Some(f) if f.occurred_at_ms > occurred_at_ms => Verdict::Stale(f.clone()),
        _ => Verdict::Apply,
    }
}

/// How long a run may wait for a busy worker, and how long its own lease
/// lasts before another run may take over (a crashed run's lease lapses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseWait {
    /// The longest a run waits for another run of the same worker.
    pub budget: Duration,
    /// How long a lease is held before it lapses.
    pub lease: Duration,
}

impl Default for LeaseWait {
    /// One person's lifecycle takes well under a second at Atlassian's
    /// latencies, so ten seconds of waiting covers a queue of a few
    /// deliveries; past that the run fails as `worker_busy` and the host
    /// retries it later. The lease outlives the longest run the hosts allow
    /// (the Lambda's 15 minutes are bounded by the engine deadline, which
    /// the engine also applies to the lease).
    fn default() -> Self {
        LeaseWait {
            budget: Duration::from_secs(10),
            lease: Duration::from_secs(300),
        }
    }
}

/// Whether the lease was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the lease now.
    Held,
    /// Another run held it for the whole wait budget.
    Busy,
}

impl Lease {
    /// Waits, with growing pauses, until `owner` holds the lease on `key` or
    /// `wait.budget` (cut to `deadline_ms`, if sooner) is spent.
    pub async fn acquire(
        ledger: &dyn Ledger,
        key: &WorkerKey,
        owner: &str,
        time: (&dyn Clock, &dyn Sleep),
        wait: LeaseWait,
        deadline_ms: Option<u64>,
    ) -> Result<Lease, LedgerError> {
        let (clock, sleep) = time;
        let start = clock.now_ms();
        let budget_end = start.saturating_add(wait.budget.as_millis() as u64);
        let give_up = deadline_ms.map_or(budget_end, |d| d.min(budget_end));
        let mut pause = Duration::from_millis(25);
        loop {
            let now = clock.now_ms();
            let lease_end = now.saturating_add(wait.lease.as_millis() as u64);
            let expires = deadline_ms.map_or(lease_end, |d| lease_end.min(d.saturating_add(5_000)));
            if ledger.try_lease(key, owner, now, expires).await? {
                return Ok(Lease::Held);
            }
            if now.saturating_add(pause.as_millis() as u64) > give_up {
                return Ok(Lease::Busy);
            }
            sleep.sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(400));
        }
    }
}

/// A lease owner id unique to this run: the event id for the humans reading
/// a stuck lease, plus the time, a per-process counter and a per-process
/// random value so two processes (two `lcm` runs, two Lambda sandboxes)
/// never share one.
pub fn lease_owner(event_id: &str, now_ms: u64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ms ^ n.rotate_left(32));
    format!("{event_id}#{now_ms:x}.{n:x}.{:x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(at: i64) -> AppliedFact {
        AppliedFact {
            occurred_at_ms: at,
            event_id: "e-new".into(),
            lifecycle: "leaver".into(),
        }
    }

    #[test]
    fn judge_table() {
        assert_eq!(judge(None, 5), Verdict::Apply);
        assert_eq!(
            judge(Some(&fact(5)), 5),
            Verdict::Apply,
            "equal is not stale"
        );
        assert_eq!(judge(Some(&fact(5)), 6), Verdict::Apply);
        assert_eq!(judge(Some(&fact(5)), 4), Verdict::Stale(fact(5)));
    }

    #[test]
    fn owners_differ() {
        assert_ne!(lease_owner("e", 1), lease_owner("e", 1));
        assert!(lease_owner("evt-9", 1).starts_with("evt-9#"));
    }
}
