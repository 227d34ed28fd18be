//! Creating jobs (`POST /models/{id}[/{importType}]`,
//! `POST /publicDimensions/{id}/{importType}`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use sac_types::dataimport::{errors, status, CreateJob, JobCreated};
use serde_json::Value;

use super::access::{bad_request, base_url, importer, not_found, unknown_model};
use super::models::{DIMENSION_IMPORT_TYPE, MODEL_IMPORT_TYPES};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::JobCreation;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::clock::utc_timestamp;
use crate::engine::conversion_jobs;
use crate::engine::import_jobs::{find_target, ActiveJobLimits, JobLimit, Target};
use crate::secrets::random_uuid;
use crate::store::conversions::ConversionTable;
use crate::store::ImportJobRecord;

/// `POST /models/{id}` and `POST /models/{id}/{importType}`.
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/models/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A model id", example = "SALES_PLAN")),
    request_body(description = "Job settings (`importMethod`, `jobSettings`, ...); the first JSON value counts", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation),
)]
pub async fn create_model_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let id = params.get("id").cloned().unwrap_or_default();
    create_job(&state, &caller, &id, params.get("import_type").map(String::as_str), &body, Kind::Model)
}

/// `POST /models/{id}/{importType}`: [`create_model_job`] with the import
/// type in the path (its own handler, for its own OpenAPI operation).
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/models/{id}/{import_type}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A model id", example = "SALES_PLAN"), ("import_type" = String, Path, description = "`factData`, ...", example = "factData")),
    request_body(description = "Job settings (`importMethod`, `jobSettings`, ...); the first JSON value counts", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation),
)]
pub async fn create_typed_model_job(
    state: State<AppState>,
    caller: Caller,
    params: Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    create_model_job(state, caller, params, body).await
}

/// `POST /publicDimensions/{id}/{importType}` (SAP help 6dc1b04e): the
/// one import type is `publicDimensionData`; another is SAC's 1301.
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/publicDimensions/{id}/{import_type}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(
        ("id" = String, Path, description = "A public dimension id", example = "ZEPPART_001"),
        ("import_type" = String, Path, description = "`publicDimensionData`", example = "publicDimensionData"),
    ),
    request_body(description = "Job settings (`importMethod`, `jobSettings`, ...); the first JSON value counts", content = serde_json::Value, content_type = "application/json"),
    responses(JobCreation),
)]
pub async fn create_dimension_job(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, import_type)): Path<(String, String)>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    if import_type != DIMENSION_IMPORT_TYPE {
        importer(&state, &caller, true)?;
        return Err(ApiError::numbered(
            errors::INVALID_IMPORT_TYPE,
            &format!("{import_type} is not an import type of a public dimension: use {DIMENSION_IMPORT_TYPE}."),
        ));
    }
    create_job(&state, &caller, &id, Some(DIMENSION_IMPORT_TYPE), &body, Kind::Dimension)
}

/// The settings of a job creation: the body's first JSON value (SAP's own
/// sample client sends one object followed by stray text, with or without
/// a Content-Type; the rest is ignored). An empty body means no settings.
fn read_settings(body: &[u8]) -> Result<CreateJob, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CreateJob::default());
    }
    let value = match serde_json::Deserializer::from_slice(body).into_iter::<Value>().next() {
        Some(Ok(value)) => value,
        Some(Err(e)) => return Err(ApiError::numbered(errors::BAD_BODY, &format!("The body is not JSON ({e})."))),
        None => return Ok(CreateJob::default()),
    };
    let Value::Object(fields) = &value else {
        return Err(ApiError::numbered(
            errors::BAD_BODY,
            "The body must be a JSON object such as {\"Mapping\":{...},\"JobSettings\":{...}}.",
        ));
    };
    match fields.get("Mapping") {
        None | Some(Value::Null) => {}
        Some(Value::Object(mapping)) => check_mapping_shape(mapping)?,
        Some(_) => {
            return Err(ApiError::numbered(
                errors::MAPPING_NOT_READABLE,
                "Mapping must be an object of model column -> source column names.",
            ))
        }
    }
    serde_json::from_value(value).map_err(|e| ApiError::numbered(errors::BAD_BODY, &format!("{e}.")))
}

/// Every mapping entry names two columns: 1008 for a value that is not a
/// name, 1009 for an empty one.
fn check_mapping_shape(mapping: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
    for (target, source) in mapping {
        let Some(source) = source.as_str() else {
            return Err(ApiError::numbered(
                errors::MAPPING_NOT_READABLE,
                &format!("Mapping.{target} must be the name of a source column, not {source}."),
            ));
        };
        if target.trim().is_empty() || source.trim().is_empty() {
            return Err(ApiError::numbered(
                errors::EMPTY_MAPPING_COLUMN,
                &format!("Mapping has \"{target}\": \"{source}\"; name both columns."),
            ));
        }
    }
    Ok(())
}

/// The import type of a model job: the one in the URL, else inferred from
/// the Mapping's target columns (SAC's 1005 when there is nothing to infer from).
fn model_import_type(given: Option<&str>, settings: &CreateJob) -> Result<String, ApiError> {
    match given {
        Some(t) if MODEL_IMPORT_TYPES.contains(&t) => Ok(t.to_string()),
        Some(t @ ("masterData" | "masterFactData")) => Err(bad_request(&format!(
            "Import type {t} is not supported for this model: use factData or privateFactData \
             (master data goes to the public dimension)"
        ))),
        Some(t) => Err(ApiError::numbered(
            errors::INVALID_IMPORT_TYPE,
            &format!("{t} is not an import type of a model: use factData or privateFactData."),
        )),
        None if settings.mapping.as_ref().is_some_and(|m| !m.is_empty()) => Ok("factData".into()),
        None => Err(ApiError::numbered(
            errors::IMPORT_TYPE_NOT_INFERABLE,
            "Name it in the URL (…/models/{id}/factData) or send a Mapping.",
        )),
    }
}

/// The import type a CSV body's header names: fact data when every column
/// is one of the model's, else SAC's 1005.
fn csv_import_type(target: &Target<'_>, body: &[u8], delimiter: u8) -> Result<String, ApiError> {
    let columns = target.columns();
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(body);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect(),
        Err(e) => return Err(ApiError::numbered(errors::BAD_BODY, &format!("The CSV header cannot be read ({e})."))),
    };
    let unknown: Vec<&str> = header.iter().filter(|c| !columns.contains(c)).map(String::as_str).collect();
    match (header.is_empty(), unknown.is_empty()) {
        (false, true) => Ok("factData".into()),
        (true, _) => Err(ApiError::numbered(errors::IMPORT_TYPE_NOT_INFERABLE, "The CSV body has no header line.")),
        (false, false) => Err(ApiError::numbered(
            errors::IMPORT_TYPE_NOT_INFERABLE,
            &format!(
                "The CSV header names {}, which {} not a column of {}: name the import type in the URL.",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" },
                target.id()
            ),
        )),
    }
}

fn create_job(
    state: &AppState,
    caller: &Caller,
    id: &str,
    import_type: Option<&str>,
    body: &Bytes,
    kind: Kind,
) -> Result<impl IntoResponse, ApiError> {
    let job = new_job(state, caller, id, import_type, body, kind, b',')?;
    let created =
        JobCreated { job_url: format!("{}/jobs/{}", base_url(state, caller.domain), job.job_id), job_id: job.job_id };
    Ok((StatusCode::CREATED, Json(created)))
}

/// What a job creation route creates a job for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Model,
    Dimension,
    Currency,
    Unit,
}

/// A conversion table's one import type; another in the URL is SAC's 1301.
fn conversion_import_type(target: &Target<'_>, given: Option<&str>) -> Result<String, ApiError> {
    let Target::Conversion(table) = target else { return Err(unknown_model(target.id())) };
    let own = conversion_jobs::import_type(table);
    match given {
        None => Ok(own.to_string()),
        Some(t) if t == own => Ok(own.to_string()),
        Some(t) => Err(ApiError::numbered(
            errors::INVALID_IMPORT_TYPE,
            &format!("{t} is not the import type of {}: use {own}.", target.id()),
        )),
    }
}

/// Creates a job (also the first step of a one-click import): the caller
/// may import, the target exists, the import type and the settings are
/// ones it takes, the active-job limits allow it.
pub(super) fn new_job(
    state: &AppState,
    caller: &Caller,
    id: &str,
    import_type: Option<&str>,
    body: &Bytes,
    kind: Kind,
    delimiter: u8,
) -> Result<ImportJobRecord, ApiError> {
    let owner = importer(state, caller, true)?;
    let tenant = state.tenant();
    let target = match find_target(&tenant, id) {
        Some(t @ Target::Dimension(_)) if kind == Kind::Dimension => t,
        Some(t @ Target::Model(_)) if kind == Kind::Model => t,
        Some(t @ Target::Conversion(ConversionTable::Currency(_))) if kind == Kind::Currency => t,
        Some(t @ Target::Conversion(ConversionTable::Unit(_))) if kind == Kind::Unit => t,
        _ if kind == Kind::Dimension => return Err(not_found("public dimension", id)),
        _ if kind == Kind::Currency => return Err(not_found("currency conversion table", id)),
        _ if kind == Kind::Unit => return Err(not_found("unit conversion table", id)),
        _ => return Err(unknown_model(id)),
    };
    // A CSV body carries no settings; SAC infers the import type from its header.
    let csv = caller
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/csv"));
    let settings = if csv { CreateJob::default() } else { read_settings(body)? };
    let import_type = match import_type {
        Some(t) if kind == Kind::Dimension => t.to_string(),
        given if matches!(kind, Kind::Currency | Kind::Unit) => conversion_import_type(&target, given)?,
        None if csv => csv_import_type(&target, body, delimiter)?,
        given => model_import_type(given, &settings)?,
    };
    check_settings(&target, &settings)?;
    super::settings::check(&target, &import_type, &settings)?;
    let job = ImportJobRecord {
        job_id: random_uuid(),
        model: target.id().to_string(),
        import_type,
        owner,
        status: status::READY_FOR_DATA.into(),
        settings: serde_json::to_string(&settings).expect("settings serialize"),
        total: 0,
        failed: 0,
        error: None,
        updated: utc_timestamp(state.engine().now_ms()),
        due_at_ms: None,
        polls_left: None,
    };
    let limits = state.options().import_limits;
    let limits = ActiveJobLimits { per_owner: limits.active_jobs_per_user, per_model: limits.active_jobs_per_model };
    match state.engine().create_job(&job, limits)? {
        Ok(()) => {}
        Err(JobLimit::Owner(n)) => {
            return Err(ApiError::numbered(
                errors::USER_JOB_LIMIT,
                &format!("{} has {n} active jobs: run or delete one (GET /jobs lists them).", job.owner),
            ))
        }
        Err(JobLimit::Model(n)) => {
            return Err(ApiError::numbered(
                errors::MODEL_JOB_LIMIT,
                &format!("{} has {n} active jobs: run or delete one.", job.model),
            ))
        }
    }
    Ok(job)
}

/// Mapping targets and scope dimensions must be columns of the target (1004).
pub(super) fn check_settings(target: &Target<'_>, settings: &CreateJob) -> Result<(), ApiError> {
    let columns = target.columns();
    let unknown = |names: &mut dyn Iterator<Item = &String>| -> Vec<String> {
        names.filter(|n| !columns.contains(n)).cloned().collect()
    };
    let bad = unknown(&mut settings.mapping.iter().flat_map(|m| m.keys()));
    if !bad.is_empty() {
        return Err(ApiError::numbered(
            errors::UNKNOWN_TARGET_FIELD,
            &format!("{} (the columns of {} are {}).", bad.join(", "), target.id(), columns.join(", ")),
        ));
    }
    if let Some(js) = &settings.job_settings {
        let bad = unknown(&mut js.dimension_scope.iter().flatten());
        if !bad.is_empty() {
            return Err(ApiError::numbered(
                errors::UNKNOWN_TARGET_FIELD,
                &format!("dimensionScope names {}, which is not a dimension of {}.", bad.join(", "), target.id()),
            ));
        }
    }
    Ok(())
}
