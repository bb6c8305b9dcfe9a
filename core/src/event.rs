//! Input: the HR lifecycle event (EventBridge `detail`, API Gateway body, CLI
//! and JS input) and direct action calls, parsed strictly and validated with
//! errors that name the field, then mapped to actions by a pure function.
//! Nothing here talks to Atlassian: bad input never costs an API call.

use serde::Deserialize;

use crate::ids::{Email, HrId};
use crate::report::ActionKind;

/// The only schema version understood.
pub const SCHEMA_VERSION: &str = "1";
/// Most groups one call may name (Admin group search takes 100 names).
pub const MAX_GROUPS: usize = 100;

/// Bad input: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    /// JSON path of the field, e.g. `worker.workEmail`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl InputError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The HR lifecycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    /// Someone joined.
    Joiner,
    /// Someone moved (attributes or access changed).
    Mover,
    /// Someone came back.
    Rehire,
    /// Someone left.
    Leaver,
    /// Someone must be erased.
    Purge,
}

impl Lifecycle {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Joiner => "joiner",
            Lifecycle::Mover => "mover",
            Lifecycle::Rehire => "rehire",
            Lifecycle::Leaver => "leaver",
            Lifecycle::Purge => "purge",
        }
    }

    fn parse(s: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// How `access.groups` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMode {
    /// Join these groups.
    Add,
    /// Leave these groups.
    Remove,
    /// Be in exactly these groups, within the managed scope.
    Replace,
}

/// Who an action concerns, with what HR knows of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// HR id (`externalId`); looked up first.
    pub hr_id: Option<HrId>,
    /// Work e-mail (`userName`); looked up second.
    pub email: Option<Email>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Language tag.
    pub preferred_language: Option<String>,
}

/// `SYNC_IDENTITIES` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncInput {
    /// The person (HR id and e-mail both present).
    pub worker: Worker,
    /// May create the user when missing (joiner, rehire).
    pub allow_create: bool,
    /// Sets `active: true` (rehire).
    pub reactivate: bool,
    /// Take over a user whose `externalId` belongs to another provisioner.
    pub adopt: bool,
}

/// `MANAGE_RELATIONSHIPS` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationshipsInput {
    /// The person.
    pub worker: Worker,
    /// Group display names, exact and case-sensitive.
    pub groups: Vec<String>,
    /// How they apply.
    pub mode: GroupMode,
    /// For `replace`: the groups this call may remove memberships from. `None`
    /// means every group the user is in (protected groups are never touched).
    pub scope: Option<Vec<String>>,
}

/// `DEPROVISION_IDENTITY` and `DELETE_IDENTITY` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalInput {
    /// The person.
    pub worker: Worker,
    /// Delete even a user owned by another provisioner.
    pub force: bool,
}

/// One action to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionCall {
    /// Create or update.
    Sync(SyncInput),
    /// Memberships.
    Relationships(RelationshipsInput),
    /// Remove memberships, deactivate.
    Deprovision(RemovalInput),
    /// Delete.
    Delete(RemovalInput),
    /// Health; optional groups to resolve.
    Check {
        /// Groups to resolve.
        groups: Vec<String>,
    },
}

impl ActionCall {
    /// The action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            ActionCall::Sync(_) => ActionKind::SyncIdentities,
            ActionCall::Relationships(_) => ActionKind::ManageRelationships,
            ActionCall::Deprovision(_) => ActionKind::DeprovisionIdentity,
            ActionCall::Delete(_) => ActionKind::DeleteIdentity,
            ActionCall::Check { .. } => ActionKind::Check,
        }
    }
}

/// A validated request: the actions to run in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The event id (lifecycle events), or the caller's id for a direct call.
    pub event_id: Option<String>,
    /// The lifecycle, for events.
    pub lifecycle: Option<Lifecycle>,
    /// Plan instead of execute.
    pub dry_run: bool,
    /// The actions, in order.
    pub calls: Vec<ActionCall>,
}

impl Request {
    /// A CHECK request.
    pub fn check(groups: Vec<String>) -> Request {
        Request {
            event_id: None,
            lifecycle: None,
            dry_run: false,
            calls: vec![ActionCall::Check { groups }],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct EventWire {
    schema_version: String,
    event_id: String,
    lifecycle: String,
    #[serde(default)]
    occurred_at: Option<String>,
    worker: WorkerWire,
    #[serde(default)]
    access: Option<AccessWire>,
    #[serde(default)]
    options: Option<OptionsWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct DirectWire {
    action: String,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    worker: Option<WorkerWire>,
    #[serde(default)]
    access: Option<AccessWire>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    options: Option<OptionsWire>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkerWire {
    hr_id: Option<String>,
    work_email: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    title: Option<String>,
    department: Option<String>,
    organization: Option<String>,
    timezone: Option<String>,
    preferred_language: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AccessWire {
    groups: Vec<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    scope: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OptionsWire {
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    adopt: Option<bool>,
    #[serde(default)]
    force: Option<bool>,
    #[serde(default)]
    create: Option<bool>,
    #[serde(default)]
    reactivate: Option<bool>,
}

/// Parses a lifecycle event or a direct action call (`{"action": ...}`).
pub fn parse_request(value: &serde_json::Value) -> Result<Request, InputError> {
    let obj = value
        .as_object()
        .ok_or_else(|| InputError::new("(body)", "must be a JSON object"))?;
    if obj.contains_key("action") {
        let wire: DirectWire = typed(value)?;
        direct(wire)
    } else if obj.contains_key("lifecycle") || obj.contains_key("schemaVersion") {
        let wire: EventWire = typed(value)?;
        event(wire)
    } else {
        Err(InputError::new(
            "(body)",
            "expected a lifecycle event (with `lifecycle`) or a direct action call (with `action`)",
        ))
    }
}

/// Parses JSON text (a file, a request body).
pub fn parse_request_str(text: &str) -> Result<Request, InputError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| InputError::new("(body)", format!("not valid JSON: {e}")))?;
    parse_request(&value)
}

fn typed<T: serde::de::DeserializeOwned>(value: &serde_json::Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
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

fn event(w: EventWire) -> Result<Request, InputError> {
    if w.schema_version != SCHEMA_VERSION {
        return Err(InputError::new(
            "schemaVersion",
            format!(
                "`{}` is not supported; use \"{SCHEMA_VERSION}\"",
                w.schema_version
            ),
        ));
    }
    let event_id = check_event_id(&w.event_id, "eventId")?;
    let lifecycle = Lifecycle::parse(&w.lifecycle).ok_or_else(|| {
        InputError::new(
            "lifecycle",
            format!(
                "`{}` is not one of joiner, mover, rehire, leaver, purge",
                w.lifecycle
            ),
        )
    })?;
    if let Some(at) = &w.occurred_at {
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).map_err(
            |_| {
                InputError::new(
                    "occurredAt",
                    format!("`{at}` is not an RFC 3339 time like 2026-11-30T09:00:00Z"),
                )
            },
        )?;
    }
    let opts = w.options.unwrap_or_default();
    allow_options(
        &opts,
        lifecycle.options(),
        &format!("a {} event", lifecycle.as_str()),
    )?;
    let worker = parse_worker(w.worker, "worker")?;
    let access = w.access.map(|a| parse_access(a, "access")).transpose()?;
    let calls = plan_lifecycle(lifecycle, worker, access, &opts)?;
    Ok(Request {
        event_id: Some(event_id),
        lifecycle: Some(lifecycle),
        dry_run: opts.dry_run.unwrap_or(false),
        calls,
    })
}

/// The pure mapping from a lifecycle to actions (DESIGN §3).
fn plan_lifecycle(
    lifecycle: Lifecycle,
    worker: Worker,
    access: Option<ParsedAccess>,
    opts: &OptionsWire,
) -> Result<Vec<ActionCall>, InputError> {
    let adopt = opts.adopt.unwrap_or(false);
    let force = opts.force.unwrap_or(false);
    let relationships =
        |worker: &Worker, fixed: Option<GroupMode>| -> Result<Option<ActionCall>, InputError> {
            let Some((groups, mode, scope)) = access.clone() else {
                return Ok(None);
            };
            let mode = match (fixed, mode) {
                (Some(f), Some(m)) if f != m => {
                    return Err(InputError::new(
                        "access.mode",
                        format!(
                            "a {} event uses mode `{}`",
                            lifecycle.as_str(),
                            mode_name(f)
                        ),
                    ))
                }
                (Some(f), _) => f,
                (None, m) => m.unwrap_or(GroupMode::Add),
            };
            check_scope(mode, &scope)?;
            Ok(Some(ActionCall::Relationships(RelationshipsInput {
                worker: worker.clone(),
                groups,
                mode,
                scope,
            })))
        };
    let no_access = |what: &str| -> Result<(), InputError> {
        if access.is_some() {
            Err(InputError::new(
                "access",
                format!("a {what} event takes no `access`: it removes all access"),
            ))
        } else {
            Ok(())
        }
    };
    let mut calls = Vec::new();
    match lifecycle {
        Lifecycle::Joiner | Lifecycle::Mover | Lifecycle::Rehire => {
            require_identity(&worker, true)?;
            let (allow_create, reactivate, fixed) = match lifecycle {
                Lifecycle::Joiner => (true, false, Some(GroupMode::Add)),
                Lifecycle::Mover => (false, false, None),
                _ => (true, true, Some(GroupMode::Replace)),
            };
            if allow_create
                && worker.display_name.is_none()
                && (worker.given_name.is_none() || worker.family_name.is_none())
            {
                return Err(InputError::new(
                    "worker.displayName",
                    "a new user needs `displayName` or both `givenName` and `familyName`",
                ));
            }
            calls.push(ActionCall::Sync(SyncInput {
                worker: worker.clone(),
                allow_create,
                reactivate,
                adopt,
            }));
            calls.extend(relationships(&worker, fixed)?);
        }
        Lifecycle::Leaver => {
            no_access("leaver")?;
            require_identity(&worker, false)?;
            calls.push(ActionCall::Deprovision(RemovalInput { worker, force }));
        }
        Lifecycle::Purge => {
            no_access("purge")?;
            require_identity(&worker, false)?;
            calls.push(ActionCall::Delete(RemovalInput { worker, force }));
        }
    }
    Ok(calls)
}

fn direct(w: DirectWire) -> Result<Request, InputError> {
    let kind = ActionKind::parse(&w.action).ok_or_else(|| {
        InputError::new("action", format!(
            "`{}` is not one of SYNC_IDENTITIES, MANAGE_RELATIONSHIPS, DEPROVISION_IDENTITY, DELETE_IDENTITY, CHECK",
            w.action
        ))
    })?;
    let event_id = w
        .event_id
        .as_deref()
        .map(|id| check_event_id(id, "eventId"))
        .transpose()?;
    let opts = w.options.unwrap_or_default();
    allow_options(&opts, kind.options(), kind.as_str())?;
    let worker_for = |w: Option<WorkerWire>| -> Result<Worker, InputError> {
        parse_worker(
            w.ok_or_else(|| InputError::new("worker", "is required"))?,
            "worker",
        )
    };
    if kind != ActionKind::Check && w.groups.is_some() {
        return Err(InputError::new(
            "groups",
            "only CHECK takes `groups`; use `access.groups`",
        ));
    }
    if kind != ActionKind::ManageRelationships && w.access.is_some() {
        return Err(InputError::new(
            "access",
            format!("{} takes no `access`", kind.as_str()),
        ));
    }
    let call = match kind {
        ActionKind::SyncIdentities => {
            let worker = worker_for(w.worker)?;
            require_identity(&worker, true)?;
            ActionCall::Sync(SyncInput {
                worker,
                allow_create: opts.create.unwrap_or(true),
                reactivate: opts.reactivate.unwrap_or(false),
                adopt: opts.adopt.unwrap_or(false),
            })
        }
        ActionKind::ManageRelationships => {
            let worker = worker_for(w.worker)?;
            require_identity(&worker, false)?;
            let access = w
                .access
                .ok_or_else(|| InputError::new("access", "is required"))?;
            let (groups, mode, scope) = parse_access(access, "access")?;
            let mode = mode.unwrap_or(GroupMode::Add);
            check_scope(mode, &scope)?;
            ActionCall::Relationships(RelationshipsInput {
                worker,
                groups,
                mode,
                scope,
            })
        }
        ActionKind::DeprovisionIdentity | ActionKind::DeleteIdentity => {
            let worker = worker_for(w.worker)?;
            require_identity(&worker, false)?;
            let input = RemovalInput {
                worker,
                force: opts.force.unwrap_or(false),
            };
            if kind == ActionKind::DeleteIdentity {
                ActionCall::Delete(input)
            } else {
                ActionCall::Deprovision(input)
            }
        }
        ActionKind::Check => {
            let groups = w.groups.unwrap_or_default();
            check_groups(&groups, "groups")?;
            ActionCall::Check { groups }
        }
    };
    Ok(Request {
        event_id,
        lifecycle: None,
        dry_run: opts.dry_run.unwrap_or(false),
        calls: vec![call],
    })
}

fn check_event_id(id: &str, field: &str) -> Result<String, InputError> {
    if id.trim().is_empty() || id.len() > 256 || id.chars().any(char::is_control) {
        return Err(InputError::new(
            field,
            "must be 1 to 256 printable characters",
        ));
    }
    Ok(id.to_string())
}

fn require_identity(w: &Worker, both: bool) -> Result<(), InputError> {
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

fn parse_worker(w: WorkerWire, at: &str) -> Result<Worker, InputError> {
    let hr_id = w
        .hr_id
        .as_deref()
        .map(HrId::parse)
        .transpose()
        .map_err(|e| InputError::new(format!("{at}.hrId"), e.0))?;
    let email = w
        .work_email
        .as_deref()
        .map(Email::parse)
        .transpose()
        .map_err(|e| InputError::new(format!("{at}.workEmail"), e.0))?;
    let text = |v: Option<String>, name: &str, max: usize| -> Result<Option<String>, InputError> {
        match v {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Err(InputError::new(
                format!("{at}.{name}"),
                "is empty; leave it out instead",
            )),
            Some(s) if s.chars().count() > max => Err(InputError::new(
                format!("{at}.{name}"),
                format!("is longer than {max} characters"),
            )),
            Some(s) if s.chars().any(char::is_control) => Err(InputError::new(
                format!("{at}.{name}"),
                "contains control characters",
            )),
            Some(s) => Ok(Some(s.trim().to_string())),
        }
    };
    let timezone = text(w.timezone, "timezone", 64)?;
    if let Some(tz) = &timezone {
        let iana = tz == "UTC"
            || (tz.contains('/')
                && tz
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)));
        if !iana {
            return Err(InputError::new(
                format!("{at}.timezone"),
                format!("`{tz}` is not an IANA time zone like Europe/London"),
            ));
        }
    }
    let preferred_language = text(w.preferred_language, "preferredLanguage", 35)?;
    if let Some(l) = &preferred_language {
        let ok = l
            .split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            return Err(InputError::new(
                format!("{at}.preferredLanguage"),
                format!("`{l}` is not a language tag like en-GB"),
            ));
        }
    }
    Ok(Worker {
        hr_id,
        email,
        given_name: text(w.given_name, "givenName", 255)?,
        family_name: text(w.family_name, "familyName", 255)?,
        display_name: text(w.display_name, "displayName", 255)?,
        title: text(w.title, "title", 255)?,
        department: text(w.department, "department", 255)?,
        organization: text(w.organization, "organization", 255)?,
        timezone,
        preferred_language,
    })
}

type ParsedAccess = (Vec<String>, Option<GroupMode>, Option<Vec<String>>);

fn parse_access(a: AccessWire, at: &str) -> Result<ParsedAccess, InputError> {
    check_groups(&a.groups, &format!("{at}.groups"))?;
    let mode = match a.mode.as_deref() {
        None => None,
        Some("add") => Some(GroupMode::Add),
        Some("remove") => Some(GroupMode::Remove),
        Some("replace") => Some(GroupMode::Replace),
        Some(other) => {
            return Err(InputError::new(
                format!("{at}.mode"),
                format!("`{other}` is not one of add, remove, replace"),
            ))
        }
    };
    if let Some(scope) = &a.scope {
        check_groups(scope, &format!("{at}.scope"))?;
    }
    Ok((a.groups, mode, a.scope))
}

/// `access.scope` bounds what `replace` may remove; with any other mode it
/// would silently mean nothing.
fn check_scope(mode: GroupMode, scope: &Option<Vec<String>>) -> Result<(), InputError> {
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
fn allow_options(opts: &OptionsWire, allowed: &[&str], what: &str) -> Result<(), InputError> {
    let given = [
        ("dryRun", opts.dry_run.is_some()),
        ("adopt", opts.adopt.is_some()),
        ("force", opts.force.is_some()),
        ("create", opts.create.is_some()),
        ("reactivate", opts.reactivate.is_some()),
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

fn check_groups(groups: &[String], at: &str) -> Result<(), InputError> {
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

fn mode_name(m: GroupMode) -> &'static str {
    match m {
        GroupMode::Add => "add",
        GroupMode::Remove => "remove",
        GroupMode::Replace => "replace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn joiner() -> serde_json::Value {
        json!({
            "schemaVersion": "1", "eventId": "hr-2026-000123", "lifecycle": "joiner",
            "occurredAt": "2026-11-30T09:00:00Z",
            "worker": {"hrId": "E1042", "workEmail": "ada@example.com", "givenName": "Ada", "familyName": "Lovelace",
                        "displayName": "Ada Lovelace", "title": "Engineer", "department": "Platform", "organization": "Example",
                        "timezone": "Europe/London", "preferredLanguage": "en-GB"},
            "access": {"groups": ["jira-software-users", "confluence-users"], "mode": "add"},
            "options": {"dryRun": false}
        })
    }

    fn err(v: serde_json::Value) -> InputError {
        parse_request(&v).unwrap_err()
    }

    #[test]
    fn design_example_parses_to_sync_then_add() {
        let r = parse_request(&joiner()).unwrap();
        assert_eq!(r.lifecycle, Some(Lifecycle::Joiner));
        assert_eq!(r.calls.len(), 2);
        match &r.calls[0] {
            ActionCall::Sync(s) => assert!(s.allow_create && !s.reactivate),
            other => panic!("{other:?}"),
        }
        match &r.calls[1] {
            ActionCall::Relationships(rel) => {
                assert_eq!(rel.mode, GroupMode::Add);
                assert_eq!(rel.groups, vec!["jira-software-users", "confluence-users"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lifecycle_mapping() {
        let kinds = |lc: &str, access: bool| -> Vec<ActionKind> {
            let mut v = joiner();
            v["lifecycle"] = json!(lc);
            if !access {
                v.as_object_mut().unwrap().remove("access");
            } else {
                v["access"]["mode"] = json!(if lc == "rehire" { "replace" } else { "add" });
            }
            parse_request(&v)
                .unwrap()
                .calls
                .iter()
                .map(ActionCall::kind)
                .collect()
        };
        use ActionKind::*;
        assert_eq!(
            kinds("joiner", true),
            vec![SyncIdentities, ManageRelationships]
        );
        assert_eq!(
            kinds("mover", true),
            vec![SyncIdentities, ManageRelationships]
        );
        assert_eq!(kinds("mover", false), vec![SyncIdentities]);
        assert_eq!(
            kinds("rehire", true),
            vec![SyncIdentities, ManageRelationships]
        );
        assert_eq!(kinds("leaver", false), vec![DeprovisionIdentity]);
        assert_eq!(kinds("purge", false), vec![DeleteIdentity]);
        let mut v = joiner();
        v["lifecycle"] = json!("mover");
        match &parse_request(&v).unwrap().calls[0] {
            ActionCall::Sync(s) => assert!(!s.allow_create),
            other => panic!("{other:?}"),
        }
        v["lifecycle"] = json!("rehire");
        v["access"]["mode"] = json!("replace");
        match &parse_request(&v).unwrap().calls[0] {
            ActionCall::Sync(s) => assert!(s.allow_create && s.reactivate),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let mut v = joiner();
        v["worker"]["givenNam"] = json!("x");
        let e = err(v);
        assert_eq!(e.field, "worker.givenNam");
        assert!(e.message.contains("unknown field"), "{e}");

        let mut v = joiner();
        v["worker"].as_object_mut().unwrap().remove("workEmail");
        assert_eq!(err(v).field, "worker.workEmail");

        let mut v = joiner();
        v["worker"]["workEmail"] = json!("ada.example.com");
        assert_eq!(err(v).field, "worker.workEmail");

        let mut v = joiner();
        v.as_object_mut().unwrap().remove("eventId");
        assert_eq!(err(v).field, "eventId");

        let mut v = joiner();
        v["lifecycle"] = json!("retiree");
        assert_eq!(err(v).field, "lifecycle");

        let mut v = joiner();
        v["access"]["groups"] = json!(["a", "a"]);
        assert_eq!(err(v).field, "access.groups[1]");

        let mut v = joiner();
        v["worker"]["timezone"] = json!("GMT+1 please");
        assert_eq!(err(v).field, "worker.timezone");

        let mut v = joiner();
        v["access"]["mode"] = json!("replace");
        assert_eq!(err(v).field, "access.mode");

        let mut v = joiner();
        v["lifecycle"] = json!("leaver");
        assert_eq!(err(v).field, "access");

        let mut v = joiner();
        v["occurredAt"] = json!("yesterday");
        assert_eq!(err(v).field, "occurredAt");

        let mut v = joiner();
        v["schemaVersion"] = json!("2");
        assert_eq!(err(v).field, "schemaVersion");

        let mut v = joiner();
        v["worker"]["hrId"] = json!(42);
        assert_eq!(err(v).field, "worker.hrId");

        assert_eq!(err(json!([])).field, "(body)");
        assert_eq!(err(json!({"hello": 1})).field, "(body)");
    }

    #[test]
    fn direct_calls() {
        let r = parse_request(
            &json!({"action": "DEPROVISION_IDENTITY", "worker": {"workEmail": "ada@example.com"}}),
        )
        .unwrap();
        assert_eq!(r.calls[0].kind(), ActionKind::DeprovisionIdentity);
        let r = parse_request(&json!({"action": "CHECK", "groups": ["engineering"]})).unwrap();
        assert_eq!(
            r.calls,
            vec![ActionCall::Check {
                groups: vec!["engineering".into()]
            }]
        );
        let r = parse_request(&json!({"action": "MANAGE_RELATIONSHIPS", "worker": {"hrId": "E1"},
            "access": {"groups": ["g"], "mode": "replace", "scope": ["g", "h"]}, "options": {"dryRun": true}})).unwrap();
        assert!(r.dry_run);
        assert_eq!(err(json!({"action": "EXPLODE"})).field, "action");
        assert_eq!(
            err(json!({"action": "DELETE_IDENTITY", "worker": {}})).field,
            "worker"
        );
        assert_eq!(
            err(json!({"action": "SYNC_IDENTITIES", "worker": {"hrId": "E1"}})).field,
            "worker.workEmail"
        );
        assert_eq!(err(json!({"action": "MANAGE_RELATIONSHIPS", "worker": {"hrId": "E1"}, "access": {"groups": ["g"], "scope": ["g"]}})).field, "access.scope");
    }

    #[test]
    fn options_an_action_does_not_use_are_refused() {
        let mut v = joiner();
        v["lifecycle"] = json!("leaver");
        v.as_object_mut().unwrap().remove("access");
        v["options"] = json!({"force": true});
        assert_eq!(err(v).field, "options.force");
        assert_eq!(
            err(json!({"action": "CHECK", "options": {"adopt": true}})).field,
            "options.adopt"
        );
        let mut v = joiner();
        v["options"] = json!({"create": false});
        assert_eq!(err(v).field, "options.create");
        let r = parse_request(&json!({"action": "DELETE_IDENTITY", "worker": {"hrId": "E1"}, "options": {"force": true}})).unwrap();
        assert!(matches!(&r.calls[0], ActionCall::Delete(d) if d.force));
    }

    #[test]
    fn a_rehire_scope_needs_no_explicit_mode() {
        let mut v = joiner();
        v["lifecycle"] = json!("rehire");
        v["access"] = json!({"groups": ["g"], "scope": ["g", "h"]});
        match &parse_request(&v).unwrap().calls[1] {
            ActionCall::Relationships(r) => {
                assert_eq!(
                    (r.mode, r.scope.clone()),
                    (GroupMode::Replace, Some(vec!["g".into(), "h".into()]))
                )
            }
            other => panic!("{other:?}"),
        }
        let mut v = joiner();
        v["access"]["scope"] = json!(["g"]);
        assert_eq!(err(v).field, "access.scope");
    }

    #[test]
    fn joiner_needs_a_name() {
        let mut v = joiner();
        let w = v["worker"].as_object_mut().unwrap();
        w.remove("displayName");
        w.remove("familyName");
        assert_eq!(err(v).field, "worker.displayName");
    }
}
