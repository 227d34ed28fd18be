//! The Data Import API, `/api/v1/dataimport` (SAP help: "api/v1/dataimport").
//!
//! The job lifecycle of SAP's pages: create a job for a model (or a public
//! dimension), post rows in chunks (JSON `{"Data":[...]}` or CSV), validate,
//! run (asynchronous), read the status, read the invalid rows, delete.
//! This module holds the HTTP shapes; the jobs live in the engine
//! (`engine::import_jobs`), which validates and writes them.

use std::collections::{BTreeMap, HashMap};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sac_types::dataimport::{
    status, Column, ColumnSet, CreateJob, InvalidRows, JobCounts, JobCreated, JobError, JobStatus, JobSummary,
    ModelDetail, ModelList, ModelSummary, UploadResult, ValidateResult, Version, REJECTION_REASON,
};
use serde_json::{json, Value};

use super::principal::api_principal;
use super::responses::{api_error, internal};
use super::state::AppState;
use crate::auth::Principal;
use crate::clock::{now_ms, utc_timestamp};
use crate::engine::import_jobs::{find_target, method_of, settings_of, Target};
use crate::engine::staging;
use crate::secrets::random_id;
use crate::store::{ChunkRecord, ImportJobRecord, StoreError};
use crate::tenant::{DimensionKind, Role};
use crate::Domain;

/// Invalid rows returned at most (SAC's UI speaks of a sample past 2000).
const INVALID_ROWS_CAP: i64 = 2000;

fn not_found(what: &str, id: &str) -> Response {
    api_error(
        StatusCode::NOT_FOUND,
        "404",
        &format!("The {what} {id} does not exist or you are not authorized to access it"),
    )
}

fn bad_request(text: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, "400", text)
}

/// Who may use the Data Import API: a user of the tenant, or a technical
/// client whose access list has the Data Import Service (else SAC's 3401).
/// Returns the job owner.
fn importer(state: &AppState, domain: Domain, headers: &HeaderMap, write: bool) -> Result<String, Response> {
    let principal: Principal = api_principal(state, domain, headers)?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            let allowed =
                tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Import Service"));
            if !allowed {
                return Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                ));
            }
            Ok(client_id)
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant && (u.role != Role::Viewer || !write) => Ok(u.id.clone()),
            Some(u) if u.in_tenant => {
                Err(api_error(StatusCode::FORBIDDEN, "403", &format!("User {} may not import data", u.id)))
            }
            _ => Err(api_error(
                StatusCode::FORBIDDEN,
                "403",
                &format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

/// The caller's job: who may use the API, and whether the job is theirs (else 404).
fn job_for(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    job_id: &str,
    write: bool,
) -> Result<ImportJobRecord, Response> {
    let owner = importer(state, domain, headers, write)?;
    owned_job(state, &owner, job_id)
}

/// The caller's job while it still takes data or can be validated and run
/// (READY_FOR_DATA, READY_FOR_WRITE); else 400 "The job X <what> (status S)".
fn open_job_for(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    job_id: &str,
    what: &str,
) -> Result<ImportJobRecord, Response> {
    let job = job_for(state, domain, headers, job_id, true)?;
    if job.status != status::READY_FOR_DATA && job.status != status::READY_FOR_WRITE {
        return Err(bad_request(&format!("The job {job_id} {what} (status {})", job.status)));
    }
    Ok(job)
}

/// A job of this owner, or 404.
fn owned_job(state: &AppState, owner: &str, job_id: &str) -> Result<ImportJobRecord, Response> {
    match state.store().read(|r| r.import_job(job_id)).map_err(internal)? {
        Some(job) if job.owner == owner => Ok(job),
        _ => Err(not_found("job", job_id)),
    }
}

fn base_url(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataimport", state.domain_url(domain))
}

// ---- models ------------------------------------------------------------------

/// `GET /models` (also hands out a CSRF token on `x-csrf-token: fetch`).
pub async fn models(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let base = base_url(&state, domain);
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
    crate::api::csrf::attach(&state, &headers, Json(ModelList { models }).into_response())
}

/// `GET /models/{id}`.
pub async fn model(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return not_found("model", &id);
    };
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
        import_types: vec!["factData".into(), "privateFactData".into()],
    };
    crate::api::csrf::attach(&state, &headers, Json(detail).into_response())
}

/// `GET /models/{id}/metadata`.
pub async fn metadata(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let Some(Target::Model(m)) = find_target(&tenant, &id) else {
        return not_found("model", &id);
    };
    let mut columns: Vec<Column> = m
        .dimensions
        .iter()
        .map(|d| Column {
            column_name: d.name.clone(),
            column_data_type: "string".into(),
            max_length: Some(if d.kind == DimensionKind::Date { 6 } else { 256 }),
            is_key: true,
        })
        .collect();
    columns.extend(m.measures.iter().map(|name| Column {
        column_name: name.clone(),
        column_data_type: "decimal".into(),
        max_length: None,
        is_key: false,
    }));
    let set = ColumnSet { keys: m.dimensions.iter().map(|d| d.name.clone()).collect(), columns };
    Json(json!({"factData": set, "privateFactData": set})).into_response()
}

/// `GET /publicDimensions`.
pub async fn public_dimensions(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = importer(&state, domain, &headers, false) {
        return r;
    }
    let tenant = state.tenant();
    let dims: Vec<Value> = tenant
        .dimensions
        .iter()
        .map(|d| json!({"dimensionID": d.id, "dimensionName": d.id, "dimensionDescription": d.description}))
        .collect();
    Json(json!({"publicDimensions": dims})).into_response()
}

// ---- jobs --------------------------------------------------------------------

/// `POST /models/{id}` and `POST /models/{id}/{importType}`.
pub async fn create_model_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let id = params.get("id").cloned().unwrap_or_default();
    let import_type = params.get("import_type").cloned().unwrap_or_else(|| "factData".into());
    create_job(&state, domain, &headers, &id, &import_type, &body, false)
}

/// `POST /publicDimensions/{id}/publicDimensionData`.
pub async fn create_dimension_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    create_job(&state, domain, &headers, &id, "publicDimensionData", &body, true)
}

fn create_job(
    state: &AppState,
    domain: Domain,
    headers: &HeaderMap,
    id: &str,
    import_type: &str,
    body: &Bytes,
    dimension: bool,
) -> Response {
    let owner = match importer(state, domain, headers, true) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let tenant = state.tenant();
    let target = match find_target(&tenant, id) {
        Some(t @ Target::Dimension(_)) if dimension => t,
        Some(t @ Target::Model(_)) if !dimension => t,
        _ => return not_found(if dimension { "public dimension" } else { "model" }, id),
    };
    if !dimension && !["factData", "privateFactData"].contains(&import_type) {
        let known = ["masterData", "masterFactData"];
        let why =
            if known.contains(&import_type) { "is not supported for this model" } else { "is not an import type" };
        return bad_request(&format!("Import type {import_type} {why}: use factData or privateFactData"));
    }
    let settings: CreateJob = if body.iter().all(u8::is_ascii_whitespace) {
        CreateJob::default()
    } else {
        match serde_json::from_slice(body) {
            Ok(s) => s,
            Err(e) => return bad_request(&format!("Invalid request body: {e}")),
        }
    };
    if let Err(why) = check_settings(&target, &settings) {
        return bad_request(&why);
    }
    let job = ImportJobRecord {
        job_id: random_id().to_ascii_lowercase(),
        model: target.id().to_string(),
        import_type: import_type.to_string(),
        owner,
        status: status::READY_FOR_DATA.into(),
        settings: serde_json::to_string(&settings).expect("settings serialize"),
        total: 0,
        failed: 0,
        error: None,
        updated: utc_timestamp(now_ms()),
        due_at_ms: None,
        polls_left: None,
    };
    if let Err(e) = state.engine().create_job(&job) {
        return internal(e);
    }
    let created =
        JobCreated { job_url: format!("{}/jobs/{}", base_url(state, domain), job.job_id), job_id: job.job_id };
    (StatusCode::CREATED, Json(created)).into_response()
}

fn check_settings(target: &Target<'_>, settings: &CreateJob) -> Result<(), String> {
    let columns = target.columns();
    if let Some(mapping) = &settings.mapping {
        if let Some(bad) = mapping.keys().find(|k| !columns.contains(k)) {
            return Err(format!(
                "Mapping names {bad}, which is not a column of {} ({})",
                target.id(),
                columns.join(", ")
            ));
        }
    }
    if let Some(js) = &settings.job_settings {
        let method = js.import_method.as_deref().unwrap_or("Update");
        if !["Update", "Append", "CleanAndReplace"].contains(&method) {
            return Err(format!("importMethod {method} is not supported: use Update, Append or CleanAndReplace"));
        }
        if let Some(scope) = &js.dimension_scope {
            if let Some(bad) = scope.iter().find(|d| !columns.contains(d)) {
                return Err(format!("dimensionScope names {bad}, which is not a dimension of {}", target.id()));
            }
        }
    }
    Ok(())
}

/// Reads a request body up to `limit` bytes, or answers SAC-shaped 413.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "413",
            &format!("The request body is larger than {limit} bytes: send the rows in smaller chunks"),
        )
    })
}

/// `POST /jobs/{id}`: a chunk of rows.
pub async fn upload(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Body,
) -> Response {
    let job = match open_job_for(&state, domain, &headers, &job_id, "is not accepting data") {
        Ok(j) => j,
        Err(r) => return r,
    };
    let limits = state.options().import_limits;
    let bytes = match read_body(body, limits.max_body_bytes).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let chunk = match staging::parse(content_type, &bytes) {
        Ok(parsed) => parsed,
        Err(why) => return bad_request(&why),
    };
    let in_request = chunk.len() + chunk.failed.len();
    if in_request > limits.max_rows_per_request {
        return bad_request(&format!(
            "The request contains {in_request} rows; at most {} rows are allowed per request",
            limits.max_rows_per_request
        ));
    }
    let mut settings = settings_of(&job);
    if let Some(o) = &chunk.overrides {
        if o.mapping.is_some() {
            settings.mapping = o.mapping.clone();
        }
        if o.default_values.is_some() {
            settings.default_values = o.default_values.clone();
        }
    }
    let mapping = CreateJob { mapping: settings.mapping, default_values: settings.default_values, job_settings: None };
    let record = ChunkRecord {
        first_row: 0,
        rows: chunk.len() as i64,
        content_type: content_type.to_string(),
        mapping: serde_json::to_string(&mapping).expect("mapping serializes"),
        body: bytes.to_vec(),
    };
    let engine = state.engine_handle();
    let staged = super::blocking(move || engine.upload(&job, &record)).await;
    let total = match staged {
        Ok(job) => job.total,
        Err(StoreError::Conflict(_)) => {
            return bad_request(&format!("The job {job_id} is not accepting data (it was validated or run meanwhile)"))
        }
        Err(e) => return internal(e),
    };
    let base = base_url(&state, domain);
    let result = UploadResult {
        total_number_rows_in_current_request: in_request as u64,
        upserted_number_rows: chunk.len() as u64,
        failed_number_rows: chunk.failed.len() as u64,
        failed_rows: chunk.failed,
        total_number_rows_in_job: total as u64,
        validate_job_url: format!("{base}/jobs/{job_id}/validate"),
        run_job_url: format!("{base}/jobs/{job_id}/run"),
    };
    (StatusCode::CREATED, Json(result)).into_response()
}

/// `POST /jobs/{id}/validate`.
pub async fn validate_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = open_job_for(&state, domain, &headers, &job_id, "cannot be validated") {
        return r;
    }
    let engine = state.engine_handle();
    let id = job_id.clone();
    let (job, affected) = match super::blocking(move || engine.validate_job(&id)).await {
        Ok(Some(validated)) => validated,
        Ok(None) => return bad_request(&format!("The job {job_id} cannot be validated (it is running or done)")),
        Err(e) => return internal(e),
    };
    let base = base_url(&state, domain);
    let settings = settings_of(&job);
    let result = ValidateResult {
        job_status: job.status.clone(),
        total_number_rows_in_job: job.total as u64,
        failed_number_rows: job.failed as u64,
        invalid_rows_url: format!("{base}/jobs/{job_id}/invalidRows"),
        job_status_url: format!("{base}/jobs/{job_id}/status"),
        additional_information: (method_of(&settings) == "CleanAndReplace")
            .then(|| json!({"cleanAndReplaceAffectedRows": affected})),
    };
    (StatusCode::CREATED, Json(result)).into_response()
}

/// `GET /jobs/{id}/invalidRows`.
pub async fn invalid_rows(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = job_for(&state, domain, &headers, &job_id, false) {
        return r;
    }
    match state.store().read(|r| r.rejected_import_rows(&job_id, INVALID_ROWS_CAP)) {
        Ok(rows) => {
            let failed_rows = rows
                .into_iter()
                .map(|(row, reason)| {
                    let mut out: BTreeMap<String, Value> =
                        row.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                    out.insert(REJECTION_REASON.into(), Value::String(reason));
                    out
                })
                .collect();
            Json(InvalidRows { failed_rows }).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /jobs/{id}/run`: validates when needed, then writes asynchronously.
pub async fn run_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = open_job_for(&state, domain, &headers, &job_id, "cannot run") {
        return r;
    }
    let override_failed = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("overrideExecuteWithFailedRows").and_then(Value::as_bool))
        .unwrap_or(false);
    let engine = state.engine_handle();
    let id = job_id.clone();
    match super::blocking(move || engine.run_job(&id, override_failed)).await {
        Ok(Some(job)) => (StatusCode::CREATED, Json(job_status(&state, domain, &job))).into_response(),
        Ok(None) => bad_request(&format!("The job {job_id} cannot run (it is running or done)")),
        Err(e) => internal(e),
    }
}

fn job_status(state: &AppState, domain: Domain, job: &ImportJobRecord) -> JobStatus {
    let base = base_url(state, domain);
    JobStatus {
        job_id: job.job_id.clone(),
        job_status: job.status.clone(),
        job_status_description: Some(
            match job.status.as_str() {
                status::READY_FOR_DATA => "The job accepts data",
                status::READY_FOR_WRITE => "The data is validated and ready to be written",
                status::PROCESSING => "The data is being written to the model",
                status::COMPLETED => "The data was written to the model",
                _ => "The job failed",
            }
            .into(),
        ),
        additional_information: JobCounts {
            total_number_rows_in_job: job.total as u64,
            failed_number_rows: job.failed as u64,
        },
        invalid_rows_url: (job.failed > 0).then(|| format!("{base}/jobs/{}/invalidRows", job.job_id)),
        job_status_url: Some(format!("{base}/jobs/{}/status", job.job_id)),
        error: job.error.clone().map(|message| JobError { message }),
    }
}

/// `GET /jobs/{id}/status`.
pub async fn job_status_handler(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = job_for(&state, domain, &headers, &job_id, false) {
        return r;
    }
    let engine = state.engine_handle();
    let id = job_id.clone();
    match super::blocking(move || engine.read_job(&id)).await {
        Ok(Some(job)) => Json(job_status(&state, domain, &job)).into_response(),
        Ok(None) => not_found("job", &job_id),
        Err(e) => internal(e),
    }
}

/// `DELETE /jobs/{id}`.
pub async fn delete_job(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(job_id): Path<String>,
) -> Response {
    if let Err(r) = job_for(&state, domain, &headers, &job_id, true) {
        return r;
    }
    match state.engine().delete_job(&job_id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /jobs`: the caller's jobs.
pub async fn list_jobs(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
) -> Response {
    let owner = match importer(&state, domain, &headers, false) {
        Ok(o) => o,
        Err(r) => return r,
    };
    match state.store().read(|r| r.import_jobs_of(&owner)) {
        Ok(jobs) => Json(
            jobs.into_iter()
                .map(|j| JobSummary {
                    job_id: j.job_id,
                    model_id: j.model,
                    owner: j.owner,
                    status: j.status,
                    import_type: j.import_type,
                    last_updated_time: j.updated,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}
