//! The rules every [`Ledger`] implementation must keep, as one check each
//! host's tests run against its own store (feature `test-support`): leases
//! are exclusive until they lapse or are released, only the holder releases,
//! and the record never goes back in time (equal times apply in arrival order).

use super::{AppliedFact, Ledger, WorkerKey};

fn fact(at: i64, id: &str) -> AppliedFact {
    AppliedFact {
        occurred_at_ms: at,
        event_id: id.into(),
        lifecycle: "mover".into(),
    }
}

/// Panics naming the first rule `a` and `b` break. Both must be handles on
/// one empty store (two connections, two clients, or one ledger twice), so
/// that what one writes the other sees.
pub async fn check_rules(a: &dyn Ledger, b: &dyn Ledger) {
    let k = WorkerKey::from_stored("hr:E1");
    assert!(
        a.try_lease(&k, "a", 100, 200).await.unwrap(),
        "a free lease is taken"
    );
    assert!(
        a.try_lease(&k, "a", 150, 250).await.unwrap(),
        "the holder renews"
    );
    assert!(!b.try_lease(&k, "b", 150, 300).await.unwrap(), "held by a");
    assert!(
        b.try_lease(&k, "b", 250, 400).await.unwrap(),
        "a's lease lapsed at 250"
    );
    a.release(&k, "a").await.unwrap();
    assert!(
        !a.try_lease(&k, "c", 300, 500).await.unwrap(),
        "a may not release b's lease"
    );
    b.release(&k, "b").await.unwrap();
    assert!(
        a.try_lease(&k, "c", 300, u64::MAX).await.unwrap(),
        "released"
    );

    assert_eq!(b.read(&k).await.unwrap(), None);
    assert!(a.advance(&k, &fact(10, "e1")).await.unwrap());
    assert!(
        b.advance(&k, &fact(10, "e2")).await.unwrap(),
        "equal times apply in arrival order"
    );
    assert!(
        !a.advance(&k, &fact(9, "e0")).await.unwrap(),
        "never back in time"
    );
    assert_eq!(b.read(&k).await.unwrap(), Some(fact(10, "e2")));
    assert!(
        !b.try_lease(&k, "d", 301, 600).await.unwrap(),
        "advancing keeps the lease"
    );
    assert!(a.advance(&k, &fact(11, "e3")).await.unwrap());
    assert_eq!(a.read(&k).await.unwrap(), Some(fact(11, "e3")));
    let other = WorkerKey::from_stored("email:ada@example.com");
    assert_eq!(
        a.read(&other).await.unwrap(),
        None,
        "records are per worker"
    );
    assert!(
        b.try_lease(&other, "d", 301, 600).await.unwrap(),
        "leases are per worker"
    );
}
