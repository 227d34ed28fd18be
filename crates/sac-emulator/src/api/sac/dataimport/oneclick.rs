//! One-click import (`POST /import/{modelID}` and `/import/{modelID}/{importType}`,
//! SAP help 9da58613 and e11f1829): one request creates a job, posts its
//! rows, validates and runs it, and answers with the job's status.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use super::access::base_url;
use super::create::{new_job, Kind};
use super::jobs::run_refusal;
use super::upload::{content_kind, delimiter, read_body, stage};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::OneClickImport;
use crate::api::openapi::tags;
use crate::api::state::{blocking, AppState};
use crate::engine::import_jobs::{find_target, RunOutcome};

/// `POST /import/{id}`: the import type comes from the body (a CSV header,
/// a Mapping, or the columns of the JSON rows).
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/import/{id}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(
        ("id" = String, Path, description = "A model id", example = "SALES_PLAN"),
        ("delimiter" = Option<String>, Query, description = "The CSV delimiter (default `,`)"),
    ),
    request_body(description = "Rows as CSV, or JSON with `Data` and optionally `Mapping`, `DefaultValues`, `JobSettings`", content((String = "text/csv"), (serde_json::Value = "application/json"))),
    responses(OneClickImport),
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    one_click(state, caller, id, None, params, body).await
}

/// `POST /import/{id}/{importType}`.
#[utoipa::path(
    post,
    path = "/api/v1/dataimport/import/{id}/{import_type}",
    tag = tags::DATA_IMPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(
        ("id" = String, Path, description = "A model id", example = "SALES_PLAN"),
        ("import_type" = String, Path, description = "`factData`, ...", example = "factData"),
        ("delimiter" = Option<String>, Query, description = "The CSV delimiter (default `,`)"),
    ),
    request_body(description = "Rows as CSV, or JSON with `Data` and optionally `Mapping`, `DefaultValues`, `JobSettings`", content((String = "text/csv"), (serde_json::Value = "application/json"))),
    responses(OneClickImport),
)]
pub async fn import_typed(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, import_type)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    one_click(state, caller, id, Some(import_type), params, body).await
}

/// A JSON body without a Mapping whose rows carry only the model's
/// columns is fact data (assumption: the guide's sample of `/import/{id}`
/// is CSV, whose header SAC reads the same way).
fn inferred_from_rows(state: &AppState, id: &str, body: &[u8]) -> Option<String> {
    let value: Value = serde_json::Deserializer::from_slice(body).into_iter::<Value>().next()?.ok()?;
    if value.get("Mapping").is_some_and(|m| !m.is_null()) {
        return None;
    }
    let tenant = state.tenant();
    let columns = find_target(&tenant, id)?.columns();
    let rows = value.get("Data")?.as_array()?;
    let fits =
        !rows.is_empty() && rows.iter().all(|r| r.as_object().is_some_and(|o| o.keys().all(|k| columns.contains(k))));
    fits.then(|| "factData".to_string())
}

async fn one_click(
    state: AppState,
    caller: Caller,
    id: String,
    import_type: Option<String>,
    params: HashMap<String, String>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let csv = content_kind(&caller)?;
    let delimiter = delimiter(&params)?;
    let bytes = read_body(body, state.options().import_limits.max_body_bytes).await?;
    let import_type = match import_type {
        None if !csv => inferred_from_rows(&state, &id, &bytes),
        given => given,
    };
    // Settings come with JSON rows; a CSV body's header gives the import type.
    let job = new_job(&state, &caller, &id, import_type.as_deref(), &bytes, Kind::Model, delimiter)?;
    let job_id = job.job_id.clone();
    let staged = match stage(&state, job, csv, delimiter, bytes).await {
        Ok(staged) => staged,
        Err(e) => {
            // Nothing was stored: the job goes with the refusal.
            state.engine().delete_job(&job_id)?;
            return Err(e);
        }
    };
    let engine = state.engine_handle();
    let id = job_id.clone();
    let outcome = blocking(move || engine.run_job(&id, false)).await?;
    let base = base_url(&state, caller.domain);
    let job = match outcome {
        RunOutcome::Started(job) => job,
        RunOutcome::NoRows(_) => {
            state.engine().delete_job(&job_id)?;
            return Err(run_refusal(&base, &job_id, &outcome));
        }
        // The job stays, so that its invalid rows can be read.
        refused => return Err(run_refusal(&base, &job_id, &refused)),
    };
    // The counts include the rows refused on arrival (assumption: the
    // request is the whole import, and the guide's samples show none refused).
    let refused = staged.failed.len() as i64;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "jobStatus": job.status,
            "jobID": job.job_id,
            "jobStatusURL": format!("{base}/jobs/{}/status", job.job_id),
            "additionalInformation": {
                "totalNumberRowsInJob": (job.total + refused).to_string(),
                "failedNumberRows": (job.failed + refused).to_string(),
            },
        })),
    ))
}
