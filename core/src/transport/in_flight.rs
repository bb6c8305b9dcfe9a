//! A bound on requests in flight within one engine call (`LCM_CONCURRENCY`).
//! Steps run concurrently (group resolution beside the sync, membership
//! writes side by side); each stream bounds itself, but only a bound where
//! every request passes makes the total hold. A small semaphore, since the
//! core has no runtime to borrow one from.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

#[derive(Debug)]
struct Slots {
    free: usize,
    waiting: Vec<Waker>,
}

/// At most `limit` holders of a [`Slot`] at once.
#[derive(Debug)]
pub(crate) struct InFlight(Mutex<Slots>);

/// One request's place; freed on drop.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a InFlight);

impl InFlight {
    /// A bound of `limit` (at least one).
    pub fn new(limit: usize) -> Self {
        InFlight(Mutex::new(Slots {
            free: limit.max(1),
            waiting: Vec::new(),
        }))
    }

    /// Waits for a free place.
    pub fn enter(&self) -> impl Future<Output = Slot<'_>> + '_ {
        Enter(self)
    }
}

struct Enter<'a>(&'a InFlight);

impl<'a> Future for Enter<'a> {
    type Output = Slot<'a>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Slot<'a>> {
        let mut slots = self.0 .0.lock().expect("in-flight lock");
        if slots.free > 0 {
            slots.free -= 1;
            Poll::Ready(Slot(self.0))
        } else {
            slots.waiting.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        // Every waiter is woken; those that find no place wait again. The
        // bound is small, so the herd is too.
        let waiting = {
            let mut slots = self.0 .0.lock().expect("in-flight lock");
            slots.free += 1;
            std::mem::take(&mut slots.waiting)
        };
        waiting.into_iter().for_each(Waker::wake);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::stream::{self, StreamExt};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn never_more_than_the_limit() {
        let gate = InFlight::new(2);
        let now = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        stream::iter(0..10)
            .map(|_| async {
                let _slot = gate.enter().await;
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                // Let the others run while this one holds a place.
                tokio::task::yield_now().await;
                now.fetch_sub(1, Ordering::SeqCst);
            })
            .buffer_unordered(10)
            .collect::<Vec<()>>()
            .await;
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
