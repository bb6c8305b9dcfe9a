//! Admin directories. The Admin API's directory id is not the SCIM directory
//! id; it is resolved here, through `GET /v2/orgs/{orgId}/directories`.

use serde::Deserialize;

use super::Admin;
use crate::ids::{AccountId, AdminDirectoryId};
use crate::transport::ApiError;

/// A directory of the organization.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// Admin directory id.
    pub directory_id: AdminDirectoryId,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

impl Admin<'_> {
    /// Every directory, or those `account` belongs to.
    pub async fn directories(
        &self,
        account: Option<&AccountId>,
    ) -> Result<Vec<Directory>, ApiError> {
        let mut query = vec![("limit".to_string(), "100".to_string())];
        if let Some(a) = account {
            query.push(("accountId".to_string(), a.as_str().to_string()));
        }
        self.get_all(format!("{}/directories", self.org_path()?), query)
            .await
    }
}
