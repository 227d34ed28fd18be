//! The HTTP layer, in folders that follow who a route is for:
//! - `sac/`: SAP Analytics Cloud's services, one module each with its
//!   handlers (HTTP shapes only) and its `routes()`;
//! - `emulator/`: the emulator's own surface under `/emulator`: `mod.rs`
//!   (its routes and their admin-guard rules), `admin.rs` and `faults.rs`
//!   (the JSON admin API, adapters over `crate::admin`), `console/` (the web
//!   console);
//! - `openapi/`: the document of everything served, and the tags every
//!   handler's annotation names;
//! - `middleware/`: what runs around the handlers (admin guard, CSRF,
//!   injected faults, request log);
//! - what handlers share: `caller.rs` (who is calling), `error.rs` (SAC's
//!   refusals), `responses.rs` (HTML pages), `state.rs`.
//!
//! This file puts the two domains together: which groups of routes each
//! serves and which guards each group has. Handlers parse, check who is
//! calling, ask the engine to change things or the store to read them, and
//! serialise SAC's answers; they never write job rows themselves.

pub mod caller;
pub mod emulator;
pub mod error;
pub mod middleware;
pub mod openapi;
pub mod responses;
pub mod sac;
pub mod state;

use axum::middleware::from_fn_with_state;
use axum::routing::any;
use axum::{Extension, Router};
use utoipa_axum::router::OpenApiRouter;

use self::error::unknown_endpoint;
use self::state::AppState;
use crate::Domain;

// The admin API and the console run engine work with `super::blocking`.
pub(crate) use self::state::blocking;

/// The browser domain's routes: token service, sign-in, UI layer, public
/// APIs, admin API and console, each group with its guards.
///
/// Guards are `layer`s of their group, not `route_layer`s: SAC refuses a
/// request before it looks at the method, so a wrong method (axum's 405,
/// which `route_layer` skips) meets the guard first, as does a path of the
/// group that nothing serves (its `{*path}` catch-all). The order of the
/// layers is SAC's order of answers: request log, faults, then the guard.
pub(crate) fn tenant_routes(state: &AppState) -> OpenApiRouter<AppState> {
    // The token service and sign-in: on SAC a host of their own, without CSRF.
    let token_service = sac::token_service()
        .route("/oauth/{*path}", any(unknown_endpoint))
        .route("/approuter/{*path}", any(unknown_endpoint));
    // Writes by an authenticated caller need its session's CSRF token, on
    // paths no API serves as well.
    let apis = sac::public_apis()
        .route("/api/{*path}", any(unknown_endpoint))
        .layer(from_fn_with_state(state.clone(), middleware::csrf::api_guard));
    // The same for the callers the approuter lets through to the UI layer,
    // which also answers the paths nobody serves.
    let ui = sac::ui_services()
        .merge(sac::browser_pages())
        .route("/sap/fpa/{*path}", any(sac::unknown_ui_service))
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(state.clone(), middleware::csrf::ui_guard));
    let sac = token_service
        .merge(apis)
        .merge(ui)
        .layer(from_fn_with_state(state.clone(), middleware::faults::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Tenant), middleware::record::record));
    OpenApiRouter::with_openapi(openapi::base()).merge(sac).merge(emulator::routes(state))
}

/// The direct API domain's routes: bearer tokens only, no CSRF, no HTML.
pub(crate) fn api_routes(state: &AppState) -> OpenApiRouter<AppState> {
    sac::public_apis()
        .merge(sac::ui_services())
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(state.clone(), middleware::faults::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Api), middleware::record::record))
}

/// The browser domain: token service, login, UI layer, public APIs, admin
/// API and console.
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

#[cfg(test)]
mod tests;
