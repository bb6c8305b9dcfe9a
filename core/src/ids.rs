//! Identifiers that must not be confused with one another. A SCIM user id, an
//! Atlassian account id and the two kinds of directory id are all strings on
//! the wire; here each is its own type, so passing a SCIM id where an account
//! id belongs is a compile error rather than a 404 in production.

use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $role:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as received from Atlassian or from configuration.
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }

            /// The id as it goes on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as one escaped URL path segment, or an error naming it
            /// (see [`crate::transport::segment`]): an id handed back by
            /// Atlassian never turns a request into one for another path.
            pub fn segment(&self) -> Result<String, crate::transport::ApiError> {
                crate::transport::segment($role, &self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// The SCIM user `id` Atlassian assigns (not the account id).
    ScimUserId,
    "SCIM user id"
);
string_id!(
    /// The Atlassian account id (`atlassianAccountId`), used by the Admin and
    /// user-management APIs.
    AccountId,
    "account id"
);
string_id!(
    /// The SCIM group `id`.
    ScimGroupId,
    "SCIM group id"
);
string_id!(
    /// The Admin API group `id`, always in its plain form (see [`AdminGroupId::parse_any`]).
    AdminGroupId,
    "Admin group id"
);

impl AdminGroupId {
    /// The Admin API names a group by a plain id in group search, but by an
    /// ARI (`ari:cloud:identity::group/<id>`) in a user's expanded `groups`
    /// (the spec's own example); both are reduced to the plain id so they compare.
    pub fn parse_any(value: &str) -> AdminGroupId {
        match value.strip_prefix("ari:cloud:identity::group/") {
            Some(id) => AdminGroupId::new(id),
            None => AdminGroupId::new(value),
        }
    }

    /// Deserializes either form (for `#[serde(deserialize_with)]`).
    pub fn deserialize_any<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<AdminGroupId, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Ok(AdminGroupId::parse_any(&s))
    }
}
string_id!(
    /// The id in the SCIM URL `.../scim/directory/{id}`.
    ScimDirectoryId,
    "SCIM directory id"
);
string_id!(
    /// The Admin API's directory id; a different id from the SCIM one.
    AdminDirectoryId,
    "Admin directory id"
);
string_id!(
    /// The organization id.
    OrgId,
    "organization id"
);

/// Why a value is not a valid e-mail address or HR id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

/// A work e-mail address, valid by construction and kept as given (Atlassian
/// compares addresses case-insensitively; we compare with [`Email::eq_ignore_case`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks the shape of an address: one `@`, a non-empty local part, a
    /// domain with a dot and no empty labels, no white space or quotes, and at
    /// most 254 characters. Deliverability is not our concern; shapes that
    /// Atlassian would refuse or that would break a SCIM filter are.
    pub fn parse(value: &str) -> Result<Email, InvalidValue> {
        let v = value.trim();
        let bad = |why: &str| {
            Err(InvalidValue(format!(
                "`{value}` is not an e-mail address: {why}"
            )))
        };
        if v.is_empty() {
            return bad("it is empty");
        }
        if v.len() > 254 {
            return bad("it is longer than 254 characters");
        }
        if v.chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\\' || c.is_control())
        {
            return bad("it contains white space, a quote or a backslash");
        }
        let mut parts = v.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return bad("it must contain exactly one `@`");
        };
        if local.is_empty() {
            return bad("nothing before the `@`");
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return bad("the domain must look like `example.com`");
        }
        Ok(Email(v.to_string()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Case-insensitive comparison, as Atlassian matches addresses.
    pub fn eq_ignore_case(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The HR system's worker id, stored as the SCIM `externalId`: our ownership
/// marker. Case-sensitive, as SCIM `externalId` is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct HrId(String);

impl HrId {
    /// Accepts 1 to 128 printable characters without quotes or backslashes,
    /// which would otherwise have to be escaped inside a SCIM filter.
    pub fn parse(value: &str) -> Result<HrId, InvalidValue> {
        if value.is_empty() || value.len() > 128 {
            return Err(InvalidValue(format!(
                "`{value}` is not an HR id: it must be 1 to 128 characters"
            )));
        }
        if value
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\' || c.is_whitespace())
        {
            return Err(InvalidValue(format!(
                "`{value}` is not an HR id: no white space, quotes or backslashes"
            )));
        }
        Ok(HrId(value.to_string()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HrId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_accepted_and_refused() {
        assert!(Email::parse("ada@example.com").is_ok());
        assert!(Email::parse("a.b+tag@sub.example.co.uk").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a@b@c.com",
            "ada @x.com",
            "a\"@x.com",
            "a@x..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn email_error_names_the_value() {
        let e = Email::parse("nope").unwrap_err();
        assert!(e.0.contains("`nope`"), "{e}");
    }

    #[test]
    fn admin_group_ids_compare_across_forms() {
        assert_eq!(
            AdminGroupId::parse_any("ari:cloud:identity::group/abc-1"),
            AdminGroupId::parse_any("abc-1")
        );
    }

    #[test]
    fn hr_ids() {
        assert!(HrId::parse("E1042").is_ok());
        assert!(HrId::parse("").is_err());
        assert!(HrId::parse("a\"b").is_err());
        assert!(HrId::parse(&"x".repeat(129)).is_err());
    }
}
