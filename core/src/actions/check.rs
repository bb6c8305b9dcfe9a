//! `CHECK`: do the credentials work, do both directories resolve, and through
//! which system would each named group be changed? Do the product sites and
//! the Bitbucket workspace answer with the product credentials? Reads only.

use super::groups::{self, Route};
use super::{step, Ctx, StepExt};
use crate::admin::directories::Directory;
use crate::report::{StepStatus, System};
use crate::transport::ApiError;

/// Runs the check.
pub(crate) async fn run(ctx: &Ctx, names: &[String]) {
    // A check asks Atlassian, never the warm cache (it is there to prove the
    // keys work), and leaves what it read in the cache for the calls after.
    let (scim_api, admin_api) = (ctx.scim(), ctx.admin());
    let (scim, admin, ()) = futures::join!(
        scim_api.probe(),
        admin_api.directories(None),
        crate::products::check::run(ctx)
    );
    if let Ok(dirs) = &admin {
        ctx.cache.put_directories(dirs.clone(), ctx.t.now_ms());
    }
    for name in names {
        ctx.cache.drop_group(name);
    }
    record_scim(ctx, scim);
    record_admin(ctx, admin);
    groups::resolve(ctx, names).await;
    for name in names {
        record_route(ctx, name);
    }
}

/// Records whether the SCIM API key works.
fn record_scim(ctx: &Ctx, scim: Result<u32, ApiError>) {
    let scim_target = format!(
        "SCIM directory {}",
        ctx.config().credentials().scim_directory_id()
    );
    match scim {
        Ok(total) => ctx.record(
            step(
                &scim_target,
                "check_scim",
                StepStatus::Passed,
                format!("the SCIM API key works; {total} users in the directory"),
            )
            .via(System::Scim),
        ),
        Err(e) => ctx.record(
            step(
                &scim_target,
                "check_scim",
                StepStatus::Failed,
                "the SCIM API did not answer as expected",
            )
            .via(System::Scim)
            .failed(&e),
        ),
    }
}

/// Records whether the organization API key works and which directories it
/// sees; an organization with none is a failure, as nothing could be changed.
fn record_admin(ctx: &Ctx, admin: Result<Vec<Directory>, ApiError>) {
    let org_target = format!("organization {}", ctx.config().credentials().org_id());
    match admin {
        Ok(dirs) if dirs.is_empty() => ctx.record(
            step(&org_target, "check_admin", StepStatus::Failed, "")
                .via(System::Admin)
                .error(crate::report::ReportError {
                    code: crate::report::ErrorCode::NotFound,
                    message: "the Admin API lists no directory for this organization".into(),
                }),
        ),
        Ok(dirs) => {
            let ids: Vec<String> = dirs.iter().map(directory_label).collect();
            ctx.record(
                step(
                    &org_target,
                    "check_admin",
                    StepStatus::Passed,
                    format!(
                        "the organization API key works; Admin directories: {}",
                        ids.join(", ")
                    ),
                )
                .via(System::Admin),
            );
        }
        Err(e) => ctx.record(
            step(
                &org_target,
                "check_admin",
                StepStatus::Failed,
                "the Admin API did not answer as expected",
            )
            .via(System::Admin)
            .failed(&e),
        ),
    }
}

/// A directory as the report names it: its id, then its name if it has one.
fn directory_label(d: &Directory) -> String {
    format!(
        "{}{}",
        d.directory_id,
        d.name
            .as_ref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    )
}

/// Records through which system the group `name` would be changed.
fn record_route(ctx: &Ctx, name: &str) {
    let target = format!("group {name}");
    match groups::get(ctx, name) {
        Ok(g) => {
            let how = match &g.route {
                Route::Admin { directory, .. } => format!("admin-managed: memberships change through the Admin API (directory {directory})"),
                Route::Scim { .. } => "synced from an identity provider: memberships change through SCIM".to_string(),
            };
            ctx.record(
                step(target, "resolve_group", StepStatus::Passed, how).via(g.route.system()),
            );
        }
        Err(e) => ctx.record(step(target, "resolve_group", StepStatus::Failed, "").error(e)),
    }
}
