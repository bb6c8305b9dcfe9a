//! A credential that cannot be printed. `Debug` and `Display` both redact, it
//! is never serialized, and the only way to read it is the explicit
//! [`Secret::expose`] at the point where a header is built.

use std::fmt;

/// An API key or token. Printing it shows `***`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The credential itself; call only to build an `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the credential is empty or only white space.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("tok-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?} {s} {:?}", Some(&s)).contains("very-secret"));
        assert_eq!(s.expose(), "tok-very-secret");
    }

    #[test]
    fn blank_detects_whitespace() {
        assert!(Secret::new("  ").is_blank());
        assert!(!Secret::new("x").is_blank());
    }
}
