//! The Data Export API (`/api/v1/dataexport`, OData v4, read only): the
//! administration service ([`administration`]: namespaces, providers), a
//! provider's service document ([`service`]) and `$metadata`
//! ([`metadata`]), `FactData` ([`facts`]) with `$filter` and `$orderby`
//! (see [`odata`]) run in SQL, and master data per dimension
//! (`<Dimension>Master`, [`master`]) served by [`values`]. Every set gets
//! `$select`, `$top`, `$skip`, `pagesize`, `$count`, `$format=text/csv` and
//! server-side paging through absolute `@odata.nextLink`s ([`page`], options
//! read in [`query`]).
//!
//! [`entity_set`] dispatches `GET /providers/sac/{model}/{set}` on `{set}`;
//! [`entity_sets`] names the sets a model has (its service document and
//! `$metadata` container list them).

mod administration;
mod aggregation;
mod audit;
mod facts;
mod json_rows;
mod master;
mod metadata;
mod odata;
mod page;
mod query;
mod service;
mod values;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use self::administration::{namespaces, providers};
pub use self::service::{service, service_without_slash};

use self::page::Window;
use self::query::{Format, Options};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::tenant::{ModelDef, Role, Tenant};
use crate::Domain;

const NAMESPACE: &str = "sac";

/// Any user of the tenant, or a technical client with the Data Export
/// Service in its access list (else SAC's 3401).
fn reader(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    let principal = caller.service()?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            if tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Export Service")) {
                Ok(())
            } else {
                Err(ApiError::api(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                ))
            }
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant && matches!(u.role, Role::Planner | Role::Viewer) => Ok(()),
            _ => Err(ApiError::api(
                StatusCode::FORBIDDEN,
                "403",
                format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

fn base(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataexport", state.domain_url(domain))
}

fn model<'t>(tenant: &'t Tenant, namespace: &str, id: &str) -> Result<&'t ModelDef, ApiError> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    match (namespace == NAMESPACE, tenant.model(bare)) {
        (true, Some(m)) => Ok(m),
        _ => Err(ApiError::api(StatusCode::NOT_FOUND, "404", format!("The provider {namespace}/{id} does not exist"))),
    }
}

/// The entity sets of a model that are served, in the order its service
/// document lists them: the tenant's sets that have an entity type.
fn entity_sets(tenant: &Tenant, m: &ModelDef) -> Vec<String> {
    tenant.entity_sets(m).into_iter().filter(|set| metadata::entity_type(tenant, m, set).is_some()).collect()
}

/// The service's base URL as the client called it: the scheme the
/// emulator serves and the `Host` the request named (so a link works from
/// wherever the client reached us), else the configured URL.
fn request_base(state: &AppState, caller: &Caller) -> String {
    let configured = base(state, caller.domain);
    let scheme = configured.split_once("://").map(|(s, _)| s).unwrap_or("http");
    let host = caller
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c)));
    match host {
        Some(host) => format!("{scheme}://{host}/api/v1/dataexport"),
        None => configured,
    }
}

/// SAC's answer for a set the provider does not have.
fn unknown_set(m: &ModelDef, set: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "3707",
        format!(
            "The entity set {set} does not exist in provider {}: see its service document for the sets [3707]",
            m.id
        ),
    )
}

/// `GET /providers/sac/{model}/{set}`: `$metadata`, `FactData` or another
/// entity set. A new set plugs in here: a `match` arm that reads its rows.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/providers/{namespace}/{id}/{set}",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(
        ("namespace" = String, Path, description = "`sac`", example = "sac"),
        ("id" = String, Path, description = "A model (provider) id", example = "SALES_PLAN"),
        ("set" = String, Path, description = "`$metadata`, `FactData`, `<Dimension>Master`, ... (the service document lists them)", example = "FactData"),
        ("$filter" = Option<String>, Query, description = "OData filter on dimension columns"),
        ("$orderby" = Option<String>, Query, description = "Columns, `asc`/`desc`"),
        ("$select" = Option<String>, Query, description = "Columns to return"),
        ("$top" = Option<i64>, Query, description = "Rows to return"),
        ("$skip" = Option<i64>, Query, description = "Rows to skip"),
        ("$skiptoken" = Option<String>, Query, description = "The next page, as the previous page's nextLink gives it"),
        ("$format" = Option<String>, Query, description = "`JSON` (default) or `CSV`"),
        ("$count" = Option<String>, Query, description = "`true` for the row count"),
    ),
    responses(
        (status = 200, description = "Rows (OData JSON, or CSV), or `$metadata` (XML)", content((serde_json::Value = "application/json"), (String = "text/csv"), (String = "application/xml"))),
        (status = 400, description = "A query option the service cannot read", content_type = "application/json"),
        (status = 401, description = "No valid bearer token (API domain), or no user context", content_type = "application/json"),
        (status = 403, description = "The caller may not read it", content_type = "application/json"),
        (status = 404, description = "No such namespace, provider or entity set", content_type = "application/json"),
        (status = 501, description = "A `$` query option SAC does not support", content_type = "application/json"),
    ),
)]
pub async fn entity_set(
    State(state): State<AppState>,
    caller: Caller,
    Path((namespace, id, set)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let tenant = state.tenant();
    let m = model(&tenant, &namespace, &id)?;
    let options = Options::parse(raw.as_deref())?;
    if set == "$metadata" {
        return metadata::document(&tenant, m, options.format);
    }
    if options.format == Some(Format::Xml) {
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "$format=xml is only for $metadata: use json or text/csv",
        ));
    }
    let url = format!("{}/providers/{NAMESPACE}/{}/{set}", request_base(&state, &caller), m.id);
    let window = Window::of(&options, state.options().export_page_size as i64);
    if set == "FactData" {
        return facts::answer(&state, m, &options, window, &url);
    }
    match values::columns_of(&tenant, m, &set) {
        Some(columns) => {
            let request = values::Request { state: &state, caller: &caller, m, set: &set, url: &url };
            values::answer(&request, columns, &options, window)
        }
        None => Err(unknown_set(m, &set)),
    }
}

/// The Data Export API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(administration::namespaces))
        .routes(routes!(administration::providers))
        .routes(routes!(service::service_without_slash))
        .routes(routes!(service::service))
        .routes(routes!(entity_set))
}
