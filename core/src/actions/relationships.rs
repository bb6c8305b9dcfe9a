//! `MANAGE_RELATIONSHIPS`: add, remove or replace group memberships. Current
//! memberships are read first (Admin user search with `expand: groups`, and
//! the SCIM user's `groups`), so a replay writes nothing; the writes then run
//! concurrently, each through the system that owns its group.

use std::collections::{HashMap, HashSet};

use futures::stream::{self, StreamExt};
use serde_json::json;

use super::groups::{self, ResolvedGroup, Route};
use super::identity::{self, Found, Ownership};
use super::person::{Person, State};
use super::rails;
use super::{record_write, step, Ctx, StepExt, WriteMeaning};
use crate::admin::users::AdminAnswer;
use crate::event::{GroupMode, RelationshipsInput, Worker};
use crate::ids::{AdminDirectoryId, AdminGroupId, Email, ScimGroupId};
use crate::report::{ErrorCode, ReportError, StepStatus, System};
use crate::scim::users::ScimUser;
use crate::transport::{ApiError, Sent};

/// The groups a person is in, as each system reports them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Memberships {
    pub admin: Vec<(AdminGroupId, Option<String>)>,
    pub scim: Vec<(ScimGroupId, Option<String>)>,
}

impl Memberships {
    pub fn contains(&self, route: &Route) -> bool {
        match route {
            Route::Admin { group, .. } => self.admin.iter().any(|(id, _)| id == group),
            Route::Scim { group, admin_id } => {
                self.scim.iter().any(|(id, _)| id == group)
                    || admin_id
                        .as_ref()
                        .is_some_and(|a| self.admin.iter().any(|(id, _)| id == a))
            }
        }
    }

    /// The SCIM groups the person is in, by name, routed through SCIM with
    /// the ids SCIM gave: what a removal from them needs.
    pub fn scim_routes(&self) -> HashMap<String, ResolvedGroup> {
        self.scim
            .iter()
            .filter_map(|(id, name)| {
                let name = name.clone()?;
                let route = Route::Scim {
                    group: id.clone(),
                    admin_id: None,
                };
                Some((name.clone(), ResolvedGroup { name, route }))
            })
            .collect()
    }

    /// Every group name the person is in, each once.
    pub fn names(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        self.admin
            .iter()
            .filter_map(|(_, n)| n.clone())
            .chain(self.scim.iter().filter_map(|(_, n)| n.clone()))
            .filter(|n| seen.insert(n.clone()))
            .collect()
    }
}

/// What [`load`] found: the person, their memberships, and who owns their
/// SCIM record (`None`: no SCIM record).
pub(crate) type Loaded = (Person, Memberships, Option<Ownership>);

/// Finds the person (SCIM first, then Admin by e-mail) and reads their
/// memberships. `Ok(None)`: not found anywhere. `Err`: a failed step was
/// recorded.
pub(crate) async fn load(ctx: &Ctx, worker: &Worker) -> Result<Option<Loaded>, ()> {
    load_from(ctx, worker, None, None).await
}

/// As [`load`], but with the SCIM user already in hand (`known`, from the
/// sync just before): only the Admin side is read, unless `ahead` holds the
/// Admin search by e-mail made already, beside the sync's look-ups.
async fn load_from(
    ctx: &Ctx,
    worker: &Worker,
    known: Option<Found>,
    ahead: Option<AdminAnswer>,
) -> Result<Option<Loaded>, ()> {
    // With an e-mail in hand, the Admin search need not wait for SCIM: both
    // run at once, and the Admin answer is kept if it is the same account.
    let early_admin = async {
        match (&worker.email, ahead) {
            (_, Some(answer)) => Some(answer),
            (Some(e), None) => Some(ctx.admin().find_user(e).await),
            (None, None) => None,
        }
    };
    let found = async {
        match known {
            Some(f) => Ok(Some(f)),
            None => identity::find(ctx, worker).await,
        }
    };
    let (found, early_admin) = futures::join!(found, early_admin);
    let (scim_user, ownership) = match found? {
        Some(f) => (Some(f.user), Some(f.ownership)),
        None => (None, None),
    };
    let email = scim_user
        .as_ref()
        .and_then(|u| Email::parse(&u.user_name).ok())
        .or_else(|| worker.email.clone());
    let account = scim_user.as_ref().and_then(ScimUser::account_id);
    let early = match early_admin {
        Some(Ok(Some(u))) if account.as_ref().is_none_or(|a| *a == u.account_id) => {
            Some(Ok(Some(u)))
        }
        Some(Ok(None)) if scim_user.is_none() => Some(Ok(None)),
        Some(Err(e)) => Some(Err(e)),
        _ => None,
    };
    let admin_user = match early {
        Some(answer) => answer,
        None => identity::admin_user(ctx, account.as_ref(), email.as_ref()).await,
    };
    let admin_user = admin_user.map_err(|e| {
        ctx.record(
            step(
                identity::label(worker),
                "read_memberships",
                StepStatus::Failed,
                "could not read the user's groups from the Admin API",
            )
            .via(System::Admin)
            .failed(&e),
        );
    })?;
    if scim_user.is_none() && admin_user.is_none() {
        return Ok(None);
    }
    let account = account.or_else(|| admin_user.as_ref().map(|u| u.account_id.clone()));
    if let Some(a) = &account {
        ctx.identity(|i| i.account_id = Some(a.to_string()));
    }
    if let Some(e) = &email {
        ctx.identity(|i| i.email = Some(e.to_string()));
    }
    let admin_status = admin_user.as_ref().and_then(|u| u.status.clone());
    let memberships = Memberships {
        admin: admin_user
            .map(|u| u.groups.into_iter().map(|g| (g.id, g.name)).collect())
            .unwrap_or_default(),
        scim: scim_user
            .as_ref()
            .map(|u| {
                u.groups
                    .iter()
                    .map(|g| (ScimGroupId::new(g.value.clone()), g.display.clone()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let person = Person::existing(identity::label(worker), scim_user, account, admin_status);
    Ok(Some((person, memberships, ownership)))
}

/// The person and their memberships: as the sync left them, or looked up.
/// `None`: a failed step was recorded.
async fn person_for(
    ctx: &Ctx,
    worker: &Worker,
    known: Option<Person>,
    ahead: Option<AdminAnswer>,
) -> Option<(Person, Memberships)> {
    let reactivated = known.as_ref().is_some_and(|p| p.reactivated);
    let known = match known {
        Some(p) if p.is_new() => return Some((p, Memberships::default())),
        // The sync settled ownership already (or refused before we got here).
        Some(Person {
            state:
                State::Existing {
                    scim_user: Some(user),
                    ..
                },
            ..
        }) => Some(Found {
            user,
            ownership: Ownership::Ours,
        }),
        _ => None,
    };
    let label = || identity::label(worker);
    match load_from(ctx, worker, known, ahead).await.ok()? {
        None => {
            ctx.record(step(label(), "find_user", StepStatus::Failed, "").error(ReportError {
                code: ErrorCode::UserNotFound,
                message: "the user exists in neither SCIM nor the Admin directory; send a joiner first".into(),
            }));
            None
        }
        Some((_, _, Some(Ownership::Foreign(owner)))) => {
            ctx.record(step(label(), "check_ownership", StepStatus::Failed, "").error(ReportError {
                code: ErrorCode::OwnershipConflict,
                message: format!("the user's externalId is `{owner}`: another provisioner owns it; sync with `adopt` first"),
            }));
            None
        }
        Some((mut p, m, _)) => {
            p.reactivated = reactivated;
            Some((p, m))
        }
    }
}

/// Runs the action. `known`: the person as the preceding sync left them;
/// `ahead`: the Admin user, when it was read beside the sync.
pub(crate) async fn run(
    ctx: &Ctx,
    input: &RelationshipsInput,
    known: Option<Person>,
    ahead: Option<AdminAnswer>,
) {
    let add = input.mode != GroupMode::Remove;
    // The grant rails first: a refused group costs no call, whoever the person is.
    let named = if add {
        rails::grantable(ctx, &input.groups)
    } else {
        input.groups.clone()
    };
    let Some((person, memberships)) = person_for(ctx, &input.worker, known, ahead).await else {
        return;
    };
    let named = match rails::inactive(&person).filter(|_| add) {
        Some(e) => {
            for name in &named {
                rails::refuse(ctx, name, e.clone());
            }
            Vec::new()
        }
        None => named,
    };
    let current_names = memberships.names();
    // SCIM named these groups with their SCIM ids: a removal needs no look-up.
    let scim_known = memberships.scim_routes();
    let mut wanted = named.clone();
    if input.mode == GroupMode::Replace {
        wanted.extend(
            current_names
                .iter()
                .filter(|n| !input.groups.contains(n) && !scim_known.contains_key(*n))
                .cloned(),
        );
    }
    groups::resolve(ctx, &wanted).await;

    let operation = if add {
        "add_membership"
    } else {
        "remove_membership"
    };
    let mut changes: Vec<(ResolvedGroup, bool)> = Vec::new();
    for name in &named {
        let Some(g) = groups::get_or_record(ctx, name, "resolve_group") else {
            continue;
        };
        if memberships.contains(&g.route) == add {
            let detail = if add {
                "already a member"
            } else {
                "not a member"
            };
            ctx.record(
                step(
                    format!("group {name}"),
                    operation,
                    StepStatus::NoChange,
                    detail,
                )
                .via(g.route.system()),
            );
        } else {
            changes.push((g, add));
        }
    }
    if input.mode == GroupMode::Replace {
        // A named group is kept even when it was refused: refusing a grant
        // never turns into a removal.
        let in_scope = |n: &String| input.scope.as_ref().is_none_or(|s| s.contains(n));
        for name in current_names
            .iter()
            .filter(|n| !input.groups.contains(n) && in_scope(n))
        {
            let group = match scim_known.get(name) {
                Some(g) => Some(g.clone()),
                None => groups::get_or_record(ctx, name, "remove_membership"),
            };
            changes.extend(group.map(|g| (g, false)));
        }
    }
    apply(ctx, &person, changes).await;
}

/// Applies membership changes concurrently, within the safety rails: removals
/// from protected groups are skipped, and more removals than `max_removals`
/// refuses every removal of the call. True when no removal was refused by
/// the cap or failed (a protected group kept is no failure).
pub(crate) async fn apply(ctx: &Ctx, person: &Person, changes: Vec<(ResolvedGroup, bool)>) -> bool {
    let safety = ctx.config().safety();
    let mut allowed = Vec::new();
    for (g, add) in changes {
        if !add && safety.protected_groups().contains(&g.name) {
            ctx.record(
                step(
                    format!("group {}", g.name),
                    "remove_membership",
                    StepStatus::Skipped,
                    "protected group (LCM_PROTECTED_GROUPS): membership kept",
                )
                .via(g.route.system()),
            );
            ctx.warn(format!(
                "{} stays in protected group `{}`",
                person.label, g.name
            ));
        } else {
            allowed.push((g, add));
        }
    }
    let removals = allowed.iter().filter(|(_, add)| !add).count();
    if removals > safety.max_removals() {
        let names: Vec<String> = allowed
            .iter()
            .filter(|(_, add)| !add)
            .map(|(g, _)| g.name.clone())
            .collect();
        ctx.record(step(&person.label, "remove_memberships", StepStatus::Failed, format!("would remove: {}", names.join(", "))).error(ReportError {
            code: ErrorCode::RemovalCapExceeded,
            message: format!(
                "{removals} removals exceed the cap of {} (LCM_MAX_REMOVALS); no membership was removed",
                safety.max_removals()
            ),
        }));
        allowed.retain(|(_, add)| *add);
    }
    let capped = removals > safety.max_removals();
    let targets: Vec<String> = allowed
        .iter()
        .map(|(g, _)| format!("group {}", g.name))
        .collect();
    let mark = ctx.steps_len();
    let results: Vec<bool> = stream::iter(allowed)
        .map(|(g, add)| change_one(ctx, person, g, add))
        .buffer_unordered(ctx.config().limits().concurrency())
        .collect()
        .await;
    ctx.order_steps_since(mark, |s| {
        targets
            .iter()
            .position(|t| *t == s.target)
            .unwrap_or(targets.len())
    });
    !capped && results.into_iter().all(|ok| ok)
}

/// One membership change as the steps and the audit name it.
struct Change<'a> {
    name: &'a str,
    add: bool,
    target: String,
    operation: &'static str,
    done: String,
}

/// What one try at a change came to.
enum Tried {
    /// The step is recorded already (a failure before the write, or a 409
    /// read back as "already a member"); its status, when it has one.
    Recorded(Option<StepStatus>),
    /// The write's answer, still to be recorded.
    Answer {
        system: System,
        result: Result<Sent, ApiError>,
        meaning: WriteMeaning<'static>,
    },
}

impl Tried {
    /// True when Atlassian answered 404 or 403: for a group id taken from
    /// the warm cache, a sign the group is no longer what the cache says.
    fn refused_for_ids(&self) -> bool {
        let status = match self {
            Tried::Answer {
                result: Ok(Sent::Response(r)),
                ..
            } => Some(r.status),
            Tried::Answer { result: Err(e), .. } => e.status,
            _ => None,
        };
        matches!(status, Some(403 | 404))
    }

    /// Requests this try sent.
    fn attempts(&self) -> u32 {
        match self {
            Tried::Answer {
                result: Ok(Sent::Response(r)),
                ..
            } => r.attempts,
            Tried::Answer { result: Err(e), .. } => e.attempts,
            _ => 0,
        }
    }

    /// The same try, counting `before` requests of an earlier one too.
    fn after(mut self, before: u32) -> Self {
        if let Tried::Answer { result, .. } = &mut self {
            match result {
                Ok(Sent::Response(r)) => r.attempts += before,
                Err(e) => e.attempts += before,
                Ok(Sent::Planned) => {}
            }
        }
        self
    }
}

/// Makes one change; false for a removal that failed. A group whose ids
/// came from the warm cache and drew a 404 or 403 is resolved again, and the
/// change made on what Atlassian says now.
async fn change_one(ctx: &Ctx, person: &Person, g: ResolvedGroup, add: bool) -> bool {
    let change = Change {
        name: &g.name,
        add,
        target: format!("group {}", g.name),
        operation: if add {
            "add_membership"
        } else {
            "remove_membership"
        },
        done: if add {
            format!("add {} to {}", person.label, g.name)
        } else {
            format!("remove {} from {}", person.label, g.name)
        },
    };
    let fresh = add && person.is_fresh(ctx.t.now_ms());
    let cached = ctx
        .from_cache
        .lock()
        .expect("from-cache lock")
        .contains(&g.name);
    // A cached id is tried once before any wait for a fresh account: a 404
    // may be the group, not the account, and waiting would not cure that.
    let mut tried = change_via(ctx, person, &change, &g.route, fresh && !cached).await;
    if cached && tried.refused_for_ids() {
        match groups::recheck(ctx, &g.name).await {
            Some(Ok(now)) if now.route != g.route || fresh => {
                let before = tried.attempts();
                tried = change_via(ctx, person, &change, &now.route, fresh)
                    .await
                    .after(before);
            }
            Some(Err(e)) => {
                ctx.record(step(&change.target, change.operation, StepStatus::Failed, "").error(e));
                return add;
            }
            _ => {}
        }
    }
    let status = match tried {
        Tried::Recorded(status) => status,
        Tried::Answer {
            system,
            result,
            meaning,
        } => Some(record_write(
            ctx,
            &change.target,
            change.operation,
            system,
            result,
            meaning,
            &change.done,
        )),
    };
    if matches!(status, Some(StepStatus::Done | StepStatus::Planned)) {
        let (action, before, after) = if add {
            ("membership.added", false, true)
        } else {
            ("membership.removed", true, false)
        };
        ctx.audit(
            action,
            &format!("{} in {}", person.label, g.name),
            Some(json!({"member": before})),
            Some(json!({"member": after})),
        );
    }
    // For a removal, `None` means a failed step other than the write's own.
    add || !matches!(status, None | Some(StepStatus::Failed))
}

/// One try through the system `route` names.
async fn change_via(
    ctx: &Ctx,
    person: &Person,
    change: &Change<'_>,
    route: &Route,
    fresh: bool,
) -> Tried {
    match route {
        Route::Admin { group, directory } => {
            change_in_admin(ctx, person, change, directory, group, fresh).await
        }
        Route::Scim { group, .. } => change_in_scim(ctx, person, change, group, fresh).await,
    }
}

/// Through the Admin memberships API, with the account id.
async fn change_in_admin(
    ctx: &Ctx,
    person: &Person,
    change: &Change<'_>,
    directory: &AdminDirectoryId,
    group: &AdminGroupId,
    fresh: bool,
) -> Tried {
    let system = System::Admin;
    let (target, op) = (&change.target, change.operation);
    let account = match person.account_id(ctx).await {
        Ok(a) => a,
        Err(e) => {
            ctx.record(
                step(target, op, StepStatus::Failed, "")
                    .via(system)
                    .error(e),
            );
            return Tried::Recorded(None);
        }
    };
    let add = change.add;
    let admin = ctx.admin();
    let result = identity::while_hidden(ctx, fresh, || {
        admin.change_membership(directory, group, &account, add)
    })
    .await;
    let result = match result {
        // 409 on add is "already a member" or a licence limit: read the
        // membership again rather than guess which.
        Ok(Sent::Response(r)) if add && r.status == 409 => {
            match ctx.admin().find_user_by_id(&account).await {
                Ok(Some(u)) if u.groups.iter().any(|x| &x.id == group) => {
                    // After a retry the member may be our own earlier,
                    // unanswered attempt: then the grant was made.
                    let (status, detail) = if r.attempts > 1 {
                        (
                            StepStatus::Done,
                            "a member now (HTTP 409 after an earlier attempt went unanswered)",
                        )
                    } else {
                        (StepStatus::NoChange, "already a member (HTTP 409)")
                    };
                    ctx.record(step(target, op, status, detail).via(system).response(&r));
                    return Tried::Recorded(None);
                }
                _ => Ok(Sent::Response(r)),
            }
        }
        other => other,
    };
    let meaning = WriteMeaning {
        done: &[204],
        no_change: if add { &[] } else { &[404] },
    };
    Tried::Answer {
        system,
        result,
        meaning,
    }
}

/// Through SCIM `PATCH /Groups`, with the SCIM user id.
async fn change_in_scim(
    ctx: &Ctx,
    person: &Person,
    change: &Change<'_>,
    group: &ScimGroupId,
    fresh: bool,
) -> Tried {
    let system = System::Scim;
    let (target, op) = (&change.target, change.operation);
    let Some(user) = person.scim_id() else {
        ctx.record(step(target, op, StepStatus::Failed, "").via(system).error(ReportError {
            code: ErrorCode::UserNotFound,
            message: format!("`{}` is synced from an identity provider and can only change through SCIM, but the user has no SCIM record", change.name),
        }));
        return Tried::Recorded(None);
    };
    // A SCIM user just created may not be visible to /Groups yet either.
    // Unconfirmed: Atlassian documents no such lag for SCIM, so the safe
    // reading is to treat a 404 here like the Admin one.
    let scim = ctx.scim();
    let result =
        identity::while_hidden(ctx, fresh, || scim.change_member(group, &user, change.add)).await;
    Tried::Answer {
        system,
        result,
        meaning: WriteMeaning {
            done: &[200, 204],
            no_change: &[],
        },
    }
}
