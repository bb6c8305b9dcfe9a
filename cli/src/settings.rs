//! Where `lcm` gets its configuration: an optional JSON config file
//! (`--config FILE`, snake_case keys), then the `LCM_*` environment, which
//! wins. Validation is the core's, so the CLI says exactly what the Lambda and
//! the JavaScript package would say about the same settings, in the spelling
//! of wherever each value came from.

use std::path::Path;

use atlassian_lcm::config::{Source, Spelling};
use atlassian_lcm::{Config, ConfigError, RawConfig};

/// Reads and validates the configuration.
pub fn load(config_file: Option<&Path>) -> Result<Config, String> {
    let mut raw = RawConfig::default();
    if let Some(path) = config_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("the config file {} is not valid JSON: {e}", path.display()))?;
        raw = RawConfig::from_json(&value, Source::ConfigFile).map_err(|e| render(&e))?;
    }
    let raw = raw.merge(RawConfig::from_env(|k| std::env::var(k).ok()));
    Config::from_raw(&raw).map_err(|e| render(&e))
}

fn render(e: &ConfigError) -> String {
    let mut msg = String::from("invalid configuration:");
    for m in e.messages(Spelling::Env) {
        msg.push_str(&format!("\n  - {m}"));
    }
    msg.push_str(
        "\nSet the LCM_* environment variables (see README: Configuration) or pass --config FILE.",
    );
    msg
}
