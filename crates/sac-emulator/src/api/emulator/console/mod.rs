//! The web console at `/emulator/ui` (tenant domain): what the emulator
//! holds and does, seen as in SAC's own screens, for a signed-in tenant user.
//!
//! Pages are rendered on the server with `maud` (templates checked at
//! compile time) and read without JavaScript; a small embedded script
//! reloads the main part of a page while something on it runs. Forms post
//! `application/x-www-form-urlencoded` with the console's own form token,
//! which the admin guard (`api::middleware::admin_guard`) checks before any handler
//! runs. Handlers call the engine to change things and the store to read
//! them, as the other `api/` handlers do.

mod admin;
mod calendar;
mod imports;
mod layout;
mod models;
mod multiactions;
mod requests;
mod schedules;
mod session;
mod tenant;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::openapi::tags;
use crate::api::state::AppState;

pub use session::SignedIn;

/// Where the console lives.
pub const ROOT: &str = "/emulator/ui";

/// The console's pages and forms (mounted on the tenant domain, behind the
/// admin guard's console rules).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models::overview))
        .routes(routes!(stylesheet))
        .routes(routes!(script))
        .routes(routes!(tenant::show))
        .routes(routes!(models::list))
        .routes(routes!(models::rows))
        .routes(routes!(schedules::list))
        .routes(routes!(schedules::run_now))
        .routes(routes!(schedules::run))
        .routes(routes!(schedules::rejections))
        .routes(routes!(imports::list))
        .routes(routes!(imports::job))
        .routes(routes!(multiactions::list))
        .routes(routes!(multiactions::run_now))
        .routes(routes!(multiactions::execution))
        .routes(routes!(calendar::list))
        .routes(routes!(requests::list))
        .routes(routes!(admin::show))
        .routes(routes!(admin::add_fault))
        .routes(routes!(admin::clear_faults))
        .routes(routes!(admin::set_clock))
        .routes(routes!(admin::release))
        .routes(routes!(admin::reset))
        .routes(routes!(session::sign_out))
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
    crate::api::state::blocking(work).await.map_err(layout::internal)
}
