//! The OpenAPI 3.1 document of everything the emulator serves, SAC's APIs
//! on both domains and the admin API, at `GET /emulator/openapi.json`.
//!
//! It is generated from the code: each handler carries a `#[utoipa::path]`
//! and is routed with `utoipa_axum::routes!`, which adds its operation to
//! the document as it adds the route. This module holds what is not an
//! operation (title, tags, security schemes) and serves the document the
//! tenant domain's routes made (see `api::tenant`). The tests send every
//! operation to the router and check the routers use no undocumented route.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
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
    modifiers(&Security),
    tags(
        (name = tags::TOKEN, description = "OAuth token service, authorization form and browser sign-in (browser domain)"),
        (name = tags::CSRF, description = "CSRF token fetch and the UI's logon call"),
        (name = tags::LEGACY, description = "The UI layer's data integration service and rejected rows of runs"),
        (name = tags::DATA_IMPORT, description = "SAC's Data Import API"),
        (name = tags::DATA_EXPORT, description = "SAC's Data Export API (OData)"),
        (name = tags::MULTI_ACTIONS, description = "SAC's Multi Actions API"),
        (name = tags::MONITORING, description = "SAC's Monitoring API: system statistics as CSV (dataManagement: the Data Management schedules' runs; planningDataAction: the data actions' executions; the other models from what the emulator knows)"),
        (name = tags::CALENDAR, description = "SAC's Calendar API: read, change the status of and copy planning calendar events"),
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
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(super::middleware::admin_guard::TOKEN_HEADER))),
        );
    }
}

/// What the document says besides its operations, which the routers add.
pub fn base() -> utoipa::openapi::OpenApi {
    let mut doc = Base::openapi();
    // The admin API's request bodies (its module lists them).
    let admin = super::emulator::admin::Doc::openapi();
    if let Some(schemas) = admin.components.map(|c| c.schemas) {
        doc.components.get_or_insert_with(Default::default).schemas.extend(schemas);
    }
    doc
}

/// The document as the tenant domain serves it: its operations, and which
/// of their paths the direct API domain serves too.
#[derive(Clone)]
pub struct Served {
    document: Arc<utoipa::openapi::OpenApi>,
    shared: Arc<BTreeSet<String>>,
}

impl Served {
    /// `document` made by the tenant domain's routes, `api` by the API domain's.
    pub fn new(document: utoipa::openapi::OpenApi, api: &utoipa::openapi::OpenApi) -> Self {
        let shared = api.paths.paths.keys().cloned().collect();
        Served { document: Arc::new(document), shared: Arc::new(shared) }
    }
}

/// `GET /emulator/openapi.json`: the document, with this emulator's two
/// domains as servers; paths only the browser domain serves name it alone.
#[utoipa::path(
    get,
    path = "/emulator/openapi.json",
    tag = tags::ADMIN,
    responses((status = 200, description = "This document, OpenAPI 3.1", content_type = "application/json")),
)]
pub async fn document_handler(
    State(state): State<AppState>,
    Extension(served): Extension<Served>,
) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = (*served.document).clone();
    if let Some(urls) = state.urls() {
        let tenant = Server::builder().url(&urls.tenant_url).description(Some("Browser (tenant) domain")).build();
        let api = Server::builder().url(&urls.api_url).description(Some("Direct API domain")).build();
        doc.servers = Some(vec![tenant.clone(), api]);
        for (path, item) in doc.paths.paths.iter_mut() {
            if !served.shared.contains(path) {
                item.servers = Some(vec![tenant.clone()]);
            }
        }
    }
    Json(doc)
}

#[cfg(test)]
mod tests;
