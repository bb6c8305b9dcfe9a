//! The actions of the product, on top of the API clients. Each action records
//! its steps, audit events and warnings into a [`Ctx`], one per engine call;
//! the report is built from it at the end, so what the report says is exactly
//! what was done.

pub mod access;
pub mod check;
pub mod delete;
pub mod deprovision;
pub mod groups;
pub mod identity;
mod owners;
pub mod person;
pub mod rails;
pub mod relationships;
pub mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::admin::Admin;
use crate::cache::Cache;
use crate::clock::rfc3339;
use crate::config::Config;
use crate::report::{AuditEvent, Identity, ReportError, Step, StepStatus, System};
use crate::scim::Scim;
use crate::transport::{ApiError, ApiResponse, Sent, Transport};
use crate::user_management::UserManagement;

use groups::ResolvedGroup;

/// Everything one engine call accumulates. Locks are never held across an
/// `.await`, so concurrent steps within the call cannot deadlock.
pub(crate) struct Ctx {
    pub t: Transport,
    steps: Mutex<Vec<Step>>,
    audit: Mutex<Vec<AuditEvent>>,
    warnings: Mutex<Vec<String>>,
    identity: Mutex<Identity>,
    /// Group resolution, cached for the call (a batch resolves each name once).
    pub groups: Mutex<HashMap<String, Result<ResolvedGroup, ReportError>>>,
    /// The engine's warm cache, shared with the calls before and after.
    pub cache: Arc<Cache>,
    /// Names whose resolution this call took from [`Ctx::cache`] rather than
    /// read: the ones to read again when Atlassian answers 404 or 403.
    pub from_cache: Mutex<HashSet<String>>,
}

/// What a [`Ctx`] turns into.
pub(crate) struct Collected {
    pub steps: Vec<Step>,
    pub audit: Vec<AuditEvent>,
    pub warnings: Vec<String>,
    pub identity: Identity,
}

impl Ctx {
    pub fn new(t: Transport, cache: Arc<Cache>) -> Self {
        Ctx {
            t,
            steps: Mutex::default(),
            audit: Mutex::default(),
            warnings: Mutex::default(),
            identity: Mutex::default(),
            groups: Mutex::default(),
            cache,
            from_cache: Mutex::default(),
        }
    }

    pub fn config(&self) -> &Config {
        self.t.config()
    }

    /// True in a dry run: writes are planned, not sent.
    pub fn dry_run(&self) -> bool {
        self.t.dry_run()
    }

    pub fn scim(&self) -> Scim<'_> {
        Scim::new(&self.t)
    }

    pub fn admin(&self) -> Admin<'_> {
        Admin::new(&self.t)
    }

    pub fn um(&self) -> UserManagement<'_> {
        UserManagement::new(&self.t)
    }

    pub fn record(&self, step: Step) {
        self.steps.lock().expect("steps lock").push(step);
    }

    /// How many steps are recorded so far: a mark for [`Ctx::order_steps_since`].
    pub fn steps_len(&self) -> usize {
        self.steps.lock().expect("steps lock").len()
    }

    /// Puts the steps recorded since `mark` in the order `rank` gives them
    /// (stable: one target's steps keep their order). Concurrent writes
    /// record as they finish; a report, read by people and diffed by tests,
    /// should list them in the order they were asked for instead.
    pub fn order_steps_since(&self, mark: usize, rank: impl Fn(&Step) -> usize) {
        let mut steps = self.steps.lock().expect("steps lock");
        if let Some(tail) = steps.get_mut(mark..) {
            tail.sort_by_key(|s| rank(s));
        }
    }

    pub fn warn(&self, message: impl Into<String>) {
        self.warnings
            .lock()
            .expect("warnings lock")
            .push(message.into());
    }

    pub fn identity(&self, f: impl FnOnce(&mut Identity)) {
        f(&mut self.identity.lock().expect("identity lock"));
    }

    /// Adds an audit event for a change done (or planned, in a dry run).
    pub fn audit(&self, action: &str, target: &str, before: Option<Value>, after: Option<Value>) {
        let event = AuditEvent {
            at: rfc3339(self.t.now_ms()),
            action: action.to_string(),
            target: target.to_string(),
            before,
            after,
            planned: self.dry_run(),
        };
        self.audit.lock().expect("audit lock").push(event);
    }

    pub fn into_collected(self) -> (Transport, Collected) {
        let c = Collected {
            steps: self.steps.into_inner().expect("steps lock"),
            audit: self.audit.into_inner().expect("audit lock"),
            warnings: self.warnings.into_inner().expect("warnings lock"),
            identity: self.identity.into_inner().expect("identity lock"),
        };
        (self.t, c)
    }
}

/// A step under construction.
pub(crate) fn step(
    target: impl Into<String>,
    operation: &str,
    status: StepStatus,
    detail: impl Into<String>,
) -> Step {
    Step {
        target: target.into(),
        operation: operation.to_string(),
        status,
        detail: detail.into(),
        system: None,
        http_status: None,
        attempts: 0,
        error: None,
    }
}

/// Builder-style additions to a [`Step`].
pub(crate) trait StepExt {
    fn via(self, system: System) -> Self;
    fn response(self, resp: &ApiResponse) -> Self;
    fn failed(self, error: &ApiError) -> Self;
    fn error(self, error: ReportError) -> Self;
}

impl StepExt for Step {
    fn via(mut self, system: System) -> Self {
        self.system = Some(system);
        self
    }

    fn response(mut self, resp: &ApiResponse) -> Self {
        self.http_status = Some(resp.status);
        self.attempts = resp.attempts;
        self
    }

    fn failed(mut self, error: &ApiError) -> Self {
        self.status = StepStatus::Failed;
        self.http_status = error.status;
        self.attempts = error.attempts;
        self.error = Some(error.to_report());
        self
    }

    fn error(mut self, error: ReportError) -> Self {
        self.status = StepStatus::Failed;
        self.error = Some(error);
        self
    }
}

/// How a write's answer reads: which statuses mean "done" and which mean
/// "already so" (idempotent replays).
pub(crate) struct WriteMeaning<'a> {
    pub done: &'a [u16],
    pub no_change: &'a [u16],
}

/// Records the step for a write and returns its status.
pub(crate) fn record_write(
    ctx: &Ctx,
    target: &str,
    operation: &str,
    system: System,
    result: Result<Sent, ApiError>,
    meaning: WriteMeaning<'_>,
    done_detail: &str,
) -> StepStatus {
    let base = step(target, operation, StepStatus::Done, done_detail).via(system);
    let s = match result {
        Ok(Sent::Planned) => Step {
            status: StepStatus::Planned,
            detail: format!("would {done_detail}"),
            ..base
        },
        Ok(Sent::Response(resp)) if meaning.done.contains(&resp.status) => base.response(&resp),
        // "Already so" after a retry may be our own earlier attempt, whose
        // answer was lost after Atlassian applied it: the change happened,
        // so the step is done, not "no change" (the fault campaign found a
        // removal reported as no change that had in fact been made).
        Ok(Sent::Response(resp)) if meaning.no_change.contains(&resp.status) && resp.attempts > 1 => Step {
            detail: format!(
                "{done_detail} (an earlier attempt went unanswered; Atlassian now says it is so, HTTP {})",
                resp.status
            ),
            ..base
        }
        .response(&resp),
        Ok(Sent::Response(resp)) if meaning.no_change.contains(&resp.status) => Step {
            status: StepStatus::NoChange,
            detail: format!("already so (HTTP {})", resp.status),
            ..base
        }
        .response(&resp),
        Ok(Sent::Response(resp)) if resp.is_success() => base.response(&resp),
        Ok(Sent::Response(resp)) => base.failed(&resp.error(system)),
        Err(e) => base.failed(&e),
    };
    let status = s.status;
    ctx.record(s);
    status
}
