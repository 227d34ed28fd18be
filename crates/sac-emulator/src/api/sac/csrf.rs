//! The CSRF token fetches: `GET /api/v1/csrf` for the public APIs and
//! `GET /sap/fpa/services/rest/epm/session?action=logon` for the UI layer.
//! The guard that refuses writes without a valid token is
//! `api::middleware::csrf`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use sac_types::legacy::EPM_SESSION_PATH;

/// `GET /api/v1/csrf`: any valid bearer token (any grant) or a browser
/// session may fetch a token. Without either: 401.
#[utoipa::path(
    get,
    path = "/api/v1/csrf",
    tag = tags::CSRF,
    security(("bearer" = []), ("session" = [])),
    params(("x-csrf-token" = Option<String>, Header, description = "`Fetch` to get a token in the answer's `x-csrf-token`")),
    responses(
        (status = 200, description = "A CSRF token in `x-csrf-token` and the session's cookie"),
        (status = 401, description = "No valid bearer token and no browser session", content_type = "application/json"),
    ),
)]
pub async fn api_csrf(caller: Caller) -> Result<Response, ApiError> {
    let principal = caller.api()?;
    caller.with_csrf(&principal, StatusCode::OK.into_response())
}

/// `GET /sap/fpa/services/rest/epm/session?action=logon`: the UI's logon
/// call. Needs a user context; otherwise the login page.
#[utoipa::path(
    get,
    path = EPM_SESSION_PATH,
    tag = tags::CSRF,
    security(("bearer" = []), ("session" = [])),
    params(
        ("action" = String, Query, description = "`logon`"),
        ("lang" = Option<String>, Query, description = "UI language (default `en`)"),
        ("x-csrf-token" = Option<String>, Header, description = "`Fetch` to get a token in the answer's `x-csrf-token`"),
    ),
    responses(
        (status = 200, description = "The user, tenant and language (JSON); or, without a user context, the login page (HTML)", content((serde_json::Value = "application/json"), (String = "text/html"))),
        (status = 400, description = "An action other than logon", content_type = "application/json"),
    ),
)]
pub async fn epm_session(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let principal = caller.ui()?.ok_or(ApiError::LoginPage)?;
    if q.get("action").map(String::as_str) != Some("logon") {
        return Err(ApiError::legacy(StatusCode::BAD_REQUEST, None, "Unknown session action; use action=logon"));
    }
    let tenant = state.tenant();
    let user = principal.user.clone().unwrap_or_default();
    let body = serde_json::json!({
        "user": user,
        "tenant": tenant.letter,
        "language": q.get("lang").cloned().unwrap_or_else(|| "en".into()),
    });
    caller.with_csrf(&principal, Json(body).into_response())
}

/// `GET /api/v1/csrf`, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_csrf))
}

/// The UI's logon call (browser domain).
pub(crate) fn ui_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(epm_session))
}
