//! SCIM `/Groups`: finding a group by display name and changing its members.
//! Membership changes for groups synced from an identity provider go through
//! here, with SCIM user ids (the Admin API refuses them).

use serde::Deserialize;
use serde_json::{json, Value};

use super::{filter_eq, Scim, PATCH_SCHEMA};
use crate::ids::{ScimGroupId, ScimUserId};
use crate::report::System;
use crate::transport::{ApiError, ApiRequest, Kind, Sent};

/// A SCIM group (the fields we read).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ScimGroup {
    /// SCIM group id.
    pub id: ScimGroupId,
    /// The name.
    pub display_name: String,
}

/// The PATCH body adding one member.
pub fn add_member_body(user: &ScimUserId) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "members", "value": [{"value": user.as_str()}]}]})
}

/// The PATCH body removing one member. Atlassian's document has no removal
/// example; the value-list form is the one Entra ID (an IdP Atlassian serves)
/// sends, so it is the safer reading of an unconfirmed fact.
pub fn remove_member_body(user: &ScimUserId) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "remove", "path": "members", "value": [{"value": user.as_str()}]}]})
}

impl Scim<'_> {
    /// Every group whose name matches `name` as the server compares (which may
    /// ignore case); the caller compares exactly.
    pub async fn find_groups(&self, name: &str) -> Result<Vec<ScimGroup>, ApiError> {
        self.list_all("Groups", Some(&filter_eq("displayName", name)))
            .await
    }

    /// Adds or removes one member.
    pub async fn change_member(
        &self,
        group: &ScimGroupId,
        user: &ScimUserId,
        add: bool,
    ) -> Result<Sent, ApiError> {
        let body = if add {
            add_member_body(user)
        } else {
            remove_member_body(user)
        };
        let req = ApiRequest::new(
            System::Scim,
            http::Method::PATCH,
            format!("/Groups/{}", group.segment()?),
            Kind::Write,
        )
        .json(body);
        self.t.write(req).await
    }
}
