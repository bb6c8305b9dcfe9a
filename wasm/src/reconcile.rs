//! `reconcile(roster, { apply, deadlineMs })`: the roster as JSON Lines text
//! (or an array of lines, each a string or an object), handed to the core's
//! [`Lcm::reconcile_text`] unchanged, so a bad line is refused with the same
//! `line N: field: message` as `lcm reconcile` and nothing is sent. The
//! document comes back as the CLI's `--json` prints it.

use atlassian_lcm::event::RosterError;
use atlassian_lcm::reconcile::{ReconcileError, ReconcileOptions};
use atlassian_lcm::Lcm;
use js_sys::{Array, Object, Reflect};
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::errors::{self, invalid_input, JsResult};
use crate::json;

/// The field a refused roster is reported under.
pub const ROSTER_FIELD: &str = "roster";

/// Plans (or with `options.apply`, applies) the reconcile of `roster`.
pub async fn reconcile(lcm: Lcm, roster: JsResult<String>, options: JsValue) -> JsResult<JsValue> {
    let roster = roster?;
    let options = reconcile_options(&options)?;
    match lcm.reconcile_text(&roster, options).await {
        Ok(document) => json::to_js(&document),
        Err(ReconcileError::Roster(e)) => Err(invalid_roster(&e)),
        // Nothing was written: the directory read failed. The code is the
        // engine's (`unauthorized`, `transport`, ...), as in a report.
        Err(ReconcileError::Read(e)) => Err(errors::with_code(
            e.code.as_str(),
            &ReconcileError::Read(e.clone()).to_string(),
        )),
    }
}

/// The roster as JSON Lines text: a string as given; an array joined one
/// element a line (a string element as is, any other value as its JSON), so
/// element `i` is line `i + 1` in every message.
pub fn roster_text(value: &JsValue) -> JsResult<String> {
    if let Some(text) = value.as_string() {
        return Ok(text);
    }
    if !Array::is_array(value) {
        return Err(invalid_input(
            ROSTER_FIELD,
            "must be JSON Lines text (one worker a line) or an array of lines (strings or objects)",
        ));
    }
    let mut lines = Vec::new();
    for (i, item) in Array::from(value).iter().enumerate() {
        let line = match item.as_string() {
            Some(text) => text,
            None => match json::from_js(&item) {
                Ok(v) => v.to_string(),
                Err(m) => {
                    return Err(invalid_input(
                        &format!("{ROSTER_FIELD}[{i}]"),
                        &format!("the line {m}"),
                    ))
                }
            },
        };
        if line.contains('\n') || line.contains('\r') {
            // A line break would shift every later line number.
            return Err(invalid_input(
                &format!("{ROSTER_FIELD}[{i}]"),
                "holds a line break; give one worker per array element",
            ));
        }
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// `{ apply?: boolean, deadlineMs?: number }`; anything else is refused.
fn reconcile_options(options: &JsValue) -> JsResult<ReconcileOptions> {
    let value = json::from_js_optional(options)
        .map_err(|m| invalid_input("(options)", &format!("the options {m}")))?;
    let mut obj = match value {
        None => serde_json::Map::new(),
        Some(Value::Object(obj)) => obj,
        Some(_) => return Err(invalid_input("(options)", "must be an object")),
    };
    let apply = match obj.remove("apply") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(apply)) => apply,
        Some(_) => return Err(invalid_input("(options).apply", "must be true or false")),
    };
    let run = crate::class::run_options(
        Some(Value::Object(obj)),
        false,
        "the reconcile options are `apply` and `deadlineMs`",
    )?;
    Ok(ReconcileOptions {
        apply,
        run,
        ..ReconcileOptions::default()
    })
}

/// `invalid_input` for a bad roster: the message names each bad line (`line
/// N: field: message`, as many as the core shows), and `lines` holds every
/// one as `{ line, field, message }`.
fn invalid_roster(e: &RosterError) -> JsValue {
    let error = invalid_input(ROSTER_FIELD, &e.to_string());
    let lines = Array::new();
    for bad in &e.lines {
        let item = Object::new();
        // Setting a property on a fresh object cannot fail.
        let _ = Reflect::set(&item, &"line".into(), &JsValue::from(bad.line as u32));
        let _ = Reflect::set(&item, &"field".into(), &JsValue::from_str(&bad.field));
        let _ = Reflect::set(&item, &"message".into(), &JsValue::from_str(&bad.message));
        lines.push(&item);
    }
    let _ = Reflect::set(&error, &"lines".into(), &lines);
    error
}
