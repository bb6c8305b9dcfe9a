//! The engine's warm cache (`LCM_CACHE_TTL_SECONDS`): one engine resolves a
//! group once per TTL, across calls; a group Atlassian answers 404 or 403 for
//! is resolved again at once, and the call still does the right thing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use atlassian_emulator::{Emulator, GroupKind, LoggedRequest, Seed, SeedGroup};
use atlassian_lcm::clock::{Clock, SystemClock};
use atlassian_lcm::config::Key;
use atlassian_lcm::native::ReqwestClient;
use atlassian_lcm::testing::{FakeClock, FakeSleep};
use atlassian_lcm::{Config, Lcm, Outcome};
use common::*;
use serde_json::{json, Value};

/// Two admin-managed, two synced and one SCIM-only group; the last one
/// declared, `product-b`, can change kind without changing any group's ids.
fn seed() -> (Seed, Vec<String>) {
    let mut seed = Seed::demo();
    let groups = [
        ("product-a", GroupKind::AdminManaged),
        ("team-a", GroupKind::Synced),
        ("team-b", GroupKind::Synced),
        ("crew-a", GroupKind::ScimOnly),
        ("product-b", GroupKind::AdminManaged),
    ];
    for (name, kind) in groups {
        seed.groups.push(SeedGroup::new(name, kind));
    }
    (seed, groups.iter().map(|(n, _)| n.to_string()).collect())
}

/// A joiner `n` (a new person each time) into `groups`.
fn joiner(n: u32, groups: &[String]) -> Value {
    let worker = json!({"hrId": format!("E9{n:03}"), "workEmail": format!("joiner{n}@example.com"),
                        "givenName": "Jo", "familyName": format!("Iner{n}"), "displayName": format!("Jo Iner{n}")});
    event("joiner", worker, Some(json!({"groups": groups})))
}

/// Group look-ups in the log: Admin group searches and SCIM group filters.
fn group_lookups(log: &[LoggedRequest]) -> usize {
    log.iter()
        .filter(|q| {
            q.path.ends_with("/groups/search") || (q.method == "GET" && q.path.ends_with("/Groups"))
        })
        .count()
}

async fn joined(emu: &Emulator, lcm: &Lcm, n: u32, groups: &[String]) -> Vec<LoggedRequest> {
    emu.clear_requests();
    let r = run(lcm, &joiner(n, groups)).await;
    assert_eq!(r.outcome, Outcome::Succeeded, "{r:#?}");
    assert_eq!(
        groups_of(emu, &format!("joiner{n}@example.com")).len(),
        groups.len(),
        "{r:#?}"
    );
    emu.requests()
}

/// An engine on a fake clock that moves only when told (or when the engine sleeps).
fn engine_with_clock(config: Config) -> (Lcm, Arc<FakeClock>) {
    let clock = FakeClock::at(SystemClock.now_ms());
    let sleep = FakeSleep::new(clock.clone()).holding_from(config.limits().request_timeout());
    let http = Arc::new(ReqwestClient::new().unwrap());
    let lcm = Lcm::new(config, http, Arc::new(sleep), clock.clone());
    (lcm, clock)
}

#[tokio::test]
async fn a_second_joiner_into_the_same_groups_looks_no_group_up() {
    let (seed, groups) = seed();
    let (emu, lcm) = seeded(seed, &[]).await;
    let first = joined(&emu, &lcm, 1, &groups).await;
    // One Admin search for all five, SCIM look-ups for the three SCIM owns.
    assert_eq!(group_lookups(&first), 4);
    // A clone shares the cache, as a warm Lambda's handler does.
    let second = joined(&emu, &lcm.clone(), 2, &groups).await;
    assert_eq!(group_lookups(&second), 0, "{second:#?}");
    eprintln!(
        "joiner, 5 groups: {} API calls cold, {} warm",
        first.len(),
        second.len()
    );
    assert_eq!(first.len() - second.len(), 4);
}

#[tokio::test]
async fn the_ttl_expires_and_zero_disables() {
    let (seed, groups) = seed();
    let emu = Emulator::start(seed).await.expect("emulator starts");
    let (lcm, clock) = engine_with_clock(config(&emu, &[(Key::CacheTtlSeconds, "60")]));
    assert_eq!(group_lookups(&joined(&emu, &lcm, 1, &groups).await), 4);
    clock.advance(Duration::from_secs(59));
    assert_eq!(group_lookups(&joined(&emu, &lcm, 2, &groups).await), 0);
    clock.advance(Duration::from_secs(1));
    assert_eq!(group_lookups(&joined(&emu, &lcm, 3, &groups).await), 4);

    let off = engine(config(&emu, &[(Key::CacheTtlSeconds, "0")]));
    assert_eq!(group_lookups(&joined(&emu, &off, 4, &groups).await), 4);
    assert_eq!(group_lookups(&joined(&emu, &off, 5, &groups).await), 4);
}

/// The writes Atlassian refused as (status, path).
fn refused(log: &[LoggedRequest]) -> Vec<(u16, String)> {
    log.iter()
        .filter(|q| q.is_write() && q.status >= 400)
        .map(|q| (q.status, q.path.clone()))
        .collect()
}

#[tokio::test]
async fn a_group_recreated_with_new_ids_is_resolved_again() {
    let (seed, groups) = seed();
    let emu = Emulator::start(seed.clone())
        .await
        .expect("emulator starts");
    let lcm = engine(config(&emu, &[]));
    joined(&emu, &lcm, 1, &groups).await;

    // Every group recreated between the calls, with new ids. The emulator
    // draws ids in declaration order, so groups declared before ours take
    // our old ids: Admin-only ones synced elsewhere, whose memberships
    // Admin refuses (403) and SCIM does not know (404). Atlassian never
    // reuses an id; this only makes sure no stale id reaches a group that
    // would accept the write.
    let mut changed = seed;
    let first = changed.groups.len() - groups.len();
    for i in 0..8 {
        let stand_in = SeedGroup::new(format!("elsewhere-{i}"), GroupKind::AdminOnlySynced);
        changed.groups.insert(first, stand_in);
    }
    emu.reset(changed).expect("reset");

    let log = joined(&emu, &lcm, 2, &groups).await;
    // Each stale id drew one refusal, and each group was read again and granted.
    let refusals = refused(&log);
    assert_eq!(refusals.len(), 5, "{refusals:?}");
    let admin_refusals = refusals
        .iter()
        .filter(|(s, p)| *s == 403 && p.contains("/memberships"))
        .count();
    let scim_refusals = refusals
        .iter()
        .filter(|(s, p)| *s == 404 && p.contains("/Groups/"))
        .count();
    assert_eq!((admin_refusals, scim_refusals), (2, 3), "{refusals:?}");
    assert_eq!(
        group_lookups(&log),
        5 * 2 - 2,
        "an Admin search per group, SCIM look-ups for three"
    );
    // What was read again is cached again: a third joiner looks nothing up.
    let third = joined(&emu, &lcm, 3, &groups).await;
    assert_eq!((group_lookups(&third), refused(&third).len()), (0, 0));
}

#[tokio::test]
async fn a_group_moved_to_the_identity_provider_is_granted_through_scim() {
    let (seed, groups) = seed();
    let emu = Emulator::start(seed.clone())
        .await
        .expect("emulator starts");
    let lcm = engine(config(&emu, &[]));
    joined(&emu, &lcm, 1, &groups).await;

    // `product-b` is synced from the identity provider now: Admin keeps its
    // id but refuses its memberships (403).
    let mut changed = seed;
    for g in &mut changed.groups {
        if g.name == "product-b" {
            g.kind = GroupKind::Synced;
        }
    }
    emu.reset(changed).expect("reset");

    let log = joined(&emu, &lcm, 2, &groups).await;
    let refusals = refused(&log);
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].0, 403, "{refusals:?}");
    assert!(refusals[0].1.contains("/memberships"), "{refusals:?}");
    // Read again (an Admin search, then SCIM, which owns it now) and granted there.
    assert_eq!(group_lookups(&log), 2);
    let through_scim = log
        .iter()
        .filter(|q| q.method == "PATCH" && q.path.contains("/Groups/") && q.status == 200)
        .count();
    assert_eq!(
        through_scim, 4,
        "team-a, team-b, crew-a and now product-b: {log:#?}"
    );
}
