//! The organization in memory: accounts, SCIM users, groups, and the rules that tie them together.
//!
//! Atlassian keeps two views of one org: the SCIM directory (SCIM users and groups, ids of its own)
//! and the Admin directory (accounts and groups). They share accounts: a SCIM user is *linked* to an
//! account, and a group synced from the identity provider appears in both. Keeping both views in one
//! model, with the links explicit, is what lets a change through one API show up in the other.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::clock::Now;
use crate::ids::IdGen;
use crate::members::Members;
use crate::seed::{EmulatorOptions, GroupKind, Seed, SeedProducts};

/// Whether an account can be used at all (Admin `accountStatus`), and since when it cannot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountStatus {
    Active,
    /// Deactivated at `since` (Admin's `deactivatedOn`).
    Inactive {
        since: String,
    },
}

/// Admin's composite `status`: one word for the account's state, deletion first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AdminStatus {
    Active,
    Suspended,
    Deactivated,
    ForDeletion,
}

impl AdminStatus {
    /// The word Admin sends.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminStatus::Active => "active",
            AdminStatus::Suspended => "suspended",
            AdminStatus::Deactivated => "deactivated",
            AdminStatus::ForDeletion => "for_deletion",
        }
    }
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
    /// Before this instant the Admin and user-management APIs do not see the account.
    pub visible_at: Instant,
}

impl Account {
    /// A new member of the org, added at `now`, that Admin shows from `visible_at`.
    pub fn new(
        id: String,
        email: &str,
        display_name: &str,
        active: bool,
        now: &Now,
        visible_at: Instant,
    ) -> Account {
        let mut account = Account {
            id,
            email: email.to_string(),
            display_name: display_name.to_string(),
            status: AccountStatus::Active,
            suspended: false,
            pending_deletion: false,
            added_to_org: now.stamp(),
            visible_at,
        };
        account.set_active(active, now);
        account
    }

    pub fn visible(&self, now: Instant) -> bool {
        now >= self.visible_at
    }

    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }

    /// Activates or deactivates; deactivating an inactive account keeps its original date.
    pub fn set_active(&mut self, active: bool, now: &Now) {
        match (&self.status, active) {
            (AccountStatus::Inactive { .. }, true) => self.status = AccountStatus::Active,
            (AccountStatus::Active, false) => {
                self.status = AccountStatus::Inactive { since: now.stamp() }
            }
            _ => {}
        }
    }

    /// When the account was deactivated, if it is inactive.
    pub fn deactivated_on(&self) -> Option<&str> {
        match &self.status {
            AccountStatus::Active => None,
            AccountStatus::Inactive { since } => Some(since),
        }
    }

    /// Admin's composite `status`.
    pub fn admin_status(&self) -> AdminStatus {
        if self.pending_deletion {
            AdminStatus::ForDeletion
        } else if !self.is_active() {
            AdminStatus::Deactivated
        } else if self.suspended {
            AdminStatus::Suspended
        } else {
            AdminStatus::Active
        }
    }

    pub fn account_status(&self) -> &'static str {
        if self.is_active() {
            "active"
        } else {
            "inactive"
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
    pub members: Members,
    pub created: String,
    pub last_modified: String,
}

impl Group {
    pub fn externally_synced(&self) -> bool {
        self.kind.externally_synced()
    }

    pub fn has_member(&self, account_id: &str) -> bool {
        self.members.contains(account_id)
    }

    /// Adds `account_id` at `now`; false if already a member.
    pub fn add_member(&mut self, account_id: &str, now: &Now) -> bool {
        if !self.members.insert(account_id) {
            return false;
        }
        self.last_modified = now.stamp();
        true
    }

    /// Removes `account_id` at `now`; false if not a member.
    pub fn remove_member(&mut self, account_id: &str, now: &Now) -> bool {
        let removed = self.members.remove(account_id);
        if removed {
            self.last_modified = now.stamp();
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
    pub products: SeedProducts,
    /// In creation order, which is also Admin's listing order.
    pub accounts: Vec<Account>,
    /// In creation order, which is also SCIM's listing order.
    pub scim_users: Vec<ScimUser>,
    pub groups: Vec<Group>,
    pub ids: IdGen,
    /// Where each account id, SCIM id and linked account sits in the lists
    /// above, so a look-up in an organisation of 100,000 is not a scan.
    /// Accounts are only ever appended; SCIM users are appended and removed
    /// through [`OrgState::push_scim_user`] and [`OrgState::remove_scim_user`].
    index: Index,
}

#[derive(Debug, Clone, Default)]
struct Index {
    account: HashMap<String, usize>,
    scim: HashMap<String, usize>,
    scim_by_account: HashMap<String, usize>,
}

impl OrgState {
    /// Builds the org a seed describes at `now`; seeded accounts are visible at once.
    pub fn from_seed(seed: &Seed, now: &Now) -> Result<Self, String> {
        seed.validate()?;
        let stamp = now.stamp();
        let mut state = OrgState {
            org_id: seed.org_id.clone(),
            scim_directory_id: seed.scim_directory_id.clone(),
            admin_directory_id: seed.admin_directory_id.clone(),
            scim_token: seed.scim_token.clone(),
            admin_api_key: seed.admin_api_key.clone(),
            options: seed.options.clone(),
            products: seed.products.clone(),
            accounts: Vec::new(),
            scim_users: Vec::new(),
            groups: Vec::new(),
            ids: IdGen::for_org(&seed.org_id, &seed.scim_directory_id),
            index: Index::default(),
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
                members: Members::default(),
                created: stamp.clone(),
                last_modified: stamp.clone(),
            });
        }

        for u in &seed.users {
            let account_id = state.ids.account_id();
            let account = Account::new(
                account_id.clone(),
                &u.email,
                &u.display_name,
                u.active,
                now,
                now.instant,
            );
            state.push_account(account);
            if u.scim {
                let id = state.ids.uuid();
                state.push_scim_user(ScimUser {
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
                    group.members.insert(&account_id);
                }
            }
        }
        Ok(state)
    }

    fn push_account(&mut self, account: Account) {
        self.index
            .account
            .insert(account.id.clone(), self.accounts.len());
        self.accounts.push(account);
    }

    /// Appends a SCIM user (creation order is SCIM's listing order).
    pub fn push_scim_user(&mut self, user: ScimUser) {
        let at = self.scim_users.len();
        self.index.scim.insert(user.id.clone(), at);
        self.index
            .scim_by_account
            .insert(user.account_id.clone(), at);
        self.scim_users.push(user);
    }

    /// Removes the SCIM user at `position`, keeping the listing order.
    pub fn remove_scim_user(&mut self, position: usize) -> ScimUser {
        let user = self.scim_users.remove(position);
        // Everyone after it moved up one: rebuilt, as deletes are rare.
        self.index.scim.clear();
        self.index.scim_by_account.clear();
        for (i, u) in self.scim_users.iter().enumerate() {
            self.index.scim.insert(u.id.clone(), i);
            self.index.scim_by_account.insert(u.account_id.clone(), i);
        }
        user
    }

    /// Where the SCIM user with this id sits in [`OrgState::scim_users`].
    pub fn scim_position(&self, id: &str) -> Option<usize> {
        self.index.scim.get(id).copied()
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.index.account.get(id).map(|&i| &self.accounts[i])
    }

    pub fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        self.index.account.get(id).map(|&i| &mut self.accounts[i])
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
        self.scim_position(id).map(|i| &self.scim_users[i])
    }

    /// The SCIM user linked to an account, if any.
    pub fn scim_user_for_account(&self, account_id: &str) -> Option<&ScimUser> {
        self.index
            .scim_by_account
            .get(account_id)
            .map(|&i| &self.scim_users[i])
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
    pub fn set_account_active(&mut self, account_id: &str, active: bool, now: &Now) {
        if let Some(account) = self.account_mut(account_id) {
            account.set_active(active, now);
        }
    }

    /// A new account for a SCIM user nobody had an account for, hidden from Admin for the
    /// configured visibility delay.
    pub fn mint_account(
        &mut self,
        email: &str,
        display_name: &str,
        active: bool,
        now: &Now,
    ) -> String {
        let id = self.ids.account_id();
        let delay = Duration::from_millis(self.options.account_visibility_delay_ms);
        let account = Account::new(
            id.clone(),
            email,
            display_name,
            active,
            now,
            now.instant + delay,
        );
        self.push_account(account);
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
}

/// Admin's group description, derived from the kind so seeds need not spell it out.
fn describe(kind: GroupKind, name: &str) -> String {
    match kind {
        GroupKind::AdminManaged => format!("Grants access through {name}"),
        GroupKind::Synced | GroupKind::ScimOnly => "Synced from the identity provider".into(),
        GroupKind::AdminOnlySynced => "Synced from another identity provider".into(),
    }
}
