//! SYNC_IDENTITIES against the emulator: create, adopt after 409, minimal
//! updates, ownership, outcome-unknown creates, dry runs, replays.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atlassian_lcm::http::{HttpClient, HttpRequest, TransportError};
use atlassian_lcm::native::ReqwestClient;
use atlassian_lcm::report::{ErrorCode, StepStatus};
use atlassian_lcm::{testing, Outcome, RunOptions};
use common::*;
use serde_json::json;

#[tokio::test]
async fn joiner_creates_the_user_with_groups() {
    let (emu, lcm) = demo(&[]).await;
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "engineering"]})),
    );
    let r = run(&lcm, &ev).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let state = emu.state();
    let u = state.user("mary.somerville@example.com").expect("created");
    let scim = u.scim.as_ref().expect("SCIM record");
    assert_eq!(scim.external_id.as_deref(), Some("E3001"));
    assert_eq!(scim.title.as_deref(), Some("Analyst"));
    assert!(scim.active);
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering", "jira-software-users"]
    );
    assert_eq!(r.identity.scim_user_id.as_deref(), Some(scim.id.as_str()));
    assert_eq!(
        r.identity.account_id.as_deref(),
        Some(u.account_id.as_str())
    );
    let actions: Vec<&str> = r.audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "membership.added").count(),
        2
    );
    assert!(actions.contains(&"user.created"));
}

#[tokio::test]
async fn replaying_a_joiner_makes_no_writes() {
    let (emu, lcm) = demo(&[]).await;
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "engineering", "contractors"]})),
    );
    assert_eq!(run(&lcm, &ev).await.outcome, Outcome::Succeeded);
    emu.clear_requests();
    let r = run(&lcm, &ev).await;
    assert_eq!(r.outcome, Outcome::NoChange, "{r:#?}");
    assert!(writes(&emu).is_empty(), "replay wrote: {:?}", writes(&emu));
    assert!(r.audit.is_empty());
}

#[tokio::test]
async fn update_sends_only_changed_attributes() {
    let (emu, lcm) = demo(&[]).await;
    let worker = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "givenName": "Ada", "familyName": "Lovelace",
                        "displayName": "Ada Lovelace", "title": "Principal Engineer", "department": "Platform"});
    let r = run(&lcm, &event("mover", worker, None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let w = writes(&emu);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].method, "PATCH");
    let ops = w[0].body.as_ref().unwrap()["Operations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        ops,
        vec![json!({"op": "replace", "path": "title", "value": "Principal Engineer"})]
    );
    assert_eq!(r.audit[0].before, Some(json!({"title": "Engineer"})));
    assert_eq!(
        emu.state()
            .user("ada.lovelace@example.com")
            .unwrap()
            .scim
            .as_ref()
            .unwrap()
            .title
            .as_deref(),
        Some("Principal Engineer")
    );
}

#[tokio::test]
async fn a_mover_with_groups_looks_the_user_up_in_scim_once() {
    let (emu, lcm) = demo(&[]).await;
    let worker = json!({"hrId": "E1001", "workEmail": "ada.lovelace@example.com", "title": "Principal Engineer"});
    let access = json!({"groups": ["confluence-users"]});
    let r = run(&lcm, &event("mover", worker, Some(access))).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let mut scim_user_lookups: Vec<String> = emu
        .requests()
        .iter()
        .filter(|q| q.method == "GET" && q.path.ends_with("/Users"))
        .map(|q| {
            let query = q.query.clone().unwrap_or_default();
            // Which attribute the filter names: externalId or userName.
            if query.contains("externalId") {
                "externalId".to_string()
            } else {
                query
            }
        })
        .collect();
    scim_user_lookups.sort();
    // The sync looks up by hrId and by e-mail at once (one round trip), and
    // its answer is handed on to the membership step, not repeated.
    assert_eq!(scim_user_lookups.len(), 2, "{scim_user_lookups:?}");
    assert_eq!(scim_user_lookups[0], "externalId", "{scim_user_lookups:?}");
    assert!(
        scim_user_lookups[1].contains("userName"),
        "{scim_user_lookups:?}"
    );
    assert!(groups_of(&emu, "ada.lovelace@example.com").contains(&"confluence-users".to_string()));
}

#[tokio::test]
async fn mover_for_a_missing_user_fails_without_creating() {
    let (emu, lcm) = demo(&[]).await;
    let r = run(&lcm, &event("mover", newcomer(), None)).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.first_error().unwrap().code, ErrorCode::UserNotFound);
    assert!(writes(&emu).is_empty());
}

#[tokio::test]
async fn unowned_user_is_adopted_and_foreign_one_refused_unless_told() {
    let (emu, lcm) = demo(&[]).await;
    // alan.turing has no externalId: sync adopts it.
    let alan = json!({"hrId": "E1010", "workEmail": "alan.turing@example.com", "displayName": "Alan Turing"});
    let r = run(&lcm, &event("mover", alan, None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert!(r.warnings.iter().any(|w| w.contains("adopted")));
    assert_eq!(
        emu.state()
            .user("alan.turing@example.com")
            .unwrap()
            .scim
            .as_ref()
            .unwrap()
            .external_id
            .as_deref(),
        Some("E1010")
    );

    // katherine.johnson belongs to another provisioner.
    emu.clear_requests();
    let kath = json!({"hrId": "E1020", "workEmail": "katherine.johnson@example.com", "displayName": "Katherine Johnson", "title": "CFO"});
    let r = run(&lcm, &event("mover", kath.clone(), None)).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!(r.first_error().unwrap().code, ErrorCode::OwnershipConflict);
    assert!(writes(&emu).is_empty());

    let mut ev = event("mover", kath, None);
    ev["options"] = json!({"adopt": true});
    let r = run(&lcm, &ev).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let scim = emu
        .state()
        .user("katherine.johnson@example.com")
        .unwrap()
        .scim
        .clone()
        .unwrap();
    assert_eq!(
        (scim.external_id.as_deref(), scim.title.as_deref()),
        (Some("E1020"), Some("CFO"))
    );
}

#[tokio::test]
async fn rehire_reactivates_and_replaces_groups() {
    let (emu, lcm) = demo(&[]).await;
    let linus = json!({"hrId": "E0999", "workEmail": "linus.former@example.com", "displayName": "Linus Former"});
    let r = run(
        &lcm,
        &event(
            "rehire",
            linus,
            Some(json!({"groups": ["confluence-users"], "mode": "replace"})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let state = emu.state();
    let u = state.user("linus.former@example.com").unwrap();
    assert!(u.scim.as_ref().unwrap().active);
    assert_eq!(
        groups_of(&emu, "linus.former@example.com"),
        vec!["confluence-users"]
    );
}

/// Hides the first SCIM user search for `userName`, as if the user were
/// created by someone else between our look-up and our create.
fn race_client() -> Arc<dyn HttpClient> {
    let inner = Arc::new(ReqwestClient::new().unwrap());
    let hidden = Arc::new(AtomicBool::new(false));
    testing::client(move |request: HttpRequest| {
        let hide = request.method() == http::Method::GET
            && request
                .uri()
                .query()
                .is_some_and(|q| q.contains("userName"))
            && !hidden.swap(true, Ordering::SeqCst);
        let inner = inner.clone();
        async move {
            if hide {
                let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []});
                return Ok(http::Response::builder()
                    .status(200)
                    .body(serde_json::to_vec(&body).unwrap())
                    .unwrap());
            }
            inner.execute(request).await
        }
    })
}

#[tokio::test]
async fn create_answered_409_adopts_the_existing_user() {
    let emu = atlassian_emulator::Emulator::start(atlassian_emulator::Seed::demo())
        .await
        .unwrap();
    let lcm = engine_with(config(&emu, &[]), race_client());
    // alan.turing exists with no externalId: our look-ups miss, the create answers 409.
    let alan = json!({"hrId": "E1010", "workEmail": "alan.turing@example.com", "displayName": "Alan Turing", "title": "Fellow"});
    let r = run(&lcm, &event("joiner", alan, None)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let create = step_of(&r, "user alan.turing@example.com", "create_user");
    assert_eq!(
        (create.status, create.http_status),
        (StepStatus::NoChange, Some(409))
    );
    let scim = emu
        .state()
        .user("alan.turing@example.com")
        .unwrap()
        .scim
        .clone()
        .unwrap();
    assert_eq!(
        (scim.external_id.as_deref(), scim.title.as_deref()),
        (Some("E1010"), Some("Fellow"))
    );
    assert_eq!(
        emu.state()
            .users
            .iter()
            .filter(|u| u.email == "alan.turing@example.com")
            .count(),
        1
    );
}

/// Lets the create reach the emulator, then loses the response.
fn lost_response_client() -> Arc<dyn HttpClient> {
    let inner = Arc::new(ReqwestClient::new().unwrap());
    let lost = Arc::new(AtomicBool::new(false));
    testing::client(move |request: HttpRequest| {
        let is_create =
            request.method() == http::Method::POST && request.uri().path().ends_with("/Users");
        let (inner, lost) = (inner.clone(), lost.clone());
        async move {
            let resp = inner.execute(request).await;
            if is_create && !lost.swap(true, Ordering::SeqCst) {
                return Err(TransportError::Connection(
                    "connection reset after the request was sent".into(),
                ));
            }
            resp
        }
    })
}

#[tokio::test]
async fn a_create_with_unknown_outcome_is_looked_up_not_resent() {
    let emu = atlassian_emulator::Emulator::start(atlassian_emulator::Seed::demo())
        .await
        .unwrap();
    let lcm = engine_with(config(&emu, &[]), lost_response_client());
    let r = run(
        &lcm,
        &event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["engineering"]})),
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    let creates = emu
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST" && q.path.ends_with("/Users"))
        .count();
    assert_eq!(creates, 1, "the create must not be sent twice");
    assert!(
        r.warnings.iter().any(|w| w.contains("looked the user up")),
        "{:?}",
        r.warnings
    );
    assert_eq!(
        groups_of(&emu, "mary.somerville@example.com"),
        vec!["engineering"]
    );
}

#[tokio::test]
async fn dry_run_reads_but_never_writes() {
    let (emu, lcm) = demo(&[]).await;
    let ev = event(
        "joiner",
        newcomer(),
        Some(json!({"groups": ["jira-software-users", "engineering"]})),
    );
    let r = lcm
        .run_json(
            &ev,
            RunOptions {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.outcome, Outcome::Planned, "{r:#?}");
    assert!(r.dry_run);
    assert!(writes(&emu).is_empty());
    assert!(!emu.requests().is_empty(), "reads still run");
    let methods: Vec<&str> = r.plan.iter().map(|p| p.method.as_str()).collect();
    assert_eq!(
        methods.iter().filter(|m| **m == "POST").count(),
        2,
        "{:#?}",
        r.plan
    ); // create + admin membership
    assert_eq!(methods.iter().filter(|m| **m == "PATCH").count(), 1); // SCIM group
    assert!(r.plan[0].url.ends_with("/Users"));
    assert_eq!(r.plan[0].body.as_ref().unwrap()["externalId"], "E3001");
    assert!(emu.state().user("mary.somerville@example.com").is_none());
    assert!(r.audit.iter().all(|a| a.planned));
    // The ids the planned create would get are named as such, not faked.
    let admin_add = r
        .plan
        .iter()
        .find(|p| p.url.ends_with("/memberships"))
        .unwrap();
    assert_eq!(
        admin_add.body.as_ref().unwrap()["accountId"],
        "<account id of the user this plan creates>"
    );
    let scim_add = r.plan.iter().find(|p| p.method == "PATCH").unwrap();
    assert_eq!(
        scim_add.body.as_ref().unwrap()["Operations"][0]["value"][0]["value"],
        "<SCIM id of the user this plan creates>"
    );
}

#[tokio::test]
async fn dry_run_only_mode_plans_everything() {
    let (emu, lcm) = demo(&[(atlassian_lcm::config::Key::DryRunOnly, "true")]).await;
    let r = run(
        &lcm,
        &event(
            "leaver",
            json!({"workEmail": "ada.lovelace@example.com"}),
            None,
        ),
    )
    .await;
    assert_eq!(r.outcome, Outcome::Planned);
    assert!(writes(&emu).is_empty());
    assert!(r.warnings.iter().any(|w| w.contains("dry-run-only")));
}

#[tokio::test]
async fn bad_input_makes_no_call() {
    let (emu, lcm) = demo(&[]).await;
    let mut ev = event("joiner", newcomer(), None);
    ev["worker"]["workEmail"] = json!("not-an-email");
    let e = lcm.run_json(&ev, RunOptions::default()).await.unwrap_err();
    assert_eq!(e.field, "worker.workEmail");
    assert!(emu.requests().is_empty());
}
