//! The UI layer's data integration service,
//! `POST /sap/fpa/services/rest/fpa/dataintegration?action=...&tenant=G`,
//! and the rejected-rows CSV of a run.
//!
//! Who may call it, as SAC decides: on the browser domain a browser session,
//! or a bearer token with a user context plus the CSRF token and cookie of
//! its session; anything else gets the approuter's login page (HTTP 200,
//! HTML). On the direct API domain a bearer token with a user. A caller whose
//! user has no SAC user record (a client-credentials principal on the API
//! domain, an SSO user the tenant does not know) gets error 3000.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sac_types::legacy::{
    ColumnMapping, Envelope, Mapping, MappingByIdRequest, MappingSource, RefreshLog, RowCounts, RunScheduledJobData,
    RunScheduledJobRequest, RunStatus, ScheduleLogsRequest, WranglingResult, SERVICE_PATH,
};
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::engine::ScheduleLog;
use crate::store::RunRecord;
use crate::tenant::{Role, ScheduleDef, Tenant};
use crate::Domain;

/// Decides whether a request may use the UI layer's services; returns the
/// SAC user it acts for, or SAC's refusal. (On the browser domain the CSRF
/// check of writes has already run, in [`crate::api::middleware::csrf::ui_guard`].)
fn admit(state: &AppState, caller: &Caller) -> Result<String, ApiError> {
    let principal = match caller.ui()? {
        Some(p) => p,
        None if caller.domain == Domain::Api => return Err(ApiError::InvalidToken("Authentication required")),
        None => return Err(ApiError::LoginPage),
    };
    let tenant = state.tenant();
    match principal.user.as_deref().and_then(|u| tenant.user(u)) {
        Some(user) if user.in_tenant => Ok(user.id.clone()),
        _ => Err(ApiError::user_not_in_tenant()),
    }
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::legacy(StatusCode::BAD_REQUEST, None, format!("Invalid request body: {e}")))
}

fn ok<T: serde::Serialize>(data: T) -> Response {
    Json(Envelope { status: 200, data }).into_response()
}

/// `POST /sap/fpa/services/rest/fpa/dataintegration?action=...&tenant=...`
#[utoipa::path(
    post,
    path = SERVICE_PATH,
    tag = tags::LEGACY,
    security(("bearer" = [], "csrf" = []), ("session" = [], "csrf" = []), ("bearer" = [])),
    params(
        ("action" = String, Query, description = "`getScheduleLogsByModel`, `runScheduledJob` or `getMappingById`"),
        ("tenant" = String, Query, description = "The tenant letter; any other answers `{}` and does nothing"),
    ),
    request_body(description = "The action's request (docs/emulator.md)", content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 200, description = "The action's answer, `{\"status\":200,\"data\":...}`; or, without a user context on the browser domain, the login page (HTML)", content((serde_json::Value = "application/json"), (String = "text/html"))),
        (status = 400, description = "Unknown or missing action, or a body the action cannot read", content_type = "application/json"),
        (status = 401, description = "API domain: no valid bearer token", content_type = "application/json"),
        (status = 403, description = "Browser domain: a write without a valid CSRF token; or the user is not in the tenant", content_type = "application/json"),
        (status = 404, description = "No such schedule or mapping", content_type = "application/json"),
        (status = 405, description = "Any method but POST", content_type = "application/json"),
    ),
)]
pub async fn dataintegration(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user = admit(&state, &caller)?;
    let tenant = state.tenant();
    // Field notes: without the right tenant the service answers 200 and does nothing.
    if q.get("tenant") != Some(&tenant.letter) {
        return Ok(Json(serde_json::json!({})).into_response());
    }
    match q.get("action").map(String::as_str) {
        Some("getScheduleLogsByModel") => schedule_logs(&state, &tenant, &body),
        Some("runScheduledJob") => run_scheduled_job(&state, &tenant, &user, &body),
        Some("getMappingById") => mapping_by_id(&tenant, &body),
        Some(action @ ("createMapping" | "saveMapping" | "copyMapping" | "duplicateMapping")) => Err(ApiError::legacy(
            StatusCode::BAD_REQUEST,
            None,
            format!("Action {action} is not supported through this service: create and change data import jobs in Data Management"),
        )),
        Some(other) => Err(ApiError::legacy(StatusCode::BAD_REQUEST, None, format!("Unknown action: {other}"))),
        None => Err(ApiError::legacy(StatusCode::BAD_REQUEST, None, "Missing query parameter: action")),
    }
}

fn schedule_logs(state: &AppState, tenant: &Tenant, body: &Bytes) -> Result<Response, ApiError> {
    let request: ScheduleLogsRequest = parse_body(body)?;
    let matching: Vec<&ScheduleDef> = tenant
        .schedules
        .iter()
        .filter(|s| tenant.object_name(&s.target) == request.model_name)
        .filter(|s| s.job_type == request.job_type)
        .filter(|s| request.mapping_id.is_empty() || request.mapping_id.contains(&s.mapping_id))
        .collect();
    let ids: Vec<String> = matching.iter().map(|s| s.schedule_id.clone()).collect();
    let engine = state.engine();
    engine.note_log_read(&ids)?;
    let logs: Vec<_> = matching.iter().map(|s| engine.schedule_log(&s.schedule_id)).collect();
    let hidden = logs.iter().any(|log| log.has_hidden());
    let mut schedules = Vec::with_capacity(matching.len());
    for (s, log) in matching.iter().zip(&logs) {
        schedules.push(ScheduleAnswer {
            schedule_id: &s.schedule_id,
            mapping_id: &s.mapping_id,
            mapping_name: &s.mapping_name,
            model_name: tenant.object_name(&s.target),
            job_type: &s.job_type,
            status: "STOPPED",
            refresh_logs: refresh_logs(log),
        });
    }
    let body = serde_json::to_vec(&Envelope { status: 200, data: &schedules }).expect("logs serialize");
    if hidden {
        engine.note_hidden_read(&ids)?;
    }
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// [`Schedule`] as it is serialised, with its refresh logs already in JSON:
/// the same bytes, without serialising every run of a long log on each poll.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ScheduleAnswer<'a> {
    schedule_id: &'a str,
    mapping_id: &'a str,
    mapping_name: &'a str,
    model_name: String,
    job_type: &'a str,
    status: &'a str,
    refresh_logs: RefreshLogs<'a>,
}

/// The refresh logs of a schedule as JSON: the runs the logs show, newest
/// first. Memoised on the log unless runs are hidden (log lag), which
/// changes with every read.
fn refresh_logs(log: &ScheduleLog) -> RefreshLogs<'_> {
    let render = || {
        let shown: Vec<RefreshLog> =
            log.runs.iter().filter(|r| r.hidden_reads == 0).cloned().map(refresh_log).collect();
        serde_json::value::to_raw_value(&shown).expect("logs serialize")
    };
    if log.has_hidden() {
        return RefreshLogs::Fresh(render());
    }
    RefreshLogs::Memo(log.memo.get_or_init(render))
}

/// Refresh logs already in JSON, written out as they are.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum RefreshLogs<'a> {
    Memo(&'a serde_json::value::RawValue),
    Fresh(Box<serde_json::value::RawValue>),
}

fn refresh_log(run: RunRecord) -> RefreshLog {
    RefreshLog {
        execution_id: run.execution_id,
        status: RunStatus::from(run.status),
        start_time: run.start_time,
        end_time: run.end_time,
        user: run.user,
        wrangling_and_update_result: WranglingResult {
            data: RowCounts {
                all_count: run.all_count as u64,
                rejected_count: run.rejected_count as u64,
                inserted_count: run.inserted_count as u64,
            },
        },
        message: run.message,
    }
}

fn run_scheduled_job(state: &AppState, tenant: &Tenant, user: &str, body: &Bytes) -> Result<Response, ApiError> {
    let request: RunScheduledJobRequest = parse_body(body)?;
    let Some(schedule) = tenant.schedule(&request.schedule_id) else {
        return Err(ApiError::legacy(
            StatusCode::NOT_FOUND,
            None,
            format!("The data import {} does not exist", request.schedule_id),
        ));
    };
    if let Some(mapping) = request.mapping_id.as_deref().filter(|m| *m != schedule.mapping_id) {
        return Err(ApiError::legacy(
            StatusCode::BAD_REQUEST,
            None,
            format!("The mapping {mapping} does not belong to the data import {}", schedule.schedule_id),
        ));
    }
    if tenant.user(user).is_some_and(|u| u.role == Role::Viewer) {
        return Err(ApiError::legacy(
            StatusCode::FORBIDDEN,
            None,
            format!("User {user} is not authorized to execute data import jobs"),
        ));
    }
    let run = state.engine().start_run(schedule, user)?;
    tracing::info!(schedule = %schedule.schedule_id, execution = %run.execution_id, user, "run started");
    Ok(ok(RunScheduledJobData { schedule_id: schedule.schedule_id.clone() }))
}

fn mapping_by_id(tenant: &Tenant, body: &Bytes) -> Result<Response, ApiError> {
    let request: MappingByIdRequest = parse_body(body)?;
    let Some(schedule) = tenant.schedules.iter().find(|s| s.mapping_id == request.mapping_id) else {
        return Err(ApiError::legacy(
            StatusCode::NOT_FOUND,
            None,
            format!("The mapping {} does not exist", request.mapping_id),
        ));
    };
    let source = tenant.source_system(&schedule.source);
    Ok(ok(Mapping {
        mapping_id: schedule.mapping_id.clone(),
        mapping_name: schedule.mapping_name.clone(),
        schedule_id: schedule.schedule_id.clone(),
        model_name: tenant.object_name(&schedule.target),
        job_type: schedule.job_type.clone(),
        update_method: "Update".into(),
        source: MappingSource {
            connection_name: schedule.source.clone(),
            connection_type: source.map(|s| s.kind.clone()).unwrap_or_default(),
            system: source.map(|s| s.system.clone()).unwrap_or_default(),
            object_name: schedule.object.clone(),
        },
        columns: schedule
            .columns
            .iter()
            .map(|(target, source)| ColumnMapping { source: source.clone(), target: target.clone() })
            .collect(),
    }))
}

/// `GET /wrangling/api/dm/executions/{id}/rejections?app=SAC`: the rejected
/// rows of a run as CSV (`Source,Target,Issue,Value,Records`).
#[utoipa::path(
    get,
    path = "/wrangling/api/dm/executions/{id}/rejections",
    tag = tags::LEGACY,
    security(("bearer" = []), ("session" = [])),
    params(
        ("id" = String, Path, description = "The execution id of a run"),
        ("app" = Option<String>, Query, description = "`SAC`"),
    ),
    responses(
        (status = 200, description = "The rejected rows as CSV `Source,Target,Issue,Value,Records`; or, without a user context on the browser domain, the login page (HTML)", content((String = "text/csv"), (String = "text/html"))),
        (status = 401, description = "API domain: no valid bearer token", content_type = "application/json"),
        (status = 403, description = "The user is not in the tenant", content_type = "application/json"),
        (status = 404, description = "No such execution", content_type = "application/json"),
    ),
)]
pub async fn rejections(
    State(state): State<AppState>,
    caller: Caller,
    Path(execution_id): Path<String>,
) -> Result<Response, ApiError> {
    admit(&state, &caller)?;
    if state.store().read(|r| r.run(&execution_id))?.is_none() {
        return Err(ApiError::legacy(
            StatusCode::NOT_FOUND,
            None,
            format!("The execution {execution_id} does not exist"),
        ));
    }
    let lines = state.store().read(|r| r.rejections(&execution_id))?;
    let mut csv = String::from("Source,Target,Issue,Value,Records\n");
    for r in lines {
        let fields = [r.source_col, r.target_col, r.issue, r.value, r.records.to_string()];
        csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        csv.push('\n');
    }
    let mut response = csv.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    Ok(response)
}

/// The data integration service and the rejected rows of runs, which both
/// domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    let (schemas, paths, service) = routes!(dataintegration);
    OpenApiRouter::new()
        // Any other method meets the service's own 405.
        .routes((schemas, paths, service.fallback(method_not_allowed)))
        .routes(routes!(rejections))
}

async fn method_not_allowed() -> ApiError {
    ApiError::legacy(StatusCode::METHOD_NOT_ALLOWED, None, "Method not allowed: this service takes POST")
}

/// Quotes a CSV field when it needs it (RFC 4180).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
    }
}
