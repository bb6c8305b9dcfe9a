//! The product sites and Bitbucket Cloud, as far as a connector reads them: who the product
//! token is (`/rest/api/3/myself`, `/wiki/rest/api/user/current`), a user by account id (Jira
//! `/rest/api/3/user`, Confluence `/wiki/rest/api/user`) and workspace membership
//! (`/2.0/workspaces/{ws}/members/{member}`). Sites live at `/site/{name}`, as
//! `https://{name}.atlassian.net` would; Bitbucket at `/bitbucket`, as `https://api.bitbucket.org`.
//!
//! Modelled rules: every product takes basic auth, the product user and its API token (a site may
//! take another token, to model one that refuses it); a site serves only the products its seed
//! names (others 404). Product access follows the org: an account may use a product while it is
//! active and in a `{product}-users` or `{product}-*-users` group (`jira-software-users` grants
//! Jira, `confluence-users` Confluence, `bitbucket-users` Bitbucket). Jira answers a deactivated
//! account with `active: false`; Confluence lists no `use` operation for someone without access;
//! the workspace does not list someone without access (404).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

use crate::api_errors::Reply;
use crate::app_state::AppState;
use crate::seed::SeedSite;
use crate::state::{Account, OrgState};

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/site/{site}/rest/api/3/myself", get(jira_myself))
        .route("/site/{site}/rest/api/3/user", get(jira_user))
        .route(
            "/site/{site}/wiki/rest/api/user/current",
            get(confluence_current),
        )
        .route("/site/{site}/wiki/rest/api/user", get(confluence_user))
        .route("/bitbucket/2.0/workspaces/{ws}", get(workspace))
        .route(
            "/bitbucket/2.0/workspaces/{ws}/members/{member}",
            get(member),
        )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Product {
    Jira,
    Confluence,
    Bitbucket,
}

impl Product {
    fn prefix(self) -> &'static str {
        match self {
            Product::Jira => "jira",
            Product::Confluence => "confluence",
            Product::Bitbucket => "bitbucket",
        }
    }

    /// Whether the group `name` grants this product.
    fn granted_by(self, name: &str) -> bool {
        let p = self.prefix();
        name == format!("{p}-users")
            || (name.starts_with(&format!("{p}-")) && name.ends_with("-users"))
    }

    /// Each product's error shape.
    fn error(self, status: StatusCode, message: &str) -> Response {
        let body = match self {
            Product::Jira => json!({ "errorMessages": [message], "errors": {} }),
            Product::Confluence => json!({ "statusCode": status.as_u16(), "message": message }),
            Product::Bitbucket => json!({ "type": "error", "error": { "message": message } }),
        };
        (status, Json(body)).into_response()
    }
}

/// The groups of `account` that grant `product`.
fn granting(state: &OrgState, account: &Account, product: Product) -> Vec<String> {
    state
        .group_names_of(&account.id)
        .into_iter()
        .filter(|g| product.granted_by(g))
        .collect()
}

/// The site, once it is known, serves `product` and the request carries its credentials.
fn site_for(
    state: &OrgState,
    name: &str,
    product: Product,
    headers: &HeaderMap,
) -> Result<SeedSite, Response> {
    let site = state
        .products
        .sites
        .iter()
        .find(|s| s.name == name)
        .cloned();
    let Some(site) = site else {
        return Err(product.error(StatusCode::NOT_FOUND, "No such site"));
    };
    let token = site.token.as_deref().unwrap_or(&state.products.token);
    authorize(&state.products.user, token, product, headers)?;
    let serves = match product {
        Product::Jira => site.jira,
        Product::Confluence => site.confluence,
        Product::Bitbucket => false,
    };
    if serves {
        Ok(site)
    } else {
        Err(product.error(
            StatusCode::NOT_FOUND,
            "This site does not serve the product",
        ))
    }
}

/// Basic auth with `user:token`, else 401 in the product's shape.
fn authorize(
    user: &str,
    token: &str,
    product: Product,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let expected = format!("{user}:{token}");
    match presented {
        Some(pair) if !token.is_empty() && crate::auth::constant_time_eq(&pair, &expected) => {
            Ok(())
        }
        _ => Err(product.error(
            StatusCode::UNAUTHORIZED,
            "Client must be authenticated to access this resource.",
        )),
    }
}

/// A query parameter's value.
fn param(query: &Option<String>, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_deref().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn expands(query: &Option<String>, what: &str) -> bool {
    param(query, "expand").is_some_and(|e| e.split(',').any(|x| x.trim() == what))
}

/// The account the query's `accountId` names, as the products see it (visible accounts only).
fn asked_account<'a>(
    app: &AppState,
    state: &'a OrgState,
    query: &Option<String>,
    product: Product,
) -> Result<&'a Account, Response> {
    let Some(id) = param(query, "accountId") else {
        return Err(product.error(StatusCode::BAD_REQUEST, "accountId is required"));
    };
    state
        .visible_account(&id, app.clock.now().instant)
        .ok_or_else(|| {
            product.error(
                StatusCode::NOT_FOUND,
                &format!("No user with accountId {id}"),
            )
        })
}

/// The product bot, as `myself` and `user/current` show it.
fn bot(state: &OrgState) -> Value {
    json!({ "accountId": "emulator-product-bot", "accountType": "atlassian", "emailAddress": state.products.user, "active": true })
}

async fn jira_myself(
    State(app): State<Arc<AppState>>,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    site_for(&state, &site, Product::Jira, &headers)?;
    Ok(Json(bot(&state)).into_response())
}

async fn confluence_current(
    State(app): State<Arc<AppState>>,
    Path(site): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    site_for(&state, &site, Product::Confluence, &headers)?;
    Ok(Json(bot(&state)).into_response())
}

/// Jira's user: `active` from the account; `applicationRoles.size` always, its items with
/// `expand=applicationRoles`, as Jira does.
async fn jira_user(
    State(app): State<Arc<AppState>>,
    Path(site): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    site_for(&state, &site, Product::Jira, &headers)?;
    let account = asked_account(&app, &state, &query, Product::Jira)?;
    let roles = granting(&state, account, Product::Jira);
    let items: Vec<Value> = match expands(&query, "applicationRoles") {
        true => roles
            .iter()
            .map(|g| json!({ "key": g.trim_end_matches("-users"), "name": g }))
            .collect(),
        false => Vec::new(),
    };
    Ok(Json(json!({
        "accountId": account.id,
        "accountType": "atlassian",
        "displayName": account.display_name,
        "active": account.is_active(),
        "applicationRoles": { "size": roles.len(), "items": items },
    }))
    .into_response())
}

/// Confluence's user: no status field; with `expand=operations`, `use` on the application while
/// the account may use Confluence.
async fn confluence_user(
    State(app): State<Arc<AppState>>,
    Path(site): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    site_for(&state, &site, Product::Confluence, &headers)?;
    let account = asked_account(&app, &state, &query, Product::Confluence)?;
    let mut body = json!({
        "type": "known",
        "accountId": account.id,
        "accountType": "atlassian",
        "displayName": account.display_name,
        "publicName": account.display_name,
    });
    if expands(&query, "operations") {
        let may_use =
            account.is_active() && !granting(&state, account, Product::Confluence).is_empty();
        body["operations"] = match may_use {
            true => json!([
                { "operation": "use", "targetType": "application" },
                { "operation": "create", "targetType": "space" },
            ]),
            false => json!([]),
        };
    }
    Ok(Json(body).into_response())
}

/// The workspace, once the request carries the product credentials.
fn workspace_for<'a>(
    state: &'a OrgState,
    ws: &str,
    headers: &HeaderMap,
) -> Result<&'a str, Response> {
    let products = &state.products;
    authorize(&products.user, &products.token, Product::Bitbucket, headers)?;
    if products.bitbucket_workspace == ws {
        Ok(&products.bitbucket_workspace)
    } else {
        Err(Product::Bitbucket.error(
            StatusCode::NOT_FOUND,
            &format!("No workspace with identifier '{ws}'."),
        ))
    }
}

async fn workspace(
    State(app): State<Arc<AppState>>,
    Path(ws): Path<String>,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    let slug = workspace_for(&state, &ws, &headers)?;
    Ok(Json(json!({ "type": "workspace", "slug": slug, "name": slug })).into_response())
}

/// A membership: the account is listed while active and in a group granting Bitbucket.
async fn member(
    State(app): State<Arc<AppState>>,
    Path((ws, member)): Path<(String, String)>,
    headers: HeaderMap,
) -> Reply {
    let state = app.state();
    let slug = workspace_for(&state, &ws, &headers)?.to_string();
    let account = state
        .visible_account(&member, app.clock.now().instant)
        .filter(|a| a.is_active() && !granting(&state, a, Product::Bitbucket).is_empty());
    match account {
        Some(a) => Ok(Json(json!({
            "type": "workspace_membership",
            "user": { "type": "user", "account_id": a.id, "display_name": a.display_name },
            "workspace": { "type": "workspace", "slug": slug },
        }))
        .into_response()),
        None => Err(Product::Bitbucket.error(
            StatusCode::NOT_FOUND,
            &format!("{member} is not a member of {slug}"),
        )),
    }
}
