use super::*;
use crate::report::ActionKind;
use serde_json::json;

fn joiner() -> serde_json::Value {
    json!({
        "schemaVersion": "1", "eventId": "hr-2026-000123", "lifecycle": "joiner",
        "occurredAt": "2026-11-30T09:00:00Z",
        "worker": {"hrId": "E1042", "workEmail": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace",
                    "displayName": "Ada Lovelace", "title": "Engineer", "department": "Platform", "organization": "Example",
                    "timezone": "Europe/London", "preferredLanguage": "en-GB"},
        "access": {"groups": ["jira-software-users", "confluence-users"], "mode": "add"},
        "options": {"dryRun": false}
    })
}

fn err(v: serde_json::Value) -> InputError {
    parse_request(&v).unwrap_err()
}

#[test]
fn design_example_parses_to_sync_then_add() {
    let r = parse_request(&joiner()).unwrap();
    assert_eq!(r.lifecycle, Some(Lifecycle::Joiner));
    assert_eq!(r.calls.len(), 2);
    match &r.calls[0] {
        ActionCall::Sync(s) => assert!(s.allow_create && !s.reactivate),
        other => panic!("{other:?}"),
    }
    match &r.calls[1] {
        ActionCall::Relationships(rel) => {
            assert_eq!(rel.mode, GroupMode::Add);
            assert_eq!(rel.groups, vec!["jira-software-users", "confluence-users"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn lifecycle_mapping() {
    let kinds = |lc: &str, access: bool| -> Vec<ActionKind> {
        let mut v = joiner();
        v["lifecycle"] = json!(lc);
        if !access {
            v.as_object_mut().unwrap().remove("access");
        } else {
            v["access"]["mode"] = json!(if lc == "rehire" { "replace" } else { "add" });
        }
        parse_request(&v)
            .unwrap()
            .calls
            .iter()
            .map(ActionCall::kind)
            .collect()
    };
    use ActionKind::*;
    assert_eq!(
        kinds("joiner", true),
        vec![SyncIdentities, ManageRelationships]
    );
    assert_eq!(
        kinds("mover", true),
        vec![SyncIdentities, ManageRelationships]
    );
    assert_eq!(kinds("mover", false), vec![SyncIdentities]);
    assert_eq!(
        kinds("rehire", true),
        vec![SyncIdentities, ManageRelationships]
    );
    assert_eq!(kinds("leaver", false), vec![DeprovisionIdentity]);
    assert_eq!(kinds("purge", false), vec![DeleteIdentity]);
    let mut v = joiner();
    v["lifecycle"] = json!("mover");
    match &parse_request(&v).unwrap().calls[0] {
        ActionCall::Sync(s) => assert!(!s.allow_create),
        other => panic!("{other:?}"),
    }
    v["lifecycle"] = json!("rehire");
    v["access"]["mode"] = json!("replace");
    match &parse_request(&v).unwrap().calls[0] {
        ActionCall::Sync(s) => assert!(s.allow_create && s.reactivate),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_the_field() {
    let mut v = joiner();
    v["worker"]["givenNam"] = json!("x");
    let e = err(v);
    assert_eq!(e.field, "worker.givenNam");
    assert!(e.message.contains("unknown field"), "{e}");

    let mut v = joiner();
    v["worker"].as_object_mut().unwrap().remove("workEmail");
    assert_eq!(err(v).field, "worker.workEmail");

    let mut v = joiner();
    v["worker"]["workEmail"] = json!("ada.example.com");
    assert_eq!(err(v).field, "worker.workEmail");

    let mut v = joiner();
    v.as_object_mut().unwrap().remove("eventId");
    assert_eq!(err(v).field, "eventId");

    let mut v = joiner();
    v["lifecycle"] = json!("retiree");
    assert_eq!(err(v).field, "lifecycle");

    let mut v = joiner();
    v["access"]["groups"] = json!(["a", "a"]);
    assert_eq!(err(v).field, "access.groups[1]");

    let mut v = joiner();
    v["worker"]["timezone"] = json!("GMT+1 please");
    assert_eq!(err(v).field, "worker.timezone");

    let mut v = joiner();
    v["access"]["mode"] = json!("replace");
    assert_eq!(err(v).field, "access.mode");

    let mut v = joiner();
    v["lifecycle"] = json!("leaver");
    assert_eq!(err(v).field, "access");

    let mut v = joiner();
    v["occurredAt"] = json!("yesterday");
    assert_eq!(err(v).field, "occurredAt");

    let mut v = joiner();
    v["schemaVersion"] = json!("2");
    assert_eq!(err(v).field, "schemaVersion");

    let mut v = joiner();
    v["worker"]["givenNam"] = json!(42);
    assert!(err(v).message.contains("unknown field"));

    let mut v = joiner();
    v["worker"]["hrId"] = json!(42);
    assert_eq!(err(v).field, "worker.hrId");

    assert_eq!(err(json!([])).field, "(body)");
    assert_eq!(err(json!({"hello": 1})).field, "(body)");
}

#[test]
fn direct_calls() {
    let r = parse_request(
        &json!({"action": "DEPROVISION_IDENTITY", "worker": {"workEmail": "ada@example.com"}}),
    )
    .unwrap();
    assert_eq!(r.calls[0].kind(), ActionKind::DeprovisionIdentity);
    let r = parse_request(&json!({"action": "CHECK", "groups": ["engineering"]})).unwrap();
    assert_eq!(
        r.calls,
        vec![ActionCall::Check {
            groups: vec!["engineering".into()]
        }]
    );
    let r = parse_request(&json!({"action": "MANAGE_RELATIONSHIPS", "worker": {"hrId": "E1"},
        "access": {"groups": ["g"], "mode": "replace", "scope": ["g", "h"]}, "options": {"dryRun": true}})).unwrap();
    assert!(r.dry_run);
    assert_eq!(err(json!({"action": "EXPLODE"})).field, "action");
    assert_eq!(
        err(json!({"action": "DELETE_IDENTITY", "worker": {}})).field,
        "worker"
    );
    assert_eq!(
        err(json!({"action": "SYNC_IDENTITIES", "worker": {"hrId": "E1"}})).field,
        "worker.workEmail"
    );
    assert_eq!(err(json!({"action": "MANAGE_RELATIONSHIPS", "worker": {"hrId": "E1"}, "access": {"groups": ["g"], "scope": ["g"]}})).field, "access.scope");
}

#[test]
fn options_an_action_does_not_use_are_refused() {
    let mut v = joiner();
    v["lifecycle"] = json!("leaver");
    v.as_object_mut().unwrap().remove("access");
    v["options"] = json!({"force": true});
    assert_eq!(err(v).field, "options.force");
    assert_eq!(
        err(json!({"action": "CHECK", "options": {"adopt": true}})).field,
        "options.adopt"
    );
    let mut v = joiner();
    v["options"] = json!({"create": false});
    assert_eq!(err(v).field, "options.create");
    let r = parse_request(
        &json!({"action": "DELETE_IDENTITY", "worker": {"hrId": "E1"}, "options": {"force": true}}),
    )
    .unwrap();
    assert!(matches!(&r.calls[0], ActionCall::Delete(d) if d.force));
}

#[test]
fn a_rehire_scope_needs_no_explicit_mode() {
    let mut v = joiner();
    v["lifecycle"] = json!("rehire");
    v["access"] = json!({"groups": ["g"], "scope": ["g", "h"]});
    match &parse_request(&v).unwrap().calls[1] {
        ActionCall::Relationships(r) => {
            assert_eq!(
                (r.mode, r.scope.clone()),
                (GroupMode::Replace, Some(vec!["g".into(), "h".into()]))
            )
        }
        other => panic!("{other:?}"),
    }
    let mut v = joiner();
    v["access"]["scope"] = json!(["g"]);
    assert_eq!(err(v).field, "access.scope");
}

#[test]
fn joiner_needs_a_name() {
    let mut v = joiner();
    let w = v["worker"].as_object_mut().unwrap();
    w.remove("displayName");
    w.remove("familyName");
    assert_eq!(err(v).field, "worker.displayName");
}

/// Found by the `event` fuzz target: `{"": 1}` is valid JSON, and its
/// refusal named the field as the empty string.
#[test]
fn an_empty_key_is_named_not_blank() {
    for (text, field) in [
        (r#"{"action":"CHECK","":1}"#, r#""""#),
        (r#"{"":1,"lifecycle":"joiner"}"#, r#""""#),
        (r#"{"action":"CHECK","options":{"":1}}"#, r#"options."""#),
        (r#"{"lifecycle":"joiner","access":{"":1}}"#, r#"access."""#),
        (
            r#"{"schemaVersion":"1","eventId":"e1","lifecycle":"joiner","worker":{"":1}}"#,
            r#"worker."""#,
        ),
    ] {
        let e = parse_request_str(text).unwrap_err();
        assert_eq!(e.field, field, "{text}");
        assert!(e.message.contains("unknown field ``"), "{text}: {e}");
    }
    let line = serde_json::json!({"hrId": "E1", "workEmail": "a@example.com", "": 1});
    assert_eq!(parse_roster_line(&line).unwrap_err().field, r#""""#);
}
