//! A large organisation with known drift, for reconcile tests and benchmarks:
//! a seed of `people` workers in Atlassian and the HR roster (JSON Lines)
//! that differs from it in exactly the counts [`Drift`] reports. The same
//! `seed` always gives the same organisation.

use serde_json::json;

use crate::ids::SplitMix64;
use crate::seed::{GroupKind, Seed, SeedGroup, SeedUser};

/// Teams (synced groups) people are spread over; one product group each.
const TEAMS: usize = 20;

/// How the roster differs from Atlassian, by kind: each person drifts in
/// at most one way, so the counts add up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drift {
    /// On the roster, not in Atlassian.
    pub new_hires: usize,
    /// Terminated on the roster, active in Atlassian.
    pub terminated: usize,
    /// A new title.
    pub retitled: usize,
    /// Moved to another team: one membership added, one removed.
    pub moved: usize,
    /// In Atlassian (SCIM), not on the roster.
    pub orphans: usize,
}

impl Drift {
    /// People whose state differs (orphans included).
    pub fn total(&self) -> usize {
        self.new_hires + self.terminated + self.retitled + self.moved + self.orphans
    }
}

/// The organisation, its roster and its drift.
#[derive(Debug, Clone)]
pub struct LargeOrg {
    /// What Atlassian holds.
    pub seed: Seed,
    /// The HR roster: one JSON object per line.
    pub roster: String,
    /// What the roster changes.
    pub drift: Drift,
}

/// `people` workers, of whom about `drift_percent` % drift (split evenly
/// over the five kinds), drawn from `seed`.
pub fn large_org(people: usize, drift_percent: f64, seed: u64) -> LargeOrg {
    let mut rng = SplitMix64::new(seed);
    let mut org = Seed::demo();
    org.users.clear();
    org.groups = (0..TEAMS)
        .flat_map(|t| {
            [
                SeedGroup::new(team(t), GroupKind::Synced),
                SeedGroup::new(format!("product-{t:02}"), GroupKind::AdminManaged),
            ]
        })
        .collect();
    let mut roster = String::with_capacity(people * 160);
    let mut drift = Drift::default();
    for i in 0..people {
        let t = i % TEAMS;
        let (email, hr) = (format!("p{i:06}@example.com"), format!("H{i:06}"));
        let groups = vec![team(t), format!("product-{t:02}")];
        let mut title = "Engineer".to_string();
        let mut line_groups = groups.clone();
        let mut status = "active";
        let mut in_atlassian = true;
        let mut on_roster = true;
        if rng.next_f64() * 100.0 < drift_percent {
            match i % 5 {
                0 => (in_atlassian, drift.new_hires) = (false, drift.new_hires + 1),
                1 => (status, drift.terminated) = ("terminated", drift.terminated + 1),
                2 => (title, drift.retitled) = ("Senior Engineer".into(), drift.retitled + 1),
                3 => {
                    line_groups[0] = team((t + 1) % TEAMS);
                    drift.moved += 1;
                }
                _ => (on_roster, drift.orphans) = (false, drift.orphans + 1),
            }
        }
        if in_atlassian {
            org.users.push(SeedUser {
                external_id: Some(hr.clone()),
                given_name: Some("Person".into()),
                family_name: Some(format!("{i}")),
                title: Some("Engineer".into()),
                groups,
                ..SeedUser::new(&email, format!("Person {i}"))
            });
        }
        if on_roster {
            let line = json!({
                "hrId": hr, "workEmail": email, "givenName": "Person", "familyName": format!("{i}"),
                "title": title, "status": status, "groups": line_groups,
            });
            roster.push_str(&line.to_string());
            roster.push('\n');
        }
    }
    LargeOrg {
        seed: org,
        roster,
        drift,
    }
}

fn team(t: usize) -> String {
    format!("team-{t:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_org_and_the_drift_adds_up() {
        let a = large_org(1_000, 10.0, 7);
        let b = large_org(1_000, 10.0, 7);
        assert_eq!(a.roster, b.roster);
        assert_eq!(a.drift, b.drift);
        let d = a.drift;
        assert!((60..=140).contains(&d.total()), "about 10 %: {d:?}");
        assert_eq!(a.seed.users.len(), 1_000 - d.new_hires);
        assert_eq!(a.roster.lines().count(), 1_000 - d.orphans);
        a.seed.validate().expect("a valid seed");
        assert_eq!(large_org(100, 0.0, 1).drift, Drift::default());
    }
}
