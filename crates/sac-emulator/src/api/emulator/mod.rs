//! The emulator's own surface on the tenant domain: the admin API, the web
//! console and the OpenAPI document, all under `/emulator`, all behind the
//! admin guard (`admin_guard`), whose rules each group of routes names.
//! Faults are never injected here.

pub mod admin;
pub mod console;
pub mod faults;

use axum::middleware::from_fn_with_state;
use axum::routing::any;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::unknown_endpoint;
use crate::api::middleware::admin_guard::{self, Bodies, Rules};
use crate::api::middleware::record::record;
use crate::api::openapi;
use crate::api::state::AppState;
use crate::Domain;

/// The routes under `/emulator`.
pub(crate) fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    let guard = |rules: Rules| from_fn_with_state((state.clone(), rules), admin_guard::guard);
    let admin_api = OpenApiRouter::new()
        .routes(routes!(admin::reset))
        .routes(routes!(admin::shutdown))
        .routes(routes!(admin::set_clock))
        .routes(routes!(admin::advance_clock))
        .routes(routes!(admin::release))
        .routes(routes!(admin::list_faults, admin::add_fault, admin::clear_faults))
        .routes(routes!(admin::model_rows))
        .routes(routes!(admin::source_rows))
        .routes(routes!(admin::idp_assertion))
        .routes(routes!(admin::idp_metadata))
        .routes(routes!(openapi::document_handler))
        .routes(routes!(console::old_address))
        // Paths under /emulator that nothing serves meet the guard too.
        .route("/emulator", any(unknown_endpoint))
        .route("/emulator/{*path}", any(unknown_endpoint))
        .layer(guard(Rules::JSON));
    // A launcher may wait for the emulator without knowing the admin token.
    let health = OpenApiRouter::new()
        .routes(routes!(admin::health))
        .layer(guard(Rules { reads_without_token: true, bodies: Bodies::Json }));
    // A tenant may be loaded from a TOML file.
    let tenant = OpenApiRouter::new()
        .routes(routes!(admin::get_tenant, admin::load_tenant))
        .layer(guard(Rules { reads_without_token: false, bodies: Bodies::JsonOrToml }));
    let recorded =
        admin_api.merge(health).merge(tenant).layer(from_fn_with_state((state.clone(), Domain::Tenant), record));
    // The request log does not show its own readers, nor the console (whose live pages poll).
    let requests =
        OpenApiRouter::new().routes(routes!(admin::list_requests, admin::clear_requests)).layer(guard(Rules::JSON));
    let console = console::routes()
        .route("/emulator/ui/{*path}", any(unknown_endpoint))
        .layer(guard(Rules { reads_without_token: false, bodies: Bodies::ConsoleForm }));
    recorded.merge(requests).merge(console)
}
