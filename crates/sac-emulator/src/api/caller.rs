//! [`Caller`]: who is calling, on which domain, with which session and CSRF
//! request, as an extractor. Each SAC service asks it who the request acts
//! for in that service's own way ([`Caller::api`], [`Caller::service`],
//! [`Caller::ui`]), and SAC's refusal comes back as an [`ApiError`].
//!
//! Nothing is looked up before a handler asks: reading the session touches
//! it (its idle timeout starts again), so the lookups stay where SAC's
//! order of checks puts them.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::Response;

use super::error::ApiError;
use super::state::AppState;
use crate::auth::{self, check_bearer, current_session, fetch_csrf, Principal, TokenCheck};
use crate::store::SessionRecord;
use crate::Domain;

/// The calling side of a request: the domain it reached and its headers
/// (bearer token, session cookie, `x-csrf-token`).
pub struct Caller {
    state: AppState,
    pub domain: Domain,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Each domain's router inserts its `Domain` (see `api::tenant`, `api::api`).
        let domain = parts.extensions.get::<Domain>().copied().unwrap_or(Domain::Api);
        Ok(Caller { state: state.clone(), domain, headers: parts.headers.clone() })
    }
}

impl Caller {
    /// A caller of `domain` with `headers` (for the middleware, which has no extractor).
    pub(crate) fn of(state: &AppState, domain: Domain, headers: &HeaderMap) -> Self {
        Caller { state: state.clone(), domain, headers: headers.clone() }
    }

    /// The browser session the cookie names, if it is alive.
    pub fn session(&self) -> Result<Option<SessionRecord>, ApiError> {
        Ok(current_session(self.state.sessions(), &self.headers)?)
    }

    /// Whether a bearer token came (valid or not).
    pub fn has_bearer(&self) -> bool {
        auth::bearer(&self.headers).is_some()
    }

    /// The principal of a browser session, if one is signed in.
    pub fn browser(&self) -> Result<Option<Principal>, ApiError> {
        Ok(self.session()?.as_ref().and_then(Principal::from_browser_session))
    }

    /// Who a public-API request acts for: any valid bearer token, or on the
    /// browser domain a browser session. Otherwise 401.
    pub fn api(&self) -> Result<Principal, ApiError> {
        match check_bearer(self.state.store(), &self.headers)? {
            TokenCheck::Valid(t) => Ok(Principal::from_token(&t)),
            TokenCheck::Expired => Err(ApiError::InvalidToken("The access token has expired")),
            TokenCheck::Unknown => Err(ApiError::InvalidToken("Invalid access token")),
            TokenCheck::Missing if self.domain == Domain::Tenant => {
                self.browser()?.ok_or(ApiError::InvalidToken("Authentication required"))
            }
            TokenCheck::Missing => Err(ApiError::InvalidToken("Authentication required")),
        }
    }

    /// Who a request to a public service (Data Import, Data Export, Multi
    /// Actions) acts for, as [`Caller::api`] decides; but on the browser
    /// domain a caller with neither a bearer token nor a session meets the
    /// approuter's login page (HTTP 200, HTML), as the UI layer's services do.
    pub fn service(&self) -> Result<Principal, ApiError> {
        if self.domain == Domain::Tenant && !self.has_bearer() {
            return self.browser()?.ok_or(ApiError::LoginPage);
        }
        self.api()
    }

    /// Who a UI-layer request acts for. On the browser domain the approuter
    /// lets only tokens with a user context and browser sessions through; on
    /// the API domain any valid token counts (a technical one then meets
    /// error 3000).
    pub fn ui(&self) -> Result<Option<Principal>, ApiError> {
        let token = check_bearer(self.state.store(), &self.headers)?;
        Ok(match (self.domain, token) {
            (Domain::Api, TokenCheck::Valid(t)) => Some(Principal::from_token(&t)),
            (Domain::Api, TokenCheck::Expired) => return Err(ApiError::InvalidToken("The access token has expired")),
            (Domain::Api, TokenCheck::Unknown) => return Err(ApiError::InvalidToken("Invalid access token")),
            (Domain::Api, TokenCheck::Missing) => None,
            (Domain::Tenant, TokenCheck::Valid(t)) if t.user.is_some() => Some(Principal::from_token(&t)),
            (Domain::Tenant, TokenCheck::Missing) => self.browser()?,
            (Domain::Tenant, _) => None,
        })
    }

    /// Whether the request asks for a CSRF token (`x-csrf-token: fetch`).
    pub fn wants_csrf(&self) -> bool {
        auth::wants_csrf(&self.headers)
    }

    /// Whether a write carries the CSRF token and cookie of `principal`'s session.
    pub fn csrf_valid(&self, principal: &Principal) -> Result<bool, ApiError> {
        Ok(auth::csrf_valid(&self.headers, self.session()?.as_ref(), principal))
    }

    /// Adds the CSRF token (and a session cookie) of `principal` to
    /// `response` when the request asked for one.
    pub fn with_csrf(&self, principal: &Principal, mut response: Response) -> Result<Response, ApiError> {
        if !self.wants_csrf() {
            return Ok(response);
        }
        let grant = fetch_csrf(self.state.sessions(), principal, self.session()?)?;
        let value = grant.token.parse().expect("tokens are header-safe");
        response.headers_mut().insert("x-csrf-token", value);
        if let Some(cookie) = grant.set_cookie {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(response)
    }

    /// Adds a CSRF token to the answer of a public-API GET that asked for
    /// one (SAP: any GET on the Data Import or Data Export service hands one
    /// out): to the bearer token's principal, else the browser session's.
    pub fn attach_csrf(&self, response: Response) -> Result<Response, ApiError> {
        if !self.wants_csrf() {
            return Ok(response);
        }
        let principal = match check_bearer(self.state.store(), &self.headers) {
            Ok(TokenCheck::Valid(t)) => Some(Principal::from_token(&t)),
            _ => match current_session(self.state.sessions(), &self.headers) {
                Ok(Some(s)) => Principal::from_browser_session(&s),
                _ => None,
            },
        };
        match principal {
            Some(p) => self.with_csrf(&p, response),
            None => Ok(response),
        }
    }
}
