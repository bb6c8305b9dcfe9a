//! What the `lcm` tests share: the binary with a clean environment, and the
//! settings that point it at an emulator.
#![allow(dead_code)]

use std::process::Command;

use atlassian_emulator::Emulator;

/// `lcm` with no inherited environment and no colour.
pub fn lcm() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lcm"));
    // A ledger of this test binary's own (the environment is cleared, so
    // there is no HOME to put the default one under).
    let ledger = std::env::temp_dir().join(format!("lcm-cli-{}.sqlite3", std::process::id()));
    c.env_clear().env("NO_COLOR", "1").env("LCM_LEDGER", ledger);
    c
}

/// The `LCM_*` settings for `emu`.
pub fn env_for(emu: &Emulator) -> Vec<(&'static str, String)> {
    vec![
        ("LCM_SCIM_URL", emu.scim_url()),
        ("LCM_SCIM_TOKEN", emu.scim_token()),
        ("LCM_ADMIN_API_KEY", emu.admin_api_key()),
        ("LCM_SCIM_ORGANIZATION_ID", emu.org_id()),
        ("LCM_ADMIN_BASE_URL", emu.admin_base_url()),
        ("LCM_API_BASE_URL", emu.api_base_url()),
        ("LCM_ALLOW_CUSTOM_ENDPOINTS", "true".into()),
    ]
}
