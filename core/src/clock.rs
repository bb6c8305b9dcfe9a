//! Time, injected. The core has no runtime, so the host supplies how to wait
//! ([`Sleep`]) and what time it is ([`Clock`]); tests supply fakes and run
//! backoff schedules without waiting.

use std::time::Duration;

use crate::platform::{BoxFuture, MaybeSendSync};

/// Waits for a duration without blocking the executor.
pub trait Sleep: MaybeSendSync {
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
}

/// Wall-clock time in milliseconds since the Unix epoch. `std::time::SystemTime::now`
/// panics on wasm32-unknown-unknown, so the wasm host answers with `Date.now()`.
pub trait Clock: MaybeSendSync {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;
}

/// Formats epoch milliseconds as an RFC 3339 UTC timestamp with exactly three
/// fractional digits, so timestamps in a report line up and sort as text.
pub fn rfc3339(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A clock read from the system; for native hosts.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(
            super::rfc3339(1_764_493_200_000),
            "2025-11-30T09:00:00.000Z"
        );
        assert_eq!(
            super::rfc3339(1_764_493_200_390),
            "2025-11-30T09:00:00.390Z"
        );
    }
}
