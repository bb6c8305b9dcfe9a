//! Product sites against the emulator: CHECK, and verification after a
//! joiner and a leaver — what Jira, Confluence and Bitbucket say of the
//! person, a site that refuses the token, and the token kept out of sight.

mod common;

use atlassian_emulator::{Api, Emulator, GroupKind, Seed, SeedGroup, SeedSite};
use atlassian_lcm::config::Key;
use atlassian_lcm::products::{Access, Product};
use atlassian_lcm::report::StepStatus;
use atlassian_lcm::{Outcome, Report};
use common::*;
use serde_json::{json, Value};

/// The demo org with a Bitbucket group (Ada is in it), the demo site `acme`
/// (Jira and Confluence), and more sites as given.
fn seed(extra_sites: Vec<SeedSite>) -> Seed {
    let mut seed = Seed::demo();
    seed.groups
        .push(SeedGroup::new("bitbucket-users", GroupKind::AdminManaged));
    let ada = seed
        .users
        .iter_mut()
        .find(|u| u.email == "ada.lovelace@example.com")
        .unwrap();
    ada.groups.push("bitbucket-users".into());
    seed.products.sites.extend(extra_sites);
    seed
}

/// A site that takes another token than the one configured.
fn refusing_site() -> SeedSite {
    SeedSite {
        name: "beta".into(),
        token: Some("beta-only-token".into()),
        ..SeedSite::default()
    }
}

/// An engine with the product settings for `sites` and the workspace.
async fn with_products(seed: Seed, sites: &[&str], verify: bool) -> (Emulator, atlassian_lcm::Lcm) {
    let emu = Emulator::start(seed).await.expect("emulator starts");
    let urls: Vec<String> = sites.iter().map(|s| emu.product_site_url(s)).collect();
    let (user, token, bb) = (
        emu.product_user(),
        emu.product_token(),
        emu.bitbucket_base_url(),
    );
    let urls = urls.join(",");
    let verify = verify.to_string();
    let lcm = engine(config(
        &emu,
        &[
            (Key::ProductUser, &user),
            (Key::ProductToken, &token),
            (Key::ProductSites, &urls),
            (Key::BitbucketWorkspace, "acme"),
            (Key::BitbucketBaseUrl, &bb),
            (Key::VerifyProducts, &verify),
        ],
    ));
    (emu, lcm)
}

fn joiner() -> Value {
    dated(event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "confluence-users", "bitbucket-users"]})),
    ))
}

/// With `occurredAt`, so the only warnings are the products' own.
fn dated(mut event: Value) -> Value {
    event["occurredAt"] = json!("2026-01-01T09:00:00Z");
    event
}

fn leaver() -> Value {
    dated(event(
        "leaver",
        json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com"}),
        None,
    ))
}

/// `(site, product, state)` of each verification row, sorted.
fn states(report: &Report) -> Vec<(String, Product, Access)> {
    let mut rows: Vec<_> = report
        .verification
        .iter()
        .map(|v| (v.site.clone(), v.product, v.state))
        .collect();
    rows.sort_by(|a, b| (&a.0, a.1.as_str()).cmp(&(&b.0, b.1.as_str())));
    rows
}

fn product_requests(emu: &Emulator) -> Vec<atlassian_emulator::LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| matches!(r.api, Api::Jira | Api::Confluence | Api::Bitbucket))
        .collect()
}

#[tokio::test]
async fn a_joiner_is_active_on_every_product() {
    let (emu, lcm) = with_products(seed(vec![]), &["acme"], true).await;
    let report = run(&lcm, &joiner()).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let site = emu.product_site_url("acme");
    let ws = format!("{}/2.0/workspaces/acme", emu.bitbucket_base_url());
    assert_eq!(
        states(&report),
        [
            (ws, Product::Bitbucket, Access::Active),
            (site.clone(), Product::Confluence, Access::Active),
            (site, Product::Jira, Access::Active),
        ]
    );
    // Two reads per product (its probe and the look-up), every one a GET.
    let reads = product_requests(&emu);
    assert_eq!(reads.len(), 6, "{reads:#?}");
    assert!(reads.iter().all(|r| r.method == "GET"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[tokio::test]
async fn a_leaver_is_inactive_or_absent_on_every_product() {
    let (emu, lcm) = with_products(seed(vec![]), &["acme"], true).await;
    let report = run(&lcm, &leaver()).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let got: Vec<(Product, Access)> = states(&report)
        .into_iter()
        .map(|(_, p, s)| (p, s))
        .collect();
    assert_eq!(
        got,
        [
            (Product::Bitbucket, Access::Absent),
            (Product::Confluence, Access::Inactive),
            (Product::Jira, Access::Inactive),
        ],
        "{:#?}",
        report.verification
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(product_requests(&emu).len(), 6);
}

#[tokio::test]
async fn a_site_that_refuses_the_token_is_unknown_and_the_action_stands() {
    let (emu, lcm) = with_products(seed(vec![refusing_site()]), &["acme", "beta"], true).await;
    let report = run(&lcm, &joiner()).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    assert!(report.steps.iter().all(|s| s.status != StepStatus::Failed));
    let beta = emu.product_site_url("beta");
    let on_beta: Vec<_> = report
        .verification
        .iter()
        .filter(|v| v.site == beta)
        .collect();
    assert_eq!(on_beta.len(), 2, "{:#?}", report.verification);
    for v in on_beta {
        assert_eq!(v.state, Access::Unknown, "{v:?}");
        assert!(
            v.detail
                .contains("refused the product credentials (HTTP 401)"),
            "{v:?}"
        );
    }
    let acme = emu.product_site_url("acme");
    assert!(report
        .verification
        .iter()
        .filter(|v| v.site == acme)
        .all(|v| v.state == Access::Active));
    // The person was created all the same.
    assert!(emu.state().user("mary.somerville@example.com").is_some());
}

#[tokio::test]
async fn a_leaver_on_a_site_that_cannot_be_asked_is_not_proven_offboarded() {
    let (_emu, lcm) = with_products(seed(vec![refusing_site()]), &["acme", "beta"], true).await;
    let report = run(&lcm, &leaver()).await;
    assert_eq!(report.outcome, Outcome::Succeeded, "{report:#?}");
    let warning = report
        .warnings
        .iter()
        .find(|w| w.starts_with("offboarding not proven"))
        .unwrap_or_else(|| panic!("no warning in {:?}", report.warnings));
    assert!(warning.contains("/site/beta says unknown"), "{warning}");
    assert!(!warning.contains("/site/acme"), "{warning}");
}

#[tokio::test]
async fn options_verify_decides_per_event() {
    let (emu, lcm) = with_products(seed(vec![]), &["acme"], false).await;
    let report = run(&lcm, &leaver()).await;
    assert!(report.verification.is_empty());
    assert!(product_requests(&emu).is_empty());
    let mut e = leaver();
    e["eventId"] = json!("leaver-again");
    e["options"] = json!({"verify": true});
    let report = run(&lcm, &e).await;
    assert_eq!(report.verification.len(), 3, "{report:#?}");

    let (emu, lcm) = with_products(seed(vec![]), &["acme"], true).await;
    let mut e = leaver();
    e["options"] = json!({"verify": false});
    let report = run(&lcm, &e).await;
    assert!(report.verification.is_empty());
    assert!(product_requests(&emu).is_empty());
}

#[tokio::test]
async fn a_dry_run_verifies_nothing() {
    let (emu, lcm) = with_products(seed(vec![]), &["acme"], true).await;
    let mut e = leaver();
    e["options"] = json!({"dryRun": true});
    let report = run(&lcm, &e).await;
    assert_eq!(report.outcome, Outcome::Planned);
    assert!(report.verification.is_empty());
    assert!(product_requests(&emu).is_empty());
}

#[tokio::test]
async fn check_names_what_each_site_serves_and_which_refuse_the_token() {
    let jira_only = SeedSite {
        name: "tracker".into(),
        confluence: false,
        ..SeedSite::default()
    };
    let sites = vec![refusing_site(), jira_only];
    let (emu, lcm) = with_products(seed(sites), &["acme", "beta", "tracker"], true).await;
    let report = run(&lcm, &json!({"action": "CHECK"})).await;
    let site = |name: &str| {
        step_of(
            &report,
            &format!("site {}", emu.product_site_url(name)),
            "check_site",
        )
        .clone()
    };
    let acme = site("acme");
    assert_eq!(acme.status, StepStatus::Passed);
    assert!(
        acme.detail.ends_with("serves Jira and Confluence"),
        "{}",
        acme.detail
    );
    let tracker = site("tracker");
    assert_eq!(tracker.status, StepStatus::Passed);
    assert!(
        tracker.detail.ends_with("serves Jira"),
        "{}",
        tracker.detail
    );
    let beta = site("beta");
    assert_eq!(beta.status, StepStatus::Failed);
    let error = beta.error.unwrap();
    assert_eq!(error.code, atlassian_lcm::ErrorCode::Unauthorized);
    assert!(
        error
            .message
            .contains("Jira refused the product credentials"),
        "{}",
        error.message
    );
    let ws = format!(
        "Bitbucket workspace {}/2.0/workspaces/acme",
        emu.bitbucket_base_url()
    );
    assert_eq!(
        step_of(&report, &ws, "check_bitbucket").status,
        StepStatus::Passed
    );
    // Two probes per site, one for the workspace; CHECK never verifies anyone.
    assert_eq!(product_requests(&emu).len(), 3 * 2 + 1);
    assert!(report.verification.is_empty());
    assert_eq!(report.outcome, Outcome::Partial);
}

#[tokio::test]
async fn the_product_token_never_shows() {
    let (emu, lcm) = with_products(seed(vec![refusing_site()]), &["acme", "beta"], true).await;
    let token = emu.product_token();
    let mut shown = Vec::new();
    for input in [joiner(), leaver(), json!({"action": "CHECK"})] {
        let report = run(&lcm, &input).await;
        shown.push(serde_json::to_string(&report).unwrap());
        shown.push(format!("{report:?}"));
    }
    shown.push(format!("{:?}", lcm.config()));
    shown.push(format!("{lcm:?}"));
    shown.push(serde_json::to_string(&emu.requests()).unwrap());
    // Nor in base64, as the header carries it.
    let header = base64_of(&format!("{}:{token}", emu.product_user()));
    for text in &shown {
        assert!(!text.contains(&token), "the token shows in {text}");
        assert!(
            !text.contains(&header),
            "the basic-auth pair shows in {text}"
        );
    }
}

/// Standard base64, enough for the test to know the header it must not find.
fn base64_of(text: &str) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn a_bad_site_url_is_a_config_error_naming_the_setting_and_nothing_is_sent() {
    let emu = Emulator::start(seed(vec![])).await.unwrap();
    let (user, token) = (emu.product_user(), emu.product_token());
    for (key, value, named) in [
        (Key::ProductSites, "acme.atlassian.net", "LCM_PRODUCT_SITES"),
        (
            Key::ProductSites,
            "https://bot:pw@acme.atlassian.net",
            "LCM_PRODUCT_SITES",
        ),
        (
            Key::BitbucketWorkspace,
            "../admin",
            "LCM_BITBUCKET_WORKSPACE",
        ),
    ] {
        let mut raw = raw_config(&emu);
        for (k, v) in [
            (Key::ProductUser, user.as_str()),
            (Key::ProductToken, token.as_str()),
            (key, value),
        ] {
            raw.set(
                k,
                atlassian_lcm::config::RawValue::Text(v.into()),
                atlassian_lcm::config::Source::Host,
            );
        }
        let e = atlassian_lcm::Config::from_raw(&raw)
            .expect_err(value)
            .to_string();
        assert!(e.contains(named), "{value}: {e}");
        assert!(!e.contains(&token), "{e}");
    }
    assert!(emu.requests().is_empty());
}
