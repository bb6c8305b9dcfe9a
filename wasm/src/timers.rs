//! Time for the engine in any JavaScript runtime: [`TimerSleep`] waits with
//! the global `setTimeout` (Node, Deno, workers and browsers all have it) and
//! [`DateClock`] reads `Date.now()` (`SystemTime::now` panics on wasm32).
//!
//! The engine races every request against a sleep of the request timeout; a
//! sleep dropped before it fires clears its timer, so a finished call leaves
//! no timer behind to keep a Node process alive.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use atlassian_lcm::clock::{Clock, Sleep};
use atlassian_lcm::platform::BoxFuture;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::errors::{invalid_config, JsResult};

/// The longest delay `setTimeout` honours (2^31 - 1 ms); longer fires at once.
const MAX_TIMEOUT_MS: u128 = 2_147_483_647;

/// Sleeps with `setTimeout`.
pub struct TimerSleep {
    global: JsValue,
    set_timeout: Function,
    clear_timeout: Function,
}

impl TimerSleep {
    /// Finds `setTimeout` and `clearTimeout` on the global object.
    pub fn new() -> JsResult<TimerSleep> {
        let global: JsValue = js_sys::global().into();
        let function = |name: &str| {
            Reflect::get(&global, &JsValue::from_str(name))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    invalid_config(&[(
                        name.to_string(),
                        format!("this JavaScript runtime has no global {name}"),
                    )])
                })
        };
        Ok(TimerSleep {
            set_timeout: function("setTimeout")?,
            clear_timeout: function("clearTimeout")?,
            global,
        })
    }
}

impl Sleep for TimerSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        let ms = duration.as_millis().min(MAX_TIMEOUT_MS) as f64;
        let mut handle = JsValue::UNDEFINED;
        let mut resolve_fn = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve: Function, _reject: Function| {
            handle = self
                .set_timeout
                .call2(&self.global, &resolve, &JsValue::from_f64(ms))
                .unwrap_or(JsValue::UNDEFINED);
            resolve_fn = resolve.into();
        });
        Box::pin(Timer {
            fired: JsFuture::from(promise),
            handle,
            resolve: resolve_fn,
            clear_timeout: self.clear_timeout.clone(),
            global: self.global.clone(),
            done: false,
        })
    }
}

/// One pending `setTimeout`.
struct Timer {
    fired: JsFuture,
    handle: JsValue,
    resolve: JsValue,
    clear_timeout: Function,
    global: JsValue,
    done: bool,
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match Pin::new(&mut self.fired).poll(cx) {
            Poll::Ready(_) => {
                self.done = true;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !self.done {
            // Stop the timer, then settle the promise so the future's
            // callbacks run once and free themselves.
            let _ = self.clear_timeout.call1(&self.global, &self.handle);
            if let Some(resolve) = self.resolve.dyn_ref::<Function>() {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    }
}

/// `Date.now()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateClock;

impl Clock for DateClock {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }
}
