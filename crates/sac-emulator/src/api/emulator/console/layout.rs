//! The frame of every console page (header, navigation, the signed-in
//! user) and the small pieces pages share: status badges, the pager, forms
//! with their token, error pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::SignedIn;
use crate::api::middleware::admin_guard::FORM_TOKEN_FIELD;

/// The sections of the navigation bar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Tenant,
    Models,
    Schedules,
    Imports,
    MultiActions,
    Calendar,
    Requests,
    Admin,
}

const SECTIONS: &[(Nav, &str, &str)] = &[
    (Nav::Overview, "/emulator/ui", "Overview"),
    (Nav::Tenant, "/emulator/ui/tenant", "Tenant"),
    (Nav::Models, "/emulator/ui/models", "Models"),
    (Nav::Schedules, "/emulator/ui/schedules", "Data Management"),
    (Nav::Imports, "/emulator/ui/imports", "Import jobs"),
    (Nav::MultiActions, "/emulator/ui/multiactions", "Multi actions"),
    (Nav::Calendar, "/emulator/ui/calendar", "Calendar"),
    (Nav::Requests, "/emulator/ui/requests", "Requests"),
    (Nav::Admin, "/emulator/ui/admin", "Faults & clock"),
];

/// What a page says about itself besides its content.
pub struct Frame<'a> {
    pub title: &'a str,
    pub nav: Nav,
    pub who: &'a SignedIn,
    pub tenant: &'a str,
    /// Something on the page is running: reload its main part until it is not.
    pub live: bool,
}

/// Headers every console page carries: not cached, not framed, forms only to itself.
fn harden(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

fn document(title: &str, live: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - SAC emulator" }
                link rel="stylesheet" href="/emulator/ui/assets/console.css";
                @if live {
                    noscript { meta http-equiv="refresh" content="2"; }
                }
                script src="/emulator/ui/assets/console.js" defer {}
            }
            body { (body) }
        }
    }
}

/// A whole page: the frame around `content`.
pub fn page(frame: Frame<'_>, content: Markup) -> Response {
    let body = html! {
        header.top {
            a.brand href="/emulator/ui" { "SAC emulator" }
            span.tenant { "tenant " (frame.tenant) }
            nav {
                @for (nav, href, label) in SECTIONS {
                    a.active[*nav == frame.nav] href=(href) { (label) }
                }
            }
            div.account {
                span.user title={ "Signed in as " (frame.who.user) } { b { (frame.who.display_name) } " (" (frame.who.user) ")" }
                (post_form(frame.who, "/emulator/ui/signout", "Sign out", html! {}))
            }
        }
        main data-live[frame.live] {
            h1 { (frame.title) }
            (content)
        }
    };
    let mut response = document(frame.title, frame.live, body).into_response();
    harden(&mut response);
    response
}

/// A page that says what went wrong (no frame: the user may not be known).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = html! {
        header.top { a.brand href="/emulator/ui" { "SAC emulator" } }
        main {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
            p.error role="alert" { (message) }
            p { a href="/emulator/ui" { "Back to the console" } }
        }
    };
    let mut response = (status, document("Error", false, body)).into_response();
    harden(&mut response);
    response
}

/// A 500 page; the cause goes to the log, not to the browser.
pub fn internal(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "console: internal error");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, "The emulator failed to answer; its log says why.")
}

/// A form that posts to `action` with the console's token, and a submit button.
pub fn post_form(who: &SignedIn, action: &str, button: &str, fields: Markup) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name=(FORM_TOKEN_FIELD) value=(who.form_token);
            (fields)
            button type="submit" { (button) }
        }
    }
}

/// The badge class of a status text.
fn tone(status: &str) -> &'static str {
    let s = status.to_ascii_lowercase();
    if s.contains("running") || s.contains("processing") || s.starts_with("ready") {
        "running"
    } else if s.contains("reject") || s.contains("warning") || s.contains("stopped") {
        "warn"
    } else if s.contains("fail") || s.contains("cancel") || s.contains("error") {
        "bad"
    } else {
        "ok"
    }
}

pub fn badge(status: &str) -> Markup {
    html! { span class={ "badge " (tone(status)) } data-status=(status) { (status) } }
}

/// Previous / next links of a paged table; `query` is the rest of the
/// query string (already encoded) to keep on both.
pub fn pager(base: &str, query: &str, offset: i64, limit: i64, shown: usize, more: bool) -> Markup {
    let link = |at: i64| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("{base}?{query}{sep}offset={at}&limit={limit}")
    };
    html! {
        p.pager {
            @if offset > 0 { a href=(link((offset - limit).max(0))) rel="prev" { "\u{2190} previous" } " " }
            span { "rows " (if shown == 0 { offset } else { offset + 1 }) "\u{2013}" (offset + shown as i64) }
            @if more { " " a href=(link(offset + limit)) rel="next" { "next \u{2192}" } }
        }
    }
}

/// `offset` and `limit` of a paged page (defaults 0 and `default`, limit at most 1000).
pub fn paging(q: &std::collections::HashMap<String, String>, default: i64) -> (i64, i64) {
    let number = |name: &str| q.get(name).and_then(|v| v.trim().parse::<i64>().ok());
    (number("offset").unwrap_or(0).max(0), number("limit").unwrap_or(default).clamp(1, 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_and_paging() {
        assert_eq!(tone("Running"), "running");
        assert_eq!(tone("Succeeded with rejects"), "warn");
        assert_eq!(tone("FAILED"), "bad");
        assert_eq!(tone("COMPLETED"), "ok");
        let q = [("offset".to_string(), "-5".to_string()), ("limit".to_string(), "99999".to_string())].into();
        assert_eq!(paging(&q, 50), (0, 1000));
        assert_eq!(paging(&Default::default(), 50), (0, 50));
        let html = pager("/p", "a=1", 50, 50, 50, true).into_string();
        assert!(html.contains("/p?a=1&amp;offset=0&amp;limit=50") && html.contains("offset=100"), "{html}");
    }
}
