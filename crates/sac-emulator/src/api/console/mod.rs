//! The web console at `/emulator/ui` (tenant domain): what the emulator
//! holds and does, seen as in SAC's own screens, for a signed-in tenant user.
//!
//! Pages are rendered on the server with `maud` (templates checked at
//! compile time) and read without JavaScript; a small embedded script
//! reloads the main part of a page while something on it runs. Forms post
//! `application/x-www-form-urlencoded` with the console's own form token,
//! which the admin guard (`api::admin_guard`) checks before any handler
//! runs. Handlers call the engine to change things and the store to read
//! them, as the other `api/` handlers do.

mod admin;
mod imports;
mod layout;
mod models;
mod multiactions;
mod requests;
mod schedules;
mod session;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::openapi::tags;
use super::routes::Routes;

pub use session::SignedIn;

/// Where the console lives.
pub const ROOT: &str = "/emulator/ui";

/// The console's routes (mounted on the tenant domain, behind the admin guard).
pub(crate) fn routes() -> Routes {
    Routes::new()
        .route("/emulator/", get(old_address))
        .route(ROOT, get(models::overview))
        .route("/emulator/ui/assets/console.css", get(stylesheet))
        .route("/emulator/ui/assets/console.js", get(script))
        .route("/emulator/ui/models", get(models::list))
        .route("/emulator/ui/models/{id}", get(models::rows))
        .route("/emulator/ui/schedules", get(schedules::list))
        .route("/emulator/ui/schedules/{id}/run", post(schedules::run_now))
        .route("/emulator/ui/runs/{id}", get(schedules::run))
        .route("/emulator/ui/runs/{id}/rejections", get(schedules::rejections))
        .route("/emulator/ui/imports", get(imports::list))
        .route("/emulator/ui/imports/{id}", get(imports::job))
        .route("/emulator/ui/multiactions", get(multiactions::list))
        .route("/emulator/ui/multiactions/{id}/run", post(multiactions::run_now))
        .route("/emulator/ui/executions/{id}", get(multiactions::execution))
        .route("/emulator/ui/requests", get(requests::list))
        .route("/emulator/ui/admin", get(admin::show))
        .route("/emulator/ui/faults", post(admin::add_fault))
        .route("/emulator/ui/faults/clear", post(admin::clear_faults))
        .route("/emulator/ui/clock", post(admin::set_clock))
        .route("/emulator/ui/release", post(admin::release))
        .route("/emulator/ui/reset", post(admin::reset))
        .route("/emulator/ui/signout", post(session::sign_out))
}

/// `GET /emulator/`: where the emulator's state page used to be.
#[utoipa::path(
    get,
    path = "/emulator/",
    tag = tags::CONSOLE,
    responses(
        (status = 303, description = "To the web console, /emulator/ui"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn old_address() -> Redirect {
    Redirect::to(ROOT)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[utoipa::path(
    get,
    path = "/emulator/ui/assets/console.css",
    tag = tags::CONSOLE,
    responses((status = 200, description = "The console's style sheet", content_type = "text/css")),
)]
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/console.css"))
}

#[utoipa::path(
    get,
    path = "/emulator/ui/assets/console.js",
    tag = tags::CONSOLE,
    responses((status = 200, description = "The console's script (live pages)", content_type = "text/javascript")),
)]
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("assets/console.js"))
}

/// The console's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    old_address,
    stylesheet,
    script,
    models::overview,
    models::list,
    models::rows,
    schedules::list,
    schedules::run_now,
    schedules::run,
    schedules::rejections,
    imports::list,
    imports::job,
    multiactions::list,
    multiactions::run_now,
    multiactions::execution,
    requests::list,
    admin::show,
    admin::add_fault,
    admin::clear_faults,
    admin::set_clock,
    admin::release,
    admin::reset,
    session::sign_out
))]
pub(crate) struct Doc;

/// 303 See Other to a page of the console (the answer to a form).
fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Runs store or engine work on the blocking pool; a store error becomes a 500 page.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::store::StoreResult<T> + Send + 'static,
) -> Result<T, Response> {
    crate::api::blocking(work).await.map_err(layout::internal)
}
