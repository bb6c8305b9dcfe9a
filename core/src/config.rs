//! The one configuration type, used by every host. Hosts collect raw values
//! (environment variables, a JSON config file, a Secrets Manager secret, a
//! JavaScript object) into a [`RawConfig`]; [`Config::from_raw`] validates all
//! of it at once and names every field that is wrong, so nothing reaches
//! Atlassian with a half-valid configuration.
//!
//! Names: `LCM_SCIM_URL` in the environment, `scim_url` in files and secrets,
//! `scimUrl` in JavaScript — the same setting everywhere.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::ids::{OrgId, ScimDirectoryId};
use crate::retry::RetryPolicy;
use crate::secret::Secret;

/// Atlassian's API host; anything else needs `allow_custom_endpoints`.
pub const ATLASSIAN_HOST: &str = "api.atlassian.com";
/// Default base of the Organizations (Admin) API.
pub const DEFAULT_ADMIN_BASE_URL: &str = "https://api.atlassian.com/admin";
/// Default base of the user-management API.
pub const DEFAULT_API_BASE_URL: &str = "https://api.atlassian.com";

/// Every setting, with its three spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
}

impl Key {
    /// All keys, in documentation order.
    pub const ALL: [Key; 16] = [
        Key::ScimUrl,
        Key::ScimToken,
        Key::AdminApiKey,
        Key::OrganizationId,
        Key::AdminBaseUrl,
        Key::ApiBaseUrl,
        Key::AllowCustomEndpoints,
        Key::AllowDelete,
        Key::DeleteAccounts,
        Key::MaxRemovals,
        Key::ProtectedGroups,
        Key::DryRunOnly,
        Key::ProductToken,
        Key::ProductUser,
        Key::RequestTimeoutMs,
        Key::Concurrency,
    ];

    /// `snake_case` name used in files and secrets.
    pub fn snake(self) -> &'static str {
        match self {
            Key::ScimUrl => "scim_url",
            Key::ScimToken => "scim_token",
            Key::AdminApiKey => "admin_api_key",
            Key::OrganizationId => "scim_organization_id",
            Key::AdminBaseUrl => "admin_base_url",
            Key::ApiBaseUrl => "api_base_url",
            Key::AllowCustomEndpoints => "allow_custom_endpoints",
            Key::AllowDelete => "allow_delete",
            Key::DeleteAccounts => "delete_accounts",
            Key::MaxRemovals => "max_removals",
            Key::ProtectedGroups => "protected_groups",
            Key::DryRunOnly => "dry_run_only",
            Key::ProductToken => "product_token",
            Key::ProductUser => "product_user",
            Key::RequestTimeoutMs => "request_timeout_ms",
            Key::Concurrency => "concurrency",
        }
    }

    /// `camelCase` name used in JavaScript.
    pub fn camel(self) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in self.snake().chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                out.push(c.to_ascii_uppercase());
                upper = false;
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Environment variable name.
    pub fn env(self) -> String {
        format!("LCM_{}", self.snake().to_ascii_uppercase())
    }

    /// True for credentials, whose values never appear in errors.
    pub fn is_secret(self) -> bool {
        matches!(self, Key::ScimToken | Key::AdminApiKey | Key::ProductToken)
    }

    /// Finds a key by its snake, camel or environment spelling.
    pub fn lookup(name: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.snake() == name || k.camel() == name || k.env() == name)
    }
}

/// A setting's value before validation: a string from the environment, or any
/// JSON value from a file, a secret or JavaScript.
#[derive(Clone, PartialEq)]
pub enum RawValue {
    /// From the environment or a JSON string.
    Text(String),
    /// Any other JSON value.
    Json(serde_json::Value),
}

impl fmt::Debug for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Raw values may be credentials; never print them.
        f.write_str("RawValue(..)")
    }
}

/// Settings gathered from one or more sources, not yet validated.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    values: BTreeMap<Key, (RawValue, String)>,
}

impl RawConfig {
    /// Reads every `LCM_*` variable through `lookup` (e.g. `std::env::var`).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> RawConfig {
        let mut raw = RawConfig::default();
        for key in Key::ALL {
            let name = key.env();
            if let Some(v) = lookup(&name) {
                if !v.is_empty() {
                    raw.values.insert(key, (RawValue::Text(v), name));
                }
            }
        }
        raw
    }

    /// Reads a JSON object whose keys are snake_case or camelCase names.
    /// Unknown keys are refused so a typo cannot silently drop a safety rail.
    /// `source` names the origin in error messages (`config file`, `secret`).
    pub fn from_json(value: &serde_json::Value, source: &str) -> Result<RawConfig, ConfigError> {
        let obj = value.as_object().ok_or_else(|| {
            ConfigError::one(source, format!("the {source} must be a JSON object"))
        })?;
        let mut raw = RawConfig::default();
        let mut errors = Vec::new();
        for (name, v) in obj {
            match Key::lookup(name) {
                Some(key) if v.is_null() => {
                    let _ = key;
                }
                Some(key) => {
                    let rv = match v {
                        serde_json::Value::String(s) => RawValue::Text(s.clone()),
                        other => RawValue::Json(other.clone()),
                    };
                    raw.values.insert(key, (rv, format!("{name} ({source})")));
                }
                None => errors.push(FieldError {
                    field: name.clone(),
                    message: format!(
                        "unknown setting `{name}` in the {source}; known settings: {}",
                        Key::ALL
                            .iter()
                            .map(|k| k.snake())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
            }
        }
        if errors.is_empty() {
            Ok(raw)
        } else {
            Err(ConfigError { errors })
        }
    }

    /// Sets one value (used by hosts for flags such as `--dry-run`).
    pub fn set(&mut self, key: Key, value: RawValue, origin: impl Into<String>) {
        self.values.insert(key, (value, origin.into()));
    }

    /// Values from `other` override ours (later sources win).
    pub fn merge(mut self, other: RawConfig) -> RawConfig {
        self.values.extend(other.values);
        self
    }

    /// True when the setting was given.
    pub fn has(&self, key: Key) -> bool {
        self.values.contains_key(&key)
    }
}

/// One invalid setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The setting as the user spelled it (`LCM_SCIM_URL`, `scimUrl`, ...).
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, one per setting.
    pub errors: Vec<FieldError>,
}

impl ConfigError {
    fn one(field: &str, message: String) -> ConfigError {
        ConfigError {
            errors: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration: ")?;
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{}", e.message)?;
        }
        Ok(())
    }
}

/// Rails that stop a bad event from doing wholesale damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Safety {
    /// `DELETE_IDENTITY` is refused unless this is set.
    pub allow_delete: bool,
    /// After the SCIM delete, also delete the Atlassian account itself
    /// (user-management `lifecycle/delete`, 14-day grace).
    pub delete_accounts: bool,
    /// Most group memberships one call may remove.
    pub max_removals: usize,
    /// Groups whose memberships are never removed by this connector.
    pub protected_groups: Vec<String>,
    /// Every action is planned, never executed.
    pub dry_run_only: bool,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            allow_delete: false,
            delete_accounts: false,
            max_removals: 25,
            protected_groups: Vec::new(),
            dry_run_only: false,
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// SCIM base URL, `.../scim/directory/{id}`, without a trailing slash.
    pub scim_url: String,
    /// The SCIM directory id parsed from `scim_url`.
    pub scim_directory_id: ScimDirectoryId,
    /// SCIM directory API key.
    pub scim_token: Secret,
    /// Organization API key (Admin and user-management APIs).
    pub admin_api_key: Secret,
    /// The organization.
    pub org_id: OrgId,
    /// Admin API base, without a trailing slash.
    pub admin_base_url: String,
    /// User-management API base, without a trailing slash.
    pub api_base_url: String,
    /// Safety rails.
    pub safety: Safety,
    /// Optional product (Jira/Confluence) API token, for hosts that check
    /// product access; never sent to the admin APIs.
    pub product_token: Option<Secret>,
    /// The product API user (e-mail) that goes with `product_token`.
    pub product_user: Option<String>,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Requests in flight at once within one action.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryPolicy,
}

impl Config {
    /// Validates raw settings. Every problem is reported, not just the first.
    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigError> {
        let mut errors = Vec::new();
        let mut fail = |key: Key, origin: Option<&str>, message: String| {
            errors.push(FieldError {
                field: origin.map(str::to_string).unwrap_or_else(|| key.env()),
                message,
            })
        };
        let get = |key: Key| raw.values.get(&key).map(|(v, o)| (v, o.as_str()));
        let text = |key: Key| -> Option<(String, &str)> {
            get(key).map(|(v, o)| match v {
                RawValue::Text(s) => (s.trim().to_string(), o),
                RawValue::Json(j) => (j.to_string(), o),
            })
        };
        let flag = |key: Key, fail: &mut dyn FnMut(Key, Option<&str>, String)| -> bool {
            match get(key) {
                None => false,
                Some((RawValue::Json(serde_json::Value::Bool(b)), _)) => *b,
                Some((RawValue::Text(s), o)) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    _ => {
                        fail(
                            key,
                            Some(o),
                            format!("`{o}` must be true or false, not `{s}`"),
                        );
                        false
                    }
                },
                Some((_, o)) => {
                    fail(key, Some(o), format!("`{o}` must be true or false"));
                    false
                }
            }
        };
        let number =
            |key: Key, default: u64, fail: &mut dyn FnMut(Key, Option<&str>, String)| -> u64 {
                match get(key) {
                    None => default,
                    Some((RawValue::Json(serde_json::Value::Number(n)), o)) => {
                        n.as_u64().unwrap_or_else(|| {
                            fail(key, Some(o), format!("`{o}` must be a whole number"));
                            default
                        })
                    }
                    Some((RawValue::Text(s), o)) => s.trim().parse().unwrap_or_else(|_| {
                        fail(
                            key,
                            Some(o),
                            format!("`{o}` must be a whole number, not `{s}`"),
                        );
                        default
                    }),
                    Some((_, o)) => {
                        fail(key, Some(o), format!("`{o}` must be a whole number"));
                        default
                    }
                }
            };
        let secret = |key: Key,
                      required: bool,
                      fail: &mut dyn FnMut(Key, Option<&str>, String)|
         -> Option<Secret> {
            match get(key) {
                Some((RawValue::Text(s), o)) => {
                    let s = Secret::new(s.trim());
                    if s.is_blank() {
                        fail(key, Some(o), format!("`{o}` is empty"));
                        None
                    } else {
                        Some(s)
                    }
                }
                Some((_, o)) => {
                    fail(key, Some(o), format!("`{o}` must be a string"));
                    None
                }
                None if required => {
                    fail(
                        key,
                        None,
                        format!(
                            "`{}` is required (`{}` in a config file or secret)",
                            key.env(),
                            key.snake()
                        ),
                    );
                    None
                }
                None => None,
            }
        };

        let allow_custom = flag(Key::AllowCustomEndpoints, &mut fail);
        let scim_token = secret(Key::ScimToken, true, &mut fail);
        let admin_api_key = secret(Key::AdminApiKey, true, &mut fail);
        let product_token = secret(Key::ProductToken, false, &mut fail);

        let mut scim = None;
        match text(Key::ScimUrl) {
            None => fail(Key::ScimUrl, None, format!(
                "`{}` is required: the directory base URL shown when the SCIM API key was created, like https://api.atlassian.com/scim/directory/<id>",
                Key::ScimUrl.env()
            )),
            Some((u, o)) => match parse_scim_url(&u, allow_custom) {
                Ok(v) => scim = Some(v),
                Err(m) => fail(Key::ScimUrl, Some(o), format!("`{o}`: {m}")),
            },
        }
        let base =
            |key: Key, default: &str, fail: &mut dyn FnMut(Key, Option<&str>, String)| -> String {
                match text(key) {
                    None => default.to_string(),
                    Some((u, o)) => match check_endpoint(&u, allow_custom) {
                        Ok(v) => v,
                        Err(m) => {
                            fail(key, Some(o), format!("`{o}`: {m}"));
                            default.to_string()
                        }
                    },
                }
            };
        let admin_base_url = base(Key::AdminBaseUrl, DEFAULT_ADMIN_BASE_URL, &mut fail);
        let api_base_url = base(Key::ApiBaseUrl, DEFAULT_API_BASE_URL, &mut fail);

        let org_id = match text(Key::OrganizationId) {
            None => {
                fail(
                    Key::OrganizationId,
                    None,
                    format!(
                        "`{}` is required: the organization id from admin.atlassian.com",
                        Key::OrganizationId.env()
                    ),
                );
                None
            }
            Some((s, o))
                if s.is_empty()
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                fail(
                    Key::OrganizationId,
                    Some(o),
                    format!("`{o}` must be letters, digits, `-` or `_`"),
                );
                None
            }
            Some((s, _)) => Some(OrgId::new(s)),
        };

        let protected_groups = match get(Key::ProtectedGroups) {
            None => Vec::new(),
            Some((RawValue::Text(s), _)) => s
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
            Some((RawValue::Json(serde_json::Value::Array(items)), o)) => items
                .iter()
                .filter_map(|i| match i.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        fail(
                            Key::ProtectedGroups,
                            Some(o),
                            format!("`{o}` must list group names as strings"),
                        );
                        None
                    }
                })
                .collect(),
            Some((_, o)) => {
                fail(
                    Key::ProtectedGroups,
                    Some(o),
                    format!("`{o}` must be a list of group names"),
                );
                Vec::new()
            }
        };
        let safety = Safety {
            allow_delete: flag(Key::AllowDelete, &mut fail),
            delete_accounts: flag(Key::DeleteAccounts, &mut fail),
            max_removals: number(Key::MaxRemovals, 25, &mut fail) as usize,
            protected_groups,
            dry_run_only: flag(Key::DryRunOnly, &mut fail),
        };
        let product_user = text(Key::ProductUser).map(|(s, _)| s);
        if product_token.is_some() != product_user.is_some() {
            fail(
                Key::ProductToken,
                None,
                format!(
                    "`{}` and `{}` go together: give both or neither",
                    Key::ProductToken.env(),
                    Key::ProductUser.env()
                ),
            );
        }
        let timeout_ms = number(Key::RequestTimeoutMs, 30_000, &mut fail);
        if !(100..=300_000).contains(&timeout_ms) {
            fail(
                Key::RequestTimeoutMs,
                None,
                format!(
                    "`{}` must be between 100 and 300000",
                    Key::RequestTimeoutMs.env()
                ),
            );
        }
        let concurrency = number(Key::Concurrency, 4, &mut fail);
        if !(1..=32).contains(&concurrency) {
            fail(
                Key::Concurrency,
                None,
                format!("`{}` must be between 1 and 32", Key::Concurrency.env()),
            );
        }

        if !errors.is_empty() {
            return Err(ConfigError { errors });
        }
        let (scim_url, scim_directory_id) = scim.expect("checked above");
        Ok(Config {
            scim_url,
            scim_directory_id,
            scim_token: scim_token.expect("checked above"),
            admin_api_key: admin_api_key.expect("checked above"),
            org_id: org_id.expect("checked above"),
            admin_base_url,
            api_base_url,
            safety,
            product_token,
            product_user,
            request_timeout: Duration::from_millis(timeout_ms),
            concurrency: concurrency as usize,
            retry: RetryPolicy::default(),
        })
    }
}

/// Splits `https://api.atlassian.com/scim/directory/{id}` into the base URL and
/// the SCIM directory id.
pub fn parse_scim_url(url: &str, allow_custom: bool) -> Result<(String, ScimDirectoryId), String> {
    let base = check_endpoint(url, allow_custom)?;
    let uri: http::Uri = base.parse().map_err(|e| format!("not a URL: {e}"))?;
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., "scim", "directory", id] => Ok((base.clone(), ScimDirectoryId::new(*id))),
        _ => Err("must end in /scim/directory/<directory id>, like https://api.atlassian.com/scim/directory/abcdeg1234".into()),
    }
}

/// Checks that a base URL is Atlassian's over HTTPS, or that custom endpoints
/// were explicitly allowed; returns it without a trailing slash. Parsed with
/// `http::Uri` (already needed for requests) rather than a full URL crate,
/// whose Unicode tables would triple the size of the WebAssembly build.
pub fn check_endpoint(url: &str, allow_custom: bool) -> Result<String, String> {
    let trimmed = url.trim();
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| format!("`{url}` is not a URL ({e})"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!(
            "`{url}` is not an absolute URL like https://{ATLASSIAN_HOST}/..."
        ));
    };
    if authority.as_str().contains('@') {
        return Err("must not contain credentials".into());
    }
    if uri.query().is_some() {
        return Err("must not carry a query".into());
    }
    let is_atlassian = scheme == "https"
        && authority.host().eq_ignore_ascii_case(ATLASSIAN_HOST)
        && authority.port().is_none();
    if !is_atlassian {
        if !allow_custom {
            return Err(format!(
                "`{url}` is not https://{ATLASSIAN_HOST}; to send credentials to another host (an emulator, a proxy) set {}=true",
                Key::AllowCustomEndpoints.env()
            ));
        }
        if !matches!(scheme, "http" | "https") {
            return Err(format!("`{url}` must be http or https"));
        }
    }
    Ok(trimmed.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> RawConfig {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        RawConfig::from_env(|k| map.get(k).cloned())
    }

    const GOOD: [(&str, &str); 4] = [
        (
            "LCM_SCIM_URL",
            "https://api.atlassian.com/scim/directory/abcdeg1234",
        ),
        ("LCM_SCIM_TOKEN", "scim-secret-value"),
        ("LCM_ADMIN_API_KEY", "admin-secret-value"),
        ("LCM_SCIM_ORGANIZATION_ID", "org-1"),
    ];

    #[test]
    fn minimal_env_config_with_defaults() {
        let c = Config::from_raw(&env(&GOOD)).unwrap();
        assert_eq!(c.scim_directory_id.as_str(), "abcdeg1234");
        assert_eq!(c.admin_base_url, DEFAULT_ADMIN_BASE_URL);
        assert_eq!(c.api_base_url, DEFAULT_API_BASE_URL);
        assert!(!c.safety.allow_delete);
        assert_eq!(c.safety.max_removals, 25);
        assert_eq!(c.org_id.as_str(), "org-1");
    }

    #[test]
    fn missing_fields_are_all_named() {
        let e = Config::from_raw(&env(&[])).unwrap_err();
        let fields: Vec<_> = e.errors.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "LCM_SCIM_URL",
            "LCM_SCIM_TOKEN",
            "LCM_ADMIN_API_KEY",
            "LCM_SCIM_ORGANIZATION_ID",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn custom_hosts_need_opt_in() {
        let mut pairs = GOOD.to_vec();
        pairs[0] = ("LCM_SCIM_URL", "http://127.0.0.1:9000/scim/directory/d1");
        let e = Config::from_raw(&env(&pairs)).unwrap_err();
        assert!(
            e.to_string().contains("LCM_ALLOW_CUSTOM_ENDPOINTS=true"),
            "{e}"
        );
        pairs.push(("LCM_ALLOW_CUSTOM_ENDPOINTS", "true"));
        pairs.push(("LCM_ADMIN_BASE_URL", "http://127.0.0.1:9000/admin/"));
        let c = Config::from_raw(&env(&pairs)).unwrap();
        assert_eq!(c.scim_directory_id.as_str(), "d1");
        assert_eq!(c.admin_base_url, "http://127.0.0.1:9000/admin");
    }

    #[test]
    fn admin_base_on_other_host_refused_without_opt_in() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("LCM_ADMIN_BASE_URL", "https://evil.example.com/admin"));
        let e = Config::from_raw(&env(&pairs)).unwrap_err();
        assert_eq!(e.errors[0].field, "LCM_ADMIN_BASE_URL");
    }

    #[test]
    fn scim_url_shapes() {
        assert!(parse_scim_url("https://api.atlassian.com/scim/directory/", false).is_err());
        assert!(parse_scim_url("https://api.atlassian.com/admin/v1", false).is_err());
        assert!(parse_scim_url("http://api.atlassian.com/scim/directory/x", false).is_err());
        assert!(
            parse_scim_url("https://user:pw@api.atlassian.com/scim/directory/x", false).is_err()
        );
        let (base, id) =
            parse_scim_url("https://api.atlassian.com/scim/directory/x1/", false).unwrap();
        assert_eq!(
            (base.as_str(), id.as_str()),
            ("https://api.atlassian.com/scim/directory/x1", "x1")
        );
    }

    #[test]
    fn json_config_accepts_both_spellings_and_refuses_unknown_keys() {
        let v = serde_json::json!({
            "scim_url": "https://api.atlassian.com/scim/directory/abc",
            "scimToken": "t", "admin_api_key": "k", "scimOrganizationId": "o",
            "protectedGroups": ["org-admins"], "maxRemovals": 3, "allowDelete": true
        });
        let c = Config::from_raw(&RawConfig::from_json(&v, "config file").unwrap()).unwrap();
        assert_eq!(c.safety.protected_groups, vec!["org-admins"]);
        assert_eq!(c.safety.max_removals, 3);
        assert!(c.safety.allow_delete);
        let e = RawConfig::from_json(&serde_json::json!({"scim_tokn": "x"}), "secret").unwrap_err();
        assert!(e.to_string().contains("scim_tokn"), "{e}");
    }

    #[test]
    fn bad_values_are_named_and_secrets_never_shown() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("LCM_ALLOW_DELETE", "perhaps"));
        pairs.push(("LCM_MAX_REMOVALS", "many"));
        let e = Config::from_raw(&env(&pairs)).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("LCM_ALLOW_DELETE") && s.contains("LCM_MAX_REMOVALS"),
            "{s}"
        );
        let c = Config::from_raw(&env(&GOOD)).unwrap();
        let dbg = format!("{c:?} {:?}", env(&GOOD));
        assert!(
            !dbg.contains("scim-secret-value") && !dbg.contains("admin-secret-value"),
            "{dbg}"
        );
    }

    #[test]
    fn protected_groups_from_comma_list_and_product_pair() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("LCM_PROTECTED_GROUPS", "org-admins, site-admins ,"));
        pairs.push(("LCM_PRODUCT_TOKEN", "p"));
        let e = Config::from_raw(&env(&pairs)).unwrap_err();
        assert!(e.to_string().contains("LCM_PRODUCT_USER"));
        pairs.push(("LCM_PRODUCT_USER", "bot@example.com"));
        let c = Config::from_raw(&env(&pairs)).unwrap();
        assert_eq!(c.safety.protected_groups, vec!["org-admins", "site-admins"]);
    }

    #[test]
    fn key_spellings() {
        assert_eq!(Key::OrganizationId.env(), "LCM_SCIM_ORGANIZATION_ID");
        assert_eq!(Key::OrganizationId.camel(), "scimOrganizationId");
        assert_eq!(Key::lookup("adminApiKey"), Some(Key::AdminApiKey));
    }
}
