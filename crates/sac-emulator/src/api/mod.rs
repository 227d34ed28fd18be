//! The HTTP layer: the routes of the two domains and one module per SAC
//! service (HTTP shapes only). Handlers parse, check who is calling, ask the
//! engine to change things or the store to read them, and serialise SAC's
//! answers; they never write job rows themselves.

pub mod admin;
pub mod admin_guard;
pub mod caller;
pub mod console;
pub mod csrf;
pub mod dataexport;
pub mod dataimport;
mod emulator;
pub mod error;
pub mod faults;
mod layers;
pub mod legacy;
pub mod multiactions;
mod oauth;
mod odata;
pub mod openapi;
pub mod requests;
pub mod responses;
pub mod state;

use axum::extract::State;
use axum::middleware::from_fn_with_state;
use axum::routing::any;
use axum::{Extension, Router};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::caller::Caller;
use self::error::{unknown_endpoint, ApiError};
use self::state::AppState;
use crate::Domain;

/// Runs engine work that may write many rows on the blocking pool, so that
/// a big write never stalls the workers that answer polls.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// The SAC services the direct API domain serves as well as the browser
/// domain: the public APIs (all under `/api/`) and the UI layer's services.
/// Each domain adds its own guards.
fn public_apis() -> OpenApiRouter<AppState> {
    csrf::routes().merge(dataimport::routes()).merge(dataexport::routes()).merge(multiactions::routes())
}

/// The browser domain's routes: token service, sign-in, UI layer, public
/// APIs, admin API and console, each group with its guards.
pub(crate) fn tenant_routes(state: &AppState) -> OpenApiRouter<AppState> {
    // The token service and sign-in: on SAC a host of their own, without CSRF.
    let token_service = oauth::routes()
        .route("/oauth/{*path}", any(unknown_endpoint))
        .route("/approuter/{*path}", any(unknown_endpoint));
    // Writes by an authenticated caller need its session's CSRF token, on
    // paths no API serves as well.
    let apis = public_apis()
        .route("/api/{*path}", any(unknown_endpoint))
        .layer(from_fn_with_state(state.clone(), csrf::api_guard));
    // The same for the callers the approuter lets through to the UI layer,
    // which also answers the paths nobody serves.
    let ui = legacy::routes()
        .merge(csrf::ui_routes())
        .routes(routes!(home))
        .route("/sap/fpa/{*path}", any(unknown_ui_service))
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(state.clone(), csrf::ui_guard));
    let sac = token_service
        .merge(apis)
        .merge(ui)
        .layer(from_fn_with_state(state.clone(), layers::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Tenant), layers::record));
    OpenApiRouter::with_openapi(openapi::base()).merge(sac).merge(emulator::routes(state))
}

/// The direct API domain's routes: bearer tokens only, no CSRF, no HTML.
pub(crate) fn api_routes(state: &AppState) -> OpenApiRouter<AppState> {
    public_apis()
        .merge(legacy::routes())
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(state.clone(), layers::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Api), layers::record))
}

/// The browser domain: token service, login, UI layer, admin API.
pub fn tenant(state: AppState) -> Router {
    let (router, document) = tenant_routes(&state).split_for_parts();
    let served = openapi::Served::new(document, &api_routes(&state).into_openapi());
    router.layer(Extension(served)).layer(Extension(Domain::Tenant)).with_state(state)
}

/// The direct API domain: bearer tokens only, no CSRF, no HTML.
pub fn api(state: AppState) -> Router {
    let (router, _) = api_routes(&state).split_for_parts();
    router.layer(Extension(Domain::Api)).with_state(state)
}

/// Paths under `/sap/fpa/` no service serves: the UI layer answers callers
/// without a user context with the login page, the others with SAC's
/// "endpoint not valid".
async fn unknown_ui_service(caller: Caller) -> ApiError {
    let signed_in = matches!(caller.browser(), Ok(Some(_)));
    if !signed_in && !caller.has_bearer() {
        return ApiError::LoginPage;
    }
    ApiError::endpoint_not_valid()
}

/// `/`: the tenant's start page for a signed-in browser, else the login page.
#[utoipa::path(
    get,
    path = "/",
    tag = openapi::tags::TOKEN,
    security((), ("session" = [])),
    responses((status = 200, description = "The start page for a signed-in browser, else the login page (HTML)", content_type = "text/html")),
)]
async fn home(State(state): State<AppState>, caller: Caller) -> Result<Markup, ApiError> {
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

#[cfg(test)]
mod tests;
