//! Test support (feature `test-support`): a clock that moves only when told
//! or slept on, a sleeper that records each wait and moves that clock instead
//! of waiting, and a way to make an [`HttpClient`] from a closure. With them,
//! resilience tests assert the waits the engine asked for rather than time
//! the wall clock.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::{Clock, Sleep};
use crate::http::{HttpClient, HttpRequest, HttpResponse, TransportError};
use crate::platform::{BoxFuture, MaybeSend, MaybeSendSync};

/// A clock standing at a given time until advanced.
#[derive(Debug, Default)]
pub struct FakeClock(AtomicU64);

impl FakeClock {
    /// A clock at `ms` (epoch milliseconds).
    pub fn at(ms: u64) -> Arc<Self> {
        Arc::new(FakeClock(AtomicU64::new(ms)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A sleeper that completes at once, advancing its [`FakeClock`] by the
/// duration and recording it. Sleeps of `hold_from` or longer never complete:
/// the engine times requests out with a sleep, and a timeout must not fire
/// while a real request is in flight.
#[derive(Debug)]
pub struct FakeSleep {
    clock: Arc<FakeClock>,
    hold_from: Option<Duration>,
    slept: Mutex<Vec<Duration>>,
}

impl FakeSleep {
    /// A sleeper moving `clock`; every sleep completes at once.
    pub fn new(clock: Arc<FakeClock>) -> Self {
        FakeSleep {
            clock,
            hold_from: None,
            slept: Mutex::default(),
        }
    }

    /// Sleeps of `duration` or longer never complete (pass the request timeout).
    pub fn holding_from(mut self, duration: Duration) -> Self {
        self.hold_from = Some(duration);
        self
    }

    /// Every completed sleep, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().expect("slept lock").clone()
    }
}

impl Sleep for FakeSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        if self.hold_from.is_some_and(|h| duration >= h) {
            return Box::pin(futures::future::pending());
        }
        self.slept.lock().expect("slept lock").push(duration);
        self.clock.advance(duration);
        Box::pin(futures::future::ready(()))
    }
}

/// An HTTP client from a closure. The closure's future cannot borrow the
/// closure, so capture an `Arc` of any inner client and clone it into the
/// future; this function only pins down the closure's argument type, which
/// inference cannot find through `Arc<dyn HttpClient>`.
pub fn client<F, Fut>(f: F) -> Arc<dyn HttpClient>
where
    F: Fn(HttpRequest) -> Fut + MaybeSendSync + 'static,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + MaybeSend + 'static,
{
    Arc::new(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_moves_the_clock_and_is_recorded() {
        let clock = FakeClock::at(1_000);
        let sleep = FakeSleep::new(clock.clone()).holding_from(Duration::from_secs(30));
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        for ms in [250, 750] {
            let mut done = sleep.sleep(Duration::from_millis(ms));
            assert!(done.as_mut().poll(&mut cx).is_ready());
        }
        assert_eq!(clock.now_ms(), 2_000);
        assert_eq!(
            sleep.slept(),
            vec![Duration::from_millis(250), Duration::from_millis(750)]
        );
        let mut held = sleep.sleep(Duration::from_secs(30));
        assert!(held.as_mut().poll(&mut cx).is_pending());
    }
}
