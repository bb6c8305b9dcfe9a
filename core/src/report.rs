//! The one report type every host returns: what was asked, who it concerned,
//! every step with its result, the audit trail, the plan (in a dry run) and the
//! API calls it cost. JSON field names are camelCase everywhere.
//!
//! The outcome is derived from the steps, never set by hand, so a report cannot
//! claim success while a step failed.

use serde::{Deserialize, Serialize};

/// The actions of the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActionKind {
    /// Create the user or update the attributes that differ.
    SyncIdentities,
    /// Add or remove group memberships.
    ManageRelationships,
    /// Remove every membership, then deactivate.
    DeprovisionIdentity,
    /// Permanent removal.
    DeleteIdentity,
    /// Health: credentials, directories, groups.
    Check,
}

impl ActionKind {
    /// The wire name, e.g. `SYNC_IDENTITIES`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::SyncIdentities => "SYNC_IDENTITIES",
            ActionKind::ManageRelationships => "MANAGE_RELATIONSHIPS",
            ActionKind::DeprovisionIdentity => "DEPROVISION_IDENTITY",
            ActionKind::DeleteIdentity => "DELETE_IDENTITY",
            ActionKind::Check => "CHECK",
        }
    }

    /// Parses a wire name (case-insensitive, `-` or `_`).
    pub fn parse(name: &str) -> Option<ActionKind> {
        let n = name.trim().to_ascii_uppercase().replace('-', "_");
        ActionKind::ALL.into_iter().find(|a| a.as_str() == n)
    }

    /// True for actions that can remove access.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            ActionKind::DeprovisionIdentity | ActionKind::DeleteIdentity
        )
    }
}

/// The result of the whole call, derived from its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step succeeded and at least one changed something.
    Succeeded,
    /// Nothing needed changing.
    NoChange,
    /// Some steps changed something and some failed.
    Partial,
    /// Nothing changed and something failed (or the call was refused).
    Failed,
    /// A dry run: the changes are in `plan`, none was made.
    Planned,
}

impl Outcome {
    /// `succeeded`, `no_change` and `planned` are successes for exit codes.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            Outcome::Succeeded | Outcome::NoChange | Outcome::Planned
        )
    }

    /// Every outcome, in declaration order.
    pub const ALL: [Outcome; 5] = [
        Outcome::Succeeded,
        Outcome::NoChange,
        Outcome::Partial,
        Outcome::Failed,
        Outcome::Planned,
    ];

    /// The outcome with this wire name.
    pub fn parse(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::NoChange => "no_change",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Planned => "planned",
        }
    }
}

/// Which Atlassian API a step went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// User provisioning (SCIM).
    Scim,
    /// Organizations (Admin) API.
    Admin,
    /// User-management API.
    UserManagement,
    /// Jira Cloud's REST API on a product site.
    Jira,
    /// Confluence Cloud's REST API on a product site.
    Confluence,
    /// Bitbucket Cloud's API.
    Bitbucket,
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// The change was made.
    Done,
    /// Already as wanted; no write.
    NoChange,
    /// Dry run: the write is in the plan.
    Planned,
    /// A health check that passed.
    Passed,
    /// Deliberately not done (protected group, safety rail); see `detail`.
    Skipped,
    /// Attempted and failed; see `error`.
    Failed,
}

/// Stable error codes, shared by every host (the wasm host's `Error.code`, the
/// Lambda's HTTP status mapping, the CLI's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input is malformed; nothing was sent to Atlassian.
    InvalidInput,
    /// The configuration is invalid.
    InvalidConfig,
    /// The action is disabled by configuration.
    ActionDisabled,
    /// The user belongs to another provisioner.
    OwnershipConflict,
    /// More removals than `max_removals` allows.
    RemovalCapExceeded,
    /// The user does not exist where it must.
    UserNotFound,
    /// A group exists in neither system.
    GroupNotFound,
    /// Atlassian answered 404 for something other than the user or a group.
    NotFound,
    /// A group name matches only when case is ignored.
    GroupNameCase,
    /// Atlassian refused the credentials (401).
    Unauthorized,
    /// Atlassian refused the operation (403).
    Forbidden,
    /// Atlassian answered with a conflict (409) we could not resolve.
    Conflict,
    /// Atlassian refused the request itself (another 4xx): retrying the same
    /// request cannot help.
    Rejected,
    /// Atlassian failed (5xx, or 429 after every retry): a later retry may succeed.
    AtlassianError,
    /// No response (connection, timeout) after the retries allowed.
    Transport,
    /// The time budget ran out.
    DeadlineExceeded,
    /// A response could not be understood.
    UnexpectedResponse,
    /// A write whose outcome is unknown and which was not repeated.
    OutcomeUnknown,
    /// The event is older (`occurredAt`) than the latest HR fact already
    /// applied for this worker (named in `staleAfter`); nothing was sent.
    StaleEvent,
    /// Another run for the same worker held the worker's lease for the whole
    /// wait; nothing was sent, and a later retry will proceed.
    WorkerBusy,
    /// The ordering ledger could not be read or written before the run;
    /// nothing was sent, and a later retry may succeed.
    LedgerUnavailable,
    /// A grant refused because the user is deactivated or suspended; a rehire reactivates.
    InactiveUser,
    /// A grant refused by `LCM_PRIVILEGED_GROUPS` or `LCM_GRANTABLE_GROUPS`; nothing was sent for it.
    GroupNotGrantable,
    /// The event came from a sender the deployment does not trust (an
    /// EventBridge `source` not listed in `LCM_EVENT_SOURCES`); nothing was
    /// sent to Atlassian.
    UntrustedSource,
    /// In a bulk run that holds a worker's later events after a transient
    /// failure (an SQS FIFO batch): not attempted, because an earlier event
    /// for the same worker failed and must be retried first; nothing was
    /// sent, and a retry after that one will proceed.
    EarlierEventFailed,
}

impl ErrorCode {
    /// True for failures a later retry could fix (rate limits, server
    /// errors, time-outs, a busy worker, an unreachable ledger); false when
    /// retrying is pointless (a `stale_event` stays stale however often it
    /// is retried).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::Transport
                | ErrorCode::DeadlineExceeded
                | ErrorCode::AtlassianError
                | ErrorCode::OutcomeUnknown
                | ErrorCode::WorkerBusy
                | ErrorCode::LedgerUnavailable
                | ErrorCode::EarlierEventFailed
        )
    }

    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 25] = [
        ErrorCode::InvalidInput,
        ErrorCode::InvalidConfig,
        ErrorCode::ActionDisabled,
        ErrorCode::OwnershipConflict,
        ErrorCode::RemovalCapExceeded,
        ErrorCode::UserNotFound,
        ErrorCode::GroupNotFound,
        ErrorCode::NotFound,
        ErrorCode::GroupNameCase,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::Conflict,
        ErrorCode::Rejected,
        ErrorCode::AtlassianError,
        ErrorCode::Transport,
        ErrorCode::DeadlineExceeded,
        ErrorCode::UnexpectedResponse,
        ErrorCode::OutcomeUnknown,
        ErrorCode::StaleEvent,
        ErrorCode::WorkerBusy,
        ErrorCode::LedgerUnavailable,
        ErrorCode::InactiveUser,
        ErrorCode::GroupNotGrantable,
        ErrorCode::UntrustedSource,
        ErrorCode::EarlierEventFailed,
    ];

    /// The wire name, e.g. `ownership_conflict` (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidConfig => "invalid_config",
            ErrorCode::ActionDisabled => "action_disabled",
            ErrorCode::OwnershipConflict => "ownership_conflict",
            ErrorCode::RemovalCapExceeded => "removal_cap_exceeded",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::GroupNotFound => "group_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::GroupNameCase => "group_name_case",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Rejected => "rejected",
            ErrorCode::AtlassianError => "atlassian_error",
            ErrorCode::Transport => "transport",
            ErrorCode::DeadlineExceeded => "deadline_exceeded",
            ErrorCode::UnexpectedResponse => "unexpected_response",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::StaleEvent => "stale_event",
            ErrorCode::WorkerBusy => "worker_busy",
            ErrorCode::LedgerUnavailable => "ledger_unavailable",
            ErrorCode::InactiveUser => "inactive_user",
            ErrorCode::GroupNotGrantable => "group_not_grantable",
            ErrorCode::UntrustedSource => "untrusted_source",
            ErrorCode::EarlierEventFailed => "earlier_event_failed",
        }
    }
}

/// An error attached to a step or to the whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportError {
    /// Stable code.
    pub code: ErrorCode,
    /// Human explanation; never contains a credential.
    pub message: String,
}

/// One step of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the step concerns: `user ada@example.com`, `group engineering`.
    pub target: String,
    /// What was attempted: `create_user`, `add_membership`, ...
    pub operation: String,
    /// What happened.
    pub status: StepStatus,
    /// A sentence for people.
    pub detail: String,
    /// The API used, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    /// The final HTTP status, if a request was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Requests sent for this step (retries included).
    pub attempts: u32,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
}

/// An entry of the audit trail: a change made (or planned), with before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// RFC 3339 time.
    pub at: String,
    /// `user.created`, `user.updated`, `membership.added`, ...
    pub action: String,
    /// What changed.
    pub target: String,
    /// The state before, if it mattered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The state after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// True when this was planned in a dry run, not done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub planned: bool,
}

/// A write recorded instead of sent, in a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedRequest {
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// JSON body, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// Who the call concerned, as far as it was resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// HR worker id (SCIM `externalId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hr_id: Option<String>,
    /// Work e-mail (SCIM `userName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// SCIM user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_user_id: Option<String>,
    /// Atlassian account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// The newer HR fact a stale event lost to (`report.staleAfter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewerFact {
    /// The event that carried the newer fact.
    pub event_id: String,
    /// When HR says it happened, RFC 3339 (UTC).
    pub occurred_at: String,
    /// Its lifecycle (`joiner`, `leaver`, ...).
    pub lifecycle: String,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The actions run, in order (a lifecycle event may run two).
    pub actions: Vec<ActionKind>,
    /// The lifecycle of the event, when the call was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<String>,
    /// For a worker-state event: the action derived from the difference
    /// between HR's state and Atlassian's (`create`, `update`, `reactivate`,
    /// `groups`, `deprovision`, `unchanged`, `skip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived: Option<crate::worker_state::DerivedAction>,
    /// The event id, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Who.
    pub identity: Identity,
    /// Derived from the steps.
    pub outcome: Outcome,
    /// True when nothing was written on purpose.
    pub dry_run: bool,
    /// Why the whole call was refused or stopped, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ReportError>,
    /// With `stale_event`: the newer fact already applied for this worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after: Option<NewerFact>,
    /// Each step.
    pub steps: Vec<Step>,
    /// The audit trail.
    pub audit: Vec<AuditEvent>,
    /// In a dry run, the writes that would have been sent.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub plan: Vec<PlannedRequest>,
    /// Things worth a person's attention that are not failures.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<String>,
    /// What each product site says of the account after the action
    /// (`LCM_VERIFY_PRODUCTS`, `options.verify`); empty when not asked.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub verification: Vec<crate::products::Verification>,
    /// HTTP requests sent to Atlassian (retries included).
    pub api_calls: u32,
    /// Of which retries.
    pub retries: u32,
    /// Start time, RFC 3339.
    pub started_at: String,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

impl Report {
    /// Derives the outcome from the steps and the report-level error.
    pub fn derive_outcome(steps: &[Step], error: Option<&ReportError>) -> Outcome {
        let failed = error.is_some() || steps.iter().any(|s| s.status == StepStatus::Failed);
        let done = steps
            .iter()
            .any(|s| matches!(s.status, StepStatus::Done | StepStatus::Passed));
        let planned = steps.iter().any(|s| s.status == StepStatus::Planned);
        match (failed, done, planned) {
            (true, true, _) | (true, false, true) => Outcome::Partial,
            (true, false, false) => Outcome::Failed,
            (false, true, _) => Outcome::Succeeded,
            (false, false, true) => Outcome::Planned,
            (false, false, false) => Outcome::NoChange,
        }
    }

    /// The first error code in the report (report-level first, then steps).
    pub fn first_error(&self) -> Option<&ReportError> {
        self.error
            .as_ref()
            .or_else(|| self.steps.iter().find_map(|s| s.error.as_ref()))
    }

    /// True when Atlassian refused a credential: hosts that cache secrets
    /// fetch them again and retry once.
    pub fn has_unauthorized(&self) -> bool {
        self.error
            .iter()
            .chain(self.steps.iter().filter_map(|s| s.error.as_ref()))
            .any(|e| e.code == ErrorCode::Unauthorized)
    }

    /// True when every failure is of a kind a later retry could fix (rate
    /// limits, server errors, time-outs, a busy worker, an unreachable
    /// ledger); false when retrying is pointless (a `stale_event` stays
    /// stale however often it is retried).
    pub fn is_transient_failure(&self) -> bool {
        let errors: Vec<&ReportError> = self
            .error
            .iter()
            .chain(self.steps.iter().filter_map(|s| s.error.as_ref()))
            .collect();
        !errors.is_empty() && errors.iter().all(|e| e.code.is_transient())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(status: StepStatus) -> Step {
        Step {
            target: "t".into(),
            operation: "op".into(),
            status,
            detail: String::new(),
            system: None,
            http_status: None,
            attempts: 0,
            error: None,
        }
    }

    #[test]
    fn outcome_derivation() {
        use StepStatus::*;
        let err = ReportError {
            code: ErrorCode::ActionDisabled,
            message: "x".into(),
        };
        let cases = [
            (vec![], None, Outcome::NoChange),
            (vec![NoChange, Skipped], None, Outcome::NoChange),
            (vec![Done, NoChange], None, Outcome::Succeeded),
            (vec![Planned, NoChange], None, Outcome::Planned),
            (vec![Done, Failed], None, Outcome::Partial),
            (vec![Planned, Failed], None, Outcome::Partial),
            (vec![NoChange, Failed], None, Outcome::Failed),
            (vec![], Some(&err), Outcome::Failed),
        ];
        for (steps, e, want) in cases {
            let steps: Vec<Step> = steps.into_iter().map(step).collect();
            assert_eq!(Report::derive_outcome(&steps, e), want, "{steps:?}");
        }
    }

    #[test]
    fn transient_only_when_every_failure_can_pass() {
        let failing = |codes: &[ErrorCode]| Report {
            actions: vec![],
            derived: None,
            lifecycle: None,
            event_id: None,
            identity: Identity::default(),
            outcome: Outcome::Failed,
            dry_run: false,
            error: None,
            stale_after: None,
            steps: codes
                .iter()
                .map(|c| Step {
                    error: Some(ReportError {
                        code: *c,
                        message: String::new(),
                    }),
                    ..step(StepStatus::Failed)
                })
                .collect(),
            audit: vec![],
            plan: vec![],
            warnings: vec![],
            verification: vec![],
            api_calls: 0,
            retries: 0,
            started_at: String::new(),
            duration_ms: 0,
        };
        assert!(failing(&[ErrorCode::AtlassianError, ErrorCode::Transport]).is_transient_failure());
        assert!(!failing(&[ErrorCode::AtlassianError, ErrorCode::Rejected]).is_transient_failure());
        assert!(!failing(&[ErrorCode::OwnershipConflict]).is_transient_failure());
        assert!(!failing(&[]).is_transient_failure());
        assert!(failing(&[ErrorCode::WorkerBusy]).is_transient_failure());
        assert!(failing(&[ErrorCode::LedgerUnavailable]).is_transient_failure());
        assert!(!failing(&[ErrorCode::StaleEvent]).is_transient_failure());
        assert!(failing(&[ErrorCode::EarlierEventFailed]).is_transient_failure());
    }

    #[test]
    fn action_names_round_trip() {
        assert_eq!(
            ActionKind::parse("deprovision-identity"),
            Some(ActionKind::DeprovisionIdentity)
        );
        assert_eq!(
            serde_json::to_string(&ActionKind::SyncIdentities).unwrap(),
            "\"SYNC_IDENTITIES\""
        );
        assert_eq!(ActionKind::parse("NOPE"), None);
    }

    #[test]
    fn code_and_outcome_names_are_what_serde_writes() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        for outcome in Outcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("rejected"), None);
    }
}
