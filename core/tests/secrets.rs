//! No credential ever reaches a report, an error or a Debug print — including
//! when Atlassian refuses the credential.

mod common;

use atlassian_lcm::report::ErrorCode;
use atlassian_lcm::{Outcome, Request, RunOptions};
use common::*;
use serde_json::json;

#[tokio::test]
async fn no_secret_in_any_output() {
    let (emu, lcm) = demo(&[]).await;
    let scim_token = emu.scim_token();
    let admin_key = emu.admin_api_key();
    let mut outputs: Vec<String> = vec![
        format!("{lcm:?}"),
        format!("{:?}", lcm.config()),
        format!("{:#?}", lcm.config()),
    ];

    let events = [
        event(
            "joiner",
            newcomer(),
            Some(json!({"groups": ["jira-software-users", "engineering", "Nope"]})),
        ),
        event(
            "mover",
            json!({"hrId": "E1020", "workEmail": "katherine.johnson@example.com", "displayName": "K"}),
            None,
        ),
        event(
            "leaver",
            json!({"workEmail": "ada.lovelace@example.com"}),
            None,
        ),
        event(
            "purge",
            json!({"workEmail": "grace.hopper@example.com"}),
            None,
        ),
    ];
    for ev in &events {
        for dry_run in [true, false] {
            let r = lcm
                .run_json(
                    ev,
                    RunOptions {
                        dry_run,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            outputs.push(serde_json::to_string(&r).unwrap());
            outputs.push(format!("{r:?}"));
        }
    }
    // Rotate the keys on the Atlassian side: every call now answers 401.
    emu.set_tokens(Some("rotated-scim".into()), Some("rotated-admin".into()));
    let r = lcm
        .run(
            &Request::check(vec!["engineering".into()]),
            RunOptions::default(),
        )
        .await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert!(r.has_unauthorized());
    assert_eq!(r.first_error().unwrap().code, ErrorCode::Unauthorized);
    outputs.push(serde_json::to_string(&r).unwrap());
    outputs.push(format!("{r:?}"));
    let e = lcm
        .run_json(
            &json!({"action": "CHECK", "groups": [1]}),
            RunOptions::default(),
        )
        .await
        .unwrap_err();
    outputs.push(format!("{e:?} {e}"));

    for out in &outputs {
        assert!(!out.contains(&scim_token), "SCIM token leaked: {out}");
        assert!(!out.contains(&admin_key), "admin key leaked: {out}");
    }
    // The emulator's own log never stored the Authorization header either.
    let log = serde_json::to_string(&emu.requests()).unwrap();
    assert!(!log.contains(&scim_token) && !log.contains(&admin_key));
}
