//! The control API under `/__emulator`: state, request log, faults, tokens, reset, info.
//!
//! For the binary's users (people, JS tooling, Lambda tests) what `Emulator`'s methods are for
//! in-process tests. It bypasses auth, faults and the request log, so inspecting the emulator never
//! disturbs what a test measures.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::app_state::AppState;
use crate::faults::Faults;
use crate::seed::{EmulatorOptions, Seed};

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/__emulator/state", get(state))
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route("/__emulator/faults", put(set_faults).delete(clear_faults))
        .route("/__emulator/tokens", put(set_tokens))
        .route("/__emulator/options", put(set_options))
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/large-org", post(large_org))
        .route("/__emulator/info", get(info))
}

fn bad_request(detail: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": detail }))).into_response()
}

async fn state(State(app): State<Arc<AppState>>) -> Response {
    Json(app.snapshot()).into_response()
}

async fn requests(State(app): State<Arc<AppState>>) -> Response {
    Json(app.requests()).into_response()
}

async fn clear_requests(State(app): State<Arc<AppState>>) -> StatusCode {
    crate::app_state::lock(&app.log).clear();
    StatusCode::NO_CONTENT
}

async fn set_faults(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(faults) => {
            app.set_faults(faults);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(format!("invalid Faults JSON: {e}")),
    }
}

async fn clear_faults(State(app): State<Arc<AppState>>) -> StatusCode {
    app.set_faults(Faults::default());
    StatusCode::NO_CONTENT
}

/// Replaces the options; a field left out takes its default (as in a seed).
async fn set_options(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<EmulatorOptions>(&body) {
        Ok(options) => {
            app.state().options = options;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(format!("invalid EmulatorOptions JSON: {e}")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tokens {
    scim_token: Option<String>,
    admin_api_key: Option<String>,
}

async fn set_tokens(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Tokens>(&body) {
        Ok(tokens) => {
            app.set_tokens(tokens.scim_token, tokens.admin_api_key);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(format!("expected {{\"scimToken\", \"adminApiKey\"}}: {e}")),
    }
}

async fn reset(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let seed = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Seed>(&body) {
            Ok(seed) => Some(seed),
            Err(e) => return bad_request(format!("invalid Seed JSON: {e}")),
        }
    };
    match app.reset(seed) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => bad_request(e),
    }
}

/// `POST /__emulator/large-org`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LargeOrgRequest {
    people: usize,
    #[serde(default = "one_percent")]
    drift_percent: f64,
    #[serde(default)]
    seed: u64,
}

fn one_percent() -> f64 {
    1.0
}

/// The most people a generated organisation may hold (the emulator's scale target).
const MAX_LARGE_ORG: usize = 100_000;

/// Resets to a generated organisation ([`crate::large_org`]) and answers its
/// HR roster and drift, so a test outside Rust (the Lambda's distributed
/// reconcile) can reconcile a known organisation at scale.
async fn large_org(State(app): State<Arc<AppState>>, body: Bytes) -> Response {
    let req = match serde_json::from_slice::<LargeOrgRequest>(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(format!(
                "expected {{\"people\": N, \"driftPercent\": P, \"seed\": S}}: {e}"
            ))
        }
    };
    if req.people == 0 || req.people > MAX_LARGE_ORG || !(0.0..=100.0).contains(&req.drift_percent)
    {
        return bad_request(format!(
            "people must be 1 to {MAX_LARGE_ORG} and driftPercent 0 to 100"
        ));
    }
    let org = crate::large_org(req.people, req.drift_percent, req.seed);
    if let Err(e) = app.reset(Some(org.seed)) {
        return bad_request(e);
    }
    let d = org.drift;
    Json(json!({
        "roster": org.roster,
        "drift": {
            "newHires": d.new_hires,
            "terminated": d.terminated,
            "retitled": d.retitled,
            "moved": d.moved,
            "orphans": d.orphans,
        },
    }))
    .into_response()
}

/// URLs, ids and (fake) credentials: a local emulator's tokens unlock nothing else.
async fn info(State(app): State<Arc<AppState>>) -> Response {
    Json(app.info()).into_response()
}
