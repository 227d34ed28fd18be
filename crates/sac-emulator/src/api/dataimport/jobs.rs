//! A job after its rows arrived: validate, invalid rows, run, status,
//! delete, and the list of the caller's jobs.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sac_types::dataimport::{
    errors, status, InvalidRows, JobCounts, JobError, JobStatus, JobSummary, ValidateResult, REJECTION_REASON,
};
use serde_json::{json, Value};

use super::{base_url, importer, job_for, not_found, not_open, numbered, open_job_for};
use crate::api::openapi::responses::DataImportRefusals;
use crate::api::openapi::tags;
use crate::api::responses::internal;
use crate::api::state::AppState;
use crate::engine::import_jobs::{method_of, settings_of, RunOutcome};
use crate::store::ImportJobRecord;
use crate::Domain;

/// Invalid rows returned at most (SAC's UI speaks of a sample past 2000).
const INVALID_ROWS_CAP: i64 = 2000;

/// The refusal for a job whose state changed between the check and the
/// engine's answer (another request ran or validated it).
fn changed_meanwhile(state: &AppState, job_id: &str, what: &str) -> Response {
    match state.store().read(|r| r.import_job(job_id)) {
        Ok(Some(job)) => not_open(&job, what).unwrap_or_else(|| {
            numbered(errors::PRECONDITION_FAILED, &format!("The job {job_id} {what}: it changed meanwhile."))
        }),
        Ok(None) => not_found("job", job_id),
        Err(e) => internal(e),
    }
}

/// `POST /jobs/{id}/validate`.
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/jobs/{id}/validate",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A job id")),
    responses(
        (status = 200, description = "The validation result", content_type = "application/json"),
        (status = 400, description = "A request SAC refuses, with its numbered error", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
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
    let (job, affected) = match crate::api::blocking(move || engine.validate_job(&id)).await {
        Ok(Some(validated)) => validated,
        Ok(None) => return changed_meanwhile(&state, &job_id, "cannot be validated"),
        Err(e) => return internal(e),
    };
    let base = base_url(&state, domain);
    let settings = settings_of(&job);
    let result = ValidateResult {
        job_status: job.status.as_str().into(),
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
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/jobs/{id}/invalidRows",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A job id")),
    responses(
        (status = 200, description = "The rows the validation refused, with reasons", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/jobs/{id}/run",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A job id")),
    responses(
        (status = 202, description = "The job runs (asynchronously)", content_type = "application/json"),
        (status = 400, description = "A request SAC refuses, with its numbered error", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
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
    match crate::api::blocking(move || engine.run_job(&id, override_failed)).await {
        Ok(RunOutcome::Started(job)) => (StatusCode::CREATED, Json(job_status(&state, domain, &job))).into_response(),
        Ok(RunOutcome::NotOpen) => changed_meanwhile(&state, &job_id, "cannot run"),
        Ok(RunOutcome::NoValidRows(job)) => numbered(
            errors::NO_VALID_RECORDS,
            &format!(
                "The job {job_id} has {} rows and {} of them failed validation: post valid rows \
                 (GET {}/jobs/{job_id}/invalidRows says why each failed), then run it again.",
                job.total,
                job.failed,
                base_url(&state, domain)
            ),
        ),
        Err(e) => internal(e),
    }
}

fn job_status(state: &AppState, domain: Domain, job: &ImportJobRecord) -> JobStatus {
    let base = base_url(state, domain);
    JobStatus {
        job_id: job.job_id.clone(),
        job_status: job.status.as_str().into(),
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
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/jobs/{id}/status",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A job id")),
    responses(
        (status = 200, description = "The job's status and counts", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
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
    match crate::api::blocking(move || engine.read_job(&id)).await {
        Ok(Some(job)) => Json(job_status(&state, domain, &job)).into_response(),
        Ok(None) => not_found("job", &job_id),
        Err(e) => internal(e),
    }
}

/// `DELETE /jobs/{id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/dataimport/jobs/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(("id" = String, Path, description = "A job id")),
    responses(
        (status = 200, description = "The job is deleted", content_type = "application/json"),
        (status = 400, description = "A job that can no longer be deleted", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "No such job", content_type = "application/json"),
    ),
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/dataimport/jobs",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "The caller's jobs", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
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
                    status: j.status.into(),
                    import_type: j.import_type,
                    last_updated_time: j.updated,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}
