//! Currency and unit conversion tables as import targets (guide pages
//! 65-74): the lists, a table's import type and metadata, and job creation.
//! Jobs then take rows (and `DeletedData`) like any job; the tables
//! themselves are `store::conversions`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::access::{base_url, importer, not_found};
use super::create::{new_job, Kind};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::{DataImportRefusals, JobCreation};
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::conversion_jobs::{self, UNIT_TABLES};
use crate::engine::import_jobs::{find_target, Target};
use crate::store::conversions::{ColumnType, ConversionTable};

fn table(state: &AppState, id: &str, kind: Kind) -> Result<ConversionTable, ApiError> {
    match (find_target(&state.tenant(), id), kind) {
        (Some(Target::Conversion(t @ ConversionTable::Currency(_))), Kind::Currency) => Ok(t),
        (Some(Target::Conversion(t @ ConversionTable::Unit(_))), Kind::Unit) => Ok(t),
        (_, Kind::Unit) => Err(not_found("unit conversion table", id)),
        _ => Err(not_found("currency conversion table", id)),
    }
}

/// The table `id` of `kind`, once the caller may import (the reads of
/// one table share this).
fn readable(state: &AppState, caller: &Caller, id: &str, kind: Kind) -> Result<ConversionTable, ApiError> {
    importer(state, caller, false)?;
    table(state, id, kind)
}

/// A table's columns as the metadata pages show them (a9c475c7, 3108077b).
fn metadata(table: &ConversionTable, unit: bool) -> Value {
    let columns: Vec<Value> = table
        .columns()
        .iter()
        .map(|c| {
            let mut column = json!({
                "columnName": c.import_name,
                "columnDataType": match c.data_type {
                    ColumnType::Text => "string",
                    ColumnType::Integer => "integer",
                    ColumnType::Decimal => "decimal",
                    ColumnType::Date => "date",
                },
                "maxLength": c.max_length,
                "isKey": c.key,
            });
            if unit {
                column["propertyType"] = json!("PROPERTY");
                column["descriptionName"] = json!(c.import_name);
            }
            column
        })
        .collect();
    let keys: Vec<&str> = table.columns().iter().filter(|c| c.key).map(|c| c.import_name).collect();
    json!({ conversion_jobs::import_type(table): {"keys": keys, "columns": columns} })
}

/// The answer to a conversion table's job creation: `JobID` and `JobURL`
/// as pages 5b7149de and b3de11f1 write them.
fn create(
    state: &AppState,
    caller: &Caller,
    id: &str,
    import_type: Option<&str>,
    body: &Bytes,
    kind: Kind,
) -> Result<Response, ApiError> {
    table(state, id, kind)?;
    let job = new_job(state, caller, id, import_type, body, kind, b',')?;
    let url = format!("{}/jobs/{}", base_url(state, caller.domain), job.job_id);
    Ok((StatusCode::CREATED, Json(json!({"JobID": job.job_id, "JobURL": url}))).into_response())
}

/// Job creation with the import type in the path (`{id}/{import_type}`).
fn create_typed(
    state: &AppState,
    caller: &Caller,
    params: &HashMap<String, String>,
    body: &Bytes,
    kind: Kind,
) -> Result<Response, ApiError> {
    let id = params.get("id").cloned().unwrap_or_default();
    create(state, caller, &id, params.get("import_type").map(String::as_str), body, kind)
}

/// The answer of `GET .../{id}/metadata` for a table of `kind`.
fn metadata_reply(state: &AppState, caller: &Caller, id: &str, kind: Kind) -> Result<Response, ApiError> {
    let table = readable(state, caller, id, kind)?;
    caller.attach_csrf(Json(metadata(&table, matches!(kind, Kind::Unit))).into_response())
}

/// `GET /currencyConversions` (SAP help 65d18cdd).
#[utoipa::path(get, path = "/api/v1/dataimport/currencyConversions", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses((status = 200, description = "The currency conversion tables", content_type = "application/json"), DataImportRefusals))]
pub async fn currency_tables(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let base = base_url(&state, caller.domain);
    let tables: Vec<Value> = state
        .tenant()
        .currency_tables
        .iter()
        .map(|t| {
            json!({"currencyConversionID": t.id, "currencyConversionName": t.id,
                "currencyConversionDescription": t.description,
                "currencyConversionURL": format!("{base}/currencyConversions/{}", t.id)})
        })
        .collect();
    caller.attach_csrf(Json(json!({"currencyConversions": tables})).into_response())
}

/// `GET /currencyConversions/{id}` (SAP help 69987b8c).
#[utoipa::path(get, path = "/api/v1/dataimport/currencyConversions/{id}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A currency conversion table", example = "CPL_CURRENCY_RATES")),
    responses((status = 200, description = "The table's import type and URLs", content_type = "application/json"), DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json")))]
pub async fn currency_table(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let table = readable(&state, &caller, &id, Kind::Currency)?;
    let base = format!("{}/currencyConversions/{}", base_url(&state, caller.domain), conversion_jobs::table_id(&table));
    let kind = conversion_jobs::CURRENCY_IMPORT_TYPE;
    caller.attach_csrf(
        Json(json!({"importTypes": [kind], "importTypeUrls": {kind: format!("{base}/{kind}")},
            "metadataURL": format!("{base}/metadata")}))
        .into_response(),
    )
}

/// `POST /currencyConversions/{id}` (SAP help 5b7149de).
#[utoipa::path(post, path = "/api/v1/dataimport/currencyConversions/{id}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A currency conversion table", example = "CPL_CURRENCY_RATES")),
    request_body(description = "`Mapping`, `DefaultValues`, `JobSettings.importMethod` (DeleteAndUpsert or DropAndInsert)", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation))]
pub async fn create_currency_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    create(&state, &caller, &id, None, &body, Kind::Currency)
}

/// `POST /currencyConversions/{id}/{importType}` (SAP help b6f2a0ab).
#[utoipa::path(post, path = "/api/v1/dataimport/currencyConversions/{id}/{import_type}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A currency conversion table", example = "CPL_CURRENCY_RATES"),
        ("import_type" = String, Path, description = "`currencyTable`", example = "currencyTable")),
    request_body(description = "`Mapping`, `DefaultValues`, `JobSettings.importMethod`", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation))]
pub async fn create_typed_currency_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    create_typed(&state, &caller, &params, &body, Kind::Currency)
}

/// `GET /currencyConversions/{id}/metadata` (SAP help a9c475c7).
#[utoipa::path(get, path = "/api/v1/dataimport/currencyConversions/{id}/metadata", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A currency conversion table", example = "CPL_CURRENCY_RATES")),
    responses((status = 200, description = "The table's columns", content_type = "application/json"), DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json")))]
pub async fn currency_metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    metadata_reply(&state, &caller, &id, Kind::Currency)
}

/// `GET /unitConversions` (SAP help 193e547f).
#[utoipa::path(get, path = "/api/v1/dataimport/unitConversions", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses((status = 200, description = "The unit conversion tables", content_type = "application/json"), DataImportRefusals))]
pub async fn unit_tables(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let base = base_url(&state, caller.domain);
    let tables: Vec<Value> = UNIT_TABLES
        .iter()
        .map(|(t, _)| {
            json!({"unitConversionID": t.id(), "unitConversionName": t.id(),
                "unitConversionDescription": format!("{} - {}", t.id(), t.description()),
                "unitConversionURL": format!("{base}/unitConversions/{}", t.id())})
        })
        .collect();
    caller.attach_csrf(Json(json!({"unitConversions": tables})).into_response())
}

/// `GET /unitConversions/{id}` (SAP help 2f0cc22a; `metadataUrl` so spelled there).
#[utoipa::path(get, path = "/api/v1/dataimport/unitConversions/{id}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A unit conversion table", example = "T006")),
    responses((status = 200, description = "The table's import type, its settings and URLs", content_type = "application/json"), DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json")))]
pub async fn unit_table(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let table = readable(&state, &caller, &id, Kind::Unit)?;
    let base = format!("{}/unitConversions/{}", base_url(&state, caller.domain), conversion_jobs::table_id(&table));
    let kind = conversion_jobs::import_type(&table);
    let settings = super::settings::available(&Target::Conversion(table.clone()), kind);
    caller.attach_csrf(
        Json(json!({"importTypeUrls": {kind: format!("{base}/{kind}")}, "metadataUrl": format!("{base}/metadata"),
            "importTypes": [{"importType": kind, "availableJobSettings": settings}]}))
        .into_response(),
    )
}

/// `POST /unitConversions/{id}` (SAP help b3de11f1).
#[utoipa::path(post, path = "/api/v1/dataimport/unitConversions/{id}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A unit conversion table", example = "T006")),
    request_body(description = "`Mapping`, `DefaultValues`, `JobSettings`", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation))]
pub async fn create_unit_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    create(&state, &caller, &id, None, &body, Kind::Unit)
}

/// `POST /unitConversions/{id}/{importType}` (SAP help 9a097f5b).
#[utoipa::path(post, path = "/api/v1/dataimport/unitConversions/{id}/{import_type}", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A unit conversion table", example = "T006"),
        ("import_type" = String, Path, description = "`conversionRates` (T006), `unitDescriptions` (T006A)", example = "conversionRates")),
    request_body(description = "`Mapping`, `DefaultValues`, `JobSettings`", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation))]
pub async fn create_typed_unit_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    create_typed(&state, &caller, &params, &body, Kind::Unit)
}

/// `GET /unitConversions/{id}/metadata` (SAP help 3108077b).
#[utoipa::path(get, path = "/api/v1/dataimport/unitConversions/{id}/metadata", tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A unit conversion table", example = "T006")),
    responses((status = 200, description = "The table's columns", content_type = "application/json"), DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json")))]
pub async fn unit_metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    metadata_reply(&state, &caller, &id, Kind::Unit)
}
