//! The managed scope: the groups whose membership the roster decides.
//! Groups outside it are never touched by a reconcile, except that a
//! deprovision removes every membership, as a leaver does.

use std::collections::BTreeSet;

use crate::event::Roster;
use crate::group_patterns::GroupPatterns;

/// Which groups are in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `LCM_MANAGED_GROUPS`: names or `*` patterns, matched exactly (group
    /// names are case-sensitive in Atlassian).
    Managed(GroupPatterns),
    /// Unset: exactly the groups named anywhere in the roster.
    Named(BTreeSet<String>),
}

impl Scope {
    /// The scope for `roster`: the managed patterns when given, else the
    /// roster's own group names.
    pub fn new(managed: Option<Vec<String>>, roster: &Roster) -> Scope {
        match managed {
            Some(patterns) => Scope::Managed(GroupPatterns::exact(patterns)),
            None => Scope::Named(
                roster
                    .entries
                    .iter()
                    .flat_map(|e| e.groups.iter().cloned())
                    .collect(),
            ),
        }
    }

    /// True when the roster decides membership of `group`.
    pub fn contains(&self, group: &str) -> bool {
        match self {
            Scope::Managed(p) => p.matches(group),
            Scope::Named(names) => names.contains(group),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse_roster;

    #[test]
    fn unset_scope_is_the_roster_groups_and_patterns_match_exactly() {
        let roster = parse_roster(
            r#"{"hrId":"E1","workEmail":"a@example.com","groups":["eng"]}
{"hrId":"E2","workEmail":"b@example.com","groups":["ops","eng"]}"#,
        )
        .unwrap();
        let named = Scope::new(None, &roster);
        assert!(named.contains("eng") && named.contains("ops"));
        assert!(!named.contains("jira-admins") && !named.contains("Eng"));
        let managed = Scope::new(Some(vec!["team-*".into()]), &roster);
        assert!(managed.contains("team-a"));
        assert!(
            !managed.contains("eng"),
            "the roster's names do not widen a managed scope"
        );
        assert!(!managed.contains("Team-a"));
    }
}
