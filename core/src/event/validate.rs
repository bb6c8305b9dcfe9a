//! Field checks shared by events and direct calls; each error names its field.

use super::lifecycle::GroupMode;
use super::wire::{AccessWire, OptionsWire, WorkerWire};
use super::{InputError, MAX_GROUPS};
use crate::ids::{Email, HrId};
use crate::worker::Worker;

pub(super) fn check_event_id(id: &str, field: &str) -> Result<String, InputError> {
    if id.trim().is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(InputError::new(
            field,
            "must be 1 to 256 printable characters",
        ));
    }
    Ok(id.to_string())
}

pub(super) fn require_identity(w: &Worker, both: bool) -> Result<(), InputError> {
    match (&w.hr_id, &w.email, both) {
        (None, _, true) => Err(InputError::new("worker.hrId", "is required")),
        (_, None, true) => Err(InputError::new("worker.workEmail", "is required")),
        (None, None, false) => Err(InputError::new(
            "worker",
            "needs `hrId` or `workEmail` to find the user",
        )),
        _ => Ok(()),
    }
}

pub(super) fn parse_worker(w: WorkerWire, at: &str) -> Result<Worker, InputError> {
    let mut worker = Worker {
        hr_id: w
            .hr_id
            .as_deref()
            .map(HrId::parse)
            .transpose()
            .map_err(|e| InputError::new(format!("{at}.hrId"), e.0))?,
        email: w
            .work_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| InputError::new(format!("{at}.workEmail"), e.0))?,
        ..Worker::default()
    };
    for (attribute, value) in w.attributes() {
        let field = || format!("{at}.{}", attribute.json);
        let Some(value) = value else { continue };
        let value = text(value, attribute.max_chars).map_err(|m| InputError::new(field(), m))?;
        check_format(attribute.json, &value).map_err(|m| InputError::new(field(), m))?;
        *(attribute.slot)(&mut worker) = Some(value);
    }
    Ok(worker)
}

/// A free-text attribute, trimmed.
fn text(s: String, max: usize) -> Result<String, String> {
    if s.trim().is_empty() {
        Err("is empty; leave it out instead".into())
    } else if s.chars().count() > max {
        Err(format!("is longer than {max} characters"))
    } else if s.chars().any(char::is_control) {
        Err("contains control characters".into())
    } else {
        Ok(s.trim().to_string())
    }
}

/// The attributes with a format of their own: Atlassian refuses a time zone
/// or language it does not know, so bad ones are caught before any call.
fn check_format(json_name: &str, value: &str) -> Result<(), String> {
    match json_name {
        "timezone" => {
            let iana = value == "UTC"
                || (value.contains('/')
                    && value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)));
            if iana {
                Ok(())
            } else {
                Err(format!(
                    "`{value}` is not an IANA time zone like Europe/London"
                ))
            }
        }
        "preferredLanguage" => {
            let tag = value.split('-').all(|p| {
                !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric())
            });
            if tag {
                Ok(())
            } else {
                Err(format!("`{value}` is not a language tag like en-GB"))
            }
        }
        _ => Ok(()),
    }
}

/// `access` as parsed: groups, the mode if given, the scope if given.
pub(super) type ParsedAccess = (Vec<String>, Option<GroupMode>, Option<Vec<String>>);

pub(super) fn parse_access(a: AccessWire, at: &str) -> Result<ParsedAccess, InputError> {
    check_groups(&a.groups, &format!("{at}.groups"))?;
    let mode = match a.mode.as_deref() {
        None => None,
        Some(name) => Some(GroupMode::parse(name).ok_or_else(|| {
            InputError::new(
                format!("{at}.mode"),
                format!("`{name}` is not one of add, remove, replace"),
            )
        })?),
    };
    if let Some(scope) = &a.scope {
        check_groups(scope, &format!("{at}.scope"))?;
    }
    Ok((a.groups, mode, a.scope))
}

/// `access.scope` bounds what `replace` may remove; with any other mode it
/// would silently mean nothing.
pub(super) fn check_scope(mode: GroupMode, scope: &Option<Vec<String>>) -> Result<(), InputError> {
    if scope.is_some() && mode != GroupMode::Replace {
        return Err(InputError::new(
            "access.scope",
            "only applies with mode `replace`",
        ));
    }
    Ok(())
}

/// Refuses options the action does not use, so a caller relying on one (say
/// `force` on a leaver) learns it has no effect instead of being ignored.
pub(super) fn allow_options(
    opts: &OptionsWire,
    allowed: &[&str],
    what: &str,
) -> Result<(), InputError> {
    let given = [
        ("dryRun", opts.dry_run.is_some()),
        ("adopt", opts.adopt.is_some()),
        ("force", opts.force.is_some()),
        ("create", opts.create.is_some()),
        ("reactivate", opts.reactivate.is_some()),
        ("verify", opts.verify.is_some()),
    ];
    match given
        .iter()
        .find(|(name, set)| *set && !allowed.contains(name))
    {
        Some((name, _)) => {
            let accepted = if allowed.is_empty() {
                "no options".to_string()
            } else {
                allowed.join(", ")
            };
            Err(InputError::new(
                format!("options.{name}"),
                format!("{what} does not use `{name}`; it accepts {accepted}"),
            ))
        }
        None => Ok(()),
    }
}

pub(super) fn check_groups(groups: &[String], at: &str) -> Result<(), InputError> {
    if groups.len() > MAX_GROUPS {
        return Err(InputError::new(
            at,
            format!("at most {MAX_GROUPS} groups per call"),
        ));
    }
    for (i, g) in groups.iter().enumerate() {
        if g.trim().is_empty() || g.len() > 255 || g.chars().any(char::is_control) || g.trim() != g
        {
            return Err(InputError::new(format!("{at}[{i}]"), format!("`{g}` is not a group name (1 to 255 characters, no leading or trailing spaces)")));
        }
        if groups[..i].contains(g) {
            return Err(InputError::new(
                format!("{at}[{i}]"),
                format!("`{g}` is listed twice"),
            ));
        }
    }
    Ok(())
}
