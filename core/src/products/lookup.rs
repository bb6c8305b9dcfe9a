//! The product endpoints, as requests, and how their answers are read —
//! pure functions, so each reading is tested without a server.
//!
//! What Atlassian documents, and the safe reading where it does not say:
//! - Jira Cloud REST v3 `GET /rest/api/3/user?accountId=` answers the user
//!   with a boolean `active`, and with `expand=applicationRoles` the Jira
//!   products the account may use (`applicationRoles.size`, `.items`); 404
//!   when there is no such user. `active: false` or no application role is
//!   `inactive`. Without the expansion in the answer (not seen, but not
//!   ruled out), `active` alone decides.
//! - Confluence Cloud `GET /wiki/rest/api/user?accountId=` answers the user,
//!   404 when unknown. Its user object documents no status field (Atlassian's
//!   CONFCLOUD-69909 says so); with `expand=operations` it lists what the
//!   account may do, and a licensed account may `use` the `application`.
//!   Reading the absence of that operation as `inactive` is UNCONFIRMED
//!   against a real site; an answer without `operations` is `unknown`, never
//!   taken for offboarded.
//! - Bitbucket Cloud `GET /2.0/workspaces/{workspace}/members/{member}`
//!   (member: UUID or Atlassian account id) answers the membership, 404 when
//!   the account is not a member. Whether a deactivated account's membership
//!   still answers 200 is UNCONFIRMED; a 200 is read as `active`, so a
//!   leaver still listed is a warning rather than a false proof.
//! - Which products a site serves: `GET /rest/api/3/myself` (Jira) and
//!   `GET /wiki/rest/api/user/current` (Confluence) answer 200 with working
//!   credentials, 401/403 without. A 404 is read as "this site does not
//!   serve the product" (UNCONFIRMED wording of Atlassian's answer, but a
//!   product that is not there has no endpoints). Bitbucket's
//!   `GET /2.0/workspaces/{workspace}` does the same for the workspace;
//!   there a 404 is `unknown` (a missing workspace proves nothing).

use http::Method;
use serde::Deserialize;

use super::{Access, Product};
use crate::report::System;
use crate::transport::{segment, ApiError, ApiRequest, ApiResponse, Kind};

/// The system (base URL, credential, error shape) of a product.
pub fn system(product: Product) -> System {
    match product {
        Product::Jira => System::Jira,
        Product::Confluence => System::Confluence,
        Product::Bitbucket => System::Bitbucket,
    }
}

/// The request that shows whether `site` (or, for Bitbucket, the workspace)
/// serves `product` and takes the credentials.
pub fn probe(product: Product, site: &str) -> Result<ApiRequest, ApiError> {
    let get = |path: String| ApiRequest::new(system(product), Method::GET, path, Kind::Read);
    Ok(match product {
        Product::Jira => get("/rest/api/3/myself".into()).on_site(site),
        Product::Confluence => get("/wiki/rest/api/user/current".into()).on_site(site),
        Product::Bitbucket => get(format!(
            "/2.0/workspaces/{}",
            segment("Bitbucket workspace", site)?
        )),
    })
}

/// The read-only look-up of `account_id` on `site` (for Bitbucket, in the
/// workspace `site`).
pub fn user(product: Product, site: &str, account_id: &str) -> Result<ApiRequest, ApiError> {
    let get = |path: String| ApiRequest::new(system(product), Method::GET, path, Kind::Read);
    Ok(match product {
        Product::Jira => get("/rest/api/3/user".into())
            .on_site(site)
            .query("accountId", account_id)
            .query("expand", "applicationRoles"),
        Product::Confluence => get("/wiki/rest/api/user".into())
            .on_site(site)
            .query("accountId", account_id)
            .query("expand", "operations"),
        Product::Bitbucket => get(format!(
            "/2.0/workspaces/{}/members/{}",
            segment("Bitbucket workspace", site)?,
            segment("account id", account_id)?
        )),
    })
}

/// Whether a site serves a product, from its probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// It does, and the credentials work.
    Yes,
    /// It does not (the probe answered 404).
    No,
    /// No telling: refused credentials, an error, no answer.
    Unknown(String),
}

/// Reads a probe's answer.
pub fn read_probe(product: Product, answer: &Result<ApiResponse, ApiError>) -> Served {
    match answer {
        Ok(r) if r.is_success() => Served::Yes,
        Ok(r) if r.status == 404 && product != Product::Bitbucket => Served::No,
        Ok(r) if r.status == 404 => Served::Unknown(
            "the workspace is not found with the product credentials (HTTP 404)".into(),
        ),
        Ok(r) if matches!(r.status, 401 | 403) => Served::Unknown(format!(
            "{} refused the product credentials (HTTP {})",
            product.title(),
            r.status
        )),
        Ok(r) => Served::Unknown(format!(
            "{} did not answer as expected: {}",
            product.title(),
            r.error(system(product)).message
        )),
        Err(e) => Served::Unknown(format!("{} did not answer: {}", product.title(), e.message)),
    }
}

/// Reads a look-up's answer: the state and what it rests on.
pub fn read_user(product: Product, answer: &Result<ApiResponse, ApiError>) -> (Access, String) {
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            return (
                Access::Unknown,
                format!("{} did not answer: {}", product.title(), e.message),
            )
        }
    };
    match r.status {
        200..=299 => read_found(product, r),
        404 if product == Product::Bitbucket => {
            (Access::Absent, "not a member of the workspace".to_string())
        }
        404 => (
            Access::Absent,
            format!("{} has no such user", product.title()),
        ),
        401 | 403 => (
            Access::Unknown,
            format!(
                "{} refused the product credentials (HTTP {})",
                product.title(),
                r.status
            ),
        ),
        _ => (
            Access::Unknown,
            format!(
                "{} did not answer as expected: {}",
                product.title(),
                r.error(system(product)).message
            ),
        ),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JiraUser {
    active: Option<bool>,
    application_roles: Option<JiraRoles>,
}

#[derive(Deserialize)]
struct JiraRoles {
    size: Option<u64>,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ConfluenceUser {
    operations: Option<Vec<ConfluenceOperation>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfluenceOperation {
    operation: Option<String>,
    target_type: Option<String>,
}

/// A 2xx answer about a user the product knows.
fn read_found(product: Product, r: &ApiResponse) -> (Access, String) {
    let unreadable = |e: ApiError| (Access::Unknown, e.message);
    match product {
        Product::Jira => match r.json::<JiraUser>() {
            Ok(u) => read_jira(u),
            Err(e) => unreadable(e),
        },
        Product::Confluence => match r.json::<ConfluenceUser>() {
            Ok(u) => read_confluence(u),
            Err(e) => unreadable(e),
        },
        Product::Bitbucket => (Access::Active, "a member of the workspace".to_string()),
    }
}

fn read_jira(u: JiraUser) -> (Access, String) {
    let roles = u
        .application_roles
        .map(|r| r.size.unwrap_or(r.items.len() as u64));
    match (u.active, roles) {
        (Some(false), _) => (
            Access::Inactive,
            "Jira says the account is not active".into(),
        ),
        (Some(true), Some(0)) => (
            Access::Inactive,
            "the account is active but has no Jira application role".into(),
        ),
        (Some(true), Some(n)) => (
            Access::Active,
            format!("active, with {n} Jira application role(s)"),
        ),
        (Some(true), None) => (
            Access::Active,
            "active (Jira did not list application roles)".into(),
        ),
        (None, _) => (
            Access::Unknown,
            "Jira answered without an `active` field".into(),
        ),
    }
}

fn read_confluence(u: ConfluenceUser) -> (Access, String) {
    let Some(operations) = u.operations else {
        return (
            Access::Unknown,
            "Confluence did not list what the account may do".into(),
        );
    };
    let may_use = operations.iter().any(|o| {
        o.operation.as_deref() == Some("use") && o.target_type.as_deref() == Some("application")
    });
    if may_use {
        (Access::Active, "may use Confluence".into())
    } else {
        (
            Access::Inactive,
            "Confluence knows the account, which may not use the application".into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, body: serde_json::Value) -> Result<ApiResponse, ApiError> {
        Ok(ApiResponse {
            status,
            body: serde_json::to_vec(&body).unwrap(),
            attempts: 1,
        })
    }

    #[test]
    fn jira_answers() {
        let cases = [
            (
                200,
                json!({"active": true, "applicationRoles": {"size": 1, "items": [{"key": "jira-software"}]}}),
                Access::Active,
            ),
            (
                200,
                json!({"active": true, "applicationRoles": {"size": 0, "items": []}}),
                Access::Inactive,
            ),
            (
                200,
                json!({"active": false, "applicationRoles": {"size": 1}}),
                Access::Inactive,
            ),
            (200, json!({"active": true}), Access::Active),
            (200, json!({"accountId": "x"}), Access::Unknown),
            (404, json!({"errorMessages": ["no user"]}), Access::Absent),
            (401, json!({}), Access::Unknown),
            (500, json!({"errorMessages": ["boom"]}), Access::Unknown),
        ];
        for (status, body, want) in cases {
            let (got, detail) = read_user(Product::Jira, &answer(status, body.clone()));
            assert_eq!(got, want, "{status} {body}: {detail}");
        }
    }

    #[test]
    fn confluence_answers() {
        let may_use = json!({"operations": [{"operation": "use", "targetType": "application"}]});
        let cases = [
            (200, may_use, Access::Active),
            (
                200,
                json!({"operations": [{"operation": "read", "targetType": "space"}]}),
                Access::Inactive,
            ),
            (200, json!({"operations": []}), Access::Inactive),
            (200, json!({"accountId": "x"}), Access::Unknown),
            (404, json!({"message": "no user"}), Access::Absent),
            (403, json!({}), Access::Unknown),
        ];
        for (status, body, want) in cases {
            let (got, detail) = read_user(Product::Confluence, &answer(status, body.clone()));
            assert_eq!(got, want, "{status} {body}: {detail}");
        }
    }

    #[test]
    fn bitbucket_answers_and_probes() {
        let member = |s| read_user(Product::Bitbucket, &answer(s, json!({}))).0;
        assert_eq!(member(200), Access::Active);
        assert_eq!(member(404), Access::Absent);
        assert_eq!(member(401), Access::Unknown);
        // A missing workspace proves nothing; a site without Confluence has none.
        assert!(matches!(
            read_probe(Product::Bitbucket, &answer(404, json!({}))),
            Served::Unknown(_)
        ));
        assert_eq!(
            read_probe(Product::Confluence, &answer(404, json!({}))),
            Served::No
        );
        assert_eq!(
            read_probe(Product::Jira, &answer(200, json!({}))),
            Served::Yes
        );
        let refused = read_probe(Product::Jira, &answer(401, json!({})));
        assert_eq!(
            refused,
            Served::Unknown("Jira refused the product credentials (HTTP 401)".into())
        );
    }

    #[test]
    fn no_answer_is_unknown_with_the_reason() {
        let e = Err(ApiError {
            code: crate::report::ErrorCode::Transport,
            status: None,
            message: "no response within 100 ms".into(),
            attempts: 3,
        });
        let (state, detail) = read_user(Product::Jira, &e);
        assert_eq!(state, Access::Unknown);
        assert!(detail.contains("no response within 100 ms"), "{detail}");
    }

    #[test]
    fn an_account_id_that_is_not_one_segment_is_refused_before_sending() {
        assert!(user(Product::Bitbucket, "acme", "../admin").is_err());
        let jira = user(Product::Jira, "https://acme.atlassian.net", "a/b").unwrap();
        assert_eq!(jira.query[0], ("accountId".to_string(), "a/b".to_string()));
    }
}
