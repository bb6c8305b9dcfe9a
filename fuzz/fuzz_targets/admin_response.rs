//! Organizations (Admin) API response bodies: user and group search pages
//! (`data` plus the `links.next` cursor), directory pages, single users and
//! groups, and the error messages of the Admin and user-management APIs.
//! Beyond "no panic": a page never holds more items than the body could
//! spell, and an error message is bounded whatever the body.
#![no_main]

use atlassian_lcm::admin::directories::Directory;
use atlassian_lcm::admin::groups::AdminGroup;
use atlassian_lcm::admin::users::AdminUser;
use atlassian_lcm::admin::Page;
use atlassian_lcm::report::System;
use atlassian_lcm::transport::expect_json;
use atlassian_lcm_fuzz::{check_errors, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let ok = response(200, body);
    if let Ok(page) = expect_json::<Page<AdminUser>>(&ok, System::Admin) {
        assert!(page.data.len() <= body.len());
        let _ = page.links.and_then(|l| l.next);
    }
    if let Ok(page) = expect_json::<Page<AdminGroup>>(&ok, System::Admin) {
        assert!(page.data.len() <= body.len());
        for group in &page.data {
            let _ = group.is_externally_synced();
        }
    }
    if let Ok(page) = expect_json::<Page<Directory>>(&ok, System::Admin) {
        assert!(page.data.len() <= body.len());
    }
    let _ = expect_json::<AdminUser>(&ok, System::Admin);
    let _ = expect_json::<AdminGroup>(&ok, System::Admin);
    check_errors(System::Admin, body);
    check_errors(System::UserManagement, body);
});
