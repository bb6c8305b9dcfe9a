//! Running a worker-state event: HR states who the worker is (a roster line)
//! rather than what happened, so the action is derived here. The run reads
//! only that person — the look-ups a leaver makes: SCIM by `externalId` and
//! e-mail, the Admin account with its groups, in one round trip — puts them
//! through the reconcile's diff as a one-person directory, and carries out
//! the plan entry through the lifecycle event reconcile would apply
//! ([`crate::reconcile::events::event_for`]): the same actions and rails,
//! under the ordering the engine already applied to the state's `occurredAt`.
//!
//! The scope a state decides membership for is reconcile's: the groups
//! `LCM_MANAGED_GROUPS` names, so a state removes a managed group it no
//! longer lists; when that is unset, only the groups its line names, so a
//! state adds what it lists and removes nothing (the safe reading: nothing
//! else says which groups HR is authoritative for).

use serde::{Deserialize, Serialize};

use crate::actions::relationships::{self, Loaded};
use crate::actions::{identity, step, Ctx, StepExt};
use crate::engine::Lcm;
use crate::event::{Roster, RosterEntry, WorkerStatus};
use crate::reconcile::events::event_for;
use crate::reconcile::{plan, Directory, DirectoryUser, PlanAction, PlanEntry, Scope};
use crate::report::{ActionKind, ErrorCode, ReportError, StepStatus, System};

/// What a worker-state event came to: the action derived from the difference
/// between HR's state and Atlassian's (the report's `derived`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DerivedAction {
    /// Active in HR, absent from Atlassian: created (a joiner).
    Create,
    /// Attributes differ (group changes may come with them): a mover.
    Update,
    /// Deactivated in Atlassian, active in HR: reactivated (a rehire).
    Reactivate,
    /// Only memberships differ: the groups added (a mover with access only).
    Groups,
    /// Terminated in HR, still active or in groups: deprovisioned (a leaver).
    Deprovision,
    /// Atlassian already matches the state: nothing written.
    Unchanged,
    /// The user belongs to another provisioner: left alone, refused.
    Skip,
}

impl DerivedAction {
    /// The derivation for one plan entry, most telling change first.
    pub fn of(entry: &PlanEntry) -> DerivedAction {
        match entry.action {
            PlanAction::Create => DerivedAction::Create,
            PlanAction::Deprovision => DerivedAction::Deprovision,
            PlanAction::Unchanged => DerivedAction::Unchanged,
            PlanAction::Skip => DerivedAction::Skip,
            PlanAction::Update if entry.reactivate => DerivedAction::Reactivate,
            PlanAction::Update if !entry.changes.is_empty() => DerivedAction::Update,
            PlanAction::Update => DerivedAction::Groups,
        }
    }

    /// The spelling in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            DerivedAction::Create => "create",
            DerivedAction::Update => "update",
            DerivedAction::Reactivate => "reactivate",
            DerivedAction::Groups => "groups",
            DerivedAction::Deprovision => "deprovision",
            DerivedAction::Unchanged => "unchanged",
            DerivedAction::Skip => "skip",
        }
    }
}

/// What the run of a state did, for the report.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    /// `None` when the person could not be read (a failed step says why).
    pub action: Option<DerivedAction>,
    /// The actions the derived event ran.
    pub actions: Vec<ActionKind>,
    /// A report-level error: the state cannot make its event.
    pub error: Option<ReportError>,
}

/// Reads the person, derives the action and runs it (see the module docs).
pub(crate) async fn run(lcm: &Lcm, ctx: &Ctx, state: &RosterEntry) -> Derived {
    // The parser demands it; a request built by hand may lack it, and is refused as input.
    let Some(at) = state.occurred_at else {
        return Derived {
            error: Some(ReportError {
                code: ErrorCode::InvalidInput,
                message: "occurredAt: is required in a worker-state event; nothing was sent".into(),
            }),
            ..Derived::default()
        };
    };
    let Ok(loaded) = relationships::load(ctx, &state.worker).await else {
        return Derived::default();
    };
    let roster = Roster {
        entries: vec![state.clone()],
    };
    let directory = Directory::new(loaded.and_then(directory_user).into_iter().collect());
    let managed = lcm.config().safety().managed_groups().map(<[_]>::to_vec);
    let scope = Scope::new(managed, &roster);
    let planned = plan(&roster, &directory, &scope)
        .entries
        .pop()
        .expect("one entry per roster line");
    let action = DerivedAction::of(&planned);
    let mut derived = Derived {
        action: Some(action),
        ..Derived::default()
    };
    let label = identity::label(&state.worker);
    match action {
        DerivedAction::Skip => ctx.record(
            step(&label, "derive_action", StepStatus::Failed, "")
                .via(System::Scim)
                .error(ReportError {
                    code: ErrorCode::OwnershipConflict,
                    message: format!(
                        "{}; nothing was changed",
                        planned
                            .reason
                            .as_deref()
                            .unwrap_or("another provisioner owns the user")
                    ),
                }),
        ),
        DerivedAction::Unchanged if directory.users().is_empty() => {
            debug_assert_eq!(state.status, WorkerStatus::Terminated);
            identity::record_not_found(ctx, &state.worker, "deprovision");
        }
        _ => {}
    }
    // The event's own time is the state's: ordering judged it already.
    match event_for(&planned, state, at) {
        None => {}
        Some(Err(e)) => {
            // `event_for` prefixes the roster line's number, which a single event has not.
            let message = e.message.trim_start_matches("line 0: ");
            derived.error = Some(ReportError {
                code: ErrorCode::InvalidInput,
                message: format!(
                    "{}: {message} (the worker is not in Atlassian, so this state creates them); nothing was written",
                    e.field
                ),
            });
        }
        Some(Ok(event)) => {
            derived.actions = event.calls.iter().map(|c| c.kind()).collect();
            lcm.execute(ctx, &event).await;
        }
    }
    derived
}

/// The person as a reconcile's directory read would have seen them: the SCIM
/// user with every group either system lists. An Admin account with no SCIM
/// user is left out, as the directory read leaves it out, so the state
/// creates the SCIM user (which links to that account by e-mail).
fn directory_user((person, memberships, _): Loaded) -> Option<DirectoryUser> {
    let user = person.scim_user()?.clone();
    let groups = memberships
        .admin
        .iter()
        .map(|(_, name)| name)
        .chain(memberships.scim.iter().map(|(_, name)| name))
        .filter_map(|name| name.as_deref().map(Into::into))
        .collect();
    Some(DirectoryUser {
        account_id: user
            .account_id()
            .or_else(|| person.known_account().cloned()),
        user,
        groups,
    })
}
