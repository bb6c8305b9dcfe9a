//! Configuration from a JSON document (a config file, a Secrets Manager
//! secret, the JavaScript object): `RawConfig::from_json` then
//! `Config::from_raw`, under each source's spelling. The first byte picks the
//! source. Credentials given as strings are planted with [`SECRET_MARKER`] in
//! front; no Debug output or error may show one.
#![no_main]

use atlassian_lcm::config::{Key, Source};
use atlassian_lcm::{Config, RawConfig};
use atlassian_lcm_fuzz::{assert_no_secret, SECRET_MARKER};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const SOURCES: [Source; 4] = [
    Source::ConfigFile,
    Source::Secret,
    Source::JavaScript,
    Source::Host,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let source = SOURCES[pick as usize % SOURCES.len()];
    let checkable = plant_secrets(&mut value);
    let result = RawConfig::from_json(&value, source).and_then(|raw| {
        if checkable {
            assert_no_secret("RawConfig", &format!("{raw:?}"));
        }
        Config::from_raw(&raw)
    });
    if !value.is_object() {
        assert!(result.is_err(), "a non-object was accepted");
    }
    if checkable {
        match &result {
            Ok(config) => assert_no_secret("Config", &format!("{config:?}")),
            Err(e) => {
                assert_no_secret("ConfigError", &e.to_string());
                assert_no_secret("ConfigError (Debug)", &format!("{e:?}"));
            }
        }
    }
});

/// Marks every credential given as a string; false when the marker also
/// appears elsewhere in the document (then a message may quote it fairly).
fn plant_secrets(value: &mut Value) -> bool {
    let Some(obj) = value.as_object_mut() else {
        return !value.to_string().contains(SECRET_MARKER);
    };
    let mut clean = true;
    for (name, v) in obj.iter_mut() {
        let secret = Key::lookup(name).is_some_and(Key::is_secret);
        match v {
            Value::String(s) if secret && !s.is_empty() => *s = format!("{SECRET_MARKER}{s}"),
            other => {
                clean &=
                    !(other.to_string().contains(SECRET_MARKER) || name.contains(SECRET_MARKER))
            }
        }
    }
    clean
}
