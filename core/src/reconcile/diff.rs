//! Roster × directory → plan. Each roster worker is matched the way the
//! actions look people up (by `externalId`, then by e-mail), so a reconcile
//! and an event for the same person agree on who that is.

use std::collections::{BTreeSet, HashSet};

use super::directory::{Directory, DirectoryUser};
use super::plan::{Orphan, Plan, PlanAction, PlanEntry};
use super::scope::Scope;
use crate::event::{Roster, RosterEntry, WorkerStatus};
use crate::scim::users::DesiredUser;

/// The plan that converges `directory` on `roster` within `scope`.
pub fn plan(roster: &Roster, directory: &Directory, scope: &Scope) -> Plan {
    let mut matched = HashSet::new();
    let entries = roster
        .entries
        .iter()
        .map(|entry| {
            let hr_id = entry.worker.hr_id.as_ref().map(|h| h.to_string());
            let email = entry.worker.email.as_ref().map(|e| e.to_string());
            let (hr_id, email) = (hr_id.unwrap_or_default(), email.unwrap_or_default());
            let found = directory.find(&hr_id, &email);
            if let Some(i) = found {
                matched.insert(i);
            }
            let base = PlanEntry {
                line: entry.line,
                hr_id,
                email,
                action: PlanAction::Unchanged,
                changes: Vec::new(),
                reactivate: false,
                add: Vec::new(),
                remove: Vec::new(),
                scim_user_id: None,
                account_id: None,
                reason: None,
                refused: Vec::new(),
                wanted: Vec::new(),
            };
            match found {
                None => absent(entry, base, scope),
                Some(i) => present(entry, base, directory.get(i), scope),
            }
        })
        .collect();
    let orphans = directory
        .users()
        .iter()
        .enumerate()
        .filter(|(i, _)| !matched.contains(i))
        .map(|(_, u)| orphan(u))
        .collect();
    Plan { entries, orphans }
}

fn absent(entry: &RosterEntry, mut e: PlanEntry, scope: &Scope) -> PlanEntry {
    if entry.status == WorkerStatus::Active {
        e.action = PlanAction::Create;
        e.add = in_scope(entry.groups.iter(), scope);
        e.wanted = e.add.clone();
    }
    e
}

fn present(
    entry: &RosterEntry,
    mut e: PlanEntry,
    found: &DirectoryUser,
    scope: &Scope,
) -> PlanEntry {
    e.scim_user_id = Some(found.user.id.to_string());
    e.account_id = found.account_id.as_ref().map(|a| a.to_string());
    let external_id = found.user.external_id.as_deref().filter(|x| !x.is_empty());
    if let Some(owner) = external_id.filter(|x| *x != e.hr_id) {
        // The same ownership rule as events: another provisioner's user is
        // never changed, and never deprovisioned, by this one.
        e.action = PlanAction::Skip;
        e.reason = Some(format!(
            "the SCIM user {} has externalId `{owner}`: another provisioner owns it",
            found.user.id
        ));
        return e;
    }
    match entry.status {
        WorkerStatus::Active => active(entry, e, found, scope),
        WorkerStatus::Terminated => {
            if found.user.is_active() || !found.groups.is_empty() {
                e.action = PlanAction::Deprovision;
                e.remove = found.groups.iter().map(|g| g.to_string()).collect();
            }
            e
        }
    }
}

fn active(
    entry: &RosterEntry,
    mut e: PlanEntry,
    found: &DirectoryUser,
    scope: &Scope,
) -> PlanEntry {
    let want = DesiredUser {
        user_name: e.email.clone(),
        external_id: e.hr_id.clone(),
        profile: entry.worker.clone(),
    };
    // Unclaimed (no externalId) or ours: either way the roster's hrId is set.
    e.changes = want
        .diff(&found.user, true)
        .into_iter()
        .map(Into::into)
        .collect();
    e.reactivate = !found.user.is_active();
    let wanted: BTreeSet<&str> = entry
        .groups
        .iter()
        .map(String::as_str)
        .filter(|g| scope.contains(g))
        .collect();
    let held: BTreeSet<&str> = found
        .groups
        .iter()
        .map(|g| &**g)
        .filter(|g| scope.contains(g))
        .collect();
    e.add = wanted.difference(&held).map(|g| g.to_string()).collect();
    e.remove = held.difference(&wanted).map(|g| g.to_string()).collect();
    let differs =
        !e.changes.is_empty() || e.reactivate || !e.add.is_empty() || !e.remove.is_empty();
    if differs {
        e.action = PlanAction::Update;
        // Only an entry with an event needs what its memberships lead to
        // (a plan of 100,000 unchanged people would hold them all for nothing).
        e.wanted = wanted.iter().map(|g| g.to_string()).collect();
    }
    e
}

fn in_scope<'a>(groups: impl Iterator<Item = &'a String>, scope: &Scope) -> Vec<String> {
    groups.filter(|g| scope.contains(g)).cloned().collect()
}

fn orphan(u: &DirectoryUser) -> Orphan {
    Orphan {
        email: u.user.user_name.clone(),
        scim_user_id: u.user.id.to_string(),
        account_id: u.account_id.as_ref().map(|a| a.to_string()),
        external_id: u.user.external_id.clone().filter(|x| !x.is_empty()),
        active: u.user.is_active(),
        groups: u.groups.iter().map(|g| g.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests;
