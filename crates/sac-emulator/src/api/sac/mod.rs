//! SAP Analytics Cloud's services as the emulator serves them, one module
//! per service, each with its `routes()`: the token service and sign-in
//! (`oauth`), the CSRF token fetches (`csrf`), the UI layer's data
//! integration service (`legacy`) and start page (`home`), and the public
//! APIs (`dataimport`, `dataexport`, `multiactions`, `monitoring`, `calendar`). The
//! groups below are what each domain serves; `api/mod.rs` layers each group
//! with its guards.

pub mod calendar;
pub mod csrf;
pub mod dataexport;
pub mod dataimport;
pub mod home;
pub mod legacy;
pub mod monitoring;
pub mod multiactions;
pub mod oauth;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;

/// The public APIs (all under `/api/`), on both domains.
pub(crate) fn public_apis() -> OpenApiRouter<AppState> {
    csrf::routes()
        .merge(dataimport::routes())
        .merge(dataexport::routes())
        .merge(multiactions::routes())
        .merge(monitoring::routes())
        .merge(calendar::routes())
}

/// The UI layer's services both domains serve.
pub(crate) fn ui_services() -> OpenApiRouter<AppState> {
    legacy::routes()
}

/// The UI layer's pages only the browser domain serves: the start page and
/// the UI's logon call.
pub(crate) fn browser_pages() -> OpenApiRouter<AppState> {
    csrf::ui_routes().routes(routes!(home::home))
}

/// The token service, sign-in and the approuter's redirect (browser domain).
pub(crate) fn token_service() -> OpenApiRouter<AppState> {
    oauth::routes()
}

/// Paths under `/sap/fpa/` no service serves: the UI layer answers callers
/// without a user context with the login page, the others with SAC's
/// "endpoint not valid".
pub(crate) async fn unknown_ui_service(caller: Caller) -> ApiError {
    let signed_in = matches!(caller.browser(), Ok(Some(_)));
    if !signed_in && !caller.has_bearer() {
        return ApiError::LoginPage;
    }
    ApiError::endpoint_not_valid()
}
