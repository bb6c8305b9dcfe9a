//! # atlassian-lcm-wasm
//!
//! The WebAssembly host of the Atlassian Cloud user-lifecycle connector: a
//! JavaScript class, `AtlassianLcm`, over the [`atlassian_lcm`] engine, for
//! Node 18+, Deno, edge workers and browsers. It is a thin host, like the CLI
//! and the Lambda: it turns JavaScript values into the engine's input, builds
//! the configuration, calls the engine and hands back the engine's own report
//! as a plain JavaScript object (camelCase, the same JSON as every host).
//!
//! What it brings to the engine:
//! - an `HttpClient` over a JavaScript
//!   `fetch` — injected, or the global one (`fetch`);
//! - a `Sleep` over `setTimeout` and a
//!   `Clock` over `Date.now()` (`timers`);
//! - the ordering ledger over the caller's `{ get, compareAndSet, release }`,
//!   or in memory per instance with a warning in every report (`ledger`);
//! - errors as JavaScript `Error`s with a stable `code` ([`errors`]);
//! - the `capabilities()` description ([`capabilities`]);
//! - `reconcile()`: a roster in, the core's reconcile document out (`reconcile`).
//!
//! No Atlassian logic lives here. A report whose outcome is `failed` is
//! returned, not thrown: only input the engine refuses before doing anything
//! (`invalid_input`, `invalid_config`) rejects the promise.
//!
//! The TypeScript types of this surface are hand-written in `wasm/js/index.d.ts`;
//! `tests` below checks them against the engine's serializations.

pub mod capabilities;
pub mod errors;
#[cfg(target_arch = "wasm32")]
pub mod fetch;
pub mod json;
#[cfg(target_arch = "wasm32")]
pub mod ledger;
#[cfg(target_arch = "wasm32")]
pub mod reconcile;
#[cfg(target_arch = "wasm32")]
pub mod timers;

// The class and the JavaScript-backed client, sleeper and clock exist on wasm32
// only: the engine wants `Send` futures on native targets, and JavaScript
// promises are not. The rest (errors, capabilities, and the type checks in
// `tests`) builds and runs natively too.
#[cfg(target_arch = "wasm32")]
mod class;
#[cfg(target_arch = "wasm32")]
pub use class::AtlassianLcm;

/// The package version (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests;
