//! The TypeScript types (`wasm/js/index.d.ts`) against the engine: every string
//! union equals the set of names serde accepts for the matching Rust enum (read
//! from serde's own "expected one of" message, so a new variant in the core
//! fails this test until the .d.ts lists it), and every field list equals the
//! fields the engine writes (reports) or accepts (events, direct calls).

use std::collections::{BTreeMap, BTreeSet};

use atlassian_lcm::config::Key;
use atlassian_lcm::event::Lifecycle;
use atlassian_lcm::report::{
    AuditEvent, ErrorCode, Identity, NewerFact, Outcome, PlannedRequest, ReportError, Step,
    StepStatus, System,
};
use atlassian_lcm::worker_state::DerivedAction;
use atlassian_lcm::{parse_request, ActionKind, Report};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

const DTS: &str = include_str!("../js/index.d.ts");

/// `export type Name = "a" | "b";` → the quoted strings.
fn union(name: &str) -> BTreeSet<String> {
    let start = DTS
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("index.d.ts has no `export type {name}`"));
    let body = &DTS[start..];
    let body = &body[..body.find(';').expect("union ends with ;")];
    quoted(body)
}

fn quoted(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `export interface Name [extends A, B] { key?: T; ... }` → key → optional,
/// inherited keys included.
fn interface(name: &str) -> BTreeMap<String, bool> {
    let header = format!("export interface {name} ");
    let start = DTS
        .find(&header)
        .unwrap_or_else(|| panic!("index.d.ts has no `export interface {name}`"));
    let rest = &DTS[start + header.len()..];
    let open = rest.find('{').unwrap();
    let mut fields = BTreeMap::new();
    if let Some(parents) = rest[..open].trim().strip_prefix("extends ") {
        for parent in parents.split(',') {
            fields.extend(interface(parent.trim()));
        }
    }
    let body = &rest[open + 1..];
    let mut depth = 0usize;
    let mut end = 0;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                end = i;
                break;
            }
            '}' => depth -= 1,
            _ => {}
        }
    }
    for line in body[..end].lines() {
        let line = line.trim();
        if line.starts_with("/**") || line.starts_with('*') || line.starts_with("//") {
            continue;
        }
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '?') {
            continue;
        }
        match key.strip_suffix('?') {
            Some(k) => fields.insert(k.to_string(), true),
            None => fields.insert(key.to_string(), false),
        };
    }
    fields
}

fn keys(fields: &BTreeMap<String, bool>) -> BTreeSet<String> {
    fields.keys().cloned().collect()
}

/// The names serde accepts for `T`, from its "expected one of" message.
fn serde_names<T: DeserializeOwned + std::fmt::Debug>() -> BTreeSet<String> {
    let err = serde_json::from_value::<T>(json!("__not_a_variant__")).unwrap_err();
    let text = err.to_string();
    let expected = text
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected serde message: {text}"));
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Fails with what to change in the .d.ts when a union and the engine differ.
fn same_names(name: &str, engine: BTreeSet<String>) {
    let dts = union(name);
    let missing: Vec<_> = engine.difference(&dts).collect();
    let extra: Vec<_> = dts.difference(&engine).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "wasm/js/index.d.ts `export type {name}` differs from the engine's serialization: \
         add {missing:?}, remove {extra:?}"
    );
}

#[test]
fn enum_unions_match_the_engine() {
    same_names("ActionKind", serde_names::<ActionKind>());
    same_names("Outcome", serde_names::<Outcome>());
    same_names("System", serde_names::<System>());
    same_names("Product", serde_names::<atlassian_lcm::products::Product>());
    same_names(
        "ProductAccess",
        serde_names::<atlassian_lcm::products::Access>(),
    );
    same_names("StepStatus", serde_names::<StepStatus>());
    same_names("ErrorCode", serde_names::<ErrorCode>());
    same_names("DerivedAction", serde_names::<DerivedAction>());
    // Thrown codes are engine codes, plus `internal` (a bug in this package).
    let thrown = union("ThrownErrorCode");
    let engine = serde_names::<ErrorCode>();
    assert!(thrown.iter().all(|c| c == "internal" || engine.contains(c)));
}

#[test]
fn config_keys_match_the_engine() {
    let camel: BTreeSet<String> = Key::ALL.iter().map(|k| k.camel().to_string()).collect();
    assert_eq!(union("ConfigKey"), camel);
    assert_eq!(keys(&interface("Config")), camel);
    let config = interface("Config");
    for required in ["scimUrl", "scimToken", "adminApiKey", "scimOrganizationId"] {
        assert_eq!(config.get(required), Some(&false), "{required} is required");
    }
}

/// The fields the engine accepts at `path` (an object holding an unknown
/// field), from its "expected one of" message.
fn accepted_fields(mut input: Value, pointer: &str) -> BTreeSet<String> {
    input
        .pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no object at {pointer}"))
        .insert("__unknown__".into(), json!(1));
    let err = parse_request(&input).unwrap_err();
    let expected = err
        .message
        .split("expected one of ")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected message: {err}"));
    quoted(&expected.replace('`', "\""))
}

#[test]
fn input_fields_match_the_engine() {
    let event = json!({
        "schemaVersion": "1", "eventId": "e1", "lifecycle": "mover",
        "worker": {"hrId": "E1", "workEmail": "a@example.com"},
        "access": {"groups": ["g"]}, "options": {}
    });
    let mut envelope = keys(&interface("EventEnvelope"));
    envelope.extend(["lifecycle", "worker", "access", "options"].map(String::from));
    assert_eq!(accepted_fields(event.clone(), ""), envelope);
    assert_eq!(
        accepted_fields(event.clone(), "/worker"),
        keys(&interface("WorkerAttributes"))
    );
    let mut access = keys(&interface("AddOrRemoveAccess"));
    access.extend(keys(&interface("ReplaceAccess")));
    assert_eq!(accepted_fields(event.clone(), "/access"), access);

    // A worker state: the roster line's fields and its id.
    let state = json!({"eventId": "e1", "occurredAt": "2026-11-30T09:00:00Z",
                       "hrId": "E1", "workEmail": "a@example.com"});
    assert_eq!(
        accepted_fields(state, ""),
        keys(&interface("WorkerStateEvent"))
    );

    // Direct calls: the union of every call's fields.
    let direct = json!({"action": "CHECK", "options": {}});
    let mut calls = BTreeSet::new();
    for name in [
        "SyncIdentitiesCall",
        "ManageRelationshipsCall",
        "DeprovisionIdentityCall",
        "DeleteIdentityCall",
        "CheckCall",
    ] {
        calls.extend(keys(&interface(name)));
    }
    assert_eq!(accepted_fields(direct.clone(), ""), calls);

    // Options: the wire takes one set; the engine narrows it per action and
    // lifecycle (`capabilities`), and so must the .d.ts, interface by interface.
    let mut options = BTreeSet::new();
    for name in [
        "SyncEventOptions",
        "PurgeEventOptions",
        "SyncOptions",
        "PlanOptions",
        "RemovalOptions",
    ] {
        options.extend(keys(&interface(name)));
    }
    assert_eq!(accepted_fields(direct, "/options"), options);
    let listed = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    for (action, ts) in [
        (ActionKind::SyncIdentities, Some("SyncOptions")),
        (ActionKind::ManageRelationships, Some("PlanOptions")),
        (ActionKind::DeprovisionIdentity, Some("PlanOptions")),
        (ActionKind::DeleteIdentity, Some("RemovalOptions")),
        (ActionKind::Check, None),
    ] {
        let declared = ts.map(|t| keys(&interface(t))).unwrap_or_default();
        assert_eq!(
            declared,
            listed(action.options()),
            "{} options",
            action.as_str()
        );
    }
    for (lifecycle, ts) in [
        (Lifecycle::Joiner, "SyncEventOptions"),
        (Lifecycle::Mover, "SyncEventOptions"),
        (Lifecycle::Rehire, "SyncEventOptions"),
        (Lifecycle::Leaver, "PlanOptions"),
        (Lifecycle::Purge, "PurgeEventOptions"),
    ] {
        assert_eq!(
            keys(&interface(ts)),
            listed(lifecycle.options()),
            "{} options",
            lifecycle.as_str()
        );
    }
}

/// Object keys of `value`, with whether each may be left out when `None`.
fn object_keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// A report with every field the engine can fill, filled.
fn full_report() -> Report {
    let error = ReportError {
        code: ErrorCode::Forbidden,
        message: "m".into(),
    };
    Report {
        actions: vec![ActionKind::SyncIdentities],
        derived: Some(DerivedAction::Update),
        lifecycle: Some("joiner".into()),
        event_id: Some("e".into()),
        identity: Identity {
            hr_id: Some("E1".into()),
            email: Some("a@example.com".into()),
            scim_user_id: Some("s".into()),
            account_id: Some("a".into()),
        },
        outcome: Outcome::Partial,
        dry_run: true,
        error: Some(error.clone()),
        stale_after: Some(NewerFact {
            event_id: "e0".into(),
            occurred_at: "2026-01-01T00:00:00.000Z".into(),
            lifecycle: "leaver".into(),
        }),
        steps: vec![Step {
            target: "t".into(),
            operation: "o".into(),
            status: StepStatus::Failed,
            detail: "d".into(),
            system: Some(System::Scim),
            http_status: Some(403),
            attempts: 1,
            error: Some(error.clone()),
        }],
        audit: vec![AuditEvent {
            at: "2026-01-01T00:00:00Z".into(),
            action: "user.created".into(),
            target: "t".into(),
            before: Some(json!({})),
            after: Some(json!({})),
            planned: true,
        }],
        plan: vec![PlannedRequest {
            method: "POST".into(),
            url: "u".into(),
            body: Some(json!({})),
        }],
        warnings: vec!["w".into()],
        verification: vec![atlassian_lcm::products::Verification {
            site: "https://acme.atlassian.net".into(),
            product: atlassian_lcm::products::Product::Jira,
            state: atlassian_lcm::products::Access::Unknown,
            detail: "d".into(),
        }],
        api_calls: 1,
        retries: 0,
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 1,
    }
}

#[test]
fn report_fields_match_the_engine() {
    let full = full_report();
    let v = serde_json::to_value(&full).unwrap();
    assert_eq!(object_keys(&v), keys(&interface("Report")));
    assert_eq!(object_keys(&v["identity"]), keys(&interface("Identity")));
    assert_eq!(object_keys(&v["error"]), keys(&interface("ReportError")));
    assert_eq!(object_keys(&v["staleAfter"]), keys(&interface("NewerFact")));
    assert_eq!(object_keys(&v["steps"][0]), keys(&interface("Step")));
    assert_eq!(object_keys(&v["audit"][0]), keys(&interface("AuditEvent")));
    assert_eq!(
        object_keys(&v["plan"][0]),
        keys(&interface("PlannedRequest"))
    );
    assert_eq!(
        object_keys(&v["verification"][0]),
        keys(&interface("Verification"))
    );

    // What the engine may leave out is exactly what the .d.ts marks optional.
    let empty = Report {
        derived: None,
        lifecycle: None,
        event_id: None,
        identity: Identity::default(),
        error: None,
        stale_after: None,
        steps: vec![Step {
            system: None,
            http_status: None,
            error: None,
            ..full.steps[0].clone()
        }],
        audit: vec![AuditEvent {
            before: None,
            after: None,
            planned: false,
            ..full.audit[0].clone()
        }],
        plan: vec![],
        warnings: vec![],
        verification: vec![],
        ..full.clone()
    };
    let e = serde_json::to_value(&empty).unwrap();
    let required = |name: &str| -> BTreeSet<String> {
        interface(name)
            .into_iter()
            .filter(|(_, optional)| !optional)
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(object_keys(&e), required("Report"));
    assert_eq!(object_keys(&e["identity"]), required("Identity"));
    assert_eq!(object_keys(&e["steps"][0]), required("Step"));
    assert_eq!(object_keys(&e["audit"][0]), required("AuditEvent"));
}

#[test]
fn ledger_entry_fields_match_the_engine() {
    use atlassian_lcm::ledger::{AppliedFact, LedgerEntry};
    let entry = LedgerEntry {
        fact: Some(AppliedFact {
            occurred_at_ms: 1,
            event_id: "e".into(),
            lifecycle: "leaver".into(),
        }),
        lease_owner: Some("o".into()),
        lease_expires_at_ms: Some(2),
    };
    let v = serde_json::to_value(&entry).unwrap();
    assert_eq!(object_keys(&v), keys(&interface("LedgerEntry")));
    assert_eq!(object_keys(&v["fact"]), keys(&interface("LedgerFact")));
    let empty = serde_json::to_value(LedgerEntry::default()).unwrap();
    assert!(
        object_keys(&empty).is_empty(),
        "every LedgerEntry field is optional"
    );
    assert!(interface("LedgerEntry").values().all(|optional| *optional));
    // The three functions wasm/src/ledger.rs calls.
    for method in [
        "get(key: string)",
        "compareAndSet(key: string",
        "release(key: string",
    ] {
        assert!(DTS.contains(&format!("  {method}")), "Ledger.{method}");
    }
}

#[test]
fn capabilities_match_the_types() {
    let config = atlassian_lcm::Config::from_raw(
        &atlassian_lcm::RawConfig::from_json(
            &json!({
                "scimUrl": "https://api.atlassian.com/scim/directory/d1",
                "scimToken": "t", "adminApiKey": "k", "scimOrganizationId": "o"
            }),
            atlassian_lcm::config::Source::JavaScript,
        )
        .unwrap(),
    )
    .unwrap();
    let v = serde_json::to_value(crate::capabilities::describe(&config)).unwrap();
    assert_eq!(object_keys(&v), keys(&interface("Capabilities")));
    let methods = quoted(
        DTS.split("method: \"")
            .nth(1)
            .map(|s| format!("\"{s}"))
            .as_deref()
            .and_then(|s| s.split(';').next())
            .unwrap(),
    );
    for action in v["actions"].as_array().unwrap() {
        let k = object_keys(action);
        assert!(k.is_subset(&keys(&interface("ActionCapability"))), "{k:?}");
        assert!(methods.contains(action["method"].as_str().unwrap()));
        // Every method named exists on the class.
        let method = action["method"].as_str().unwrap();
        assert!(DTS.contains(&format!("  {method}(")), "{method}");
    }
    for l in v["lifecycles"].as_array().unwrap() {
        assert_eq!(object_keys(l), keys(&interface("LifecycleCapability")));
    }
    for s in v["settings"].as_array().unwrap() {
        assert_eq!(object_keys(s), keys(&interface("SettingCapability")));
    }
}
