//! The plan a reconcile makes: per roster worker what differs (before →
//! after), per orphan what Atlassian holds, and the summary counts, in the
//! JSON shape `lcm reconcile --json` prints.

use serde::{Deserialize, Serialize};

use crate::actions::rails::refusal;
use crate::config::Safety;
use crate::report::ErrorCode;
use crate::scim::users::Change;

/// What a reconcile does for one roster worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PlanAction {
    /// Active in HR, absent from Atlassian: create, then add the groups.
    Create,
    /// Active in HR and in Atlassian with something different: attributes,
    /// `externalId` (adopting an unclaimed user), `active`, memberships.
    Update,
    /// Terminated in HR, still active or in groups: remove every
    /// membership, then deactivate (as a leaver does).
    Deprovision,
    /// Nothing differs.
    Unchanged,
    /// Matched a user another provisioner owns: never touched.
    Skip,
}

/// One attribute, before → after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    /// SCIM attribute path.
    pub path: String,
    /// Atlassian's value now.
    pub before: Option<String>,
    /// The roster's value.
    pub after: String,
}

impl From<Change> for AttributeChange {
    fn from(c: Change) -> Self {
        AttributeChange {
            path: c.path.to_string(),
            before: c.before,
            after: c.after,
        }
    }
}

/// The plan for one roster worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanEntry {
    /// The roster line.
    pub line: usize,
    /// HR id.
    pub hr_id: String,
    /// Work e-mail.
    pub email: String,
    /// What happens.
    pub action: PlanAction,
    /// Attributes that change (an adoption shows as `externalId` from none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<AttributeChange>,
    /// The user is deactivated in Atlassian and active in HR.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reactivate: bool,
    /// Groups to add (in scope).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Groups to remove (in scope; every group for a deprovision).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// The SCIM user, when Atlassian has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scim_user_id: Option<String>,
    /// The account, when linked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Why an entry is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Groups HR wants the worker in that the rails forbid granting
    /// (`LCM_PRIVILEGED_GROUPS`, `LCM_GRANTABLE_GROUPS`): taken out of `add`
    /// when planning, so no event, in this process or in a batch, asks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<RefusedGroup>,
    /// The groups in scope HR wants the worker in (what `add` and `remove`
    /// lead to), for applying the entry.
    #[serde(skip)]
    pub wanted: Vec<String>,
}

impl PlanEntry {
    /// True when the worker's attributes (or `active`) change.
    pub fn updates_attributes(&self) -> bool {
        self.action == PlanAction::Update && (!self.changes.is_empty() || self.reactivate)
    }
}

/// A group a plan may not grant, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedGroup {
    /// The group's name.
    pub group: String,
    /// `group_not_grantable`.
    pub code: ErrorCode,
    /// Which rail refuses it.
    pub message: String,
}

/// A SCIM user no roster worker matches by `externalId` or e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    /// The login e-mail.
    pub email: String,
    /// SCIM id.
    pub scim_user_id: String,
    /// The account, when linked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Its `externalId`, which decides whether it may be ours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Active in Atlassian.
    pub active: bool,
    /// Every group it is in.
    pub groups: Vec<String>,
}

/// The counts `--json` prints under `summary`: planned counts when planning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Summary {
    /// People to create.
    pub create: usize,
    /// People whose attributes change, adoptions and reactivations included.
    pub update: usize,
    /// People to deprovision.
    pub deprovision: usize,
    /// Memberships added for active workers (a create's included).
    pub memberships_added: usize,
    /// Memberships removed from active workers (a deprovision's are its own).
    pub memberships_removed: usize,
    /// SCIM users no roster worker matches.
    pub orphans: usize,
    /// Roster workers for whom nothing differs.
    pub unchanged: usize,
    /// Roster workers matched to another provisioner's user, left alone.
    pub skipped: usize,
}

/// The whole plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// One per roster worker, in roster order.
    pub entries: Vec<PlanEntry>,
    /// SCIM users no roster worker matches.
    pub orphans: Vec<Orphan>,
}

impl Summary {
    /// Adds `other`'s changes and unchanged (not its orphans or skipped,
    /// which describe the whole plan, not a part of it).
    pub fn add_changes(&mut self, other: &Summary) {
        self.create += other.create;
        self.update += other.update;
        self.deprovision += other.deprovision;
        self.memberships_added += other.memberships_added;
        self.memberships_removed += other.memberships_removed;
        self.unchanged += other.unchanged;
    }
}

impl Plan {
    /// The counts, by the rules [`Summary`]'s fields state.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            orphans: self.orphans.len(),
            ..Summary::default()
        };
        for e in &self.entries {
            match e.action {
                PlanAction::Create => s.create += 1,
                PlanAction::Deprovision => s.deprovision += 1,
                PlanAction::Unchanged => s.unchanged += 1,
                PlanAction::Skip => s.skipped += 1,
                PlanAction::Update => s.update += usize::from(e.updates_attributes()),
            }
            if matches!(e.action, PlanAction::Create | PlanAction::Update) {
                s.memberships_added += e.add.len();
                s.memberships_removed += e.remove.len();
            }
        }
        s
    }
}

impl Plan {
    /// Takes out of every planned `add` the groups the rails forbid granting
    /// (`LCM_PRIVILEGED_GROUPS`, `LCM_GRANTABLE_GROUPS`), recording each
    /// under the entry's `refused`, so the plan is checked before anything
    /// runs and no batch ever asks. An update left with nothing to do is
    /// skipped, with the reason.
    pub fn refuse_ungrantable(&mut self, safety: &Safety) {
        for e in &mut self.entries {
            if !matches!(e.action, PlanAction::Create | PlanAction::Update) {
                continue;
            }
            let mut refused = Vec::new();
            e.add.retain(|group| match refusal(safety, group) {
                Some(why) => {
                    refused.push(RefusedGroup {
                        group: group.clone(),
                        code: why.code,
                        message: why.message,
                    });
                    false
                }
                None => true,
            });
            if refused.is_empty() {
                continue;
            }
            e.wanted.retain(|g| refused.iter().all(|r| &r.group != g));
            e.refused = refused;
            let idle = !e.updates_attributes() && e.add.is_empty() && e.remove.is_empty();
            if e.action == PlanAction::Update && idle {
                e.action = PlanAction::Skip;
                e.reason = Some(
                    "its only change is a group the rails refuse to grant (see refused)".into(),
                );
            }
        }
    }

    /// Why the plan is refused whole under `cap` (nothing may be sent), or
    /// `None` when its deprovisions fit. `extra` counts deprovisions beyond
    /// the entries' own (orphans, when they are to be deprovisioned).
    pub fn over_cap(&self, cap: DeprovisionCap, extra: usize) -> Option<String> {
        let planned = self.summary().deprovision + extra;
        let limit = cap.limit(self.entries.len());
        (planned > limit).then(|| {
            format!(
                "the plan deprovisions {planned} people, more than LCM_MAX_DEPROVISIONS allows ({limit} for a roster of {}); nothing was sent",
                self.entries.len()
            )
        })
    }
}

/// `LCM_MAX_DEPROVISIONS`: how many deprovisions one plan may hold, as a
/// count or a share of the roster (like Entra's accidental-deletion
/// threshold); a plan over it is refused whole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeprovisionCap {
    /// At most this many.
    Count(usize),
    /// At most this percentage of the roster's workers (rounded down).
    Percent(f64),
}

// A cap's percentage is never NaN (`parse` takes 0 to 100 only), so equality
// is total and configurations holding a cap can be compared.
impl Eq for DeprovisionCap {}

/// `LCM_ORPHANS`: what a reconcile does with SCIM users no roster worker
/// matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrphanPolicy {
    /// List them, change nothing (the default).
    #[default]
    Report,
    /// Deprovision those whose `externalId` looks like ours, within the
    /// deprovision cap; list the others.
    Deprovision,
}

impl Default for DeprovisionCap {
    fn default() -> Self {
        DeprovisionCap::Percent(5.0)
    }
}

impl DeprovisionCap {
    /// Reads `12` or `5%`.
    pub fn parse(text: &str) -> Result<DeprovisionCap, String> {
        let text = text.trim();
        let bad = || format!("`{text}` is not a count (12) or a percentage of the roster (5%)");
        match text.strip_suffix('%') {
            Some(p) => match p.trim().parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(DeprovisionCap::Percent(p)),
                _ => Err(bad()),
            },
            None => text.parse().map(DeprovisionCap::Count).map_err(|_| bad()),
        }
    }

    /// The most deprovisions allowed for a roster of `workers`.
    pub fn limit(self, workers: usize) -> usize {
        match self {
            DeprovisionCap::Count(n) => n,
            DeprovisionCap::Percent(p) => (workers as f64 * p / 100.0).floor() as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deprovisions(n: usize, of: usize) -> Plan {
        let entry = |action| PlanEntry {
            line: 1,
            hr_id: "E".into(),
            email: "e@example.com".into(),
            action,
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
        let mut entries = vec![entry(PlanAction::Deprovision); n];
        entries.resize(of, entry(PlanAction::Unchanged));
        Plan {
            entries,
            orphans: Vec::new(),
        }
    }

    #[test]
    fn a_plan_over_the_cap_is_refused_whole() {
        let cap = DeprovisionCap::default();
        assert_eq!(deprovisions(5, 100).over_cap(cap, 0), None, "5 % of 100");
        let why = deprovisions(6, 100).over_cap(cap, 0).unwrap();
        assert!(why.starts_with("the plan deprovisions 6 people"), "{why}");
        assert!(why.contains("(5 for a roster of 100)"), "{why}");
        assert!(
            deprovisions(5, 100).over_cap(cap, 1).is_some(),
            "orphans count too"
        );
        assert_eq!(
            deprovisions(0, 10).over_cap(DeprovisionCap::Count(0), 0),
            None
        );
    }

    #[test]
    fn the_cap_reads_counts_and_percentages() {
        assert_eq!(DeprovisionCap::parse("12"), Ok(DeprovisionCap::Count(12)));
        assert_eq!(DeprovisionCap::parse("5%").unwrap().limit(1000), 50);
        assert_eq!(DeprovisionCap::parse(" 2.5 % ").unwrap().limit(100), 2);
        assert_eq!(DeprovisionCap::default().limit(39), 1);
        for bad in ["", "-1", "five", "120%", "%"] {
            let e = DeprovisionCap::parse(bad).unwrap_err();
            assert!(e.contains("is not a count"), "{bad}: {e}");
        }
    }
}
