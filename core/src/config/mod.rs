//! The one configuration type, used by every host. Hosts collect raw values
//! (environment variables, a JSON config file, a Secrets Manager secret, a
//! JavaScript object) into a [`RawConfig`]; [`Config::from_raw`] reads every
//! setting of the [`SETTINGS`] table in one loop and names every one that is
//! wrong, so nothing reaches Atlassian with a half-valid configuration.
//!
//! Names: `LCM_SCIM_URL` in the environment, `scim_url` in files and secrets,
//! `scimUrl` in JavaScript — the same setting everywhere, and each host's
//! errors use the spelling its users know ([`Spelling`]).

mod error;
mod parse;
mod raw;
mod settings;

use std::collections::BTreeMap;
use std::time::Duration;

pub use error::{ConfigError, FieldError, Problem, Spelling};
pub use parse::{check_endpoint, check_endpoint_on, count, parse_scim_url};
pub use raw::{RawConfig, RawValue, Source};
pub use settings::{Class, Key, Kind, Presence, Setting, SETTINGS};

use crate::group_patterns::GroupPatterns;
use crate::ids::{OrgId, ScimDirectoryId};
use crate::reconcile::{DeprovisionCap, OrphanPolicy};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use parse::Value;

/// Atlassian's API host; anything else needs `allow_custom_endpoints`.
pub const ATLASSIAN_HOST: &str = "api.atlassian.com";
/// Default base of the Organizations (Admin) API.
pub const DEFAULT_ADMIN_BASE_URL: &str = "https://api.atlassian.com/admin";
/// Atlassian's administrative groups: never granted unless the deployment
/// says otherwise (`LCM_PRIVILEGED_GROUPS`).
pub const DEFAULT_PRIVILEGED_GROUPS: &str =
    "site-admins,org-admins,administrators,*-admins,*-admins-*,*-administrators";
/// Default base of the user-management API.
pub const DEFAULT_API_BASE_URL: &str = "https://api.atlassian.com";

/// What Atlassian issued ([`Class::Credential`]).
#[derive(Debug, Clone)]
pub struct Credentials {
    scim_url: String,
    scim_directory_id: ScimDirectoryId,
    scim_token: Secret,
    admin_api_key: Secret,
    org_id: OrgId,
    product_token: Option<Secret>,
    product_user: Option<String>,
}

impl Credentials {
    /// SCIM base URL, `.../scim/directory/{id}`, without a trailing slash.
    pub fn scim_url(&self) -> &str {
        &self.scim_url
    }
    /// The SCIM directory id parsed from the SCIM URL.
    pub fn scim_directory_id(&self) -> &ScimDirectoryId {
        &self.scim_directory_id
    }
    /// SCIM directory API key.
    pub fn scim_token(&self) -> &Secret {
        &self.scim_token
    }
    /// Organization API key (Admin and user-management APIs).
    pub fn admin_api_key(&self) -> &Secret {
        &self.admin_api_key
    }
    /// The organization.
    pub fn org_id(&self) -> &OrgId {
        &self.org_id
    }
    /// Optional product (Jira/Confluence) API token, for hosts that check
    /// product access; never sent to the admin APIs.
    pub fn product_token(&self) -> Option<&Secret> {
        self.product_token.as_ref()
    }
    /// The product API user (e-mail) that goes with the product token.
    pub fn product_user(&self) -> Option<&str> {
        self.product_user.as_deref()
    }
}

/// Where credentials may be sent ([`Class::Endpoint`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    admin_base_url: String,
    api_base_url: String,
    custom_allowed: bool,
    product_sites: Vec<String>,
    bitbucket_workspace: Option<String>,
    bitbucket_base_url: String,
}

impl Endpoints {
    /// Admin API base, without a trailing slash.
    pub fn admin_base_url(&self) -> &str {
        &self.admin_base_url
    }
    /// User-management API base, without a trailing slash.
    pub fn api_base_url(&self) -> &str {
        &self.api_base_url
    }
    /// True when URLs may point at hosts other than Atlassian's.
    pub fn custom_allowed(&self) -> bool {
        self.custom_allowed
    }
    /// Product sites (`LCM_PRODUCT_SITES`), each without a trailing slash.
    pub fn product_sites(&self) -> &[String] {
        &self.product_sites
    }
    /// The Bitbucket workspace whose membership is asked, if any.
    pub fn bitbucket_workspace(&self) -> Option<&str> {
        self.bitbucket_workspace.as_deref()
    }
    /// Bitbucket Cloud API base, without a trailing slash.
    pub fn bitbucket_base_url(&self) -> &str {
        &self.bitbucket_base_url
    }
    /// True when a product site or a Bitbucket workspace is configured.
    pub fn has_products(&self) -> bool {
        !self.product_sites.is_empty() || self.bitbucket_workspace.is_some()
    }
}

/// Rails that stop a bad event from doing wholesale damage ([`Class::Safety`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Safety {
    allow_delete: bool,
    delete_accounts: bool,
    max_removals: usize,
    protected_groups: Vec<String>,
    privileged_groups: GroupPatterns,
    grantable_groups: Option<GroupPatterns>,
    dry_run_only: bool,
    managed_groups: Option<Vec<String>>,
    max_deprovisions: DeprovisionCap,
    orphans: OrphanPolicy,
}

impl Safety {
    /// `DELETE_IDENTITY` is refused unless this is set.
    pub fn allow_delete(&self) -> bool {
        self.allow_delete
    }
    /// After the SCIM delete, also delete the Atlassian account itself
    /// (user-management `lifecycle/delete`, 14-day grace).
    pub fn delete_accounts(&self) -> bool {
        self.delete_accounts
    }
    /// Most group memberships one call may remove.
    pub fn max_removals(&self) -> usize {
        self.max_removals
    }
    /// Groups whose memberships are never removed by this connector.
    pub fn protected_groups(&self) -> &[String] {
        &self.protected_groups
    }
    /// Groups nobody is ever added to (case ignored).
    pub fn privileged_groups(&self) -> &GroupPatterns {
        &self.privileged_groups
    }
    /// When set, the only groups anyone may be added to (exact).
    pub fn grantable_groups(&self) -> Option<&GroupPatterns> {
        self.grantable_groups.as_ref()
    }
    /// Every action is planned, never executed.
    pub fn dry_run_only(&self) -> bool {
        self.dry_run_only
    }
    /// The groups (names or `*` patterns, exact case) whose membership a
    /// reconcile's roster decides; `None`: the groups the roster names.
    pub fn managed_groups(&self) -> Option<&[String]> {
        self.managed_groups.as_deref()
    }
    /// Most deprovisions one reconcile plan may hold.
    pub fn max_deprovisions(&self) -> DeprovisionCap {
        self.max_deprovisions
    }
    /// What a reconcile does with orphans.
    pub fn orphans(&self) -> OrphanPolicy {
        self.orphans
    }
}

/// How hard the connector works ([`Class::Limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    request_timeout: Duration,
    concurrency: usize,
    cache_ttl: Duration,
    max_rps: Option<u32>,
    retry: RetryPolicy,
    verify_products: bool,
}

impl Limits {
    /// Per-request timeout.
    pub fn request_timeout(&self) -> Duration {
        self.request_timeout
    }
    /// Requests in flight at once within one action.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }
    /// How long a warm engine trusts a group resolution (zero: not at all).
    pub fn cache_ttl(&self) -> Duration {
        self.cache_ttl
    }
    /// Most requests per second this process sends (`LCM_MAX_RPS`), if capped.
    pub fn max_rps(&self) -> Option<u32> {
        self.max_rps
    }
    /// Retry policy.
    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }
    /// Verify product access after every action (`LCM_VERIFY_PRODUCTS`).
    pub fn verify_products(&self) -> bool {
        self.verify_products
    }
}

/// A validated configuration, in one part per [`Class`].
#[derive(Debug, Clone)]
pub struct Config {
    credentials: Credentials,
    endpoints: Endpoints,
    safety: Safety,
    limits: Limits,
}

impl Config {
    /// Validates raw settings. Every problem is reported, not just the first:
    /// unknown names, bad values, missing settings and pairs given by half.
    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigError> {
        let mut errors: Vec<FieldError> = raw.unknown_errors().collect();
        // URL checks depend on this one setting; a bad value of it is
        // reported by the loop and counts as `false` meanwhile.
        let allow_custom = raw
            .get(Key::AllowCustomEndpoints)
            .and_then(|(v, _)| parse::parse(Kind::Flag, v, false).ok())
            .is_some_and(|v| matches!(v, Value::Flag(true)));
        let mut values = Values::default();
        for setting in &SETTINGS {
            match read(setting, raw, allow_custom) {
                Ok(Some(value)) => {
                    values.0.insert(setting.key, value);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        if values.has(Key::ProductToken) != values.has(Key::ProductUser) {
            errors.push(FieldError::new(
                Key::ProductToken,
                None,
                Problem::new("and ")
                    .name(Key::ProductUser)
                    .text(" go together: give both or neither"),
            ));
        }
        errors.extend(values.product_errors());
        if !errors.is_empty() {
            return Err(ConfigError { errors });
        }
        Ok(values.into_config())
    }

    /// What Atlassian issued.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
    /// Where credentials may be sent.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }
    /// The safety rails.
    pub fn safety(&self) -> &Safety {
        &self.safety
    }
    /// Time-outs, concurrency and retries.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The same configuration with another retry policy. Not a setting: hosts
    /// and tests that need faster or slower retries choose it in code.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Config {
        self.limits.retry = retry;
        self
    }
}

/// Reads one setting: its given value, else its default; `None` when an
/// optional setting is absent.
fn read(
    setting: &Setting,
    raw: &RawConfig,
    allow_custom: bool,
) -> Result<Option<Value>, FieldError> {
    let (value, source) = match (raw.get(setting.key), setting.presence) {
        (Some((value, source)), _) => (value.clone(), Some(source)),
        (None, Presence::Required) => {
            return Err(FieldError::new(
                setting.key,
                None,
                format!("is required: {}", setting.doc),
            ))
        }
        (None, Presence::Optional) => return Ok(None),
        (None, Presence::Default(text)) => (RawValue::Text(text.to_string()), None),
    };
    parse::parse(setting.kind, &value, allow_custom)
        .map(Some)
        .map_err(|problem| FieldError::new(setting.key, source, problem))
}

/// Values read without error, taken out into the parts of a [`Config`].
/// Each getter's kind matches the table's, which a unit test checks; a
/// mismatch is a bug in the table, found the first time it is read.
#[derive(Default)]
struct Values(BTreeMap<Key, Value>);

impl Values {
    fn has(&self, key: Key) -> bool {
        self.0.contains_key(&key)
    }

    /// Product sites and a workspace are asked with the product
    /// credentials, and verification needs something to ask.
    fn product_errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let credentials = self.has(Key::ProductToken) && self.has(Key::ProductUser);
        for key in [Key::ProductSites, Key::BitbucketWorkspace] {
            let given = match self.0.get(&key) {
                Some(Value::Sites(sites)) => !sites.is_empty(),
                Some(_) => true,
                None => false,
            };
            if given && !credentials {
                errors.push(FieldError::new(
                    key,
                    None,
                    Problem::new("is asked with ")
                        .name(Key::ProductUser)
                        .text(" and ")
                        .name(Key::ProductToken)
                        .text(": give both"),
                ));
            }
        }
        let has_target = matches!(self.0.get(&Key::ProductSites), Some(Value::Sites(s)) if !s.is_empty())
            || self.has(Key::BitbucketWorkspace);
        if matches!(self.0.get(&Key::VerifyProducts), Some(Value::Flag(true))) && !has_target {
            errors.push(FieldError::new(
                Key::VerifyProducts,
                None,
                Problem::new("needs something to verify: set ")
                    .name(Key::ProductSites)
                    .text(" or ")
                    .name(Key::BitbucketWorkspace),
            ));
        }
        errors
    }

    fn take(&mut self, key: Key) -> Option<Value> {
        self.0.remove(&key)
    }

    fn flag(&mut self, key: Key) -> bool {
        match self.take(key) {
            Some(Value::Flag(b)) => b,
            _ => unreachable!("{key:?} is a flag with a default"),
        }
    }

    fn count(&mut self, key: Key) -> u64 {
        match self.take(key) {
            Some(Value::Count(n)) => n,
            _ => unreachable!("{key:?} is a count with a default"),
        }
    }

    fn optional_count(&mut self, key: Key) -> Option<u64> {
        match self.take(key) {
            Some(Value::Count(n)) => Some(n),
            _ => None,
        }
    }

    fn endpoint(&mut self, key: Key) -> String {
        match self.take(key) {
            Some(Value::Endpoint(url)) => url,
            _ => unreachable!("{key:?} is an endpoint with a default"),
        }
    }

    fn groups(&mut self, key: Key) -> Option<Vec<String>> {
        match self.take(key) {
            Some(Value::Groups(g)) => Some(g),
            _ => None,
        }
    }

    fn cap(&mut self, key: Key) -> DeprovisionCap {
        match self.take(key) {
            Some(Value::Cap(c)) => c,
            _ => unreachable!("{key:?} is a cap with a default"),
        }
    }

    fn choice(&mut self, key: Key) -> &'static str {
        match self.take(key) {
            Some(Value::Choice(w)) => w,
            _ => unreachable!("{key:?} is a choice with a default"),
        }
    }

    fn secret(&mut self, key: Key) -> Option<Secret> {
        match self.take(key) {
            Some(Value::Secret(s)) => Some(s),
            _ => None,
        }
    }

    fn into_config(mut self) -> Config {
        let (scim_url, scim_directory_id) = match self.take(Key::ScimUrl) {
            Some(Value::ScimUrl(url, id)) => (url, id),
            _ => unreachable!("the SCIM URL is required"),
        };
        let Some(Value::OrgId(org_id)) = self.take(Key::OrganizationId) else {
            unreachable!("the organization id is required")
        };
        let product_user = match self.take(Key::ProductUser) {
            Some(Value::Text(user)) => Some(user),
            _ => None,
        };
        let protected_groups = self.groups(Key::ProtectedGroups).unwrap_or_default();
        // An empty value (a blank template parameter) must not switch the
        // deny-list off, nor turn the allow-list into "grant nothing".
        let privileged = self
            .groups(Key::PrivilegedGroups)
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| {
                DEFAULT_PRIVILEGED_GROUPS
                    .split(',')
                    .map(str::to_string)
                    .collect()
            });
        let privileged_groups = GroupPatterns::ignoring_case(privileged);
        let grantable_groups = self
            .groups(Key::GrantableGroups)
            .filter(|g| !g.is_empty())
            .map(GroupPatterns::exact);
        let credentials = Credentials {
            scim_url,
            scim_directory_id,
            scim_token: self.secret(Key::ScimToken).expect("required"),
            admin_api_key: self.secret(Key::AdminApiKey).expect("required"),
            org_id,
            product_token: self.secret(Key::ProductToken),
            product_user,
        };
        Config {
            credentials,
            endpoints: Endpoints {
                admin_base_url: self.endpoint(Key::AdminBaseUrl),
                api_base_url: self.endpoint(Key::ApiBaseUrl),
                custom_allowed: self.flag(Key::AllowCustomEndpoints),
                product_sites: match self.take(Key::ProductSites) {
                    Some(Value::Sites(sites)) => sites,
                    _ => Vec::new(),
                },
                bitbucket_workspace: match self.take(Key::BitbucketWorkspace) {
                    Some(Value::Text(ws)) => Some(ws),
                    _ => None,
                },
                bitbucket_base_url: self.endpoint(Key::BitbucketBaseUrl),
            },
            safety: Safety {
                allow_delete: self.flag(Key::AllowDelete),
                delete_accounts: self.flag(Key::DeleteAccounts),
                max_removals: self.count(Key::MaxRemovals) as usize,
                protected_groups,
                privileged_groups,
                grantable_groups,
                dry_run_only: self.flag(Key::DryRunOnly),
                // Blank (an empty template parameter) is unset, not "no group in scope".
                managed_groups: self.groups(Key::ManagedGroups).filter(|g| !g.is_empty()),
                max_deprovisions: self.cap(Key::MaxDeprovisions),
                orphans: match self.choice(Key::Orphans) {
                    "deprovision" => OrphanPolicy::Deprovision,
                    _ => OrphanPolicy::Report,
                },
            },
            limits: Limits {
                request_timeout: Duration::from_millis(self.count(Key::RequestTimeoutMs)),
                concurrency: self.count(Key::Concurrency) as usize,
                cache_ttl: Duration::from_secs(self.count(Key::CacheTtlSeconds)),
                max_rps: self.optional_count(Key::MaxRps).map(|n| n as u32),
                retry: RetryPolicy::default(),
                verify_products: self.flag(Key::VerifyProducts),
            },
        }
    }
}

#[cfg(test)]
mod tests;
