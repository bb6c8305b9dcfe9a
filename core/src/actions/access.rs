//! Directory-level access through the Admin API: suspending an account that
//! has no SCIM record to deactivate (a leaver), and restoring it (a rehire),
//! in every directory the account belongs to.

use serde_json::json;

use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::admin::directories::Directory;
use crate::ids::AccountId;
use crate::report::{StepStatus, System};
use crate::transport::ApiError;

/// The organization's Admin directories, from the engine's warm cache or read.
pub(crate) async fn org_directories(ctx: &Ctx) -> Result<Vec<Directory>, ApiError> {
    let now = ctx.t.now_ms();
    if let Some(d) = ctx.cache.directories(now) {
        return Ok(d);
    }
    let d = ctx.admin().directories(None).await?;
    ctx.cache.put_directories(d.clone(), now);
    Ok(d)
}

/// The directories `account` belongs to. An organization with a single
/// Admin directory holds every account its Admin search finds (the only
/// accounts this is asked for) there, so the cached list answers; otherwise
/// they are listed for the account.
async fn directories_of(ctx: &Ctx, account: &AccountId) -> Result<Vec<Directory>, ApiError> {
    let org = org_directories(ctx).await?;
    if org.len() == 1 {
        return Ok(org);
    }
    ctx.admin().directories(Some(account)).await
}

/// Suspends (`true`) or restores (`false`) the account in each of its
/// directories. True when no step failed.
pub(crate) async fn set_suspended(
    ctx: &Ctx,
    label: &str,
    account: &AccountId,
    suspend: bool,
) -> bool {
    let (operation, verb, audit) = if suspend {
        ("suspend_user", "suspend", "user.suspended")
    } else {
        ("restore_access", "restore", "user.restored")
    };
    let directories = match directories_of(ctx, account).await {
        Ok(d) => d,
        Err(e) => {
            ctx.record(
                step(
                    label,
                    operation,
                    StepStatus::Failed,
                    "could not find the account's directories",
                )
                .via(System::Admin)
                .failed(&e),
            );
            return false;
        }
    };
    let mut all_done = true;
    for d in directories {
        let result = ctx
            .admin()
            .set_suspended(&d.directory_id, account, suspend)
            .await;
        let detail = format!("{verb} access in directory {}", d.directory_id);
        let status = record_write(
            ctx,
            label,
            operation,
            System::Admin,
            result,
            WriteMeaning {
                done: &[204],
                no_change: &[],
            },
            &detail,
        );
        if matches!(status, StepStatus::Done | StepStatus::Planned) {
            ctx.audit(
                audit,
                label,
                Some(json!({"suspended": !suspend})),
                Some(json!({"suspended": suspend, "directory": d.directory_id})),
            );
        }
        all_done &= status != StepStatus::Failed;
    }
    all_done
}
