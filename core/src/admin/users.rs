//! Admin user search (find an account by e-mail, list its groups) and
//! directory-level suspend and restore.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::Admin;
use crate::ids::{AccountId, AdminDirectoryId, AdminGroupId, Email};
use crate::report::System;
use crate::transport::{ApiError, ApiRequest, Kind, Sent};

/// An account as the Admin API describes it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdminUser {
    /// Account id.
    pub account_id: AccountId,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// `active`, `inactive` or `closed`.
    #[serde(default)]
    pub account_status: Option<String>,
    /// `active`, `suspended`, `not_invited`, `deactivated`, `for_deletion`.
    #[serde(default)]
    pub status: Option<String>,
    /// Groups, with `expand: ["groups"]`.
    #[serde(default)]
    pub groups: Vec<AdminUserGroup>,
}

/// What an Admin user search came to: the account, nobody, or an error.
pub type AdminAnswer = Result<Option<AdminUser>, ApiError>;

/// A group reference inside a user.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct AdminUserGroup {
    /// Admin group id.
    #[serde(deserialize_with = "AdminGroupId::deserialize_any")]
    pub id: AdminGroupId,
    /// Name (nullable in the spec).
    #[serde(default)]
    pub name: Option<String>,
}

impl Admin<'_> {
    /// Every account in the organization's directories, with its groups:
    /// one page per 100 accounts (the most the search returns), for a
    /// reconcile that must read in proportion to pages, not people.
    pub async fn all_users(&self) -> Result<Vec<AdminUser>, ApiError> {
        let mut out = Vec::new();
        self.each_user_page(|page| out.extend(page)).await?;
        Ok(out)
    }

    /// [`Admin::all_users`] a page at a time, each account read as `T` (the
    /// fields a caller keeps), so the whole directory is never held as read.
    pub async fn each_user_page<T: DeserializeOwned>(
        &self,
        on_page: impl FnMut(Vec<T>),
    ) -> Result<usize, ApiError> {
        let body = json!({"expand": ["groups"], "limit": 100});
        let path = format!("{}/directories/-/users/search", self.org_path()?);
        self.each_page(super::search_pages(path, body), on_page)
            .await
    }

    /// Finds the account with this e-mail, with its groups.
    pub async fn find_user(&self, email: &Email) -> Result<Option<AdminUser>, ApiError> {
        let body = json!({"emails": [email.as_str()], "expand": ["groups"], "limit": 10});
        let path = format!("{}/directories/-/users/search", self.org_path()?);
        let users: Vec<AdminUser> = self.search_all(path, body).await?;
        Ok(users
            .into_iter()
            .find(|u| u.email.as_deref().is_some_and(|e| email.eq_ignore_case(e))))
    }

    /// Finds the account with this id, with its groups.
    pub async fn find_user_by_id(
        &self,
        account: &AccountId,
    ) -> Result<Option<AdminUser>, ApiError> {
        let body = json!({"accountIds": [account.as_str()], "expand": ["groups"], "limit": 10});
        let path = format!("{}/directories/-/users/search", self.org_path()?);
        let users: Vec<AdminUser> = self.search_all(path, body).await?;
        Ok(users.into_iter().find(|u| &u.account_id == account))
    }

    /// Suspends (`true`) or restores (`false`) an account's access in a directory.
    pub async fn set_suspended(
        &self,
        directory: &AdminDirectoryId,
        account: &AccountId,
        suspend: bool,
    ) -> Result<Sent, ApiError> {
        let verb = if suspend { "suspend" } else { "restore" };
        let path = format!(
            "{}/directories/{}/users/{}/{verb}",
            self.org_path()?,
            directory.segment()?,
            account.segment()?
        );
        self.t
            .write(ApiRequest::new(
                System::Admin,
                http::Method::POST,
                path,
                Kind::Write,
            ))
            .await
    }
}
