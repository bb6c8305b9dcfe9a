//! SCIM response bodies, each read the way the client reads it: a user, a
//! group, a `ListResponse` page of either (and of raw values, as the probe
//! reads it), a write's returned user, and every error status's message.
//! Beyond "no panic": what parses as a success parses the same through
//! `expect_json`, a page never holds more items than the body could spell,
//! and an error message is bounded whatever the body.
#![no_main]

use atlassian_lcm::report::System;
use atlassian_lcm::scim::groups::ScimGroup;
use atlassian_lcm::scim::users::{user_from, ScimUser};
use atlassian_lcm::scim::ListResponse;
use atlassian_lcm::transport::expect_json;
use atlassian_lcm_fuzz::{check_errors, response};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|body: &[u8]| {
    let ok = response(200, body);
    let user = expect_json::<ScimUser>(&ok, System::Scim);
    assert_eq!(user_from(&ok).as_ref(), user.as_ref().ok());
    if let Ok(user) = &user {
        let _ = (user.account_id(), user.is_active());
    }
    let _ = expect_json::<ScimGroup>(&ok, System::Scim);
    if let Ok(page) = expect_json::<ListResponse<ScimUser>>(&ok, System::Scim) {
        assert!(page.resources.len() <= body.len());
    }
    if let Ok(page) = expect_json::<ListResponse<ScimGroup>>(&ok, System::Scim) {
        assert!(page.resources.len() <= body.len());
    }
    let _ = expect_json::<ListResponse<Value>>(&ok, System::Scim);
    check_errors(System::Scim, body);
});
