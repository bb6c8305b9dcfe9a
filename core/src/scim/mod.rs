//! The SCIM 2.0 user-provisioning API (`/scim/directory/{id}`): users, groups,
//! and the `startIndex`/`count` pagination both share. Requests are built as
//! data ([`ApiRequest`]) and responses parsed by plain functions; the client
//! methods only glue the two to the [`Transport`].

pub mod groups;
pub mod users;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::report::System;
use crate::transport::{expect_json, ApiError, ApiRequest, Kind, Transport};

/// The core user schema URN.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The PATCH message schema URN.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Atlassian's extension carrying the account id.
pub const ATLASSIAN_EXTENSION: &str = "urn:scim:schemas:extension:atlassian-external:1.0";

/// Page size we ask for. Atlassian documents no maximum; 100 keeps pages small
/// enough to stay well under any time-out.
pub const PAGE_SIZE: u32 = 100;

/// A SCIM `ListResponse` page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// Matches in total.
    #[serde(default)]
    pub total_results: u32,
    /// 1-based index of the first item.
    #[serde(default)]
    pub start_index: Option<u32>,
    /// Items on this page.
    #[serde(default)]
    pub items_per_page: Option<u32>,
    /// The items (capital R, as SCIM spells it).
    #[serde(rename = "Resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

/// Quotes a value for a SCIM filter (`attr eq "value"`).
pub fn filter_eq(attribute: &str, value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{attribute} eq \"{escaped}\"")
}

/// SCIM calls for one engine call.
pub struct Scim<'t> {
    pub(crate) t: &'t Transport,
}

impl<'t> Scim<'t> {
    /// Wraps a transport.
    pub fn new(t: &'t Transport) -> Self {
        Scim { t }
    }

    /// Reads every page of a listing (`/Users` or `/Groups`), optionally filtered.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        resource: &str,
        filter: Option<&str>,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        self.each_page(resource, filter, |page: Vec<T>, total| {
            if out.is_empty() {
                // Room for the whole listing at once: no doubling, no slack.
                // Bounded, so a server's claim cannot make us allocate it.
                out.reserve_exact(total.min(MAX_RESERVED));
            }
            out.extend(page);
        })
        .await?;
        Ok(out)
    }

    /// Reads a listing page after page, handing each page's items to
    /// `on_page` with the total the server announces, so a caller that keeps
    /// only part of each item never holds the whole listing as read.
    /// Returns how many items there were.
    pub async fn each_page<T: DeserializeOwned>(
        &self,
        resource: &str,
        filter: Option<&str>,
        mut on_page: impl FnMut(Vec<T>, usize),
    ) -> Result<usize, ApiError> {
        let cap = self.t.listing_cap();
        let mut seen = 0usize;
        let mut start = 1u32;
        for pages in 1.. {
            let mut req = ApiRequest::new(
                System::Scim,
                http::Method::GET,
                format!("/{resource}"),
                Kind::Read,
            );
            if let Some(f) = filter {
                req = req.query("filter", f);
            }
            req = req
                .query("startIndex", start.to_string())
                .query("count", PAGE_SIZE.to_string());
            let resp = self.t.read(req).await?;
            let page: ListResponse<T> = expect_json(&resp, System::Scim)?;
            let got = page.resources.len();
            seen += got;
            on_page(page.resources, page.total_results as usize);
            // Stop on an empty page too: a server that under-reports items must not loop us.
            let more = got != 0 && seen < page.total_results as usize;
            cap.check(&format!("SCIM /{resource}"), pages, seen, more)?;
            if !more {
                break;
            }
            start = start.saturating_add(u32::try_from(got).unwrap_or(u32::MAX));
        }
        Ok(seen)
    }
}

/// The most items [`Scim::list_all`] reserves room for up front, whatever
/// total a server announces (a listing past it still grows as it is read).
const MAX_RESERVED: usize = 200_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_quotes() {
        assert_eq!(
            filter_eq("userName", "ada@example.com"),
            r#"userName eq "ada@example.com""#
        );
        assert_eq!(
            filter_eq("displayName", r#"a"b\c"#),
            r#"displayName eq "a\"b\\c""#
        );
    }

    #[test]
    fn list_response_reads_capital_resources() {
        let page: ListResponse<serde_json::Value> = serde_json::from_str(
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":10000,"Resources":[]}"#,
        )
        .unwrap();
        assert_eq!(page.total_results, 0);
        assert_eq!(page.items_per_page, Some(10000));
    }
}
