//! The organisation every benchmark runs against: the demo org plus groups of every kind, an engine
//! configured for an emulator, and event builders.

use atlassian_emulator::{Emulator, GroupKind, Seed, SeedGroup};
use atlassian_lcm::{Config, Lcm, RawConfig};
use serde_json::{json, Value};

/// Group names by kind: 4 admin-managed, 3 synced, 3 SCIM-only make the ten a person joins, and
/// one spare of each kind lets a mover swap some of them.
const GROUPS: [(&str, GroupKind); 13] = [
    ("product-01", GroupKind::AdminManaged),
    ("product-02", GroupKind::AdminManaged),
    ("product-03", GroupKind::AdminManaged),
    ("product-04", GroupKind::AdminManaged),
    ("team-01", GroupKind::Synced),
    ("team-02", GroupKind::Synced),
    ("team-03", GroupKind::Synced),
    ("scim-01", GroupKind::ScimOnly),
    ("scim-02", GroupKind::ScimOnly),
    ("scim-03", GroupKind::ScimOnly),
    ("product-05", GroupKind::AdminManaged),
    ("team-04", GroupKind::Synced),
    ("scim-04", GroupKind::ScimOnly),
];

/// The demo org with the benchmark's groups.
pub fn seed() -> Seed {
    let mut seed = Seed::demo();
    seed.groups.extend(
        GROUPS
            .iter()
            .map(|(name, kind)| SeedGroup::new(*name, *kind)),
    );
    seed
}

/// The ten groups a joiner gets: every kind.
pub fn ten_groups() -> Vec<&'static str> {
    GROUPS[..10].iter().map(|(name, _)| *name).collect()
}

/// The ten groups after a move: one of each kind dropped, one of each kind added.
pub fn moved_groups() -> Vec<&'static str> {
    let mut groups = ten_groups();
    groups.retain(|g| !matches!(*g, "product-04" | "team-03" | "scim-03"));
    groups.extend(["product-05", "team-04", "scim-04"]);
    groups
}

/// Raw settings pointing at `emu`.
pub fn raw_config(emu: &Emulator) -> RawConfig {
    let env = emu.lcm_env();
    RawConfig::from_vars(env.iter().map(|(k, v)| (*k, v.as_str())))
}

/// An engine for `emu` with the production defaults (retry policy, concurrency, reqwest).
pub fn engine(emu: &Emulator) -> Lcm {
    let config = Config::from_raw(&raw_config(emu)).expect("the bench config is valid");
    Lcm::native(config).expect("the native HTTP client builds")
}

/// Worker `i` of a generated population.
pub fn worker(i: usize) -> Value {
    json!({
        "hrId": format!("B{i:05}"),
        "workEmail": format!("bench.user{i:05}@example.com"),
        "givenName": "Bench",
        "familyName": format!("User{i:05}"),
        "displayName": format!("Bench User{i:05}"),
        "title": "Engineer",
        "department": "Platform",
    })
}

/// A lifecycle event for `worker`, at `minute` past 09:00 so that successive events are ordered.
pub fn event(
    id: &str,
    lifecycle: &str,
    minute: u32,
    worker: Value,
    groups: Option<&[&str]>,
) -> Value {
    let mut e = json!({
        "schemaVersion": "1",
        "eventId": id,
        "lifecycle": lifecycle,
        "occurredAt": format!("2026-11-30T{:02}:{:02}:00Z", 9 + minute / 60, minute % 60),
        "worker": worker,
    });
    if let Some(groups) = groups {
        let mode = if lifecycle == "joiner" {
            "add"
        } else {
            "replace"
        };
        e["access"] = json!({"groups": groups, "mode": mode});
    }
    e
}

/// The leaver event for `worker` (identity fields only).
pub fn leaver(id: &str, minute: u32, worker: &Value) -> Value {
    let who = json!({"hrId": worker["hrId"], "workEmail": worker["workEmail"]});
    event(id, "leaver", minute, who, None)
}
