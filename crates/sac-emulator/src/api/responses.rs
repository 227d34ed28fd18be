//! The token service's sign-in form (rendered with `maud`). Refusals, the
//! login page and the error page among them, are [`super::error::ApiError`]s.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use maud::{html, PreEscaped, DOCTYPE};

use super::error::{deny_framing, ApiError};

/// A 500 that hides the cause from the caller (it is logged instead), for
/// handlers that answer a bare `Response` (the admin API).
pub fn internal(error: impl std::fmt::Display) -> Response {
    ApiError::internal(error).into_response()
}

const LOGIN_FORM_STYLE: &str =
    "body{font-family:sans-serif;background:#f5f6f7;display:flex;justify-content:center;margin-top:10vh}
form{background:#fff;padding:2em;border-radius:6px;box-shadow:0 1px 4px #0003;min-width:20em}
label{display:block;margin-top:1em}input{width:100%;padding:.4em;box-sizing:border-box}
button{margin-top:1.5em;padding:.5em 2em}.error{color:#b00}";

/// The sign-in form shared by `/login` and `/oauth/authorize`: fields
/// `username` and `password`, posted back to `action`.
pub fn login_form(action: &str, title: &str, error: Option<&str>) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Sign in - SAP Analytics Cloud (emulator)" }
                style { (PreEscaped(LOGIN_FORM_STYLE)) }
            }
            body {
                form method="post" action=(action) {
                    h1 { (title) }
                    @if let Some(error) = error {
                        p.error role="alert" { (error) }
                    }
                    label for="username" { "User" }
                    input id="username" name="username" autocomplete="username" required;
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
        }
    };
    let mut response = Html(page.into_string()).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    deny_framing(response.headers_mut());
    response
}
