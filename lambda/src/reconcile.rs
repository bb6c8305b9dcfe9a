//! `POST /v1/reconcile`: a small roster in the body, the core's reconcile
//! document out. The body is the roster's JSON Lines as they are (any content
//! type; `application/x-ndjson` is the natural one), and `?apply=true`
//! executes the plan; without it the reconcile only plans and writes nothing.
//! Like every route, the decisions are pure functions here; the run is in
//! [`crate::handler`].
//!
//! | answer | when |
//! |---|---|
//! | 200 + document | planned, or applied with every event succeeding |
//! | 400 `invalid_input` | a bad `apply`, an empty body, or bad roster lines (`field: "roster"`, every line in `lines`); nothing sent |
//! | 413 `payload_too_large` | a body over [`MAX_ROSTER_BYTES`]; nothing sent |
//! | 422 + document | the plan deprovisions more than `LCM_MAX_DEPROVISIONS` allows (`refused`); nothing sent |
//! | 4xx/5xx + document | applied, some events failed: the status of the first failure, as for an event |
//! | 502/504 error | the directory could not be read; nothing written |

use atlassian_lcm::event::{parse_roster, Roster, RosterError};
use atlassian_lcm::reconcile::ReconcileDocument;
use atlassian_lcm::transport::ApiError;
use atlassian_lcm::ErrorCode;
use serde_json::{json, Value};

use crate::http_api::{error_body, status_for_code};
use crate::invocation::{HttpAnswer, HttpCall};

/// The largest roster body: 1 MiB, the cap `lcm run` puts on one input, a
/// few thousand workers. Rosters of a whole company go through S3 (the next
/// issue); this route also has API Gateway's 29-second integration timeout to
/// finish within, so it is for a small roster or a department.
pub const MAX_ROSTER_BYTES: usize = 1024 * 1024;

/// The status of a plan refused whole by `LCM_MAX_DEPROVISIONS`: 422, as for
/// `removal_cap_exceeded`, the per-worker rail of the same kind. The request
/// is well formed and nothing conflicts with another write (409's meaning);
/// the connector's own safety rail refuses its content.
pub const CAP_REFUSED_STATUS: u16 = 422;

/// The field a refused roster is reported under.
pub const ROSTER_FIELD: &str = "roster";

/// A validated reconcile request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileJob {
    /// The parsed roster: every line valid.
    pub roster: Roster,
    /// `?apply=true`: execute the plan.
    pub apply: bool,
}

/// Reads `?apply` and the roster from the body, or answers 400/413 before
/// anything is read from Atlassian.
pub fn prepare(call: &HttpCall) -> Result<ReconcileJob, HttpAnswer> {
    let apply = match call.query.get("apply").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(bad_input(
                "apply",
                &format!("must be `true` or `false`, not `{other}`"),
            ))
        }
    };
    let text = call.body.as_deref().unwrap_or("");
    if text.len() > MAX_ROSTER_BYTES {
        return Err(HttpAnswer::json(
            413,
            error_body(
                "payload_too_large",
                Some("(body)"),
                &format!(
                    "the roster is {} bytes, over the {MAX_ROSTER_BYTES}-byte cap of POST /v1/reconcile; nothing was sent",
                    text.len()
                ),
            ),
        ));
    }
    if text.trim().is_empty() {
        return Err(bad_input(
            "(body)",
            "is empty; send the roster as the body, one JSON worker a line",
        ));
    }
    let roster = parse_roster(text).map_err(|e| roster_error(&e))?;
    Ok(ReconcileJob { roster, apply })
}

fn bad_input(field: &str, message: &str) -> HttpAnswer {
    HttpAnswer::json(
        400,
        error_body(ErrorCode::InvalidInput.as_str(), Some(field), message),
    )
}

/// 400 naming every bad line: the message as `lcm reconcile` prints it
/// (`line N: field: message`), and `error.lines` with each one.
pub fn roster_error(e: &RosterError) -> HttpAnswer {
    let mut body = error_body(
        ErrorCode::InvalidInput.as_str(),
        Some(ROSTER_FIELD),
        &e.to_string(),
    );
    let lines: Vec<Value> = e
        .lines
        .iter()
        .map(|l| json!({ "line": l.line, "field": l.field, "message": l.message }))
        .collect();
    body["error"]["lines"] = Value::from(lines);
    HttpAnswer::json(400, body)
}

/// The status a document answers with (see the module table).
pub fn status_for_document(d: &ReconcileDocument) -> u16 {
    if d.refused.is_some() {
        return CAP_REFUSED_STATUS;
    }
    if d.succeeded() {
        return 200;
    }
    let entry_errors = d.entries.iter().filter_map(|e| e.error.as_ref());
    let orphan_errors = d
        .orphans
        .iter()
        .filter_map(|o| o.report.as_ref().and_then(|r| r.first_error()));
    entry_errors
        .chain(orphan_errors)
        .next()
        .map(|e| status_for_code(e.code))
        .unwrap_or(500)
}

/// The document as the response.
pub fn answer_document(d: &ReconcileDocument) -> HttpAnswer {
    let body =
        serde_json::to_value(d).unwrap_or_else(|e| error_body("internal", None, &e.to_string()));
    HttpAnswer::json(status_for_document(d), body)
}

/// The directory could not be read: the status of its error, nothing written.
pub fn read_error(e: &ApiError) -> HttpAnswer {
    HttpAnswer::json(
        status_for_code(e.code),
        error_body(
            e.code.as_str(),
            None,
            &format!(
                "cannot read the directory: {}; nothing was written",
                e.message
            ),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_api::{self, Prepared};
    use crate::invocation::HttpFlavor;
    use atlassian_lcm::reconcile::{
        DocumentEntry, PlanAction, PlanEntry, Refusal, Summary, DEPROVISION_CAP_EXCEEDED,
    };
    use atlassian_lcm::report::ReportError;
    use std::collections::BTreeMap;

    const ADA: &str =
        r#"{"hrId":"E1001","workEmail":"ada.lovelace@example.com","groups":["engineering"]}"#;
    const JOAN: &str =
        r#"{"hrId":"E1003","workEmail":"joan.clarke@example.com","status":"terminated"}"#;

    fn call(path: &str, query: &[(&str, &str)], body: Option<&str>) -> HttpCall {
        HttpCall {
            flavor: HttpFlavor::ApiGatewayV2,
            method: "POST".into(),
            path: path.into(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            body: body.map(str::to_string),
            request_id: None,
        }
    }

    fn job(c: &HttpCall) -> Result<ReconcileJob, HttpAnswer> {
        match http_api::prepare(c)? {
            Prepared::Reconcile(job) => Ok(job),
            Prepared::Job(job) => panic!("routed as {:?}", job.route),
        }
    }

    #[test]
    fn the_body_is_the_roster_and_apply_comes_from_the_query() {
        let roster = format!("{ADA}\n\n{JOAN}\n");
        let planned = job(&call("/prod/v1/reconcile", &[], Some(&roster))).unwrap();
        assert!(!planned.apply);
        assert_eq!(planned.roster.entries.len(), 2);
        assert_eq!(
            planned.roster.entries[1].line, 3,
            "blank lines keep numbering"
        );
        let applied = job(&call("/v1/reconcile", &[("apply", "true")], Some(&roster))).unwrap();
        assert!(applied.apply);
        assert!(
            !job(&call("/v1/reconcile", &[("apply", "false")], Some(ADA)))
                .unwrap()
                .apply
        );
        let e = job(&call("/v1/reconcile", &[("apply", "yes")], Some(ADA))).unwrap_err();
        assert_eq!(
            (e.status, &e.body["error"]["field"]),
            (400, &json!("apply"))
        );
    }

    #[test]
    fn a_bad_roster_is_400_naming_every_line() {
        let roster = format!("{ADA}\n{{\"hrId\":\"E9\",\"workEmail\":\"nope\"}}\n{{nope\n{ADA}\n");
        let e = job(&call("/v1/reconcile", &[], Some(&roster))).unwrap_err();
        assert_eq!(e.status, 400);
        let error = &e.body["error"];
        assert_eq!(
            (&error["code"], &error["field"]),
            (&json!("invalid_input"), &json!("roster"))
        );
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with("the roster has 3 bad lines; nothing was sent"),
            "{message}"
        );
        assert!(message.contains("\n  line 2: workEmail: "), "{message}");
        assert!(
            message.contains("\n  line 3: (line): not valid JSON"),
            "{message}"
        );
        let lines: Vec<(u64, &str)> = error["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| (l["line"].as_u64().unwrap(), l["field"].as_str().unwrap()))
            .collect();
        assert_eq!(lines, [(2, "workEmail"), (3, "(line)"), (4, "hrId")]);
    }

    #[test]
    fn an_empty_or_oversized_body_is_refused() {
        for body in [None, Some(" \n ")] {
            let e = job(&call("/v1/reconcile", &[], body)).unwrap_err();
            assert_eq!(
                (e.status, &e.body["error"]["field"]),
                (400, &json!("(body)"))
            );
        }
        let mut big = format!("{ADA}\n");
        big.push_str(&" ".repeat(MAX_ROSTER_BYTES + 1 - big.len()));
        let e = job(&call("/v1/reconcile", &[], Some(&big))).unwrap_err();
        assert_eq!(e.status, 413);
        assert_eq!(e.body["error"]["code"], "payload_too_large");
        // At the cap exactly, the roster is read.
        big.pop();
        assert_eq!(
            job(&call("/v1/reconcile", &[], Some(&big)))
                .unwrap()
                .roster
                .entries
                .len(),
            1
        );
    }

    fn document() -> ReconcileDocument {
        ReconcileDocument {
            applied: false,
            summary: Summary::default(),
            failed: 0,
            refused: None,
            api_calls: 2,
            entries: vec![],
            orphans: vec![],
            run: None,
        }
    }

    fn failed_entry(code: ErrorCode) -> DocumentEntry {
        DocumentEntry {
            plan: PlanEntry {
                line: 1,
                hr_id: "E1".into(),
                email: "a@example.com".into(),
                action: PlanAction::Create,
                changes: vec![],
                reactivate: false,
                add: vec![],
                remove: vec![],
                scim_user_id: None,
                account_id: None,
                reason: None,
                refused: Vec::new(),
                wanted: vec![],
            },
            outcome: Some(atlassian_lcm::Outcome::Failed),
            error: Some(ReportError {
                code,
                message: "no".into(),
            }),
            report: None,
        }
    }

    #[test]
    fn documents_answer_by_what_happened() {
        let planned = document();
        let answer = answer_document(&planned);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["apiCalls"], 2);
        assert!(
            answer.body["summary"]["membershipsAdded"].is_u64(),
            "camelCase: {}",
            answer.body
        );

        let mut refused = document();
        refused.refused = Some(Refusal {
            code: DEPROVISION_CAP_EXCEEDED,
            message: "the plan deprovisions 9 people".into(),
        });
        let answer = answer_document(&refused);
        assert_eq!(answer.status, 422);
        assert_eq!(answer.body["refused"]["code"], "deprovision_cap_exceeded");

        let mut partial = document();
        partial.applied = true;
        partial.failed = 1;
        partial.entries = vec![failed_entry(ErrorCode::GroupNotFound)];
        assert_eq!(status_for_document(&partial), 422);
        partial.entries = vec![failed_entry(ErrorCode::Transport)];
        assert_eq!(status_for_document(&partial), 502);
    }

    #[test]
    fn an_unreadable_directory_is_the_status_of_its_error() {
        let e = ApiError {
            code: ErrorCode::Unauthorized,
            status: Some(401),
            message: "the token was refused".into(),
            attempts: 1,
        };
        let answer = read_error(&e);
        assert_eq!(answer.status, 502);
        assert_eq!(answer.body["error"]["code"], "unauthorized");
    }
}
