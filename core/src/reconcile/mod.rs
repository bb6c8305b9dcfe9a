//! Reconcile: converge Atlassian on the HR roster. The planner here is pure:
//! it takes the roster, one read of the directory and the managed scope, and
//! returns the plan (what differs, before → after, and the orphans), so that
//! planning costs no call beyond the directory read and the plan can be
//! shown, capped and tested before anything is written.
//!
//! - [`scope`]: which groups the roster is authoritative for;
//! - [`directory`]: Atlassian's people as one read saw them;
//! - [`plan`]: the plan, its entries and the summary counts;
//! - `diff`: roster × directory → plan.

mod diff;
pub mod directory;
pub mod plan;
pub mod scope;

pub use diff::plan;
pub use directory::{Directory, DirectoryUser};
pub use plan::{Orphan, Plan, PlanAction, PlanEntry, Summary};
pub use scope::Scope;
