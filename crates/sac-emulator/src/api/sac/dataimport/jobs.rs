//! A job after its rows arrived: validate, invalid rows, run, status,
//! delete, and the list of the caller's jobs.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use sac_types::dataimport::{errors, status, InvalidRows, JobSummary, ValidateResult, REJECTION_REASON};
use serde_json::{json, Value};

use super::access::{base_url, importer, job_for, not_open, open_job_for, unknown_job};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataImportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::import_jobs::{method_of, settings_of, RunOutcome};
use crate::secrets::random_uuid;
use crate::store::ImportJobRecord;
use crate::Domain;

/// Invalid rows returned at most (SAC's UI speaks of a sample past 2000).
const INVALID_ROWS_CAP: i64 = 2000;

/// The refusal for a job whose state changed between the check and the
/// engine's answer (another request ran or validated it).
fn changed_meanwhile(state: &AppState, job_id: &str, what: &str) -> ApiError {
    match state.store().read(|r| r.import_job(job_id)) {
        Ok(Some(job)) => not_open(&job, what).unwrap_or_else(|| {
            ApiError::numbered(errors::PRECONDITION_FAILED, &format!("The job {job_id} {what}: it changed meanwhile."))
        }),
        Ok(None) => unknown_job(job_id),
        Err(e) => e.into(),
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
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    open_job_for(&state, &caller, &job_id, "cannot be validated")?;
    let engine = state.engine_handle();
    let id = job_id.clone();
    let Some((job, affected)) = crate::api::state::blocking(move || engine.validate_job(&id)).await? else {
        return Err(changed_meanwhile(&state, &job_id, "cannot be validated"));
    };
    let base = base_url(&state, caller.domain);
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
    Ok((StatusCode::CREATED, Json(result)))
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
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<Json<InvalidRows>, ApiError> {
    job_for(&state, &caller, &job_id, false)?;
    let rows = state.store().read(|r| r.rejected_import_rows(&job_id, INVALID_ROWS_CAP))?;
    let failed_rows = rows
        .into_iter()
        .map(|(row, reason)| {
            let mut out: BTreeMap<String, Value> = row.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            out.insert(REJECTION_REASON.into(), Value::String(reason));
            out
        })
        .collect();
    Ok(Json(InvalidRows { failed_rows }))
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
    caller: Caller,
    Path(job_id): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    open_job_for(&state, &caller, &job_id, "cannot run")?;
    let domain = caller.domain;
    let override_failed = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("overrideExecuteWithFailedRows").and_then(Value::as_bool))
        .unwrap_or(false);
    let engine = state.engine_handle();
    let id = job_id.clone();
    let base = base_url(&state, domain);
    match crate::api::state::blocking(move || engine.run_job(&id, override_failed)).await? {
        RunOutcome::Started(job) => Ok((StatusCode::CREATED, Json(run_answer(&base, &job)))),
        RunOutcome::NotOpen => Err(changed_meanwhile(&state, &job_id, "cannot run")),
        refused => Err(run_refusal(&base, &job_id, &refused)),
    }
}

/// SAC's refusal of a run that writes nothing: 1011 when no row was ever
/// stored, 1033 when every stored row failed validation (SAP help
/// f99e725f), 2903 when failed rows stop it (fe6efb8a).
pub(super) fn run_refusal(base: &str, job_id: &str, outcome: &RunOutcome) -> ApiError {
    match outcome {
        RunOutcome::NoRows(_) => ApiError::numbered(
            errors::NO_VALID_RECORDS,
            &format!("The job {job_id} has no rows: post rows (POST {base}/jobs/{job_id}), then run it."),
        ),
        RunOutcome::AllRowsInvalid(job) => ApiError::numbered(
            errors::ALL_ROWS_INVALID,
            &format!(
                "The job {job_id} holds {} rows and every one failed validation: GET {base}/jobs/{job_id}/invalidRows \
                 says why; post valid rows, then run it again.",
                job.total
            ),
        ),
        // SAP help fe6efb8a: the code is an id of the incident, the number
        // stands in the message only.
        _ => ApiError::api(
            StatusCode::BAD_REQUEST,
            random_uuid(),
            format!("{} [{}]", errors::message(errors::WRITE_CANCELLED).unwrap_or_default(), errors::WRITE_CANCELLED),
        ),
    }
}

/// The answer to a run (SAP help 26e872f0): the status and the counts at
/// the top, with the URLs of the invalid rows and of the status.
fn run_answer(base: &str, job: &ImportJobRecord) -> Value {
    let mut answer = json!({
        "jobStatus": job.status,
        "totalNumberRowsInJob": job.total,
        "failedNumberRows": job.failed,
        "invalidRowsURL": format!("{base}/jobs/{}/invalidRows", job.job_id),
        "jobStatusURL": format!("{base}/jobs/{}/status", job.job_id),
    });
    if let Some(message) = &job.error {
        answer["error"] = json!({"message": message});
    }
    answer
}

/// What a status answer says of a job (SAP help a020ece7 shows these
/// sentences for a validated, a completed and a failed job; the others
/// are in the same manner, assumption).
pub(super) fn status_description(job: &ImportJobRecord) -> String {
    let (id, model) = (&job.job_id, &job.model);
    match job.status.as_str() {
        status::READY_FOR_DATA => {
            format!("Job {id} for modelID {model} has been created successfully. Push data to it.")
        }
        status::READY_FOR_WRITE => format!(
            "Job {id} for modelID {model} has been created successfully and data has been pushed to temporary \
             storage. Push more data or run job now."
        ),
        status::PROCESSING => format!("Job {id} for modelID {model} is being executed."),
        status::COMPLETED => format!("Job {id} for modelID {model} has been executed successfully"),
        _ => format!(
            "Job {id} for modelID {model} has failed. Please see additional information to understand root cause."
        ),
    }
}

/// The status answer (SAP help a020ece7): the status, its description and
/// the counts in `additionalInformation`, written as strings of digits as
/// the page shows them; the URLs and a failed job's message besides
/// (assumption: the page's samples show neither).
fn job_status(state: &AppState, domain: Domain, job: &ImportJobRecord) -> Value {
    let base = base_url(state, domain);
    let mut answer = json!({
        "jobID": job.job_id,
        "jobStatus": job.status,
        "jobStatusDescription": status_description(job),
        "additionalInformation": {
            "totalNumberRowsInJob": job.total.to_string(),
            "failedNumberRows": job.failed.to_string(),
        },
        "jobStatusURL": format!("{base}/jobs/{}/status", job.job_id),
    });
    if job.failed > 0 {
        answer["invalidRowsURL"] = json!(format!("{base}/jobs/{}/invalidRows", job.job_id));
    }
    if let Some(message) = &job.error {
        answer["error"] = json!({"message": message});
    }
    answer
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
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    job_for(&state, &caller, &job_id, false)?;
    let engine = state.engine_handle();
    let id = job_id.clone();
    match crate::api::state::blocking(move || engine.read_job(&id)).await? {
        Some(job) => Ok(Json(job_status(&state, caller.domain, &job))),
        None => Err(unknown_job(&job_id)),
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
    caller: Caller,
    Path(job_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    job_for(&state, &caller, &job_id, true)?;
    state.engine().delete_job(&job_id)?;
    Ok(StatusCode::NO_CONTENT)
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
pub async fn list_jobs(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<JobSummary>>, ApiError> {
    let owner = importer(&state, &caller, false)?;
    let jobs = state.store().read(|r| r.import_jobs_of(&owner))?;
    Ok(Json(
        jobs.into_iter()
            .map(|j| JobSummary {
                job_id: j.job_id,
                model_id: j.model,
                owner: j.owner,
                status: j.status.into(),
                import_type: j.import_type,
                last_updated_time: j.updated,
            })
            .collect(),
    ))
}
