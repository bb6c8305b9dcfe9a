//! Input: the HR lifecycle event (EventBridge `detail`, API Gateway body, CLI
//! and JS input) and direct action calls, parsed strictly and validated with
//! errors that name the field, then mapped to actions by a pure function.
//! Nothing here talks to Atlassian: bad input never costs an API call.
//!
//! - `wire`: the JSON shapes, exactly as accepted;
//! - `validate`: the checks on each field;
//! - [`lifecycle`]: the lifecycles, the one table of what each does, and the
//!   mapping to actions;
//! - [`request`]: what parsing produces;
//! - [`timestamp`]: `occurredAt` as an instant;
//! - [`roster`]: the HR roster (JSON Lines of worker states) reconcile reads;
//! - `state`: one roster line as a worker-state event.

pub mod lifecycle;
mod parse;
pub mod request;
pub mod roster;
mod state;
pub mod timestamp;
mod validate;
mod wire;

pub use crate::worker::Worker;
pub use lifecycle::{GroupMode, Lifecycle, LifecycleRule, LIFECYCLES};
pub use parse::{parse_request, parse_request_str};
pub use request::{ActionCall, RelationshipsInput, RemovalInput, Request, SyncInput};
pub use roster::{parse_roster, parse_roster_line, Roster, RosterEntry, RosterError, WorkerStatus};
pub use timestamp::{InvalidTimestamp, Timestamp};

/// The only schema version understood.
pub const SCHEMA_VERSION: &str = "1";
/// Most groups one call may name (Admin group search takes 100 names).
pub const MAX_GROUPS: usize = 100;

/// Bad input: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// JSON path of the field, e.g. `worker.workEmail`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests;
