//! Configuration from an environment: each input line is `NAME=VALUE`, and a
//! name of the form `#N` stands for the N-th known setting (`LCM_*`), so the
//! fuzzer reaches every setting without guessing its spelling; other names
//! are kept as they are. Every credential is planted with
//! [`SECRET_MARKER`] in front, and neither the configuration's Debug output
//! nor an error may show it.
#![no_main]

use atlassian_lcm::config::Key;
use atlassian_lcm::{Config, RawConfig};
use atlassian_lcm_fuzz::{assert_no_secret, SECRET_MARKER};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vars: Vec<(String, String)> = text.lines().filter_map(variable).collect();
    // A non-credential value that carries the marker itself may be quoted.
    let checkable = !vars
        .iter()
        .any(|(name, value)| !is_secret(name) && value.contains(SECRET_MARKER));
    let raw = RawConfig::from_vars(vars.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let from_env = RawConfig::from_env(|name| {
        // The last of repeated names wins, as in `from_vars`.
        vars.iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    });
    let result = Config::from_raw(&raw);
    assert_eq!(
        format!("{:?}", Config::from_raw(&from_env)),
        format!("{result:?}"),
        "from_vars and from_env disagree"
    );
    if checkable {
        assert_no_secret("RawConfig", &format!("{raw:?}"));
        match &result {
            Ok(config) => assert_no_secret("Config", &format!("{config:?}")),
            Err(e) => {
                assert_no_secret("ConfigError", &e.to_string());
                assert_no_secret("ConfigError (Debug)", &format!("{e:?}"));
            }
        }
    }
    if let Ok(config) = result {
        let retry = config.limits().retry();
        assert!(retry.max_attempts >= 1, "{retry:?}");
    }
});

/// One `NAME=VALUE` line, the name resolved and a credential marked.
fn variable(line: &str) -> Option<(String, String)> {
    let (name, value) = line.split_once('=')?;
    let name = match name.strip_prefix('#').and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => Key::ALL[n % Key::ALL.len()].env().to_string(),
        None => name.to_string(),
    };
    let value = if is_secret(&name) && !value.is_empty() {
        format!("{SECRET_MARKER}{value}")
    } else {
        value.to_string()
    };
    Some((name, value))
}

fn is_secret(env_name: &str) -> bool {
    Key::ALL
        .iter()
        .any(|k| k.env() == env_name && k.is_secret())
}
