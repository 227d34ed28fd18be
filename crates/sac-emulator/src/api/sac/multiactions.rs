//! The Multi Actions API: `POST /api/v1/multiActions/{package}:{id}/executions`
//! and `GET .../executions/{executionId}` (SAP help: "Multi Actions API").
//!
//! Multi actions run under a business user: tokens without a user (client
//! credentials) are refused with 401. The steps run in the engine
//! (`engine::multiactions`).

use crate::api::openapi::tags;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sac_types::multiaction::{ExecutionResult, ExecutionStarted, ExecutionStatus, Link, MultiActionStatus};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::engine::multiactions::{message, utc_millis};
use crate::secrets::random_id;
use crate::store::MaExecutionRecord;
use crate::tenant::{MultiActionDef, Role, Tenant};

/// The SAC user a multi action request runs as, or SAC's refusal.
fn business_user(state: &AppState, caller: &Caller) -> Result<(String, Role), ApiError> {
    let principal = caller.service()?;
    let Some(user) = principal.user else {
        return Err(ApiError::Api {
            status: StatusCode::UNAUTHORIZED,
            code: "401".into(),
            message: "Multi actions run under a business user: use a token from the authorization code or SAML \
                      bearer grant (client credentials tokens are not accepted)"
                .into(),
            challenge: Some("Bearer error=\"insufficient_scope\""),
        });
    };
    let tenant = state.tenant();
    match tenant.user(&user) {
        Some(u) if u.in_tenant => Ok((u.id.clone(), u.role)),
        _ => Err(ApiError::api(
            StatusCode::FORBIDDEN,
            "403",
            format!("User {user} does not exist in tenant {}", tenant.letter),
        )),
    }
}

fn find<'t>(tenant: &'t Tenant, id: &str) -> Result<&'t MultiActionDef, ApiError> {
    tenant.strip_package(id).and_then(|bare| tenant.multi_action(bare)).ok_or_else(|| {
        ApiError::api(
            StatusCode::NOT_FOUND,
            "404",
            format!("The multi action {id} does not exist or you are not authorized to access it (use the id t.<TENANT>:<ID>)"),
        )
    })
}

fn bad_request(text: &str) -> ApiError {
    ApiError::api(StatusCode::BAD_REQUEST, "400", text)
}

/// The member a parameter value names: `{"memberIds":["public.Plan"],...}`.
fn member_of(value: &Value) -> Option<String> {
    let ids = value.get("memberIds")?.as_array()?;
    match ids.as_slice() {
        [Value::String(id)] => Some(id.clone()),
        _ => None,
    }
}

/// `POST /api/v1/multiActions/{id}/executions`
#[utoipa::path(
    post,
    path = "/api/v1/multiActions/{id}/executions",
    tag = tags::MULTI_ACTIONS,
    security(("bearer" = [], "csrf" = []), ("session" = [], "csrf" = []), ("bearer" = [])),
    params(("id" = String, Path, description = "The multi action, `t.<TENANT>:<ID>`")),
    request_body(
        description = "`{\"parameterValues\":[{\"parameterId\":...,\"value\":{\"memberIds\":[...]}}]}`",
        content = serde_json::Value,
        content_type = "application/json",
    ),
    responses(
        (status = 202, description = "The execution started: its id and status", content_type = "application/json"),
        (status = 400, description = "A body without parameterValues, or a parameter the multi action does not take", content_type = "application/json"),
        (status = 401, description = "No valid bearer token, or a token without a business user", content_type = "application/json"),
        (status = 403, description = "The user may not execute it, or a browser-domain write without CSRF token", content_type = "application/json"),
        (status = 404, description = "No such multi action", content_type = "application/json"),
    ),
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (user, role) = business_user(&state, &caller)?;
    let tenant = state.tenant();
    let ma = find(&tenant, &id)?;
    if role == Role::Viewer {
        return Err(ApiError::api(
            StatusCode::FORBIDDEN,
            "403",
            format!("User {user} is not authorized to execute the multi action {id}"),
        ));
    }
    let request: Value =
        serde_json::from_slice(&body).map_err(|e| bad_request(&format!("Invalid request body: {e}")))?;
    let Some(values) = request.get("parameterValues").and_then(Value::as_array) else {
        return Err(bad_request(
            "The request body must contain parameterValues (an empty list when there are no parameters)",
        ));
    };
    let mut chosen = serde_json::Map::new();
    for value in values {
        let Some(parameter) = value.get("parameterId").and_then(Value::as_str) else {
            return Err(bad_request("Every parameter value needs a parameterId"));
        };
        if !ma.parameters.iter().any(|p| p.id == parameter) {
            return Err(bad_request(&format!("The multi action {id} has no parameter {parameter}")));
        }
        let Some(member) = value.get("value").and_then(member_of) else {
            return Err(bad_request(&format!(
                "The value of parameter {parameter} must be {{\"memberIds\":[\"<member>\"],\"hierarchyId\":null}}"
            )));
        };
        chosen.insert(parameter.to_string(), Value::String(member));
    }
    if let Some(missing) = ma.parameters.iter().find(|p| !chosen.contains_key(&p.id)) {
        return Err(bad_request(&format!("No value was provided for the parameter {}", missing.id)));
    }
    let execution = new_execution(&state, &tenant, ma, user, chosen);
    let engine = state.engine_handle();
    let execution = crate::api::state::blocking(move || engine.start_execution(execution)).await?;
    let href = format!("/api/v1/multiActions/{}/executions/{}", tenant.object_name(&ma.id), execution.execution_id);
    let started = ExecutionStarted {
        execution_id: execution.execution_id,
        status: Some(MultiActionStatus::from(execution.status)),
        links: vec![Link { rel: "STATUS".into(), href }],
    };
    Ok((StatusCode::ACCEPTED, Json(started)).into_response())
}

/// A new execution of `ma` for `user` with the chosen parameter members
/// (`parameter id -> member`), as the engine is to record it: running, or
/// failed at once when a member does not exist (SAC validates parameter
/// members when the execution starts). Shared with the web console.
pub(crate) fn new_execution(
    state: &AppState,
    tenant: &Tenant,
    ma: &MultiActionDef,
    user: String,
    chosen: serde_json::Map<String, Value>,
) -> MaExecutionRecord {
    let now = state.engine().now_ms();
    let (due_at_ms, polls_left) = state.clock().finish_plan(now);
    let mut execution = MaExecutionRecord {
        execution_id: random_id(),
        multi_action: ma.id.clone(),
        status: "running".into(),
        user,
        start_time: utc_millis(now),
        end_time: None,
        parameters: Value::Object(chosen.clone()).to_string(),
        messages: "[]".into(),
        due_at_ms,
        polls_left,
    };
    // Parameter members are validated when the execution starts; a wrong one fails it.
    let invalid = ma.parameters.iter().find_map(|p| {
        let member = chosen[&p.id].as_str().unwrap_or_default();
        let valid = tenant.model(&p.version_of).is_some_and(|m| m.versions.iter().any(|v| v == member));
        (!valid).then(|| (p.id.clone(), member.to_string()))
    });
    if let Some((parameter, member)) = invalid {
        execution.status = "failed".into();
        execution.end_time = Some(utc_millis(now));
        execution.due_at_ms = None;
        execution.polls_left = None;
        execution.messages = json!([message(
            "501000515",
            "error",
            format!("Member \"{member}\" does not exist in the dimension or selected hierarchy or is hidden."),
            json!([{"parameterId": parameter}]),
        )])
        .to_string();
    }
    execution
}

/// `GET /api/v1/multiActions/{id}/executions/{executionId}`
#[utoipa::path(
    get,
    path = "/api/v1/multiActions/{id}/executions/{execution}",
    tag = tags::MULTI_ACTIONS,
    security(("bearer" = []), ("session" = [])),
    params(
        ("id" = String, Path, description = "The multi action, `t.<TENANT>:<ID>`"),
        ("execution" = String, Path, description = "The execution id the start answered"),
    ),
    responses(
        (status = 200, description = "The execution's status and messages", content_type = "application/json"),
        (status = 401, description = "No valid bearer token, or a token without a business user", content_type = "application/json"),
        (status = 403, description = "The user is not in the tenant", content_type = "application/json"),
        (status = 404, description = "No such multi action or execution", content_type = "application/json"),
    ),
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, execution_id)): Path<(String, String)>,
) -> Result<Json<ExecutionStatus>, ApiError> {
    business_user(&state, &caller)?;
    let tenant = state.tenant();
    let ma = find(&tenant, &id)?;
    let engine = state.engine_handle();
    let wanted = execution_id.clone();
    let execution = match crate::api::state::blocking(move || engine.read_execution(&wanted)).await? {
        Some(e) if e.multi_action == ma.id => e,
        _ => {
            return Err(ApiError::api(
                StatusCode::NOT_FOUND,
                "404",
                format!("The multi action {id} has no execution {execution_id}"),
            ))
        }
    };
    let body = ExecutionStatus {
        execution_id: execution.execution_id,
        status: MultiActionStatus::from(execution.status),
        utc_start_date: Some(execution.start_time),
        utc_end_date: execution.end_time,
        execution_result: ExecutionResult { messages: serde_json::from_str(&execution.messages).unwrap_or_default() },
    };
    Ok(Json(body))
}

/// The Multi Actions API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start)).routes(routes!(status))
}
