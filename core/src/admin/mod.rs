//! The Organizations (Admin) API v2: directories, group search, memberships,
//! user search, suspend and restore. Lists are cursor-paged: `links.next` is a
//! cursor passed back as `cursor` (a query parameter on GET, a body field on
//! search POSTs).

pub mod directories;
pub mod groups;
pub mod memberships;
pub mod users;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::ids::OrgId;
use crate::report::System;
use crate::transport::{expect_json, ApiError, ApiRequest, Kind, Transport};

/// A cursor page.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Cursors.
    #[serde(default)]
    pub links: Option<Links>,
}

/// The request for each page of a POST search: the body, with the cursor
/// of the previous page once there is one.
pub(crate) fn search_pages(path: String, body: Value) -> impl Fn(Option<&str>) -> ApiRequest {
    move |cursor| {
        let mut b = body.clone();
        if let Some(c) = cursor {
            b["cursor"] = Value::String(c.to_string());
        }
        ApiRequest::new(System::Admin, http::Method::POST, path.clone(), Kind::Read).json(b)
    }
}

/// Page cursors.
#[derive(Debug, Deserialize, Default)]
pub struct Links {
    /// Cursor of the next page.
    #[serde(default)]
    pub next: Option<String>,
}

/// Admin calls for one engine call.
pub struct Admin<'t> {
    pub(crate) t: &'t Transport,
}

impl<'t> Admin<'t> {
    /// Wraps a transport.
    pub fn new(t: &'t Transport) -> Self {
        Admin { t }
    }

    /// `/v2/orgs/{orgId}` with the org id escaped.
    pub(crate) fn org_path(&self) -> Result<String, ApiError> {
        let org: &OrgId = self.t.config().credentials().org_id();
        Ok(format!("/v2/orgs/{}", org.segment()?))
    }

    /// POSTs a search body page after page, following `links.next`.
    pub(crate) async fn search_all<T: DeserializeOwned>(
        &self,
        path: String,
        body: Value,
    ) -> Result<Vec<T>, ApiError> {
        self.all_pages(search_pages(path, body)).await
    }

    /// GETs a listing page after page, following `links.next`.
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        path: String,
        query: Vec<(String, String)>,
    ) -> Result<Vec<T>, ApiError> {
        self.all_pages(|cursor| {
            let mut req =
                ApiRequest::new(System::Admin, http::Method::GET, path.clone(), Kind::Read);
            match cursor {
                // The spec: with a cursor, all other parameters are discarded.
                Some(c) => req = req.query("cursor", c),
                None => req.query = query.clone(),
            }
            req
        })
        .await
    }

    /// Sends the request for each page (given the cursor of the previous
    /// answer) until a page has no `links.next` or no data; a listing past
    /// the transport's [`ListingCap`](crate::transport::ListingCap) is an error.
    async fn all_pages<T: DeserializeOwned>(
        &self,
        page: impl Fn(Option<&str>) -> ApiRequest,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        self.each_page(page, |items| out.extend(items)).await?;
        Ok(out)
    }

    /// [`Admin::all_pages`], handing each page's items to `on_page` instead
    /// of keeping them (a caller that keeps part of each item); returns how
    /// many there were.
    pub(crate) async fn each_page<T: DeserializeOwned>(
        &self,
        page: impl Fn(Option<&str>) -> ApiRequest,
        mut on_page: impl FnMut(Vec<T>),
    ) -> Result<usize, ApiError> {
        let cap = self.t.listing_cap();
        let mut seen = 0usize;
        let mut cursor: Option<String> = None;
        for pages in 1.. {
            let req = page(cursor.as_deref());
            let what = format!("Admin {}", req.path);
            let resp = self.t.read(req).await?;
            let page: Page<T> = expect_json(&resp, System::Admin)?;
            let empty = page.data.is_empty();
            seen += page.data.len();
            on_page(page.data);
            cursor = page.links.and_then(|l| l.next).filter(|c| !c.is_empty());
            let more = cursor.is_some() && !empty;
            cap.check(&what, pages, seen, more)?;
            if !more {
                break;
            }
        }
        Ok(seen)
    }
}
