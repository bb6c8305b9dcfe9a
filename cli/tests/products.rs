//! `lcm` with product sites: CHECK names what each site serves, a joiner and
//! a leaver print what every product says, a site that refuses the token is
//! `unknown` without failing the run, and the token is never printed; a bad
//! site URL is a configuration error that names the setting and sends nothing.

mod common;

use common::text;

use atlassian_emulator::{Emulator, GroupKind, Seed, SeedGroup, SeedSite};
use common::{env_for, lcm};
use serde_json::{json, Value};

fn write_event(name: &str, v: &Value) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("lcm-products-{}-{name}.json", std::process::id()));
    std::fs::write(&p, v.to_string()).unwrap();
    p
}

/// The demo org with `bitbucket-users`, the site `acme` and the site `beta`,
/// which takes another token than the configured one.
async fn emulator() -> Emulator {
    let mut seed = Seed::demo();
    seed.groups
        .push(SeedGroup::new("bitbucket-users", GroupKind::AdminManaged));
    seed.products.sites.push(SeedSite {
        name: "beta".into(),
        token: Some("beta-only-token".into()),
        ..SeedSite::default()
    });
    Emulator::start(seed).await.unwrap()
}

fn env(emu: &Emulator, sites: &str) -> Vec<(&'static str, String)> {
    let mut env = env_for(emu);
    env.extend([
        ("LCM_PRODUCT_USER", emu.product_user()),
        ("LCM_PRODUCT_TOKEN", emu.product_token()),
        ("LCM_PRODUCT_SITES", sites.to_string()),
        ("LCM_BITBUCKET_WORKSPACE", "acme".into()),
        ("LCM_BITBUCKET_BASE_URL", emu.bitbucket_base_url()),
        ("LCM_VERIFY_PRODUCTS", "true".into()),
    ]);
    env
}

fn event(lifecycle: &str, worker: Value, access: Option<Value>) -> Value {
    let mut e = json!({"schemaVersion": "1", "eventId": format!("cli-{lifecycle}"), "lifecycle": lifecycle,
                       "occurredAt": "2026-01-01T09:00:00Z", "worker": worker});
    if let Some(a) = access {
        e["access"] = a;
    }
    e
}

#[tokio::test(flavor = "multi_thread")]
async fn joiner_active_leaver_offboarded_refused_site_unknown_token_never_printed() {
    let emu = emulator().await;
    let sites = format!(
        "{},{}",
        emu.product_site_url("acme"),
        emu.product_site_url("beta")
    );
    let env = env(&emu, &sites);
    let worker = json!({"hrId": "E4101", "workEmail": "lise.meitner@example.com", "displayName": "Lise Meitner"});
    let joiner = event(
        "joiner",
        worker.clone(),
        Some(json!({"groups": ["jira-software-users", "confluence-users", "bitbucket-users"]})),
    );
    let mut printed = Vec::new();

    let out = lcm()
        .envs(env.clone())
        .arg("run")
        .arg(write_event("joiner", &joiner))
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["verification"].as_array().unwrap();
    let state = |site: &str, product: &str| {
        rows.iter()
            .find(|v| v["site"].as_str().unwrap().ends_with(site) && v["product"] == product)
            .map(|v| v["state"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {product} on {site} in {rows:#?}"))
    };
    assert_eq!(rows.len(), 5, "{rows:#?}");
    for product in ["jira", "confluence"] {
        assert_eq!(state("/site/acme", product), "active");
        assert_eq!(state("/site/beta", product), "unknown");
    }
    assert_eq!(state("/workspaces/acme", "bitbucket"), "active");
    printed.push(text(&out));

    let leaver = event("leaver", worker, None);
    let out = lcm()
        .envs(env.clone())
        .arg("run")
        .arg(write_event("leaver", &leaver))
        .output()
        .unwrap();
    // The leaver is done; beta cannot be asked, so offboarding is a warning, not a failure.
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    for line in [
        "verified: Jira on ",
        "/site/acme: inactive (Jira says the account is not active)",
        "/site/acme: inactive (Confluence knows the account",
        "/workspaces/acme: absent (not a member of the workspace)",
        "/site/beta: unknown (Jira refused the product credentials (HTTP 401))",
        "warning: offboarding not proven: ",
    ] {
        assert!(t.contains(line), "{line:?} not in:\n{t}");
    }
    printed.push(t);

    let out = lcm().envs(env).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("the site serves Jira and Confluence"), "{t}");
    assert!(t.contains("refused the product credentials"), "{t}");
    printed.push(t);

    let token = emu.product_token();
    for p in printed {
        assert!(!p.contains(&token), "the token is printed:\n{p}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_site_url_names_the_setting_and_sends_nothing() {
    let emu = emulator().await;
    for bad in ["acme.atlassian.net", "https://acme.atlassian.net/?x=1"] {
        // Malformed even where custom endpoints are allowed (the emulator's settings allow them).
        let out = lcm().envs(env(&emu, bad)).arg("check").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let t = text(&out);
        assert!(t.contains("LCM_PRODUCT_SITES"), "{t}");
        assert!(!t.contains(&emu.product_token()), "{t}");
    }
    let out = lcm()
        .envs(env(&emu, "https://acme.example.com"))
        .env("LCM_ALLOW_CUSTOM_ENDPOINTS", "false")
        .env("LCM_SCIM_URL", "https://api.atlassian.com/scim/directory/x")
        .env("LCM_ADMIN_BASE_URL", "https://api.atlassian.com/admin")
        .env("LCM_API_BASE_URL", "https://api.atlassian.com")
        .env("LCM_BITBUCKET_BASE_URL", "https://api.bitbucket.org")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("LCM_PRODUCT_SITES") && t.contains("https://<name>.atlassian.net"),
        "{t}"
    );
    assert!(emu.requests().is_empty(), "{:#?}", emu.requests());
}
