//! Verification after an action: every configured product is asked, at
//! once, what it says of the account — Jira and Confluence on each site,
//! membership of the Bitbucket workspace. Each product costs two reads, its
//! probe (does the site serve it, do the credentials work) and the look-up,
//! sent together. Nothing here records a step or an error: a failed look-up
//! is an `unknown` in the verification, and the action stands as it was.

use futures::future::join_all;

use super::lookup::{self, Served};
use super::{Access, Product, Verification};
use crate::actions::Ctx;

/// What each product says of `account_id`; with no account id, every
/// configured product is `unknown` and nothing is sent.
pub(crate) async fn run(ctx: &Ctx, account_id: Option<&str>) -> Vec<Verification> {
    let endpoints = ctx.config().endpoints();
    let mut targets: Vec<(Product, String)> = Vec::new();
    for site in endpoints.product_sites() {
        targets.push((Product::Jira, site.clone()));
        targets.push((Product::Confluence, site.clone()));
    }
    if let Some(ws) = endpoints.bitbucket_workspace() {
        targets.push((Product::Bitbucket, ws.to_string()));
    }
    let Some(account_id) = account_id else {
        return targets
            .into_iter()
            .map(|(product, site)| Verification {
                site: shown_site(ctx, product, &site),
                product,
                state: Access::Unknown,
                detail:
                    "the action did not resolve the Atlassian account id, so no product was asked"
                        .into(),
            })
            .collect();
    };
    let asked = targets
        .iter()
        .map(|(product, site)| ask(ctx, *product, site, account_id));
    join_all(asked).await.into_iter().flatten().collect()
}

/// One product on one site: `None` when the site does not serve it.
async fn ask(ctx: &Ctx, product: Product, site: &str, account_id: &str) -> Option<Verification> {
    let send = |req: Result<crate::transport::ApiRequest, crate::transport::ApiError>| async {
        match req {
            Ok(req) => ctx.t.read(req).await,
            Err(e) => Err(e),
        }
    };
    let (probe, user) = futures::join!(
        send(lookup::probe(product, site)),
        send(lookup::user(product, site, account_id))
    );
    let (state, detail) = match lookup::read_probe(product, &probe) {
        Served::No => return None,
        Served::Unknown(why) => (Access::Unknown, why),
        Served::Yes => lookup::read_user(product, &user),
    };
    Some(Verification {
        site: shown_site(ctx, product, site),
        product,
        state,
        detail,
    })
}

/// The site as the report names it: the site URL, or the workspace's API URL.
pub(crate) fn shown_site(ctx: &Ctx, product: Product, site: &str) -> String {
    match product {
        Product::Bitbucket => format!(
            "{}/2.0/workspaces/{site}",
            ctx.config().endpoints().bitbucket_base_url()
        ),
        Product::Jira | Product::Confluence => site.to_string(),
    }
}
