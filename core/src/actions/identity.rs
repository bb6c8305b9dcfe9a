//! Finding the person: SCIM by `externalId` (our HR id) first, then by
//! `userName` (the work e-mail); who owns the record; and the Atlassian
//! account id behind it — from the SCIM extension, or else from the Admin
//! user search, which may lag behind a fresh create.

use std::time::Duration;

use super::{step, Ctx, StepExt};
use crate::admin::users::AdminUser;
use crate::event::Worker;
use crate::ids::{AccountId, Email};
use crate::report::{ErrorCode, ReportError, StepStatus, System};
use crate::scim::users::ScimUser;
use crate::transport::{ApiError, Sent};

/// Who holds the SCIM record's `externalId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ownership {
    /// Our HR id.
    Ours,
    /// Empty: we may adopt it.
    Unclaimed,
    /// Another provisioner's id.
    Foreign(String),
    /// Set, but the input gave no HR id to compare it with.
    Unverified(String),
}

/// The SCIM user found for a worker, and how it was found.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub user: ScimUser,
    pub ownership: Ownership,
}

/// How a person is named in steps and audit events.
pub(crate) fn label(worker: &Worker) -> String {
    match (&worker.email, &worker.hr_id) {
        (Some(e), _) => format!("user {e}"),
        (None, Some(h)) => format!("user hrId={h}"),
        (None, None) => "user".to_string(),
    }
}

/// Records that a leaver or purge found the worker in neither system. The
/// outcome stays `no_change`, but the `find_user` step carries the code
/// `not_found`, so a host can count events for nobody (a typo in the HR
/// feed, or a leaver that overtook its joiner).
pub(crate) fn record_not_found(ctx: &Ctx, worker: &Worker, nothing_to: &str) {
    let detail = format!("no such user in SCIM or the Admin directory: nothing to {nothing_to}");
    let mut s = step(label(worker), "find_user", StepStatus::NoChange, detail);
    s.error = Some(ReportError {
        code: ErrorCode::NotFound,
        message: "the worker is in neither SCIM nor the Admin directory (by hrId or work e-mail)"
            .into(),
    });
    ctx.record(s);
}

/// Looks the worker up in SCIM. A failed lookup is recorded as a failed step
/// and returned as `Err`, so the caller stops without writing.
pub(crate) async fn find(ctx: &Ctx, worker: &Worker) -> Result<Option<Found>, ()> {
    let result = find_inner(ctx, worker).await;
    match result {
        Ok(found) => {
            if let Some(f) = &found {
                ctx.identity(|i| {
                    i.scim_user_id = Some(f.user.id.to_string());
                    i.account_id = f
                        .user
                        .account_id()
                        .map(|a| a.to_string())
                        .or(i.account_id.take());
                    i.email.get_or_insert_with(|| f.user.user_name.clone());
                });
            }
            Ok(found)
        }
        Err(e) => {
            ctx.record(
                step(
                    label(worker),
                    "find_user",
                    StepStatus::Failed,
                    "could not look the user up in SCIM",
                )
                .via(System::Scim)
                .failed(&e),
            );
            Err(())
        }
    }
}

async fn find_inner(ctx: &Ctx, worker: &Worker) -> Result<Option<Found>, ApiError> {
    let scim = ctx.scim();
    // Both look-ups at once, one round trip instead of two: the e-mail's
    // answer counts only when the HR id finds nobody (and so does its error).
    let by_hr = async {
        match &worker.hr_id {
            Some(hr) => scim.find_user("externalId", hr.as_str()).await,
            None => Ok(None),
        }
    };
    let by_email = async {
        match &worker.email {
            Some(email) => scim.find_user("userName", email.as_str()).await,
            None => Ok(None),
        }
    };
    let (by_hr, by_email) = futures::join!(by_hr, by_email);
    let user = match by_hr? {
        Some(u) => Some(u),
        None => by_email?,
    };
    Ok(user.map(|user| {
        let ownership = match (
            user.external_id.as_deref().filter(|s| !s.is_empty()),
            &worker.hr_id,
        ) {
            (None, _) => Ownership::Unclaimed,
            (Some(x), Some(hr)) if x == hr.as_str() => Ownership::Ours,
            (Some(x), Some(_)) => Ownership::Foreign(x.to_string()),
            (Some(x), None) => Ownership::Unverified(x.to_string()),
        };
        Found { user, ownership }
    }))
}

/// The Admin view of the person, by account id when known, else by e-mail.
pub(crate) async fn admin_user(
    ctx: &Ctx,
    account: Option<&AccountId>,
    email: Option<&Email>,
) -> Result<Option<AdminUser>, ApiError> {
    let admin = ctx.admin();
    if let Some(a) = account {
        if let Some(u) = admin.find_user_by_id(a).await? {
            return Ok(Some(u));
        }
    }
    match email {
        Some(e) => admin.find_user(e).await,
        None => Ok(None),
    }
}

/// Delays between tries for an account SCIM just created that Atlassian
/// does not show yet (an Admin search that misses it, a membership write or
/// SCIM group PATCH answered 404). Atlassian documents no bound on the lag,
/// so we try for about half a minute, within the call's deadline.
const VISIBILITY_BACKOFF_MS: [u64; 7] = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000];

/// Sends a grant for a `fresh` account again while it answers 404 (the
/// account not visible yet), with [`VISIBILITY_BACKOFF_MS`], within the
/// deadline; returns the last answer, so a 404 that outlasts the wait is
/// reported as it came, with the attempts it took.
pub(crate) async fn while_hidden<F, Fut>(
    ctx: &Ctx,
    fresh: bool,
    mut send: F,
) -> Result<Sent, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Sent, ApiError>>,
{
    let mut attempts = 0;
    let mut delays = VISIBILITY_BACKOFF_MS.iter().filter(|_| fresh);
    loop {
        let result = send().await;
        let hidden = match &result {
            Ok(Sent::Response(r)) => r.status == 404,
            Ok(Sent::Planned) => false,
            Err(e) => e.status == Some(404),
        };
        let wait = delays.next().filter(|_| hidden);
        let waited = match wait {
            Some(ms) => ctx.t.pause(Duration::from_millis(*ms)).await,
            None => false,
        };
        if !waited {
            return with_attempts(result, attempts);
        }
        attempts += result_attempts(&result);
    }
}

fn result_attempts(result: &Result<Sent, ApiError>) -> u32 {
    match result {
        Ok(Sent::Response(r)) => r.attempts,
        Ok(Sent::Planned) => 0,
        Err(e) => e.attempts,
    }
}

/// The last answer, counting the requests of the tries before it too.
fn with_attempts(result: Result<Sent, ApiError>, before: u32) -> Result<Sent, ApiError> {
    match result {
        Ok(Sent::Response(mut r)) => {
            r.attempts += before;
            Ok(Sent::Response(r))
        }
        Err(mut e) => {
            e.attempts += before;
            Err(e)
        }
        planned => planned,
    }
}

/// The account id of a SCIM user: the extension if present, else the Admin
/// search by e-mail, retried with backoff when the user is `fresh`.
pub(crate) async fn account_id(
    ctx: &Ctx,
    user: &ScimUser,
    fresh: bool,
) -> Result<AccountId, ReportError> {
    if let Some(a) = user.account_id() {
        return Ok(a);
    }
    let email = Email::parse(&user.user_name).map_err(|e| ReportError {
        code: ErrorCode::UnexpectedResponse,
        message: e.0,
    })?;
    let delays: &[u64] = if fresh { &VISIBILITY_BACKOFF_MS } else { &[] };
    let mut attempt = 0;
    loop {
        match ctx.admin().find_user(&email).await {
            Ok(Some(u)) => {
                ctx.identity(|i| i.account_id = Some(u.account_id.to_string()));
                return Ok(u.account_id);
            }
            Ok(None) => {}
            Err(e) => return Err(e.to_report()),
        }
        let Some(wait) = delays.get(attempt) else {
            break;
        };
        attempt += 1;
        if !ctx.t.pause(Duration::from_millis(*wait)).await {
            break;
        }
    }
    Err(ReportError {
        code: ErrorCode::UserNotFound,
        message: format!(
            "the Atlassian account for {} is not visible in the Admin API yet{}; replay the event later",
            user.user_name,
            if fresh { " (waited for it after creating the user)" } else { "" }
        ),
    })
}
