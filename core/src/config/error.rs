//! Configuration errors that know which setting they are about and where its
//! value came from, so each host can name the setting as its users spell it:
//! `LCM_SCIM_TOKEN` in a shell, `scim_token` in a config file or secret,
//! `scimToken` in JavaScript.

use std::fmt;

use super::raw::Source;
use super::settings::{Key, SETTINGS};

/// A way of spelling setting names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `LCM_SCIM_TOKEN`
    Env,
    /// `scim_token`
    Snake,
    /// `scimToken`
    Camel,
}

impl Spelling {
    /// `key` in this spelling.
    pub fn name(self, key: Key) -> &'static str {
        match self {
            Spelling::Env => key.env(),
            Spelling::Snake => key.snake(),
            Spelling::Camel => key.camel(),
        }
    }

    fn assignment(self, key: Key, value: &str) -> String {
        match self {
            Spelling::Env => format!("{}={value}", key.env()),
            Spelling::Snake | Spelling::Camel => format!("{}: {value}", self.name(key)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Name(Key),
    Assignment(Key, &'static str),
    KnownSettings,
}

/// What is wrong with a setting, phrased to follow its name (`must be true or
/// false`). Other settings it mentions are spelled when it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(Vec<Part>);

impl Problem {
    /// A problem described by `text`.
    pub fn new(text: impl Into<String>) -> Problem {
        Problem(vec![Part::Text(text.into())])
    }

    /// Appends text.
    pub fn text(mut self, text: impl Into<String>) -> Problem {
        self.0.push(Part::Text(text.into()));
        self
    }

    /// Appends another setting's name.
    pub fn name(mut self, key: Key) -> Problem {
        self.0.push(Part::Name(key));
        self
    }

    /// Appends how to give `key` the value `value`.
    pub fn assignment(mut self, key: Key, value: &'static str) -> Problem {
        self.0.push(Part::Assignment(key, value));
        self
    }

    pub(super) fn known_settings(mut self) -> Problem {
        self.0.push(Part::KnownSettings);
        self
    }

    /// The text, with names in `spelling`.
    pub fn render(&self, spelling: Spelling) -> String {
        let mut out = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Name(k) => out.push_str(&format!("`{}`", spelling.name(*k))),
                Part::Assignment(k, v) => {
                    out.push_str(&format!("`{}`", spelling.assignment(*k, v)))
                }
                Part::KnownSettings => {
                    let names: Vec<&str> = SETTINGS.iter().map(|s| spelling.name(s.key)).collect();
                    out.push_str(&names.join(", "));
                }
            }
        }
        out
    }
}

impl From<String> for Problem {
    fn from(text: String) -> Problem {
        Problem::new(text)
    }
}

impl From<&str> for Problem {
    fn from(text: &str) -> Problem {
        Problem::new(text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Setting(Key),
    Named(String),
    Document,
}

/// One invalid setting: which, where its value came from, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    field: Field,
    source: Option<Source>,
    problem: Problem,
}

impl FieldError {
    /// A problem with `key`, whose value came from `source` (`None` when it
    /// was not given, or the problem is between settings).
    pub fn new(key: Key, source: Option<Source>, problem: impl Into<Problem>) -> FieldError {
        FieldError {
            field: Field::Setting(key),
            source,
            problem: problem.into(),
        }
    }

    /// A problem with a name that is no engine setting: a key the engine does
    /// not know, or a host's own setting (`LCM_SECRET_TTL_SECONDS`).
    pub fn named(
        name: impl Into<String>,
        source: Option<Source>,
        problem: impl Into<Problem>,
    ) -> FieldError {
        FieldError {
            field: Field::Named(name.into()),
            source,
            problem: problem.into(),
        }
    }

    /// A problem with a whole source (the secret is not JSON); `problem` is
    /// a sentence of its own.
    pub fn document(source: Source, problem: impl Into<Problem>) -> FieldError {
        FieldError {
            field: Field::Document,
            source: Some(source),
            problem: problem.into(),
        }
    }

    /// The engine setting at fault, if it is one.
    pub fn key(&self) -> Option<Key> {
        match self.field {
            Field::Setting(k) => Some(k),
            _ => None,
        }
    }

    /// Where the bad value came from; `None` for a missing setting.
    pub fn source(&self) -> Option<Source> {
        self.source
    }

    /// The spelling this error uses for a host whose users know `host`: the
    /// spelling of the value's source when there is one.
    pub fn spelling(&self, host: Spelling) -> Spelling {
        self.source.map_or(host, Source::spelling)
    }

    /// The setting's name for a host whose users know `host`.
    pub fn field(&self, host: Spelling) -> &str {
        match &self.field {
            Field::Setting(k) => self.spelling(host).name(*k),
            Field::Named(name) => name,
            Field::Document => self.source.map_or("config", Source::document),
        }
    }

    /// The whole message for a host whose users know `host`.
    pub fn message(&self, host: Spelling) -> String {
        let spelling = self.spelling(host);
        let problem = self.problem.render(spelling);
        if self.field == Field::Document {
            return problem;
        }
        let place = match self.source.and_then(Source::place) {
            Some(place) => format!(" in {place}"),
            None => String::new(),
        };
        format!("`{}`{place} {problem}", self.field(host))
    }
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The problems, one per setting.
    pub errors: Vec<FieldError>,
}

impl ConfigError {
    /// Each problem's message for a host whose users know `host`.
    pub fn messages(&self, host: Spelling) -> Vec<String> {
        self.errors.iter().map(|e| e.message(host)).collect()
    }
}

impl From<FieldError> for ConfigError {
    fn from(error: FieldError) -> ConfigError {
        ConfigError {
            errors: vec![error],
        }
    }
}

/// In the environment's spelling: the CLI and the Lambda are configured there.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}",
            self.messages(Spelling::Env).join("; ")
        )
    }
}
