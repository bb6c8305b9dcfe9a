//! The JSON shapes accepted, exactly: unknown fields are refused, and serde's
//! errors are turned into ones that name the field.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::InputError;
use crate::worker::{Attribute, ATTRIBUTES, IDENTITY_FIELDS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct EventWire {
    pub schema_version: String,
    pub event_id: String,
    pub lifecycle: String,
    #[serde(default)]
    pub occurred_at: Option<String>,
    pub worker: Map<String, Value>,
    #[serde(default)]
    pub access: Option<AccessWire>,
    #[serde(default)]
    pub options: Option<OptionsWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct DirectWire {
    pub action: String,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub worker: Option<Map<String, Value>>,
    #[serde(default)]
    pub access: Option<AccessWire>,
    #[serde(default)]
    pub groups: Option<Vec<String>>,
    #[serde(default)]
    pub options: Option<OptionsWire>,
}

/// The `worker` object: its fields come from the worker attribute table, so
/// it is read by hand rather than derived.
#[derive(Default)]
pub(super) struct WorkerWire {
    pub hr_id: Option<String>,
    pub work_email: Option<String>,
    /// Aligned with [`ATTRIBUTES`].
    pub attributes: [Option<String>; ATTRIBUTES.len()],
}

impl WorkerWire {
    /// Reads the object the way `deny_unknown_fields` would: every key known,
    /// every value a string or null.
    pub fn from_map(map: Map<String, Value>, at: &str) -> Result<WorkerWire, InputError> {
        let mut wire = WorkerWire::default();
        for (key, value) in map {
            // The name first, then the value, in serde's order.
            let slot = match key.as_str() {
                "hrId" => &mut wire.hr_id,
                "workEmail" => &mut wire.work_email,
                _ => match ATTRIBUTES.iter().position(|a| a.json == key) {
                    Some(i) => &mut wire.attributes[i],
                    None => return Err(unknown_field(&key, at)),
                },
            };
            *slot = serde_json::from_value(value)
                .map_err(|e| InputError::new(member(at, &key), e.to_string()))?;
        }
        Ok(wire)
    }

    /// The attributes with the table row each belongs to.
    pub fn attributes(self) -> impl Iterator<Item = (&'static Attribute, Option<String>)> {
        ATTRIBUTES.iter().zip(self.attributes)
    }
}

/// serde's own wording, so callers see the same message as for other objects.
fn unknown_field(key: &str, at: &str) -> InputError {
    let expected: Vec<String> = IDENTITY_FIELDS
        .iter()
        .chain(ATTRIBUTES.iter().map(|a| &a.json))
        .map(|name| format!("`{name}`"))
        .collect();
    InputError::new(
        member(at, key),
        format!(
            "unknown field `{key}`, expected one of {}",
            expected.join(", ")
        ),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct AccessWire {
    pub groups: Vec<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub scope: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct OptionsWire {
    #[serde(default)]
    pub dry_run: Option<bool>,
    #[serde(default)]
    pub adopt: Option<bool>,
    #[serde(default)]
    pub force: Option<bool>,
    #[serde(default)]
    pub create: Option<bool>,
    #[serde(default)]
    pub reactivate: Option<bool>,
    #[serde(default)]
    pub verify: Option<bool>,
}

/// Deserializes `value`, naming the field of the first error.
pub(super) fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = path_text(e.path());
        let inner = e.into_inner().to_string();
        // serde says "missing field `x`" at the parent; name the field itself.
        let field = match (
            inner
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next()),
            path.as_str(),
        ) {
            (Some(f), ".") => f.to_string(),
            (Some(f), p) => format!("{p}.{f}"),
            (None, p) => p.to_string(),
        };
        InputError::new(
            if field == "." {
                "(body)".to_string()
            } else {
                field
            },
            inner,
        )
    })
}

/// `at.key`, with an empty key spelled `""` so that the field named is never
/// blank (`{"": 1}` is valid JSON, and a refusal must still say where).
pub(super) fn member(at: &str, key: &str) -> String {
    let key = if key.is_empty() { "\"\"" } else { key };
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// serde_path_to_error's path in our spelling: `.` for the whole body,
/// `a.b[2]` below it, and an empty key as `""`.
fn path_text(path: &serde_path_to_error::Path) -> String {
    let mut text = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => text.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } => text = member(&text, key),
            serde_path_to_error::Segment::Enum { variant } => text = member(&text, variant),
            serde_path_to_error::Segment::Unknown => text = member(&text, "?"),
        }
    }
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}
