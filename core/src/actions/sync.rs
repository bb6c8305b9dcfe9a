//! `SYNC_IDENTITIES`: create the user, or update exactly the attributes that
//! differ. A create answered 409 is looked up and adopted; a create whose
//! outcome is unknown is looked up before it is ever sent again.

use serde_json::{json, Value};

use super::identity::{self, Found, Ownership};
use super::person::Person;
use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::admin::users::AdminAnswer;
use crate::event::SyncInput;
use crate::report::{ErrorCode, ReportError, StepStatus, System};
use crate::scim::users::{active_body, patch_body, user_from, Created, DesiredUser, ScimUser};
use crate::transport::Sent;

/// The SCIM attributes HR wants for this worker.
pub fn desired(input: &SyncInput) -> DesiredUser {
    let w = &input.worker;
    DesiredUser {
        user_name: w.email.as_ref().map(|e| e.to_string()).unwrap_or_default(),
        external_id: w.hr_id.as_ref().map(|h| h.to_string()).unwrap_or_default(),
        profile: w.clone(),
    }
}

/// Runs the action; returns the person for a following membership change, or
/// `None` when the identity could not be established.
pub(crate) async fn run(ctx: &Ctx, input: &SyncInput) -> Option<Person> {
    let want = desired(input);
    let label = identity::label(&input.worker);
    ctx.identity(|i| {
        i.email = Some(want.user_name.clone());
        i.hr_id = Some(want.external_id.clone());
    });
    let found = identity::find(ctx, &input.worker).await.ok()?;
    let (user, fresh) = match found {
        Some(f) => (update(ctx, input, &want, &label, f).await?, false),
        None if !input.allow_create => {
            ctx.record(step(&label, "find_user", StepStatus::Failed, "").via(System::Scim).error(ReportError {
                code: ErrorCode::UserNotFound,
                message: "no SCIM user has this hrId or e-mail, and this event may not create one (send a joiner or rehire)".into(),
            }));
            return None;
        }
        None => match create(ctx, input, &want, &label).await? {
            CreateResult::Created(u) => (u, true),
            CreateResult::Existing(f) => (update(ctx, input, &want, &label, f).await?, false),
            CreateResult::Planned => return Some(Person::planned(label)),
        },
    };
    ctx.identity(|i| {
        i.scim_user_id = Some(user.id.to_string());
        if let Some(a) = user.account_id() {
            i.account_id = Some(a.to_string());
        }
    });
    // Handed on, so that a membership change need not look the user up again.
    let mut person = if fresh {
        Person::created(label, user)
    } else {
        let account = user.account_id();
        Person::existing(label, Some(user), account, None)
    };
    person.reactivated = input.reactivate;
    Some(person)
}

/// The end of a rehire's sync, once the SCIM user is active: lifts an Admin
/// suspension too. `ahead`: the Admin user as read beside the SCIM look-up,
/// which saves reading its status again. Leaves `person.reactivated` false
/// when the account may still be suspended.
pub(crate) async fn finish(
    ctx: &Ctx,
    input: &SyncInput,
    person: &mut Person,
    ahead: Option<&AdminAnswer>,
) {
    let account = person.scim_user().and_then(ScimUser::account_id);
    if let Some(account) = account.filter(|_| input.reactivate) {
        let known = match ahead {
            Some(Ok(Some(u))) if u.account_id == account => Some(u.status.as_deref()),
            _ => None,
        };
        person.reactivated = restore_access(ctx, &person.label, &account, known).await;
    }
}

enum CreateResult {
    Created(ScimUser),
    Existing(Found),
    Planned,
}

async fn create(
    ctx: &Ctx,
    input: &SyncInput,
    want: &DesiredUser,
    label: &str,
) -> Option<CreateResult> {
    // At most two sends: a second only after a look-up proved the first did not land.
    for round in 0..2 {
        match ctx.scim().create_user(want).await {
            Ok((Created::User(u), attempts)) => {
                let mut s = step(
                    label,
                    "create_user",
                    StepStatus::Done,
                    "created the SCIM user",
                )
                .via(System::Scim);
                s.http_status = Some(201);
                s.attempts = attempts;
                ctx.record(s);
                ctx.audit("user.created", label, None, Some(want.create_body()));
                return Some(CreateResult::Created(*u));
            }
            Ok((Created::Planned, _)) => {
                ctx.record(
                    step(
                        label,
                        "create_user",
                        StepStatus::Planned,
                        "would create the SCIM user",
                    )
                    .via(System::Scim),
                );
                ctx.audit("user.created", label, None, Some(want.create_body()));
                return Some(CreateResult::Planned);
            }
            Ok((Created::Conflict, attempts)) => {
                return match identity::find(ctx, &input.worker).await.ok()? {
                    Some(f) => {
                        let mut s = step(
                            label,
                            "create_user",
                            StepStatus::NoChange,
                            "the user already exists (HTTP 409); adopting it",
                        )
                        .via(System::Scim);
                        s.http_status = Some(409);
                        s.attempts = attempts;
                        ctx.record(s);
                        Some(CreateResult::Existing(f))
                    }
                    None => {
                        let mut s = step(label, "create_user", StepStatus::Failed, "").via(System::Scim).error(ReportError {
                            code: ErrorCode::Conflict,
                            message: "Atlassian answered 409 (user exists) but no SCIM user has this e-mail or hrId; a stale SCIM record may hold the address".into(),
                        });
                        s.http_status = Some(409);
                        ctx.record(s);
                        None
                    }
                };
            }
            Err(e) if e.code == ErrorCode::OutcomeUnknown && round == 0 => {
                ctx.warn(format!(
                    "creating {label}: {}; looked the user up before trying again",
                    e.message
                ));
                if let Some(f) = identity::find(ctx, &input.worker).await.ok()? {
                    return Some(CreateResult::Existing(f));
                }
            }
            Err(e) => {
                ctx.record(
                    step(label, "create_user", StepStatus::Failed, "")
                        .via(System::Scim)
                        .failed(&e),
                );
                return None;
            }
        }
    }
    None
}

/// Brings an existing user in line: ownership first, then the attributes
/// that differ, then (for a rehire) the active flag. Returns the user as it
/// now is, or `None` when a step failed.
async fn update(
    ctx: &Ctx,
    input: &SyncInput,
    want: &DesiredUser,
    label: &str,
    found: Found,
) -> Option<ScimUser> {
    let Found { user, ownership } = found;
    let set_external_id = may_write_external_id(ctx, input, want, label, &ownership)?;
    let current = update_attributes(ctx, want, label, user, set_external_id).await?;
    if input.reactivate && !current.is_active() {
        reactivate(ctx, label, &current).await?;
    } else if input.reactivate {
        ctx.record(
            step(
                label,
                "reactivate_user",
                StepStatus::NoChange,
                "already active",
            )
            .via(System::Scim),
        );
    } else if !current.is_active() {
        ctx.warn(format!(
            "{label} is deactivated; only a rehire reactivates a user"
        ));
    }
    Some(current)
}

/// Whether we may set our HR id on the record (`Some(true)`), or must stop
/// because another provisioner owns it (`None`, a failed step recorded).
fn may_write_external_id(
    ctx: &Ctx,
    input: &SyncInput,
    want: &DesiredUser,
    label: &str,
    ownership: &Ownership,
) -> Option<bool> {
    match ownership {
        Ownership::Ours => Some(true),
        Ownership::Unclaimed => {
            ctx.warn(format!(
                "{label} had no externalId; adopted it as hrId {}",
                want.external_id
            ));
            Some(true)
        }
        // Sync always has an HR id, so `Unverified` cannot arise; treated as foreign all the same.
        Ownership::Foreign(owner) | Ownership::Unverified(owner) if input.adopt => {
            ctx.warn(format!(
                "{label} belonged to another provisioner (externalId `{owner}`); adopted as told"
            ));
            Some(true)
        }
        Ownership::Foreign(owner) | Ownership::Unverified(owner) => {
            ctx.record(step(label, "update_user", StepStatus::Failed, "").via(System::Scim).error(ReportError {
                code: ErrorCode::OwnershipConflict,
                message: format!(
                    "the SCIM user's externalId is `{owner}`, not `{}`: another provisioner owns it; nothing was changed (set options.adopt to take it over)",
                    want.external_id
                ),
            }));
            None
        }
    }
}

/// PATCHes the attributes that differ (none: a no-change step). Returns the
/// user as Atlassian answered, or as it was when the answer carried none.
async fn update_attributes(
    ctx: &Ctx,
    want: &DesiredUser,
    label: &str,
    user: ScimUser,
    set_external_id: bool,
) -> Option<ScimUser> {
    let changes = want.diff(&user, set_external_id);
    if changes.is_empty() {
        ctx.record(
            step(
                label,
                "update_user",
                StepStatus::NoChange,
                "attributes already match",
            )
            .via(System::Scim),
        );
        return Some(user);
    }
    let side = |value: fn(&crate::scim::users::Change) -> Value| -> Value {
        changes
            .iter()
            .map(|c| (c.path.to_string(), value(c)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let before = side(|c| json!(c.before));
    let after = side(|c| json!(c.after));
    let paths: Vec<&str> = changes.iter().map(|c| c.path).collect();
    let result = ctx.scim().patch_user(&user.id, patch_body(&changes)).await;
    let mut current = user;
    if let Ok(Sent::Response(r)) = &result {
        if let Some(u) = user_from(r).filter(|_| r.is_success()) {
            // A PATCH changes no memberships: keep the groups read before,
            // for the membership step that follows.
            let groups = std::mem::take(&mut current.groups);
            current = u;
            if current.groups.is_empty() {
                current.groups = groups;
            }
        }
    }
    let status = record_write(
        ctx,
        label,
        "update_user",
        System::Scim,
        result,
        WriteMeaning {
            done: &[200, 204],
            no_change: &[],
        },
        &format!("update {}", paths.join(", ")),
    );
    if status == StepStatus::Failed {
        return None;
    }
    ctx.audit("user.updated", label, Some(before), Some(after));
    Some(current)
}

/// Sets `active: true` (a rehire). `None` when it failed.
async fn reactivate(ctx: &Ctx, label: &str, user: &ScimUser) -> Option<()> {
    let result = ctx.scim().patch_user(&user.id, active_body(true)).await;
    let status = record_write(
        ctx,
        label,
        "reactivate_user",
        System::Scim,
        result,
        WriteMeaning {
            done: &[200, 204],
            no_change: &[],
        },
        "reactivate the user",
    );
    if status == StepStatus::Failed {
        return None;
    }
    ctx.audit(
        "user.reactivated",
        label,
        Some(json!({"active": false})),
        Some(json!({"active": true})),
    );
    Some(())
}

/// A leaver without a SCIM record was suspended in the Admin directory; a
/// rehire lifts that too, or the reactivated SCIM user would still have no
/// access. False when the account may still be suspended (a step failed).
async fn restore_access(
    ctx: &Ctx,
    label: &str,
    account: &crate::ids::AccountId,
    status: Option<Option<&str>>,
) -> bool {
    let read = match status {
        Some(status) => Ok(status.map(str::to_string)),
        None => ctx
            .admin()
            .find_user_by_id(account)
            .await
            .map(|u| u.and_then(|u| u.status)),
    };
    let suspended = match read {
        Ok(status) => status.as_deref() == Some("suspended"),
        Err(e) => {
            ctx.record(
                step(
                    label,
                    "restore_access",
                    StepStatus::Failed,
                    "could not read the account's status",
                )
                .via(System::Admin)
                .failed(&e),
            );
            return false;
        }
    };
    !suspended || super::access::set_suspended(ctx, label, account, false).await
}
