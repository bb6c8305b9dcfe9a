//! `DELETE_IDENTITY`: permanent, irreversible, opt-in. Memberships are removed,
//! the SCIM record is deleted (which unlinks the account), then — where
//! `delete_accounts` is on — the account itself is deleted through the
//! user-management API (Atlassian keeps it cancellable for 14 days).
//! The engine refuses the action before any call unless `allow_delete` is set.

use serde_json::json;

use super::deprovision::remove_all;
use super::identity::{self, Ownership};
use super::relationships;
use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::event::RemovalInput;
use crate::report::{ErrorCode, ReportError, StepStatus, System};
use crate::transport::Sent;

/// Runs the action.
pub(crate) async fn run(ctx: &Ctx, input: &RemovalInput) {
    let label = identity::label(&input.worker);
    let Ok(loaded) = relationships::load(ctx, &input.worker).await else {
        return;
    };
    let Some((person, memberships, ownership)) = loaded else {
        ctx.record(step(
            &label,
            "find_user",
            StepStatus::NoChange,
            "no such user in SCIM or the Admin directory: nothing to delete",
        ));
        return;
    };
    let refusal = match &ownership {
        Some(Ownership::Foreign(owner)) => Some(format!("the SCIM user's externalId is `{owner}`: another provisioner owns it")),
        // Deletion is irreversible: without an HR id to compare, ownership is not proven.
        Some(Ownership::Unverified(owner)) => Some(format!("the SCIM user's externalId is `{owner}` and the input gives no hrId to prove it is ours")),
        _ => None,
    };
    if let Some(why) = refusal {
        if !input.force {
            ctx.record(
                step(&label, "delete_user", StepStatus::Failed, "").error(ReportError {
                    code: ErrorCode::OwnershipConflict,
                    message: format!(
                        "{why}; nothing was deleted (set options.force to delete anyway)"
                    ),
                }),
            );
            return;
        }
        ctx.warn(format!(
            "{label}: {why}; deleted because options.force was set"
        ));
    }
    remove_all(ctx, &person, &memberships).await;

    let mut scim_deleted_or_planned = person.scim_id.is_none();
    if let Some(id) = &person.scim_id {
        let result = ctx.scim().delete_user(id).await;
        let status = record_write(
            ctx,
            &label,
            "delete_scim_user",
            System::Scim,
            result,
            WriteMeaning {
                done: &[204, 200],
                no_change: &[404],
            },
            "delete the SCIM record (unlinks the account)",
        );
        scim_deleted_or_planned = status != StepStatus::Failed;
        if matches!(status, StepStatus::Done | StepStatus::Planned) {
            ctx.audit(
                "user.scim_deleted",
                &label,
                Some(json!({"scimUserId": id})),
                None,
            );
        }
    }

    if !ctx.config().safety().delete_accounts() {
        if person.account.is_some() {
            ctx.warn(format!(
                "{label}: the Atlassian account is kept (LCM_DELETE_ACCOUNTS is off)"
            ));
        }
        return;
    }
    let Some(account) = person.account.clone() else {
        return;
    };
    if matches!(person.admin_status.as_deref(), Some("for_deletion")) {
        ctx.record(
            step(
                &label,
                "delete_account",
                StepStatus::NoChange,
                "already scheduled for deletion",
            )
            .via(System::UserManagement),
        );
        return;
    }
    if !scim_deleted_or_planned {
        ctx.record(
            step(
                &label,
                "delete_account",
                StepStatus::Skipped,
                "not attempted: the SCIM record is still linked",
            )
            .via(System::UserManagement),
        );
        return;
    }
    let privilege = match ctx.um().delete_privilege(&account).await {
        Ok(p) => p,
        Err(e) if e.status == Some(404) => {
            ctx.record(
                step(
                    &label,
                    "delete_account",
                    StepStatus::NoChange,
                    "the account no longer exists",
                )
                .via(System::UserManagement),
            );
            return;
        }
        Err(e) => {
            ctx.record(
                step(
                    &label,
                    "delete_account",
                    StepStatus::Failed,
                    "could not check the delete privilege",
                )
                .via(System::UserManagement)
                .failed(&e),
            );
            return;
        }
    };
    let reason = privilege.reason.as_ref().map(|r| r.key.as_str());
    // In a dry run the SCIM record still exists, so Atlassian reports the
    // account as SCIM-managed; after the planned SCIM delete it would not be.
    let planned_unlink = ctx.t.dry_run() && reason == Some("externalDirectory.scim");
    if !privilege.allowed && !planned_unlink {
        ctx.record(
            step(&label, "delete_account", StepStatus::Failed, "")
                .via(System::UserManagement)
                .error(ReportError {
                    code: ErrorCode::Forbidden,
                    message: format!(
                        "Atlassian does not allow deleting this account (reason: {})",
                        reason.unwrap_or("not given")
                    ),
                }),
        );
        return;
    }
    let result = ctx.um().delete_account(&account).await;
    let status = match result {
        Ok(Sent::Response(r)) if r.status == 409 => {
            let mut s = step(&label, "delete_account", StepStatus::Failed, "")
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
            &label,
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
            &label,
            Some(json!({"accountId": account})),
            Some(json!({"status": "for_deletion"})),
        );
    }
}
