//! CSRF on the browser domain: the token fetches (`GET /api/v1/csrf` for
//! the public APIs, `GET /sap/fpa/services/rest/epm/session?action=logon` for
//! the UI layer) and the guard that refuses writes without a valid token.

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use std::collections::HashMap;

use crate::api::openapi::tags;
use sac_types::legacy::EPM_SESSION_PATH;

use crate::api::responses::{csrf_required, internal, legacy_error, login_page};
use crate::auth::{self, check_bearer, current_session, fetch_csrf, Principal, TokenCheck};
use crate::Domain;

/// Adds the CSRF token (and a session cookie) to `response` when the
/// request asked for one with `x-csrf-token: fetch`.
fn with_csrf(
    state: &crate::api::state::AppState,
    headers: &HeaderMap,
    principal: &Principal,
    mut response: Response,
) -> Response {
    if !auth::wants_csrf(headers) {
        return response;
    }
    let session = match current_session(state.sessions(), headers) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    match fetch_csrf(state.sessions(), principal, session) {
        Ok(grant) => {
            let value = grant.token.parse().expect("tokens are header-safe");
            response.headers_mut().insert("x-csrf-token", value);
            if let Some(cookie) = grant.set_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => internal(e),
    }
}

/// Adds a CSRF token to the answer of a public-API GET that asked for one
/// (SAP: any GET on the Data Import or Data Export service hands one out).
pub(crate) fn attach(state: &crate::api::state::AppState, headers: &HeaderMap, response: Response) -> Response {
    if !auth::wants_csrf(headers) {
        return response;
    }
    match check_bearer(state.store(), headers) {
        Ok(TokenCheck::Valid(t)) => with_csrf(state, headers, &Principal::from_token(&t), response),
        _ => match current_session(state.sessions(), headers) {
            Ok(Some(s)) => match Principal::from_browser_session(&s) {
                Some(p) => with_csrf(state, headers, &p, response),
                None => response,
            },
            _ => response,
        },
    }
}

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
pub async fn api_csrf(
    State(state): State<crate::api::state::AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    match super::principal::api_principal(&state, domain, &headers) {
        Ok(principal) => with_csrf(&state, &headers, &principal, StatusCode::OK.into_response()),
        Err(refusal) => refusal,
    }
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
    State(state): State<crate::api::state::AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let principal = match check_bearer(state.store(), &headers) {
        Ok(TokenCheck::Valid(t)) if t.user.is_some() => Principal::from_token(&t),
        Ok(TokenCheck::Missing) => match current_session(state.sessions(), &headers) {
            Ok(Some(s)) => match Principal::from_browser_session(&s) {
                Some(p) => p,
                None => return login_page(),
            },
            Ok(None) => return login_page(),
            Err(e) => return internal(e),
        },
        Ok(_) => return login_page(),
        Err(e) => return internal(e),
    };
    if q.get("action").map(String::as_str) != Some("logon") {
        return legacy_error(StatusCode::BAD_REQUEST, None, "Unknown session action; use action=logon");
    }
    let tenant = state.tenant();
    let user = principal.user.clone().unwrap_or_default();
    let body = serde_json::json!({
        "user": user,
        "tenant": tenant.letter,
        "language": q.get("lang").cloned().unwrap_or_else(|| "en".into()),
    });
    with_csrf(&state, &headers, &principal, Json(body).into_response())
}

/// Paths whose writes need no CSRF token: the token service and login form
/// (on SAC a separate host) and the emulator's admin API.
fn csrf_exempt(path: &str) -> bool {
    ["/oauth/", "/login", "/approuter/", "/emulator/"].iter().any(|p| path.starts_with(p))
}

/// Browser-domain middleware: a POST, PUT, PATCH or DELETE by an
/// authenticated caller must carry the CSRF token of the caller's session and
/// that session's cookie, else 403 with `x-csrf-token: Required`. Callers that
/// are not authenticated pass on, to be refused by the service itself (401,
/// or the login page) as SAC refuses them before it looks at CSRF.
pub async fn guard(State(state): State<crate::api::state::AppState>, request: Request, next: Next) -> Response {
    let method = request.method();
    let write = !(method.is_safe() || method == axum::http::Method::OPTIONS);
    if !write || csrf_exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let principal = if request.uri().path().starts_with("/api/") {
        match check_bearer(state.store(), headers) {
            Ok(TokenCheck::Valid(t)) => Some(Principal::from_token(&t)),
            Ok(TokenCheck::Missing) => match current_session(state.sessions(), headers) {
                Ok(s) => s.as_ref().and_then(Principal::from_browser_session),
                Err(e) => return internal(e),
            },
            Ok(_) => None,
            Err(e) => return internal(e),
        }
    } else {
        match crate::api::principal::ui_principal(&state, Domain::Tenant, headers) {
            Ok(p) => p,
            Err(refusal) => return refusal,
        }
    };
    if let Some(principal) = principal {
        let session = match current_session(state.sessions(), headers) {
            Ok(s) => s,
            Err(e) => return internal(e),
        };
        if !auth::csrf_valid(headers, session.as_ref(), &principal) {
            return csrf_required();
        }
    }
    next.run(request).await
}

/// The CSRF services' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api_csrf, epm_session))]
pub(crate) struct Doc;
