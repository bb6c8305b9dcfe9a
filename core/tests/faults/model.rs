//! The model: what a worker looks like in the emulator, and what a fact
//! should make of it (DESIGN.md sec. 1 and 6): a joiner creates or updates
//! and adds its groups; a mover updates and adds, removes or replaces within
//! the managed groups; a rehire reactivates and replaces; a leaver removes
//! every membership and deactivates; a purge (delete opted in) removes it
//! all. Grants go to active users only; a missing user is created only by a
//! joiner or a rehire.

use std::collections::BTreeSet;

use atlassian_emulator::StateDump;

use super::schedule::{identity, Fact, GROUPS};

/// One worker as far as the campaign looks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// A SCIM record with the worker's userName exists.
    pub exists: bool,
    pub active: bool,
    pub title: Option<String>,
    /// Memberships among the campaign's groups.
    pub groups: BTreeSet<String>,
}

/// The worker in the emulator's state.
pub fn observe(state: &StateDump, worker: usize) -> Person {
    let (_, email) = identity(worker);
    let account = state.user(&email);
    let groups = account
        .map(|u| {
            u.groups
                .iter()
                .filter(|g| GROUPS.contains(&g.as_str()))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    match account.and_then(|u| u.scim.as_ref()) {
        Some(scim) => Person {
            exists: true,
            active: scim.active,
            title: scim.title.clone(),
            groups,
        },
        None => Person {
            groups,
            ..Person::default()
        },
    }
}

/// What `fact` should make of `pre`.
pub fn apply(pre: &Person, fact: &Fact) -> Person {
    let wanted: BTreeSet<String> = fact.groups.iter().cloned().collect();
    let mut next = pre.clone();
    match fact.lifecycle {
        "joiner" | "rehire" if !pre.exists => {
            next = Person {
                exists: true,
                active: true,
                title: Some(fact.title.clone()),
                groups: pre.groups.union(&wanted).cloned().collect(),
            };
            if fact.lifecycle == "rehire" {
                next.groups = wanted;
            }
        }
        "joiner" | "mover" | "rehire" if pre.exists => {
            next.title = Some(fact.title.clone());
            if fact.lifecycle == "rehire" {
                next.active = true;
            }
            next.groups = memberships(&pre.groups, &wanted, fact.mode, next.active);
        }
        "leaver" if pre.exists => {
            next.active = false;
            next.groups.clear();
        }
        "purge" => {
            next = Person::default();
        }
        _ => {}
    }
    next
}

/// Memberships after a change in `mode`; an inactive user gets no grants.
fn memberships(
    pre: &BTreeSet<String>,
    wanted: &BTreeSet<String>,
    mode: &str,
    active: bool,
) -> BTreeSet<String> {
    let kept: BTreeSet<String> = match mode {
        "remove" => pre.difference(wanted).cloned().collect(),
        "replace" => pre.intersection(wanted).cloned().collect(),
        _ => pre.clone(),
    };
    if !active || mode == "remove" {
        return kept;
    }
    kept.union(wanted).cloned().collect()
}

/// A user seen twice (by SCIM userName, by externalId, or two accounts with one e-mail).
pub fn duplicate(state: &StateDump) -> Option<String> {
    let mut names = BTreeSet::new();
    let mut external = BTreeSet::new();
    let mut emails = BTreeSet::new();
    for u in &state.users {
        if !emails.insert(u.email.to_lowercase()) {
            return Some(format!("two accounts for {}", u.email));
        }
        let Some(scim) = &u.scim else { continue };
        if !names.insert(scim.user_name.to_lowercase()) {
            return Some(format!("two SCIM users named {}", scim.user_name));
        }
        if let Some(x) = &scim.external_id {
            if !external.insert(x.clone()) {
                return Some(format!("two SCIM users with externalId {x}"));
            }
        }
    }
    None
}
