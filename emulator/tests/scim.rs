//! SCIM `/Users` and `/Groups` over HTTP, and how SCIM changes show in the Admin view.

mod common;

use atlassian_emulator::{EmulatorOptions, Seed};
use common::{account_id, send, Harness};
use reqwest::Method;
use serde_json::{json, Value};

fn new_user(email: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "externalId": external_id,
        "emails": [{"value": email, "type": "work", "primary": true}],
        "name": {"givenName": "Hedy", "familyName": "Lamarr"},
        "displayName": "Hedy Lamarr",
        "title": "Inventor",
        "active": true,
    })
}

#[tokio::test]
async fn create_then_duplicate_is_a_409_scim_error() {
    let h = Harness::demo().await;
    let response = h
        .scim(Method::POST, "/Users")
        .header("content-type", "application/scim+json")
        .body(new_user("hedy.lamarr@example.com", "E3001").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["content-type"],
        "application/scim+json",
        "SCIM answers in application/scim+json"
    );
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["userName"], "hedy.lamarr@example.com");
    assert_eq!(created["meta"]["resourceType"], "User");
    let account = account_id(&created);
    assert_eq!(account.len(), 24);

    // Same userName in another case: Atlassian's uniqueness ignores case.
    let (status, body) = send(
        h.scim(Method::POST, "/Users")
            .json(&new_user("Hedy.Lamarr@example.com", "E3002")),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["status"], "409", "ScimError.status is a string");
    assert_eq!(body["scimType"], "uniqueness");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );

    // Same externalId, different person.
    let (status, body) = send(
        h.scim(Method::POST, "/Users")
            .json(&new_user("someone.else@example.com", "E3001")),
    )
    .await;
    assert_eq!(
        (status, body["scimType"].as_str()),
        (409, Some("uniqueness"))
    );

    // Nothing was created by the refused requests.
    assert!(h
        .emulator
        .state()
        .user("someone.else@example.com")
        .is_none());
}

#[tokio::test]
async fn create_links_to_an_existing_account_by_email() {
    let h = Harness::demo().await;
    let before = h.emulator.state();
    let margaret = before.user("margaret.hamilton@example.com").unwrap();
    assert!(margaret.scim.is_none());
    let (status, created) = send(
        h.scim(Method::POST, "/Users")
            .json(&new_user("margaret.hamilton@example.com", "E1004")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        account_id(&created),
        margaret.account_id,
        "linked, not a new account"
    );
    let after = h.emulator.state();
    assert_eq!(after.users.len(), before.users.len());
    assert_eq!(
        after
            .user("margaret.hamilton@example.com")
            .unwrap()
            .scim
            .as_ref()
            .unwrap()
            .external_id
            .as_deref(),
        Some("E1004")
    );
}

#[tokio::test]
async fn filters_by_user_name_ignoring_case_and_by_external_id_exactly() {
    let h = Harness::demo().await;
    let list = |filter: &str| send(h.scim(Method::GET, "/Users").query(&[("filter", filter)]));
    let (status, body) = list("userName eq \"GRACE.hopper@example.com\"").await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 1);
    assert_eq!(body["Resources"][0]["externalId"], "E1002");
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    );

    let (_, body) = list("externalId eq \"E1002\"").await;
    assert_eq!(body["Resources"][0]["userName"], "grace.hopper@example.com");
    let (_, body) = list("externalId eq \"e1002\"").await;
    assert_eq!(body["totalResults"], 0, "externalId is case-exact");
    assert_eq!(body["Resources"], json!([]));

    for bad in [
        "emails.value eq \"grace.hopper@example.com\"",
        "userName co \"grace\"",
        "userName eq \"a\" or externalId eq \"b\"",
    ] {
        let (status, body) = list(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["scimType"], "invalidFilter", "{bad}");
    }
}

#[tokio::test]
async fn scim_pagination_returns_every_user_exactly_once() {
    let h = Harness::start(Seed::demo().with_bulk_users(150)).await;
    let total = h
        .emulator
        .state()
        .users
        .iter()
        .filter(|u| u.scim.is_some())
        .count();
    assert!(total > 150);

    // Asking for more than the cap still pages at 100.
    let (_, first) = send(h.scim(Method::GET, "/Users").query(&[("count", "500")])).await;
    assert_eq!(first["itemsPerPage"], 100);
    assert_eq!(first["totalResults"], total);

    let mut seen = std::collections::HashSet::new();
    let mut start = 1;
    loop {
        let (status, page) = send(
            h.scim(Method::GET, "/Users")
                .query(&[("startIndex", start.to_string()), ("count", "40".into())]),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(page["startIndex"], start);
        let resources = page["Resources"].as_array().unwrap();
        for user in resources {
            assert!(
                seen.insert(user["id"].as_str().unwrap().to_string()),
                "seen twice"
            );
        }
        start += resources.len();
        if resources.is_empty() || start > page["totalResults"].as_u64().unwrap() as usize {
            break;
        }
    }
    assert_eq!(seen.len(), total);
}

#[tokio::test]
async fn patch_active_false_deactivates_the_account_and_true_reactivates() {
    let h = Harness::demo().await;
    let grace = h.scim_user("grace.hopper@example.com").await;
    let id = grace["id"].as_str().unwrap();
    let (status, patched) = send(h.scim(Method::PATCH, &format!("/Users/{id}")).json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}],
    })))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["active"], false);
    let admin = h.admin_user("grace.hopper@example.com").await;
    assert_eq!(admin["accountStatus"], "inactive");
    assert_eq!(admin["status"], "deactivated");

    // Atlassian's schema spells it `operations`; no path, value as an object; string boolean.
    let (status, patched) = send(h.scim(Method::PATCH, &format!("/Users/{id}")).json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "operations": [{"op": "Replace", "value": {"active": "True", "title": "Rear Admiral"}}],
    })))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (patched["active"].clone(), patched["title"].clone()),
        (json!(true), json!("Rear Admiral"))
    );
    let admin = h.admin_user("grace.hopper@example.com").await;
    assert_eq!(
        (admin["accountStatus"].as_str(), admin["status"].as_str()),
        (Some("active"), Some("active"))
    );
    assert_eq!(admin["jobTitle"], "Rear Admiral");
}

#[tokio::test]
async fn patch_paths_set_and_remove_attributes() {
    let h = Harness::demo().await;
    let ada = h.scim_user("ada.lovelace@example.com").await;
    let id = ada["id"].as_str().unwrap();
    let (status, patched) = send(h.scim(Method::PATCH, &format!("/Users/{id}")).json(&json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "name.givenName", "value": "Augusta Ada"},
            {"op": "add", "path": "displayName", "value": "Augusta Ada King"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Analytical Engines"},
        ],
    })))
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["name"]["givenName"], "Augusta Ada");
    assert_eq!(patched["displayName"], "Augusta Ada King");
    assert!(patched.get("title").is_none());
    assert_eq!(patched["department"], "Analytical Engines");
    assert_eq!(
        h.admin_user("ada.lovelace@example.com").await["name"],
        "Augusta Ada King"
    );

    let (status, body) = send(h.scim(Method::PATCH, &format!("/Users/{id}")).json(&json!({
        "Operations": [{"op": "replace", "path": "favouriteColour", "value": "blue"}],
    })))
    .await;
    assert_eq!(
        (status, body["scimType"].as_str()),
        (400, Some("invalidPath"))
    );
}

#[tokio::test]
async fn put_replaces_everything_and_clears_what_it_leaves_out() {
    let h = Harness::demo().await;
    let ada = h.scim_user("ada.lovelace@example.com").await;
    let id = ada["id"].as_str().unwrap();
    let (status, put) = send(h.scim(Method::PUT, &format!("/Users/{id}")).json(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada.lovelace@example.com",
        "externalId": "E1001",
        "displayName": "Ada Lovelace",
        "active": true,
    })))
    .await;
    assert_eq!(status, 200, "{put}");
    assert!(put.get("title").is_none(), "title cleared by PUT");
    assert!(put.get("department").is_none());
    assert_eq!(account_id(&put), account_id(&ada), "the link survives PUT");
}

#[tokio::test]
async fn delete_then_404_and_the_account_is_unlinked_and_deactivated() {
    let h = Harness::demo().await;
    let ada = h.scim_user("ada.lovelace@example.com").await;
    let id = ada["id"].as_str().unwrap();
    let (status, body) = send(h.scim(Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, body) = send(h.scim(Method::GET, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404);
    assert_eq!(body["status"], "404");
    let (status, _) = send(h.scim(Method::DELETE, &format!("/Users/{id}"))).await;
    assert_eq!(status, 404, "a second DELETE is a 404 too");

    let state = h.emulator.state();
    let user = state.user("ada.lovelace@example.com").unwrap();
    assert!(user.scim.is_none());
    assert_eq!(user.account_status, "inactive");
    assert!(
        !user.groups.contains(&"engineering".to_string()),
        "synced memberships go with the record"
    );
    assert!(
        user.groups.contains(&"jira-software-users".to_string()),
        "admin-managed ones stay"
    );
}

#[tokio::test]
async fn group_patch_adds_and_removes_members_in_both_remove_forms() {
    let h = Harness::demo().await;
    let eng = h.scim_group("engineering").await;
    let gid = eng["id"].as_str().unwrap().to_string();
    let alan = h.scim_user("alan.turing@example.com").await;
    let alan_id = alan["id"].as_str().unwrap().to_string();
    let patch = |ops: Value| {
        send(
            h.scim(Method::PATCH, &format!("/Groups/{gid}"))
                .json(&json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": ops,
                })),
        )
    };
    let members = |group: &Value| -> Vec<String> {
        group["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_string())
            .collect()
    };

    let add = json!([{"op": "add", "path": "members", "value": [{"value": alan_id}]}]);
    let (status, group) = patch(add.clone()).await;
    assert_eq!(status, 200);
    assert!(members(&group).contains(&alan_id));
    let (status, again) = patch(add).await;
    assert_eq!(status, 200, "adding a member twice is a no-op");
    assert_eq!(members(&again), members(&group));
    assert!(h
        .emulator
        .state()
        .group("engineering")
        .unwrap()
        .members
        .contains(&"alan.turing@example.com".to_string()));
    let admin = h.admin_user("alan.turing@example.com").await;
    assert!(admin["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "engineering"));

    let (status, group) =
        patch(json!([{"op": "remove", "path": format!("members[value eq \"{alan_id}\"]")}])).await;
    assert_eq!(status, 200);
    assert!(!members(&group).contains(&alan_id));

    patch(json!([{"op": "add", "path": "members", "value": [{"value": alan_id}]}])).await;
    let (status, group) =
        patch(json!([{"op": "remove", "path": "members", "value": [{"value": alan_id}]}])).await;
    assert_eq!(status, 200);
    assert!(!members(&group).contains(&alan_id));
    let (status, _) =
        patch(json!([{"op": "remove", "path": "members", "value": [{"value": alan_id}]}])).await;
    assert_eq!(status, 200, "removing a non-member is a no-op");

    let (status, body) =
        patch(json!([{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]))
            .await;
    assert_eq!((status, body["status"].as_str()), (404, Some("404")));
}

#[tokio::test]
async fn groups_filter_by_display_name_ignoring_case_and_hide_admin_only_groups() {
    let h = Harness::demo().await;
    let (status, body) = send(
        h.scim(Method::GET, "/Groups")
            .query(&[("filter", "displayName eq \"Engineering\"")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["totalResults"], 1);
    assert_eq!(
        body["Resources"][0]["displayName"], "engineering",
        "the real name comes back"
    );
    let (_, body) = send(
        h.scim(Method::GET, "/Groups")
            .query(&[("filter", "displayName eq \"jira-software-users\"")]),
    )
    .await;
    assert_eq!(
        body["totalResults"], 0,
        "admin-managed groups are not in the SCIM directory"
    );
    let (_, body) = send(h.scim(Method::GET, "/Groups")).await;
    let names: Vec<&str> = body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "engineering",
            "platform-team",
            "payroll-admins",
            "contractors"
        ]
    );
}

#[tokio::test]
async fn omit_account_id_on_create_leaves_it_out_of_the_201_only() {
    let seed = Seed {
        options: EmulatorOptions {
            omit_account_id_on_create: true,
            ..EmulatorOptions::default()
        },
        ..Seed::demo()
    };
    let h = Harness::start(seed).await;
    let (status, created) = send(
        h.scim(Method::POST, "/Users")
            .json(&new_user("hedy@example.com", "E3001")),
    )
    .await;
    assert_eq!(status, 201);
    assert!(created
        .get("urn:scim:schemas:extension:atlassian-external:1.0")
        .is_none());
    let fetched = h.scim_user("hedy@example.com").await;
    assert_eq!(account_id(&fetched).len(), 24);
}

#[tokio::test]
async fn wrong_scim_directory_is_404_and_non_json_body_is_415() {
    let h = Harness::demo().await;
    let wrong = format!(
        "{}/scim/directory/{}",
        h.emulator.base_url(),
        h.emulator.admin_directory_id()
    );
    let (status, body) = send(
        h.http
            .get(format!("{wrong}/Users"))
            .bearer_auth(h.emulator.scim_token()),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (404, Some("404")));
    let (status, _) = send(
        h.scim(Method::POST, "/Users")
            .header("content-type", "text/plain")
            .body("userName=x"),
    )
    .await;
    assert_eq!(status, 415);
}
