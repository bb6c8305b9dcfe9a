//! What each action and lifecycle accepts and needs, as data. Input
//! validation (`event`) reads the options from here, and hosts describe the
//! connector from here (the wasm package's `capabilities()`), so the two can
//! never disagree. A lifecycle's answers come from its row of
//! [`LIFECYCLES`](crate::event::LIFECYCLES), the table planning reads.

use crate::config::{Config, Key};
use crate::event::{GroupMode, Lifecycle};
use crate::report::ActionKind;

impl ActionKind {
    /// Every action, in documentation order.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::SyncIdentities,
        ActionKind::ManageRelationships,
        ActionKind::DeprovisionIdentity,
        ActionKind::DeleteIdentity,
        ActionKind::Check,
    ];

    /// One sentence on what the action does.
    pub fn description(self) -> &'static str {
        match self {
            ActionKind::SyncIdentities => "Create the user, or update the attributes that differ (SCIM /Users).",
            ActionKind::ManageRelationships => {
                "Add, remove or replace group memberships, groups named by display name (Admin API, or SCIM /Groups for groups synced from an identity provider)."
            }
            ActionKind::DeprovisionIdentity => "Remove every group membership, then deactivate; the account and its history are kept.",
            ActionKind::DeleteIdentity => {
                "Permanent removal: memberships removed, the SCIM record deleted, then (with deleteAccounts) the account itself. Irreversible."
            }
            ActionKind::Check => {
                "Health: the credentials work, the SCIM and Admin directories resolve, and named groups resolve with the system each would be changed through."
            }
        }
    }

    /// The `options` keys a direct call of this action accepts.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            ActionKind::SyncIdentities => &["dryRun", "adopt", "create", "reactivate", "verify"],
            ActionKind::ManageRelationships | ActionKind::DeprovisionIdentity => {
                &["dryRun", "verify"]
            }
            ActionKind::DeleteIdentity => &["dryRun", "force", "verify"],
            ActionKind::Check => &[],
        }
    }

    /// The credentials it sends. Every action reads both directories (a sync
    /// looks accounts up in Admin; a delete also uses the organization key for
    /// user management).
    pub fn credentials(self) -> &'static [Key] {
        &[Key::ScimToken, Key::AdminApiKey]
    }

    /// The settings that must be on for the action to run.
    pub fn requires(self) -> &'static [Key] {
        match self {
            ActionKind::DeleteIdentity => &[Key::AllowDelete],
            _ => &[],
        }
    }

    /// False when `config` refuses the action.
    pub fn enabled(self, config: &Config) -> bool {
        match self {
            ActionKind::DeleteIdentity => config.safety().allow_delete(),
            _ => true,
        }
    }
}

impl Lifecycle {
    /// Every lifecycle, in documentation order.
    pub const ALL: [Lifecycle; 5] = [
        Lifecycle::Joiner,
        Lifecycle::Mover,
        Lifecycle::Rehire,
        Lifecycle::Leaver,
        Lifecycle::Purge,
    ];

    /// The actions it runs, in order (the membership change only with `access`).
    pub fn actions(self) -> &'static [ActionKind] {
        self.rule().actions
    }

    /// The `options` keys the event accepts.
    pub fn options(self) -> &'static [&'static str] {
        self.rule().options
    }

    /// The `access.mode`s it accepts; empty when it takes no `access`.
    pub fn access_modes(self) -> &'static [GroupMode] {
        self.rule().access_modes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_request;
    use serde_json::json;

    #[test]
    fn validation_accepts_exactly_the_listed_options() {
        let all = ["dryRun", "adopt", "force", "create", "reactivate", "verify"];
        for action in ActionKind::ALL {
            for option in all {
                let mut call = json!({"action": action.as_str(), "worker": {"hrId": "E1", "workEmail": "a@example.com"}, "options": {option: true}});
                match action {
                    ActionKind::Check => {
                        call.as_object_mut().unwrap().remove("worker");
                    }
                    ActionKind::ManageRelationships => call["access"] = json!({"groups": ["g"]}),
                    _ => {}
                }
                let accepted = parse_request(&call).is_ok();
                assert_eq!(
                    accepted,
                    action.options().contains(&option),
                    "{} with {option}",
                    action.as_str()
                );
            }
        }
        for lifecycle in Lifecycle::ALL {
            for option in all {
                let e = json!({"schemaVersion": "1", "eventId": "e", "lifecycle": lifecycle.as_str(),
                    "worker": {"hrId": "E1", "workEmail": "a@example.com", "displayName": "A"}, "options": {option: true}});
                assert_eq!(
                    parse_request(&e).is_ok(),
                    lifecycle.options().contains(&option),
                    "{} with {option}",
                    lifecycle.as_str()
                );
            }
        }
    }

    #[test]
    fn lifecycles_run_the_listed_actions() {
        for lifecycle in Lifecycle::ALL {
            let mut e = json!({"schemaVersion": "1", "eventId": "e", "lifecycle": lifecycle.as_str(),
                "worker": {"hrId": "E1", "workEmail": "a@example.com", "displayName": "A"}});
            if let Some(mode) = lifecycle.access_modes().first() {
                e["access"] = json!({"groups": ["g"], "mode": mode.as_str()});
            }
            let kinds: Vec<ActionKind> = parse_request(&e)
                .unwrap()
                .calls
                .iter()
                .map(|c| c.kind())
                .collect();
            assert_eq!(kinds, lifecycle.actions(), "{}", lifecycle.as_str());
        }
    }
}
