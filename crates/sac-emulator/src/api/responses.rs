//! The answers SAC gives when it refuses, in SAC's own shapes, and the HTML
//! pages of the browser domain.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use sac_types::error::{ApiErrorBody, LOGIN_PAGE_MARKER};
use sac_types::legacy::ErrorBody;
use sac_types::oauth::OAuthError;

/// The approuter's login page: HTTP 200, `text/html`, whatever was asked.
/// This is what a client gets from UI-layer services (`/sap/fpa/...`) without
/// a session or a token with a user context.
pub fn login_page() -> Response {
    let body = format!(
        "<html><head>{LOGIN_PAGE_MARKER}<meta http-equiv=\"cache-control\" content=\"no-cache\">\n\
<script>\n\
if (window.parent === window) {{\n\
  // the page is not loaded in an iframe\n\
  var currentUrl = window.location.href;\n\
  var baseUrl = window.location.protocol + '//' + window.location.host;\n\
  var currentRelativeUrl = currentUrl.substring(baseUrl.length);\n\
  var encodedRedirectUrl = encodeURIComponent(currentRelativeUrl);\n\
  var redirectEndpoint = '/approuter/v1/redirect?url=' + encodedRedirectUrl;\n\
  window.location.href = redirectEndpoint;\n\
}} else {{\n\
  var url = '/approuter/v1/embedded-auth';\n\
  window.open(url, 'SAP Analytics Cloud', 'width=600,height=500,menubar=0,dependent=1,status=0');\n\
}}\n\
</script></head></html>\n"
    );
    let mut response = Html(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store"));
    response
}

/// 403 with `x-csrf-token: Required`: the write lacked a valid CSRF token
/// or the session cookie it belongs to.
pub fn csrf_required() -> Response {
    let mut response = (StatusCode::FORBIDDEN, "CSRF token validation failed").into_response();
    response.headers_mut().insert("x-csrf-token", HeaderValue::from_static("Required"));
    response
}

/// 401 of the API layer for a missing, unknown or expired bearer token
/// (RFC 6750 shape, as XSUAA-protected resource servers answer).
pub fn unauthorized(description: &str) -> Response {
    let body = OAuthError { error: "invalid_token".into(), error_description: Some(description.into()) };
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// An error of the public APIs: `{"error":{"code","message"}}`.
pub fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(ApiErrorBody::new(code, message))).into_response()
}

/// An error of the UI layer's services: `{"status":N,"errorCode":C,"message":"..."}`.
pub fn legacy_error(status: StatusCode, code: Option<u32>, message: impl Into<String>) -> Response {
    let body = ErrorBody { status: status.as_u16(), error_code: code, message: message.into() };
    (status, Json(body)).into_response()
}

/// SAC's answer to a caller that authenticated but has no user in the tenant.
pub fn user_not_in_tenant() -> Response {
    legacy_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(3000),
        "Error Code: 3000, Error Message: User is not properly configured or user may not exist in tenant",
    )
}

/// A 500 that hides the cause from the caller (it is logged instead).
pub fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "internal error");
    api_error(StatusCode::INTERNAL_SERVER_ERROR, "500", "Internal server error")
}

/// An OAuth error (RFC 6749 5.2); `invalid_client` also gets its challenge.
pub fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    let body = OAuthError { error: error.into(), error_description: Some(description.into()) };
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth\""));
    }
    no_store(&mut response);
    response
}

/// Token responses must not be cached (RFC 6749 5.1).
pub fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// 302 Found to `location` (what XSUAA and the approuter send).
pub fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The sign-in form shared by `/login` and `/oauth/authorize`: fields
/// `username` and `password`, posted back to `action`.
pub fn login_form(action: &str, title: &str, error: Option<&str>) -> Response {
    let error = error.map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e))).unwrap_or_default();
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - SAP Analytics Cloud (emulator)</title>
<style>body{{font-family:sans-serif;background:#f5f6f7;display:flex;justify-content:center;margin-top:10vh}}
form{{background:#fff;padding:2em;border-radius:6px;box-shadow:0 1px 4px #0003;min-width:20em}}
label{{display:block;margin-top:1em}}input{{width:100%;padding:.4em;box-sizing:border-box}}
button{{margin-top:1.5em;padding:.5em 2em}}.error{{color:#b00}}</style></head>
<body><form method="post" action="{action}">
<h1>{title}</h1>{error}
<label for="username">User</label><input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></body></html>"#,
        action = escape(action),
        title = escape(title),
    );
    let mut response = Html(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A plain error page (for requests that must not be redirected, such as an
/// authorization request with an unknown client or redirect URI).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title></head>\
<body><h1>{}</h1><p>{}</p></body></html>",
        status.as_u16(),
        escape(message)
    );
    (status, Html(body)).into_response()
}
