//! What can be imported into: `GET /models`, `/models/{id}`,
//! `/models/{id}/metadata`, `/publicDimensions`, `/publicDimensions/{id}`
//! and `/publicDimensions/{id}/metadata`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sac_types::dataimport::{
    Column, ColumnSet, ImportType, ModelDetail, ModelList, ModelSummary, PublicDimensionDetail, Version,
};
use serde_json::{json, Value};

use super::access::{base_url, importer, not_found, unknown_model};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataImportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::import_jobs::{find_target, Target};
use crate::tenant::{Dimension, DimensionKind, ModelDef};

/// The import types a model takes (master data goes to public dimensions).
pub(super) const MODEL_IMPORT_TYPES: [&str; 2] = ["factData", "privateFactData"];
/// The import type of a public dimension's members.
pub(super) const DIMENSION_IMPORT_TYPE: &str = "publicDimensionData";

/// `GET /models` (also hands out a CSRF token on `x-csrf-token: fetch`).
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/models",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The models Data Import can write to", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn models(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let tenant = state.tenant();
    let base = base_url(&state, caller.domain);
    let models = tenant
        .models
        .iter()
        .map(|m| ModelSummary {
            model_id: m.id.clone(),
            model_name: m.id.clone(),
            model_description: m.description.clone(),
            model_url: Some(format!("{base}/models/{}", m.id)),
        })
        .collect();
    caller.attach_csrf(Json(ModelList { models }).into_response())
}

/// `GET /models/{id}`: import types with their settings and job URLs, the
/// metadata URL and the versions.
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/models/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A model id", example = "SALES_PLAN")),
    responses(
        (status = 200, description = "The model: import types, settings, job and metadata URLs", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn model(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return Err(unknown_model(&id));
    };
    let base = format!("{}/models/{}", base_url(&state, caller.domain), m.id);
    let versions = m
        .versions
        .iter()
        .map(|v| Version { id: v.clone(), description: v.trim_start_matches("public.").to_string() })
        .collect();
    let detail = ModelDetail {
        model_id: m.id.clone(),
        model_name: m.id.clone(),
        model_description: m.description.clone(),
        versions,
        import_types: MODEL_IMPORT_TYPES
            .iter()
            .map(|t| ImportType {
                import_type: (*t).into(),
                available_job_settings: super::settings::available(&Target::Model(m), t),
            })
            .collect(),
        import_type_urls: MODEL_IMPORT_TYPES.iter().map(|t| ((*t).to_string(), format!("{base}/{t}"))).collect(),
        metadata_url: Some(format!("{base}/metadata")),
    };
    caller.attach_csrf(Json(detail).into_response())
}

/// A text column of `max_length` characters.
fn text_column(name: &str, max_length: u32, key: bool, property_type: &str) -> Column {
    Column {
        column_name: name.to_string(),
        column_data_type: "string".into(),
        max_length: Some(max_length),
        is_key: key,
        property_type: Some(property_type.into()),
        description_name: Some(name.to_string()),
        precision: None,
        scale: None,
    }
}

/// The columns of a model's fact data: its dimensions (keys), then its
/// measures (decimals), as the DataHub connector's fixture shows them.
pub(super) fn fact_columns(m: &ModelDef) -> ColumnSet {
    let mut columns: Vec<Column> = m
        .dimensions
        .iter()
        .map(|d| match d.kind {
            DimensionKind::Date => text_column(&d.name, 256, true, "DATE"),
            DimensionKind::Version => text_column(&d.name, 300, true, "PROPERTY"),
            DimensionKind::Generic | DimensionKind::Account => text_column(&d.name, 256, true, "PROPERTY"),
        })
        .collect();
    columns.extend(m.measures.iter().map(|name| Column {
        column_name: name.clone(),
        column_data_type: "decimal".into(),
        max_length: Some(32),
        is_key: false,
        property_type: Some("PROPERTY".into()),
        description_name: Some(name.clone()),
        precision: Some(31),
        scale: Some(7),
    }));
    ColumnSet { keys: m.dimensions.iter().map(|d| d.name.clone()).collect(), columns }
}

/// `GET /models/{id}/metadata`: the columns of each import type.
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/models/{id}/metadata",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A model id", example = "SALES_PLAN")),
    responses(
        (status = 200, description = "The columns of each import type", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return Err(unknown_model(&id));
    };
    let set = fact_columns(m);
    let by_type: BTreeMap<&str, &ColumnSet> = MODEL_IMPORT_TYPES.iter().map(|t| (*t, &set)).collect();
    Ok(Json(by_type).into_response())
}

/// `GET /publicDimensions`.
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/publicDimensions",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The public dimensions", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn public_dimensions(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let tenant = state.tenant();
    let base = base_url(&state, caller.domain);
    let dims: Vec<Value> = tenant
        .dimensions
        .iter()
        .map(|d| {
            // SAP help d6a2c679 names the four fields.
            json!({"publicDimensionID": d.id, "publicDimensionName": d.id,
                "publicDimensionDescription": d.description,
                "publicDimensionURL": format!("{base}/publicDimensions/{}", d.id)})
        })
        .collect();
    Ok(Json(json!({"publicDimensions": dims})).into_response())
}

fn dimension(state: &AppState, id: &str) -> Result<Dimension, ApiError> {
    match find_target(&state.tenant(), id) {
        Some(Target::Dimension(d)) => Ok(d.clone()),
        _ => Err(not_found("public dimension", id)),
    }
}

/// `GET /publicDimensions/{id}`: shaped like a model's detail.
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/publicDimensions/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A public dimension id", example = "ZEPPART_001")),
    responses(
        (status = 200, description = "The public dimension, shaped like a model", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn public_dimension(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let d = dimension(&state, &id)?;
    let base = format!("{}/publicDimensions/{}", base_url(&state, caller.domain), d.id);
    let settings = json!({
        "importMethod": ["Update", "CleanAndReplace"],
        "executeWithFailedRows": [true, false],
        "ignoreAdditionalColumns": [true, false],
    });
    let detail = PublicDimensionDetail {
        dimension_id: d.id.clone(),
        dimension_name: d.id.clone(),
        dimension_description: d.description.clone(),
        import_types: vec![ImportType { import_type: DIMENSION_IMPORT_TYPE.into(), available_job_settings: settings }],
        import_type_urls: BTreeMap::from([(DIMENSION_IMPORT_TYPE.into(), format!("{base}/{DIMENSION_IMPORT_TYPE}"))]),
        metadata_url: Some(format!("{base}/metadata")),
    };
    caller.attach_csrf(Json(detail).into_response())
}

/// `GET /publicDimensions/{id}/metadata`: the attributes, the key first.
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/publicDimensions/{id}/metadata",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A public dimension id", example = "ZEPPART_001")),
    responses(
        (status = 200, description = "Its attributes, the key first", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn public_dimension_metadata(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    importer(&state, &caller, false)?;
    let d = dimension(&state, &id)?;
    let key = d.key_attribute().to_string();
    let columns = d.attributes.iter().map(|a| text_column(a, 256, *a == key, "PROPERTY")).collect();
    let set = ColumnSet { keys: vec![key], columns };
    Ok(Json(json!({ DIMENSION_IMPORT_TYPE: set })).into_response())
}
