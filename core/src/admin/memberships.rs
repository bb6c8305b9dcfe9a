//! Admin group memberships, for groups that are not synced from an identity
//! provider (the default product-access groups live here).

use serde_json::json;

use super::Admin;
use crate::ids::{AccountId, AdminDirectoryId, AdminGroupId};
use crate::report::System;
use crate::transport::{ApiError, ApiRequest, Kind, Sent};

impl Admin<'_> {
    /// Adds (`true`) or removes (`false`) an account. 409 on add means "already
    /// a member" (or a licence limit; the caller reads the body), 404 on remove
    /// means "not a member".
    pub async fn change_membership(
        &self,
        directory: &AdminDirectoryId,
        group: &AdminGroupId,
        account: &AccountId,
        add: bool,
    ) -> Result<Sent, ApiError> {
        let base = format!(
            "{}/directories/{}/groups/{}/memberships",
            self.org_path()?,
            directory.segment()?,
            group.segment()?
        );
        let req = if add {
            ApiRequest::new(System::Admin, http::Method::POST, base, Kind::Write)
                .json(json!({"accountId": account.as_str()}))
        } else {
            ApiRequest::new(
                System::Admin,
                http::Method::DELETE,
                format!("{base}/{}", account.segment()?),
                Kind::Write,
            )
        };
        self.t.write(req).await
    }
}
