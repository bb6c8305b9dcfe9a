//! What a validated input becomes: a [`Request`] of typed action calls.

use super::lifecycle::{GroupMode, Lifecycle};
use super::roster::RosterEntry;
use super::timestamp::Timestamp;
use crate::report::ActionKind;
use crate::worker::Worker;

/// `SYNC_IDENTITIES` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncInput {
    /// The person (HR id and e-mail both present).
    pub worker: Worker,
    /// May create the user when missing (joiner, rehire).
    pub allow_create: bool,
    /// Sets `active: true` (rehire).
    pub reactivate: bool,
    /// Take over a user whose `externalId` belongs to another provisioner.
    pub adopt: bool,
}

/// `MANAGE_RELATIONSHIPS` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipsInput {
    /// The person.
    pub worker: Worker,
    /// Group display names, exact and case-sensitive.
    pub groups: Vec<String>,
    /// How they apply.
    pub mode: GroupMode,
    /// For `replace`: the groups this call may remove memberships from. `None`
    /// means every group the user is in (protected groups are never touched).
    pub scope: Option<Vec<String>>,
}

/// `DEPROVISION_IDENTITY` and `DELETE_IDENTITY` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalInput {
    /// The person.
    pub worker: Worker,
    /// Delete even a user owned by another provisioner.
    pub force: bool,
}

/// One action to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCall {
    /// Create or update.
    Sync(SyncInput),
    /// Memberships.
    Relationships(RelationshipsInput),
    /// Remove memberships, deactivate.
    Deprovision(RemovalInput),
    /// Delete.
    Delete(RemovalInput),
    /// Health; optional groups to resolve.
    Check {
        /// Groups to resolve.
        groups: Vec<String>,
    },
}

impl ActionCall {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionCall::Sync(_) => ActionKind::SyncIdentities,
            ActionCall::Relationships(_) => ActionKind::ManageRelationships,
            ActionCall::Deprovision(_) => ActionKind::DeprovisionIdentity,
            ActionCall::Delete(_) => ActionKind::DeleteIdentity,
            ActionCall::Check { .. } => ActionKind::Check,
        }
    }

    /// The person it concerns; `None` for a CHECK.
    pub fn worker(&self) -> Option<&Worker> {
        match self {
            ActionCall::Sync(s) => Some(&s.worker),
            ActionCall::Relationships(r) => Some(&r.worker),
            ActionCall::Deprovision(r) | ActionCall::Delete(r) => Some(&r.worker),
            ActionCall::Check { .. } => None,
        }
    }
}

/// A validated request: the actions to run in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The event id (lifecycle events), or the caller's id for a direct call.
    pub event_id: Option<String>,
    /// The lifecycle, for events.
    pub lifecycle: Option<Lifecycle>,
    /// When HR says the change happened (`occurredAt`), if the event said.
    pub occurred_at: Option<Timestamp>,
    /// Plan instead of execute.
    pub dry_run: bool,
    /// `options.verify`: verify product access afterwards (`Some(true)`) or
    /// not (`Some(false)`), whatever `LCM_VERIFY_PRODUCTS` says.
    pub verify: Option<bool>,
    /// The actions, in order. Empty for a worker-state event, whose actions
    /// are derived when it runs.
    pub calls: Vec<ActionCall>,
    /// A worker-state event: the state HR states for the worker (a roster
    /// line), from which the run derives the action.
    pub state: Option<RosterEntry>,
}

impl Request {
    /// A CHECK request.
    pub fn check(groups: Vec<String>) -> Request {
        Request {
            event_id: None,
            lifecycle: None,
            occurred_at: None,
            dry_run: false,
            verify: None,
            calls: vec![ActionCall::Check { groups }],
            state: None,
        }
    }

    /// The person the request concerns (every call of one request concerns
    /// the same one); `None` for a CHECK.
    pub fn worker(&self) -> Option<&Worker> {
        self.calls
            .iter()
            .find_map(ActionCall::worker)
            .or(self.state.as_ref().map(|s| &s.worker))
    }

    /// The key that identifies the person across events ([`Worker::key`]).
    pub fn worker_key(&self) -> Option<String> {
        self.worker().and_then(Worker::key)
    }
}
