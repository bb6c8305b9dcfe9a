//! `DEPROVISION_IDENTITY`: remove every group membership, then deactivate. The
//! account and its history are kept. A user owned by another provisioner is
//! still deprovisioned — removing a leaver's access is the safe direction —
//! and the report flags the mismatch.

use std::collections::HashSet;

use serde_json::json;

use super::groups::{self, ResolvedGroup, Route};
use super::identity::Ownership;
use super::owners::{self, AdminOwners};
use super::person::Person;
use super::relationships::{self, Memberships};
use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::event::RemovalInput;
use crate::report::{StepStatus, System};
use crate::scim::users::active_body;

/// Runs the action.
pub(crate) async fn run(ctx: &Ctx, input: &RemovalInput) {
    let (loaded, owners) = load_with_owners(ctx, input).await;
    let Ok(loaded) = loaded else {
        return;
    };
    let Some((person, memberships, ownership)) = loaded else {
        super::identity::record_not_found(ctx, &input.worker, "remove");
        return;
    };
    if let Some(Ownership::Foreign(owner)) = &ownership {
        // Flagged, not refused: removing a leaver's access is the safe direction.
        ctx.warn(format!(
            "{} is owned by another provisioner (externalId `{owner}`); deprovisioned anyway, since removing a leaver's access is the safe direction",
            person.label
        ));
    }
    remove_all(ctx, &person, &memberships, &owners).await;
    deactivate(ctx, &person).await;
}

/// The person and their memberships, and beside them (in the same round
/// trip) which system owns the organization's Admin groups.
pub(crate) async fn load_with_owners(
    ctx: &Ctx,
    input: &RemovalInput,
) -> (Result<Option<relationships::Loaded>, ()>, AdminOwners) {
    futures::join!(relationships::load(ctx, &input.worker), owners::read(ctx))
}

/// Removes every membership the person has, each through its owning system;
/// `owners` routes the Admin groups it shows managed in Admin, the rest are
/// resolved by name. True when none was refused (the removal cap) or failed.
pub(crate) async fn remove_all(
    ctx: &Ctx,
    person: &Person,
    memberships: &Memberships,
    owners: &AdminOwners,
) -> bool {
    let mut changes: Vec<(ResolvedGroup, bool)> = Vec::new();
    let mut seen = HashSet::new();
    // SCIM already named these groups with their SCIM ids: no look-up needed.
    for (id, name) in &memberships.scim {
        let name = name.clone().unwrap_or_else(|| id.to_string());
        seen.insert(name.clone());
        changes.push((
            ResolvedGroup {
                name,
                route: Route::Scim {
                    group: id.clone(),
                    admin_id: None,
                },
            },
            false,
        ));
    }
    let mut admin_names: Vec<String> = Vec::new();
    for (id, name) in &memberships.admin {
        let Some(name) = name else {
            ctx.warn(format!(
                "{} is in Admin group {id}, which has no name; it was not removed",
                person.label
            ));
            continue;
        };
        if seen.contains(name) {
            continue;
        }
        match owners.admin_route(ctx, id, name) {
            Some(g) => changes.push((g, false)),
            None => admin_names.push(name.clone()),
        }
    }
    groups::resolve(ctx, &admin_names).await;
    let mut all_resolved = true;
    for name in admin_names {
        match groups::get_or_record(ctx, &name, "remove_membership") {
            Some(g) => changes.push((g, false)),
            None => all_resolved = false,
        }
    }
    if changes.is_empty() {
        if all_resolved {
            ctx.record(step(
                &person.label,
                "remove_memberships",
                StepStatus::NoChange,
                "no group memberships",
            ));
        }
        return all_resolved;
    }
    relationships::apply(ctx, person, changes).await && all_resolved
}

/// Deactivates through SCIM (`active: false`, which keeps the record), or —
/// for an account without a SCIM record — suspends it in its Admin directories.
async fn deactivate(ctx: &Ctx, person: &Person) {
    let label = &person.label;
    if let Some(user) = person.scim_user() {
        if !user.is_active() {
            ctx.record(
                step(
                    label,
                    "deactivate_user",
                    StepStatus::NoChange,
                    "already deactivated",
                )
                .via(System::Scim),
            );
            return;
        }
        let result = ctx.scim().patch_user(&user.id, active_body(false)).await;
        let status = record_write(
            ctx,
            label,
            "deactivate_user",
            System::Scim,
            result,
            WriteMeaning {
                done: &[200, 204],
                no_change: &[],
            },
            "deactivate the user",
        );
        if matches!(status, StepStatus::Done | StepStatus::Planned) {
            ctx.audit(
                "user.deactivated",
                label,
                Some(json!({"active": true})),
                Some(json!({"active": false})),
            );
        }
        return;
    }
    let Some(account) = person.known_account() else {
        return;
    };
    if matches!(
        person.admin_status(),
        Some("suspended" | "deactivated" | "for_deletion")
    ) {
        ctx.record(
            step(
                label,
                "suspend_user",
                StepStatus::NoChange,
                "already without access",
            )
            .via(System::Admin),
        );
        return;
    }
    super::access::set_suspended(ctx, label, account, true).await;
}
