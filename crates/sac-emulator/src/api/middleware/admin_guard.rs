//! Who may use the admin API (`/emulator/...`, web console included).
//!
//! The admin API can reset the tenant, load clients and read the request
//! log, so a web page the developer happens to open must not reach it:
//! - the `Host` must name the emulator (loopback names or the `--host`
//!   given, with the tenant port), else 421: this stops DNS rebinding;
//! - state-changing requests (anything but GET/HEAD) are refused with 403
//!   when they carry an `Origin` other than the emulator's own, and with
//!   415 unless their body is JSON (`application/json`; `application/toml`
//!   for `POST /emulator/tenant`) or empty without a content type: a
//!   cross-site form can send neither;
//! - with an admin token configured, every request but `GET /emulator/health`
//!   must carry it (`Authorization: Bearer` or `x-emulator-admin-token`), else 401;
//! - the web console's forms (`POST /emulator/ui/...`) are the one exception
//!   to JSON: form-encoded bodies, let through only with the console's form
//!   token of the browser session whose cookie they carry (`auth::form_token`),
//!   else 403; any other body type there is refused with 415.
//!
//! Which of these rules a route follows is the [`Rules`] its group of
//! routes is layered with (see `api::emulator`), never its path.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::api::state::AppState;
pub use crate::secrets::AdminToken;

/// The header that may carry the admin token instead of `Authorization`.
pub const TOKEN_HEADER: &str = "x-emulator-admin-token";

fn refuse(status: StatusCode, message: String, extra: serde_json::Value) -> Response {
    let mut body = json!({"error": message});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    (status, Json(body)).into_response()
}

/// The `host[:port]` values a request may name: the loopback names and the
/// configured host, with the tenant port (bare too when that port is 80).
pub fn accepted_hosts(state: &AppState) -> Vec<String> {
    let port = state
        .urls()
        .and_then(|u| u.tenant_url.rsplit(':').next().and_then(|p| p.trim_end_matches('/').parse::<u16>().ok()))
        .unwrap_or(80);
    let mut names = vec!["127.0.0.1".to_string(), "localhost".to_string(), "[::1]".to_string()];
    if let Some(host) = &state.options().admin_host {
        let host = host.to_ascii_lowercase();
        let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
        if !names.contains(&host) {
            names.push(host);
        }
    }
    let mut accepted: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
    if port == 80 {
        accepted.extend(names);
    }
    accepted
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// The bodies a group of admin routes takes with state-changing requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bodies {
    /// JSON, or nothing.
    Json,
    /// JSON, or TOML with POST (`POST /emulator/tenant` loads a tenant file).
    JsonOrToml,
    /// The web console's forms, with the console's form token.
    ConsoleForm,
}

/// What a group of admin routes asks of a request.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Reads pass without the admin token (`GET /emulator/health`, so that
    /// a launcher can wait for the emulator without knowing the token).
    pub reads_without_token: bool,
    pub bodies: Bodies,
}

impl Rules {
    /// The admin API's JSON endpoints.
    pub const JSON: Rules = Rules { reads_without_token: false, bodies: Bodies::Json };
}

/// The middleware of a group of admin routes, layered with the state and
/// the group's [`Rules`] (`from_fn_with_state((state, rules), guard)`).
pub async fn guard(State((state, rules)): State<(AppState, Rules)>, request: Request, next: Next) -> Response {
    if let Err(refusal) = check(&state, rules, request.method(), request.headers()) {
        return refusal;
    }
    if rules.bodies == Bodies::ConsoleForm && !matches!(*request.method(), Method::GET | Method::HEAD) {
        return match check_console_form(&state, request).await {
            Ok(request) => next.run(request).await,
            Err(refusal) => refusal,
        };
    }
    next.run(request).await
}

/// The largest console form body read.
const CONSOLE_FORM_LIMIT: usize = 64 * 1024;

/// The field of the console's forms that carries their token.
pub const FORM_TOKEN_FIELD: &str = "csrf";

/// A console form: form-encoded, carrying the form token of the browser
/// session named by its cookie. Hands the request on with its body intact.
async fn check_console_form(state: &AppState, request: Request) -> Result<Request, Response> {
    let media = header_str(request.headers(), header::CONTENT_TYPE)
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "the console's forms are application/x-www-form-urlencoded (Content-Type was {}); \
                 scripts use the admin API's JSON endpoints instead",
                media.unwrap_or_else(|| "none".into())
            ),
            json!({}),
        ));
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, CONSOLE_FORM_LIMIT).await else {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a console form body is at most {CONSOLE_FORM_LIMIT} bytes"),
            json!({}),
        ));
    };
    let sent = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == FORM_TOKEN_FIELD).map(|(_, v)| v.into_owned());
    let session =
        crate::auth::current_session(state.sessions(), &parts.headers).map_err(crate::api::responses::internal)?;
    let valid = match (&session, &sent) {
        (Some(session), Some(sent)) => crate::auth::form_token_valid(&state.keys().jwt, session, sent),
        _ => false,
    };
    if !valid {
        let why = match (session, sent) {
            (None, _) => "there is no signed-in session (sign in again at /login?url=/emulator/ui)",
            (Some(_), None) => "the form carried no token",
            (Some(_), Some(_)) => "its token does not belong to this session",
        };
        return Err(refuse(
            StatusCode::FORBIDDEN,
            format!("the console refused the form: {why}; reload the page and submit it again"),
            json!({}),
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn check(state: &AppState, rules: Rules, method: &Method, headers: &HeaderMap) -> Result<(), Response> {
    let accepted = accepted_hosts(state);
    let host = header_str(headers, header::HOST).unwrap_or("").to_ascii_lowercase();
    if !accepted.contains(&host) {
        return Err(refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "the admin API answers only requests addressed to the emulator itself (Host {host:?} is not one of {})",
                accepted.join(", ")
            ),
            json!({"accepted_hosts": accepted}),
        ));
    }
    let changes_state = !matches!(*method, Method::GET | Method::HEAD);
    if changes_state {
        if let Some(origin) = header_str(headers, header::ORIGIN) {
            let own = accepted.iter().any(|h| origin.eq_ignore_ascii_case(&format!("http://{h}")));
            if !own {
                return Err(refuse(
                    StatusCode::FORBIDDEN,
                    format!("the admin API refuses changes requested by another site (Origin {origin})"),
                    json!({"accepted_origins": accepted.iter().map(|h| format!("http://{h}")).collect::<Vec<_>>()}),
                ));
            }
        }
    }
    if let Some(token) = &state.options().admin_token {
        let exempt = rules.reads_without_token && !changes_state;
        let bearer = header_str(headers, header::AUTHORIZATION)
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let given = header_str(headers, TOKEN_HEADER).or(bearer);
        if !exempt && !given.is_some_and(|g| token.matches(g)) {
            let mut refusal = refuse(
                StatusCode::UNAUTHORIZED,
                format!(
                    "this emulator was started with --admin-token: send it as Authorization: Bearer <token> \
                     or {TOKEN_HEADER}: <token>"
                ),
                json!({}),
            );
            refusal.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer realm=\"emulator admin\"".parse().unwrap());
            return Err(refusal);
        }
    }
    if changes_state && rules.bodies != Bodies::ConsoleForm {
        check_body_type(*method == Method::POST && rules.bodies == Bodies::JsonOrToml, headers)?;
    }
    Ok(())
}

/// JSON bodies only (TOML too for `POST /emulator/tenant`); an empty body
/// may come without a content type (`DELETE /emulator/faults`, say).
fn check_body_type(toml_allowed: bool, headers: &HeaderMap) -> Result<(), Response> {
    let media = header_str(headers, header::CONTENT_TYPE)
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let allowed = match media.as_deref() {
        Some("application/json") => true,
        Some("application/toml") => toml_allowed,
        Some(_) => false,
        None => {
            let length = header_str(headers, header::CONTENT_LENGTH);
            !headers.contains_key(header::TRANSFER_ENCODING) && length.is_none_or(|l| l == "0")
        }
    };
    if allowed {
        return Ok(());
    }
    let wanted = if toml_allowed { "application/json or application/toml" } else { "application/json" };
    let given = media.unwrap_or_else(|| "none".into());
    Err(refuse(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("the admin API takes {wanted} bodies (Content-Type was {given})"),
        json!({}),
    ))
}
