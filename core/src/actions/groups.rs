//! Group resolution and routing. Names are matched exactly and
//! case-sensitively in both systems; both searches ignore case, so we compare
//! ourselves and refuse a name that matches only when case is ignored, naming
//! the group that exists. A group is served through the system that owns it:
//! admin-managed groups through the Admin memberships API (with account ids),
//! groups synced from an identity provider — or known only to SCIM — through
//! SCIM `PATCH /Groups` (with SCIM user ids). The connector never creates,
//! renames or deletes groups.

use futures::stream::{self, StreamExt};

use super::{Ctx, StepExt};
use crate::admin::groups::AdminGroup;
use crate::ids::{AdminDirectoryId, AdminGroupId, ScimGroupId};
use crate::report::{ErrorCode, ReportError, System};
use crate::scim::groups::ScimGroup;

/// Where a group's memberships are changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Admin memberships API.
    Admin {
        /// Admin group id.
        group: AdminGroupId,
        /// The group's directory.
        directory: AdminDirectoryId,
    },
    /// SCIM `PATCH /Groups/{id}`.
    Scim {
        /// SCIM group id.
        group: ScimGroupId,
        /// The Admin id too, when Admin knows the group (to read memberships).
        admin_id: Option<AdminGroupId>,
    },
}

impl Route {
    /// The API the route uses.
    pub fn system(&self) -> System {
        match self {
            Route::Admin { .. } => System::Admin,
            Route::Scim { .. } => System::Scim,
        }
    }
}

/// A group resolved to its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedGroup {
    /// The exact name.
    pub name: String,
    /// Where its memberships change.
    pub route: Route,
}

/// Decides the route of `name` from what each system returned for it. Pure:
/// `admin` is every Admin group the case-insensitive search returned, `scim`
/// the SCIM groups, or `None` when SCIM was not asked (Admin owns the group).
pub fn decide(
    name: &str,
    admin: &[AdminGroup],
    scim: Option<&[ScimGroup]>,
) -> Result<ResolvedGroup, ReportError> {
    let exact_admin: Vec<&AdminGroup> = admin.iter().filter(|g| g.name == name).collect();
    if exact_admin.len() > 1 {
        return Err(ReportError {
            code: ErrorCode::GroupNotFound,
            message: format!(
                "{} Admin groups are named `{name}` (in different directories); refusing to guess",
                exact_admin.len()
            ),
        });
    }
    let admin_group = exact_admin.first().copied();
    if let Some(g) = admin_group {
        if !g.is_externally_synced() {
            let directory = g.directory_id.clone().ok_or_else(|| ReportError {
                code: ErrorCode::UnexpectedResponse,
                message: format!("the Admin API did not say which directory group `{name}` is in"),
            })?;
            return Ok(ResolvedGroup {
                name: name.to_string(),
                route: Route::Admin {
                    group: g.id.clone(),
                    directory,
                },
            });
        }
    }
    let scim = scim.unwrap_or(&[]);
    if let Some(s) = scim.iter().find(|g| g.display_name == name) {
        return Ok(ResolvedGroup {
            name: name.to_string(),
            route: Route::Scim {
                group: s.id.clone(),
                admin_id: admin_group.map(|g| g.id.clone()),
            },
        });
    }
    if admin_group.is_some() {
        return Err(ReportError {
            code: ErrorCode::GroupNotFound,
            message: format!(
                "group `{name}` is synced from an identity provider but is not in this SCIM directory, so its members cannot be changed from here"
            ),
        });
    }
    let near = admin
        .iter()
        .map(|g| g.name.as_str())
        .chain(scim.iter().map(|g| g.display_name.as_str()))
        .find(|n| n.eq_ignore_ascii_case(name));
    Err(match near {
        Some(existing) => ReportError {
            code: ErrorCode::GroupNameCase,
            message: format!("no group is named `{name}` exactly; did you mean `{existing}`? Group names are matched case-sensitively"),
        },
        None => ReportError {
            code: ErrorCode::GroupNotFound,
            message: format!("group `{name}` exists in neither the Admin directory nor the SCIM directory; the connector does not create groups"),
        },
    })
}

/// Resolves every name not yet in the call's cache: from the engine's warm
/// cache when it holds the name, else one Admin search for all of them, then
/// SCIM look-ups (concurrently) only for names Admin does not own outright.
/// A failed search is cached (for this call only) as the error for those names.
pub(crate) async fn resolve(ctx: &Ctx, names: &[String]) {
    let missing = from_caches(ctx, names);
    if missing.is_empty() {
        return;
    }
    let results = read(ctx, missing).await;
    let now = ctx.t.now_ms();
    for g in results.iter().filter_map(|(_, r)| r.as_ref().ok()) {
        ctx.cache.put_group(g.clone(), now);
    }
    ctx.groups.lock().expect("groups lock").extend(results);
}

/// Fills the call's cache from the warm one; returns the names neither
/// holds, each once.
fn from_caches(ctx: &Ctx, names: &[String]) -> Vec<String> {
    let now = ctx.t.now_ms();
    let mut call = ctx.groups.lock().expect("groups lock");
    let mut missing: Vec<String> = Vec::new();
    for name in names {
        if call.contains_key(name) || missing.contains(name) {
            continue;
        }
        match ctx.cache.group(name, now) {
            Some(g) => {
                call.insert(name.clone(), Ok(g));
                ctx.from_cache
                    .lock()
                    .expect("from-cache lock")
                    .insert(name.clone());
            }
            None => missing.push(name.clone()),
        }
    }
    missing
}

/// Reads the resolution of each of `names` from Atlassian.
async fn read(ctx: &Ctx, names: Vec<String>) -> Vec<(String, Result<ResolvedGroup, ReportError>)> {
    let admin_groups = match ctx.admin().search_groups(&names).await {
        Ok(g) => g,
        Err(e) => return names.into_iter().map(|n| (n, Err(e.to_report()))).collect(),
    };
    let matches_of = |name: &str| -> Vec<AdminGroup> {
        admin_groups
            .iter()
            .filter(|g| g.name.eq_ignore_ascii_case(name))
            .cloned()
            .collect()
    };
    stream::iter(names)
        .map(|name| {
            let admin = matches_of(&name);
            async move {
                let owned_by_admin = admin
                    .iter()
                    .any(|g| g.name == name && !g.is_externally_synced());
                let resolved = if owned_by_admin {
                    decide(&name, &admin, None)
                } else {
                    match ctx.scim().find_groups(&name).await {
                        Ok(scim) => decide(&name, &admin, Some(&scim)),
                        Err(e) => Err(e.to_report()),
                    }
                };
                (name, resolved)
            }
        })
        .buffer_unordered(ctx.config().limits().concurrency())
        .collect()
        .await
}

/// When this call took `name` from the warm cache, forgets it there and
/// reads it again (Atlassian answered 404 or 403 for its ids: the group may
/// have been deleted, recreated or moved to another system). `None`: the
/// resolution was read by this call, so reading it again would tell nothing.
pub(crate) async fn recheck(ctx: &Ctx, name: &str) -> Option<Result<ResolvedGroup, ReportError>> {
    if !ctx.from_cache.lock().expect("from-cache lock").remove(name) {
        return None;
    }
    ctx.cache.drop_group(name);
    ctx.groups.lock().expect("groups lock").remove(name);
    resolve(ctx, &[name.to_string()]).await;
    Some(get(ctx, name))
}

/// The cached resolution of `name`; a failure is recorded as a failed step
/// for `operation` on that group alone, and `None` returned.
pub(crate) fn get_or_record(ctx: &Ctx, name: &str, operation: &str) -> Option<ResolvedGroup> {
    match get(ctx, name) {
        Ok(g) => Some(g),
        Err(e) => {
            ctx.record(
                super::step(
                    format!("group {name}"),
                    operation,
                    crate::report::StepStatus::Failed,
                    "",
                )
                .error(e),
            );
            None
        }
    }
}

/// The cached resolution of `name` (call [`resolve`] first).
pub(crate) fn get(ctx: &Ctx, name: &str) -> Result<ResolvedGroup, ReportError> {
    ctx.groups
        .lock()
        .expect("groups lock")
        .get(name)
        .cloned()
        .unwrap_or_else(|| {
            Err(ReportError {
                code: ErrorCode::GroupNotFound,
                message: format!("group `{name}` was not resolved"),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin(name: &str, synced: bool) -> AdminGroup {
        AdminGroup {
            id: AdminGroupId::new(format!("a-{name}")),
            name: name.into(),
            directory_id: Some(AdminDirectoryId::new("dir")),
            external_synced: Some(synced),
            managed_by: Some(if synced { "external" } else { "admins" }.into()),
        }
    }

    fn scim(name: &str) -> ScimGroup {
        ScimGroup {
            id: ScimGroupId::new(format!("s-{name}")),
            display_name: name.into(),
        }
    }

    #[test]
    fn admin_managed_goes_through_admin() {
        let r = decide(
            "jira-software-users",
            &[admin("jira-software-users", false)],
            None,
        )
        .unwrap();
        assert_eq!(
            r.route,
            Route::Admin {
                group: AdminGroupId::new("a-jira-software-users"),
                directory: AdminDirectoryId::new("dir")
            }
        );
    }

    #[test]
    fn synced_goes_through_scim() {
        let r = decide(
            "engineering",
            &[admin("engineering", true)],
            Some(&[scim("engineering")]),
        )
        .unwrap();
        assert_eq!(r.route.system(), System::Scim);
    }

    #[test]
    fn scim_only_goes_through_scim() {
        let r = decide("contractors", &[], Some(&[scim("contractors")])).unwrap();
        assert_eq!(
            r.route,
            Route::Scim {
                group: ScimGroupId::new("s-contractors"),
                admin_id: None
            }
        );
    }

    #[test]
    fn case_mismatch_refused_with_hint() {
        let e = decide(
            "Engineering",
            &[admin("engineering", true)],
            Some(&[scim("engineering")]),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupNameCase);
        assert!(e.message.contains("`engineering`"), "{}", e.message);
        let e = decide(
            "JIRA-software-users",
            &[admin("jira-software-users", false)],
            Some(&[]),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::GroupNameCase);
    }

    #[test]
    fn missing_everywhere_and_synced_missing_in_scim() {
        assert_eq!(
            decide("ghosts", &[], Some(&[])).unwrap_err().code,
            ErrorCode::GroupNotFound
        );
        let e = decide("engineering", &[admin("engineering", true)], Some(&[])).unwrap_err();
        assert!(e.message.contains("synced"), "{}", e.message);
    }

    #[test]
    fn two_admin_groups_same_name_refused() {
        let mut a2 = admin("x", false);
        a2.id = AdminGroupId::new("other");
        assert!(decide("x", &[admin("x", false), a2], None).is_err());
    }
}
