//! From JSON to a [`Request`]: which shape it is, then each field checked.

use serde_json::Value;

use super::lifecycle::{plan_lifecycle, GroupMode, Lifecycle};
use super::request::{ActionCall, RelationshipsInput, RemovalInput, Request, SyncInput};
use super::state::{is_worker_state, parse_worker_state};
use super::timestamp::Timestamp;
use super::validate::{
    allow_options, check_event_id, check_groups, check_scope, parse_access, parse_worker,
    require_identity,
};
use super::wire::{typed, DirectWire, EventWire, WorkerWire};
use super::{InputError, SCHEMA_VERSION};
use crate::report::ActionKind;
use crate::worker::Worker;

/// Parses a lifecycle event, a worker-state event (a roster line) or a
/// direct action call (`{"action": ...}`).
pub fn parse_request(value: &Value) -> Result<Request, InputError> {
    let obj = value
        .as_object()
        .ok_or_else(|| InputError::new("(body)", "must be a JSON object"))?;
    if obj.contains_key("action") {
        let wire: DirectWire = typed(value)?;
        direct(wire)
    } else if obj.contains_key("lifecycle") || obj.contains_key("schemaVersion") {
        let wire: EventWire = typed(value)?;
        event(wire)
    } else if is_worker_state(obj) {
        parse_worker_state(obj)
    } else {
        Err(InputError::new(
            "(body)",
            "expected a lifecycle event (with `lifecycle`), a worker state (a roster line with `hrId`, `workEmail`, `eventId` and `occurredAt`) or a direct action call (with `action`)",
        ))
    }
}

/// Parses JSON text (a file, a request body).
pub fn parse_request_str(text: &str) -> Result<Request, InputError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| InputError::new("(body)", format!("not valid JSON: {e}")))?;
    parse_request(&value)
}

fn event(w: EventWire) -> Result<Request, InputError> {
    // Shape errors inside `worker` come first, as they did when serde read it.
    let worker = WorkerWire::from_map(w.worker, "worker")?;
    if w.schema_version != SCHEMA_VERSION {
        return Err(InputError::new(
            "schemaVersion",
            format!(
                "`{}` is not supported; use \"{SCHEMA_VERSION}\"",
                w.schema_version
            ),
        ));
    }
    let event_id = check_event_id(&w.event_id, "eventId")?;
    let lifecycle = Lifecycle::parse(&w.lifecycle).ok_or_else(|| {
        InputError::new(
            "lifecycle",
            format!(
                "`{}` is not one of joiner, mover, rehire, leaver, purge",
                w.lifecycle
            ),
        )
    })?;
    let occurred_at = w
        .occurred_at
        .as_deref()
        .map(Timestamp::parse)
        .transpose()
        .map_err(|e| InputError::new("occurredAt", e.to_string()))?;
    let opts = w.options.unwrap_or_default();
    allow_options(
        &opts,
        lifecycle.rule().options,
        &format!("a {} event", lifecycle.as_str()),
    )?;
    let worker = parse_worker(worker, "worker")?;
    let access = w.access.map(|a| parse_access(a, "access")).transpose()?;
    let calls = plan_lifecycle(lifecycle, worker, access, &opts)?;
    Ok(Request {
        event_id: Some(event_id),
        lifecycle: Some(lifecycle),
        occurred_at,
        dry_run: opts.dry_run.unwrap_or(false),
        verify: opts.verify,
        calls,
        state: None,
    })
}

fn direct(w: DirectWire) -> Result<Request, InputError> {
    let worker = w
        .worker
        .map(|m| WorkerWire::from_map(m, "worker"))
        .transpose()?;
    let kind = ActionKind::parse(&w.action).ok_or_else(|| {
        InputError::new("action", format!(
            "`{}` is not one of SYNC_IDENTITIES, MANAGE_RELATIONSHIPS, DEPROVISION_IDENTITY, DELETE_IDENTITY, CHECK",
            w.action
        ))
    })?;
    let event_id = w
        .event_id
        .as_deref()
        .map(|id| check_event_id(id, "eventId"))
        .transpose()?;
    let opts = w.options.unwrap_or_default();
    allow_options(&opts, kind.options(), kind.as_str())?;
    let worker_for = |w: Option<WorkerWire>| -> Result<Worker, InputError> {
        parse_worker(
            w.ok_or_else(|| InputError::new("worker", "is required"))?,
            "worker",
        )
    };
    if kind != ActionKind::Check && w.groups.is_some() {
        return Err(InputError::new(
            "groups",
            "only CHECK takes `groups`; use `access.groups`",
        ));
    }
    if kind != ActionKind::ManageRelationships && w.access.is_some() {
        return Err(InputError::new(
            "access",
            format!("{} takes no `access`", kind.as_str()),
        ));
    }
    let call = match kind {
        ActionKind::SyncIdentities => {
            let worker = worker_for(worker)?;
            require_identity(&worker, true)?;
            ActionCall::Sync(SyncInput {
                worker,
                allow_create: opts.create.unwrap_or(true),
                reactivate: opts.reactivate.unwrap_or(false),
                adopt: opts.adopt.unwrap_or(false),
            })
        }
        ActionKind::ManageRelationships => {
            let worker = worker_for(worker)?;
            require_identity(&worker, false)?;
            let access = w
                .access
                .ok_or_else(|| InputError::new("access", "is required"))?;
            let (groups, mode, scope) = parse_access(access, "access")?;
            let mode = mode.unwrap_or(GroupMode::Add);
            check_scope(mode, &scope)?;
            ActionCall::Relationships(RelationshipsInput {
                worker,
                groups,
                mode,
                scope,
            })
        }
        ActionKind::DeprovisionIdentity | ActionKind::DeleteIdentity => {
            let worker = worker_for(worker)?;
            require_identity(&worker, false)?;
            let input = RemovalInput {
                worker,
                force: opts.force.unwrap_or(false),
            };
            if kind == ActionKind::DeleteIdentity {
                ActionCall::Delete(input)
            } else {
                ActionCall::Deprovision(input)
            }
        }
        ActionKind::Check => {
            let groups = w.groups.unwrap_or_default();
            check_groups(&groups, "groups")?;
            ActionCall::Check { groups }
        }
    };
    Ok(Request {
        event_id,
        lifecycle: None,
        occurred_at: None,
        dry_run: opts.dry_run.unwrap_or(false),
        verify: opts.verify,
        calls: vec![call],
        state: None,
    })
}
