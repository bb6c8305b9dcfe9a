//! `capabilities()`: what this connector can do, for tools that build forms
//! or check a deployment — each action with the JavaScript method that runs
//! it, the options it takes, the credentials it uses and whether this
//! configuration enables it; the lifecycles and the actions each maps to; and
//! every setting with its three spellings.
//!
//! Every fact comes from the engine (`atlassian_lcm::capabilities`: the
//! options input validation accepts, the credentials, the opt-ins); this host
//! only adds the JavaScript method names and spellings.

use atlassian_lcm::config::Key;
use atlassian_lcm::event::{GroupMode, Lifecycle};
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
    pub credentials: Vec<&'static str>,
    /// True when it can remove access.
    pub destructive: bool,
    /// False when this configuration refuses it.
    pub enabled: bool,
    /// The settings that enable it, when it is opt-in.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<&'static str>,
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
    pub access_modes: &'static [GroupMode],
}

/// One setting.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingCapability {
    /// The JavaScript (camelCase) name.
    pub name: &'static str,
    /// The environment variable.
    pub env: &'static str,
    /// The snake_case name of files and secrets.
    pub snake: &'static str,
    /// A credential (never shown in errors or reports).
    pub secret: bool,
    /// Must be given.
    pub required: bool,
}

/// The `AtlassianLcm` method that runs an action.
fn method(action: ActionKind) -> &'static str {
    match action {
        ActionKind::SyncIdentities => "syncIdentities",
        ActionKind::ManageRelationships => "manageRelationships",
        ActionKind::DeprovisionIdentity => "deprovisionIdentity",
        ActionKind::DeleteIdentity => "deleteIdentity",
        ActionKind::Check => "check",
    }
}

fn camel(keys: &[Key]) -> Vec<&'static str> {
    keys.iter().map(|k| k.camel()).collect()
}

/// Describes the connector under `config`.
pub fn describe(config: &Config) -> Capabilities {
    let actions = ActionKind::ALL
        .into_iter()
        .map(|action| ActionCapability {
            action,
            method: method(action),
            description: action.description(),
            options: action.options(),
            credentials: camel(action.credentials()),
            destructive: action.is_destructive(),
            enabled: action.enabled(config),
            requires: camel(action.requires()),
        })
        .collect();
    let lifecycles = Lifecycle::ALL
        .into_iter()
        .map(|l| LifecycleCapability {
            lifecycle: l.as_str(),
            actions: l.actions(),
            access_modes: l.access_modes(),
        })
        .collect();
    let settings = Key::ALL
        .iter()
        .map(|key| SettingCapability {
            name: key.camel(),
            env: key.env(),
            snake: key.snake(),
            secret: key.is_secret(),
            required: key.is_required(),
        })
        .collect();
    Capabilities {
        version: crate::VERSION,
        dry_run_only: config.safety().dry_run_only(),
        actions,
        lifecycles,
        settings,
    }
}
