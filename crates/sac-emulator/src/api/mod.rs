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
mod routes;
pub mod state;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use self::routes::Routes;

use self::caller::Caller;
use self::error::ApiError;
use self::state::AppState;
use crate::Domain;
use axum::extract::DefaultBodyLimit;
use sac_types::legacy::{EPM_SESSION_PATH, SERVICE_PATH};

/// Runs engine work that may write many rows on the blocking pool, so that
/// a big write never stalls the workers that answer polls.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

// Routes are added through `Routes` (never on the `Router` after
// `into_router`), and each needs an entry in the OpenAPI document: a
// `#[utoipa::path]` on its handler, listed in its module's `Doc` (see
// api/openapi.rs). A test fails for a route without one.

/// Routes both domains share: the UI layer's services and the CSRF fetch.
pub(crate) fn shared() -> Routes {
    Routes::new()
        .route("/api/v1/csrf", get(csrf::api_csrf))
        .route(SERVICE_PATH, post(legacy::dataintegration).fallback(method_not_allowed))
        .route("/wrangling/api/dm/executions/{id}/rejections", get(legacy::rejections))
        .route("/api/v1/dataimport/models", get(dataimport::models))
        .route("/api/v1/dataimport/models/{id}", get(dataimport::model).post(dataimport::create_model_job))
        .route("/api/v1/dataimport/models/{id}/metadata", get(dataimport::metadata))
        .route("/api/v1/dataimport/models/{id}/{import_type}", post(dataimport::create_typed_model_job))
        .route("/api/v1/dataimport/publicDimensions", get(dataimport::public_dimensions))
        .route("/api/v1/dataimport/publicDimensions/{id}", get(dataimport::public_dimension))
        .route("/api/v1/dataimport/publicDimensions/{id}/metadata", get(dataimport::public_dimension_metadata))
        .route("/api/v1/dataimport/publicDimensions/{id}/publicDimensionData", post(dataimport::create_dimension_job))
        .route("/api/v1/dataimport/jobs", get(dataimport::list_jobs))
        .route(
            "/api/v1/dataimport/jobs/{id}",
            post(dataimport::upload).delete(dataimport::delete_job).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/dataimport/jobs/{id}/validate", post(dataimport::validate_job))
        .route("/api/v1/dataimport/jobs/{id}/invalidRows", get(dataimport::invalid_rows))
        .route("/api/v1/dataimport/jobs/{id}/run", post(dataimport::run_job))
        .route("/api/v1/dataimport/jobs/{id}/status", get(dataimport::job_status_handler))
        .route("/api/v1/dataexport/administration/{segment}", get(dataexport::namespaces))
        .route("/api/v1/dataexport/administration/{namespace}/Providers", get(dataexport::providers))
        .route("/api/v1/dataexport/providers/{namespace}/{id}", get(dataexport::service_without_slash))
        .route("/api/v1/dataexport/providers/{namespace}/{id}/", get(dataexport::service))
        .route("/api/v1/dataexport/providers/{namespace}/{id}/{set}", get(dataexport::entity_set))
        .route("/api/v1/multiActions/{id}/executions", post(multiactions::start))
        .route("/api/v1/multiActions/{id}/executions/{execution}", get(multiactions::status))
}

/// Every route of the browser domain: token service, login, UI layer, admin API.
pub(crate) fn tenant_routes() -> Routes {
    shared()
        .route("/", get(home))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/authorize", get(oauth::authorize_form).post(oauth::authorize_submit))
        .route("/login", get(oauth::login_page_form).post(oauth::login_submit))
        .route("/approuter/v1/redirect", get(oauth::approuter_redirect))
        .route(EPM_SESSION_PATH, get(csrf::epm_session))
        .route("/emulator/health", get(admin::health))
        .route("/emulator/reset", post(admin::reset))
        .route("/emulator/tenant", get(admin::get_tenant).post(admin::load_tenant))
        .route("/emulator/clock", post(admin::set_clock))
        .route("/emulator/clock/release", post(admin::release))
        .route("/emulator/faults", get(admin::list_faults).post(admin::add_fault).delete(admin::clear_faults))
        .route("/emulator/requests", get(admin::list_requests).delete(admin::clear_requests))
        .route("/emulator/models/{id}/rows", get(admin::model_rows))
        .route("/emulator/sources/{source}/{object}/rows", post(admin::source_rows))
        .route("/emulator/idp/assertion", post(admin::idp_assertion))
        .route("/emulator/idp/metadata", get(admin::idp_metadata))
        .route("/emulator/openapi.json", get(openapi::document_handler))
        .merge(console::routes())
}

/// The browser domain: token service, login, UI layer, admin API.
pub fn tenant(state: AppState) -> Router {
    tenant_routes()
        .into_router()
        .fallback(tenant_fallback)
        .layer(from_fn_with_state(state.clone(), csrf_guard))
        .layer(from_fn_with_state(state.clone(), admin_guard::guard))
        .layer(Extension(Domain::Tenant))
        .layer(from_fn_with_state(state.clone(), layers::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Tenant), layers::record))
        .with_state(state)
}

/// The direct API domain: bearer tokens only, no CSRF, no HTML.
pub fn api(state: AppState) -> Router {
    shared()
        .into_router()
        .fallback(api_fallback)
        .layer(Extension(Domain::Api))
        .layer(from_fn_with_state(state.clone(), layers::inject))
        .layer(from_fn_with_state((state.clone(), Domain::Api), layers::record))
        .with_state(state)
}

async fn csrf_guard(state: State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if ["/oauth/", "/login", "/approuter/", "/emulator/"].iter().any(|p| path.starts_with(p)) {
        return next.run(request).await;
    }
    if path.starts_with("/api/") {
        csrf::api_guard(state, request, next).await
    } else {
        csrf::ui_guard(state, request, next).await
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::legacy(StatusCode::METHOD_NOT_ALLOWED, None, "Method not allowed: this service takes POST")
}

/// Unknown paths: the UI layer answers unauthenticated callers with the
/// login page, everything else with SAC's "endpoint not valid".
async fn tenant_fallback(caller: Caller, uri: axum::http::Uri) -> ApiError {
    if uri.path().starts_with("/sap/fpa/") {
        let signed_in = matches!(caller.browser(), Ok(Some(_)));
        if !signed_in && !caller.has_bearer() {
            return ApiError::LoginPage;
        }
    }
    ApiError::endpoint_not_valid()
}

async fn api_fallback() -> ApiError {
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

/// The start page's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(home))]
pub(crate) struct Doc;
