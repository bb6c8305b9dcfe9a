//! Settings as the hosts collect them, before validation: from the
//! environment, a JSON config file, a Secrets Manager secret or a JavaScript
//! object, each value remembering its source.

use std::collections::BTreeMap;
use std::fmt;

use super::error::{ConfigError, FieldError, Problem, Spelling};
use super::settings::Key;

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The `LCM_*` environment variables.
    Env,
    /// A JSON config file (`lcm --config FILE`).
    ConfigFile,
    /// A Secrets Manager secret.
    Secret,
    /// The object given to the JavaScript constructor.
    JavaScript,
    /// The host itself (the demo pointing the engine at its emulator, tests).
    Host,
}

impl Source {
    /// How the users of this source spell setting names.
    pub fn spelling(self) -> Spelling {
        match self {
            Source::Env | Source::Host => Spelling::Env,
            Source::ConfigFile | Source::Secret => Spelling::Snake,
            Source::JavaScript => Spelling::Camel,
        }
    }

    /// The source as a thing: `config file`, `secret`.
    pub fn document(self) -> &'static str {
        match self {
            Source::Env => "environment",
            Source::ConfigFile => "config file",
            Source::Secret => "secret",
            Source::JavaScript => "config",
            Source::Host => "host",
        }
    }

    /// Where a message says the value was, for sources merged with others.
    pub(super) fn place(self) -> Option<&'static str> {
        match self {
            Source::ConfigFile => Some("the config file"),
            Source::Secret => Some("the secret"),
            Source::Env | Source::JavaScript | Source::Host => None,
        }
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
    values: BTreeMap<Key, (RawValue, Source)>,
    /// Names no setting has, kept so validation names them with every other
    /// problem rather than stopping at the first.
    unknown: Vec<(String, Source)>,
}

impl RawConfig {
    /// Reads every `LCM_*` variable through `lookup` (e.g. `std::env::var`).
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> RawConfig {
        let mut raw = RawConfig::default();
        for key in Key::ALL {
            if let Some(v) = lookup(key.env()).filter(|v| !v.is_empty()) {
                raw.set(key, RawValue::Text(v), Source::Env);
            }
        }
        raw
    }

    /// Reads the `LCM_*` variables among `vars` (a captured environment).
    pub fn from_vars<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> RawConfig {
        let vars: BTreeMap<&str, &str> = vars.into_iter().collect();
        RawConfig::from_env(|name| vars.get(name).map(|v| v.to_string()))
    }

    /// Reads a JSON object whose keys are snake_case or camelCase names.
    /// Unknown keys are kept and refused by [`crate::Config::from_raw`], so a
    /// typo cannot silently drop a safety rail; only a value that is not an
    /// object is refused here.
    pub fn from_json(value: &serde_json::Value, source: Source) -> Result<RawConfig, ConfigError> {
        let obj = value.as_object().ok_or_else(|| {
            FieldError::document(
                source,
                format!("the {} must be a JSON object", source.document()),
            )
        })?;
        let mut raw = RawConfig::default();
        for (name, v) in obj {
            match (Key::lookup(name), v) {
                (Some(_), serde_json::Value::Null) => {}
                (Some(key), serde_json::Value::String(s)) => {
                    raw.set(key, RawValue::Text(s.clone()), source)
                }
                (Some(key), other) => raw.set(key, RawValue::Json(other.clone()), source),
                (None, _) => raw.unknown.push((name.clone(), source)),
            }
        }
        Ok(raw)
    }

    /// Sets one value, for hosts that compute settings rather than read
    /// them (the demo, tests).
    pub fn set(&mut self, key: Key, value: RawValue, source: Source) {
        self.values.insert(key, (value, source));
    }

    /// Values from `other` override ours (later sources win).
    pub fn merge(mut self, other: RawConfig) -> RawConfig {
        self.values.extend(other.values);
        self.unknown.extend(other.unknown);
        self
    }

    pub(super) fn get(&self, key: Key) -> Option<(&RawValue, Source)> {
        self.values.get(&key).map(|(v, s)| (v, *s))
    }

    pub(super) fn unknown_errors(&self) -> impl Iterator<Item = FieldError> + '_ {
        self.unknown.iter().map(|(name, source)| {
            FieldError::named(
                name.clone(),
                Some(*source),
                Problem::new("is not a setting; known settings: ").known_settings(),
            )
        })
    }
}
