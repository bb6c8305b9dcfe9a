//! The axum routers: the three Atlassian APIs on one (their paths are disjoint) and the control API.
//!
//! Each API module lists its own routes (`scim::routes`, `admin::routes`,
//! `user_management::routes`), so a route reads next to the handlers that serve it.

use std::sync::Arc;

use axum::http::{Method, StatusCode, Uri};
use axum::Router;

use crate::api_errors::api_error;
use crate::app_state::AppState;
use crate::log::Api;

/// SCIM, Admin and user management, with an API-shaped 404 for anything else.
pub(crate) fn api(app: Arc<AppState>) -> Router {
    crate::scim::routes()
        .merge(crate::admin::routes())
        .merge(crate::user_management::routes())
        .merge(crate::products::routes())
        .fallback(|method: Method, uri: Uri| async move {
            let api = Api::for_path(uri.path());
            api_error(
                api,
                StatusCode::NOT_FOUND,
                &format!("No such endpoint: {method} {}", uri.path()),
                String::from("0"),
            )
        })
        .with_state(app)
}

/// `/__emulator/...`: reached before auth, faults and the log (see `http_server.rs`).
pub(crate) fn control(app: Arc<AppState>) -> Router {
    crate::control::routes().with_state(app)
}
