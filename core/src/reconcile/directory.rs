//! Atlassian's people as one read of both systems saw them: each SCIM user
//! with its account and every group it is in (SCIM and Admin, by name).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::ids::AccountId;
use crate::scim::users::ScimUser;

/// One person in Atlassian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The SCIM record: identity, attributes, `active`.
    pub user: ScimUser,
    /// The Atlassian account, when linked.
    pub account_id: Option<AccountId>,
    /// Every group the person is in, by name (each name shared by all its
    /// members: a directory of 100,000 holds a few hundred names).
    pub groups: BTreeSet<Arc<str>>,
}

/// Everyone, indexed for matching roster lines without a scan each.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    users: Vec<DirectoryUser>,
    by_external_id: HashMap<String, usize>,
    by_user_name: HashMap<String, usize>,
}

impl Directory {
    /// Indexes `users` by `externalId` and by `userName` without case (as
    /// Atlassian compares e-mails).
    pub fn new(users: Vec<DirectoryUser>) -> Directory {
        let mut by_external_id = HashMap::new();
        let mut by_user_name = HashMap::new();
        for (i, u) in users.iter().enumerate() {
            if let Some(x) = u.user.external_id.as_deref().filter(|x| !x.is_empty()) {
                by_external_id.entry(x.to_string()).or_insert(i);
            }
            by_user_name
                .entry(u.user.user_name.to_lowercase())
                .or_insert(i);
        }
        Directory {
            users,
            by_external_id,
            by_user_name,
        }
    }

    /// Everyone, in read order.
    pub fn users(&self) -> &[DirectoryUser] {
        &self.users
    }

    /// The user whose `externalId` is `hr_id`, else whose `userName` is
    /// `email`: the order the actions look people up in.
    pub fn find(&self, hr_id: &str, email: &str) -> Option<usize> {
        self.by_external_id
            .get(hr_id)
            .or_else(|| self.by_user_name.get(&email.to_lowercase()))
            .copied()
    }

    /// The user at `index` (from [`Directory::find`]).
    pub fn get(&self, index: usize) -> &DirectoryUser {
        &self.users[index]
    }
}
