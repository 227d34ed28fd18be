//! The request log: what reached the emulator and what it answered, newest
//! first, filtered by path and status. Secrets were masked when recorded.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;

use super::layout::{page, Frame, Nav};
use super::SignedIn;
use crate::api::middleware::requests::RequestRecord;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// How many matching requests the page shows.
const SHOWN: usize = 300;

/// A status filter: `404`, `4xx` or `5XX`; `None` when it is neither.
fn status_matches(filter: &str, status: u16) -> Option<bool> {
    let filter = filter.trim().to_ascii_lowercase();
    if let Some(class) = filter.strip_suffix("xx") {
        let class: u16 = class.parse().ok().filter(|c| (1..=5).contains(c))?;
        return Some(status / 100 == class);
    }
    filter.parse::<u16>().ok().map(|code| code == status)
}

fn shown(record: &RequestRecord, path: &str, status: &str) -> bool {
    let path_ok = path.is_empty() || record.path.contains(path);
    let status_ok = status.trim().is_empty() || status_matches(status, record.status).unwrap_or(false);
    path_ok && status_ok
}

/// `GET /emulator/ui/requests?path=&status=`
#[utoipa::path(
    get,
    path = "/emulator/ui/requests",
    tag = tags::CONSOLE,
    security(("session" = [])),
    params(
        ("path" = Option<String>, Query, description = "Only paths containing this"),
        ("status" = Option<String>, Query, description = "Only this status (`404`) or class (`4xx`)"),
    ),
    responses(
        (status = 200, description = "The request log, newest first, secrets masked (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn list(who: SignedIn, State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let path = q.get("path").map(|p| p.trim().to_string()).unwrap_or_default();
    let status = q.get("status").map(|s| s.trim().to_string()).unwrap_or_default();
    let bad_status = !status.is_empty() && status_matches(&status, 200).is_none();
    let (total, records): (usize, Vec<RequestRecord>) = {
        let log = state.requests();
        (log.len(), log.iter().rev().filter(|r| shown(r, &path, &status)).take(SHOWN).cloned().collect())
    };
    let tenant = state.tenant();
    let content = html! {
        form.filter method="get" action="/emulator/ui/requests" {
            label { "Path contains " input name="path" value=(path) placeholder="/api/v1/dataimport"; }
            label { "Status " input name="status" value=(status) placeholder="404 or 4xx" size="6"; }
            button type="submit" { "Filter" }
            " " a href="/emulator/ui/requests" { "clear" }
        }
        @if bad_status { p.error role="alert" { "The status filter is a code (404) or a class (4xx); it matched nothing." } }
        p.meta { (records.len()) " shown of " (total) " kept (the log keeps the last 2000; the console's own requests are not logged). Secrets are masked: tokens, passwords, codes and assertions never reach the log." }
        table #requests {
            thead { tr {
                th { "Time (UTC)" } th { "Domain" } th { "Request" } th.num { "Status" } th.num { "ms" }
                th { "Authorization" } th { "CSRF" } th { "Cookies" }
            } }
            tbody {
                @for r in &records {
                    tr {
                        td { (r.time) }
                        td { (format!("{:?}", r.domain)) }
                        td { code { (r.method) " " (r.path) @if !r.query.is_empty() { "?" (r.query) } } }
                        td.num { @if r.status == 0 { "dropped" } @else { (r.status) } }
                        td.num { (r.duration_ms) }
                        td { (r.authorization.as_deref().unwrap_or("")) }
                        td { (r.csrf.as_deref().unwrap_or("")) }
                        td { (r.cookies.join(", ")) }
                    }
                }
                @if records.is_empty() { tr { td.empty colspan="8" { "No requests match." } } }
            }
        }
    };
    page(Frame { title: "Request log", nav: Nav::Requests, who: &who, tenant: &tenant.letter, live: false }, content)
}

#[cfg(test)]
mod tests {
    use super::status_matches;

    #[test]
    fn status_filters() {
        assert_eq!(status_matches("404", 404), Some(true));
        assert_eq!(status_matches("4xx", 403), Some(true));
        assert_eq!(status_matches("5XX", 403), Some(false));
        assert_eq!(status_matches("9xx", 403), None);
        assert_eq!(status_matches("abc", 403), None);
    }
}
