//! The `atlassian-emulator` binary: the one-line JSON ready contract that scripts and JS tooling
//! wait for, and flags reaching the seed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// Kills the child even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prints_one_ready_line_then_serves_what_it_says() {
    let child = Command::new(env!("CARGO_BIN_EXE_atlassian-emulator"))
        .args([
            "--port",
            "0",
            "--bulk-users",
            "5",
            "--visibility-delay-ms",
            "250",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("the ready line is JSON");
    assert_eq!(ready["ready"], true);
    for key in [
        "baseUrl",
        "scimUrl",
        "adminBaseUrl",
        "apiBaseUrl",
        "orgId",
        "scimToken",
        "adminApiKey",
    ] {
        assert!(ready[key].is_string(), "{key} missing from {ready}");
    }

    let http = reqwest::Client::new();
    let users: Value = http
        .get(format!("{}/Users", ready["scimUrl"].as_str().unwrap()))
        .bearer_auth(ready["scimToken"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        users["totalResults"],
        6 + 5,
        "demo SCIM users plus --bulk-users"
    );

    let state: Value = http
        .get(format!(
            "{}/__emulator/state",
            ready["baseUrl"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["orgId"], ready["orgId"]);
}

#[test]
fn rejects_unknown_flags_with_exit_status_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_atlassian-emulator"))
        .arg("--colour")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown option --colour"));
}
