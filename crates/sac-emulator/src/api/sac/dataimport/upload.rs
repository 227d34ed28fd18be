//! Posting rows to a job (`POST /jobs/{id}`, SAP help d9dc1eb6): each row
//! is checked as it arrives (`engine::arrival`), only the valid ones are
//! stored, and the answer lists the others with their reason.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use sac_types::dataimport::{errors, UploadResult};

use super::access::{base_url, open_job_for};
use super::create::check_settings;
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataImportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::arrival::{self, Refused};
use crate::engine::import_jobs::{find_target, settings_of, StagingCap, StagingCaps};
use crate::engine::staging::{self, Unreadable};
use crate::store::{ChunkRecord, ImportJobRecord, StoreError};

/// Reads a request body up to `limit` bytes, else SAC's 1201.
pub(super) async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::numbered(
            errors::BODY_TOO_LARGE,
            &format!("The body is larger than {limit} bytes: send fewer rows per request."),
        )
    })
}

/// The body's kind: JSON (also when no Content-Type is sent, as SAP's
/// sample client does) or CSV; anything else is SAC's 1200.
pub(super) fn content_kind(caller: &Caller) -> Result<bool, ApiError> {
    let Some(value) = caller.headers.get(header::CONTENT_TYPE) else { return Ok(false) };
    let text = value.to_str().unwrap_or_default().trim().to_ascii_lowercase();
    if staging::is_csv(&text) {
        Ok(true)
    } else if text.starts_with("application/json") {
        Ok(false)
    } else {
        Err(ApiError::numbered(
            errors::CONTENT_TYPE_NOT_SUPPORTED,
            &format!("Content-Type {text} is not taken: send application/json or text/csv."),
        ))
    }
}

/// The `delimiter` URL parameter of a CSV upload: one character other than
/// a quote or a line break, else SAC's 1706 (assumption: the guide names
/// the parameter and the code, not which values it refuses).
pub(super) fn delimiter(params: &HashMap<String, String>) -> Result<u8, ApiError> {
    let Some(given) = params.get("delimiter") else { return Ok(b',') };
    match given.as_bytes() {
        [d] if !matches!(d, b'"' | b'\n' | b'\r') => Ok(*d),
        _ => Err(ApiError::numbered(
            errors::INVALID_URL_PARAMETER,
            &format!("delimiter={given:?} is not one character: use e.g. delimiter=; or delimiter=%09 (tab)."),
        )),
    }
}

/// `POST /jobs/{id}`: a chunk of rows.
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/jobs/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(
        ("id" = String, Path, description = "A job id"),
        ("delimiter" = Option<String>, Query, description = "The CSV delimiter (default `,`)"),
    ),
    request_body(description = "Rows as CSV (header line first) or JSON (`{\"Data\": [...]}`, with an optional `Mapping` and `DefaultValues`)", content((String = "text/csv"), (serde_json::Value = "application/json"))),
    responses(
        (status = 201, description = "How many rows the chunk added, and the rows refused with their reason", content_type = "application/json"),
        (status = 400, description = "A request SAC refuses, with its numbered error", content_type = "application/json"),
        DataImportRefusals,
        (status = 404, description = "Not found", content_type = "application/json"),
    ),
)]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(job_id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let job = open_job_for(&state, &caller, &job_id, "does not take data")?;
    let csv = content_kind(&caller)?;
    let delimiter = delimiter(&params)?;
    let limits = state.options().import_limits;
    let bytes = read_body(body, limits.max_body_bytes).await?;
    let staged = stage(&state, job, csv, delimiter, bytes).await?;
    let base = base_url(&state, caller.domain);
    let result = UploadResult {
        total_number_rows_in_current_request: (staged.kept + staged.failed.len()) as u64,
        upserted_number_rows: staged.kept as u64,
        failed_number_rows: staged.failed.len() as u64,
        failed_rows: staged.failed.clone(),
        total_number_rows_in_job: staged.total as u64,
        validate_job_url: format!("{base}/jobs/{job_id}/validate"),
        run_job_url: format!("{base}/jobs/{job_id}/run"),
    };
    let mut answer = serde_json::to_value(result).expect("answers serialize");
    if let Some((kept, failed)) = staged.deleted {
        // SAP help d9dc1eb6's answer to rows to delete and to import.
        answer["totalNumberDeletedRowsInCurrentRequest"] = (kept + failed.len()).into();
        answer["failedDeletedDataNumberRows"] = failed.len().into();
        answer["failedDeletedDataRows"] = failed.into();
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

/// What an upload stored.
pub(super) struct Staged {
    /// The job's rows after it.
    pub total: i64,
    pub kept: usize,
    /// `{row, reason}` of each row refused.
    pub failed: Vec<serde_json::Value>,
    /// Of the request's `DeletedData`: rows stored, and those refused.
    pub deleted: Option<(usize, Vec<serde_json::Value>)>,
}

/// Checks a body's rows and stores the valid ones in `job`.
pub(super) async fn stage(
    state: &AppState,
    job: ImportJobRecord,
    csv: bool,
    delimiter: u8,
    bytes: Bytes,
) -> Result<Staged, ApiError> {
    let job_id = job.job_id.clone();
    let limits = state.options().import_limits;
    let tenant = state.tenant();
    let settings = settings_of(&job);
    let checked = crate::api::state::blocking(move || {
        let Some(target) = find_target(&tenant, &job.model) else {
            return Err(ApiError::numbered(errors::MODEL_NOT_FOUND, &format!("{} was deleted.", job.model)));
        };
        let content_type = if csv { "text/csv" } else { "application/json" };
        let arrival = match arrival::check(&target, &settings, content_type, delimiter, bytes.to_vec()) {
            Ok(a) => a,
            Err(Refused::UnknownColumns(in_force)) => {
                check_settings(&target, &in_force)?;
                return Err(ApiError::numbered(errors::UNKNOWN_TARGET_FIELD, "Mapping names an unknown column."));
            }
            Err(refused) => return Err(refusal(refused)),
        };
        if arrival.in_request() > limits.max_rows_per_request {
            return Err(ApiError::numbered(
                errors::BODY_TOO_LARGE,
                &format!(
                    "The request contains {} rows; at most {} rows are allowed per request.",
                    arrival.in_request(),
                    limits.max_rows_per_request
                ),
            ));
        }
        Ok((job, arrival))
    })
    .await;
    let (job, arrival) = checked?;
    let mut records = vec![ChunkRecord {
        first_row: 0,
        rows: arrival.kept as i64,
        content_type: arrival.content_type,
        mapping: arrival.mapping,
        body: arrival.body,
    }];
    let deleted = arrival.deleted.map(|d| {
        if d.kept > 0 {
            records.push(ChunkRecord {
                first_row: 0,
                rows: 0,
                content_type: staging::deleted_content_type(),
                mapping: "{}".into(),
                body: d.body,
            });
        }
        (d.kept, d.failed)
    });
    let engine = state.engine_handle();
    let caps = StagingCaps { per_job: limits.max_staged_rows_per_job, all_jobs: limits.max_staged_rows };
    let stored = crate::api::state::blocking(move || engine.upload(&job, &records, caps)).await;
    let total = match stored {
        Ok(Ok(job)) => job.total,
        Ok(Err(cap)) => {
            let (n, whose) = match cap {
                StagingCap::Job(n) => (n, "one job"),
                StagingCap::AllJobs(n) => (n, "all jobs together"),
            };
            return Err(ApiError::numbered(
                errors::TEMPORARY_STORE_INSERT_FAILED,
                &format!(
                    "Temporary storage holds at most {n} rows for {whose}: run or delete jobs, or push fewer rows; \
                     nothing of this request was stored."
                ),
            ));
        }
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::numbered(
                errors::ACTION_NOT_SUPPORTED,
                &format!("The job {job_id} does not take data: it was validated or run meanwhile."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Staged { total, kept: arrival.kept, failed: arrival.failed, deleted })
}

/// SAC's numbered refusal of a whole upload.
fn refusal(refused: Refused) -> ApiError {
    match refused {
        Refused::Body(Unreadable::Syntax(why)) => ApiError::numbered(errors::BAD_BODY, &format!("{why}.")),
        Refused::Body(Unreadable::NoData(why)) => ApiError::numbered(errors::DATA_MISSING, &format!("{why}.")),
        Refused::Body(Unreadable::Mapping(why)) => {
            ApiError::numbered(errors::CHUNK_MAPPING_INCORRECT, &format!("{why}."))
        }
        Refused::Pivot(why) => ApiError::numbered(errors::BAD_BODY, &format!("{why}.")),
        Refused::UnknownColumns(_) => {
            ApiError::numbered(errors::UNKNOWN_TARGET_FIELD, "Mapping names an unknown column.")
        }
        // SAP help d9dc1eb6: models do not take DeletedData (the code: assumption).
        Refused::DeletedDataNotTaken => ApiError::numbered(
            errors::BAD_BODY,
            "DeletedData is for currency and unit conversion tables only: send the rows to import in Data.",
        ),
    }
}
