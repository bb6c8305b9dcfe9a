//! The `AtlassianLcm` class: the JavaScript surface. Each method turns its
//! arguments into the engine's JSON input, runs the engine and resolves to the
//! report as a plain object; input the engine refuses rejects with an
//! `AtlassianLcmError` (see [`crate::errors`]).

use std::sync::Arc;

use atlassian_lcm::config::Source;
use atlassian_lcm::ledger::Ledger;
use atlassian_lcm::{parse_request, Config, Lcm, RawConfig, RunOptions};
use js_sys::{Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::errors::{self, invalid_config, invalid_input, JsResult};
use crate::fetch::FetchClient;
use crate::ledger::{memory_ledger, JsLedger, JsStore};
use crate::timers::{DateClock, TimerSleep};
use crate::{capabilities, json, VERSION};

/// The connector for JavaScript: `new AtlassianLcm(config, { fetch, ledger })`.
///
/// Every action method is async and resolves to a report; see the module docs
/// for which failures reject.
#[wasm_bindgen]
pub struct AtlassianLcm {
    lcm: Lcm,
}

#[wasm_bindgen]
impl AtlassianLcm {
    /// Validates `config` (camelCase settings, unknown keys refused) and
    /// builds the engine over `options.fetch` (default: the global `fetch`)
    /// and `options.ledger` (default: an in-memory ledger for this instance,
    /// which every report warns of; see [`crate::ledger`]).
    /// Throws an `Error` with `code: "invalid_config"` and `fields`.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, options: JsValue) -> JsResult<AtlassianLcm> {
        let value = json::from_js(&config)
            .map_err(|m| invalid_config(&[("config".to_string(), format!("the config {m}"))]))?;
        let raw = RawConfig::from_json(&value, Source::JavaScript)
            .map_err(|e| errors::from_config(&e))?;
        let config = Config::from_raw(&raw).map_err(|e| errors::from_config(&e))?;
        let (fetch, ledger) = constructor_options(&options)?;
        let http = FetchClient::from_options(&fetch)?;
        let ledger: Arc<dyn Ledger> = match ledger {
            Some(l) => Arc::new(JsLedger::new(JsStore::from_js(&l)?, None)),
            None => Arc::new(memory_ledger()),
        };
        let lcm = Lcm::new(
            config,
            Arc::new(http),
            Arc::new(TimerSleep::new()?),
            Arc::new(DateClock),
        )
        .with_ledger(ledger);
        Ok(AtlassianLcm { lcm })
    }

    /// The package version.
    #[wasm_bindgen(getter)]
    pub fn version() -> String {
        VERSION.to_string()
    }

    /// Runs an HR lifecycle event (`joiner`, `mover`, `rehire`, `leaver`,
    /// `purge`). A direct action call is refused: use `run`.
    #[wasm_bindgen(js_name = handleEvent)]
    pub fn handle_event(&self, event: JsValue, options: JsValue) -> Promise {
        self.call(event, options, Shape::Event, false)
    }

    /// Runs a lifecycle event or a direct action call (`{ action, ... }`).
    pub fn run(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Any, false)
    }

    /// Plans a lifecycle event or a direct action call: reads run, writes are
    /// returned in `report.plan`, nothing changes.
    pub fn plan(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Any, true)
    }

    /// `SYNC_IDENTITIES`: create the user, or update the attributes that differ.
    #[wasm_bindgen(js_name = syncIdentities)]
    pub fn sync_identities(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Action("SYNC_IDENTITIES"), false)
    }

    /// `MANAGE_RELATIONSHIPS`: add, remove or replace group memberships.
    #[wasm_bindgen(js_name = manageRelationships)]
    pub fn manage_relationships(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Action("MANAGE_RELATIONSHIPS"), false)
    }

    /// `DEPROVISION_IDENTITY`: remove every membership, then deactivate.
    #[wasm_bindgen(js_name = deprovisionIdentity)]
    pub fn deprovision_identity(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Action("DEPROVISION_IDENTITY"), false)
    }

    /// `DELETE_IDENTITY`: permanent removal (refused unless `allowDelete`).
    #[wasm_bindgen(js_name = deleteIdentity)]
    pub fn delete_identity(&self, input: JsValue, options: JsValue) -> Promise {
        self.call(input, options, Shape::Action("DELETE_IDENTITY"), false)
    }

    /// `CHECK`: the credentials work, both directories resolve, and the named
    /// groups resolve (with the system each would be changed through).
    pub fn check(&self, groups: JsValue, options: JsValue) -> Promise {
        let input = match json::from_js_optional(&groups) {
            Ok(groups) => {
                let mut call = serde_json::Map::new();
                call.insert("action".into(), Value::from("CHECK"));
                if let Some(groups) = groups {
                    call.insert("groups".into(), groups);
                }
                Ok(Value::Object(call))
            }
            Err(m) => Err(invalid_input("groups", &format!("the groups {m}"))),
        };
        self.call_json(input, options, false)
    }

    /// Reconciles Atlassian with `roster` (JSON Lines text, or an array of
    /// lines as strings or objects): plans, or with `{ apply: true }`
    /// executes the plan, and resolves to the reconcile document (the CLI's
    /// `--json`). A bad roster rejects with `invalid_input` naming each line
    /// before any call; a plan over `maxDeprovisions` resolves with
    /// `refused` set and nothing sent.
    pub fn reconcile(&self, roster: JsValue, options: JsValue) -> Promise {
        let lcm = self.lcm.clone();
        let roster = crate::reconcile::roster_text(&roster);
        future_to_promise(crate::reconcile::reconcile(lcm, roster, options))
    }

    /// What this connector can do: the actions (with their options, the
    /// credentials each needs and whether this configuration enables it), the
    /// lifecycles and every setting.
    pub fn capabilities(&self) -> JsResult<JsValue> {
        json::to_js(&capabilities::describe(self.lcm.config()))
    }
}

/// What kind of input a method takes.
#[derive(Clone, Copy)]
enum Shape {
    /// A lifecycle event only.
    Event,
    /// An event or a direct call.
    Any,
    /// A direct call's fields without `action`, which the method sets.
    Action(&'static str),
}

impl AtlassianLcm {
    fn call(&self, input: JsValue, options: JsValue, shape: Shape, dry_run: bool) -> Promise {
        let input = json::from_js(&input)
            .map_err(|m| invalid_input("(body)", &format!("the input {m}")))
            .and_then(|v| shape_input(v, shape));
        self.call_json(input, options, dry_run)
    }

    fn call_json(&self, input: JsResult<Value>, options: JsValue, dry_run: bool) -> Promise {
        let lcm = self.lcm.clone();
        let options = call_options(&options, dry_run);
        future_to_promise(async move {
            let input = input?;
            let options = options?;
            let request = parse_request(&input).map_err(|e| invalid_input(&e.field, &e.message))?;
            let report = lcm.run(&request, options).await;
            json::to_js(&report)
        })
    }
}

/// Splits the constructor's options (`{ fetch?, ledger? }`, anything else
/// refused) into what [`FetchClient::from_options`] reads and the ledger.
fn constructor_options(options: &JsValue) -> JsResult<(JsValue, Option<JsValue>)> {
    if options.is_undefined() || options.is_null() || !options.is_object() {
        // FetchClient says what is wrong with a non-object.
        return Ok((options.clone(), None));
    }
    let get =
        |key: &str| Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    for key in Object::keys(options.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if key != "fetch" && key != "ledger" {
            return Err(invalid_config(&[(
                key.clone(),
                format!("unknown option `{key}`; the constructor options are `fetch` and `ledger`"),
            )]));
        }
    }
    let fetch = Object::new();
    Reflect::set(&fetch, &JsValue::from_str("fetch"), &get("fetch"))?;
    let ledger = get("ledger");
    let ledger = (!ledger.is_undefined() && !ledger.is_null()).then_some(ledger);
    Ok((fetch.into(), ledger))
}

/// Adds the method's `action` to a direct call, or checks an event is one.
fn shape_input(value: Value, shape: Shape) -> JsResult<Value> {
    let Value::Object(mut obj) = value else {
        return Err(invalid_input("(body)", "must be an object"));
    };
    match shape {
        Shape::Any => {}
        Shape::Event => {
            if obj.contains_key("action") {
                return Err(invalid_input(
                    "action",
                    "handleEvent takes a lifecycle event (with `lifecycle`); use run() for a direct action call",
                ));
            }
            if !obj.contains_key("lifecycle") {
                return Err(invalid_input("lifecycle", "is required"));
            }
        }
        Shape::Action(action) => {
            if obj.contains_key("action") {
                return Err(invalid_input(
                    "action",
                    "is set by the method; leave it out (or use run() with a direct action call)",
                ));
            }
            obj.insert("action".into(), Value::from(action));
        }
    }
    Ok(Value::Object(obj))
}

/// Per-call options: `{ deadlineMs?: number }` (epoch milliseconds).
fn call_options(options: &JsValue, dry_run: bool) -> JsResult<RunOptions> {
    let value = json::from_js_optional(options)
        .map_err(|m| invalid_input("(options)", &format!("the options {m}")))?;
    run_options(value, dry_run, "the only call option is `deadlineMs`")
}

/// The engine's run options from the call options object: `deadlineMs`, and
/// any other key refused with `known` (which options the method takes).
pub(crate) fn run_options(
    value: Option<Value>,
    dry_run: bool,
    known: &str,
) -> JsResult<RunOptions> {
    let mut run = RunOptions {
        deadline_ms: None,
        dry_run,
    };
    let Some(value) = value else {
        return Ok(run);
    };
    let Value::Object(obj) = value else {
        return Err(invalid_input("(options)", "must be an object"));
    };
    for (key, v) in obj {
        match key.as_str() {
            "deadlineMs" if v.is_null() => {}
            "deadlineMs" => {
                let ms = v
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .ok_or_else(|| {
                        invalid_input(
                            "(options).deadlineMs",
                            "must be epoch milliseconds, like Date.now() + 10000",
                        )
                    })?;
                run.deadline_ms = Some(ms as u64);
            }
            other => {
                return Err(invalid_input(
                    &format!("(options).{other}"),
                    &format!("unknown option; {known}"),
                ))
            }
        }
    }
    Ok(run)
}
