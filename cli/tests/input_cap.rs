//! `lcm run` refuses an input over 1 MiB: the file (or stdin) is named with the
//! cap, the exit status is 2, Atlassian hears nothing, and the reader is
//! bounded (an endless stdin is refused, not read to the end).

use std::io::Write;
mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use atlassian_emulator::{Emulator, Seed};
use common::{env_for, lcm};
use serde_json::{json, Value};

const CAP: usize = 1024 * 1024;

fn lcm_for(emu: &Emulator) -> std::process::Command {
    let mut c = lcm();
    c.envs(env_for(emu));
    c
}

/// A valid joiner padded with trailing white space to exactly `len` bytes.
fn joiner_of_size(len: usize) -> Vec<u8> {
    let ev: Value = json!({"schemaVersion": "1", "eventId": "cap-1", "lifecycle": "joiner",
        "worker": {"hrId": "E4101", "workEmail": "lise.meitner@example.com", "displayName": "Lise Meitner"},
        "access": {"groups": ["confluence-users"]}});
    let mut bytes = ev.to_string().into_bytes();
    assert!(bytes.len() <= len);
    bytes.resize(len, b' ');
    bytes
}

fn file_with(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("lcm-cap-{}-{name}.json", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_over_the_cap_is_refused_by_name_without_a_call() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let path = file_with("over", &joiner_of_size(CAP + 1));
    let out = lcm_for(&emu).arg("run").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(path.to_str().unwrap()), "{stderr}");
    assert!(stderr.contains("1 MiB"), "{stderr}");
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_at_the_cap_runs() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let path = file_with("at", &joiner_of_size(CAP));
    let out = lcm_for(&emu).arg("run").arg(&path).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(emu.state().user("lise.meitner@example.com").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_stdin_is_refused_without_reading_it_all() {
    let emu = Emulator::start(Seed::demo()).await.unwrap();
    let mut child = lcm_for(&emu)
        .args(["run", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep writing until lcm stops reading (a broken pipe), or give up: a
    // read-all-then-check would keep reading as long as we write.
    let mut stdin = child.stdin.take().unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let started = Instant::now();
    let mut written = 0usize;
    while stdin.write_all(&chunk).is_ok() {
        written += chunk.len();
        assert!(
            started.elapsed() < Duration::from_secs(60) && written < 256 * CAP,
            "lcm kept reading stdin: {written} bytes"
        );
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stdin") && stderr.contains("1 MiB"),
        "{stderr}"
    );
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}
