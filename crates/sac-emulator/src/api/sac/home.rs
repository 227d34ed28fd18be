//! The tenant's start page, `/` (browser domain).

use axum::extract::State;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// `/`: the tenant's start page for a signed-in browser, else the login page.
#[utoipa::path(
    get,
    path = "/",
    tag = tags::TOKEN,
    security((), ("session" = [])),
    responses((status = 200, description = "The start page for a signed-in browser, else the login page (HTML)", content_type = "text/html")),
)]
pub async fn home(State(state): State<AppState>, caller: Caller) -> Result<Markup, ApiError> {
    let user = caller.browser()?.and_then(|p| p.user).ok_or(ApiError::LoginPage)?;
    let tenant = state.tenant();
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { "SAP Analytics Cloud (emulator)" } }
            body {
                h1 { "SAP Analytics Cloud emulator " (PreEscaped("&mdash;")) " tenant " (tenant.letter) }
                p { "Signed in as " b { (user) } "." }
                h2 { "Data imports" }
                ul {
                    @for s in &tenant.schedules {
                        li {
                            (s.mapping_name) " " (PreEscaped("&rarr;")) " " (tenant.object_name(&s.target))
                            " (data import " code { (s.schedule_id) } ")"
                        }
                    }
                }
            }
        }
    })
}
