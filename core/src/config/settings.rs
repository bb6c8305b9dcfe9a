//! The table of settings: one [`Setting`] per key, holding its three
//! spellings, its class, how its value is read, its default and its
//! documentation. Validation, the README table check, the JavaScript
//! capabilities and the hosts' error messages all read this table, so a new
//! setting is one [`Key`] variant, one descriptor and one field in a part of
//! [`crate::Config`].

/// Every setting. The variants are in the order of [`SETTINGS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// `LCM_SCIM_URL`
    ScimUrl,
    /// `LCM_SCIM_TOKEN`
    ScimToken,
    /// `LCM_ADMIN_API_KEY`
    AdminApiKey,
    /// `LCM_SCIM_ORGANIZATION_ID`
    OrganizationId,
    /// `LCM_ADMIN_BASE_URL`
    AdminBaseUrl,
    /// `LCM_API_BASE_URL`
    ApiBaseUrl,
    /// `LCM_ALLOW_CUSTOM_ENDPOINTS`
    AllowCustomEndpoints,
    /// `LCM_ALLOW_DELETE`
    AllowDelete,
    /// `LCM_DELETE_ACCOUNTS`
    DeleteAccounts,
    /// `LCM_MAX_REMOVALS`
    MaxRemovals,
    /// `LCM_PROTECTED_GROUPS`
    ProtectedGroups,
    /// `LCM_PRIVILEGED_GROUPS`
    PrivilegedGroups,
    /// `LCM_GRANTABLE_GROUPS`
    GrantableGroups,
    /// `LCM_DRY_RUN_ONLY`
    DryRunOnly,
    /// `LCM_PRODUCT_TOKEN`
    ProductToken,
    /// `LCM_PRODUCT_USER`
    ProductUser,
    /// `LCM_REQUEST_TIMEOUT_MS`
    RequestTimeoutMs,
    /// `LCM_CONCURRENCY`
    Concurrency,
    /// `LCM_CACHE_TTL_SECONDS`
    CacheTtlSeconds,
    /// `LCM_MAX_RPS`
    MaxRps,
    /// `LCM_MANAGED_GROUPS`
    ManagedGroups,
    /// `LCM_MAX_DEPROVISIONS`
    MaxDeprovisions,
    /// `LCM_ORPHANS`
    Orphans,
    /// `LCM_PRODUCT_SITES`
    ProductSites,
    /// `LCM_BITBUCKET_WORKSPACE`
    BitbucketWorkspace,
    /// `LCM_BITBUCKET_BASE_URL`
    BitbucketBaseUrl,
    /// `LCM_VERIFY_PRODUCTS`
    VerifyProducts,
}

/// What a setting governs. Each class is one part of [`crate::Config`], and
/// decides which sources may give the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// What Atlassian issued: the keys, and the SCIM URL and organization id
    /// that are issued with them (a credentials secret carries all four).
    Credential,
    /// Where credentials may be sent.
    Endpoint,
    /// A rail that limits what a call may change.
    Safety,
    /// How hard the connector works: time-outs, concurrency.
    Limit,
}

/// How a setting's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false` (also `1`/`0`, `yes`/`no`).
    Flag,
    /// A whole number in `min..=max`.
    Count {
        /// Smallest value accepted.
        min: u64,
        /// Largest value accepted.
        max: u64,
    },
    /// Free text.
    Text,
    /// A credential: non-empty text, never shown anywhere.
    Secret,
    /// Group names: a comma-separated string or a JSON list of strings.
    Groups,
    /// An API base URL: Atlassian's over HTTPS unless custom endpoints are allowed.
    Endpoint,
    /// The SCIM directory URL, `.../scim/directory/{id}`.
    ScimUrl,
    /// An organization id: letters, digits, `-` and `_`.
    OrgId,
    /// A count (`12`) or a percentage (`5%`) of a reconcile's roster.
    CountOrPercent,
    /// One of these words, case ignored.
    Choice(&'static [&'static str]),
    /// Product site URLs, comma-separated: `https://<name>.atlassian.net`
    /// unless custom endpoints are allowed.
    Sites,
    /// A Bitbucket workspace slug: letters, digits, `-`, `_` and `.`.
    Slug,
    /// The Bitbucket API base: `https://api.bitbucket.org` unless custom
    /// endpoints are allowed.
    BitbucketEndpoint,
}

/// Whether a setting must be given, and what it is when it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Nothing runs without it.
    Required,
    /// Absent unless given.
    Optional,
    /// This text, read like a given value (so a default is written once, in
    /// the spelling a user would type).
    Default(&'static str),
}

/// One setting's descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The key.
    pub key: Key,
    /// Its environment variable.
    pub env: &'static str,
    /// Its name in config files and secrets.
    pub snake: &'static str,
    /// Its name in JavaScript.
    pub camel: &'static str,
    /// What it governs.
    pub class: Class,
    /// How its value is read.
    pub kind: Kind,
    /// Required, optional or defaulted.
    pub presence: Presence,
    /// What it is, as the README says; also the hint when it is missing.
    pub doc: &'static str,
}

const fn setting(
    key: Key,
    names: [&'static str; 3],
    class: Class,
    kind: Kind,
    presence: Presence,
    doc: &'static str,
) -> Setting {
    let [env, snake, camel] = names;
    Setting {
        key,
        env,
        snake,
        camel,
        class,
        kind,
        presence,
        doc,
    }
}

use Class::{Credential, Endpoint, Limit, Safety};
use Presence::{Optional, Required};

/// Every setting, in documentation order (the order of [`Key`]).
pub const SETTINGS: [Setting; 27] = [
    setting(
        Key::ScimUrl,
        ["LCM_SCIM_URL", "scim_url", "scimUrl"],
        Credential,
        Kind::ScimUrl,
        Required,
        "the directory base URL shown when the SCIM API key was created, like https://api.atlassian.com/scim/directory/<id>",
    ),
    setting(
        Key::ScimToken,
        ["LCM_SCIM_TOKEN", "scim_token", "scimToken"],
        Credential,
        Kind::Secret,
        Required,
        "the SCIM directory API key",
    ),
    setting(
        Key::AdminApiKey,
        ["LCM_ADMIN_API_KEY", "admin_api_key", "adminApiKey"],
        Credential,
        Kind::Secret,
        Required,
        "an organization API key (Admin and user management)",
    ),
    setting(
        Key::OrganizationId,
        ["LCM_SCIM_ORGANIZATION_ID", "scim_organization_id", "scimOrganizationId"],
        Credential,
        Kind::OrgId,
        Required,
        "the organization id from admin.atlassian.com",
    ),
    setting(
        Key::AdminBaseUrl,
        ["LCM_ADMIN_BASE_URL", "admin_base_url", "adminBaseUrl"],
        Endpoint,
        Kind::Endpoint,
        Presence::Default(super::DEFAULT_ADMIN_BASE_URL),
        "the Admin API base",
    ),
    setting(
        Key::ApiBaseUrl,
        ["LCM_API_BASE_URL", "api_base_url", "apiBaseUrl"],
        Endpoint,
        Kind::Endpoint,
        Presence::Default(super::DEFAULT_API_BASE_URL),
        "the user-management API base",
    ),
    setting(
        Key::AllowCustomEndpoints,
        ["LCM_ALLOW_CUSTOM_ENDPOINTS", "allow_custom_endpoints", "allowCustomEndpoints"],
        Endpoint,
        Kind::Flag,
        Presence::Default("false"),
        "send credentials to a host other than api.atlassian.com (an emulator, a proxy)",
    ),
    setting(
        Key::AllowDelete,
        ["LCM_ALLOW_DELETE", "allow_delete", "allowDelete"],
        Safety,
        Kind::Flag,
        Presence::Default("false"),
        "permit DELETE_IDENTITY",
    ),
    setting(
        Key::DeleteAccounts,
        ["LCM_DELETE_ACCOUNTS", "delete_accounts", "deleteAccounts"],
        Safety,
        Kind::Flag,
        Presence::Default("false"),
        "after the SCIM delete, also delete the Atlassian account",
    ),
    setting(
        Key::MaxRemovals,
        ["LCM_MAX_REMOVALS", "max_removals", "maxRemovals"],
        Safety,
        Kind::Count { min: 0, max: u32::MAX as u64 },
        Presence::Default("25"),
        "most membership removals one call may make",
    ),
    setting(
        Key::ProtectedGroups,
        ["LCM_PROTECTED_GROUPS", "protected_groups", "protectedGroups"],
        Safety,
        Kind::Groups,
        Optional,
        "groups whose memberships are never removed",
    ),
    setting(
        Key::PrivilegedGroups,
        ["LCM_PRIVILEGED_GROUPS", "privileged_groups", "privilegedGroups"],
        Safety,
        Kind::Groups,
        Presence::Default(super::DEFAULT_PRIVILEGED_GROUPS),
        "groups (names or `*` patterns, case ignored) the connector never adds anyone to",
    ),
    setting(
        Key::GrantableGroups,
        ["LCM_GRANTABLE_GROUPS", "grantable_groups", "grantableGroups"],
        Safety,
        Kind::Groups,
        Optional,
        "when set, the only groups (names or `*` patterns, exact case) the connector may add anyone to",
    ),
    setting(
        Key::DryRunOnly,
        ["LCM_DRY_RUN_ONLY", "dry_run_only", "dryRunOnly"],
        Safety,
        Kind::Flag,
        Presence::Default("false"),
        "plan everything, execute nothing",
    ),
    setting(
        Key::ProductToken,
        ["LCM_PRODUCT_TOKEN", "product_token", "productToken"],
        Credential,
        Kind::Secret,
        Optional,
        "an Atlassian API token for the product sites and Bitbucket (basic auth), with the product user",
    ),
    setting(
        Key::ProductUser,
        ["LCM_PRODUCT_USER", "product_user", "productUser"],
        Credential,
        Kind::Text,
        Optional,
        "the e-mail of the account the product token belongs to",
    ),
    setting(
        Key::RequestTimeoutMs,
        ["LCM_REQUEST_TIMEOUT_MS", "request_timeout_ms", "requestTimeoutMs"],
        Limit,
        Kind::Count { min: 100, max: 300_000 },
        Presence::Default("30000"),
        "per-request timeout in milliseconds",
    ),
    setting(
        Key::Concurrency,
        ["LCM_CONCURRENCY", "concurrency", "concurrency"],
        Limit,
        Kind::Count { min: 1, max: 32 },
        Presence::Default("10"),
        "requests in flight within one call",
    ),
    setting(
        Key::CacheTtlSeconds,
        ["LCM_CACHE_TTL_SECONDS", "cache_ttl_seconds", "cacheTtlSeconds"],
        Limit,
        Kind::Count { min: 0, max: 86_400 },
        Presence::Default("300"),
        "how long one engine (a warm Lambda, a wasm instance, a CLI batch) trusts a group it resolved; 0 disables the cache",
    ),
    setting(
        Key::MaxRps,
        ["LCM_MAX_RPS", "max_rps", "maxRps"],
        Limit,
        Kind::Count { min: 1, max: 10_000 },
        Optional,
        "most requests per second the process sends to Atlassian, whatever the server allows",
    ),
    setting(
        Key::ManagedGroups,
        ["LCM_MANAGED_GROUPS", "managed_groups", "managedGroups"],
        Safety,
        Kind::Groups,
        Optional,
        "the groups (names or `*` patterns, exact case) whose membership a reconcile's roster decides; unset: the groups the roster names",
    ),
    setting(
        Key::MaxDeprovisions,
        ["LCM_MAX_DEPROVISIONS", "max_deprovisions", "maxDeprovisions"],
        Safety,
        Kind::CountOrPercent,
        Presence::Default("5%"),
        "most deprovisions one reconcile may make, as a count or a percentage of the roster; a plan over it is refused whole",
    ),
    setting(
        Key::Orphans,
        ["LCM_ORPHANS", "orphans", "orphans"],
        Safety,
        Kind::Choice(&["report", "deprovision"]),
        Presence::Default("report"),
        "what a reconcile does with SCIM users no roster line matches: `report` them, or `deprovision` those whose externalId is ours (the ordering ledger holds an event for it)",
    ),
    setting(
        Key::ProductSites,
        ["LCM_PRODUCT_SITES", "product_sites", "productSites"],
        Endpoint,
        Kind::Sites,
        Optional,
        "comma-separated product site URLs (https://<name>.atlassian.net) that CHECK and verification ask, with the product user and token",
    ),
    setting(
        Key::BitbucketWorkspace,
        ["LCM_BITBUCKET_WORKSPACE", "bitbucket_workspace", "bitbucketWorkspace"],
        Endpoint,
        Kind::Slug,
        Optional,
        "the Bitbucket workspace (slug) whose membership CHECK and verification ask, with the product user and token",
    ),
    setting(
        Key::BitbucketBaseUrl,
        ["LCM_BITBUCKET_BASE_URL", "bitbucket_base_url", "bitbucketBaseUrl"],
        Endpoint,
        Kind::BitbucketEndpoint,
        Presence::Default(crate::products::DEFAULT_BITBUCKET_BASE_URL),
        "the Bitbucket Cloud API base",
    ),
    setting(
        Key::VerifyProducts,
        ["LCM_VERIFY_PRODUCTS", "verify_products", "verifyProducts"],
        Limit,
        Kind::Flag,
        Presence::Default("false"),
        "after every action, look the person up on each product site and in the Bitbucket workspace (read-only) and report what each product says",
    ),
];

impl Key {
    /// All keys, in documentation order.
    pub const ALL: [Key; SETTINGS.len()] = {
        let mut keys = [Key::ScimUrl; SETTINGS.len()];
        let mut i = 0;
        while i < SETTINGS.len() {
            keys[i] = SETTINGS[i].key;
            i += 1;
        }
        keys
    };

    /// This key's descriptor.
    pub fn setting(self) -> &'static Setting {
        // The table is in the order of the enum; a unit test holds it there.
        &SETTINGS[self as usize]
    }

    /// `snake_case` name used in files and secrets.
    pub fn snake(self) -> &'static str {
        self.setting().snake
    }

    /// `camelCase` name used in JavaScript.
    pub fn camel(self) -> &'static str {
        self.setting().camel
    }

    /// Environment variable name.
    pub fn env(self) -> &'static str {
        self.setting().env
    }

    /// What the setting governs.
    pub fn class(self) -> Class {
        self.setting().class
    }

    /// True for credentials, whose values never appear in errors.
    pub fn is_secret(self) -> bool {
        self.setting().kind == Kind::Secret
    }

    /// True for the settings without which nothing can run.
    pub fn is_required(self) -> bool {
        self.setting().presence == Required
    }

    /// Finds a key by its snake, camel or environment spelling.
    pub fn lookup(name: &str) -> Option<Key> {
        SETTINGS
            .iter()
            .find(|s| s.snake == name || s.camel == name || s.env == name)
            .map(|s| s.key)
    }
}
