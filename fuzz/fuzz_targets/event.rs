//! Lifecycle events, worker-state events and direct action calls, as every
//! host receives them:
//! `parse_request_str` on the raw text. Beyond "no panic": a request read
//! back from its own re-serialized JSON is the same request, the timestamp
//! and lifecycle it carries print and re-parse to themselves, and a refusal
//! names a field.
#![no_main]

use atlassian_lcm::event::{Lifecycle, Timestamp};
use atlassian_lcm::parse_request_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_timestamp(text);
    match parse_request_str(text) {
        Ok(request) => {
            let value: serde_json::Value = serde_json::from_str(text).expect("it parsed once");
            let again = serde_json::to_string(&value).expect("a Value serializes");
            assert_eq!(
                parse_request_str(&again).as_ref(),
                Ok(&request),
                "re-serialized JSON reads differently"
            );
            if let Some(at) = request.occurred_at {
                assert_eq!(Timestamp::parse(&at.format()), Ok(at));
            }
            if let Some(lifecycle) = request.lifecycle {
                assert_eq!(Lifecycle::parse(lifecycle.as_str()), Some(lifecycle));
            }
            // A worker state derives its calls when it runs; it is always
            // identified and ordered (eventId and occurredAt are required).
            match &request.state {
                Some(state) => {
                    assert!(request.calls.is_empty() && request.lifecycle.is_none());
                    assert_eq!(request.occurred_at, state.occurred_at);
                    assert!(request.occurred_at.is_some() && request.event_id.is_some());
                    assert!(request.worker_key().is_some(), "a state names its worker");
                }
                None => assert!(!request.calls.is_empty(), "a request with nothing to do"),
            }
            for call in &request.calls {
                assert!(!call.kind().as_str().is_empty());
            }
            let _ = request.worker_key();
        }
        Err(e) => {
            assert!(!e.field.is_empty() && !e.message.is_empty(), "{e:?}");
            let _ = e.to_string();
        }
    }
});

/// `occurredAt` alone: whatever parses prints back to the same instant.
fn check_timestamp(text: &str) {
    if let Ok(at) = Timestamp::parse(text) {
        assert_eq!(Timestamp::parse(&at.format()), Ok(at), "{text:?}");
        assert_eq!(Timestamp::from_millis(at.millis()), at);
    }
}
