//! Who an action concerns, and the one table of the HR attributes a worker
//! carries besides its identity (`hrId`, `workEmail`).
//!
//! Event parsing reads [`ATTRIBUTES`] to accept, validate and store each
//! attribute. The SCIM user mapping (`scim::users::DesiredUser`, built in
//! `actions::sync`) should read it too, through [`Attribute::get`] and
//! [`Attribute::scim_path`], so adding an attribute is one row here instead
//! of a field in three lists.

use crate::ids::{Email, HrId};

/// Who an action concerns, with what HR knows of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Worker {
    /// HR id (`externalId`); looked up first.
    pub hr_id: Option<HrId>,
    /// Work e-mail (`userName`); looked up second.
    pub email: Option<Email>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Language tag.
    pub preferred_language: Option<String>,
}

impl Worker {
    /// The key that identifies the person across events: the HR id, else the
    /// work e-mail lower-cased (Atlassian compares e-mails without case).
    pub fn key(&self) -> Option<String> {
        match (&self.hr_id, &self.email) {
            (Some(id), _) => Some(id.as_str().to_string()),
            (None, Some(email)) => Some(email.as_str().to_lowercase()),
            (None, None) => None,
        }
    }
}

/// One HR attribute of a worker.
#[derive(Clone, Copy)]
pub struct Attribute {
    /// The name in the event's `worker` object, e.g. `givenName`.
    pub json: &'static str,
    /// The SCIM user attribute path it maps to, e.g. `name.givenName`.
    pub scim_path: &'static str,
    /// The longest value accepted, in characters.
    pub max_chars: usize,
    /// Reads the attribute.
    pub get: fn(&Worker) -> Option<&str>,
    /// Where parsing stores the attribute.
    pub(crate) slot: fn(&mut Worker) -> &mut Option<String>,
}

impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attribute")
            .field("json", &self.json)
            .field("scim_path", &self.scim_path)
            .field("max_chars", &self.max_chars)
            .finish_non_exhaustive()
    }
}

/// The JSON names of the identity fields, which are not plain text attributes.
pub const IDENTITY_FIELDS: [&str; 2] = ["hrId", "workEmail"];

/// One row of [`ATTRIBUTES`]: the accessors are the named field's.
macro_rules! attribute {
    ($json:literal, $scim_path:literal, $max_chars:literal, $field:ident) => {
        Attribute {
            json: $json,
            scim_path: $scim_path,
            max_chars: $max_chars,
            get: |w| w.$field.as_deref(),
            slot: |w| &mut w.$field,
        }
    };
}

/// Every HR attribute of a worker, in documentation order. SCIM mapping
/// should use this table rather than list the attributes again.
#[rustfmt::skip]
pub const ATTRIBUTES: [Attribute; 8] = [
    attribute!("givenName", "name.givenName", 255, given_name),
    attribute!("familyName", "name.familyName", 255, family_name),
    attribute!("displayName", "displayName", 255, display_name),
    attribute!("title", "title", 255, title),
    attribute!("department", "department", 255, department),
    attribute!("organization", "organization", 255, organization),
    attribute!("timezone", "timezone", 64, timezone),
    attribute!("preferredLanguage", "preferredLanguage", 35, preferred_language),
];

/// The attribute with this JSON name.
pub fn attribute(json: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|a| a.json == json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_reads_what_it_stores() {
        for (i, a) in ATTRIBUTES.iter().enumerate() {
            let mut w = Worker::default();
            *(a.slot)(&mut w) = Some(a.json.to_string());
            assert_eq!((a.get)(&w), Some(a.json), "{}", a.json);
            // Each slot is its own field: no other attribute sees the value.
            for b in ATTRIBUTES.iter().skip(i + 1) {
                assert_eq!((b.get)(&w), None, "{} and {}", a.json, b.json);
            }
        }
    }

    #[test]
    fn the_key_is_the_hr_id_else_the_lower_cased_email() {
        let mut w = Worker {
            email: Some(Email::parse("Ada@Example.com").unwrap()),
            ..Worker::default()
        };
        assert_eq!(w.key().as_deref(), Some("ada@example.com"));
        w.hr_id = Some(HrId::parse("E1042").unwrap());
        assert_eq!(w.key().as_deref(), Some("E1042"));
        assert_eq!(Worker::default().key(), None);
    }
}
