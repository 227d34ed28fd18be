//! Who a request acts for, as the public APIs and the UI layer decide it,
//! with SAC's refusal when nobody (or the wrong kind of caller) is there.

use axum::http::HeaderMap;
use axum::response::Response;

use super::responses::{internal, login_page, unauthorized};
use super::state::AppState;
use crate::auth::{check_bearer, current_session, Principal, TokenCheck};
use crate::Domain;

/// Who a public-API request acts for: any valid bearer token, or on the
/// browser domain a browser session. Otherwise 401.
pub fn api_principal(state: &AppState, domain: Domain, headers: &HeaderMap) -> Result<Principal, Response> {
    match check_bearer(state.store(), headers).map_err(internal)? {
        TokenCheck::Valid(t) => Ok(Principal::from_token(&t)),
        TokenCheck::Expired => Err(unauthorized("The access token has expired")),
        TokenCheck::Unknown => Err(unauthorized("Invalid access token")),
        TokenCheck::Missing if domain == Domain::Tenant => current_session(state.sessions(), headers)
            .map_err(internal)?
            .as_ref()
            .and_then(Principal::from_browser_session)
            .ok_or_else(|| unauthorized("Authentication required")),
        TokenCheck::Missing => Err(unauthorized("Authentication required")),
    }
}

/// Who a request to a public service (Data Import, Data Export, Multi
/// Actions) acts for, as [`api_principal`] decides; but on the browser
/// domain a caller with neither a bearer token nor a session meets the
/// approuter's login page (HTTP 200, HTML), as the UI layer's services do.
pub fn service_principal(state: &AppState, domain: Domain, headers: &HeaderMap) -> Result<Principal, Response> {
    if domain == Domain::Tenant && crate::auth::bearer(headers).is_none() {
        let session = current_session(state.sessions(), headers).map_err(internal)?;
        return session.as_ref().and_then(Principal::from_browser_session).ok_or_else(login_page);
    }
    api_principal(state, domain, headers)
}

/// Who a UI-layer request acts for. On the browser domain the approuter lets
/// only tokens with a user context and browser sessions through; on the API
/// domain any valid token counts (a technical one then meets error 3000).
pub(crate) fn ui_principal(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
) -> Result<Option<Principal>, Response> {
    let token = check_bearer(state.store(), headers).map_err(internal)?;
    Ok(match (domain, token) {
        (Domain::Api, TokenCheck::Valid(t)) => Some(Principal::from_token(&t)),
        (Domain::Api, TokenCheck::Expired) => return Err(unauthorized("The access token has expired")),
        (Domain::Api, TokenCheck::Unknown) => return Err(unauthorized("Invalid access token")),
        (Domain::Api, TokenCheck::Missing) => None,
        (Domain::Tenant, TokenCheck::Valid(t)) if t.user.is_some() => Some(Principal::from_token(&t)),
        (Domain::Tenant, TokenCheck::Missing) => current_session(state.sessions(), headers)
            .map_err(internal)?
            .as_ref()
            .and_then(Principal::from_browser_session),
        (Domain::Tenant, _) => None,
    })
}
