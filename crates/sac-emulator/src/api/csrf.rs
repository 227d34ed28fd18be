//! CSRF on the browser domain: the token fetches (`GET /api/v1/csrf` for
//! the public APIs, `GET /sap/fpa/services/rest/epm/session?action=logon` for
//! the UI layer) and the guard that refuses writes without a valid token.

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
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

/// Whether `request` changes something (POST, PUT, PATCH, DELETE).
fn is_write(request: &Request) -> bool {
    let method = request.method();
    !(method.is_safe() || method == axum::http::Method::OPTIONS)
}

/// Refuses a write by an authenticated `principal` without the CSRF token
/// of its session and that session's cookie (403, `x-csrf-token: Required`).
async fn check(caller: &Caller, principal: Option<crate::auth::Principal>, request: Request, next: Next) -> Response {
    if let Some(principal) = principal {
        match caller.csrf_valid(&principal) {
            Ok(true) => {}
            Ok(false) => return ApiError::CsrfRequired.into_response(),
            Err(e) => return e.into_response(),
        }
    }
    next.run(request).await
}

/// Browser-domain middleware of the public APIs (`/api/...`): a write by a
/// caller with a valid bearer token (any grant) or a browser session must
/// carry the CSRF token of its session and that session's cookie, else 403
/// with `x-csrf-token: Required`. Callers that are not authenticated pass
/// on, to be refused by the service itself (401, or the login page) as SAC
/// refuses them before it looks at CSRF.
pub async fn api_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_write(&request) {
        return next.run(request).await;
    }
    let caller = Caller::of(&state, crate::Domain::Tenant, request.headers());
    let principal = match crate::auth::check_bearer(state.store(), &caller.headers) {
        Ok(crate::auth::TokenCheck::Valid(t)) => Some(crate::auth::Principal::from_token(&t)),
        Ok(crate::auth::TokenCheck::Missing) => match caller.browser() {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        },
        Ok(_) => None,
        Err(e) => return ApiError::from(e).into_response(),
    };
    check(&caller, principal, request, next).await
}

/// Browser-domain middleware of the UI layer (`/sap/fpa/...`, `/wrangling/...`
/// and the paths no service serves): as [`api_guard`], with the callers the
/// approuter lets through (a token with a user context, a browser session).
pub async fn ui_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_write(&request) {
        return next.run(request).await;
    }
    let caller = Caller::of(&state, crate::Domain::Tenant, request.headers());
    let principal = match caller.ui() {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    check(&caller, principal, request, next).await
}

/// `GET /api/v1/csrf`, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api_csrf))
}

/// The UI's logon call (browser domain).
pub(crate) fn ui_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(epm_session))
}
