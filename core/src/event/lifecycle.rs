//! The lifecycles and the one table of what each does (DESIGN §3). Planning
//! ([`plan_lifecycle`]) and the description hosts publish (`capabilities`)
//! both read [`LIFECYCLES`], so they cannot drift apart.

use serde::Serialize;

use super::request::{ActionCall, RelationshipsInput, RemovalInput, SyncInput};
use super::validate::{check_scope, require_identity, ParsedAccess};
use super::wire::OptionsWire;
use super::InputError;
use crate::report::ActionKind;
use crate::worker::Worker;

/// The HR lifecycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    /// Someone joined.
    Joiner,
    /// Someone moved (attributes or access changed).
    Mover,
    /// Someone came back.
    Rehire,
    /// Someone left.
    Leaver,
    /// Someone must be erased.
    Purge,
}

impl Lifecycle {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.rule().name
    }

    /// The lifecycle with this wire name.
    pub fn parse(s: &str) -> Option<Lifecycle> {
        LIFECYCLES.iter().find(|r| r.name == s).map(|r| r.lifecycle)
    }

    /// Its row of [`LIFECYCLES`].
    pub fn rule(self) -> &'static LifecycleRule {
        // The table lists the lifecycles in declaration order (tested).
        &LIFECYCLES[self as usize]
    }
}

/// How `access.groups` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupMode {
    /// Join these groups.
    Add,
    /// Leave these groups.
    Remove,
    /// Be in exactly these groups, within the managed scope.
    Replace,
}

impl GroupMode {
    /// Every mode, in documentation order.
    pub const ALL: [GroupMode; 3] = [GroupMode::Add, GroupMode::Remove, GroupMode::Replace];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMode::Add => "add",
            GroupMode::Remove => "remove",
            GroupMode::Replace => "replace",
        }
    }

    /// The mode with this wire name.
    pub fn parse(s: &str) -> Option<GroupMode> {
        GroupMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// What one lifecycle does and accepts.
#[derive(Debug)]
pub struct LifecycleRule {
    /// The lifecycle.
    pub lifecycle: Lifecycle,
    /// Its wire name.
    pub name: &'static str,
    /// The actions it runs, in order (the membership change only with `access`).
    pub actions: &'static [ActionKind],
    /// The `options` keys the event accepts.
    pub options: &'static [&'static str],
    /// The `access.mode`s it accepts; empty when it takes no `access`. With
    /// exactly one, that mode is also the default.
    pub access_modes: &'static [GroupMode],
    /// The sync may create a missing user.
    pub allow_create: bool,
    /// The sync sets `active: true`.
    pub reactivate: bool,
}

const SYNC_THEN_GROUPS: &[ActionKind] =
    &[ActionKind::SyncIdentities, ActionKind::ManageRelationships];
const SYNC_OPTIONS: &[&str] = &["dryRun", "adopt", "verify"];

/// Every lifecycle, in declaration (and documentation) order.
pub const LIFECYCLES: [LifecycleRule; 5] = [
    LifecycleRule {
        lifecycle: Lifecycle::Joiner,
        name: "joiner",
        actions: SYNC_THEN_GROUPS,
        options: SYNC_OPTIONS,
        access_modes: &[GroupMode::Add],
        allow_create: true,
        reactivate: false,
    },
    LifecycleRule {
        lifecycle: Lifecycle::Mover,
        name: "mover",
        actions: SYNC_THEN_GROUPS,
        options: SYNC_OPTIONS,
        access_modes: &GroupMode::ALL,
        allow_create: false,
        reactivate: false,
    },
    LifecycleRule {
        lifecycle: Lifecycle::Rehire,
        name: "rehire",
        actions: SYNC_THEN_GROUPS,
        options: SYNC_OPTIONS,
        access_modes: &[GroupMode::Replace],
        allow_create: true,
        reactivate: true,
    },
    LifecycleRule {
        lifecycle: Lifecycle::Leaver,
        name: "leaver",
        actions: &[ActionKind::DeprovisionIdentity],
        options: &["dryRun", "verify"],
        access_modes: &[],
        allow_create: false,
        reactivate: false,
    },
    LifecycleRule {
        lifecycle: Lifecycle::Purge,
        name: "purge",
        actions: &[ActionKind::DeleteIdentity],
        options: &["dryRun", "force", "verify"],
        access_modes: &[],
        allow_create: false,
        reactivate: false,
    },
];

/// The pure mapping from a lifecycle to actions, read off its rule.
pub(super) fn plan_lifecycle(
    lifecycle: Lifecycle,
    worker: Worker,
    access: Option<ParsedAccess>,
    opts: &OptionsWire,
) -> Result<Vec<ActionCall>, InputError> {
    let rule = lifecycle.rule();
    if rule.access_modes.is_empty() && access.is_some() {
        return Err(InputError::new(
            "access",
            format!(
                "a {} event takes no `access`: it removes all access",
                rule.name
            ),
        ));
    }
    let syncs = rule.actions.contains(&ActionKind::SyncIdentities);
    require_identity(&worker, syncs)?;
    if rule.allow_create
        && worker.display_name.is_none()
        && (worker.given_name.is_none() || worker.family_name.is_none())
    {
        return Err(InputError::new(
            "worker.displayName",
            "a new user needs `displayName` or both `givenName` and `familyName`",
        ));
    }
    let force = opts.force.unwrap_or(false);
    let mut calls = Vec::new();
    for action in rule.actions {
        let call = match action {
            ActionKind::SyncIdentities => ActionCall::Sync(SyncInput {
                worker: worker.clone(),
                allow_create: rule.allow_create,
                reactivate: rule.reactivate,
                adopt: opts.adopt.unwrap_or(false),
            }),
            ActionKind::ManageRelationships => match &access {
                Some(access) => relationships(rule, &worker, access.clone())?,
                None => continue,
            },
            ActionKind::DeprovisionIdentity => ActionCall::Deprovision(RemovalInput {
                worker: worker.clone(),
                force,
            }),
            ActionKind::DeleteIdentity => ActionCall::Delete(RemovalInput {
                worker: worker.clone(),
                force,
            }),
            // No lifecycle lists CHECK; mapping it anyway keeps the match total.
            ActionKind::Check => ActionCall::Check { groups: Vec::new() },
        };
        calls.push(call);
    }
    Ok(calls)
}

/// The membership change of a lifecycle, in the mode its rule allows.
fn relationships(
    rule: &LifecycleRule,
    worker: &Worker,
    (groups, mode, scope): ParsedAccess,
) -> Result<ActionCall, InputError> {
    let mode = match (rule.access_modes, mode) {
        ([only], Some(m)) if *only != m => {
            return Err(InputError::new(
                "access.mode",
                format!("a {} event uses mode `{}`", rule.name, only.as_str()),
            ))
        }
        ([only], _) => *only,
        (_, m) => m.unwrap_or(GroupMode::Add),
    };
    check_scope(mode, &scope)?;
    Ok(ActionCall::Relationships(RelationshipsInput {
        worker: worker.clone(),
        groups,
        mode,
        scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order() {
        for (i, rule) in LIFECYCLES.iter().enumerate() {
            assert_eq!(rule.lifecycle as usize, i, "{}", rule.name);
            assert_eq!(Lifecycle::parse(rule.name), Some(rule.lifecycle));
        }
        assert_eq!(Lifecycle::parse("retiree"), None);
    }

    #[test]
    fn modes_round_trip() {
        for mode in GroupMode::ALL {
            assert_eq!(GroupMode::parse(mode.as_str()), Some(mode));
            assert_eq!(
                serde_json::to_value(mode).unwrap(),
                serde_json::json!(mode.as_str())
            );
        }
    }
}
