//! Atlassian Cloud in memory, over real HTTP: the user-provisioning (SCIM 2.0), Organizations
//! (Admin) v2 and user-management APIs on one base URL, with the same paths, bodies, status codes
//! and error shapes as Atlassian's, for development and tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use atlassian_emulator::{Emulator, Seed};
//! let emulator = Emulator::start(Seed::demo()).await?;
//! // LCM_SCIM_URL = emulator.scim_url(), LCM_ADMIN_BASE_URL = emulator.admin_base_url(), ...
//! let state = emulator.state();
//! assert!(state.group("engineering").unwrap().externally_synced);
//! # Ok(()) }
//! ```
//!
//! What it models (and where the rules live):
//! - Two directory ids: the SCIM one in the SCIM URL, and the Admin one from
//!   `GET /admin/v2/orgs/{orgId}/directories` ([`admin`](crate) module).
//! - SCIM users linked to Atlassian accounts; `active` flows to the account; `DELETE` removes the
//!   record, unlinks and deactivates the account, then 404s ([`state`](crate)).
//! - Groups: admin-managed (Admin only), synced (both; Admin refuses membership changes),
//!   SCIM-only, Admin-only synced ([`GroupKind`]).
//! - Account-visibility delay after SCIM create; user-management lifecycle refused while an
//!   account is SCIM-linked.
//! - Deterministic fault injection ([`Faults`]) and a request log without secrets
//!   ([`LoggedRequest`]).
//!
//! The `/__emulator` control API (state, log, faults, tokens, reset, info) is for the binary's users.
//!
//! Where things live: `handle` (the in-process [`Emulator`]), `program` (the binary's flags and
//! serve loop), `http_server` (the accept loop and the pipeline: faults, auth, log), `router` (the
//! axum routers), one module per API (`scim`, `admin`, `user_management`, `control`),
//! `app_state` (what handlers share, behind `State`), `state` (the org model), `snapshot` (its
//! public [`StateDump`]) and `clock` (the one place that reads the time).

// Handlers short-circuit with a ready `Response` as the error; these are cold paths where boxing
// would only add noise.
#![allow(clippy::result_large_err)]

mod admin;
mod api_errors;
mod app_state;
mod auth;
mod clock;
mod control;
mod faults;
mod handle;
mod http_server;
mod ids;
mod large_org;
mod log;
mod members;
mod products;
pub mod program;
mod router;
mod scim;
mod seed;
mod snapshot;
mod state;
mod timestamp;
mod user_management;

pub use faults::{Faults, ScriptedFault};
pub use handle::{Emulator, EmulatorInfo};
pub use large_org::{large_org, Drift, LargeOrg};
pub use log::{sequential_round_trips, writes, Api, LoggedRequest};
pub use program::{serve_forever, serve_forever_with, ServeArgs};
pub use seed::{EmulatorOptions, GroupKind, Seed, SeedGroup, SeedProducts, SeedSite, SeedUser};
pub use snapshot::{GroupDump, ScimUserDump, StateDump, UserDump};
