//! Which system owns each Admin group a leaver is in, known in the leaver's
//! first round trip. The Admin user search names the person's groups (id and
//! name) but not their owner, and the group search that tells owners by name
//! needs those names: one more round trip. An unfiltered `groups/search`
//! needs neither the names nor the account id, so one page of it (up to 100
//! groups, with `externalSynced`/`managedBy` and `directoryId`) is read beside
//! the look-ups, and kept in the engine's warm cache for the TTL.
//!
//! Why not send every Admin removal at once and let Atlassian refuse the
//! synced ones: the v2 `DELETE …/memberships/{accountId}` documents no
//! refusal for groups synced from an identity provider (only the add does;
//! v1 said so for removals), so the refusal is not distinguishable from any
//! other 400/403, and were v2 to accept it, a membership would change behind
//! the identity provider's back. The safe reading is to know the owner first.
//!
//! Groups are matched by id, never by name: an id on the page is exactly the
//! group the user search named, so even a partial page (an organization with
//! more than 100 groups) is right for the ids it holds; a name is not, since a
//! group of the same name may be on a later page. A group the page does not
//! show as admin-managed is resolved by name as before.

use super::groups::{ResolvedGroup, Route};
use super::Ctx;
use crate::admin::groups::AdminGroup;
use crate::ids::AdminGroupId;

/// The page of Admin groups one call has, and whether it came from the
/// engine's warm cache (then a 404 or 403 for a group on it means the page
/// may be stale, and the group is resolved again).
#[derive(Debug, Default)]
pub(crate) struct AdminOwners {
    groups: Vec<AdminGroup>,
    cached: bool,
}

/// The first page of the organization's Admin groups: from the warm cache,
/// or read. A failed read is no failure of the leaver: its groups are then
/// resolved by name, which reports its own errors.
pub(crate) async fn read(ctx: &Ctx) -> AdminOwners {
    let now = ctx.t.now_ms();
    if let Some(groups) = ctx.cache.admin_groups(now) {
        return AdminOwners {
            groups,
            cached: true,
        };
    }
    match ctx.admin().first_groups_page().await {
        Ok(groups) => {
            ctx.cache.put_admin_groups(groups.clone(), now);
            AdminOwners {
                groups,
                cached: false,
            }
        }
        Err(_) => AdminOwners::default(),
    }
}

impl AdminOwners {
    /// The Admin route for the person's membership of group `id` (named
    /// `name` by the user search), when the page shows that group managed in
    /// Admin and says its directory. `None`: not on the page, synced from an
    /// identity provider, or without a directory; resolve it by name.
    pub fn admin_route(&self, ctx: &Ctx, id: &AdminGroupId, name: &str) -> Option<ResolvedGroup> {
        let g = self.groups.iter().find(|g| &g.id == id)?;
        if g.is_externally_synced() {
            return None;
        }
        let directory = g.directory_id.clone()?;
        if self.cached {
            ctx.from_cache
                .lock()
                .expect("from-cache lock")
                .insert(name.to_string());
        }
        Some(ResolvedGroup {
            name: name.to_string(),
            route: Route::Admin {
                group: id.clone(),
                directory,
            },
        })
    }
}
