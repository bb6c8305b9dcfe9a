//! A group's members: in the order they joined (the order listings show),
//! with a set beside the list so "is X a member" costs O(1) in a group of
//! 100,000 — a whole-organisation listing asks it for every person.

use std::collections::HashSet;

/// Account ids, in joining order, without duplicates.
#[derive(Debug, Clone, Default)]
pub(crate) struct Members {
    order: Vec<String>,
    set: HashSet<String>,
}

impl Members {
    /// How many.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// In joining order.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.order.iter()
    }

    /// True when `account_id` is a member.
    pub fn contains(&self, account_id: &str) -> bool {
        self.set.contains(account_id)
    }

    /// Adds at the end; false when already a member.
    pub fn insert(&mut self, account_id: &str) -> bool {
        if !self.set.insert(account_id.to_string()) {
            return false;
        }
        self.order.push(account_id.to_string());
        true
    }

    /// Removes; false when not a member.
    pub fn remove(&mut self, account_id: &str) -> bool {
        if !self.set.remove(account_id) {
            return false;
        }
        self.order.retain(|m| m != account_id);
        true
    }

    /// Removes everyone.
    pub fn clear(&mut self) {
        self.order.clear();
        self.set.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_refuses_duplicates() {
        let mut m = Members::default();
        assert!(m.insert("b") && m.insert("a") && !m.insert("b"));
        assert_eq!(m.iter().collect::<Vec<_>>(), ["b", "a"]);
        assert!(m.contains("a") && !m.contains("c"));
        assert!(m.remove("b") && !m.remove("b"));
        assert_eq!((m.len(), m.contains("b")), (1, false));
        m.clear();
        assert_eq!(m.len(), 0);
    }
}
