//! Admin group search by name. `groupNames` matches exactly but ignores case,
//! so the caller compares names itself.

use serde::Deserialize;
use serde_json::json;

use super::{Admin, Page};
use crate::ids::{AdminDirectoryId, AdminGroupId};
use crate::report::System;
use crate::transport::{expect_json, ApiError, ApiRequest, Kind};

/// Most names one search may carry (the spec's `maxItems`).
const NAMES_PER_SEARCH: usize = 100;

/// Most groups one page of a search returns (the spec's `limit` maximum).
pub const GROUPS_PER_PAGE: usize = 100;

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
            let body = json!({"groupNames": chunk, "limit": GROUPS_PER_PAGE});
            let path = format!("{}/directories/-/groups/search", self.org_path()?);
            out.extend(self.search_all::<AdminGroup>(path, body).await?);
        }
        Ok(out)
    }

    /// The first page of the organization's groups, across all directories,
    /// with no filter (the search body is optional; an empty one lists every
    /// group): up to [`GROUPS_PER_PAGE`] groups with their owning system, in
    /// one request that needs no name. Further pages are not followed.
    pub async fn first_groups_page(&self) -> Result<Vec<AdminGroup>, ApiError> {
        let path = format!("{}/directories/-/groups/search", self.org_path()?);
        let req = ApiRequest::new(System::Admin, http::Method::POST, path, Kind::Read)
            .json(json!({"limit": GROUPS_PER_PAGE}));
        let resp = self.t.read(req).await?;
        let page: Page<AdminGroup> = expect_json(&resp, System::Admin)?;
        Ok(page.data)
    }
}
