//! `DELETE_IDENTITY`: permanent, irreversible, opt-in. Memberships are removed,
//! the SCIM record is deleted (which unlinks the account), then — where
//! `delete_accounts` is on — the account itself is deleted through the
//! user-management API (Atlassian keeps it cancellable for 14 days).
//! The engine refuses the action before any call unless `allow_delete` is set.

use serde_json::json;

use super::deprovision::{load_with_owners, remove_all};
use super::identity::{self, Ownership};
use super::person::Person;
use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::event::RemovalInput;
use crate::ids::AccountId;
use crate::report::{ErrorCode, ReportError, StepStatus, System};
use crate::transport::Sent;

/// Runs the action.
pub(crate) async fn run(ctx: &Ctx, input: &RemovalInput) {
    let label = identity::label(&input.worker);
    let (loaded, owners) = load_with_owners(ctx, input).await;
    let Ok(loaded) = loaded else {
        return;
    };
    let Some((person, memberships, ownership)) = loaded else {
        identity::record_not_found(ctx, &input.worker, "delete");
        return;
    };
    if !ownership_allows(ctx, input, &person, ownership.as_ref()) {
        return;
    }
    if !remove_all(ctx, &person, &memberships, &owners).await {
        // Deleting now would drop whatever the refused or failed removals
        // left behind out of the record that shows it: stop, and say so.
        ctx.record(step(
            &label,
            "delete_user",
            StepStatus::Skipped,
            "not attempted: a membership removal was refused (LCM_MAX_REMOVALS) or failed, so nothing was deleted; fix that and send the purge again",
        ));
        return;
    }
    let scim_gone = delete_scim_record(ctx, &label, &person).await;
    if !ctx.config().safety().delete_accounts() {
        if person.known_account().is_some() {
            ctx.warn(format!(
                "{label}: the Atlassian account is kept (LCM_DELETE_ACCOUNTS is off)"
            ));
        }
        return;
    }
    delete_account(ctx, &label, &person, scim_gone).await;
}

/// Deletion is irreversible, so it needs ownership proven: the SCIM
/// record's `externalId` equals the input's `hrId`. Anything else (another
/// provisioner's record, an unclaimed one, one the input gives no `hrId` to
/// compare with, an account with no SCIM record at all) is deleted only with
/// `options.force`, and a warning. An Admin-only account with nothing left
/// to delete (account deletion off, or already scheduled) needs no proof:
/// removing its memberships is what a leaver does, and a replayed purge
/// stays `no_change`.
fn ownership_allows(
    ctx: &Ctx,
    input: &RemovalInput,
    person: &Person,
    ownership: Option<&Ownership>,
) -> bool {
    let label = &person.label;
    let nothing_to_delete =
        !ctx.config().safety().delete_accounts() || person.admin_status() == Some("for_deletion");
    let why = match ownership {
        None if nothing_to_delete => return true,
        Some(Ownership::Ours) => return true,
        Some(Ownership::Foreign(owner)) => format!("the SCIM user's externalId is `{owner}`: another provisioner owns it"),
        Some(Ownership::Unverified(owner)) => format!("the SCIM user's externalId is `{owner}` and the input gives no hrId to prove it is ours"),
        Some(Ownership::Unclaimed) => "the SCIM user has no externalId, so no hrId proves it is ours".to_string(),
        None => "the account has no SCIM record (Admin only), so no hrId proves it is ours".to_string(),
    };
    if input.force {
        ctx.warn(format!(
            "{label}: {why}; deleted because options.force was set"
        ));
        return true;
    }
    ctx.record(
        step(label, "delete_user", StepStatus::Failed, "").error(ReportError {
            code: ErrorCode::OwnershipConflict,
            message: format!("{why}; nothing was deleted (set options.force to delete anyway)"),
        }),
    );
    false
}

/// Deletes the SCIM record, if there is one. True when it is gone or its
/// deletion is planned (there was none, or the delete did not fail).
async fn delete_scim_record(ctx: &Ctx, label: &str, person: &Person) -> bool {
    let Some(id) = person.scim_user().map(|u| &u.id) else {
        return true;
    };
    let result = ctx.scim().delete_user(id).await;
    let status = record_write(
        ctx,
        label,
        "delete_scim_user",
        System::Scim,
        result,
        WriteMeaning {
            done: &[204, 200],
            no_change: &[404],
        },
        "delete the SCIM record (unlinks the account)",
    );
    if matches!(status, StepStatus::Done | StepStatus::Planned) {
        ctx.audit(
            "user.scim_deleted",
            label,
            Some(json!({"scimUserId": id})),
            None,
        );
    }
    status != StepStatus::Failed
}

/// Deletes the Atlassian account through the user-management API, once the
/// SCIM record no longer holds it (`scim_gone`) and Atlassian allows it.
async fn delete_account(ctx: &Ctx, label: &str, person: &Person, scim_gone: bool) {
    let Some(account) = person.known_account() else {
        return;
    };
    let not_now = |status, detail| {
        ctx.record(step(label, "delete_account", status, detail).via(System::UserManagement));
    };
    if person.admin_status() == Some("for_deletion") {
        return not_now(StepStatus::NoChange, "already scheduled for deletion");
    }
    if !scim_gone {
        return not_now(
            StepStatus::Skipped,
            "not attempted: the SCIM record is still linked",
        );
    }
    if !deletion_allowed(ctx, label, account).await {
        return;
    }
    let result = ctx.um().delete_account(account).await;
    let status = match result {
        Ok(Sent::Response(r)) if r.status == 409 => {
            let mut s = step(label, "delete_account", StepStatus::Failed, "")
                .via(System::UserManagement)
                .failed(&r.error(System::UserManagement));
            s.error = Some(ReportError {
                code: ErrorCode::Conflict,
                message: s.error.map(|e| e.message).unwrap_or_default(),
            });
            ctx.record(s);
            StepStatus::Failed
        }
        other => record_write(
            ctx,
            label,
            "delete_account",
            System::UserManagement,
            other,
            WriteMeaning {
                done: &[200, 204],
                no_change: &[404],
            },
            "delete the Atlassian account (14-day grace)",
        ),
    };
    if matches!(status, StepStatus::Done | StepStatus::Planned) {
        ctx.audit(
            "account.deleted",
            label,
            Some(json!({"accountId": account})),
            Some(json!({"status": "for_deletion"})),
        );
    }
}

/// Asks Atlassian whether the account may be deleted; a refusal (or an
/// account already gone) is recorded and `false` returned.
async fn deletion_allowed(ctx: &Ctx, label: &str, account: &AccountId) -> bool {
    let privilege = match ctx.um().delete_privilege(account).await {
        Ok(p) => p,
        Err(e) if e.status == Some(404) => {
            ctx.record(
                step(
                    label,
                    "delete_account",
                    StepStatus::NoChange,
                    "the account no longer exists",
                )
                .via(System::UserManagement),
            );
            return false;
        }
        Err(e) => {
            ctx.record(
                step(
                    label,
                    "delete_account",
                    StepStatus::Failed,
                    "could not check the delete privilege",
                )
                .via(System::UserManagement)
                .failed(&e),
            );
            return false;
        }
    };
    let reason = privilege.reason.as_ref().map(|r| r.key.as_str());
    // In a dry run the SCIM record still exists, so Atlassian reports the
    // account as SCIM-managed; after the planned SCIM delete it would not be.
    let planned_unlink = ctx.dry_run() && reason == Some("externalDirectory.scim");
    if privilege.allowed || planned_unlink {
        return true;
    }
    ctx.record(
        step(label, "delete_account", StepStatus::Failed, "")
            .via(System::UserManagement)
            .error(ReportError {
                code: ErrorCode::Forbidden,
                message: format!(
                    "Atlassian does not allow deleting this account (reason: {})",
                    reason.unwrap_or("not given")
                ),
            }),
    );
    false
}
