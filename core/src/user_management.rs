//! The user-management API (`/users/{accountId}/manage`): the permanent account
//! delete, and the privilege check that tells whether it is allowed.

use serde::Deserialize;

use crate::ids::AccountId;
use crate::report::System;
use crate::transport::{expect_json, ApiError, ApiRequest, Kind, Sent, Transport};

/// One privilege's answer.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Privilege {
    /// Allowed or not.
    pub allowed: bool,
    /// Why not.
    #[serde(default)]
    pub reason: Option<Reason>,
}

/// A refusal reason.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Reason {
    /// E.g. `externalDirectory.scim`.
    pub key: String,
}

/// User-management calls for one engine call.
pub struct UserManagement<'t> {
    t: &'t Transport,
}

impl<'t> UserManagement<'t> {
    /// Wraps a transport.
    pub fn new(t: &'t Transport) -> Self {
        UserManagement { t }
    }

    /// Whether `lifecycle.delete` is allowed for this account.
    pub async fn delete_privilege(&self, account: &AccountId) -> Result<Privilege, ApiError> {
        let req = ApiRequest::new(
            System::UserManagement,
            http::Method::GET,
            format!("/users/{}/manage", account.segment()?),
            Kind::Read,
        )
        .query("privileges", "lifecycle.delete");
        let resp = self.t.read(req).await?;
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "lifecycle.delete")]
            delete: Option<Privilege>,
        }
        let a: Answer = expect_json(&resp, System::UserManagement)?;
        Ok(a.delete.unwrap_or(Privilege {
            allowed: false,
            reason: None,
        }))
    }

    /// Deletes the account (14-day grace, cancellable in admin.atlassian.com).
    pub async fn delete_account(&self, account: &AccountId) -> Result<Sent, ApiError> {
        let req = ApiRequest::new(
            System::UserManagement,
            http::Method::POST,
            format!("/users/{}/manage/lifecycle/delete", account.segment()?),
            Kind::Write,
        );
        self.t.write(req).await
    }
}
