//! The Data Export API (`/api/v1/dataexport`, OData v4, read only): the
//! administration service ([`administration`]: the four namespaces of
//! [`namespaces`] and their providers), a provider's service document
//! ([`service`]) and `$metadata` ([`metadata`]), `FactData` ([`facts`]) with
//! `$filter` and `$orderby` (see [`odata`]) run in SQL, master data per
//! dimension (`<Dimension>Master`, [`master`]) served by [`values`], and the
//! sets of the other namespaces: currency and unit conversion tables
//! ([`conversions`]) and public dimensions ([`public_dimensions`]). Every set
//! gets `$select`, `$top`, `$skip`, `pagesize`, `$count`,
//! `$format=text/csv` (with `delimiter`) and server-side paging through
//! absolute `@odata.nextLink`s ([`page`], options read in [`query`]).
//!
//! [`entity_set`] dispatches `GET /providers/{namespace}/{id}/{set}`: a
//! model's sets on `{set}`, another provider's through
//! [`values::answer_provider`]; [`metadata::entity_sets`] names the sets a
//! model has (its service document and `$metadata` container list them).

mod administration;
mod aggregation;
mod audit;
mod conversions;
mod delta;
mod facts;
mod json_rows;
mod master;
mod metadata;
mod namespaces;
mod odata;
mod page;
mod provider;
mod public_dimensions;
mod query;
mod service;
mod subscriptions;
mod values;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use self::administration::{namespaces, providers};
pub use self::service::{service, service_without_slash};

use self::namespaces::Provider;
use self::page::Window;
use self::provider::{reader, request_base};
use self::query::{Format, Options};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataExportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// SAC's answer for a set the provider does not have (3707, page `dbf30343`).
fn unknown_set(provider: &str, set: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "3707",
        format!(
            "The entity set {set} does not exist in provider {provider}: see its service document for the sets [3707]"
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
        DataExportRefusals,
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
    let provider = namespaces::resolve(&tenant, state.store(), &namespace, &id)?;
    let options = Options::parse(raw.as_deref())?;
    if set == "$metadata" {
        return match &provider {
            Provider::Model(m) => metadata::document(&tenant, m, options.format),
            other => metadata::provider_document(other, options.format),
        };
    }
    if options.format == Some(Format::Xml) {
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "$format=xml is only for $metadata: use json or text/csv",
        ));
    }
    let window = Window::of(&options, state.options().export_page_size as i64);
    let url = format!("{}/providers/{namespace}/{}/{set}", request_base(&state, &caller), provider.id(&tenant));
    let m = match provider {
        Provider::Model(m) => m,
        other => return values::answer_provider(&state, &other, &set, &options, window, &url),
    };
    if set == "FactDataDifference" || (set == "FactData" && delta::asks(&caller, &options)) {
        return delta::answer(&state, &caller, m, &set, &options, &url);
    }
    if set == "FactData" {
        return facts::answer(&state, m, &options, window, &url);
    }
    match values::columns_of(&tenant, m, &set) {
        Some(columns) => {
            let request = values::Request { state: &state, caller: &caller, m, set: &set, url: &url };
            values::answer(&request, columns, &options, window)
        }
        None => Err(unknown_set(&m.id, &set)),
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
        .routes(routes!(subscriptions::create, subscriptions::all))
        .routes(routes!(subscriptions::of_provider))
        .routes(routes!(subscriptions::delete))
}
