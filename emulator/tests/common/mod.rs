//! Helpers shared by the HTTP tests: an emulator plus a client that knows each API's credentials.

#![allow(dead_code)] // each test binary uses its own subset

use atlassian_emulator::{Emulator, Seed};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub struct Harness {
    pub emulator: Emulator,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start(seed: Seed) -> Harness {
        let emulator = Emulator::start(seed).await.expect("emulator starts");
        Harness {
            emulator,
            http: reqwest::Client::new(),
        }
    }

    pub async fn demo() -> Harness {
        Self::start(Seed::demo()).await
    }

    /// A SCIM request: `path` is relative to the SCIM base URL (e.g. `/Users`).
    pub fn scim(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.emulator.scim_url()))
            .bearer_auth(self.emulator.scim_token())
    }

    /// An Admin request under `/admin/v2/orgs/{orgId}` (`path` starts with `/`).
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(
                method,
                format!(
                    "{}/v2/orgs/{}{path}",
                    self.emulator.admin_base_url(),
                    self.emulator.org_id()
                ),
            )
            .bearer_auth(self.emulator.admin_api_key())
    }

    /// An Admin request scoped to the real Admin directory: `path` follows `/directories/{id}`.
    pub fn admin_dir(&self, method: Method, path: &str) -> RequestBuilder {
        let dir = self.emulator.admin_directory_id();
        self.admin(method, &format!("/directories/{dir}{path}"))
    }

    /// A user-management request under the API base (`path` starts with `/users/`).
    pub fn um(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.emulator.api_base_url()))
            .bearer_auth(self.emulator.admin_api_key())
    }

    /// The SCIM user with this userName.
    pub async fn scim_user(&self, user_name: &str) -> Value {
        let (status, body) = send(
            self.scim(Method::GET, "/Users")
                .query(&[("filter", format!("userName eq \"{user_name}\""))]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["Resources"][0].clone()
    }

    /// The Admin user with this email, or `Value::Null` when Admin does not show it.
    pub async fn admin_user(&self, email: &str) -> Value {
        let (status, body) = send(
            self.admin(Method::POST, "/directories/-/users/search")
                .json(&serde_json::json!({ "emails": [email], "expand": ["groups"] })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"].get(0).cloned().unwrap_or(Value::Null)
    }

    /// The Admin group with this name (exact).
    pub async fn admin_group(&self, name: &str) -> Value {
        let (status, body) = send(
            self.admin(Method::POST, "/directories/-/groups/search")
                .json(&serde_json::json!({ "groupNames": [name] })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"][0].clone()
    }

    /// The SCIM group with this display name.
    pub async fn scim_group(&self, name: &str) -> Value {
        let (status, body) = send(
            self.scim(Method::GET, "/Groups")
                .query(&[("filter", format!("displayName eq \"{name}\""))]),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["Resources"][0].clone()
    }
}

/// Sends and returns the status and JSON body (`Null` when empty).
pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request reaches the emulator");
    parse(response).await
}

pub async fn parse(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The account id a SCIM user is linked to.
pub fn account_id(user: &Value) -> String {
    user["urn:scim:schemas:extension:atlassian-external:1.0"]["atlassianAccountId"]
        .as_str()
        .expect("atlassianAccountId present")
        .to_string()
}
