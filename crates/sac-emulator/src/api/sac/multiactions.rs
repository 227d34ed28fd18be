//! The Multi Actions API: `POST /api/v1/multiActions/{package}:{id}/executions`
//! and `GET .../executions/{executionId}` (SAP help: "Multi Actions API").
//!
//! Multi actions run under a business user: tokens without a user (client
//! credentials) are refused with 401. The steps run in the engine
//! (`engine::multiactions`).
//!
//! Refusals come in SAC's message format (`{"messages":[{code, severity,
//! message}]}`, REST API guide pages 87-89: `80680a8a`, `ff7815c6`,
//! `ad2758ce`) with SAC's nine-digit codes: 599000999 a bad body (400),
//! 596000998 no right to execute (403), 596000996 not found or not readable
//! (404), 597000997 a server error (500). A 401 is the bare text
//! `Unauthorized` (`80680a8a`).

use crate::api::openapi::tags;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
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

/// A refusal of the Multi Actions API: SAC's message format, or one of the
/// shared refusals (invalid token, CSRF) in their own shapes.
pub enum Refusal {
    Message {
        status: StatusCode,
        code: &'static str,
        message: String,
        details: Option<Value>,
    },
    /// 401 `Unauthorized` (`80680a8a`), with a challenge that says why.
    NoUser,
    Shared(ApiError),
}

/// 599000999: the body is not what the API takes (`80680a8a`).
pub const BAD_BODY: &str = "599000999";
/// 596000998: the user may not execute the multi action (`80680a8a`).
pub const NOT_AUTHORIZED: &str = "596000998";
/// 596000996: no such resource, or the user may not read it (`80680a8a`, `ff7815c6`).
pub const NOT_FOUND: &str = "596000996";
/// 597000997: a server error (`80680a8a`, `ff7815c6`).
pub const SERVER_ERROR: &str = "597000997";

impl Refusal {
    fn bad_body(message: impl Into<String>, details: Option<Value>) -> Self {
        Refusal::Message { status: StatusCode::BAD_REQUEST, code: BAD_BODY, message: message.into(), details }
    }

    fn not_found() -> Self {
        Refusal::Message {
            status: StatusCode::NOT_FOUND,
            code: NOT_FOUND,
            message: "The resource does not exist or you do not have permission to read it.".into(),
            details: None,
        }
    }

    fn not_authorized(id: &str) -> Self {
        Refusal::Message {
            status: StatusCode::FORBIDDEN,
            code: NOT_AUTHORIZED,
            message: format!("You are not authorized to execute MULTIACTIONS {id}"),
            details: None,
        }
    }
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        match error {
            // Logged where it was made; the caller sees SAC's generic 500.
            ApiError::Internal => Refusal::Message {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: SERVER_ERROR,
                message: "Internal server error".into(),
                details: None,
            },
            other => Refusal::Shared(other),
        }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(error: crate::store::StoreError) -> Self {
        Refusal::from(ApiError::from(error))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Message { status, code, message, details } => {
                let mut entry = json!({"code": code, "severity": "error", "message": message});
                if let Some(details) = details {
                    entry["details"] = details;
                }
                (status, Json(json!({"messages": [entry]}))).into_response()
            }
            Refusal::NoUser => {
                let mut response = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
                let challenge = "Bearer error=\"insufficient_scope\", error_description=\"multi actions run under a \
                                 business user; a client credentials token has none\"";
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                response
            }
            Refusal::Shared(error) => error.into_response(),
        }
    }
}

/// The SAC user a multi action request runs as, or SAC's refusal: 401 for a
/// token without a user, `refused` for a user SAC does not have.
fn business_user(state: &AppState, caller: &Caller, refused: impl Fn() -> Refusal) -> Result<(String, Role), Refusal> {
    let principal = caller.service()?;
    let Some(user) = principal.user else {
        return Err(Refusal::NoUser);
    };
    let tenant = state.tenant();
    match tenant.user(&user) {
        Some(u) if u.in_tenant => Ok((u.id.clone(), u.role)),
        _ => Err(refused()),
    }
}

fn find<'t>(tenant: &'t Tenant, id: &str) -> Result<&'t MultiActionDef, Refusal> {
    tenant.strip_package(id).and_then(|bare| tenant.multi_action(bare)).ok_or_else(Refusal::not_found)
}

/// SAC's text for 599000999 (`80680a8a`).
const INVALID_BODY: &str = "Invalid request. Please provide a valid request body.";

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
        (status = 400, description = "599000999: a body without parameterValues, or a parameter the multi action does not take", content_type = "application/json"),
        (status = 401, description = "No valid bearer token, or a token without a business user (`Unauthorized`)"),
        (status = 403, description = "596000998: the user may not execute it; or a browser-domain write without CSRF token", content_type = "application/json"),
        (status = 404, description = "596000996: no such multi action", content_type = "application/json"),
        (status = 500, description = "597000997: a server error", content_type = "application/json"),
    ),
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let (user, role) = business_user(&state, &caller, || Refusal::not_authorized(&id))?;
    let tenant = state.tenant();
    let ma = find(&tenant, &id)?;
    if role == Role::Viewer {
        return Err(Refusal::not_authorized(&id));
    }
    // Every fault of the body is 599000999 with SAC's text (`80680a8a`); the
    // parameter concerned, when there is one, in `details` (**assumption**).
    let parameter_detail = |p: &str| Some(json!([{"parameterId": p}]));
    let request: Value = serde_json::from_slice(&body).map_err(|_| Refusal::bad_body(INVALID_BODY, None))?;
    let Some(values) = request.get("parameterValues").and_then(Value::as_array) else {
        return Err(Refusal::bad_body(INVALID_BODY, None));
    };
    let mut chosen = serde_json::Map::new();
    for value in values {
        let Some(parameter) = value.get("parameterId").and_then(Value::as_str) else {
            return Err(Refusal::bad_body(INVALID_BODY, None));
        };
        if !ma.parameters.iter().any(|p| p.id == parameter) {
            return Err(Refusal::bad_body(INVALID_BODY, parameter_detail(parameter)));
        }
        let Some(member) = value.get("value").and_then(member_of) else {
            return Err(Refusal::bad_body(INVALID_BODY, parameter_detail(parameter)));
        };
        chosen.insert(parameter.to_string(), Value::String(member));
    }
    if let Some(missing) = ma.parameters.iter().find(|p| !chosen.contains_key(&p.id)) {
        // The wording SAP support quotes for this case (KBA 3407120).
        let text = format!("No value was provided for the parameter {}", missing.id);
        return Err(Refusal::bad_body(text, parameter_detail(&missing.id)));
    }
    let execution = new_execution(&state, &tenant, ma, user, chosen);
    let engine = state.engine_handle();
    let execution = crate::api::state::blocking(move || engine.start_execution(execution)).await?;
    let href = format!("/api/v1/multiActions/{}/executions/{}", tenant.object_name(&ma.id), execution.execution_id);
    let started = ExecutionStarted {
        execution_id: execution.execution_id,
        // SAP's answer is the id and the link (`80680a8a`), no status.
        status: None,
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
        (status = 401, description = "No valid bearer token, or a token without a business user (`Unauthorized`)"),
        (status = 404, description = "596000996: no such multi action or execution, or a user SAC does not have", content_type = "application/json"),
        (status = 500, description = "597000997: a server error", content_type = "application/json"),
    ),
)]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, execution_id)): Path<(String, String)>,
) -> Result<Json<ExecutionStatus>, Refusal> {
    // Page ff7815c6 lists no 403 for a status read: a user SAC does not have
    // cannot read it, so 596000996 (**assumption**).
    business_user(&state, &caller, Refusal::not_found)?;
    let tenant = state.tenant();
    let ma = find(&tenant, &id)?;
    let engine = state.engine_handle();
    let execution = match crate::api::state::blocking(move || engine.read_execution(&execution_id)).await? {
        Some(e) if e.multi_action == ma.id => e,
        _ => return Err(Refusal::not_found()),
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
