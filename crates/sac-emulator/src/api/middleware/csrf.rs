//! CSRF on the browser domain: writes by an authenticated caller must carry
//! the CSRF token of its session and that session's cookie. `api/mod.rs`
//! layers [`api_guard`] on the public APIs and [`ui_guard`] on the UI layer;
//! the token service and the emulator's own surface have neither.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::auth::{check_bearer, Principal, TokenCheck};
use crate::Domain;

/// Whether `request` changes something (POST, PUT, PATCH, DELETE).
fn is_write(request: &Request) -> bool {
    let method = request.method();
    !(method.is_safe() || method == axum::http::Method::OPTIONS)
}

/// Refuses a write by an authenticated `principal` without the CSRF token
/// of its session and that session's cookie (403, `x-csrf-token: Required`).
async fn check(caller: &Caller, principal: Option<Principal>, request: Request, next: Next) -> Response {
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
    let caller = Caller::of(&state, Domain::Tenant, request.headers());
    let principal = match check_bearer(state.store(), &caller.headers) {
        Ok(TokenCheck::Valid(t)) => Some(Principal::from_token(&t)),
        Ok(TokenCheck::Missing) => match caller.browser() {
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
    let caller = Caller::of(&state, Domain::Tenant, request.headers());
    let principal = match caller.ui() {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    check(&caller, principal, request, next).await
}
