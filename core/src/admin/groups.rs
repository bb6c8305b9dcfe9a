//! Admin group search by name. `groupNames` matches exactly but ignores case,
//! so the caller compares names itself.

use serde::Deserialize;
use serde_json::json;

use super::Admin;
use crate::ids::{AdminDirectoryId, AdminGroupId};
use crate::transport::ApiError;

/// Most names one search may carry (the spec's `maxItems`).
const NAMES_PER_SEARCH: usize = 100;

/// A group as the Admin API describes it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdminGroup {
    /// Admin group id.
    #[serde(deserialize_with = "AdminGroupId::deserialize_any")]
    pub id: AdminGroupId,
    /// Name.
    pub name: String,
    /// The directory the group lives in (memberships are changed there).
    #[serde(default)]
    pub directory_id: Option<AdminDirectoryId>,
    /// True when synced from an identity provider.
    #[serde(default)]
    pub external_synced: Option<bool>,
    /// `external`, `admins`, `team-members` or `open`.
    #[serde(default)]
    pub managed_by: Option<String>,
}

impl AdminGroup {
    /// Synced from an identity provider: the Admin API will refuse membership
    /// changes, so they go through SCIM.
    pub fn is_externally_synced(&self) -> bool {
        self.external_synced == Some(true) || self.managed_by.as_deref() == Some("external")
    }
}

impl Admin<'_> {
    /// Every group whose name matches one of `names` (ignoring case), across
    /// all directories (`-`).
    pub async fn search_groups(&self, names: &[String]) -> Result<Vec<AdminGroup>, ApiError> {
        let mut out = Vec::new();
        for chunk in names.chunks(NAMES_PER_SEARCH) {
            let body = json!({"groupNames": chunk, "limit": 100});
            let path = format!("{}/directories/-/groups/search", self.org_path()?);
            out.extend(self.search_all::<AdminGroup>(path, body).await?);
        }
        Ok(out)
    }
}
