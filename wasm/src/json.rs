//! JavaScript values in and out, through JSON: `JSON.stringify` turns the
//! caller's object into text the engine parses with its own strict rules, and
//! `JSON.parse` turns the engine's serialization back into a plain object —
//! so a report in JavaScript is exactly the report's JSON in every other host.

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::errors::{self, JsResult};

/// Reads a JavaScript value as JSON. `Err` says what is wrong, for a message
/// that starts with what the value is ("the config ...").
pub fn from_js(value: &JsValue) -> Result<Value, String> {
    if value.is_undefined() || value.is_null() {
        return Err("is missing".into());
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| format!("cannot be read as JSON ({})", errors::message_of(&e)))?;
    let text = text
        .as_string()
        .ok_or_else(|| "is not a JSON value (a function or a symbol?)".to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("is not valid JSON ({e})"))
}

/// Like [`from_js`], with `undefined` and `null` read as absent.
pub fn from_js_optional(value: &JsValue) -> Result<Option<Value>, String> {
    if value.is_undefined() || value.is_null() {
        Ok(None)
    } else {
        from_js(value).map(Some)
    }
}

/// Serializes `value` and parses it into a plain JavaScript object.
pub fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|e| errors::internal(&format!("cannot serialize the report: {e}")))?;
    js_sys::JSON::parse(&text)
}
