//! What sits in front of the APIs: auth, fault injection, the request log, the control API, CORS.

mod common;

use std::time::Duration;

use atlassian_emulator::{sequential_round_trips, writes, Api, Faults, ScriptedFault};
use common::{send, Harness};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn each_api_answers_401_in_its_own_shape() {
    let h = Harness::demo().await;
    let base = h.emulator.base_url();
    let org = h.emulator.org_id();

    let (status, body) = send(h.http.get(format!("{}/Users", h.emulator.scim_url()))).await;
    assert_eq!(status, 401);
    assert!(
        body["error"].is_string() && body["traceId"].is_string(),
        "{body}"
    );
    // The admin key does not open SCIM, nor the SCIM token Admin.
    let (status, _) = send(
        h.http
            .get(format!("{}/Users", h.emulator.scim_url()))
            .bearer_auth(h.emulator.admin_api_key()),
    )
    .await;
    assert_eq!(status, 401);

    let (status, body) = send(
        h.http
            .get(format!("{base}/admin/v2/orgs/{org}/directories"))
            .bearer_auth(h.emulator.scim_token()),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["status"], "401");

    let (status, body) = send(h.http.get(format!("{base}/users/abc/manage"))).await;
    assert_eq!((status, body), (401, json!({"key": "unauthorized"})));
}

#[tokio::test]
async fn rotated_tokens_replace_the_old_ones() {
    let h = Harness::demo().await;
    let old = h.emulator.scim_token();
    h.emulator.set_tokens(Some("rotated-scim".into()), None);
    let url = format!("{}/Users", h.emulator.scim_url());
    let (status, _) = send(h.http.get(&url).bearer_auth(&old)).await;
    assert_eq!(status, 401);
    let (status, _) = send(h.http.get(&url).bearer_auth("rotated-scim")).await;
    assert_eq!(status, 200);
    let (status, _) = send(h.admin(Method::GET, "/directories")).await;
    assert_eq!(status, 200, "the admin key was kept");
}

#[tokio::test]
async fn scripted_429_carries_retry_after_or_rate_limit_reset() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        script: vec![
            ScriptedFault {
                method: Some("GET".into()),
                path_contains: Some("/Users".into()),
                status: 429,
                times: 1,
                retry_after_secs: Some(7),
                ..ScriptedFault::default()
            },
            ScriptedFault {
                path_contains: Some("/users/search".into()),
                status: 429,
                times: 1,
                rate_limit_reset_secs: Some(30),
                ..ScriptedFault::default()
            },
        ],
        ..Faults::default()
    });

    let response = h.scim(Method::GET, "/Users").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["status"], "429",
        "SCIM faults wear the ScimError shape"
    );
    let (status, _) = send(h.scim(Method::GET, "/Users")).await;
    assert_eq!(status, 200, "only `times` requests are hit");

    let response = h
        .admin(Method::POST, "/directories/-/users/search")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let reset = response.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        reset.len() == 24 && reset.ends_with('Z') && reset.as_bytes()[10] == b'T',
        "ISO-8601: {reset}"
    );
    assert!(response.headers().contains_key("x-ratelimit-limit"));
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    assert!(!response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["status"], "429");

    let log = h.emulator.requests();
    let faulted: Vec<u16> = log
        .iter()
        .filter(|r| r.injected_fault)
        .map(|r| r.status)
        .collect();
    assert_eq!(faulted, [429, 429]);
}

#[tokio::test]
async fn a_fault_refuses_the_request_before_it_changes_anything() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        script: vec![ScriptedFault {
            method: Some("POST".into()),
            path_contains: Some("/Users".into()),
            status: 503,
            times: 1,
            retry_after_secs: Some(1),
            ..ScriptedFault::default()
        }],
        ..Faults::default()
    });
    let user = json!({"userName": "once@example.com", "externalId": "E5000"});
    let (status, _) = send(h.scim(Method::POST, "/Users").json(&user)).await;
    assert_eq!(status, 503);
    assert!(h.emulator.state().user("once@example.com").is_none());
    let (status, _) = send(h.scim(Method::POST, "/Users").json(&user)).await;
    assert_eq!(status, 201, "the retry is the first create the API sees");
}

#[tokio::test]
async fn a_dropped_connection_gets_no_response_and_is_logged_as_status_0() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        script: vec![ScriptedFault {
            path_contains: Some("/Groups".into()),
            status: 0,
            times: 1,
            ..ScriptedFault::default()
        }],
        ..Faults::default()
    });
    let error = h
        .scim(Method::GET, "/Groups")
        .send()
        .await
        .expect_err("connection dropped");
    assert!(!error.is_status(), "{error}");
    let (status, _) = send(h.scim(Method::GET, "/Groups")).await;
    assert_eq!(status, 200);
    let log = h.emulator.requests();
    let dropped: Vec<_> = log.iter().filter(|r| r.path.ends_with("/Groups")).collect();
    assert_eq!(dropped[0].status, 0);
    assert!(dropped[0].injected_fault);
    assert_eq!(dropped[1].status, 200);
}

async fn statuses_under(h: &Harness, faults: Faults, n: usize) -> Vec<u16> {
    h.emulator.set_faults(faults);
    let mut statuses = Vec::new();
    for _ in 0..n {
        match h.scim(Method::GET, "/Groups").send().await {
            Ok(response) => statuses.push(response.status().as_u16()),
            Err(_) => statuses.push(0),
        }
    }
    statuses
}

#[tokio::test]
async fn the_same_fault_seed_gives_the_same_fault_sequence() {
    let h = Harness::demo().await;
    let plan = |seed| Faults {
        seed,
        rate_429: 0.25,
        rate_500: 0.1,
        rate_503: 0.1,
        drop_rate: 0.1,
        retry_after_secs: Some(1),
        ..Faults::default()
    };
    let first = statuses_under(&h, plan(42), 40).await;
    let second = statuses_under(&h, plan(42), 40).await;
    assert_eq!(first, second);
    assert!(first.contains(&200) && first.contains(&429), "{first:?}");
    let other = statuses_under(&h, plan(43), 40).await;
    assert_ne!(first, other);
    // The log agrees with what the client saw.
    let logged: Vec<u16> = h
        .emulator
        .requests()
        .iter()
        .take(40)
        .map(|r| r.status)
        .collect();
    assert_eq!(logged, first);
}

#[tokio::test]
async fn the_limiter_answers_429_with_rate_limit_headers() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        requests_per_second: Some(3),
        ..Faults::default()
    });
    let mut limited = 0;
    for _ in 0..8 {
        let response = h.admin(Method::GET, "/directories").send().await.unwrap();
        if response.status() == 429 {
            limited += 1;
            assert_eq!(response.headers()["x-ratelimit-limit"], "3");
            assert!(response.headers().contains_key("x-ratelimit-reset"));
        }
    }
    assert!(limited >= 1, "8 requests in well under a second exceed 3/s");
}

#[tokio::test]
async fn under_a_limit_every_admin_answer_carries_rate_limit_headers_and_scim_gets_retry_after() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        requests_per_second: Some(2),
        ..Faults::default()
    });
    let ok = h.admin(Method::GET, "/directories").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-ratelimit-limit"], "2");
    assert_eq!(ok.headers()["x-ratelimit-remaining"], "1");
    let reset = ok.headers()["x-ratelimit-reset"].to_str().unwrap();
    assert!(reset.ends_with('Z') && reset.contains('T'), "{reset}");
    // One window for every API: the SCIM request takes the last place, the next is refused with
    // Retry-After and without the Organizations API's headers.
    let scim = || h.scim(Method::GET, "/Groups").send();
    assert_eq!(scim().await.unwrap().status(), 200);
    let refused = scim().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert!(!refused.headers().contains_key("x-ratelimit-reset"));
    let admin = h.admin(Method::GET, "/directories").send().await.unwrap();
    assert_eq!(admin.status(), 429);
    assert_eq!(admin.headers()["x-ratelimit-remaining"], "0");
    assert!(!admin.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn latency_makes_concurrency_visible_in_the_log() {
    let h = Harness::demo().await;
    h.emulator.set_faults(Faults {
        latency_ms: 60,
        ..Faults::default()
    });
    let get = || h.scim(Method::GET, "/Groups").send();
    let (a, b, c) = tokio::join!(get(), get(), get());
    for response in [a, b, c] {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(sequential_round_trips(&h.emulator.requests()), 1);

    h.emulator.clear_requests();
    for _ in 0..3 {
        get().await.unwrap();
    }
    let log = h.emulator.requests();
    assert_eq!(sequential_round_trips(&log), 3);
    assert!(log
        .iter()
        .all(|r| r.finished_at_us - r.started_at_us >= 60_000));
}

#[tokio::test]
async fn the_log_keeps_bodies_and_api_but_never_credentials() {
    let h = Harness::demo().await;
    send(
        h.scim(Method::POST, "/Users")
            .json(&json!({"userName": "logged@example.com"})),
    )
    .await;
    send(
        h.admin(Method::POST, "/directories/-/users/search")
            .json(&json!({"emails": ["logged@example.com"]})),
    )
    .await;
    send(h.um(Method::GET, "/users/nobody/manage")).await;
    send(
        h.http
            .get(format!("{}/Users", h.emulator.scim_url()))
            .bearer_auth("a-wrong-token-value"),
    )
    .await;

    let log = h.emulator.requests();
    assert_eq!(log.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(
        log.iter().map(|r| r.api).collect::<Vec<_>>(),
        [Api::Scim, Api::Admin, Api::UserManagement, Api::Scim]
    );
    assert_eq!(
        log[0].body.as_ref().unwrap()["userName"],
        "logged@example.com"
    );
    assert_eq!(log[3].status, 401);
    let written: Vec<u64> = writes(&log).iter().map(|r| r.seq).collect();
    assert_eq!(written, [1], "searches and GETs are reads");

    let text = serde_json::to_string(&log).unwrap();
    for secret in [
        h.emulator.scim_token(),
        h.emulator.admin_api_key(),
        "a-wrong-token-value".into(),
    ] {
        assert!(!text.contains(&secret), "the log holds a token");
    }
    assert!(!text.to_lowercase().contains("authorization") && !text.contains("Bearer"));
}

#[tokio::test]
async fn the_control_api_steers_without_being_logged_or_faulted() {
    let h = Harness::demo().await;
    let control = |method: Method, path: &str| {
        h.http.request(
            method,
            format!("{}/__emulator{path}", h.emulator.base_url()),
        )
    };
    let (status, info) = send(control(Method::GET, "/info")).await;
    assert_eq!(status, 200);
    assert_eq!(info["scimUrl"], h.emulator.scim_url());
    assert_eq!(info["adminDirectoryId"], h.emulator.admin_directory_id());

    let (status, _) = send(control(Method::PUT, "/faults").json(&json!({
        "script": [{"pathContains": "/Users", "status": 500, "times": 1}],
        "latencyMs": 0,
    })))
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(control(Method::GET, "/state")).await;
    assert_eq!(status, 200, "control calls are never faulted");
    let (status, _) = send(
        h.scim(Method::POST, "/Users")
            .json(&json!({"userName": "c@example.com"})),
    )
    .await;
    assert_eq!(status, 500);
    let (status, _) = send(
        h.scim(Method::POST, "/Users")
            .json(&json!({"userName": "c@example.com"})),
    )
    .await;
    assert_eq!(status, 201);

    let (_, state) = send(control(Method::GET, "/state")).await;
    assert!(state["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["email"] == "c@example.com"));
    let (_, log) = send(control(Method::GET, "/requests")).await;
    assert_eq!(
        log.as_array().unwrap().len(),
        2,
        "only the two SCIM calls are logged"
    );

    let (status, _) = send(control(Method::PUT, "/tokens").json(&json!({"scimToken": "t2"}))).await;
    assert_eq!(status, 204);
    assert_eq!(h.emulator.scim_token(), "t2");

    let (status, _) = send(control(Method::POST, "/reset")).await;
    assert_eq!(status, 204);
    assert!(h.emulator.state().user("c@example.com").is_none());
    assert_eq!(
        h.emulator.scim_token(),
        h.emulator.seed().scim_token,
        "reset restores the seed's tokens"
    );
    assert!(h.emulator.requests().is_empty());
    let (status, _) = send(
        control(Method::POST, "/reset")
            .json(&json!({"users": [{"email": "x@example.com", "groups": ["missing"]}]})),
    )
    .await;
    assert_eq!(status, 400, "an inconsistent seed is refused");
}

#[tokio::test]
async fn cors_preflight_is_answered_and_not_logged() {
    let h = Harness::demo().await;
    let response = h
        .http
        .request(Method::OPTIONS, format!("{}/Users", h.emulator.scim_url()))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert!(response.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    let response = h
        .scim(Method::GET, "/Users")
        .header("origin", "http://localhost:5173")
        .send()
        .await
        .unwrap();
    assert!(response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("Retry-After"));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.emulator.requests().len(), 1);
}
