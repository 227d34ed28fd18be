//! Who may use the Data Import API and whose jobs they are, with SAC's
//! refusals; shared by the handlers of this folder.

use axum::http::StatusCode;
use sac_types::dataimport::{errors, status};

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::auth::Principal;
use crate::store::ImportJobRecord;
use crate::tenant::Role;
use crate::Domain;

pub(super) fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "404",
        format!("The {what} {id} does not exist or you are not authorized to access it"),
    )
}

/// SAC's 1603 for a job id no job has (SAP help "Error Codes and
/// Troubleshooting", page hash f99e725f). That table gives no HTTP status;
/// the pages of the job routes (POST and DELETE /jobs/{jobID}, /validate,
/// /run, /status) list 404 Not Found among their errors, so 404 it is.
/// Assumption: the /invalidRows page lists no errors at all; it answers 404
/// as it did before, like the other job routes.
pub(super) fn unknown_job(job_id: &str) -> ApiError {
    ApiError::numbered_with_status(
        StatusCode::NOT_FOUND,
        errors::JOB_NOT_FOUND,
        &format!("No job has the id {job_id}; GET /api/v1/dataimport/jobs lists yours."),
    )
}

/// SAC's refusal of a model id no model has: 1704 with the 404 the pages
/// list (SAP help f99e725f, ef48ba3e).
pub(super) fn unknown_model(id: &str) -> ApiError {
    ApiError::numbered_with_status(
        StatusCode::NOT_FOUND,
        errors::MODEL_NOT_FOUND,
        &format!("No model has the id {id}; GET /api/v1/dataimport/models lists them."),
    )
}

pub(super) fn bad_request(text: &str) -> ApiError {
    ApiError::api(StatusCode::BAD_REQUEST, "400", text)
}

/// Who may use the Data Import API: a user of the tenant, or a technical
/// client whose access list has the Data Import Service (else SAC's 3401).
/// Returns the job owner.
pub(super) fn importer(state: &AppState, caller: &Caller, write: bool) -> Result<String, ApiError> {
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
pub(super) fn job_for(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    write: bool,
) -> Result<ImportJobRecord, ApiError> {
    let owner = importer(state, caller, write)?;
    owned_job(state, &owner, job_id)
}

/// The caller's job while it still takes data or can be validated and run
/// (READY_FOR_DATA, READY_FOR_WRITE); else SAC's 1010 while it is being
/// written and 1001 once it has ended.
pub(super) fn open_job_for(
    state: &AppState,
    caller: &Caller,
    job_id: &str,
    what: &str,
) -> Result<ImportJobRecord, ApiError> {
    let job = job_for(state, caller, job_id, true)?;
    not_open(&job, what).map_or(Ok(job), Err)
}

/// SAC's refusal for `what` on a job that is not open, if it is not.
pub(super) fn not_open(job: &ImportJobRecord, what: &str) -> Option<ApiError> {
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

/// A job of this owner; 1603 when no job has the id, 1012 when it is
/// someone else's (SAP help f99e725f: "missing authorization"; with the 403
/// the job pages list, assumption).
fn owned_job(state: &AppState, owner: &str, job_id: &str) -> Result<ImportJobRecord, ApiError> {
    match state.store().read(|r| r.import_job(job_id))? {
        Some(job) if job.owner == owner => Ok(job),
        Some(_) => Err(ApiError::numbered_with_status(
            StatusCode::FORBIDDEN,
            errors::NOT_YOUR_JOB,
            &format!("The job {job_id} is someone else's: use a job you created."),
        )),
        None => Err(unknown_job(job_id)),
    }
}

pub(super) fn base_url(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataimport", state.domain_url(domain))
}
