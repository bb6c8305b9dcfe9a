//! The HTTP API: routes, request bodies and status codes. Pure functions —
//! an [`HttpCall`] in, a [`Job`] for the engine or an [`HttpAnswer`] out — so
//! every status decision is unit-tested without a network.
//!
//! | route | body | runs |
//! |---|---|---|
//! | `POST /v1/events` | a lifecycle event | its actions |
//! | `POST /v1/actions/{action}` | a direct call (`action` optional, must match) | the action |
//! | `POST /v1/plan` | an event or a direct call | a dry run |
//! | `GET /v1/health?groups=a,b` | none | `CHECK` |
//! | `POST /v1/reconcile[?apply=true]` | a roster, JSON Lines | a reconcile (see [`crate::reconcile`]) |
//!
//! The path may carry a stage or base-path prefix (`/prod/v1/events`): routing
//! starts at the last `/v1/` segment.

use atlassian_lcm::{parse_request, ActionKind, ErrorCode, InputError, Report, Request};
use serde_json::{json, Value};

use crate::error::HostError;
use crate::invocation::{HttpAnswer, HttpCall};
use crate::reconcile::{self, ReconcileJob};

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/events`
    Events,
    /// `POST /v1/actions/{action}`
    Action(String),
    /// `POST /v1/plan`
    Plan,
    /// `GET /v1/health`
    Health,
    /// `POST /v1/reconcile`
    Reconcile,
}

impl Route {
    /// The route as a template, for logs.
    pub fn template(&self) -> &'static str {
        match self {
            Route::Events => "POST /v1/events",
            Route::Action(_) => "POST /v1/actions/{action}",
            Route::Plan => "POST /v1/plan",
            Route::Health => "GET /v1/health",
            Route::Reconcile => "POST /v1/reconcile",
        }
    }
}

const ROUTES: &str =
    "POST /v1/events, POST /v1/actions/{action}, POST /v1/plan, GET /v1/health, POST /v1/reconcile";

/// What the engine must run for an HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The route taken.
    pub route: Route,
    /// The validated request.
    pub request: Request,
    /// Plan instead of execute (`POST /v1/plan`).
    pub dry_run: bool,
}

/// What an HTTP request asks for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepared {
    /// An event, a direct call, a plan or a health check: one request
    /// (boxed: a request is large beside a roster's text).
    Job(Box<Job>),
    /// `POST /v1/reconcile`: a roster.
    Reconcile(ReconcileJob),
}

/// The JSON error body every non-report answer uses.
pub fn error_body(code: &str, field: Option<&str>, message: &str) -> Value {
    let mut error = json!({ "code": code, "message": message });
    if let Some(field) = field {
        error["field"] = json!(field);
    }
    json!({ "error": error })
}

/// 400 naming the bad field.
pub fn input_error(e: &InputError) -> HttpAnswer {
    HttpAnswer::json(
        400,
        error_body(ErrorCode::InvalidInput.as_str(), Some(&e.field), &e.message),
    )
}

/// 500 for a bad configuration (the caller cannot fix it), 503 when the
/// credentials could not be read (retry later).
pub fn host_error(e: &HostError) -> HttpAnswer {
    let status = match e {
        HostError::SecretUnavailable(_) => 503,
        HostError::Config(_) | HostError::Client(_) => 500,
    };
    HttpAnswer::json(status, error_body(e.code(), e.field(), &e.to_string()))
}

/// Finds the route, or answers 404/405.
pub fn route(method: &str, path: &str) -> Result<Route, HttpAnswer> {
    let not_found = || {
        HttpAnswer::json(
            404,
            error_body(
                "not_found",
                None,
                &format!("no route for {method} {path}; routes: {ROUTES}"),
            ),
        )
    };
    let Some(at) = path.rfind("/v1/") else {
        return Err(not_found());
    };
    let rest = path[at + "/v1/".len()..].trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let (route, allowed) = match segments.as_slice() {
        ["events"] => (Route::Events, "POST"),
        ["actions", action] if !action.is_empty() => (Route::Action((*action).to_string()), "POST"),
        ["plan"] => (Route::Plan, "POST"),
        ["health"] => (Route::Health, "GET"),
        ["reconcile"] => (Route::Reconcile, "POST"),
        _ => return Err(not_found()),
    };
    if method.eq_ignore_ascii_case(allowed) {
        Ok(route)
    } else {
        Err(HttpAnswer {
            status: 405,
            body: error_body(
                "method_not_allowed",
                None,
                &format!("{} takes {allowed}, not {method}", route.template()),
            ),
            allow: Some(allowed),
            retry_after: None,
        })
    }
}

/// Routes the call and validates its body: the engine's work, or the answer
/// already (404, 405, 400 naming the field, 413 for an oversized roster).
pub fn prepare(call: &HttpCall) -> Result<Prepared, HttpAnswer> {
    let route = route(&call.method, &call.path)?;
    let request = match &route {
        Route::Reconcile => return reconcile::prepare(call).map(Prepared::Reconcile),
        Route::Health => {
            let groups: Vec<String> = call
                .query
                .get("groups")
                .map(|g| {
                    g.split(',')
                        .map(str::trim)
                        .filter(|g| !g.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            // Through the parser, so the group names get the same checks as a direct CHECK.
            parse_request(&json!({ "action": "CHECK", "groups": groups }))
                .map_err(|e| input_error(&e))?
        }
        Route::Events | Route::Plan => {
            parse_request(&body_json(call)?).map_err(|e| input_error(&e))?
        }
        Route::Action(action) => {
            let mut body = body_json(call)?;
            let Some(obj) = body.as_object_mut() else {
                return Err(input_error(&field_error("(body)", "must be a JSON object")));
            };
            match obj.get("action").and_then(Value::as_str) {
                None => {
                    obj.insert("action".into(), json!(action));
                }
                Some(named) if same_action(named, action) => {}
                Some(named) => {
                    return Err(input_error(&field_error(
                        "action",
                        &format!("the body names `{named}` but the path names `{action}`; leave `action` out of the body"),
                    )))
                }
            }
            parse_request(&body).map_err(|e| input_error(&e))?
        }
    };
    if let Route::Events = route {
        // A worker-state event is an HR fact too: it has no lifecycle, only a state.
        if request.lifecycle.is_none() && request.state.is_none() {
            return Err(input_error(&field_error(
                "lifecycle",
                "POST /v1/events takes a lifecycle event or a worker state; send direct calls to POST /v1/actions/{action}",
            )));
        }
    }
    Ok(Prepared::Job(Box::new(Job {
        dry_run: route == Route::Plan,
        route,
        request,
    })))
}

/// The body and the path name the same action, however each is spelled.
fn same_action(a: &str, b: &str) -> bool {
    a == b || ActionKind::parse(a).is_some_and(|kind| ActionKind::parse(b) == Some(kind))
}

fn field_error(field: &str, message: &str) -> InputError {
    InputError {
        field: field.into(),
        message: message.into(),
    }
}

fn body_json(call: &HttpCall) -> Result<Value, HttpAnswer> {
    let text = call.body.as_deref().unwrap_or("").trim();
    if text.is_empty() {
        return Err(input_error(&field_error(
            "(body)",
            "is empty; send the JSON request as the body",
        )));
    }
    serde_json::from_str(text)
        .map_err(|e| input_error(&field_error("(body)", &format!("not valid JSON: {e}"))))
}

/// `Retry-After` for `worker_busy`: the other run usually ends within seconds.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 5;

/// The status code for an error code of the core.
pub fn status_for_code(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::InvalidInput => 400,
        ErrorCode::ActionDisabled | ErrorCode::UntrustedSource => 403,
        ErrorCode::UserNotFound => 404,
        ErrorCode::OwnershipConflict | ErrorCode::Conflict | ErrorCode::InactiveUser => 409,
        ErrorCode::RemovalCapExceeded
        | ErrorCode::GroupNotFound
        | ErrorCode::GroupNameCase
        | ErrorCode::GroupNotGrantable => 422,
        ErrorCode::InvalidConfig => 500,
        // Atlassian refused or failed: a bad gateway from the caller's view,
        // including a refused credential (it is ours, not the caller's).
        ErrorCode::Unauthorized
        | ErrorCode::Forbidden
        | ErrorCode::NotFound
        | ErrorCode::Rejected
        | ErrorCode::AtlassianError
        | ErrorCode::Transport
        | ErrorCode::UnexpectedResponse
        | ErrorCode::OutcomeUnknown => 502,
        ErrorCode::DeadlineExceeded => 504,
        // The event conflicts with a newer fact already applied: retrying
        // cannot help.
        ErrorCode::StaleEvent => 409,
        // Another run holds the worker, or the ledger is unreachable: retry later.
        ErrorCode::WorkerBusy | ErrorCode::LedgerUnavailable => 503,
        // Held behind an earlier event for the worker that failed (bulk
        // runs only): this one depends on that one.
        ErrorCode::EarlierEventFailed => 424,
    }
}

/// 200 for `succeeded`, `no_change` and `planned`; otherwise the status of
/// the first error (report-level first, then steps).
pub fn status_for_report(report: &Report) -> u16 {
    if report.outcome.is_success() {
        200
    } else {
        report
            .first_error()
            .map(|e| status_for_code(e.code))
            .unwrap_or(500)
    }
}

/// The report as the response; a busy worker's 503 says when to retry.
pub fn answer_report(report: &Report) -> HttpAnswer {
    let body = serde_json::to_value(report)
        .unwrap_or_else(|e| error_body("internal", None, &e.to_string()));
    let mut answer = HttpAnswer::json(status_for_report(report), body);
    if answer.status == 503 {
        answer.retry_after = Some(BUSY_RETRY_AFTER_SECONDS);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invocation::HttpFlavor;
    use std::collections::BTreeMap;

    /// The request routes only: a reconcile is tested in `crate::reconcile`.
    fn prepare(c: &HttpCall) -> Result<Job, HttpAnswer> {
        match super::prepare(c)? {
            Prepared::Job(job) => Ok(*job),
            Prepared::Reconcile(_) => panic!("not a request route"),
        }
    }

    fn call(method: &str, path: &str, body: Option<Value>) -> HttpCall {
        HttpCall {
            flavor: HttpFlavor::ApiGatewayV2,
            method: method.into(),
            path: path.into(),
            query: BTreeMap::new(),
            body: body.map(|b| b.to_string()),
            request_id: None,
        }
    }

    fn joiner() -> Value {
        json!({
            "schemaVersion": "1", "eventId": "hr-1", "lifecycle": "joiner",
            "worker": {"hrId": "E2001", "workEmail": "mary.jackson@example.com", "displayName": "Mary Jackson"},
            "access": {"groups": ["jira-software-users"]}
        })
    }

    #[test]
    fn routes_with_and_without_stage_prefix() {
        assert_eq!(route("POST", "/v1/events").unwrap(), Route::Events);
        assert_eq!(route("POST", "/prod/v1/events/").unwrap(), Route::Events);
        assert_eq!(
            route("post", "/v1/actions/CHECK").unwrap(),
            Route::Action("CHECK".into())
        );
        assert_eq!(route("POST", "/v1/plan").unwrap(), Route::Plan);
        assert_eq!(route("GET", "/v1/health").unwrap(), Route::Health);
        assert_eq!(
            route("POST", "/prod/v1/reconcile").unwrap(),
            Route::Reconcile
        );
        assert_eq!(
            route("GET", "/v1/reconcile").unwrap_err().allow,
            Some("POST")
        );
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(route("POST", "/v2/events").unwrap_err().status, 404);
        assert_eq!(route("POST", "/v1/actions/").unwrap_err().status, 404);
        let e = route("GET", "/v1/events").unwrap_err();
        assert_eq!((e.status, e.allow), (405, Some("POST")));
        assert_eq!(route("POST", "/v1/health").unwrap_err().allow, Some("GET"));
    }

    #[test]
    fn events_take_lifecycle_events_only() {
        let job = prepare(&call("POST", "/v1/events", Some(joiner()))).unwrap();
        assert_eq!(job.request.calls.len(), 2);
        assert!(!job.dry_run);
        let e = prepare(&call(
            "POST",
            "/v1/events",
            Some(json!({"action": "CHECK"})),
        ))
        .unwrap_err();
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (400, &json!("lifecycle"))
        );
    }

    #[test]
    fn events_take_worker_states_which_need_occurred_at() {
        let line = json!({"eventId": "hr-2", "hrId": "E2001", "workEmail": "mary.jackson@example.com",
                          "status": "terminated", "occurredAt": "2026-11-30T09:00:00Z"});
        let job = prepare(&call("POST", "/v1/events", Some(line.clone()))).unwrap();
        let state = job.request.state.as_ref().expect("a worker state");
        assert_eq!(state.status.as_str(), "terminated");
        assert!(job.request.calls.is_empty(), "derived when it runs");
        assert_eq!(job.request.event_id.as_deref(), Some("hr-2"));
        let job = prepare(&call("POST", "/v1/plan", Some(line.clone()))).unwrap();
        assert!(job.dry_run && job.request.state.is_some());

        let mut untimed = line;
        untimed.as_object_mut().unwrap().remove("occurredAt");
        let e = prepare(&call("POST", "/v1/events", Some(untimed))).unwrap_err();
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (400, &json!("occurredAt"))
        );
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let e = prepare(&call("POST", "/v1/events", None)).unwrap_err();
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (400, &json!("(body)"))
        );
        let e = prepare(&HttpCall {
            body: Some("{nope".into()),
            ..call("POST", "/v1/plan", None)
        })
        .unwrap_err();
        assert!(e.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"));
        let mut bad = joiner();
        bad["worker"]["workEmail"] = json!("not-an-email");
        let e = prepare(&call("POST", "/v1/events", Some(bad))).unwrap_err();
        assert_eq!(e.body["error"]["field"], "worker.workEmail");
        assert_eq!(e.body["error"]["code"], "invalid_input");
    }

    #[test]
    fn action_comes_from_the_path_and_must_agree_with_the_body() {
        let body = json!({"worker": {"workEmail": "grace.hopper@example.com"}});
        let job = prepare(&call(
            "POST",
            "/v1/actions/deprovision-identity",
            Some(body.clone()),
        ))
        .unwrap();
        assert_eq!(job.request.calls[0].kind().as_str(), "DEPROVISION_IDENTITY");
        let mut named = body.clone();
        named["action"] = json!("DEPROVISION_IDENTITY");
        assert!(prepare(&call(
            "POST",
            "/v1/actions/deprovision-identity",
            Some(named)
        ))
        .is_ok());
        let mut other = body;
        other["action"] = json!("DELETE_IDENTITY");
        let e = prepare(&call(
            "POST",
            "/v1/actions/deprovision-identity",
            Some(other),
        ))
        .unwrap_err();
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (400, &json!("action"))
        );
        let e = prepare(&call("POST", "/v1/actions/FLY", Some(json!({})))).unwrap_err();
        assert_eq!(e.body["error"]["field"], "action");
    }

    #[test]
    fn plan_is_a_dry_run_and_health_reads_groups() {
        assert!(
            prepare(&call("POST", "/v1/plan", Some(joiner())))
                .unwrap()
                .dry_run
        );
        let mut health = call("GET", "/v1/health", None);
        health
            .query
            .insert("groups".into(), "jira-software-users, engineering".into());
        let job = prepare(&health).unwrap();
        assert_eq!(
            job.request,
            Request::check(vec!["jira-software-users".into(), "engineering".into()])
        );
    }

    #[test]
    fn status_codes_by_error() {
        assert_eq!(status_for_code(ErrorCode::InvalidInput), 400);
        assert_eq!(status_for_code(ErrorCode::ActionDisabled), 403);
        assert_eq!(status_for_code(ErrorCode::OwnershipConflict), 409);
        assert_eq!(status_for_code(ErrorCode::RemovalCapExceeded), 422);
        assert_eq!(status_for_code(ErrorCode::Transport), 502);
        assert_eq!(status_for_code(ErrorCode::Unauthorized), 502);
        assert_eq!(status_for_code(ErrorCode::DeadlineExceeded), 504);
        assert_eq!(status_for_code(ErrorCode::EarlierEventFailed), 424);
    }

    #[test]
    fn host_errors_are_5xx() {
        assert_eq!(
            host_error(&HostError::SecretUnavailable("throttled".into())).status,
            503
        );
        let e = host_error(&HostError::Config(
            atlassian_lcm::config::FieldError::new(
                atlassian_lcm::config::Key::ScimUrl,
                Some(atlassian_lcm::config::Source::Secret),
                "is bad",
            )
            .into(),
        ));
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (500, &json!("scim_url"))
        );
    }
}
