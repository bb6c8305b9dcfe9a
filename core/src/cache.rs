//! What one engine remembers between calls: group resolutions (name → ids
//! and owning system), the first page of the organization's Admin groups
//! (id → owning system, what a leaver needs) and the organization's Admin
//! directories. All change
//! rarely and cost a round trip to read, so a warm Lambda, one wasm instance
//! or one CLI batch reads them once per `LCM_CACHE_TTL_SECONDS`. A group
//! Atlassian answers 404 or 403 for is dropped at once, so a stale id costs
//! one refused request, never a wrong write. Time comes from the injected
//! [`Clock`](crate::clock::Clock) (wasm has no `Instant`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::actions::groups::ResolvedGroup;
use crate::admin::directories::Directory;
use crate::admin::groups::AdminGroup;

/// A value and when it was read (epoch ms).
#[derive(Debug, Clone)]
struct Stamped<T> {
    value: T,
    at_ms: u64,
}

/// The engine's warm cache; shared (behind an `Arc`) by every clone of one
/// [`Lcm`](crate::Lcm). Failures are never kept: a group missing now may be
/// created in a minute.
#[derive(Debug)]
pub(crate) struct Cache {
    ttl_ms: u64,
    groups: Mutex<HashMap<String, Stamped<ResolvedGroup>>>,
    admin_groups: Mutex<Option<Stamped<Vec<AdminGroup>>>>,
    directories: Mutex<Option<Stamped<Vec<Directory>>>>,
}

impl Cache {
    /// A cache trusting what it holds for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Cache {
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
            groups: Mutex::default(),
            admin_groups: Mutex::default(),
            directories: Mutex::default(),
        }
    }

    fn fresh<T: Clone>(&self, entry: &Stamped<T>, now_ms: u64) -> Option<T> {
        // A clock that went backwards makes an entry stale rather than immortal.
        let age = now_ms.checked_sub(entry.at_ms)?;
        (age < self.ttl_ms).then(|| entry.value.clone())
    }

    /// The resolution of `name`, if read less than the TTL ago.
    pub fn group(&self, name: &str, now_ms: u64) -> Option<ResolvedGroup> {
        let mut groups = self.groups.lock().expect("cache lock");
        let hit = groups.get(name).and_then(|e| self.fresh(e, now_ms));
        if hit.is_none() {
            groups.remove(name);
        }
        hit
    }

    /// Keeps a resolution read at `now_ms`.
    pub fn put_group(&self, group: ResolvedGroup, now_ms: u64) {
        if self.ttl_ms == 0 {
            return;
        }
        let entry = Stamped {
            value: group.clone(),
            at_ms: now_ms,
        };
        self.groups
            .lock()
            .expect("cache lock")
            .insert(group.name, entry);
    }

    /// Forgets `name` (Atlassian answered 404 or 403 for its ids), and the
    /// Admin group page with it: the route may have come from there, and a
    /// page wrong about one group is not trusted for the others.
    pub fn drop_group(&self, name: &str) {
        self.groups.lock().expect("cache lock").remove(name);
        *self.admin_groups.lock().expect("cache lock") = None;
    }

    /// The first page of the organization's Admin groups, if read less than
    /// the TTL ago.
    pub fn admin_groups(&self, now_ms: u64) -> Option<Vec<AdminGroup>> {
        let held = self.admin_groups.lock().expect("cache lock");
        held.as_ref().and_then(|e| self.fresh(e, now_ms))
    }

    /// Keeps the Admin group page read at `now_ms`.
    pub fn put_admin_groups(&self, groups: Vec<AdminGroup>, now_ms: u64) {
        if self.ttl_ms == 0 {
            return;
        }
        *self.admin_groups.lock().expect("cache lock") = Some(Stamped {
            value: groups,
            at_ms: now_ms,
        });
    }

    /// The organization's Admin directories, if read less than the TTL ago.
    pub fn directories(&self, now_ms: u64) -> Option<Vec<Directory>> {
        let held = self.directories.lock().expect("cache lock");
        held.as_ref().and_then(|e| self.fresh(e, now_ms))
    }

    /// Keeps the directory list read at `now_ms`.
    pub fn put_directories(&self, directories: Vec<Directory>, now_ms: u64) {
        if self.ttl_ms == 0 {
            return;
        }
        *self.directories.lock().expect("cache lock") = Some(Stamped {
            value: directories,
            at_ms: now_ms,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::groups::Route;
    use crate::ids::{AdminDirectoryId, ScimGroupId};

    fn group(name: &str) -> ResolvedGroup {
        ResolvedGroup {
            name: name.into(),
            route: Route::Scim {
                group: ScimGroupId::new(format!("s-{name}")),
                admin_id: None,
            },
        }
    }

    #[test]
    fn holds_for_the_ttl_and_no_longer() {
        let c = Cache::new(Duration::from_secs(300));
        c.put_group(group("eng"), 1_000);
        assert_eq!(c.group("eng", 1_000), Some(group("eng")));
        assert_eq!(c.group("eng", 300_999), Some(group("eng")));
        assert_eq!(c.group("eng", 301_000), None);
        // Expired entries are gone, not revived by a clock that steps back.
        assert_eq!(c.group("eng", 1_000), None);
    }

    #[test]
    fn a_clock_behind_the_entry_misses() {
        let c = Cache::new(Duration::from_secs(300));
        c.put_group(group("eng"), 10_000);
        assert_eq!(c.group("eng", 9_999), None);
    }

    #[test]
    fn zero_ttl_keeps_nothing() {
        let c = Cache::new(Duration::ZERO);
        c.put_group(group("eng"), 1_000);
        c.put_directories(vec![], 1_000);
        c.put_admin_groups(vec![], 1_000);
        assert_eq!(c.admin_groups(1_000), None);
        assert_eq!(c.group("eng", 1_000), None);
        assert_eq!(c.directories(1_000), None);
    }

    #[test]
    fn a_dropped_group_is_gone_and_others_stay() {
        let c = Cache::new(Duration::from_secs(300));
        c.put_group(group("eng"), 0);
        c.put_group(group("ops"), 0);
        c.drop_group("eng");
        assert_eq!(c.group("eng", 1), None);
        assert_eq!(c.group("ops", 1), Some(group("ops")));
    }

    #[test]
    fn the_admin_group_page_expires_and_goes_with_a_dropped_group() {
        let c = Cache::new(Duration::from_secs(1));
        let g = AdminGroup {
            id: crate::ids::AdminGroupId::new("g1"),
            name: "eng".into(),
            directory_id: Some(AdminDirectoryId::new("dir")),
            external_synced: Some(false),
            managed_by: Some("admins".into()),
        };
        c.put_admin_groups(vec![g.clone()], 0);
        assert_eq!(c.admin_groups(999), Some(vec![g.clone()]));
        assert_eq!(c.admin_groups(1_000), None);
        c.put_admin_groups(vec![g], 0);
        c.drop_group("ops");
        assert_eq!(c.admin_groups(1), None);
    }

    #[test]
    fn directories_expire_too() {
        let c = Cache::new(Duration::from_secs(1));
        let d = Directory {
            directory_id: AdminDirectoryId::new("dir"),
            name: None,
        };
        c.put_directories(vec![d.clone()], 0);
        assert_eq!(c.directories(999), Some(vec![d]));
        assert_eq!(c.directories(1_000), None);
    }
}
