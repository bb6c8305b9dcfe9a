//! The seed: the organization an emulator starts with (ids, credentials, users, groups, options).
//!
//! A seed is plain data (JSON with camelCase keys, every field optional) so tests, fixtures in
//! `tests/`, the binary's `--seed-file` and `POST /__emulator/reset` all describe an org the same way.
//! [`Seed::demo`] is the small realistic org used by the README's demo and most tests.

use serde::{Deserialize, Serialize};

/// The organization an emulator starts with.
///
/// `Default` gives the demo org's ids and (fake) credentials with no users or groups, so a partial
/// JSON seed only needs to say what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Seed {
    /// The organization id used in Admin paths (`/admin/v2/orgs/{orgId}/...`).
    pub org_id: String,
    /// The id in the SCIM base URL (`/scim/directory/{scimDirectoryId}`).
    pub scim_directory_id: String,
    /// The Admin API's directory id; deliberately different from the SCIM one, as in Atlassian.
    pub admin_directory_id: String,
    /// The bearer token the SCIM API accepts.
    pub scim_token: String,
    /// The bearer token the Admin and user-management APIs accept.
    pub admin_api_key: String,
    /// Accounts, with or without a SCIM record.
    pub users: Vec<SeedUser>,
    /// Groups, of every kind.
    pub groups: Vec<SeedGroup>,
    /// Behaviour switches.
    pub options: EmulatorOptions,
    /// The product sites (Jira, Confluence) and the Bitbucket workspace.
    pub products: SeedProducts,
}

/// The product sites and the Bitbucket workspace the emulator serves, and the credentials they
/// take (basic auth: the product user and its API token). Who may use a product follows the
/// account and its groups: see the `products` module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SeedProducts {
    /// The e-mail of the account the product token belongs to.
    pub user: String,
    /// The API token every site and the workspace accept (unless a site says otherwise).
    pub token: String,
    /// Sites, served at `{base}/site/{name}`.
    pub sites: Vec<SeedSite>,
    /// The Bitbucket workspace slug, served at `{base}/bitbucket/2.0/workspaces/{slug}`.
    pub bitbucket_workspace: String,
}

/// One product site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SeedSite {
    /// Its name: the site is `{base}/site/{name}`, as `https://{name}.atlassian.net` would be.
    pub name: String,
    /// Whether it serves Jira.
    pub jira: bool,
    /// Whether it serves Confluence.
    pub confluence: bool,
    /// A token this site accepts instead of [`SeedProducts::token`] (a site that refuses it).
    pub token: Option<String>,
}

impl Default for SeedSite {
    fn default() -> Self {
        Self {
            name: "acme".into(),
            jira: true,
            confluence: true,
            token: None,
        }
    }
}

impl Default for SeedProducts {
    fn default() -> Self {
        Self {
            user: "lcm-bot@example.com".into(),
            token: DEMO_PRODUCT_TOKEN.into(),
            sites: vec![SeedSite::default()],
            bitbucket_workspace: "acme".into(),
        }
    }
}

/// One Atlassian account, optionally provisioned through SCIM.
///
/// `Default` (and a JSON user that leaves them out) is active and has a SCIM record: the common case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SeedUser {
    /// The work email: the account's email and, with a SCIM record, its `userName`.
    pub email: String,
    /// The full name shown in Admin and as SCIM `displayName`.
    pub display_name: String,
    /// SCIM `name.givenName`.
    pub given_name: Option<String>,
    /// SCIM `name.familyName`.
    pub family_name: Option<String>,
    /// SCIM `externalId` (the HR worker id); `None` models a record nobody has claimed yet.
    pub external_id: Option<String>,
    /// Whether the account (and SCIM record) is active.
    pub active: bool,
    /// Whether the account has a SCIM record in the org's SCIM directory.
    pub scim: bool,
    /// Names of the groups the account belongs to (must be declared in [`Seed::groups`]).
    pub groups: Vec<String>,
    /// SCIM `title`.
    pub title: Option<String>,
    /// SCIM `department`.
    pub department: Option<String>,
    /// SCIM `organization`.
    pub organization: Option<String>,
    /// SCIM `timezone` (IANA name).
    pub timezone: Option<String>,
    /// SCIM `preferredLanguage`.
    pub preferred_language: Option<String>,
}

impl Default for SeedUser {
    fn default() -> Self {
        Self {
            email: String::new(),
            display_name: String::new(),
            given_name: None,
            family_name: None,
            external_id: None,
            active: true,
            scim: true,
            groups: Vec::new(),
            title: None,
            department: None,
            organization: None,
            timezone: None,
            preferred_language: None,
        }
    }
}

impl SeedUser {
    /// An active user with a SCIM record and nothing else set; adjust the fields from there.
    pub fn new(email: impl Into<String>, display_name: impl Into<String>) -> Self {
        Self {
            email: email.into(),
            display_name: display_name.into(),
            ..Self::default()
        }
    }
}

/// One group and where it lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedGroup {
    /// The group's display name (unique in the org, compared case-insensitively like Atlassian).
    pub name: String,
    /// Which systems hold the group and who may change its members.
    pub kind: GroupKind,
}

impl SeedGroup {
    /// A group named `name` of `kind`.
    pub fn new(name: impl Into<String>, kind: GroupKind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// Where a group lives, which decides the API that may change its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    /// Admin only (the default product-access groups such as `jira-software-users`): members change
    /// through the Admin `memberships` endpoints.
    AdminManaged,
    /// Synced from the identity provider: in both systems, Admin shows `externalSynced: true` and
    /// refuses membership changes; members change through SCIM `PATCH /Groups/{id}`.
    Synced,
    /// In the SCIM directory only (not yet synced to Admin): SCIM is the only way in.
    ScimOnly,
    /// In Admin as externally synced but absent from this SCIM directory (synced by another
    /// identity provider): neither API here can change its members.
    AdminOnlySynced,
}

impl GroupKind {
    /// Whether the Admin API shows (and addresses) the group.
    pub fn in_admin(self) -> bool {
        !matches!(self, GroupKind::ScimOnly)
    }

    /// Whether this SCIM directory shows the group.
    pub fn in_scim(self) -> bool {
        matches!(self, GroupKind::Synced | GroupKind::ScimOnly)
    }

    /// Whether the group is managed by an identity provider (Admin refuses membership changes).
    pub fn externally_synced(self) -> bool {
        !matches!(self, GroupKind::AdminManaged)
    }
}

/// Behaviour switches for a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EmulatorOptions {
    /// How long an account minted by SCIM create stays invisible to the Admin and user-management
    /// APIs, modelling Atlassian's eventual consistency. Default 0.
    pub account_visibility_delay_ms: u64,
    /// Leave `atlassianAccountId` out of the SCIM create (201) response body only, so a client must
    /// look the account up. Default false.
    pub omit_account_id_on_create: bool,
    /// Answer CORS preflights and add permissive CORS headers, for browser tests. Default true.
    pub cors: bool,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        Self {
            account_visibility_delay_ms: 0,
            omit_account_id_on_create: false,
            cors: true,
        }
    }
}

/// The demo org's ids: UUID-shaped like Atlassian's, and the two directory ids differ.
const DEMO_ORG_ID: &str = "8f2a6d4c-3b1e-4c7a-9d5f-2e6b1a0c4d73";
const DEMO_SCIM_DIRECTORY_ID: &str = "b7c3e1a9-5d2f-4e8b-a6c4-0f9d3e7b2a15";
const DEMO_ADMIN_DIRECTORY_ID: &str = "2d9e4f61-7a3b-48c5-b1e0-6c8f5a2d9e34";
/// Fake credentials: they only ever unlock an emulator.
const DEMO_SCIM_TOKEN: &str = "emulator-scim-token-not-a-secret";
const DEMO_ADMIN_API_KEY: &str = "emulator-admin-api-key-not-a-secret";
const DEMO_PRODUCT_TOKEN: &str = "emulator-product-token-not-a-secret";

impl Default for Seed {
    fn default() -> Self {
        Self {
            org_id: DEMO_ORG_ID.into(),
            scim_directory_id: DEMO_SCIM_DIRECTORY_ID.into(),
            admin_directory_id: DEMO_ADMIN_DIRECTORY_ID.into(),
            scim_token: DEMO_SCIM_TOKEN.into(),
            admin_api_key: DEMO_ADMIN_API_KEY.into(),
            users: Vec::new(),
            groups: Vec::new(),
            options: EmulatorOptions::default(),
            products: SeedProducts::default(),
        }
    }
}

impl Seed {
    /// A small realistic org at `example.com`.
    ///
    /// Groups: `jira-software-users`, `confluence-users`, `jira-servicemanagement-users`
    /// (admin-managed); `engineering`, `platform-team`, `payroll-admins` (synced from the identity
    /// provider, in both systems); `contractors` (SCIM-only).
    ///
    /// Users (all `@example.com`):
    /// - `ada.lovelace` — SCIM, `externalId` `E1001`, Platform engineer; jira-software-users,
    ///   confluence-users, engineering, platform-team.
    /// - `grace.hopper` — SCIM, `E1002`; jira-software-users, engineering.
    /// - `alan.turing` — SCIM with **no** `externalId` (adoptable); confluence-users.
    /// - `katherine.johnson` — SCIM, `externalId` `okta-00u1a2b3c4d5e6f7g8` (owned by another
    ///   provisioner); jira-servicemanagement-users, payroll-admins.
    /// - `margaret.hamilton` — account only, no SCIM record (invited through Admin);
    ///   jira-software-users, confluence-users.
    /// - `linus.former` — SCIM, `E0999`, **inactive** (a leaver, for rehire); no groups.
    /// - `joan.clarke` — SCIM, `E1003`; contractors.
    pub fn demo() -> Seed {
        use GroupKind::*;
        let groups = [
            ("jira-software-users", AdminManaged),
            ("confluence-users", AdminManaged),
            ("jira-servicemanagement-users", AdminManaged),
            ("engineering", Synced),
            ("platform-team", Synced),
            ("payroll-admins", Synced),
            ("contractors", ScimOnly),
        ]
        .into_iter()
        .map(|(name, kind)| SeedGroup::new(name, kind))
        .collect();

        let person = |email: &str, given: &str, family: &str, external_id: Option<&str>| SeedUser {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            external_id: external_id.map(Into::into),
            organization: Some("Example".into()),
            timezone: Some("Europe/London".into()),
            preferred_language: Some("en-GB".into()),
            ..SeedUser::new(email, format!("{given} {family}"))
        };
        let names = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();

        let users = vec![
            SeedUser {
                title: Some("Engineer".into()),
                department: Some("Platform".into()),
                groups: names(&[
                    "jira-software-users",
                    "confluence-users",
                    "engineering",
                    "platform-team",
                ]),
                ..person("ada.lovelace@example.com", "Ada", "Lovelace", Some("E1001"))
            },
            SeedUser {
                title: Some("Staff Engineer".into()),
                department: Some("Compilers".into()),
                groups: names(&["jira-software-users", "engineering"]),
                ..person("grace.hopper@example.com", "Grace", "Hopper", Some("E1002"))
            },
            SeedUser {
                title: Some("Researcher".into()),
                department: Some("Research".into()),
                groups: names(&["confluence-users"]),
                ..person("alan.turing@example.com", "Alan", "Turing", None)
            },
            SeedUser {
                title: Some("Payroll Lead".into()),
                department: Some("Finance".into()),
                groups: names(&["jira-servicemanagement-users", "payroll-admins"]),
                ..person(
                    "katherine.johnson@example.com",
                    "Katherine",
                    "Johnson",
                    Some("okta-00u1a2b3c4d5e6f7g8"),
                )
            },
            SeedUser {
                scim: false,
                title: Some("Director of Engineering".into()),
                groups: names(&["jira-software-users", "confluence-users"]),
                ..person(
                    "margaret.hamilton@example.com",
                    "Margaret",
                    "Hamilton",
                    None,
                )
            },
            SeedUser {
                active: false,
                title: Some("Engineer".into()),
                ..person("linus.former@example.com", "Linus", "Former", Some("E0999"))
            },
            SeedUser {
                title: Some("Contractor".into()),
                groups: names(&["contractors"]),
                ..person("joan.clarke@example.com", "Joan", "Clarke", Some("E1003"))
            },
        ];

        Seed {
            users,
            groups,
            ..Seed::default()
        }
    }

    /// Adds `n` generated users (`bulk.user00001@example.com`, `externalId` `BULK00001`, ...) with
    /// SCIM records and no groups, for pagination tests.
    pub fn with_bulk_users(mut self, n: usize) -> Seed {
        let start = self.users.len();
        self.users.extend((1..=n).map(|i| SeedUser {
            given_name: Some("Bulk".into()),
            family_name: Some(format!("User{i:05}")),
            external_id: Some(format!("BULK{i:05}")),
            ..SeedUser::new(
                format!("bulk.user{i:05}@example.com"),
                format!("Bulk User{i:05}"),
            )
        }));
        debug_assert_eq!(self.users.len(), start + n);
        self
    }

    /// Checks the seed is self-consistent: distinct emails and names, groups that exist.
    pub fn validate(&self) -> Result<(), String> {
        let mut emails = std::collections::HashSet::new();
        for user in &self.users {
            if user.email.trim().is_empty() {
                return Err("a seed user has an empty email".into());
            }
            if !emails.insert(user.email.to_lowercase()) {
                return Err(format!("seed user email {} appears twice", user.email));
            }
            for group in &user.groups {
                if !self.groups.iter().any(|g| g.name == *group) {
                    return Err(format!(
                        "seed user {} names group {group}, which the seed does not declare",
                        user.email
                    ));
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for group in &self.groups {
            if !names.insert(group.name.to_lowercase()) {
                return Err(format!(
                    "seed group {} appears twice (names are unique ignoring case)",
                    group.name
                ));
            }
        }
        if self.scim_directory_id == self.admin_directory_id {
            return Err("scimDirectoryId and adminDirectoryId must differ, as in Atlassian".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_is_valid_and_round_trips_through_json() {
        let demo = Seed::demo().with_bulk_users(3);
        demo.validate().unwrap();
        let json = serde_json::to_string(&demo).unwrap();
        assert!(json.contains("\"scimDirectoryId\""));
        let back: Seed = serde_json::from_str(&json).unwrap();
        assert_eq!(back, demo);
    }

    #[test]
    fn partial_json_seed_fills_in_defaults() {
        let seed: Seed = serde_json::from_str(r#"{"users":[{"email":"a@example.com"}]}"#).unwrap();
        assert_eq!(seed.org_id, Seed::default().org_id);
        assert!(seed.options.cors);
        assert!(seed.users[0].active && seed.users[0].scim);
    }

    #[test]
    fn validate_rejects_unknown_group() {
        let mut seed = Seed::demo();
        seed.users[0].groups.push("nope".into());
        assert!(seed.validate().unwrap_err().contains("nope"));
    }
}
