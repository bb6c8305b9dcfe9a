//! Group-name patterns for the grant rails: a name, or a name with `*`
//! standing for any run of characters (`*-admins`, `*-admins-*`). The
//! deny-list (`LCM_PRIVILEGED_GROUPS`) ignores case, because a case variant
//! of an administrative group is the obvious way around it; the allow-list
//! (`LCM_GRANTABLE_GROUPS`) is exact, like group names themselves.

/// A list of patterns, matched with or without regard to case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPatterns {
    patterns: Vec<String>,
    ignore_case: bool,
}

impl GroupPatterns {
    /// Patterns matched whatever the case (a deny-list).
    pub fn ignoring_case(patterns: Vec<String>) -> Self {
        GroupPatterns {
            patterns: patterns.iter().map(|p| p.to_lowercase()).collect(),
            ignore_case: true,
        }
    }

    /// Patterns matched exactly (an allow-list).
    pub fn exact(patterns: Vec<String>) -> Self {
        GroupPatterns {
            patterns,
            ignore_case: false,
        }
    }

    /// The patterns as given (lower-cased for a deny-list).
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The first pattern `name` matches, if any.
    pub fn matching(&self, name: &str) -> Option<&str> {
        let name = if self.ignore_case {
            name.to_lowercase()
        } else {
            name.to_string()
        };
        self.patterns
            .iter()
            .find(|p| glob(p, &name))
            .map(String::as_str)
    }

    /// True when `name` matches a pattern.
    pub fn matches(&self, name: &str) -> bool {
        self.matching(name).is_some()
    }
}

/// `*` matches any run of characters (none included); everything else is literal.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let middle: Vec<&str> = parts.collect();
    let Some((last, middle)) = middle.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(list: &[&str]) -> GroupPatterns {
        GroupPatterns::ignoring_case(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn literal_and_wildcards() {
        let d = deny(&["site-admins", "*-admins", "*-admins-*", "*-administrators"]);
        for name in [
            "site-admins",
            "jira-admins",
            "confluence-admins-acme",
            "jira-administrators",
        ] {
            assert!(d.matches(name), "{name}");
        }
        for name in [
            "site-admin",
            "admins",
            "jira-software-users",
            "administrators-x",
        ] {
            assert!(!d.matches(name), "{name}");
        }
        assert_eq!(d.matching("jira-admins"), Some("*-admins"));
    }

    #[test]
    fn deny_list_ignores_case_allow_list_does_not() {
        assert!(deny(&["site-admins"]).matches("Site-Admins"));
        assert!(deny(&["*-Admins"]).matches("JIRA-ADMINS"));
        let allow = GroupPatterns::exact(vec!["jira-*".into()]);
        assert!(allow.matches("jira-software-users"));
        assert!(!allow.matches("JIRA-software-users"));
    }

    #[test]
    fn star_alone_and_stars_in_a_row() {
        assert!(deny(&["*"]).matches("anything"));
        assert!(deny(&["a**b"]).matches("ab"));
        assert!(deny(&["a*b*a"]).matches("aba"));
        assert!(deny(&["a*b*a"]).matches("abba"));
        assert!(!deny(&["a*b*a"]).matches("ab"));
        assert!(!deny(&["ab*ba"]).matches("aba"));
    }
}
