//! The Admin (Organizations v2) and user-management APIs over HTTP.

mod common;

use std::time::Duration;

use atlassian_emulator::{EmulatorOptions, Seed};
use common::{account_id, send, Harness};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn directory_ids_differ_and_the_wrong_one_is_404() {
    let h = Harness::demo().await;
    let (status, body) = send(h.admin(Method::GET, "/directories")).await;
    assert_eq!(status, 200);
    let listed = body["data"][0]["directoryId"].as_str().unwrap();
    assert_eq!(listed, h.emulator.admin_directory_id());
    assert_ne!(listed, h.emulator.scim_directory_id());
    assert!(body["links"].is_object());

    let scim_dir = h.emulator.scim_directory_id();
    let (status, body) = send(
        h.admin(
            Method::POST,
            &format!("/directories/{scim_dir}/users/search"),
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["errors"][0]["status"], "404");
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("SCIM directory id"));

    // `-` is fine for searches, not for membership writes.
    let (status, _) = send(
        h.admin(Method::POST, "/directories/-/users/search")
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let group = h.admin_group("jira-software-users").await;
    let (status, _) = send(
        h.admin(
            Method::POST,
            &format!(
                "/directories/-/groups/{}/memberships",
                group["id"].as_str().unwrap()
            ),
        )
        .json(&json!({"accountId": "x"})),
    )
    .await;
    assert_eq!(status, 404);

    // Wrong org.
    let (status, body) = send(
        h.http
            .get(format!(
                "{}/v2/orgs/not-my-org/directories",
                h.emulator.admin_base_url()
            ))
            .bearer_auth(h.emulator.admin_api_key()),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["status"].as_str()),
        (404, Some("404"))
    );
}

#[tokio::test]
async fn group_search_matches_names_ignoring_case_and_shows_who_manages_them() {
    let h = Harness::demo().await;
    let (status, body) = send(
        h.admin(Method::POST, "/directories/-/groups/search")
            .json(&json!({"groupNames": ["ENGINEERING", "Jira-Software-Users", "contractors"]})),
    )
    .await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().unwrap();
    let names: Vec<&str> = data.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["engineering", "jira-software-users"],
        "SCIM-only groups are not in Admin"
    );
    let eng = &data[0];
    assert_eq!(
        (eng["externalSynced"].as_bool(), eng["managedBy"].as_str()),
        (Some(true), Some("external"))
    );
    assert_eq!(eng["directoryId"], h.emulator.admin_directory_id());
    let jsw = &data[1];
    assert_eq!(
        (jsw["externalSynced"].as_bool(), jsw["managedBy"].as_str()),
        (Some(false), Some("admins"))
    );
    assert!(jsw["managementAccess"]["modifiable"].as_bool().unwrap());

    let (status, body) = send(
        h.admin(Method::POST, "/directories/-/groups/search")
            .json(&json!({"groupNames": ["engineering"], "searchTerm": "eng"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["status"], "400");
    let (status, _) = send(
        h.admin(Method::POST, "/directories/-/groups/search")
            .json(&json!({"limit": 101})),
    )
    .await;
    assert_eq!(status, 400);

    // An empty body lists every Admin group, 20 per page by default.
    let (status, body) = send(h.admin(Method::POST, "/directories/-/groups/search")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn synced_groups_refuse_admin_membership_changes() {
    let h = Harness::demo().await;
    let alan = h.admin_user("alan.turing@example.com").await;
    let alan_id = alan["accountId"].as_str().unwrap();
    let eng = h.admin_group("engineering").await;
    let path = format!("/groups/{}/memberships", eng["id"].as_str().unwrap());
    let (status, body) = send(
        h.admin_dir(Method::POST, &path)
            .json(&json!({"accountId": alan_id})),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["errors"][0]["status"], "403");
    assert!(body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("identity provider"));
    let ada = h.admin_user("ada.lovelace@example.com").await;
    let (status, _) = send(h.admin_dir(
        Method::DELETE,
        &format!("{path}/{}", ada["accountId"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, 403, "removals are refused too");
    assert!(!h
        .emulator
        .state()
        .group("engineering")
        .unwrap()
        .members
        .contains(&"alan.turing@example.com".into()));
    assert!(h
        .emulator
        .state()
        .group("engineering")
        .unwrap()
        .members
        .contains(&"ada.lovelace@example.com".into()));
}

#[tokio::test]
async fn admin_managed_memberships_add_conflict_remove_and_404() {
    let h = Harness::demo().await;
    let alan = h.admin_user("alan.turing@example.com").await;
    let alan_id = alan["accountId"].as_str().unwrap();
    let group = h.admin_group("jira-software-users").await;
    let path = format!("/groups/{}/memberships", group["id"].as_str().unwrap());

    let (status, body) = send(
        h.admin_dir(Method::POST, &path)
            .json(&json!({"accountId": alan_id})),
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    let (status, _) = send(
        h.admin_dir(Method::POST, &path)
            .json(&json!({"accountId": alan_id})),
    )
    .await;
    assert_eq!(status, 409, "already a member");
    let groups = h.admin_user("alan.turing@example.com").await["groups"].clone();
    let entry = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "jira-software-users")
        .unwrap();
    assert!(entry["id"]
        .as_str()
        .unwrap()
        .ends_with(group["id"].as_str().unwrap()));

    let (status, _) = send(h.admin_dir(Method::DELETE, &format!("{path}/{alan_id}"))).await;
    assert_eq!(status, 204);
    let (status, _) = send(h.admin_dir(Method::DELETE, &format!("{path}/{alan_id}"))).await;
    assert_eq!(status, 404, "not a member any more");
    let (status, _) = send(
        h.admin_dir(Method::POST, &path)
            .json(&json!({"accountId": "nobody"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(h.admin_dir(Method::POST, &path).json(&json!({}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn admin_cursor_pagination_returns_every_user_exactly_once() {
    let h = Harness::start(Seed::demo().with_bulk_users(150)).await;
    let total = h.emulator.state().users.len();
    let mut seen = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"limit": 40});
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let (status, page) = send(
            h.admin(Method::POST, "/directories/-/users/search")
                .json(&body),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for user in page["data"].as_array().unwrap() {
            assert!(
                seen.insert(user["accountId"].as_str().unwrap().to_string()),
                "seen twice"
            );
        }
        match page["links"]["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(pages, total.div_ceil(40));

    // Default page size is 50; a garbage cursor is a 400.
    let (_, page) = send(
        h.admin(Method::POST, "/directories/-/users/search")
            .json(&json!({})),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 50);
    let (status, _) = send(
        h.admin(Method::POST, "/directories/-/users/search")
            .json(&json!({"cursor": "nope"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn user_details_suspend_and_restore() {
    let h = Harness::demo().await;
    let grace = h.admin_user("grace.hopper@example.com").await;
    let id = grace["accountId"].as_str().unwrap();
    assert_eq!(grace["managementSource"], "synced");
    let (status, body) = send(h.admin(Method::GET, &format!("/directories/-/users/{id}"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["email"], "grace.hopper@example.com");
    let (status, _) = send(h.admin_dir(Method::POST, &format!("/users/{id}/suspend"))).await;
    assert_eq!(status, 204);
    let user = h.admin_user("grace.hopper@example.com").await;
    assert_eq!(
        (user["membershipStatus"].as_str(), user["status"].as_str()),
        (Some("suspended"), Some("suspended"))
    );
    let (status, _) = send(h.admin_dir(Method::POST, &format!("/users/{id}/restore"))).await;
    assert_eq!(status, 204);
    assert_eq!(
        h.admin_user("grace.hopper@example.com").await["status"],
        "active"
    );
    let (status, _) =
        send(h.admin(Method::GET, "/directories/-/users/000000000000000000000000")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn visibility_delay_hides_a_new_account_from_admin_then_shows_it() {
    let seed = Seed {
        options: EmulatorOptions {
            account_visibility_delay_ms: 400,
            ..EmulatorOptions::default()
        },
        ..Seed::demo()
    };
    let h = Harness::start(seed).await;
    let (status, created) = send(h.scim(Method::POST, "/Users").json(&json!({
        "userName": "new.starter@example.com", "externalId": "E4000", "displayName": "New Starter",
    })))
    .await;
    assert_eq!(status, 201);
    let id = account_id(&created);
    assert_eq!(
        h.admin_user("new.starter@example.com").await,
        Value::Null,
        "not visible yet"
    );
    let (status, _) = send(h.admin(Method::GET, &format!("/directories/-/users/{id}"))).await;
    assert_eq!(status, 404);
    assert!(
        !h.emulator
            .state()
            .user("new.starter@example.com")
            .unwrap()
            .visible_in_admin
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let user = h.admin_user("new.starter@example.com").await;
    assert_eq!(user["accountId"], id.as_str());
    assert_eq!(user["name"], "New Starter");
}

#[tokio::test]
async fn lifecycle_delete_is_refused_while_scim_linked_and_allowed_after_scim_delete() {
    let h = Harness::demo().await;
    let ada = h.scim_user("ada.lovelace@example.com").await;
    let account = account_id(&ada);

    let (status, rules) = send(
        h.um(Method::GET, &format!("/users/{account}/manage"))
            .query(&[
                ("privileges", "lifecycle.enablement"),
                ("privileges", "lifecycle.delete"),
            ]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        rules["lifecycle.delete"],
        json!({"allowed": false, "reason": {"key": "externalDirectory.scim"}})
    );
    assert_eq!(rules["lifecycle.enablement"]["allowed"], false);
    assert!(rules.get("profile.read").is_none(), "only what was asked");

    let (status, body) = send(h.um(
        Method::POST,
        &format!("/users/{account}/manage/lifecycle/delete"),
    ))
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["key"], "forbidden.action");
    assert_eq!(body["context"]["reason"]["key"], "externalDirectory.scim");

    let (status, _) = send(h.scim(
        Method::DELETE,
        &format!("/Users/{}", ada["id"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(status, 204);
    let (_, rules) = send(
        h.um(Method::GET, &format!("/users/{account}/manage"))
            .query(&[("privileges", "lifecycle.delete")]),
    )
    .await;
    assert_eq!(rules["lifecycle.delete"], json!({"allowed": true}));
    let (status, body) = send(h.um(
        Method::POST,
        &format!("/users/{account}/manage/lifecycle/delete"),
    ))
    .await;
    assert_eq!((status, body), (200, json!({"message": "Success"})));
    let user = h.admin_user("ada.lovelace@example.com").await;
    assert_eq!(
        (user["status"].as_str(), user["accountStatus"].as_str()),
        (Some("for_deletion"), Some("inactive"))
    );

    let (status, body) = send(h.um(
        Method::POST,
        &format!("/users/{account}/manage/lifecycle/enable"),
    ))
    .await;
    assert_eq!(
        (status, body["key"].as_str()),
        (409, Some("conflict.lifecycleErrors"))
    );
    let (status, body) = send(h.um(
        Method::POST,
        "/users/000000000000000000000000/manage/lifecycle/delete",
    ))
    .await;
    assert_eq!((status, body), (404, json!({"key": "accountNotFound"})));
}

#[tokio::test]
async fn lifecycle_disable_and_enable_an_account_without_scim() {
    let h = Harness::demo().await;
    let margaret = h.admin_user("margaret.hamilton@example.com").await;
    let id = margaret["accountId"].as_str().unwrap();
    let (status, _) = send(h.um(
        Method::POST,
        &format!("/users/{id}/manage/lifecycle/disable"),
    ))
    .await;
    assert_eq!(status, 400, "the body is required");
    let (status, _) = send(
        h.um(
            Method::POST,
            &format!("/users/{id}/manage/lifecycle/disable"),
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        h.admin_user("margaret.hamilton@example.com").await["status"],
        "deactivated"
    );
    let (status, _) = send(h.um(
        Method::POST,
        &format!("/users/{id}/manage/lifecycle/enable"),
    ))
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        h.admin_user("margaret.hamilton@example.com").await["status"],
        "active"
    );
}

#[tokio::test]
async fn a_hidden_account_answers_404_to_membership_writes_until_it_shows() {
    let h = Harness::demo().await;
    // Set through the control API, as a binary's user would, without a reset.
    let (status, _) = send(
        h.http
            .put(format!("{}/__emulator/options", h.emulator.base_url()))
            .json(&json!({"accountVisibilityDelayMs": 400})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, created) = send(h.scim(Method::POST, "/Users").json(&json!({
        "userName": "new.starter@example.com", "externalId": "E4000", "displayName": "New Starter",
    })))
    .await;
    assert_eq!(status, 201);
    let id = account_id(&created);
    let group = h.admin_group("jira-software-users").await;
    let path = format!("/groups/{}/memberships", group["id"].as_str().unwrap());
    let add = || {
        h.admin_dir(Method::POST, &path)
            .json(&json!({"accountId": id}))
    };
    let (status, body) = send(add()).await;
    assert_eq!(status, 404, "hidden from membership writes too: {body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = send(add()).await;
    assert_eq!(status, 204, "visible now");

    let (status, _) = send(
        h.http
            .put(format!("{}/__emulator/options", h.emulator.base_url()))
            .body("{\"accountVisibilityDelayMs\": \"soon\"}"),
    )
    .await;
    assert_eq!(status, 400, "a bad options body is refused");
}
