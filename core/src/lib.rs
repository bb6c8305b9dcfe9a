//! # atlassian-lcm
//!
//! The engine of an Atlassian Cloud user-lifecycle connector: HR says someone
//! joined, moved, left, came back or must be erased; this crate turns that
//! into the right calls on Atlassian's SCIM, Admin and user-management APIs,
//! safely (idempotent, minimal writes, safety rails, dry runs) and with a
//! report that says exactly what changed.
//!
//! The crate has no async runtime and builds for `wasm32-unknown-unknown`.
//! Hosts inject an [`http::HttpClient`], a [`clock::Sleep`] and a
//! [`clock::Clock`]; the `reqwest` feature provides native ones.
//!
//! ```no_run
//! # #[cfg(feature = "reqwest")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use atlassian_lcm::{Config, Lcm, RawConfig, RunOptions};
//! let config = Config::from_raw(&RawConfig::from_env(|k| std::env::var(k).ok()))?;
//! let lcm = Lcm::native(config)?;
//! let event = serde_json::from_str(&std::fs::read_to_string("event.json")?)?;
//! let report = lcm.run_json(&event, RunOptions::default()).await?;
//! println!("{}", report.outcome.as_str());
//! # Ok(()) }
//! ```

mod actions;
pub mod admin;
pub mod bulk;
mod cache;
pub mod capabilities;
pub mod clock;
pub mod config;
pub mod engine;
pub mod event;
pub mod group_patterns;
pub mod http;
pub mod ids;
pub mod ledger;
#[cfg(feature = "reqwest")]
pub mod native;
mod ordering;
pub mod platform;
pub mod products;
pub mod reconcile;
pub mod report;
pub mod retry;
pub mod scim;
pub mod secret;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod transport;
pub mod user_management;
pub mod worker;
pub mod worker_state;

pub use actions::groups::{decide as decide_group_route, ResolvedGroup, Route};
pub use config::{Config, ConfigError, RawConfig};
pub use engine::{Lcm, RunOptions};
pub use event::{parse_request, parse_request_str, InputError, Request, Timestamp};
pub use report::{ActionKind, ErrorCode, Outcome, Report};
pub use secret::Secret;
pub use worker::Worker;
