//! The emulator's clock: the one place that reads the time.
//!
//! Handlers read it once per request and hand the moment to the org model, so the model never
//! asks the system for the time itself; that keeps a change's timestamps consistent and lets a
//! controllable clock stand in later (for visibility delays and rate-limit windows).

use std::time::{Instant, SystemTime};

use crate::timestamp::iso;

/// One moment, read once: the monotonic instant that delays are measured against and the wall
/// time that resources are stamped with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Now {
    /// For visibility delays and fault windows.
    pub instant: Instant,
    /// For `created`, `lastModified`, `addedToOrg` and the like.
    pub wall: SystemTime,
}

impl Now {
    /// The wall time as Atlassian's ISO-8601 text.
    pub fn stamp(&self) -> String {
        iso(self.wall)
    }
}

/// The system clock.
#[derive(Debug, Default)]
pub(crate) struct Clock;

impl Clock {
    /// The current moment.
    pub fn now(&self) -> Now {
        Now {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }
}
