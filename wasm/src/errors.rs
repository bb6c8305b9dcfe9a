//! Errors as JavaScript sees them: an `Error` named `AtlassianLcmError` with a
//! stable `code` —
//! - `invalid_input` with `field` (the JSON path the engine names, such as
//!   `worker.workEmail`): the input was refused and nothing was sent;
//! - `invalid_config` with `fields` (`[{ field, message }]`, every problem at
//!   once): thrown by the constructor;
//! - an engine code (`unauthorized`, `transport`, ...) from `reconcile()` when
//!   the directory could not be read: nothing was written;
//! - `internal`: a bug in this package (a report that could not be converted).
//!
//! Failures after the input is accepted are in the report, which is returned.

use atlassian_lcm::config::Spelling;
use atlassian_lcm::ConfigError;
use js_sys::{Array, Error, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// A result whose error is a thrown JavaScript value.
pub type JsResult<T> = Result<T, JsValue>;

/// The `name` of every error this package throws.
pub const ERROR_NAME: &str = "AtlassianLcmError";

fn error(code: &str, message: &str) -> Error {
    let e = Error::new(message);
    e.set_name(ERROR_NAME);
    set(&e, "code", &JsValue::from_str(code));
    e
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

/// An error with the engine's `code` (a reconcile that could not read the
/// directory: `unauthorized`, `transport`, ...); nothing was written.
pub fn with_code(code: &str, message: &str) -> JsValue {
    error(code, message).into()
}

/// `invalid_input`: the input was refused before anything was sent.
pub fn invalid_input(field: &str, message: &str) -> JsValue {
    let e = error("invalid_input", &format!("{field}: {message}"));
    set(&e, "field", &JsValue::from_str(field));
    e.into()
}

/// `invalid_config` naming each `(field, message)`.
pub fn invalid_config(problems: &[(String, String)]) -> JsValue {
    let text: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
    let e = error(
        "invalid_config",
        &format!("invalid configuration: {}", text.join("; ")),
    );
    let fields = Array::new();
    for (field, message) in problems {
        let item = Object::new();
        set(&item, "field", &JsValue::from_str(field));
        set(&item, "message", &JsValue::from_str(message));
        fields.push(&item);
    }
    set(&e, "fields", &fields);
    e.into()
}

/// `invalid_config` from the engine's validation, every setting named as
/// JavaScript spells it (`scimToken`), in the field and in the message.
pub fn from_config(e: &ConfigError) -> JsValue {
    let problems: Vec<(String, String)> = e
        .errors
        .iter()
        .map(|f| {
            (
                f.field(Spelling::Camel).to_string(),
                f.message(Spelling::Camel),
            )
        })
        .collect();
    invalid_config(&problems)
}

/// `internal`: should never happen.
pub fn internal(message: &str) -> JsValue {
    error("internal", message).into()
}

/// A thrown JavaScript value as text: an `Error`'s message (with its `cause`'s,
/// which is where Node's `fetch failed` keeps the reason), or `String(value)`.
pub fn message_of(value: &JsValue) -> String {
    match value.dyn_ref::<Error>() {
        Some(e) => {
            let mut text = String::from(e.message());
            if let Ok(cause) = Reflect::get(e, &JsValue::from_str("cause")) {
                if !cause.is_undefined() && !cause.is_null() {
                    text.push_str(": ");
                    text.push_str(&message_of(&cause));
                }
            }
            text
        }
        None => value.as_string().unwrap_or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_else(|| "an unknown error".to_string())
        }),
    }
}
