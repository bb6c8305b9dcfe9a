//! What the `lcm` tests share: the binary with a clean environment, and the
//! settings that point it at an emulator.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    emu.lcm_env()
}

/// stdout then stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh directory for one test's files: `lcm-{suite}-{pid}-{name}`
/// under the temporary directory.
pub fn scratch(suite: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lcm-{suite}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `lcm` for `emu`, with its ledger in `dir` (one per test, so tests do not
/// order each other's events).
pub fn lcm_in(emu: &Emulator, dir: &Path) -> Command {
    let mut c = lcm();
    c.env("LCM_LEDGER", dir.join("ledger.sqlite3"))
        .envs(env_for(emu));
    c
}
