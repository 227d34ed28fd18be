//! The authorization endpoint (`/oauth/authorize`, authorization code
//! with PKCE), the sign-in page of the browser domain and the approuter's
//! redirect.

use std::collections::HashMap;

use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::api::caller::Caller;
use crate::api::error::{deny_framing, found, ApiError};
use crate::api::openapi::tags;
use crate::api::responses::login_form;
use crate::api::state::AppState;
use crate::auth::open_session;
use crate::secrets::{constant_time_eq, digest, random_token};
use crate::store::{AuthCodeRecord, SessionKind};
use crate::tenant::OAuthClient;

use super::cross_site::refuse_cross_site;

/// Lifetime of an authorization code.
const AUTH_CODE_SECS: i64 = 300;

/// A form's or a query's fields.
pub(super) type Params = HashMap<String, String>;

/// True when `uri` matches `pattern`, where `*` stands for any run of characters.
fn glob_match(pattern: &str, uri: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == uri;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !uri.starts_with(first) || uri.len() < first.len() + last.len() || !uri.ends_with(last) {
        return false;
    }
    let mut rest = &uri[first.len()..uri.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn redirect_allowed(client: &OAuthClient, uri: &str) -> bool {
    let Ok(parsed) = url::Url::parse(uri) else {
        return false;
    };
    parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.fragment().is_none()
        && client.redirect_uris.iter().any(|p| glob_match(p, uri))
}

/// Where a sign-in or the approuter sends a browser when `url` is missing or refused.
const DEFAULT_TARGET: &str = "/";

/// The `url=` of `/login` and `/approuter/v1/redirect` when it is a path on
/// this tenant, else [`DEFAULT_TARGET`]. Browsers read `//host`, `/\host` and
/// `/<tab>/host` (tabs and newlines are dropped, `\` is read as `/`) as
/// another origin, so the path must start with one `/` followed by neither
/// `/` nor `\`, and hold no backslash or control character, neither as it
/// came nor once its `%XX` escapes are decoded as a browser would.
fn same_origin_target(url: Option<&String>) -> String {
    fn is_same_origin_path(path: &str) -> bool {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !path.chars().any(|c| c == '\\' || c.is_control())
    }
    match url {
        Some(url)
            if is_same_origin_path(url)
                && is_same_origin_path(&percent_encoding::percent_decode_str(url).decode_utf8_lossy()) =>
        {
            url.clone()
        }
        _ => DEFAULT_TARGET.into(),
    }
}

/// A checked authorization request: where to send the answer.
struct AuthorizeRequest {
    client_id: String,
    redirect_uri: String,
    /// Whether `redirect_uri` was given (then the token request must repeat it).
    redirect_given: bool,
    state: Option<String>,
    challenge: Option<String>,
}

impl AuthorizeRequest {
    /// The redirect URI with `pairs` and the request's `state` in its query.
    fn location(&self, pairs: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&self.redirect_uri).expect("checked when the request was parsed");
        {
            let mut query = url.query_pairs_mut();
            for (k, v) in pairs {
                query.append_pair(k, v);
            }
            if let Some(state) = &self.state {
                query.append_pair("state", state);
            }
        }
        url.into()
    }

    fn error(&self, error: &str, description: &str) -> ApiError {
        ApiError::RedirectWithError { location: self.location(&[("error", error), ("error_description", description)]) }
    }
}

/// Checks an authorization request (RFC 6749 4.1.1). Errors about the
/// client or redirect URI are shown, never redirected; others redirect.
fn parse_authorize(state: &AppState, q: &Params) -> Result<AuthorizeRequest, ApiError> {
    let tenant = state.tenant();
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    let Some(client) = tenant.client(&client_id) else {
        return Err(ApiError::ErrorPage {
            status: StatusCode::BAD_REQUEST,
            message: format!("Unknown OAuth client {client_id:?}."),
        });
    };
    let (redirect_uri, redirect_given) = match q.get("redirect_uri") {
        Some(uri) => (uri.clone(), true),
        None => match client.redirect_uris.as_slice() {
            [only] if !only.contains('*') => (only.clone(), false),
            _ => {
                return Err(ApiError::ErrorPage {
                    status: StatusCode::BAD_REQUEST,
                    message: "redirect_uri is required for this client.".into(),
                });
            }
        },
    };
    if !redirect_allowed(client, &redirect_uri) {
        return Err(ApiError::ErrorPage {
            status: StatusCode::BAD_REQUEST,
            message: format!("The redirect URI {redirect_uri} is not registered for client {client_id}."),
        });
    }
    let request = AuthorizeRequest {
        client_id,
        redirect_uri,
        redirect_given,
        state: q.get("state").cloned(),
        challenge: q.get("code_challenge").cloned(),
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return Err(request.error("unsupported_response_type", "Only response_type=code is supported"));
    }
    if !client.allows_grant("authorization_code") {
        return Err(request.error("unauthorized_client", "The client may not use the authorization code grant"));
    }
    if request.challenge.is_some() && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return Err(request.error("invalid_request", "code_challenge_method must be S256"));
    }
    Ok(request)
}

fn grant_code(state: &AppState, request: &AuthorizeRequest, user: &str) -> Result<Response, ApiError> {
    let code = random_token(32);
    let record = AuthCodeRecord {
        client_id: request.client_id.clone(),
        user: user.to_string(),
        redirect_uri: request.redirect_given.then(|| request.redirect_uri.clone()),
        challenge: request.challenge.clone(),
        expires_at: state.store().clock().now_secs() + AUTH_CODE_SECS,
        used: false,
    };
    state.store().insert_auth_code(&digest(&code), &record)?;
    Ok(found(&request.location(&[("code", &code)])))
}

fn authorize_action(raw_query: &Option<String>) -> String {
    format!("/oauth/authorize?{}", raw_query.as_deref().unwrap_or(""))
}

/// `GET /oauth/authorize`: the login form, or straight back with a code when
/// the browser already has a session or `--auto-approve-user` is set.
#[utoipa::path(
    get,
    path = "/oauth/authorize",
    tag = tags::TOKEN,
    params(
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query),
        ("redirect_uri" = Option<String>, Query, description = "One of the client's redirect URIs"),
        ("state" = Option<String>, Query),
        ("code_challenge" = Option<String>, Query, description = "PKCE S256 challenge"),
        ("code_challenge_method" = Option<String>, Query, description = "`S256`"),
    ),
    responses(
        (status = 200, description = "The sign-in form (HTML)", content_type = "text/html"),
        (status = 302, description = "Back to the redirect URI with a code (signed-in browser or auto-approve)"),
        (status = 400, description = "An authorization request the client may not make (HTML error page)", content_type = "text/html"),
    ),
)]
pub async fn authorize_form(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<Params>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let request = parse_authorize(&state, &q)?;
    let signed_in = caller.browser()?.and_then(|p| p.user);
    match state.options().auto_approve_user.clone().or(signed_in) {
        Some(user) => grant_code(&state, &request, &user),
        None => Ok(login_form(&authorize_action(&raw), "Sign in to SAP Analytics Cloud", None)),
    }
}

#[derive(serde::Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /oauth/authorize`: the login form's answer.
#[utoipa::path(
    post,
    path = "/oauth/authorize",
    tag = tags::TOKEN,
    params(
        ("response_type" = String, Query, description = "`code`"),
        ("client_id" = String, Query),
        ("redirect_uri" = Option<String>, Query),
        ("state" = Option<String>, Query),
    ),
    request_body(content = SignIn, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The sign-in form (HTML)", content_type = "text/html"),
        (status = 302, description = "Signed in: back to the redirect URI with a code"),
        (status = 403, description = "Posted from another site: Origin (or Referer) names another origin (HTML error page)", content_type = "text/html"),
        (status = 400, description = "An authorization request the client may not make (HTML error page)", content_type = "text/html"),
    ),
)]
pub async fn authorize_submit(
    State(state): State<AppState>,
    Query(q): Query<Params>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    axum::Form(creds): axum::Form<Credentials>,
) -> Result<Response, ApiError> {
    refuse_cross_site(&state, &headers)?;
    let request = parse_authorize(&state, &q)?;
    let tenant = state.tenant();
    let Some(user) = tenant.user(&creds.username).filter(|u| constant_time_eq(&u.password, &creds.password)) else {
        let mut form = login_form(
            &authorize_action(&raw),
            "Sign in to SAP Analytics Cloud",
            Some("Sign-in failed: unknown user or wrong password."),
        );
        *form.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(form);
    };
    let mut response = grant_code(&state, &request, &user.id)?;
    // Signing in also opens a browser session (single sign-on).
    let (cookie, _) = open_session(state.sessions(), SessionKind::Browser, Some(user.id.clone()), None)?;
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `GET /login`: the browser login form (no OAuth).
#[utoipa::path(
    get,
    path = "/login",
    tag = tags::TOKEN,
    params(("url" = Option<String>, Query, description = "Where to go after signing in (a path on the tenant)")),
    responses((status = 200, description = "The sign-in form (HTML)", content_type = "text/html"),),
)]
pub async fn login_page_form(Query(q): Query<Params>) -> Response {
    let target = same_origin_target(q.get("url"));
    let action = format!("/login?url={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>());
    login_form(&action, "Sign in to SAP Analytics Cloud", None)
}

/// `POST /login`: signs in with a password and opens a browser session.
#[utoipa::path(
    post,
    path = "/login",
    tag = tags::TOKEN,
    params(("url" = Option<String>, Query, description = "Where to go after signing in (a path on the tenant)")),
    request_body(content = SignIn, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The sign-in form (HTML)", content_type = "text/html"),
        (status = 302, description = "Signed in: a session cookie and a redirect to `url`"),
        (status = 403, description = "Posted from another site: Origin (or Referer) names another origin (HTML error page)", content_type = "text/html"),
    ),
)]
pub async fn login_submit(
    State(state): State<AppState>,
    Query(q): Query<Params>,
    headers: HeaderMap,
    axum::Form(creds): axum::Form<Credentials>,
) -> Result<Response, ApiError> {
    refuse_cross_site(&state, &headers)?;
    let target = same_origin_target(q.get("url"));
    let tenant = state.tenant();
    let Some(user) = tenant.user(&creds.username).filter(|u| constant_time_eq(&u.password, &creds.password)) else {
        let action =
            format!("/login?url={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>());
        let mut form = login_form(
            &action,
            "Sign in to SAP Analytics Cloud",
            Some("Sign-in failed: unknown user or wrong password."),
        );
        *form.status_mut() = StatusCode::UNAUTHORIZED;
        return Ok(form);
    };
    let (cookie, _) = open_session(state.sessions(), SessionKind::Browser, Some(user.id.clone()), None)?;
    let mut response = Redirect::to(&target).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `GET /approuter/v1/redirect?url=...`: where the login page sends browsers.
#[utoipa::path(
    get,
    path = "/approuter/v1/redirect",
    tag = tags::TOKEN,
    params(("url" = Option<String>, Query, description = "Where to go (a path on the tenant)")),
    responses(
        (status = 302, description = "To `url` with a session, else to the login page"),
    ),
)]
pub async fn approuter_redirect(caller: Caller, Query(q): Query<Params>) -> Response {
    let target = same_origin_target(q.get("url"));
    let signed_in = matches!(caller.browser(), Ok(Some(_)));
    let mut response = if signed_in {
        found(&target)
    } else {
        let login =
            format!("/login?url={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>());
        let mut response = found(&login);
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    };
    deny_framing(response.headers_mut());
    response
}

/// The sign-in form's fields.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub(super) struct SignIn {
    username: String,
    password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_patterns() {
        assert!(glob_match("http://127.0.0.1:*", "http://127.0.0.1:5000/callback"));
        assert!(glob_match("http://localhost:*/cb", "http://localhost:1/cb"));
        assert!(!glob_match("http://localhost:*/cb", "http://localhost:1/other"));
        assert!(!glob_match("http://127.0.0.1:*", "https://evil.example/"));
        assert!(glob_match("exact", "exact"));
        let client = crate::tenant::Tenant::demo().clients[1].clone();
        assert!(redirect_allowed(&client, "http://127.0.0.1:4567/callback"));
        assert!(!redirect_allowed(&client, "http://127.0.0.1:80@evil.example/"));
    }

    #[test]
    fn only_same_origin_paths_are_redirect_targets() {
        let target = |url: &str| same_origin_target(Some(&url.to_string()));
        for hostile in [
            "/\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D/evil.example",
            "/\n/evil.example",
            "//evil.example",
            "/%5cevil.example",
            "/ok\\..\\evil",
            "https://evil.example/",
            "evil.example",
            "",
        ] {
            assert_eq!(target(hostile), DEFAULT_TARGET, "{hostile:?}");
        }
        for fine in ["/", "/emulator/ui", "/emulator/ui/models/X?Version=a%26b%3D1", "/a/b?c=d&e=%2F"] {
            assert_eq!(target(fine), fine);
        }
        assert_eq!(same_origin_target(None), DEFAULT_TARGET);
    }
}
