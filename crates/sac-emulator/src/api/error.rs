//! [`ApiError`]: every refusal the emulator's SAC services give, each in the
//! shape of the service that gives it. Handlers return
//! `Result<impl IntoResponse, ApiError>` and pass refusals on with `?`.
//! Also the two bits of answers refusals share with successful ones:
//! [`no_store`] and [`found`].

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use maud::{html, PreEscaped, DOCTYPE};
use sac_types::dataimport::errors;
use sac_types::error::{ApiErrorBody, LOGIN_PAGE_MARKER};
use sac_types::legacy::ErrorBody;
use sac_types::oauth::OAuthError;

/// A refusal, rendered as the SAC service that gives it renders it.
#[derive(Debug)]
pub enum ApiError {
    /// The public APIs' `{"error":{"code","message"}}` (Data Import,
    /// including its numbered errors, Data Export, Multi Actions, and the
    /// emulator's own "endpoint not valid"), with a `WWW-Authenticate`
    /// challenge when there is one.
    Api { status: StatusCode, code: String, message: String, challenge: Option<&'static str> },
    /// The UI layer's `{"status":N,"errorCode":C,"message":"..."}`.
    Legacy { status: StatusCode, code: Option<u32>, message: String },
    /// 401 of a resource server for a missing, unknown or expired bearer
    /// token (RFC 6750: `invalid_token` with its challenge).
    InvalidToken(&'static str),
    /// The token service's own errors (RFC 6749 5.2).
    OAuth { status: StatusCode, error: &'static str, description: String },
    /// The authorization endpoint's refusal of a request it must not send
    /// back to the client (unknown client or redirect URI): an HTML page.
    ErrorPage { status: StatusCode, message: String },
    /// The authorization endpoint's refusal of a request from a known
    /// client: back to its redirect URI with `error` (RFC 6749 4.1.2.1).
    RedirectWithError { location: String },
    /// The approuter's login page: HTTP 200, HTML, whatever was asked. What
    /// the browser domain answers a caller without a user context.
    LoginPage,
    /// 403 with `x-csrf-token: Required`: a write without a valid CSRF
    /// token or without the session cookie it belongs to.
    CsrfRequired,
    /// A failure of the emulator itself: logged, and answered with a 500
    /// that does not show the cause.
    Internal,
}

impl ApiError {
    /// An error of the public APIs: `{"error":{"code","message"}}`.
    pub fn api(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Api { status, code: code.into(), message: message.into(), challenge: None }
    }

    /// One of the Data Import API's numbered errors: HTTP 400, the number
    /// as the code, SAC's message followed by what exactly was wrong, the
    /// number in brackets.
    pub fn numbered(code: u32, detail: &str) -> Self {
        ApiError::numbered_with_status(StatusCode::BAD_REQUEST, code, detail)
    }

    /// A numbered Data Import error SAP's pages answer with another status
    /// than 400 (1603, an unknown job: 404).
    pub fn numbered_with_status(status: StatusCode, code: u32, detail: &str) -> Self {
        let sac = errors::message(code).unwrap_or("The request was refused.");
        let message = if detail.is_empty() { format!("{sac} [{code}]") } else { format!("{sac} {detail} [{code}]") };
        ApiError::api(status, code.to_string(), message)
    }

    /// An error of the UI layer's services.
    pub fn legacy(status: StatusCode, code: Option<u32>, message: impl Into<String>) -> Self {
        ApiError::Legacy { status, code, message: message.into() }
    }

    /// SAC's answer to a caller that authenticated but has no user in the tenant.
    pub fn user_not_in_tenant() -> Self {
        ApiError::legacy(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(3000),
            "Error Code: 3000, Error Message: User is not properly configured or user may not exist in tenant",
        )
    }

    /// An error of the token service.
    pub fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        ApiError::OAuth { status, error, description: description.into() }
    }

    /// A failure of the emulator: `error` is logged, the caller sees a bare 500.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "internal error");
        ApiError::Internal
    }

    /// SAC's answer for a path no service serves.
    pub fn endpoint_not_valid() -> Self {
        ApiError::api(StatusCode::NOT_FOUND, "1305", "Endpoint not valid [1305]")
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Api { status, code, message, challenge } => {
                let mut response = (status, Json(ApiErrorBody::new(code, message))).into_response();
                if let Some(challenge) = challenge {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                }
                response
            }
            ApiError::Legacy { status, code, message } => {
                (status, Json(ErrorBody { status: status.as_u16(), error_code: code, message })).into_response()
            }
            ApiError::InvalidToken(description) => {
                let body = OAuthError { error: "invalid_token".into(), error_description: Some(description.into()) };
                let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            ApiError::OAuth { status, error, description } => {
                let body = OAuthError { error: error.into(), error_description: Some(description) };
                let mut response = (status, Json(body)).into_response();
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"oauth\""));
                }
                no_store(&mut response);
                response
            }
            ApiError::ErrorPage { status, message } => error_page(status, &message),
            ApiError::RedirectWithError { location } => found(&location),
            ApiError::LoginPage => login_page(),
            ApiError::CsrfRequired => {
                let mut response = (StatusCode::FORBIDDEN, "CSRF token validation failed").into_response();
                response.headers_mut().insert("x-csrf-token", HeaderValue::from_static("Required"));
                response
            }
            ApiError::Internal => {
                ApiError::api(StatusCode::INTERNAL_SERVER_ERROR, "500", "Internal server error").into_response()
            }
        }
    }
}

/// The handler of paths no service serves: SAC's "endpoint not valid".
pub async fn unknown_endpoint() -> ApiError {
    ApiError::endpoint_not_valid()
}

/// The script of the approuter's login page, as SAC sends it.
const LOGIN_SCRIPT: &str = "\n\
if (window.parent === window) {\n\
  // the page is not loaded in an iframe\n\
  var currentUrl = window.location.href;\n\
  var baseUrl = window.location.protocol + '//' + window.location.host;\n\
  var currentRelativeUrl = currentUrl.substring(baseUrl.length);\n\
  var encodedRedirectUrl = encodeURIComponent(currentRelativeUrl);\n\
  var redirectEndpoint = '/approuter/v1/redirect?url=' + encodedRedirectUrl;\n\
  window.location.href = redirectEndpoint;\n\
} else {\n\
  var url = '/approuter/v1/embedded-auth';\n\
  window.open(url, 'SAP Analytics Cloud', 'width=600,height=500,menubar=0,dependent=1,status=0');\n\
}\n";

/// The approuter's login page: HTTP 200, `text/html`, whatever was asked.
/// This is what a client gets from UI-layer services (`/sap/fpa/...`) without
/// a session or a token with a user context.
fn login_page() -> Response {
    let page = html! {
        html {
            head {
                (PreEscaped(LOGIN_PAGE_MARKER))
                meta http-equiv="cache-control" content="no-cache";
                "\n"
                script { (PreEscaped(LOGIN_SCRIPT)) }
            }
        }
        "\n"
    };
    let mut response = Html(page.into_string()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, no-store"));
    response
}

/// Pages of the sign-in flow may not be shown in another site's frame (a
/// frame over a sign-in form lets that site trick clicks and keystrokes).
pub fn deny_framing(headers: &mut HeaderMap) {
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
}

/// Token responses and the token service's errors must not be cached (RFC
/// 6749 5.1).
pub fn no_store(response: &mut Response) {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// A plain error page (for requests that must not be redirected, such as an
/// authorization request with an unknown client or redirect URI).
fn error_page(status: StatusCode, message: &str) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "Error" } }
            body { h1 { (status.as_u16()) } p { (message) } }
        }
    };
    let mut response = (status, Html(page.into_string())).into_response();
    deny_framing(response.headers_mut());
    response
}

/// 302 Found to `location` (what XSUAA and the approuter send).
pub fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
