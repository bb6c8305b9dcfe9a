//! `capabilities()`: what this connector can do, for tools that build forms
//! or check a deployment — each action with the JavaScript method that runs
//! it, the options it takes, the credentials it uses and whether this
//! configuration enables it; the lifecycles and the actions each maps to; and
//! every setting with its three spellings.
//!
//! The setting list comes from the engine ([`Key::ALL`]); the per-action table
//! restates the engine's documented behaviour (DESIGN §1, §3) because the
//! engine does not yet expose it as data.

use atlassian_lcm::config::Key;
use atlassian_lcm::{ActionKind, Config};
use serde::Serialize;

/// The whole description.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// Package version.
    pub version: &'static str,
    /// True when this configuration plans every action instead of running it
    /// (`dryRunOnly`).
    pub dry_run_only: bool,
    /// The actions.
    pub actions: Vec<ActionCapability>,
    /// The lifecycle events and the actions each runs.
    pub lifecycles: Vec<LifecycleCapability>,
    /// Every setting.
    pub settings: Vec<SettingCapability>,
}

/// One action.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionCapability {
    /// Wire name, e.g. `SYNC_IDENTITIES`.
    pub action: ActionKind,
    /// The `AtlassianLcm` method that runs it.
    pub method: &'static str,
    /// What it does.
    pub description: &'static str,
    /// The `options` keys its input accepts.
    pub options: &'static [&'static str],
    /// The settings holding the credentials it sends.
    pub credentials: &'static [&'static str],
    /// True when it can remove access.
    pub destructive: bool,
    /// False when this configuration refuses it.
    pub enabled: bool,
    /// The settings that enable it, when it is opt-in.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub requires: &'static [&'static str],
}

/// One lifecycle.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleCapability {
    /// `joiner`, `mover`, ...
    pub lifecycle: &'static str,
    /// The actions it runs, in order (a relationship change only with `access`).
    pub actions: &'static [ActionKind],
    /// The `access.mode`s it accepts (empty: it takes no `access`).
    pub access_modes: &'static [&'static str],
}

/// One setting.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingCapability {
    /// The JavaScript (camelCase) name.
    pub name: String,
    /// The environment variable.
    pub env: String,
    /// The snake_case name of files and secrets.
    pub snake: &'static str,
    /// A credential (never shown in errors or reports).
    pub secret: bool,
    /// Must be given.
    pub required: bool,
}

const BOTH_KEYS: &[&str] = &["scimToken", "adminApiKey"];

/// Describes the connector under `config`.
pub fn describe(config: &Config) -> Capabilities {
    use ActionKind::*;
    let action =
        |action, method, description, options, destructive, enabled, requires| ActionCapability {
            action,
            method,
            description,
            options,
            credentials: BOTH_KEYS,
            destructive,
            enabled,
            requires,
        };
    let actions = vec![
        action(
            SyncIdentities,
            "syncIdentities",
            "Create the user, or update the attributes that differ (SCIM /Users).",
            &["dryRun", "adopt", "create", "reactivate"][..],
            false,
            true,
            &[][..],
        ),
        action(
            ManageRelationships,
            "manageRelationships",
            "Add, remove or replace group memberships, groups named by display name (Admin API, or SCIM /Groups for groups synced from an identity provider).",
            &["dryRun"][..],
            true,
            true,
            &[][..],
        ),
        action(
            DeprovisionIdentity,
            "deprovisionIdentity",
            "Remove every group membership, then deactivate; the account and its history are kept.",
            &["dryRun", "force"][..],
            true,
            true,
            &[][..],
        ),
        action(
            DeleteIdentity,
            "deleteIdentity",
            "Permanent removal: memberships removed, the SCIM record deleted, then (with deleteAccounts) the account itself. Irreversible.",
            &["dryRun", "force"][..],
            true,
            config.safety.allow_delete,
            &["allowDelete"][..],
        ),
        action(
            Check,
            "check",
            "Health: the credentials work, the SCIM and Admin directories resolve, and named groups resolve with the system each would be changed through.",
            &["dryRun"][..],
            false,
            true,
            &[][..],
        ),
    ];
    let lifecycles = vec![
        LifecycleCapability {
            lifecycle: "joiner",
            actions: &[SyncIdentities, ManageRelationships],
            access_modes: &["add"],
        },
        LifecycleCapability {
            lifecycle: "mover",
            actions: &[SyncIdentities, ManageRelationships],
            access_modes: &["add", "remove", "replace"],
        },
        LifecycleCapability {
            lifecycle: "rehire",
            actions: &[SyncIdentities, ManageRelationships],
            access_modes: &["replace"],
        },
        LifecycleCapability {
            lifecycle: "leaver",
            actions: &[DeprovisionIdentity],
            access_modes: &[],
        },
        LifecycleCapability {
            lifecycle: "purge",
            actions: &[DeleteIdentity],
            access_modes: &[],
        },
    ];
    let settings = Key::ALL
        .iter()
        .map(|key| SettingCapability {
            name: key.camel(),
            env: key.env(),
            snake: key.snake(),
            secret: key.is_secret(),
            required: matches!(
                key,
                Key::ScimUrl | Key::ScimToken | Key::AdminApiKey | Key::OrganizationId
            ),
        })
        .collect();
    Capabilities {
        version: crate::VERSION,
        dry_run_only: config.safety.dry_run_only,
        actions,
        lifecycles,
        settings,
    }
}
