//! Snapshots of the org, for assertions: what `Emulator::state` returns and
//! `GET /__emulator/state` serves.
//!
//! The snapshot is a stable, public view: it names fields the way the JSON dump does and leaves out
//! what tests need not see (tokens, clocks, id generators), so the model in `state.rs` can change
//! shape (indexes, new products) without changing it.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::seed::GroupKind;
use crate::state::{Account, Group, OrgState, ScimUser};

impl StateDump {
    /// The org as it stands at `now` (which decides `visibleInAdmin`).
    pub(crate) fn of(state: &OrgState, now: Instant) -> StateDump {
        StateDump {
            org_id: state.org_id.clone(),
            scim_directory_id: state.scim_directory_id.clone(),
            admin_directory_id: state.admin_directory_id.clone(),
            users: state
                .accounts
                .iter()
                .map(|a| UserDump::of(state, a, now))
                .collect(),
            groups: state
                .groups
                .iter()
                .map(|g| GroupDump::of(state, g))
                .collect(),
        }
    }
}

impl UserDump {
    fn of(state: &OrgState, account: &Account, now: Instant) -> UserDump {
        UserDump {
            account_id: account.id.clone(),
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            account_status: account.account_status().to_string(),
            status: account.admin_status().as_str().to_string(),
            visible_in_admin: account.visible(now),
            scim: state
                .scim_user_for_account(&account.id)
                .map(ScimUserDump::from),
            groups: state.group_names_of(&account.id),
        }
    }
}

impl From<&ScimUser> for ScimUserDump {
    fn from(u: &ScimUser) -> ScimUserDump {
        ScimUserDump {
            id: u.id.clone(),
            user_name: u.user_name.clone(),
            external_id: u.external_id.clone(),
            active: u.active,
            display_name: u.display_name.clone(),
            given_name: u.given_name.clone(),
            family_name: u.family_name.clone(),
            title: u.title.clone(),
            department: u.department.clone(),
            organization: u.organization.clone(),
            timezone: u.timezone.clone(),
            preferred_language: u.preferred_language.clone(),
        }
    }
}

impl GroupDump {
    fn of(state: &OrgState, group: &Group) -> GroupDump {
        GroupDump {
            name: group.name.clone(),
            kind: group.kind,
            admin_id: group.admin_id.clone(),
            scim_id: group.scim_id.clone(),
            externally_synced: group.externally_synced(),
            members: group
                .members
                .iter()
                .filter_map(|m| state.account(m).map(|a| a.email.clone()))
                .collect(),
        }
    }
}

/// A snapshot of the org, for assertions (`Emulator::state`, `GET /__emulator/state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateDump {
    /// The organization id.
    pub org_id: String,
    /// The SCIM directory id.
    pub scim_directory_id: String,
    /// The Admin directory id.
    pub admin_directory_id: String,
    /// Every account, in creation order.
    pub users: Vec<UserDump>,
    /// Every group, in seed then creation order.
    pub groups: Vec<GroupDump>,
}

impl StateDump {
    /// The account with this email (case-insensitive).
    pub fn user(&self, email: &str) -> Option<&UserDump> {
        self.users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The group with exactly this name.
    pub fn group(&self, name: &str) -> Option<&GroupDump> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// One account and its SCIM record, if it has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDump {
    /// The Atlassian account id.
    pub account_id: String,
    /// The account's email.
    pub email: String,
    /// The account's display name.
    pub display_name: String,
    /// Admin `accountStatus`: `active` or `inactive`.
    pub account_status: String,
    /// Admin `status`: `active`, `suspended`, `deactivated` or `for_deletion`.
    pub status: String,
    /// False while the account-visibility delay still hides it from Admin.
    pub visible_in_admin: bool,
    /// The linked SCIM record.
    pub scim: Option<ScimUserDump>,
    /// Names of the groups the account is in.
    pub groups: Vec<String>,
}

/// The SCIM side of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimUserDump {
    /// The SCIM user id.
    pub id: String,
    /// SCIM `userName`.
    pub user_name: String,
    /// SCIM `externalId`.
    pub external_id: Option<String>,
    /// SCIM `active`.
    pub active: bool,
    /// SCIM `displayName`.
    pub display_name: Option<String>,
    /// SCIM `name.givenName`.
    pub given_name: Option<String>,
    /// SCIM `name.familyName`.
    pub family_name: Option<String>,
    /// SCIM `title`.
    pub title: Option<String>,
    /// SCIM `department`.
    pub department: Option<String>,
    /// SCIM `organization`.
    pub organization: Option<String>,
    /// SCIM `timezone`.
    pub timezone: Option<String>,
    /// SCIM `preferredLanguage`.
    pub preferred_language: Option<String>,
}

/// One group and its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupDump {
    /// The group name.
    pub name: String,
    /// Where it lives.
    pub kind: GroupKind,
    /// Admin group id, when Admin shows it.
    pub admin_id: Option<String>,
    /// SCIM group id, when the SCIM directory shows it.
    pub scim_id: Option<String>,
    /// Whether Admin shows it as synced from an identity provider.
    pub externally_synced: bool,
    /// Member emails, in joining order.
    pub members: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::seed::Seed;

    #[test]
    fn demo_builds_with_links_and_memberships() {
        let now = Clock.now();
        let state = OrgState::from_seed(&Seed::demo(), &now).unwrap();
        let dump = StateDump::of(&state, now.instant);
        let ada = dump.user("ada.lovelace@example.com").unwrap();
        assert_eq!(
            ada.scim.as_ref().unwrap().external_id.as_deref(),
            Some("E1001")
        );
        assert!(ada.groups.contains(&"engineering".to_string()));
        let margaret = dump.user("margaret.hamilton@example.com").unwrap();
        assert!(margaret.scim.is_none());
        let linus = dump.user("linus.former@example.com").unwrap();
        assert_eq!(linus.status, "deactivated");
        let jsw = dump.group("jira-software-users").unwrap();
        assert!(jsw.admin_id.is_some() && jsw.scim_id.is_none() && !jsw.externally_synced);
        let eng = dump.group("engineering").unwrap();
        assert!(eng.admin_id.is_some() && eng.scim_id.is_some() && eng.externally_synced);
        let contractors = dump.group("contractors").unwrap();
        assert!(contractors.admin_id.is_none() && contractors.scim_id.is_some());
        // Same seed, same ids.
        let again = StateDump::of(
            &OrgState::from_seed(&Seed::demo(), &now).unwrap(),
            now.instant,
        );
        assert_eq!(again.users[0].account_id, ada.account_id);
    }
}
