//! The organization in memory: accounts, SCIM users, groups, and the rules that tie them together.
//!
//! Atlassian keeps two views of one org: the SCIM directory (SCIM users and groups, ids of its own)
//! and the Admin directory (accounts and groups). They share accounts: a SCIM user is *linked* to an
//! account, and a group synced from the identity provider appears in both. Keeping both views in one
//! model, with the links explicit, is what lets a change through one API show up in the other.

use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

use crate::ids::IdGen;
use crate::seed::{EmulatorOptions, GroupKind, Seed};
use crate::timestamp::now_iso;

/// Whether an account can be used at all (Admin `accountStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountStatus {
    Active,
    Inactive,
}

/// An Atlassian account in the org.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub status: AccountStatus,
    /// Admin "suspend access": membership suspended, account still active.
    pub suspended: bool,
    /// User-management delete called: in the 14-day grace period.
    pub pending_deletion: bool,
    pub added_to_org: String,
    pub deactivated_on: Option<String>,
    /// Before this instant the Admin and user-management APIs do not see the account.
    pub visible_at: Instant,
}

impl Account {
    pub fn visible(&self, now: Instant) -> bool {
        now >= self.visible_at
    }

    /// Admin's composite `status`.
    pub fn admin_status(&self) -> &'static str {
        if self.pending_deletion {
            "for_deletion"
        } else if self.status == AccountStatus::Inactive {
            "deactivated"
        } else if self.suspended {
            "suspended"
        } else {
            "active"
        }
    }

    pub fn account_status(&self) -> &'static str {
        match self.status {
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
        }
    }

    pub fn membership_status(&self) -> &'static str {
        if self.suspended {
            "suspended"
        } else {
            "active"
        }
    }
}

/// A SCIM user record in the org's SCIM directory, linked to one account.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScimUser {
    pub id: String,
    pub account_id: String,
    pub user_name: String,
    pub email: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted: Option<String>,
    pub display_name: Option<String>,
    pub nick_name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub organization: Option<String>,
    pub timezone: Option<String>,
    pub preferred_language: Option<String>,
    pub active: bool,
    pub created: String,
    pub last_modified: String,
}

impl ScimUser {
    /// The name Admin shows for the linked account.
    pub fn shown_name(&self) -> String {
        if let Some(name) = self.display_name.as_ref().filter(|n| !n.is_empty()) {
            return name.clone();
        }
        if let Some(name) = self.formatted.as_ref().filter(|n| !n.is_empty()) {
            return name.clone();
        }
        let parts: Vec<&str> = [&self.given_name, &self.family_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            self.user_name.clone()
        } else {
            parts.join(" ")
        }
    }
}

/// A group: one entity whether Admin, SCIM or both show it.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub name: String,
    pub kind: GroupKind,
    pub description: String,
    /// Present when Admin shows the group.
    pub admin_id: Option<String>,
    /// Present when the SCIM directory shows the group.
    pub scim_id: Option<String>,
    /// Account ids, in the order they joined.
    pub members: Vec<String>,
    pub created: String,
    pub last_modified: String,
}

impl Group {
    pub fn externally_synced(&self) -> bool {
        self.kind.externally_synced()
    }

    pub fn has_member(&self, account_id: &str) -> bool {
        self.members.iter().any(|m| m == account_id)
    }

    /// Adds `account_id`; false if already a member.
    pub fn add_member(&mut self, account_id: &str) -> bool {
        if self.has_member(account_id) {
            return false;
        }
        self.members.push(account_id.to_string());
        self.last_modified = now_iso();
        true
    }

    /// Removes `account_id`; false if not a member.
    pub fn remove_member(&mut self, account_id: &str) -> bool {
        let before = self.members.len();
        self.members.retain(|m| m != account_id);
        let removed = self.members.len() != before;
        if removed {
            self.last_modified = now_iso();
        }
        removed
    }
}

/// The whole org.
#[derive(Debug, Clone)]
pub(crate) struct OrgState {
    pub org_id: String,
    pub scim_directory_id: String,
    pub admin_directory_id: String,
    pub scim_token: String,
    pub admin_api_key: String,
    pub options: EmulatorOptions,
    /// In creation order, which is also Admin's listing order.
    pub accounts: Vec<Account>,
    /// In creation order, which is also SCIM's listing order.
    pub scim_users: Vec<ScimUser>,
    pub groups: Vec<Group>,
    pub ids: IdGen,
}

impl OrgState {
    /// Builds the org a seed describes; seeded accounts are visible at once.
    pub fn from_seed(seed: &Seed) -> Result<Self, String> {
        seed.validate()?;
        let now = Instant::now();
        let stamp = now_iso();
        let mut state = OrgState {
            org_id: seed.org_id.clone(),
            scim_directory_id: seed.scim_directory_id.clone(),
            admin_directory_id: seed.admin_directory_id.clone(),
            scim_token: seed.scim_token.clone(),
            admin_api_key: seed.admin_api_key.clone(),
            options: seed.options.clone(),
            accounts: Vec::new(),
            scim_users: Vec::new(),
            groups: Vec::new(),
            ids: IdGen::for_org(&seed.org_id, &seed.scim_directory_id),
        };

        for g in &seed.groups {
            let admin_id = g.kind.in_admin().then(|| state.ids.uuid());
            let scim_id = g.kind.in_scim().then(|| state.ids.uuid());
            state.groups.push(Group {
                name: g.name.clone(),
                kind: g.kind,
                description: describe(g.kind, &g.name),
                admin_id,
                scim_id,
                members: Vec::new(),
                created: stamp.clone(),
                last_modified: stamp.clone(),
            });
        }

        for u in &seed.users {
            let account_id = state.ids.account_id();
            let status = if u.active {
                AccountStatus::Active
            } else {
                AccountStatus::Inactive
            };
            state.accounts.push(Account {
                id: account_id.clone(),
                email: u.email.clone(),
                display_name: u.display_name.clone(),
                status,
                suspended: false,
                pending_deletion: false,
                added_to_org: stamp.clone(),
                deactivated_on: (!u.active).then(|| stamp.clone()),
                visible_at: now,
            });
            if u.scim {
                let id = state.ids.uuid();
                state.scim_users.push(ScimUser {
                    id,
                    account_id: account_id.clone(),
                    user_name: u.email.clone(),
                    email: u.email.clone(),
                    external_id: u.external_id.clone(),
                    given_name: u.given_name.clone(),
                    family_name: u.family_name.clone(),
                    formatted: None,
                    display_name: Some(u.display_name.clone()),
                    nick_name: None,
                    title: u.title.clone(),
                    department: u.department.clone(),
                    organization: u.organization.clone(),
                    timezone: u.timezone.clone(),
                    preferred_language: u.preferred_language.clone(),
                    active: u.active,
                    created: stamp.clone(),
                    last_modified: stamp.clone(),
                });
            }
            for name in &u.groups {
                if let Some(group) = state.groups.iter_mut().find(|g| g.name == *name) {
                    group.members.push(account_id.clone());
                }
            }
        }
        Ok(state)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    pub fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }

    /// The account as the Admin and user-management APIs see it (hidden while not yet visible).
    pub fn visible_account(&self, id: &str, now: Instant) -> Option<&Account> {
        self.account(id).filter(|a| a.visible(now))
    }

    pub fn account_by_email(&self, email: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.email.eq_ignore_ascii_case(email))
    }

    pub fn scim_user(&self, id: &str) -> Option<&ScimUser> {
        self.scim_users.iter().find(|u| u.id == id)
    }

    /// The SCIM user linked to an account, if any.
    pub fn scim_user_for_account(&self, account_id: &str) -> Option<&ScimUser> {
        self.scim_users.iter().find(|u| u.account_id == account_id)
    }

    pub fn group_by_admin_id(&self, id: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.admin_id.as_deref() == Some(id))
    }

    pub fn group_by_scim_id(&self, id: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.scim_id.as_deref() == Some(id))
    }

    pub fn group_by_scim_id_mut(&mut self, id: &str) -> Option<&mut Group> {
        self.groups
            .iter_mut()
            .find(|g| g.scim_id.as_deref() == Some(id))
    }

    /// Mirrors a SCIM `active` change onto the linked account, as Atlassian does.
    pub fn set_account_active(&mut self, account_id: &str, active: bool) {
        if let Some(account) = self.account_mut(account_id) {
            let was_active = account.status == AccountStatus::Active;
            if active && !was_active {
                account.status = AccountStatus::Active;
                account.deactivated_on = None;
            } else if !active && was_active {
                account.status = AccountStatus::Inactive;
                account.deactivated_on = Some(now_iso());
            }
        }
    }

    /// A new account for a SCIM user nobody had an account for, hidden from Admin for the
    /// configured visibility delay.
    pub fn mint_account(&mut self, email: &str, display_name: &str, active: bool) -> String {
        let id = self.ids.account_id();
        let delay = Duration::from_millis(self.options.account_visibility_delay_ms);
        self.accounts.push(Account {
            id: id.clone(),
            email: email.to_string(),
            display_name: display_name.to_string(),
            status: if active {
                AccountStatus::Active
            } else {
                AccountStatus::Inactive
            },
            suspended: false,
            pending_deletion: false,
            added_to_org: now_iso(),
            deactivated_on: (!active).then(now_iso),
            visible_at: Instant::now() + delay,
        });
        id
    }

    /// Names of the groups an account is in.
    pub fn group_names_of(&self, account_id: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.has_member(account_id))
            .map(|g| g.name.clone())
            .collect()
    }

    /// A serializable snapshot for assertions.
    pub fn dump(&self, now: Instant) -> StateDump {
        let users = self
            .accounts
            .iter()
            .map(|a| {
                let scim = self.scim_user_for_account(&a.id).map(|u| ScimUserDump {
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
                });
                UserDump {
                    account_id: a.id.clone(),
                    email: a.email.clone(),
                    display_name: a.display_name.clone(),
                    account_status: a.account_status().to_string(),
                    status: a.admin_status().to_string(),
                    visible_in_admin: a.visible(now),
                    scim,
                    groups: self.group_names_of(&a.id),
                }
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .map(|g| GroupDump {
                name: g.name.clone(),
                kind: g.kind,
                admin_id: g.admin_id.clone(),
                scim_id: g.scim_id.clone(),
                externally_synced: g.externally_synced(),
                members: g
                    .members
                    .iter()
                    .filter_map(|m| self.account(m).map(|a| a.email.clone()))
                    .collect(),
            })
            .collect();
        StateDump {
            org_id: self.org_id.clone(),
            scim_directory_id: self.scim_directory_id.clone(),
            admin_directory_id: self.admin_directory_id.clone(),
            users,
            groups,
        }
    }
}

/// Admin's group description, derived from the kind so seeds need not spell it out.
fn describe(kind: GroupKind, name: &str) -> String {
    match kind {
        GroupKind::AdminManaged => format!("Grants access through {name}"),
        GroupKind::Synced | GroupKind::ScimOnly => "Synced from the identity provider".into(),
        GroupKind::AdminOnlySynced => "Synced from another identity provider".into(),
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

    #[test]
    fn demo_builds_with_links_and_memberships() {
        let state = OrgState::from_seed(&Seed::demo()).unwrap();
        let dump = state.dump(Instant::now());
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
        let again = OrgState::from_seed(&Seed::demo())
            .unwrap()
            .dump(Instant::now());
        assert_eq!(again.users[0].account_id, ada.account_id);
    }
}
