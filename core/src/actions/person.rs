//! The person whose memberships change, as far as this call knows them:
//! found, created by this call, or — in a dry run — still to be created.

use futures::lock::Mutex;

use super::identity;
use super::Ctx;
use crate::ids::{AccountId, ScimUserId};
use crate::report::{ErrorCode, ReportError};
use crate::scim::users::ScimUser;

/// The person, named for steps and audit events, and where they stand.
#[derive(Debug)]
pub(crate) struct Person {
    pub label: String,
    pub state: State,
    /// Reactivated (or, in a dry run, planned to be) by this call: a rehire,
    /// whose grants go ahead although the records read before still say inactive.
    pub reactivated: bool,
}

/// Where the person stands in this call.
#[derive(Debug)]
pub(crate) enum State {
    /// Found in SCIM, the Admin directory or both.
    Existing {
        scim_user: Option<ScimUser>,
        account: Account,
        /// The Admin `status` (`active`, `suspended`, `for_deletion`, ...), when read.
        admin_status: Option<String>,
    },
    /// Created by this call: no memberships yet, and Admin may lag behind.
    Created { user: ScimUser, account: Account },
    /// Created only when the plan runs (dry run): Atlassian has assigned no ids.
    Planned,
}

/// The person's Atlassian account id: known, or looked up once for the whole
/// call (the result, failure included, is kept so that each Admin-routed
/// group does not search — or, for a fresh user, poll — again).
#[derive(Debug, Default)]
pub(crate) struct Account {
    known: Option<AccountId>,
    looked_up: Mutex<Option<Result<AccountId, ReportError>>>,
}

impl Account {
    pub fn new(known: Option<AccountId>) -> Self {
        Account {
            known,
            looked_up: Mutex::new(None),
        }
    }

    /// The id as first known, without a look-up.
    pub fn known(&self) -> Option<&AccountId> {
        self.known.as_ref()
    }

    /// The id, searching the Admin API for `user` at most once per call.
    async fn resolve(
        &self,
        ctx: &Ctx,
        user: Option<&ScimUser>,
        fresh: bool,
    ) -> Result<AccountId, ReportError> {
        if let Some(a) = &self.known {
            return Ok(a.clone());
        }
        // An async lock: the other groups wait for the one look-up in progress.
        let mut looked_up = self.looked_up.lock().await;
        if let Some(result) = looked_up.as_ref() {
            return result.clone();
        }
        let result = match user {
            Some(u) => identity::account_id(ctx, u, fresh).await,
            None => Err(ReportError {
                code: ErrorCode::UserNotFound,
                message: "no Atlassian account id for this user".into(),
            }),
        };
        *looked_up = Some(result.clone());
        result
    }
}

/// How long after its SCIM create an account counts as fresh: a 404 from
/// the Admin API for it is then taken as lag and waited out. Atlassian
/// documents no bound on the lag; minutes is the safe reading (waiting costs
/// time within the deadline, not a wrong write).
pub(crate) const FRESH_FOR_MS: i64 = 10 * 60 * 1000;

/// How a dry-run plan names an id that Atlassian assigns only when the
/// planned create runs: angle brackets cannot occur in a real id, so no one
/// mistakes it for one.
fn planned_id(what: &str) -> String {
    format!("<{what} of the user this plan creates>")
}

impl Person {
    /// A person found by look-ups.
    pub fn existing(
        label: String,
        scim_user: Option<ScimUser>,
        account: Option<AccountId>,
        admin_status: Option<String>,
    ) -> Self {
        Person {
            label,
            state: State::Existing {
                scim_user,
                account: Account::new(account),
                admin_status,
            },
            reactivated: false,
        }
    }

    /// A person this call created.
    pub fn created(label: String, user: ScimUser) -> Self {
        let account = Account::new(user.account_id());
        Person {
            label,
            state: State::Created { user, account },
            reactivated: false,
        }
    }

    /// A person the plan would create.
    pub fn planned(label: String) -> Self {
        Person {
            label,
            state: State::Planned,
            reactivated: false,
        }
    }

    /// True when the person has no memberships to read: created by this
    /// call, or to be created by the plan.
    pub fn is_new(&self) -> bool {
        !matches!(self.state, State::Existing { .. })
    }

    /// The SCIM record, when there is one.
    pub fn scim_user(&self) -> Option<&ScimUser> {
        match &self.state {
            State::Existing { scim_user, .. } => scim_user.as_ref(),
            State::Created { user, .. } => Some(user),
            State::Planned => None,
        }
    }

    /// The SCIM user id to write with: the real one, or the plan's name for
    /// the one the planned create will get. `None`: no SCIM record.
    pub fn scim_id(&self) -> Option<ScimUserId> {
        match &self.state {
            State::Planned => Some(ScimUserId::new(planned_id("SCIM id"))),
            _ => self.scim_user().map(|u| u.id.clone()),
        }
    }

    /// The account id to write with, looked up (once) when not yet known.
    pub async fn account_id(&self, ctx: &Ctx) -> Result<AccountId, ReportError> {
        match &self.state {
            State::Planned => Ok(AccountId::new(planned_id("account id"))),
            State::Existing {
                scim_user, account, ..
            } => account.resolve(ctx, scim_user.as_ref(), false).await,
            State::Created { user, account } => account.resolve(ctx, Some(user), true).await,
        }
    }

    /// The account id as known without a look-up.
    pub fn known_account(&self) -> Option<&AccountId> {
        match &self.state {
            State::Existing { account, .. } | State::Created { account, .. } => account.known(),
            State::Planned => None,
        }
    }

    /// True when Atlassian may not show the account everywhere yet: created
    /// by this call, or by SCIM within [`FRESH_FOR_MS`] of `now_ms`.
    pub fn is_fresh(&self, now_ms: u64) -> bool {
        match &self.state {
            State::Created { .. } => true,
            State::Planned => false,
            State::Existing { scim_user, .. } => scim_user
                .as_ref()
                .and_then(ScimUser::created_ms)
                .is_some_and(|c| (now_ms as i64).saturating_sub(c) < FRESH_FOR_MS),
        }
    }

    /// The Admin status, when it was read.
    pub fn admin_status(&self) -> Option<&str> {
        match &self.state {
            State::Existing { admin_status, .. } => admin_status.as_deref(),
            _ => None,
        }
    }
}
