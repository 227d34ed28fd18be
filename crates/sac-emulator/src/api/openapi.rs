//! The OpenAPI 3.1 document of everything the emulator serves, SAC's APIs
//! on both domains and the admin API, at `GET /emulator/openapi.json`.
//!
//! It is generated from the code: each handler carries a `#[utoipa::path]`
//! and each service module lists its handlers in a `Doc`, merged here. The
//! tests compare the document with the route table (`api::routes`): every
//! routed path and method must have an operation, and every operation a
//! route.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::OpenApi;

use super::state::AppState;

/// The names of the security schemes operations refer to.
pub mod schemes {
    /// `Authorization: Bearer <access token>` from `/oauth/token`.
    pub const BEARER: &str = "bearer";
    /// The browser session cookie (`JSESSIONID`) from `/login` or `/oauth/authorize`.
    pub const SESSION: &str = "session";
    /// `x-csrf-token`, fetched with `x-csrf-token: Fetch`, on writes of the browser domain.
    pub const CSRF: &str = "csrf";
    /// `x-emulator-admin-token`, when the emulator runs with `--admin-token`.
    pub const ADMIN_TOKEN: &str = "adminToken";
}

pub mod responses;
pub mod tags;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SAP Analytics Cloud emulator",
        description = "Every endpoint a local SAC emulator serves: SAC's token service, UI-layer services and public \
                       APIs (on the browser domain, and on the direct API domain where SAC serves them there), and \
                       the emulator's own admin API under /emulator/. Operations only the browser domain serves name \
                       it in their own `servers`.",
    ),
    paths(document_handler),
    modifiers(&Security),
    tags(
        (name = tags::TOKEN, description = "OAuth token service, authorization form and browser sign-in (browser domain)"),
        (name = tags::CSRF, description = "CSRF token fetch and the UI's logon call"),
        (name = tags::LEGACY, description = "The UI layer's data integration service and rejected rows of runs"),
        (name = tags::DATA_IMPORT, description = "SAC's Data Import API"),
        (name = tags::DATA_EXPORT, description = "SAC's Data Export API (OData)"),
        (name = tags::MULTI_ACTIONS, description = "SAC's Multi Actions API"),
        (name = tags::ADMIN, description = "The emulator's admin API (browser domain only, loopback Host, JSON bodies)"),
        (name = tags::CONSOLE, description = "The web console's HTML pages and forms (browser domain only, a tenant user's browser session, forms with the console's own token)"),
    )
)]
struct Base;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(schemes::BEARER, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            schemes::SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            schemes::CSRF,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-csrf-token"))),
        );
        components.add_security_scheme(
            schemes::ADMIN_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(super::admin_guard::TOKEN_HEADER))),
        );
    }
}

/// The document without servers (they depend on the ports), built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut doc = Base::openapi();
        for part in [
            super::admin::Doc::openapi(),
            super::csrf::Doc::openapi(),
            super::legacy::Doc::openapi(),
            super::multiactions::Doc::openapi(),
            super::oauth::Doc::openapi(),
            super::console::Doc::openapi(),
            super::dataexport::Doc::openapi(),
            super::dataimport::Doc::openapi(),
            super::Doc::openapi(),
        ] {
            doc.merge(part);
        }
        doc
    })
}

/// The paths the direct API domain serves as well as the browser domain.
fn shared_paths() -> BTreeSet<String> {
    super::shared().table().iter().map(|(path, _)| path.clone()).collect()
}

/// `GET /emulator/openapi.json`: the document, with this emulator's two
/// domains as servers; paths only the browser domain serves name it alone.
#[utoipa::path(
    get,
    path = "/emulator/openapi.json",
    tag = tags::ADMIN,
    responses((status = 200, description = "This document, OpenAPI 3.1", content_type = "application/json")),
)]
pub async fn document_handler(State(state): State<AppState>) -> Response {
    let mut doc = document().clone();
    if let Some(urls) = state.urls() {
        let tenant = Server::builder().url(&urls.tenant_url).description(Some("Browser (tenant) domain")).build();
        let api = Server::builder().url(&urls.api_url).description(Some("Direct API domain")).build();
        doc.servers = Some(vec![tenant.clone(), api]);
        let shared = shared_paths();
        for (path, item) in doc.paths.paths.iter_mut() {
            if !shared.contains(path) {
                item.servers = Some(vec![tenant.clone()]);
            }
        }
    }
    Json(doc).into_response()
}

#[cfg(test)]
mod tests;
