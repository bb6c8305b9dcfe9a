//! The ordering ledger of a JavaScript host: `new AtlassianLcm(config,
//! { ledger })` with `ledger` an object of three async functions over the
//! host's own store (a database row per worker, a KV namespace, ...):
//!
//! - `get(key)` → the `LedgerEntry` stored under `key`, or `null`/`undefined`;
//! - `compareAndSet(key, expected, next)` → stores `next` only if what is
//!   stored under `key` equals `expected` (`null`: nothing stored), atomically,
//!   and resolves to whether it stored;
//! - `release(key, owner)` → clears `leaseOwner` and `leaseExpiresAtMs` under
//!   `key` if `owner` holds the lease.
//!
//! Entries are plain JSON (`{ fact?: { occurredAtMs, eventId, lifecycle },
//! leaseOwner?, leaseExpiresAtMs? }`); storing `next` as given and comparing
//! with `JSON.stringify` is enough. The rules (lease, staleness, never going
//! back in time) are the engine's [`StoreLedger`]; only the store is the host's.
//!
//! Without `ledger`, each instance orders events in its own memory, and every
//! report says so ([`MEMORY_WARNING`]).

use atlassian_lcm::ledger::{CasStore, LedgerEntry, LedgerError, MemoryLedger, StoreLedger};
use atlassian_lcm::platform::BoxFuture;
use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::errors::{invalid_config, message_of, JsResult};
use crate::json;

/// The warning every report of an instance without a `ledger` carries.
pub const MEMORY_WARNING: &str = "no ledger was given to new AtlassianLcm(config, { ledger }): \
     events are ordered only within this instance (in memory), not across instances or \
     processes; pass a ledger backed by a shared store";

/// The in-memory ledger of an instance without one.
pub fn memory_ledger() -> MemoryLedger {
    MemoryLedger::with_warning(MEMORY_WARNING)
}

/// A [`CasStore`] over the host's `{ get, compareAndSet, release }`.
pub struct JsStore {
    this: JsValue,
    get: Function,
    compare_and_set: Function,
    release: Function,
}

/// The engine's ledger over a JavaScript store.
pub type JsLedger = StoreLedger<JsStore>;

impl JsStore {
    /// Checks `ledger` has the three functions; `invalid_config` naming
    /// `ledger` (or `ledger.<method>`) otherwise.
    pub fn from_js(ledger: &JsValue) -> JsResult<JsStore> {
        if !ledger.is_object() {
            return Err(invalid_config(&[(
                "ledger".into(),
                "the ledger must be an object with async get, compareAndSet and release functions"
                    .into(),
            )]));
        }
        let method = |name: &str| {
            js_sys::Reflect::get(ledger, &JsValue::from_str(name))
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
                .ok_or_else(|| {
                    invalid_config(&[(
                        format!("ledger.{name}"),
                        format!("the ledger has no {name} function (it needs get, compareAndSet and release)"),
                    )])
                })
        };
        Ok(JsStore {
            this: ledger.clone(),
            get: method("get")?,
            compare_and_set: method("compareAndSet")?,
            release: method("release")?,
        })
    }

    /// Calls `f` with `args` on the ledger object and awaits what it returns.
    async fn call(
        &self,
        name: &str,
        f: &Function,
        args: &[JsValue],
    ) -> Result<JsValue, LedgerError> {
        let array: js_sys::Array = args.iter().collect();
        let returned = f.apply(&self.this, &array).map_err(|e| failed(name, &e))?;
        JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|e| failed(name, &e))
    }
}

fn failed(name: &str, e: &JsValue) -> LedgerError {
    LedgerError(format!("the ledger's {name} failed: {}", message_of(e)))
}

fn entry_to_js(entry: Option<&LedgerEntry>) -> Result<JsValue, LedgerError> {
    match entry {
        None => Ok(JsValue::NULL),
        Some(e) => json::to_js(e).map_err(|e| failed("entry conversion", &e)),
    }
}

impl CasStore for JsStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<LedgerEntry>, LedgerError>> {
        Box::pin(async move {
            let value = self
                .call("get", &self.get, &[JsValue::from_str(key)])
                .await?;
            let Some(value) = json::from_js_optional(&value).map_err(|m| {
                LedgerError(format!("the ledger's get resolved to a value that {m}"))
            })?
            else {
                return Ok(None);
            };
            serde_json::from_value(value).map(Some).map_err(|e| {
                LedgerError(format!(
                    "the ledger's get resolved to something that is not a LedgerEntry ({e})"
                ))
            })
        })
    }

    fn compare_and_set<'a>(
        &'a self,
        key: &'a str,
        expected: Option<&'a LedgerEntry>,
        next: &'a LedgerEntry,
    ) -> BoxFuture<'a, Result<bool, LedgerError>> {
        Box::pin(async move {
            let args = [
                JsValue::from_str(key),
                entry_to_js(expected)?,
                entry_to_js(Some(next))?,
            ];
            let stored = self
                .call("compareAndSet", &self.compare_and_set, &args)
                .await?;
            stored.as_bool().ok_or_else(|| {
                LedgerError("the ledger's compareAndSet must resolve to true or false".into())
            })
        })
    }

    fn release<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
    ) -> BoxFuture<'a, Result<(), LedgerError>> {
        Box::pin(async move {
            let args = [JsValue::from_str(key), JsValue::from_str(owner)];
            self.call("release", &self.release, &args).await.map(drop)
        })
    }
}
