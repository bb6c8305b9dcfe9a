//! A naive sequential client written for the benchmark: what a hand-written provisioning script
//! does with plain reqwest. One request at a time, no concurrency, no caching: it looks the person
//! up, creates them, then finds and changes each group in turn. It does the same work as `lcm` for
//! a joiner and a leaver, so the wall-time ratio measures the engine's overlap, not less work.

use atlassian_emulator::Emulator;
use reqwest::{Client, Method};
use serde_json::{json, Value};

/// The SCIM filter `attribute eq "value"`, percent-encoded for a query string.
fn eq_filter(attribute: &str, value: &str) -> String {
    let filter = format!("{attribute} eq \"{value}\"");
    let encoded: String = filter
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("filter={encoded}")
}

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The naive client, bound to one emulator.
pub struct Naive {
    http: Client,
    scim: String,
    admin: String,
    scim_token: String,
    admin_key: String,
}

impl Naive {
    /// A client for `emu`'s SCIM and Admin APIs.
    pub fn new(emu: &Emulator) -> Naive {
        Naive {
            http: Client::new(),
            scim: emu.scim_url(),
            admin: format!("{}/v2/orgs/{}", emu.admin_base_url(), emu.org_id()),
            scim_token: emu.scim_token(),
            admin_key: emu.admin_api_key(),
        }
    }

    /// One request, awaited before anything else happens; the JSON answer (`null` when empty).
    async fn call(
        &self,
        method: Method,
        url: String,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let token = if url.starts_with(&self.scim) {
            &self.scim_token
        } else {
            &self.admin_key
        };
        let mut request = self.http.request(method.clone(), &url).bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{method} {url}: {status} {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn scim_user_where(&self, attribute: &str, value: &str) -> Result<Option<Value>, String> {
        let url = format!("{}/Users?{}", self.scim, eq_filter(attribute, value));
        let page = self.call(Method::GET, url, None).await?;
        Ok(page["Resources"].get(0).cloned())
    }

    async fn scim_group_id(&self, name: &str) -> Result<String, String> {
        let url = format!("{}/Groups?{}", self.scim, eq_filter("displayName", name));
        let page = self.call(Method::GET, url, None).await?;
        page["Resources"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("no SCIM group {name}"))
    }

    async fn patch_scim_group(
        &self,
        group_id: &str,
        op: &str,
        user_id: &str,
    ) -> Result<(), String> {
        let body = json!({"schemas": [PATCH_OP],
            "Operations": [{"op": op, "path": "members", "value": [{"value": user_id}]}]});
        let url = format!("{}/Groups/{group_id}", self.scim);
        self.call(Method::PATCH, url, Some(body)).await.map(drop)
    }

    /// Looks the worker up by id and e-mail, creates them, then adds each group: an Admin search
    /// tells whether Admin manages it, otherwise SCIM finds it.
    pub async fn joiner(&self, worker: &Value, groups: &[&str]) -> Result<(), String> {
        let (hr_id, email) = (
            worker["hrId"].as_str().unwrap_or_default(),
            worker["workEmail"].as_str().unwrap_or_default(),
        );
        if self.scim_user_where("externalId", hr_id).await?.is_some()
            || self.scim_user_where("userName", email).await?.is_some()
        {
            return Err(format!("{email} exists already"));
        }
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email, "externalId": hr_id, "active": true,
            "emails": [{"value": email, "type": "work", "primary": true}],
            "name": {"givenName": worker["givenName"], "familyName": worker["familyName"]},
            "displayName": worker["displayName"], "title": worker["title"],
        });
        let created = self
            .call(Method::POST, format!("{}/Users", self.scim), Some(body))
            .await?;
        let user_id = created["id"].as_str().unwrap_or_default().to_string();
        let account_id = created["urn:scim:schemas:extension:atlassian-external:1.0"]
            ["atlassianAccountId"]
            .as_str()
            .map(str::to_string);
        for group in groups {
            let search = json!({"groupNames": [group], "limit": 100});
            let found = self
                .call(
                    Method::POST,
                    format!("{}/directories/-/groups/search", self.admin),
                    Some(search),
                )
                .await?;
            let admin_group = &found["data"][0];
            match (admin_group["externalSynced"].as_bool(), &account_id) {
                (Some(false), Some(account)) => {
                    let url = format!(
                        "{}/directories/{}/groups/{}/memberships",
                        self.admin,
                        admin_group["directoryId"].as_str().unwrap_or("-"),
                        admin_group["id"].as_str().unwrap_or_default()
                    );
                    self.call(Method::POST, url, Some(json!({"accountId": account})))
                        .await?;
                }
                _ => {
                    let group_id = self.scim_group_id(group).await?;
                    self.patch_scim_group(&group_id, "add", &user_id).await?;
                }
            }
        }
        Ok(())
    }

    /// Finds the worker, removes each SCIM group, then each remaining Admin group, then
    /// deactivates.
    pub async fn leaver(&self, worker: &Value, admin_directory_id: &str) -> Result<(), String> {
        let hr_id = worker["hrId"].as_str().unwrap_or_default();
        let email = worker["workEmail"].as_str().unwrap_or_default();
        let user = self
            .scim_user_where("externalId", hr_id)
            .await?
            .ok_or_else(|| format!("{hr_id} not found"))?;
        let user_id = user["id"].as_str().unwrap_or_default().to_string();
        let mut scim_groups = Vec::new();
        for group in user["groups"].as_array().into_iter().flatten() {
            let id = group["value"].as_str().unwrap_or_default();
            self.patch_scim_group(id, "remove", &user_id).await?;
            scim_groups.push(group["display"].as_str().unwrap_or_default().to_string());
        }
        let search = json!({"emails": [email], "expand": ["groups"], "limit": 10});
        let found = self
            .call(
                Method::POST,
                format!("{}/directories/-/users/search", self.admin),
                Some(search),
            )
            .await?;
        let account = &found["data"][0];
        let account_id = account["accountId"].as_str().unwrap_or_default();
        for group in account["groups"].as_array().into_iter().flatten() {
            let name = group["name"].as_str().unwrap_or_default();
            if scim_groups.iter().any(|g| g == name) {
                continue;
            }
            let id = group["id"].as_str().unwrap_or_default();
            let id = id.rsplit('/').next().unwrap_or(id);
            let url = format!(
                "{}/directories/{admin_directory_id}/groups/{id}/memberships/{account_id}",
                self.admin
            );
            self.call(Method::DELETE, url, None).await?;
        }
        let body = json!({"schemas": [PATCH_OP],
            "Operations": [{"op": "replace", "path": "active", "value": false}]});
        let url = format!("{}/Users/{user_id}", self.scim);
        self.call(Method::PATCH, url, Some(body)).await.map(drop)
    }
}
