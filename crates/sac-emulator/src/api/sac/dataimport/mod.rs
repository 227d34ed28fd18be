//! The Data Import API, `/api/v1/dataimport` (SAP help: "api/v1/dataimport").
//!
//! The job lifecycle of SAP's pages: create a job for a model (or a public
//! dimension), post rows in chunks (JSON `{"Data":[...]}` or CSV), validate,
//! run (asynchronous), read the status, read the invalid rows, delete.
//! This module holds the HTTP shapes; the jobs live in the engine
//! (`engine::import_jobs`), which validates and writes them. Refusals carry
//! SAC's numbered errors (1001-1011, SAP help "Error Codes and
//! Troubleshooting") where SAC gives them.

mod create;
mod jobs;
mod models;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use sac_types::dataimport::{errors, status};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::auth::Principal;
use crate::store::ImportJobRecord;
use crate::tenant::Role;
use crate::Domain;

/// The Data Import API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, job) = routes!(create::upload, jobs::delete_job);
    OpenApiRouter::new()
        .routes(routes!(models::models))
        .routes(routes!(models::model, create::create_model_job))
        .routes(routes!(models::metadata))
        .routes(routes!(create::create_typed_model_job))
        .routes(routes!(models::public_dimensions))
        .routes(routes!(models::public_dimension))
        .routes(routes!(models::public_dimension_metadata))
        .routes(routes!(create::create_dimension_job))
        .routes(routes!(jobs::list_jobs))
        // Row chunks are as big as `ImportLimits` allows, not axum's default.
        .routes((schemas, paths, job.layer(DefaultBodyLimit::disable())))
        .routes(routes!(jobs::validate_job))
        .routes(routes!(jobs::invalid_rows))
        .routes(routes!(jobs::run_job))
        .routes(routes!(jobs::job_status_handler))
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "404",
        format!("The {what} {id} does not exist or you are not authorized to access it"),
    )
}

fn bad_request(text: &str) -> ApiError {
    ApiError::api(StatusCode::BAD_REQUEST, "400", text)
}

/// Who may use the Data Import API: a user of the tenant, or a technical
/// client whose access list has the Data Import Service (else SAC's 3401).
/// Returns the job owner.
fn importer(state: &AppState, caller: &Caller, write: bool) -> Result<String, ApiError> {
    let principal: Principal = caller.service()?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            let allowed =
                tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Import Service"));
            if !allowed {
                return Err(ApiError::api(
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
                Err(ApiError::api(StatusCode::FORBIDDEN, "403", format!("User {} may not import data", u.id)))
            }
            _ => Err(ApiError::api(
                StatusCode::FORBIDDEN,
                "403",
                format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

/// The caller's job: who may use the API, and whether the job is theirs (else 404).
fn job_for(state: &AppState, caller: &Caller, job_id: &str, write: bool) -> Result<ImportJobRecord, ApiError> {
    let owner = importer(state, caller, write)?;
    owned_job(state, &owner, job_id)
}

/// The caller's job while it still takes data or can be validated and run
/// (READY_FOR_DATA, READY_FOR_WRITE); else SAC's 1010 while it is being
/// written and 1001 once it has ended.
fn open_job_for(state: &AppState, caller: &Caller, job_id: &str, what: &str) -> Result<ImportJobRecord, ApiError> {
    let job = job_for(state, caller, job_id, true)?;
    not_open(&job, what).map_or(Ok(job), Err)
}

/// SAC's refusal for `what` on a job that is not open, if it is not.
fn not_open(job: &ImportJobRecord, what: &str) -> Option<ApiError> {
    match job.status.as_str() {
        status::READY_FOR_DATA | status::READY_FOR_WRITE => None,
        status::PROCESSING => Some(ApiError::numbered(
            errors::IN_PROGRESS,
            &format!(
                "The job {} {what}: it is being written; wait until its status is COMPLETED or FAILED.",
                job.job_id
            ),
        )),
        ended => Some(ApiError::numbered(
            errors::ACTION_NOT_SUPPORTED,
            &format!("The job {} {what}: its status is {ended}; create a new job.", job.job_id),
        )),
    }
}

/// A job of this owner, or 404.
fn owned_job(state: &AppState, owner: &str, job_id: &str) -> Result<ImportJobRecord, ApiError> {
    match state.store().read(|r| r.import_job(job_id))? {
        Some(job) if job.owner == owner => Ok(job),
        _ => Err(not_found("job", job_id)),
    }
}

fn base_url(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataimport", state.domain_url(domain))
}
