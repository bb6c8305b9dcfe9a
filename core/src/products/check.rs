//! `CHECK` for the product sites: does each site answer with the product
//! credentials, and which of Jira and Confluence does it serve? Does the
//! Bitbucket workspace answer? One step per site and one for the workspace.

use futures::future::join_all;

use super::lookup::{self, Served};
use super::verify::shown_site;
use super::Product;
use crate::actions::{step, Ctx, StepExt};
use crate::report::{ErrorCode, ReportError, StepStatus, System};

/// Checks every configured site and the workspace, all at once.
pub(crate) async fn run(ctx: &Ctx) {
    let endpoints = ctx.config().endpoints();
    let sites = join_all(endpoints.product_sites().iter().map(|s| site(ctx, s)));
    let workspace = async {
        if let Some(ws) = endpoints.bitbucket_workspace() {
            workspace(ctx, ws).await;
        }
    };
    futures::join!(sites, workspace);
}

async fn served(ctx: &Ctx, product: Product, site: &str) -> Served {
    let answer = match lookup::probe(product, site) {
        Ok(req) => ctx.t.read(req).await,
        Err(e) => Err(e),
    };
    lookup::read_probe(product, &answer)
}

/// One site: passed when it serves a product and takes the credentials.
async fn site(ctx: &Ctx, site: &str) {
    let (jira, confluence) = futures::join!(
        served(ctx, Product::Jira, site),
        served(ctx, Product::Confluence, site)
    );
    let target = format!("site {site}");
    let mut serves = Vec::new();
    let mut problems = Vec::new();
    for (product, answer) in [(Product::Jira, jira), (Product::Confluence, confluence)] {
        match answer {
            Served::Yes => serves.push(product.title()),
            Served::No => {}
            Served::Unknown(why) => problems.push(why),
        }
    }
    let record = match (serves.is_empty(), problems.is_empty()) {
        (_, false) => step(&target, "check_site", StepStatus::Failed, "").error(ReportError {
            code: ErrorCode::Unauthorized,
            message: problems.join("; "),
        }),
        (true, true) => step(&target, "check_site", StepStatus::Failed, "").error(ReportError {
            code: ErrorCode::NotFound,
            message: "the site serves neither Jira nor Confluence".into(),
        }),
        (false, true) => step(
            &target,
            "check_site",
            StepStatus::Passed,
            format!(
                "the product token works; the site serves {}",
                serves.join(" and ")
            ),
        ),
    };
    ctx.record(record);
}

/// The Bitbucket workspace: passed when it answers with the credentials.
async fn workspace(ctx: &Ctx, ws: &str) {
    let target = format!(
        "Bitbucket workspace {}",
        shown_site(ctx, Product::Bitbucket, ws)
    );
    let record = match served(ctx, Product::Bitbucket, ws).await {
        Served::Yes => step(
            target,
            "check_bitbucket",
            StepStatus::Passed,
            "the product token works; the workspace answers",
        ),
        Served::No => step(target, "check_bitbucket", StepStatus::Failed, "").error(ReportError {
            code: ErrorCode::NotFound,
            message: "the workspace is not found".into(),
        }),
        Served::Unknown(why) => {
            step(target, "check_bitbucket", StepStatus::Failed, "").error(ReportError {
                code: ErrorCode::Unauthorized,
                message: why,
            })
        }
    };
    ctx.record(record.via(System::Bitbucket));
}
