//! SCIM `/Users`: the user resource, the attributes we manage, the minimal
//! PATCH that brings one to the other, and the calls.

use serde::Deserialize;
use serde_json::{json, Value};

use super::{filter_eq, Scim, PATCH_SCHEMA, USER_SCHEMA};
use crate::ids::{AccountId, ScimUserId};
use crate::report::System;
use crate::transport::{ApiError, ApiRequest, ApiResponse, Kind, Sent};
use crate::worker::{Worker, ATTRIBUTES};

/// A SCIM user as Atlassian returns it (the fields we read).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ScimUser {
    /// SCIM id.
    pub id: ScimUserId,
    /// The login, our work e-mail.
    pub user_name: String,
    /// Our HR id once we own the user.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Name parts.
    #[serde(default)]
    pub name: Option<ScimName>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: Option<String>,
    /// Organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// IANA time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Preferred language.
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// Missing means active (SCIM default).
    #[serde(default)]
    pub active: Option<bool>,
    /// E-mails.
    #[serde(default)]
    pub emails: Vec<ScimEmail>,
    /// SCIM groups the user is in (read-only).
    #[serde(default)]
    pub groups: Vec<ScimGroupRef>,
    /// The account link.
    #[serde(rename = "urn:scim:schemas:extension:atlassian-external:1.0", default)]
    pub atlassian: Option<AtlassianExtension>,
    /// Resource metadata (when the record was created).
    #[serde(default)]
    pub meta: Option<ScimMeta>,
}

/// `meta` of a SCIM resource (the fields we read).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created: Option<String>,
}

impl ScimUser {
    /// The linked Atlassian account id, if the response carried it.
    pub fn account_id(&self) -> Option<AccountId> {
        self.atlassian
            .as_ref()
            .and_then(|e| e.atlassian_account_id.as_deref())
            .filter(|s| !s.is_empty())
            .map(AccountId::new)
    }

    /// When the record was created, in Unix milliseconds, if SCIM said.
    pub fn created_ms(&self) -> Option<i64> {
        let created = self.meta.as_ref()?.created.as_deref()?;
        crate::event::Timestamp::parse(created)
            .ok()
            .map(|t| t.millis())
    }

    /// SCIM's default for a missing `active` is true.
    pub fn is_active(&self) -> bool {
        self.active.unwrap_or(true)
    }
}

/// `name` of a SCIM user.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ScimName {
    /// Given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Family name.
    #[serde(default)]
    pub family_name: Option<String>,
}

/// One e-mail of a SCIM user.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ScimEmail {
    /// The address.
    pub value: String,
}

/// A group reference inside a user.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ScimGroupRef {
    /// SCIM group id.
    pub value: String,
    /// Group name.
    #[serde(default)]
    pub display: Option<String>,
}

/// The Atlassian extension.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AtlassianExtension {
    /// The account id.
    #[serde(default)]
    pub atlassian_account_id: Option<String>,
}

/// What we want a user to look like. An attribute the worker does not carry
/// is "not ours to set": it is neither sent on create nor cleared on update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredUser {
    /// Work e-mail, the SCIM `userName` and primary e-mail.
    pub user_name: String,
    /// HR id, the SCIM `externalId`.
    pub external_id: String,
    /// The HR attributes, read through [`ATTRIBUTES`] and their SCIM paths.
    pub profile: Worker,
}

impl DesiredUser {
    /// The POST body for a new user.
    pub fn create_body(&self) -> Value {
        let mut body = json!({
            "schemas": [USER_SCHEMA],
            "userName": self.user_name,
            "externalId": self.external_id,
            "emails": [{"value": self.user_name, "type": "work", "primary": true}],
            "active": true,
        });
        let obj = body.as_object_mut().expect("object");
        let mut name = serde_json::Map::new();
        for a in &ATTRIBUTES {
            let Some(v) = (a.get)(&self.profile) else {
                continue;
            };
            match a.scim_path.strip_prefix("name.") {
                Some(part) => name.insert(part.into(), json!(v)),
                None => obj.insert(a.scim_path.into(), json!(v)),
            };
        }
        if !name.is_empty() {
            obj.insert("name".into(), Value::Object(name));
        }
        body
    }

    /// The attributes that differ, as `(path, before, after)`; the update
    /// sends exactly these. `active` is never part of it: only deprovision and
    /// rehire change it. `set_external_id` is false when the user belongs to
    /// another provisioner and we were not told to adopt it.
    pub fn diff(&self, current: &ScimUser, set_external_id: bool) -> Vec<Change> {
        let mut out = Vec::new();
        let mut cmp = |path: &'static str, before: Option<&str>, after: Option<&str>| {
            if let Some(after) = after {
                if before != Some(after) {
                    out.push(Change {
                        path,
                        before: before.map(str::to_string),
                        after: after.to_string(),
                    });
                }
            }
        };
        if set_external_id {
            cmp(
                "externalId",
                current.external_id.as_deref(),
                Some(&self.external_id),
            );
        }
        if !current.user_name.eq_ignore_ascii_case(&self.user_name) {
            cmp("userName", Some(&current.user_name), Some(&self.user_name));
        }
        for a in &ATTRIBUTES {
            cmp(
                a.scim_path,
                current.attribute(a.scim_path),
                (a.get)(&self.profile),
            );
        }
        out
    }
}

impl ScimUser {
    /// The value at a SCIM attribute path of [`ATTRIBUTES`] (`title`,
    /// `name.givenName`, …); `None` for one it does not hold.
    pub fn attribute(&self, path: &str) -> Option<&str> {
        let name = self.name.as_ref();
        match path {
            "name.givenName" => name.and_then(|n| n.given_name.as_deref()),
            "name.familyName" => name.and_then(|n| n.family_name.as_deref()),
            "displayName" => self.display_name.as_deref(),
            "title" => self.title.as_deref(),
            "department" => self.department.as_deref(),
            "organization" => self.organization.as_deref(),
            "timezone" => self.timezone.as_deref(),
            "preferredLanguage" => self.preferred_language.as_deref(),
            _ => None,
        }
    }
}

/// One attribute to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// SCIM attribute path.
    pub path: &'static str,
    /// Value now.
    pub before: Option<String>,
    /// Value wanted.
    pub after: String,
}

/// The PATCH body for a set of changes. A `userName` change also replaces the
/// primary e-mail, so the two never disagree.
///
/// Atlassian's schema spells the list `operations`, its own group example and
/// RFC 7644 spell it `Operations`; which one the service requires is
/// unconfirmed. We send the RFC spelling, which the group example shows
/// Atlassian accepting, and which every SCIM server must read.
pub fn patch_body(changes: &[Change]) -> Value {
    let mut ops: Vec<Value> = Vec::new();
    for c in changes {
        ops.push(json!({"op": "replace", "path": c.path, "value": c.after}));
        if c.path == "userName" {
            ops.push(json!({"op": "replace", "path": "emails", "value": [{"value": c.after, "type": "work", "primary": true}]}));
        }
    }
    json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
}

/// The PATCH body that sets `active`.
pub fn active_body(active: bool) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": active}]})
}

/// What a create came to.
#[derive(Debug, Clone)]
pub enum Created {
    /// 201 with the new user.
    User(Box<ScimUser>),
    /// 409: the user exists; look it up and adopt it.
    Conflict,
    /// Dry run.
    Planned,
}

impl Scim<'_> {
    /// One small read proving the key and the directory: the user count.
    pub async fn probe(&self) -> Result<u32, ApiError> {
        let req = ApiRequest::new(System::Scim, http::Method::GET, "/Users", Kind::Read)
            .query("startIndex", "1")
            .query("count", "1");
        let resp = self.t.read(req).await?;
        let page: super::ListResponse<Value> = crate::transport::expect_json(&resp, System::Scim)?;
        Ok(page.total_results)
    }

    /// Finds one user by `externalId` or `userName` (one `eq` filter, as
    /// Atlassian allows). More than one match is an error: we refuse to guess.
    pub async fn find_user(
        &self,
        attribute: &str,
        value: &str,
    ) -> Result<Option<ScimUser>, ApiError> {
        let mut users: Vec<ScimUser> = self
            .list_all("Users", Some(&filter_eq(attribute, value)))
            .await?;
        // The server matches userName case-insensitively; externalId is case-exact.
        users.retain(|u| match attribute {
            "externalId" => u.external_id.as_deref() == Some(value),
            _ => u.user_name.eq_ignore_ascii_case(value),
        });
        match users.len() {
            0 => Ok(None),
            1 => Ok(users.pop()),
            n => Err(ApiError {
                code: crate::report::ErrorCode::Conflict,
                status: None,
                message: format!("{n} SCIM users have {attribute} `{value}`; refusing to guess which one is meant"),
                attempts: 0,
            }),
        }
    }

    /// Creates a user.
    pub async fn create_user(&self, user: &DesiredUser) -> Result<(Created, u32), ApiError> {
        let req = ApiRequest::new(System::Scim, http::Method::POST, "/Users", Kind::Create)
            .json(user.create_body());
        match self.t.write(req).await? {
            Sent::Planned => Ok((Created::Planned, 0)),
            Sent::Response(r) if r.status == 409 => Ok((Created::Conflict, r.attempts)),
            Sent::Response(r) => {
                let user: ScimUser = crate::transport::expect_json(&r, System::Scim)?;
                Ok((Created::User(Box::new(user)), r.attempts))
            }
        }
    }

    /// PATCHes a user with a prepared body.
    pub async fn patch_user(&self, id: &ScimUserId, body: Value) -> Result<Sent, ApiError> {
        let req = ApiRequest::new(
            System::Scim,
            http::Method::PATCH,
            format!("/Users/{}", id.segment()?),
            Kind::Write,
        )
        .json(body);
        self.t.write(req).await
    }

    /// Deletes the SCIM record (unlinks the account). 404 counts as done.
    pub async fn delete_user(&self, id: &ScimUserId) -> Result<Sent, ApiError> {
        let req = ApiRequest::new(
            System::Scim,
            http::Method::DELETE,
            format!("/Users/{}", id.segment()?),
            Kind::Write,
        );
        self.t.write(req).await
    }
}

/// Reads a user from a successful write response, if it carried one.
pub fn user_from(resp: &ApiResponse) -> Option<ScimUser> {
    serde_json::from_slice(&resp.body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> ScimUser {
        serde_json::from_value(json!({
            "id": "u1", "userName": "ada@example.com", "externalId": "E1",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "displayName": "Ada Lovelace", "title": "Engineer", "active": true,
            "urn:scim:schemas:extension:atlassian-external:1.0": {"atlassianAccountId": "acc-1"}
        }))
        .unwrap()
    }

    fn desired() -> DesiredUser {
        DesiredUser {
            user_name: "ada@example.com".into(),
            external_id: "E1".into(),
            profile: Worker {
                given_name: Some("Ada".into()),
                family_name: Some("Lovelace".into()),
                display_name: Some("Ada Lovelace".into()),
                title: Some("Engineer".into()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn no_diff_when_equal_and_absent_attributes_are_not_cleared() {
        assert!(desired().diff(&current(), true).is_empty());
    }

    #[test]
    fn diff_lists_only_changed_attributes() {
        let mut d = desired();
        d.profile.title = Some("Principal Engineer".into());
        d.profile.department = Some("Platform".into());
        let changes = d.diff(&current(), true);
        let paths: Vec<_> = changes.iter().map(|c| c.path).collect();
        assert_eq!(paths, vec!["title", "department"]);
        assert_eq!(changes[0].before.as_deref(), Some("Engineer"));
        let body = patch_body(&changes);
        assert_eq!(body["Operations"].as_array().unwrap().len(), 2);
        assert!(!body.to_string().contains("active"));
    }

    #[test]
    fn external_id_only_when_allowed_and_email_change_replaces_emails() {
        let mut cur = current();
        cur.external_id = None;
        let d = desired();
        assert_eq!(d.diff(&cur, true)[0].path, "externalId");
        assert!(d.diff(&cur, false).is_empty());
        let mut d2 = desired();
        d2.user_name = "ada.l@example.com".into();
        let body = patch_body(&d2.diff(&current(), true));
        let paths: Vec<_> = body["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["path"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(paths, vec!["userName", "emails"]);
    }

    #[test]
    fn email_case_change_is_not_a_change() {
        let mut d = desired();
        d.user_name = "Ada@Example.com".into();
        assert!(d.diff(&current(), true).is_empty());
    }

    #[test]
    fn create_body_has_required_fields_and_skips_unknowns() {
        let b = desired().create_body();
        assert_eq!(b["userName"], "ada@example.com");
        assert_eq!(b["emails"][0]["primary"], true);
        assert_eq!(b["name"]["givenName"], "Ada");
        assert!(b.get("department").is_none());
        assert_eq!(current().account_id().unwrap().as_str(), "acc-1");
    }
}
