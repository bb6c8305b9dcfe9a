//! One read of both systems for a reconcile: every SCIM user (100 a page)
//! and every Admin account with its groups (100 a page), side by side, so
//! the reads grow with pages, never with people.
//!
//! Memory grows with people, so each page is cut down as it arrives: an
//! Admin account is read as its id, e-mail and group names only; a SCIM
//! user loses what planning never looks at (its e-mails, `meta`, group ids);
//! and every group name is held once, shared by all its members. That is
//! what keeps planning 100,000 people inside 256 MiB.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use super::directory::{Directory, DirectoryUser};
use crate::admin::Admin;
use crate::ids::AccountId;
use crate::scim::users::ScimUser;
use crate::scim::Scim;
use crate::transport::{ApiError, Transport};

/// An Admin account as a reconcile reads it (the other fields of the
/// record are skipped while parsing, never held).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Member {
    account_id: AccountId,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    groups: Vec<MemberGroup>,
}

#[derive(Debug, Deserialize)]
struct MemberGroup {
    #[serde(default)]
    name: Option<String>,
}

/// An account cut down to what the join needs.
struct Account {
    account_id: AccountId,
    email: Option<String>,
    groups: Vec<Arc<str>>,
}

/// Group names, each held once however many people are in the group.
#[derive(Debug, Default)]
struct Names(Mutex<HashSet<Arc<str>>>);

impl Names {
    fn intern(&self, name: &str) -> Arc<str> {
        let mut set = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = set.get(name) {
            return Arc::clone(known);
        }
        let name: Arc<str> = Arc::from(name);
        set.insert(Arc::clone(&name));
        name
    }
}

/// Reads the directory: SCIM users joined to their Admin accounts by
/// account id (else by e-mail), each with every group it is in, by name.
pub async fn read_directory(t: &Transport) -> Result<Directory, ApiError> {
    let scim = Scim::new(t);
    let admin = Admin::new(t);
    let names = Names::default();
    let mut users: Vec<(ScimUser, Vec<Arc<str>>)> = Vec::new();
    let mut accounts: Vec<Account> = Vec::new();
    let read_users = scim.each_page("Users", None, |page: Vec<ScimUser>, total| {
        if users.is_empty() {
            users.reserve_exact(total.min(MAX_RESERVED));
        }
        users.extend(page.into_iter().map(|mut user| {
            let groups = std::mem::take(&mut user.groups)
                .into_iter()
                .filter_map(|g| g.display)
                .map(|g| names.intern(&g))
                .collect();
            user.emails = Vec::new();
            user.meta = None;
            (user, groups)
        }));
    });
    let read_accounts = admin.each_user_page(|page: Vec<Member>| {
        accounts.extend(page.into_iter().map(|m| {
            Account {
                account_id: m.account_id,
                email: m.email,
                groups: m
                    .groups
                    .into_iter()
                    .filter_map(|g| g.name)
                    .map(|g| names.intern(&g))
                    .collect(),
            }
        }));
    });
    futures::try_join!(read_users, read_accounts)?;
    Ok(join(users, accounts))
}

/// The most SCIM users reserved for up front, whatever total the server
/// announces (past it the list still grows as it is read).
const MAX_RESERVED: usize = 1_000_000;

/// SCIM users with the groups both systems list for them. An account with
/// no SCIM user is not ours to reconcile (it was never provisioned through
/// this directory), so it is left out.
fn join(users: Vec<(ScimUser, Vec<Arc<str>>)>, accounts: Vec<Account>) -> Directory {
    let mut by_id: HashMap<&AccountId, usize> = HashMap::with_capacity(accounts.len());
    let mut by_email: HashMap<String, usize> = HashMap::with_capacity(accounts.len());
    for (i, a) in accounts.iter().enumerate() {
        by_id.insert(&a.account_id, i);
        if let Some(e) = &a.email {
            by_email.insert(e.to_lowercase(), i);
        }
    }
    let people = users
        .into_iter()
        .map(|(user, scim_groups)| {
            let account_id = user.account_id();
            let account = account_id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .or_else(|| by_email.get(&user.user_name.to_lowercase()))
                .map(|&i| &accounts[i]);
            let mut groups: BTreeSet<Arc<str>> = scim_groups.into_iter().collect();
            if let Some(a) = account {
                groups.extend(a.groups.iter().cloned());
            }
            DirectoryUser {
                account_id: account_id.or_else(|| account.map(|a| a.account_id.clone())),
                user,
                groups,
            }
        })
        .collect();
    Directory::new(people)
}
