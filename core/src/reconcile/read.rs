//! One read of both systems for a reconcile: every SCIM user (100 a page)
//! and every Admin account with its groups (100 a page), side by side, so
//! the reads grow with pages, never with people.

use std::collections::{BTreeSet, HashMap};

use super::directory::{Directory, DirectoryUser};
use crate::admin::users::AdminUser;
use crate::admin::Admin;
use crate::ids::AccountId;
use crate::scim::users::ScimUser;
use crate::scim::Scim;
use crate::transport::{ApiError, Transport};

/// Reads the directory: SCIM users joined to their Admin accounts by
/// account id (else by e-mail), each with every group it is in, by name.
pub async fn read_directory(t: &Transport) -> Result<Directory, ApiError> {
    let scim = Scim::new(t);
    let admin = Admin::new(t);
    let (users, accounts) =
        futures::try_join!(scim.list_all::<ScimUser>("Users", None), admin.all_users())?;
    Ok(join(users, accounts))
}

/// SCIM users with the groups both systems list for them. An account with
/// no SCIM user is not ours to reconcile (it was never provisioned through
/// this directory), so it is left out.
fn join(users: Vec<ScimUser>, accounts: Vec<AdminUser>) -> Directory {
    let mut by_id: HashMap<AccountId, usize> = HashMap::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for (i, a) in accounts.iter().enumerate() {
        by_id.insert(a.account_id.clone(), i);
        if let Some(e) = &a.email {
            by_email.insert(e.to_lowercase(), i);
        }
    }
    let people = users
        .into_iter()
        .map(|user| {
            let account_id = user.account_id();
            let account = account_id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .or_else(|| by_email.get(&user.user_name.to_lowercase()))
                .map(|&i| &accounts[i]);
            let mut groups: BTreeSet<String> = user
                .groups
                .iter()
                .filter_map(|g| g.display.clone())
                .collect();
            if let Some(a) = account {
                groups.extend(a.groups.iter().filter_map(|g| g.name.clone()));
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
