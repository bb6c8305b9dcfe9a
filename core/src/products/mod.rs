//! The product sites: Jira and Confluence on each of `LCM_PRODUCT_SITES`,
//! and Bitbucket Cloud's workspace `LCM_BITBUCKET_WORKSPACE`, asked with the
//! product user and API token (basic auth). `CHECK` confirms each answers
//! with those credentials and which products a site serves ([`check`]);
//! verification ([`verify`]) looks the person up, read-only, after an action
//! and reports what each product says of them ([`Verification`]). A product
//! look-up never fails or undoes the action it follows: whatever goes wrong
//! is an `unknown` with its reason.
//!
//! The endpoints (Jira Cloud REST v3, Confluence Cloud REST v1, Bitbucket
//! Cloud 2.0) and how their answers are read are in [`lookup`], each with
//! what Atlassian documents and, where it does not say, the safe reading.

pub(crate) mod check;
pub mod lookup;
mod sites;
pub(crate) mod verify;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

pub use sites::{parse_sites, parse_workspace};

/// Bitbucket Cloud's API host; another needs `LCM_ALLOW_CUSTOM_ENDPOINTS`.
pub const BITBUCKET_HOST: &str = "api.bitbucket.org";
/// Default base of Bitbucket Cloud's API (paths start `/2.0/`).
pub const DEFAULT_BITBUCKET_BASE_URL: &str = "https://api.bitbucket.org";
/// The domain every Atlassian Cloud product site is under.
pub const SITE_DOMAIN: &str = "atlassian.net";

/// A product whose view of the account is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Jira (any Jira product on the site).
    Jira,
    /// Confluence.
    Confluence,
    /// Bitbucket Cloud.
    Bitbucket,
}

impl Product {
    /// Its name in the report (`jira`, `confluence`, `bitbucket`).
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Jira => "jira",
            Product::Confluence => "confluence",
            Product::Bitbucket => "bitbucket",
        }
    }

    /// The product as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Product::Jira => "Jira",
            Product::Confluence => "Confluence",
            Product::Bitbucket => "Bitbucket",
        }
    }
}

/// What a product says of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The product knows the account and it can use the product.
    Active,
    /// The product knows the account, and it is deactivated or has no access.
    Inactive,
    /// The product does not know the account (or it is not a member).
    Absent,
    /// The look-up did not give an answer; `detail` says why.
    Unknown,
}

impl Access {
    /// Its wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Active => "active",
            Access::Inactive => "inactive",
            Access::Absent => "absent",
            Access::Unknown => "unknown",
        }
    }

    /// True when the account can no longer use the product: what a leaver needs.
    pub fn is_offboarded(self) -> bool {
        matches!(self, Access::Inactive | Access::Absent)
    }
}

/// One product's view of the account (`report.verification[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// The product site (`https://acme.atlassian.net`), or for Bitbucket the
    /// workspace's API URL.
    pub site: String,
    /// Which product.
    pub product: Product,
    /// What it says.
    pub state: Access,
    /// What the answer was, or why there was none.
    pub detail: String,
}

/// The `Authorization` header value for the product APIs: basic auth with
/// the account's e-mail and its API token, as Atlassian documents for API
/// tokens on Jira, Confluence and (since API tokens replaced app passwords)
/// Bitbucket Cloud.
pub(crate) fn basic_auth(user: &str, token: &Secret) -> String {
    let pair = format!("{user}:{}", token.expose());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// How the warning of [`leaver_warning`] starts: hosts count reports that
/// carry it ([`offboarding_unproven`]).
pub const OFFBOARDING_UNPROVEN: &str = "offboarding not proven";

/// True when a report's verification did not prove a removal: some product
/// still says active or unknown (the Lambda's `OffboardingUnproven` metric).
pub fn offboarding_unproven(report: &crate::Report) -> bool {
    report
        .warnings
        .iter()
        .any(|w| w.starts_with(OFFBOARDING_UNPROVEN))
}

/// The warning a leaver's report carries when a product does not show the
/// account offboarded; `None` when every one does. No product at all (every
/// site serves neither) proves nothing, so that is a warning too.
pub fn leaver_warning(verification: &[Verification]) -> Option<String> {
    if verification.is_empty() {
        return Some(format!("{OFFBOARDING_UNPROVEN}: no product site served Jira or Confluence, and no Bitbucket workspace was asked"));
    }
    let open: Vec<String> = verification
        .iter()
        .filter(|v| !v.state.is_offboarded())
        .map(|v| {
            format!(
                "{} on {} says {}",
                v.product.title(),
                v.site,
                v.state.as_str()
            )
        })
        .collect();
    (!open.is_empty()).then(|| {
        format!(
            "{OFFBOARDING_UNPROVEN}: {} (every product should say inactive or absent after a leaver)",
            open.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_the_pair_in_base64() {
        // "bot@example.com:tok" in base64, worked out by hand from RFC 4648.
        assert_eq!(
            basic_auth("bot@example.com", &Secret::new("tok")),
            "Basic Ym90QGV4YW1wbGUuY29tOnRvaw=="
        );
    }

    #[test]
    fn a_leaver_is_offboarded_only_when_every_product_says_so() {
        let v = |product, state| Verification {
            site: "https://acme.atlassian.net".into(),
            product,
            state,
            detail: String::new(),
        };
        let done = [
            v(Product::Jira, Access::Inactive),
            v(Product::Bitbucket, Access::Absent),
        ];
        assert_eq!(leaver_warning(&done), None);
        assert!(leaver_warning(&[]).is_some());
        for state in [Access::Active, Access::Unknown] {
            let open = [
                v(Product::Jira, Access::Inactive),
                v(Product::Confluence, state),
            ];
            let w = leaver_warning(&open).expect("a warning");
            assert!(
                w.contains("Confluence on https://acme.atlassian.net says"),
                "{w}"
            );
            assert!(w.contains(state.as_str()), "{w}");
            assert!(!w.contains("Jira"), "{w}");
        }
    }
}
