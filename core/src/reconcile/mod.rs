//! Reconcile: converge Atlassian on the HR roster. The planner here is pure:
//! it takes the roster, one read of the directory and the managed scope, and
//! returns the plan (what differs, before → after, and the orphans), so that
//! planning costs no call beyond the directory read and the plan can be
//! shown, capped and tested before anything is written.
//!
//! - [`scope`]: which groups the roster is authoritative for;
//! - [`directory`]: Atlassian's people as one read saw them;
//! - [`plan`]: the plan, its entries and the summary counts;
//! - [`read`]: that one read, O(pages);
//! - [`events`]: a plan entry as the lifecycle event that applies it;
//! - [`items`]: the plan as self-contained items (one event each) and a
//!   batch of them applied, for a distributed apply;
//! - `diff`: roster × directory → plan;
//! - [`apply`]: plan or apply as one call (roster text → [`ReconcileDocument`]);
//! - [`document`]: that JSON document, the same from every host.

pub mod apply;
mod diff;
pub mod directory;
pub mod document;
pub mod events;
pub mod items;
pub mod plan;
pub mod read;
pub mod scope;

pub use apply::{ReconcileError, ReconcileOptions};
pub use diff::plan;
pub use directory::{Directory, DirectoryUser};
pub use document::{
    DocumentEntry, DocumentOrphan, OrphanAction, ReconcileDocument, Refusal,
    DEPROVISION_CAP_EXCEEDED,
};
pub use items::{plan_items, AppliedBatch, BatchTally, ItemResult, PlanItem};
pub use plan::{DeprovisionCap, Orphan, OrphanPolicy, Plan, PlanAction, PlanEntry, Summary};
pub use read::read_directory;
pub use scope::Scope;

use crate::engine::{Lcm, RunOptions};
use crate::event::Roster;
use crate::transport::ApiError;

/// A plan with what it cost to make.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// Requests that reached Atlassian while planning (all reads).
    pub api_calls: u32,
}

impl Lcm {
    /// Reads the directory once and plans the reconcile of `roster`, with
    /// `managed` as the scope's patterns (`LCM_MANAGED_GROUPS`; `None`: the
    /// roster's own groups). Writes nothing.
    pub async fn plan_reconcile(
        &self,
        roster: &Roster,
        managed: Option<Vec<String>>,
        options: RunOptions,
    ) -> Result<Planned, ApiError> {
        let transport = self.transport(RunOptions {
            dry_run: true,
            ..options
        });
        let directory = read_directory(&transport).await?;
        let scope = Scope::new(managed, roster);
        Ok(Planned {
            plan: plan(roster, &directory, &scope),
            api_calls: transport.counts().0,
        })
    }
}
