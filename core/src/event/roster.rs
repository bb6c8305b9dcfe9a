//! The HR roster: JSON Lines, one worker's state per line, which reconcile
//! converges Atlassian on. A line is the event's `worker` fields at the top
//! level plus `status` and `groups` (and `occurredAt`, which a worker-state
//! event needs for ordering).
//!
//! Parsed as strictly as events: every bad line is reported with its line
//! number and field, and a roster with any bad line is refused whole, so a
//! typo can never turn into a plan that deprovisions the people it hides.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::timestamp::Timestamp;
use super::validate::{check_groups, parse_worker, require_identity};
use super::wire::{member, WorkerWire};
use super::InputError;
use crate::worker::{Worker, ATTRIBUTES, IDENTITY_FIELDS};

/// The fields a roster line has besides the worker's own.
const ROSTER_FIELDS: [&str; 3] = ["status", "groups", "occurredAt"];
/// Bad lines listed before "and N more": enough to fix a file in one pass,
/// few enough to read.
const ERRORS_SHOWN: usize = 20;

/// Whether HR has the worker employed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerStatus {
    /// Employed: has an account and exactly the roster's groups in scope.
    Active,
    /// Gone: deprovisioned (deactivated, every membership removed).
    Terminated,
}

impl WorkerStatus {
    /// The spelling in the roster.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Active => "active",
            WorkerStatus::Terminated => "terminated",
        }
    }
}

/// One roster line, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// 1-based line number in the file, for messages.
    pub line: usize,
    /// The worker; both `hrId` and `workEmail` are present.
    pub worker: Worker,
    /// `active` unless the line says `terminated`.
    pub status: WorkerStatus,
    /// The groups HR wants the worker in (within the managed scope).
    pub groups: Vec<String>,
    /// When HR stated this, if the line says.
    pub occurred_at: Option<Timestamp>,
}

/// A whole roster: every line valid, no `hrId` or e-mail twice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    /// The workers, in file order.
    pub entries: Vec<RosterEntry>,
}

/// A bad roster line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct RosterLineError {
    /// 1-based line number.
    pub line: usize,
    /// The field, as in the line (`workEmail`, `groups[2]`), or `(line)`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Every bad line of a refused roster, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterError {
    /// The bad lines.
    pub lines: Vec<RosterLineError>,
}

impl std::fmt::Display for RosterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.lines.len();
        write!(
            f,
            "the roster has {n} bad line{}; nothing was sent",
            if n == 1 { "" } else { "s" }
        )?;
        for e in self.lines.iter().take(ERRORS_SHOWN) {
            write!(f, "\n  {e}")?;
        }
        if n > ERRORS_SHOWN {
            write!(f, "\n  and {} more", n - ERRORS_SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for RosterError {}

/// Parses a roster from JSON Lines text. Blank lines are skipped (a file
/// often ends with one); every other line must be a worker record.
pub fn parse_roster(text: &str) -> Result<Roster, RosterError> {
    let mut entries = Vec::new();
    let mut bad = Vec::new();
    let mut seen = Seen::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(raw)
            .map_err(|e| InputError::new("(line)", format!("not valid JSON: {e}")))
            .and_then(|v| parse_roster_line(&v));
        match parsed {
            Ok(mut entry) => {
                entry.line = line;
                match seen.check(&entry) {
                    Ok(()) => entries.push(entry),
                    Err(e) => bad.push(e),
                }
            }
            Err(e) => bad.push(RosterLineError {
                line,
                field: e.field,
                message: e.message,
            }),
        }
    }
    if bad.is_empty() {
        Ok(Roster { entries })
    } else {
        Err(RosterError { lines: bad })
    }
}

/// Parses one roster line (also the body of a worker-state event). Its
/// `line` is 0; [`parse_roster`] sets it.
pub fn parse_roster_line(value: &Value) -> Result<RosterEntry, InputError> {
    let mut map = value
        .as_object()
        .cloned()
        .ok_or_else(|| InputError::new("(line)", "must be a JSON object"))?;
    check_known_fields(&map)?;
    let status = take_status(&mut map)?;
    let groups = take_groups(&mut map)?;
    let occurred_at = take_occurred_at(&mut map)?;
    let wire = WorkerWire::from_map(map, "").map_err(top_level)?;
    let worker = parse_worker(wire, "").map_err(top_level)?;
    require_identity(&worker, true).map_err(|e| {
        InputError::new(
            e.field.trim_start_matches("worker."),
            "is required in a roster line",
        )
    })?;
    Ok(RosterEntry {
        line: 0,
        worker,
        status,
        groups,
        occurred_at,
    })
}

/// The worker checks name fields under a parent (`worker.hrId`); a roster
/// line has them at the top.
fn top_level(e: InputError) -> InputError {
    InputError::new(e.field.trim_start_matches('.'), e.message)
}

fn check_known_fields(map: &Map<String, Value>) -> Result<(), InputError> {
    let known = |k: &str| {
        ROSTER_FIELDS.contains(&k)
            || IDENTITY_FIELDS.contains(&k)
            || ATTRIBUTES.iter().any(|a| a.json == k)
    };
    match map.keys().find(|k| !known(k)) {
        None => Ok(()),
        Some(k) => {
            let expected: Vec<String> = IDENTITY_FIELDS
                .iter()
                .copied()
                .chain(ATTRIBUTES.iter().map(|a| a.json))
                .chain(ROSTER_FIELDS)
                .map(|name| format!("`{name}`"))
                .collect();
            Err(InputError::new(
                member("", k),
                format!(
                    "unknown field `{k}`, expected one of {}",
                    expected.join(", ")
                ),
            ))
        }
    }
}

fn take_status(map: &mut Map<String, Value>) -> Result<WorkerStatus, InputError> {
    match map.remove("status") {
        None => Ok(WorkerStatus::Active),
        Some(Value::String(s)) if s == "active" => Ok(WorkerStatus::Active),
        Some(Value::String(s)) if s == "terminated" => Ok(WorkerStatus::Terminated),
        Some(other) => Err(InputError::new(
            "status",
            format!("{other} is not \"active\" or \"terminated\""),
        )),
    }
}

fn take_groups(map: &mut Map<String, Value>) -> Result<Vec<String>, InputError> {
    let Some(value) = map.remove("groups") else {
        return Ok(Vec::new());
    };
    let groups: Vec<String> = serde_json::from_value(value)
        .map_err(|e| InputError::new("groups", format!("must be a list of group names: {e}")))?;
    check_groups(&groups, "groups")?;
    Ok(groups)
}

fn take_occurred_at(map: &mut Map<String, Value>) -> Result<Option<Timestamp>, InputError> {
    match map.remove("occurredAt") {
        None => Ok(None),
        Some(Value::String(s)) => Timestamp::parse(&s)
            .map(Some)
            .map_err(|e| InputError::new("occurredAt", e.to_string())),
        Some(other) => Err(InputError::new(
            "occurredAt",
            format!("{other} is not an RFC 3339 timestamp string"),
        )),
    }
}

/// Where each `hrId` and e-mail was first seen, so a second use names both lines.
#[derive(Default)]
struct Seen {
    hr_ids: HashMap<String, usize>,
    emails: HashMap<String, usize>,
}

impl Seen {
    fn check(&mut self, entry: &RosterEntry) -> Result<(), RosterLineError> {
        let hr_id = entry.worker.hr_id.as_ref().map(|h| h.to_string());
        // Atlassian compares e-mails without case; so does the roster.
        let email = entry
            .worker
            .email
            .as_ref()
            .map(|e| e.to_string().to_lowercase());
        for (field, value, map) in [
            ("hrId", hr_id, &mut self.hr_ids),
            ("workEmail", email, &mut self.emails),
        ] {
            let Some(value) = value else { continue };
            if let Some(first) = map.get(&value) {
                return Err(RosterLineError {
                    line: entry.line,
                    field: field.into(),
                    message: format!("`{value}` is already on line {first}"),
                });
            }
            map.insert(value, entry.line);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"hrId":"E1","workEmail":"ada@example.com","givenName":"Ada","groups":["eng","jira-users"]}
{"hrId":"E2","workEmail":"bob@example.com","status":"terminated"}

{"hrId":"E3","workEmail":"cy@example.com","title":"CTO","occurredAt":"2026-11-30T09:00:00Z"}
"#;

    #[test]
    fn a_good_roster_reads_in_order_with_defaults() {
        let r = parse_roster(GOOD).unwrap();
        let lines: Vec<_> = r.entries.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            [1, 2, 4],
            "the blank line is skipped, numbering kept"
        );
        assert_eq!(r.entries[0].status, WorkerStatus::Active);
        assert_eq!(r.entries[0].groups, ["eng", "jira-users"]);
        assert_eq!(r.entries[0].worker.given_name.as_deref(), Some("Ada"));
        assert_eq!(r.entries[1].status, WorkerStatus::Terminated);
        assert!(r.entries[1].groups.is_empty());
        assert_eq!(r.entries[2].worker.title.as_deref(), Some("CTO"));
        assert!(r.entries[2].occurred_at.is_some());
    }

    fn errors(text: &str) -> Vec<String> {
        parse_roster(text)
            .unwrap_err()
            .lines
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn every_bad_line_is_named_with_its_field() {
        let text = [
            r#"{"hrId":"E1","workEmail":"ada@example.com"}"#,
            r#"{"hrId":"E2","workEmail":"not-an-email"}"#,
            r#"{"hrId":"E3","workEmail":"c@example.com","status":"gone"}"#,
            r#"{"hrId":"E4","workEmail":"d@example.com","groups":["a","a"]}"#,
            r#"{"hrId":"E5","workEmail":"e@example.com","manager":"E1"}"#,
            r#"{"workEmail":"f@example.com"}"#,
            r#"{"hrId":"E7","workEmail":"g@example.com""#,
            r#"["E8"]"#,
            r#"{"hrId":"E9","workEmail":"h@example.com","groups":"eng"}"#,
        ]
        .join("\n");
        let e = errors(&text);
        assert_eq!(e.len(), 8, "{e:#?}");
        assert!(e[0].starts_with("line 2: workEmail: "), "{e:#?}");
        assert!(e[1].starts_with("line 3: status: "), "{e:#?}");
        assert_eq!(e[2], "line 4: groups[1]: `a` is listed twice");
        assert!(
            e[3].starts_with("line 5: manager: unknown field `manager`"),
            "{e:#?}"
        );
        assert!(
            e[3].contains("`status`") && e[3].contains("`groups`"),
            "{e:#?}"
        );
        assert_eq!(e[4], "line 6: hrId: is required in a roster line");
        assert!(e[5].starts_with("line 7: (line): not valid JSON"), "{e:#?}");
        assert_eq!(e[6], "line 8: (line): must be a JSON object");
        assert!(e[7].starts_with("line 9: groups: must be a list"), "{e:#?}");
    }

    #[test]
    fn a_duplicate_hr_id_or_email_names_both_lines() {
        let text = [
            r#"{"hrId":"E1","workEmail":"ada@example.com"}"#,
            r#"{"hrId":"E2","workEmail":"ADA@example.com"}"#,
            r#"{"hrId":"E1","workEmail":"other@example.com"}"#,
        ]
        .join("\n");
        let e = errors(&text);
        assert_eq!(
            e,
            [
                "line 2: workEmail: `ada@example.com` is already on line 1",
                "line 3: hrId: `E1` is already on line 1",
            ]
        );
    }

    #[test]
    fn the_message_lists_a_bounded_number_of_lines() {
        let text: String = (0..25).map(|_| "{}\n").collect();
        let message = parse_roster(&text).unwrap_err().to_string();
        assert!(message.starts_with("the roster has 25 bad lines; nothing was sent"));
        assert_eq!(message.lines().count(), 1 + ERRORS_SHOWN + 1, "{message}");
        assert!(message.ends_with("and 5 more"), "{message}");
    }
}
