//! The Multi Actions API: `POST /api/v1/multiActions/{package}:{id}/executions`
//! and `GET .../executions/{executionId}` (SAP help: "Multi Actions API").
//!
//! Multi actions run under a business user: tokens without a user (client
//! credentials) are refused with 401. Steps really run: a data-import step
//! runs its schedule (a run shows in the schedule's logs), a copy step copies
//! one version of a model into the version a parameter names. A step that
//! fails after an earlier one committed ends the execution as `warning`
//! (successful with warning), a failing first step as `failed`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sac_types::multiaction::{ExecutionResult, ExecutionStarted, ExecutionStatus, Link, MultiActionStatus};
use serde_json::{json, Value};

use crate::auth::api_principal;
use crate::responses::{api_error, internal};
use crate::secrets::random_id;
use crate::state::{now_ms, AppState, ClockMode};
use crate::store::{MaExecutionRecord, StoreResult};
use crate::tenant::{MultiActionDef, MultiActionStep, Role, Tenant};
use crate::Domain;

/// The SAC user a multi action request runs as, or SAC's refusal.
fn business_user(state: &AppState, domain: Domain, headers: &HeaderMap) -> Result<(String, Role), Response> {
    let principal = api_principal(state, domain, headers)?;
    let Some(user) = principal.user else {
        let mut response = api_error(
            StatusCode::UNAUTHORIZED,
            "401",
            "Multi actions run under a business user: use a token from the authorization code or SAML bearer grant \
             (client credentials tokens are not accepted)",
        );
        response
            .headers_mut()
            .insert("www-authenticate", "Bearer error=\"insufficient_scope\"".parse().expect("ASCII"));
        return Err(response);
    };
    let tenant = state.tenant();
    match tenant.user(&user) {
        Some(u) if u.in_tenant => Ok((u.id.clone(), u.role)),
        _ => Err(api_error(
            StatusCode::FORBIDDEN,
            "403",
            &format!("User {user} does not exist in tenant {}", tenant.letter),
        )),
    }
}

fn find<'t>(tenant: &'t Tenant, id: &str) -> Result<&'t MultiActionDef, Response> {
    tenant.strip_package(id).and_then(|bare| tenant.multi_action(bare)).ok_or_else(|| {
        api_error(
            StatusCode::NOT_FOUND,
            "404",
            &format!("The multi action {id} does not exist or you are not authorized to access it (use the id t.<TENANT>:<ID>)"),
        )
    })
}

fn message(code: &str, severity: &str, text: String, details: Value) -> Value {
    json!({"code": code, "severity": severity, "message": text, "details": details})
}

fn bad_request(text: &str) -> Response {
    api_error(StatusCode::BAD_REQUEST, "400", text)
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
pub async fn start(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (user, role) = match business_user(&state, domain, &headers) {
        Ok(u) => u,
        Err(refusal) => return refusal,
    };
    let tenant = state.tenant();
    let ma = match find(&tenant, &id) {
        Ok(ma) => ma,
        Err(r) => return r,
    };
    if role == Role::Viewer {
        return api_error(
            StatusCode::FORBIDDEN,
            "403",
            &format!("User {user} is not authorized to execute the multi action {id}"),
        );
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&format!("Invalid request body: {e}")),
    };
    let Some(values) = request.get("parameterValues").and_then(Value::as_array) else {
        return bad_request(
            "The request body must contain parameterValues (an empty list when there are no parameters)",
        );
    };
    let mut chosen = serde_json::Map::new();
    for value in values {
        let Some(parameter) = value.get("parameterId").and_then(Value::as_str) else {
            return bad_request("Every parameter value needs a parameterId");
        };
        if !ma.parameters.iter().any(|p| p.id == parameter) {
            return bad_request(&format!("The multi action {id} has no parameter {parameter}"));
        }
        let Some(member) = value.get("value").and_then(member_of) else {
            return bad_request(&format!(
                "The value of parameter {parameter} must be {{\"memberIds\":[\"<member>\"],\"hierarchyId\":null}}"
            ));
        };
        chosen.insert(parameter.to_string(), Value::String(member));
    }
    if let Some(missing) = ma.parameters.iter().find(|p| !chosen.contains_key(&p.id)) {
        return bad_request(&format!("No value was provided for the parameter {}", missing.id));
    }
    let now = now_ms();
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
    let result = match invalid {
        Some((parameter, member)) => {
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
            state.store().insert_ma_execution(&execution)
        }
        None => state.store().insert_ma_execution(&execution).and_then(|()| {
            if state.clock() == ClockMode::Immediate {
                finish(&state, &mut execution)
            } else {
                Ok(())
            }
        }),
    };
    if let Err(e) = result {
        return internal(e);
    }
    let href = format!("/api/v1/multiActions/{}/executions/{}", tenant.object_name(&ma.id), execution.execution_id);
    let started = ExecutionStarted {
        execution_id: execution.execution_id,
        status: Some(MultiActionStatus::from(execution.status)),
        links: vec![Link { rel: "STATUS".into(), href }],
    };
    (StatusCode::ACCEPTED, Json(started)).into_response()
}

/// `GET /api/v1/multiActions/{id}/executions/{executionId}`
pub async fn status(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path((id, execution_id)): Path<(String, String)>,
) -> Response {
    if let Err(refusal) = business_user(&state, domain, &headers) {
        return refusal;
    }
    let tenant = state.tenant();
    let ma = match find(&tenant, &id) {
        Ok(ma) => ma,
        Err(r) => return r,
    };
    let execution = match state.store().ma_execution(&execution_id) {
        Ok(Some(e)) if e.multi_action == ma.id => e,
        Ok(_) => {
            return api_error(
                StatusCode::NOT_FOUND,
                "404",
                &format!("The multi action {id} has no execution {execution_id}"),
            )
        }
        Err(e) => return internal(e),
    };
    let execution = match note_read(&state, execution) {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let body = ExecutionStatus {
        execution_id: execution.execution_id,
        status: MultiActionStatus::from(execution.status),
        utc_start_date: Some(execution.start_time),
        utc_end_date: execution.end_time,
        execution_result: ExecutionResult { messages: serde_json::from_str(&execution.messages).unwrap_or_default() },
    };
    Json(body).into_response()
}

/// A status read: advances poll-counted executions.
fn note_read(state: &AppState, mut execution: MaExecutionRecord) -> StoreResult<MaExecutionRecord> {
    advance(state)?;
    if let Some(fresh) = state.store().ma_execution(&execution.execution_id)? {
        execution = fresh;
    }
    if execution.status == "running" {
        match execution.polls_left {
            Some(0) => finish(state, &mut execution)?,
            Some(n) => {
                execution.polls_left = Some(n - 1);
                state.store().update_ma_execution(&execution)?;
            }
            None => {}
        }
    }
    Ok(execution)
}

/// Finishes executions whose time has come.
pub fn advance(state: &AppState) -> StoreResult<()> {
    let now = now_ms();
    for mut execution in state.store().running_ma_executions()? {
        if execution.due_at_ms.is_some_and(|due| due <= now) {
            finish(state, &mut execution)?;
        }
    }
    Ok(())
}

/// Finishes running executions: the one named, or all. Returns how many.
pub fn release(state: &AppState, execution_id: Option<&str>) -> StoreResult<usize> {
    let mut released = 0;
    for mut execution in state.store().running_ma_executions()? {
        if execution_id.is_none_or(|id| id == execution.execution_id) {
            finish(state, &mut execution)?;
            released += 1;
        }
    }
    Ok(released)
}

/// Runs the steps in order and records the outcome.
fn finish(state: &AppState, execution: &mut MaExecutionRecord) -> StoreResult<()> {
    let tenant = state.tenant();
    let parameters: serde_json::Map<String, Value> = serde_json::from_str(&execution.parameters).unwrap_or_default();
    let mut messages = Vec::new();
    let mut committed = 0usize;
    let mut failed = false;
    let steps = tenant.multi_action(&execution.multi_action).map(|m| m.steps.clone()).unwrap_or_default();
    for (index, step) in steps.iter().enumerate() {
        let number = index + 1;
        let outcome = match step {
            MultiActionStep::DataImport { schedule_id } => match tenant.schedule(schedule_id) {
                Some(schedule) => crate::engine::run_now(state, schedule, &execution.user).map(|run| {
                    let rows = run.inserted_count;
                    match run.message {
                        Some(why) if run.status == sac_types::legacy::RunStatus::Failed.code() => Err(why),
                        _ => Ok(format!("Data import {schedule_id} imported {rows} rows (run {})", run.execution_id)),
                    }
                })?,
                None => Err(format!("The data import {schedule_id} does not exist")),
            },
            MultiActionStep::CopyVersion { model, from, to_parameter } => {
                let to = parameters.get(to_parameter).and_then(Value::as_str).unwrap_or_default().to_string();
                match (crate::engine::take_data_action_failure(state), tenant.model(model)) {
                    (Some(why), _) => Err(why),
                    (None, Some(def)) => crate::planning::copy_version(state, def, from, &to)
                        .map(|n| Ok(format!("Data action copied {n} rows of {model} from {from} to {to}")))?,
                    (None, None) => Err(format!("The model {model} does not exist")),
                }
            }
        };
        match outcome {
            Ok(text) => {
                committed += 1;
                messages.push(message("0", "info", format!("Step {number}: {text}"), json!([])));
            }
            Err(why) => {
                failed = true;
                messages.push(message("502004003", "error", format!("Step {number} failed: {why}"), json!([])));
                break;
            }
        }
    }
    execution.status = match (failed, committed) {
        (false, _) => "successful",
        (true, 0) => "failed",
        (true, _) => "warning",
    }
    .into();
    execution.end_time = Some(utc_millis(now_ms()));
    execution.messages = Value::Array(messages).to_string();
    execution.due_at_ms = None;
    execution.polls_left = None;
    state.store().update_ma_execution(execution)
}

/// `2023-07-12T10:08:28.000Z`, as the Multi Actions API writes times.
fn utc_millis(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
