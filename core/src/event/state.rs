//! A worker-state event: one roster line sent on its own. It names no
//! lifecycle; the engine reads the person in Atlassian and derives the
//! action from the difference (see `crate::worker_state`). HR systems that
//! send state rather than verbs (Workday, Entra's inbound provisioning API)
//! map onto it directly.
//!
//! Besides the roster line's fields it carries `eventId` (required, as for
//! lifecycle events: it names the fact in the ordering ledger and the
//! report), and `occurredAt` is required: a state with no time could be
//! older than what Atlassian already reflects, and applying it would undo a
//! newer fact, so such a state is refused rather than applied unordered.

use serde_json::{Map, Value};

use super::request::Request;
use super::roster::parse_roster_line;
use super::validate::check_event_id;
use super::InputError;

/// The keys that mark a worker-state event (none of them is in a
/// lifecycle event's top level or a direct call's).
const MARKERS: [&str; 3] = ["hrId", "workEmail", "status"];

/// True when `obj` is shaped like a worker state rather than an event or a call.
pub(super) fn is_worker_state(obj: &Map<String, Value>) -> bool {
    MARKERS.iter().any(|k| obj.contains_key(*k))
}

/// Parses a worker-state event: the roster line checks, then `eventId`,
/// then `occurredAt`'s presence.
pub(super) fn parse_worker_state(obj: &Map<String, Value>) -> Result<Request, InputError> {
    let mut line = obj.clone();
    let event_id = line.remove("eventId");
    let entry = parse_roster_line(&Value::Object(line)).map_err(|mut e| {
        // The roster's list of fields lacks the one a single event adds.
        if e.message.contains("expected one of") {
            e.message.push_str(", `eventId`");
        }
        e
    })?;
    let event_id = match event_id {
        None => Err(InputError::new(
            "eventId",
            "is required in a worker-state event",
        )),
        Some(Value::String(id)) => check_event_id(&id, "eventId"),
        Some(other) => Err(InputError::new(
            "eventId",
            format!("{other} is not a string"),
        )),
    }?;
    let occurred_at = entry.occurred_at.ok_or_else(|| {
        InputError::new(
            "occurredAt",
            "is required in a worker-state event: the action is derived from the state, and a \
             state without a time could undo a newer HR fact",
        )
    })?;
    Ok(Request {
        event_id: Some(event_id),
        lifecycle: None,
        occurred_at: Some(occurred_at),
        dry_run: false,
        // A roster line has no options; LCM_VERIFY_PRODUCTS decides.
        verify: None,
        calls: Vec::new(),
        state: Some(entry),
    })
}
