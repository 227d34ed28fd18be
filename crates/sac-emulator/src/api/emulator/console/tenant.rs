//! The tenant: who may sign in and with which credentials (OAuth clients,
//! users), and what it holds (multi actions, planning models, data
//! imports), each linked to the console page that shows it in full.
//!
//! Secrets are never rendered: the page reads the tenant description,
//! which holds client secrets and user passwords in clear, so both go
//! through [`presence`], which answers only whether one is set.

use axum::extract::State;
use axum::response::Response;
use maud::{html, Markup};

use super::layout::{page, Frame, Nav};
use super::SignedIn;
use crate::api::openapi::responses::ConsolePageRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::tenant::{OAuthClient, Purpose, Role, User};

/// Whether a secret or password is set, and nothing else about it.
fn presence(secret: &str) -> &'static str {
    if secret.is_empty() {
        "empty"
    } else {
        "set"
    }
}

/// What a client is for, in the words of SAC's App Integration page.
fn purpose(client: &OAuthClient) -> &'static str {
    match client.purpose {
        Purpose::Api => "API Access: technical, acts for no user",
        Purpose::Interactive => "Interactive Usage: acts for a user",
    }
}

/// What a user may do, as the emulator's services decide it.
fn permissions(user: &User) -> (&'static str, &'static str) {
    match (user.in_tenant, user.role) {
        (false, _) => (
            "no SAC user",
            "known to the identity provider only: SAC refuses them (error 3000), and so does this console",
        ),
        (true, Role::Planner) => {
            ("planner", "reads everything; runs data imports and multi actions; writes through the Data Import API")
        }
        (true, Role::Viewer) => ("viewer", "reads logs, exports and the console; may not run or write"),
    }
}

/// A comma-separated list of `code` items, or a dash when there are none.
fn codes(items: &[String]) -> Markup {
    html! {
        @if items.is_empty() { "\u{2013}" }
        @for (i, item) in items.iter().enumerate() { @if i > 0 { ", " } code { (item) } }
    }
}

/// A titled table: its column heads, what it says when it has no rows, its rows.
fn listing(title: &str, heads: &[&str], none: &str, rows: impl Iterator<Item = Markup>) -> Markup {
    let rows: Vec<Markup> = rows.collect();
    html! {
        h2 { (title) }
        table {
            thead { tr { @for head in heads { th { (head) } } } }
            tbody {
                @for row in &rows { (row) }
                @if rows.is_empty() { tr { td.empty colspan=(heads.len()) { (none) } } }
            }
        }
    }
}

/// `GET /emulator/ui/tenant`
#[utoipa::path(
    get,
    path = "/emulator/ui/tenant",
    tag = tags::CONSOLE,
    security(("session" = [])),
    responses(
        (status = 200, description = "The tenant's OAuth clients (never their secrets), users and roles, multi actions, models and data imports (HTML)", content_type = "text/html"),
        ConsolePageRefusals,
    ),
)]
pub async fn show(who: SignedIn, State(state): State<AppState>) -> Response {
    let tenant = state.tenant();
    let token_url = state.urls().map(|u| u.token_url.clone()).unwrap_or_default();
    let content = html! {
        p.lead { "Who may sign in to tenant " (tenant.letter) " and with which credentials, and what it holds." }
        dl.facts {
            dt { "Token service" } dd { code { (token_url) } }
            dt { "Access tokens last" } dd { (tenant.access_token_secs) " s" }
            dt { "Refresh tokens last" } dd { (tenant.refresh_token_secs) " s" }
        }
        p.note {
            "Secrets and passwords are never shown: the page says only whether one is set. The demo tenant's are listed in "
            code { "docs/emulator.md" } " (section \u{201c}The demo tenant\u{201d}); a tenant loaded from a file ("
            code { "--tenant FILE" } ", " code { "POST /emulator/tenant" } ") has them in that file."
        }
        (listing("OAuth clients", &["Client id", "Purpose", "Grants", "APIs", "Redirect URIs", "Secret"], "The tenant has no OAuth clients.",
            tenant.clients.iter().map(|c| html! {
                tr data-client=(c.id) {
                    td { code { (c.id) } }
                    td { (purpose(c)) }
                    td { (codes(&c.grants)) }
                    td { (codes(&c.access)) }
                    td { (codes(&c.redirect_uris)) }
                    td { (presence(&c.secret)) }
                }
            })))
        (listing("Users", &["User", "Name", "Role", "May", "Password"], "The tenant has no users.",
            tenant.users.iter().map(|u| {
                let (role, may) = permissions(u);
                html! {
                    tr data-user=(u.id) {
                        td { code { (u.id) } }
                        td { (u.display_name) }
                        td { (role) }
                        td { (may) }
                        td { (presence(&u.password)) }
                    }
                }
            })))
        (listing("Multi actions", &["Multi action", "Description", "Parameters", "Steps"], "The tenant has no multi actions.",
            tenant.multi_actions.iter().map(|ma| html! {
                tr {
                    td { a href={ "/emulator/ui/multiactions#ma-" (ma.id) } { code { (tenant.object_name(&ma.id)) } } }
                    td { (ma.description) }
                    td {
                        @for (i, p) in ma.parameters.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (p.id) } " (a version of "
                            a href={ "/emulator/ui/models/" (p.version_of) } { code { (p.version_of) } } ")"
                        }
                    }
                    td { (ma.steps.len()) }
                }
            })))
        (listing("Planning models", &["Model", "Description", "Dimensions", "Versions"], "The tenant has no planning models.",
            tenant.models.iter().map(|m| html! {
                tr {
                    td { a href={ "/emulator/ui/models/" (m.id) } { code { (tenant.object_name(&m.id)) } } }
                    td { (m.description) }
                    td { @for (i, d) in m.dimensions.iter().enumerate() { @if i > 0 { ", " } (d.name) } }
                    td { (codes(&m.versions)) }
                }
            })))
        (listing("Data imports", &["Data import", "Schedule id", "Reads", "Loads into"], "The tenant has no data imports.",
            tenant.schedules.iter().map(|s| html! {
                tr {
                    td { a href={ "/emulator/ui/schedules#schedule-" (s.schedule_id) } { (s.mapping_name) } }
                    td { code { (s.schedule_id) } }
                    td { (s.source) " / " (s.object) }
                    td { a href={ "/emulator/ui/models/" (s.target) } { code { (tenant.object_name(&s.target)) } } }
                }
            })))
    };
    page(Frame { title: "Tenant", nav: Nav::Tenant, who: &who, tenant: &tenant.letter, live: false }, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_shows_only_whether_it_is_set() {
        assert_eq!(presence("sacctl-api-secret"), "set");
        assert_eq!(presence(""), "empty");
    }
}
