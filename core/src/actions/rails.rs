//! The rules a grant must pass before anything is sent for it: the group is
//! grantable (`LCM_PRIVILEGED_GROUPS`, `LCM_GRANTABLE_GROUPS`), and the
//! person is active. Removals pass neither test: removing access is the safe
//! direction, and only the protected-groups list holds a removal back.

use super::person::Person;
use super::{step, Ctx, StepExt};
use crate::config::Safety;
use crate::event::{GroupMode, RelationshipsInput};
use crate::report::{ErrorCode, ReportError, StepStatus};

/// Why `name` may not be granted, or `None` when it may.
pub(crate) fn refusal(safety: &Safety, name: &str) -> Option<ReportError> {
    if let Some(pattern) = safety.privileged_groups().matching(name) {
        return Some(ReportError {
            code: ErrorCode::GroupNotGrantable,
            message: format!("`{name}` matches `{pattern}` in LCM_PRIVILEGED_GROUPS: the connector never adds anyone to it; nothing was sent for it"),
        });
    }
    match safety.grantable_groups() {
        Some(allowed) if !allowed.matches(name) => Some(ReportError {
            code: ErrorCode::GroupNotGrantable,
            message: format!("`{name}` is not in LCM_GRANTABLE_GROUPS (names are matched exactly): the connector may not add anyone to it; nothing was sent for it"),
        }),
        _ => None,
    }
}

/// The group names of `input` worth resolving: a group that may not be
/// granted is never looked up for an add, so a refused name costs no call.
pub(crate) fn names_to_resolve(safety: &Safety, input: &RelationshipsInput) -> Vec<String> {
    if input.mode == GroupMode::Remove {
        return input.groups.clone();
    }
    input
        .groups
        .iter()
        .filter(|n| refusal(safety, n).is_none())
        .cloned()
        .collect()
}

/// Records a failed `add_membership` step for each group of `names` that may
/// not be granted, and returns the others.
pub(crate) fn grantable(ctx: &Ctx, names: &[String]) -> Vec<String> {
    let safety = ctx.config().safety();
    names
        .iter()
        .filter(|name| match refusal(safety, name) {
            Some(e) => {
                refuse(ctx, name, e);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// Why the person may not be given access now: a deactivated SCIM user or
/// a suspended Admin account, unless this very call reactivated them.
pub(crate) fn inactive(person: &Person) -> Option<ReportError> {
    if person.reactivated {
        return None;
    }
    let why = if person.scim_user().is_some_and(|u| !u.is_active()) {
        "the SCIM user is deactivated (active: false)"
    } else if matches!(
        person.admin_status(),
        Some("suspended" | "deactivated" | "for_deletion")
    ) {
        "the Atlassian account is suspended in the Admin directory"
    } else {
        return None;
    };
    Some(ReportError {
        code: ErrorCode::InactiveUser,
        message: format!("{why}: no access is added to an inactive user; send a rehire to reactivate them with their groups"),
    })
}

/// Records the refused grant of one group.
pub(crate) fn refuse(ctx: &Ctx, name: &str, error: ReportError) {
    ctx.record(
        step(
            format!("group {name}"),
            "add_membership",
            StepStatus::Failed,
            "",
        )
        .error(error),
    );
}
