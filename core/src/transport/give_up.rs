//! The pure half of the retry loop: what an attempt tells the retry policy,
//! whether the policy may be asked at all, and what the request comes to
//! once it stops. No I/O, so the whole decision is tested as a table.

use super::request::Kind;
use super::response::{ApiError, ApiResponse};
use crate::http::{HttpResponse, TransportError};
use crate::report::ErrorCode;
use crate::retry::{Attempt, GiveUp, RETRYABLE_STATUSES};

/// What an attempt's result tells the retry policy.
pub fn signal(result: &Result<HttpResponse, TransportError>) -> Attempt<'_> {
    match result {
        Ok(resp) => {
            let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
            Attempt::Response {
                status: resp.status().as_u16(),
                retry_after: header("retry-after"),
                rate_limit_reset: header("x-ratelimit-reset"),
            }
        }
        Err(_) => Attempt::Transport,
    }
}

/// Whether the retry policy may be asked at all: a create is repeated only
/// when the server certainly refused it (429, 503).
pub fn may_retry(kind: Kind, attempt: Attempt<'_>) -> bool {
    match (kind, attempt) {
        (Kind::Create, Attempt::Response { status, .. }) => matches!(status, 429 | 503),
        (Kind::Create, Attempt::Transport) => false,
        _ => true,
    }
}

/// True when the result must not be repeated whatever the policy says: a
/// body over the cap would come back as large.
pub fn is_final(result: &Result<HttpResponse, TransportError>) -> bool {
    matches!(result, Err(TransportError::BodyTooLarge(_)))
}

/// The error when the deadline passed before attempt `attempts + 1` was sent.
pub fn out_of_time(attempts: u32) -> ApiError {
    ApiError {
        code: ErrorCode::DeadlineExceeded,
        status: None,
        message: "the time budget ran out before the request could be sent".into(),
        attempts,
    }
}

/// What a request comes to when the policy stops (`why`) after `attempts`
/// attempts, the last of which produced `result`.
pub fn settle(
    kind: Kind,
    why: GiveUp,
    attempts: u32,
    result: Result<HttpResponse, TransportError>,
) -> Result<ApiResponse, ApiError> {
    match result {
        Ok(resp) => settle_response(kind, why, attempts, resp),
        Err(e) => Err(settle_transport(kind, why, attempts, &e)),
    }
}

fn settle_response(
    kind: Kind,
    why: GiveUp,
    attempts: u32,
    resp: HttpResponse,
) -> Result<ApiResponse, ApiError> {
    let status = resp.status().as_u16();
    if why == GiveUp::Deadline && RETRYABLE_STATUSES.contains(&status) {
        return Err(ApiError {
            code: ErrorCode::DeadlineExceeded,
            status: Some(status),
            message: format!("HTTP {status} and no time left to retry within the deadline"),
            attempts,
        });
    }
    if kind == Kind::Create && matches!(status, 500 | 502 | 504) {
        // The server may have created the object before failing.
        return Err(ApiError {
            code: ErrorCode::OutcomeUnknown,
            status: Some(status),
            message: format!("HTTP {status}: the create may or may not have reached Atlassian"),
            attempts,
        });
    }
    Ok(ApiResponse {
        status,
        body: resp.into_body(),
        attempts,
    })
}

fn settle_transport(kind: Kind, why: GiveUp, attempts: u32, e: &TransportError) -> ApiError {
    let (code, prefix) = match (kind, why) {
        (Kind::Create, _) => (
            ErrorCode::OutcomeUnknown,
            "the create may or may not have reached Atlassian",
        ),
        _ if matches!(e, TransportError::BodyTooLarge(_)) => (
            ErrorCode::UnexpectedResponse,
            "Atlassian's response was refused",
        ),
        (_, GiveUp::Deadline) => (
            ErrorCode::DeadlineExceeded,
            "no time left to retry within the deadline",
        ),
        _ => (ErrorCode::Transport, "no response from Atlassian"),
    };
    ApiError {
        code,
        status: None,
        message: format!("{prefix}: {e}"),
        attempts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> Result<HttpResponse, TransportError> {
        Ok(http::Response::builder()
            .status(status)
            .body(b"{}".to_vec())
            .unwrap())
    }

    fn dropped() -> Result<HttpResponse, TransportError> {
        Err(TransportError::Connection("reset".into()))
    }

    fn too_large() -> Result<HttpResponse, TransportError> {
        Err(TransportError::BodyTooLarge(
            crate::transport::body::MAX_BODY_BYTES,
        ))
    }

    #[test]
    fn a_body_over_the_cap_is_never_repeated() {
        assert!(is_final(&too_large()));
        assert!(!is_final(&dropped()));
        assert!(!is_final(&response(503)));
        let e = settle(Kind::Read, GiveUp::NotRetryable, 1, too_large()).unwrap_err();
        assert!(e.message.contains("16 MiB cap"), "{}", e.message);
    }

    #[test]
    fn may_retry_table() {
        let status = |s| Attempt::Response {
            status: s,
            retry_after: None,
            rate_limit_reset: None,
        };
        #[rustfmt::skip]
        let cases = [
            ("read 500", Kind::Read, status(500), true),
            ("read, no response", Kind::Read, Attempt::Transport, true),
            ("write 502", Kind::Write, status(502), true),
            ("create 429", Kind::Create, status(429), true),
            ("create 503", Kind::Create, status(503), true),
            ("create 500 may have landed", Kind::Create, status(500), false),
            ("create 504 may have landed", Kind::Create, status(504), false),
            ("create, no response", Kind::Create, Attempt::Transport, false),
        ];
        for (name, kind, attempt, want) in cases {
            assert_eq!(may_retry(kind, attempt), want, "{name}");
        }
    }

    #[test]
    fn settle_table() {
        use ErrorCode::*;
        use GiveUp::*;
        type Case = (
            &'static str,
            Kind,
            GiveUp,
            Result<HttpResponse, TransportError>,
            Result<u16, (ErrorCode, Option<u16>)>,
        );
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("success is returned", Kind::Read, NotRetryable, response(200), Ok(200)),
            ("a final 404 is returned for the caller to read", Kind::Write, NotRetryable, response(404), Ok(404)),
            ("503 after the attempts is returned", Kind::Read, AttemptsExhausted, response(503), Ok(503)),
            ("503 at the deadline", Kind::Write, Deadline, response(503), Err((DeadlineExceeded, Some(503)))),
            ("404 at the deadline is still an answer", Kind::Read, Deadline, response(404), Ok(404)),
            ("create 500: outcome unknown", Kind::Create, NotRetryable, response(500), Err((OutcomeUnknown, Some(500)))),
            ("create 502: outcome unknown", Kind::Create, NotRetryable, response(502), Err((OutcomeUnknown, Some(502)))),
            ("create 409 is returned", Kind::Create, NotRetryable, response(409), Ok(409)),
            ("create 503 exhausted is returned", Kind::Create, AttemptsExhausted, response(503), Ok(503)),
            ("no response", Kind::Read, AttemptsExhausted, dropped(), Err((Transport, None))),
            ("no response at the deadline", Kind::Write, Deadline, dropped(), Err((DeadlineExceeded, None))),
            ("create, no response", Kind::Create, NotRetryable, dropped(), Err((OutcomeUnknown, None))),
            ("body over the cap", Kind::Read, NotRetryable, too_large(), Err((UnexpectedResponse, None))),
            ("write, body over the cap", Kind::Write, NotRetryable, too_large(), Err((UnexpectedResponse, None))),
            ("create, body over the cap: it may have landed", Kind::Create, NotRetryable, too_large(), Err((OutcomeUnknown, None))),
        ];
        for (name, kind, why, result, want) in cases {
            let got = settle(kind, why, 3, result)
                .map(|r| {
                    assert_eq!(r.attempts, 3, "{name}");
                    r.status
                })
                .map_err(|e| {
                    assert_eq!(e.attempts, 3, "{name}");
                    (e.code, e.status)
                });
            assert_eq!(got, want, "{name}");
        }
    }
}
