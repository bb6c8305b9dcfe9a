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

/// Every HR attribute of a worker, in documentation order. SCIM mapping
/// should use this table rather than list the attributes again.
pub const ATTRIBUTES: [Attribute; 8] = [
    Attribute {
        json: "givenName",
        scim_path: "name.givenName",
        max_chars: 255,
        get: |w| w.given_name.as_deref(),
        slot: |w| &mut w.given_name,
    },
    Attribute {
        json: "familyName",
        scim_path: "name.familyName",
        max_chars: 255,
        get: |w| w.family_name.as_deref(),
        slot: |w| &mut w.family_name,
    },
    Attribute {
        json: "displayName",
        scim_path: "displayName",
        max_chars: 255,
        get: |w| w.display_name.as_deref(),
        slot: |w| &mut w.display_name,
    },
    Attribute {
        json: "title",
        scim_path: "title",
        max_chars: 255,
        get: |w| w.title.as_deref(),
        slot: |w| &mut w.title,
    },
    Attribute {
        json: "department",
        scim_path: "department",
        max_chars: 255,
        get: |w| w.department.as_deref(),
        slot: |w| &mut w.department,
    },
    Attribute {
        json: "organization",
        scim_path: "organization",
        max_chars: 255,
        get: |w| w.organization.as_deref(),
        slot: |w| &mut w.organization,
    },
    Attribute {
        json: "timezone",
        scim_path: "timezone",
        max_chars: 64,
        get: |w| w.timezone.as_deref(),
        slot: |w| &mut w.timezone,
    },
    Attribute {
        json: "preferredLanguage",
        scim_path: "preferredLanguage",
        max_chars: 35,
        get: |w| w.preferred_language.as_deref(),
        slot: |w| &mut w.preferred_language,
    },
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
