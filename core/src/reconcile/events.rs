//! A plan entry as the lifecycle event that carries it out, so that applying
//! a reconcile runs the very actions, rails and ordering an HR event does:
//! a create is a joiner, an update a mover (a rehire when the user is
//! deactivated), a deprovision a leaver. Each is one HR fact as of the
//! reconcile's time (`--as-of`), so a worker whose ledger holds a newer
//! event is refused as stale and left alone.

use serde_json::{json, Map, Value};

use super::plan::{Orphan, PlanAction, PlanEntry};
use crate::event::{
    parse_request, ActionCall, InputError, Lifecycle, Request, RosterEntry, Timestamp,
    SCHEMA_VERSION,
};
use crate::worker::ATTRIBUTES;

/// An event before validation: the JSON an HR system would have sent, and
/// whether applying it reactivates the user (which no event field says; see
/// [`reactivating`]). A distributed apply stores it as it is and validates it
/// where it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct EventValue {
    /// The lifecycle event.
    pub event: Value,
    /// Apply as a rehire that sets `active: true`.
    pub reactivate: bool,
}

impl EventValue {
    /// Validates the event as any event is validated. `line` (the roster
    /// line, when there is one) prefixes the message so a bad roster field
    /// is named where it came from.
    pub fn request(&self, line: Option<usize>) -> Result<Request, InputError> {
        let parsed = parse_request(&self.event).map(|mut request| {
            if self.reactivate {
                reactivating(&mut request);
            }
            request
        });
        parsed.map_err(|e| InputError {
            field: e.field.trim_start_matches("worker.").to_string(),
            message: match line {
                Some(n) => format!("line {n}: {}", e.message),
                None => e.message,
            },
        })
    }
}

/// The event for `entry` (planned from roster line `line`), or `None` when
/// nothing is to be done. A roster line that cannot make its event (a new
/// hire without a name) is an input error naming the line's field.
pub fn event_for(
    entry: &PlanEntry,
    line: &RosterEntry,
    as_of: Timestamp,
) -> Option<Result<Request, InputError>> {
    event_value(entry, line, as_of).map(|v| v.request(Some(entry.line)))
}

/// The JSON of [`event_for`]'s event, before validation.
pub fn event_value(entry: &PlanEntry, line: &RosterEntry, as_of: Timestamp) -> Option<EventValue> {
    let (lifecycle, access) = match entry.action {
        PlanAction::Unchanged | PlanAction::Skip => return None,
        PlanAction::Create => ("joiner", groups_access(entry, "add")),
        PlanAction::Deprovision => ("leaver", None),
        PlanAction::Update => ("mover", groups_access(entry, "replace")),
    };
    let mut event = json!({
        "schemaVersion": SCHEMA_VERSION,
        "eventId": format!("reconcile-{}-{}", as_of.millis(), entry.hr_id),
        "lifecycle": lifecycle,
        "occurredAt": as_of.format(),
        "worker": worker_json(line, lifecycle == "leaver"),
    });
    if let Some(access) = access {
        event["access"] = access;
    }
    Some(EventValue {
        event,
        reactivate: entry.reactivate,
    })
}

/// The leaver that deprovisions `orphan` (a SCIM user no roster line
/// matches, whose `externalId` is ours): its `externalId` as the HR id, so
/// the ledger orders it with that worker's earlier events.
pub fn orphan_event(orphan: &Orphan, as_of: Timestamp) -> Result<Request, InputError> {
    orphan_event_value(orphan, as_of).request(None)
}

/// The JSON of [`orphan_event`]'s event, before validation.
pub fn orphan_event_value(orphan: &Orphan, as_of: Timestamp) -> EventValue {
    let hr_id = orphan.external_id.clone().unwrap_or_default();
    EventValue {
        event: json!({
            "schemaVersion": SCHEMA_VERSION,
            "eventId": format!("reconcile-{}-orphan-{hr_id}", as_of.millis()),
            "lifecycle": "leaver",
            "occurredAt": as_of.format(),
            "worker": {"hrId": hr_id, "workEmail": orphan.email},
        }),
        reactivate: false,
    }
}

/// A mover that also sets `active: true`, recorded as a rehire. Not a
/// rehire event: that rule may create a user, so it demands a name, and a
/// reconcile reactivates only a user it found.
fn reactivating(request: &mut Request) {
    request.lifecycle = Some(Lifecycle::Rehire);
    for call in &mut request.calls {
        if let ActionCall::Sync(sync) = call {
            sync.reactivate = true;
        }
    }
}

/// `replace` within exactly the groups this entry touches or keeps, so the
/// event removes what the plan removes and nothing out of scope; `add` for
/// a new user. No access at all when memberships do not change.
fn groups_access(entry: &PlanEntry, mode: &str) -> Option<Value> {
    if mode == "add" {
        return (!entry.add.is_empty()).then(|| json!({"groups": entry.add, "mode": "add"}));
    }
    if entry.add.is_empty() && entry.remove.is_empty() {
        return None;
    }
    let mut scope = entry.wanted.clone();
    scope.extend(entry.remove.iter().cloned());
    Some(json!({"groups": entry.wanted, "mode": "replace", "scope": scope}))
}

/// The roster line's worker, as the event's `worker` object; a leaver needs
/// only the identity.
fn worker_json(line: &RosterEntry, identity_only: bool) -> Value {
    let w = &line.worker;
    let mut map = Map::new();
    if let Some(h) = &w.hr_id {
        map.insert("hrId".into(), json!(h.to_string()));
    }
    if let Some(e) = &w.email {
        map.insert("workEmail".into(), json!(e.to_string()));
    }
    if !identity_only {
        for a in &ATTRIBUTES {
            if let Some(v) = (a.get)(w) {
                map.insert(a.json.into(), json!(v));
            }
        }
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{parse_roster, GroupMode};
    use crate::reconcile::{plan, Directory, DirectoryUser, Scope};

    fn user(email: &str, hr: &str, active: bool, groups: &[&str]) -> DirectoryUser {
        DirectoryUser {
            user: serde_json::from_value(json!({"id": format!("u-{hr}"), "userName": email, "externalId": hr, "active": active})).unwrap(),
            account_id: None,
            groups: groups.iter().map(|g| (*g).into()).collect(),
        }
    }

    #[test]
    fn each_action_becomes_the_lifecycle_that_does_it() {
        let roster = parse_roster(
            r#"{"hrId":"E1","workEmail":"new@example.com","displayName":"New","groups":["eng"]}
{"hrId":"E2","workEmail":"moved@example.com","groups":["ops"]}
{"hrId":"E3","workEmail":"back@example.com","groups":["eng"]}
{"hrId":"E4","workEmail":"gone@example.com","status":"terminated"}
{"hrId":"E5","workEmail":"same@example.com","groups":["eng"]}
{"hrId":"E6","workEmail":"nameless@example.com","groups":["eng"]}"#,
        )
        .unwrap();
        let directory = Directory::new(vec![
            user("moved@example.com", "E2", true, &["eng", "site-admins"]),
            user("back@example.com", "E3", false, &[]),
            user("gone@example.com", "E4", true, &["eng"]),
            user("same@example.com", "E5", true, &["eng"]),
        ]);
        let p = plan(&roster, &directory, &Scope::new(None, &roster));
        let as_of = Timestamp::from_millis(1_764_000_000_000);
        let events: Vec<_> = p
            .entries
            .iter()
            .zip(&roster.entries)
            .map(|(e, l)| event_for(e, l, as_of))
            .collect();

        let joiner = events[0].clone().unwrap().unwrap();
        assert_eq!(joiner.lifecycle, Some(Lifecycle::Joiner));
        assert_eq!(joiner.occurred_at, Some(as_of));
        assert_eq!(
            joiner.event_id.as_deref(),
            Some("reconcile-1764000000000-E1")
        );

        let mover = events[1].clone().unwrap().unwrap();
        assert_eq!(mover.lifecycle, Some(Lifecycle::Mover));
        let ActionCall::Relationships(r) = &mover.calls[1] else {
            panic!("{mover:?}")
        };
        assert_eq!(
            (r.mode, r.groups.as_slice()),
            (GroupMode::Replace, &["ops".to_string()][..])
        );
        assert_eq!(
            r.scope.as_deref(),
            Some(&["ops".to_string(), "eng".to_string()][..]),
            "site-admins is out of scope"
        );

        assert_eq!(
            events[2].clone().unwrap().unwrap().lifecycle,
            Some(Lifecycle::Rehire)
        );
        assert_eq!(
            events[3].clone().unwrap().unwrap().lifecycle,
            Some(Lifecycle::Leaver)
        );
        assert!(events[4].is_none(), "unchanged: no event");
        let e = events[5].clone().unwrap().unwrap_err();
        assert_eq!(e.field, "displayName");
        assert!(e.message.starts_with("line 6: a new user needs"), "{e:?}");
    }
}
