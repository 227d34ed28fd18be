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
use axum::Router;

use crate::api::state::AppState;

pub use session::SignedIn;

/// Where the console lives.
pub const ROOT: &str = "/emulator/ui";

/// The console's routes (mounted on the tenant domain, behind the admin guard).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/emulator/", get(|| async { Redirect::to(ROOT) }))
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
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("assets/console.css"))
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("assets/console.js"))
}

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
