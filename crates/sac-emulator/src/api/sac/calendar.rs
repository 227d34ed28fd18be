//! The Calendar API (SAP help "api/v1/calendar", page hash 11cb2108):
//! `GET /api/v1/calendar/events/{eventId}` (edcc5a16), `PATCH` of its status
//! (9afa17f5, with SAP's table of status changes) and `POST
//! /api/v1/calendar/events`, a copy of an event with its tasks (93a8101e).
//! The events move in the engine (`engine::calendar`).
//!
//! Who may call it (14de88fd, 11cb2108): a two-legged token (client
//! credentials, SAML bearer) only when its client is an API Access client
//! with the Calendar Service in its access list, else 3401 as the other
//! public APIs answer; a business user's token (authorization code; the
//! emulator's password grant counts as one) for the events the user owns
//! or is assigned to. Only events whose owner allowed external API access
//! are served; others are "not found". Errors have SAP's documented shape
//! `{"error":{"code","message","details"}}`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::auth::{check_bearer, TokenCheck};
use crate::engine::calendar::{CalendarError, EventView, Requested};
use crate::store::CalendarEventRecord;
use crate::tenant::calendar::CALENDAR_SERVICE;

/// A refusal of the Calendar API: SAP's error shape, or one the callers'
/// checks share with the other services (401, the login page, 3401, 500).
pub enum Refusal {
    Shared(ApiError),
    Calendar { status: StatusCode, message: String },
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Shared(e)
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Refusal::Shared(e.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Shared(e) => e.into_response(),
            Refusal::Calendar { status, message } => {
                let body = json!({"error": {"code": status.as_u16().to_string(), "message": message, "details": []}});
                (status, Json(body)).into_response()
            }
        }
    }
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::Calendar { status: StatusCode::BAD_REQUEST, message: message.into() }
}

fn not_found(id: &str) -> Refusal {
    Refusal::Calendar {
        status: StatusCode::NOT_FOUND,
        message: format!(
            "The calendar event {id} does not exist, is not open for external API access, or you may not see it"
        ),
    }
}

/// Who calls: a technical client (the Calendar Service's administrator
/// scenario) or a business user.
enum Access {
    Technical,
    User(String),
}

fn not_allowed() -> Refusal {
    Refusal::Shared(ApiError::api(
        StatusCode::BAD_REQUEST,
        "3401",
        "OAuth Client is not allowed to interact with API [3401]: add the Calendar Service to the client's Access list",
    ))
}

fn access(state: &AppState, caller: &Caller) -> Result<Access, Refusal> {
    let principal = caller.service()?;
    let tenant = state.tenant();
    let two_legged = match check_bearer(state.store(), &caller.headers)? {
        TokenCheck::Valid(t) => t.user.is_none() || t.grant_type == "saml2_bearer",
        _ => false,
    };
    if two_legged {
        let client = principal.client_id.as_deref().and_then(|id| tenant.client(id));
        if !client.is_some_and(|c| c.may_access(CALENDAR_SERVICE)) {
            return Err(not_allowed());
        }
    }
    match principal.user {
        None => Ok(Access::Technical),
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant => Ok(Access::User(u.id.clone())),
            _ => Err(Refusal::Shared(ApiError::api(
                StatusCode::FORBIDDEN,
                "403",
                format!("User {user} does not exist in tenant {}", tenant.letter),
            ))),
        },
    }
}

/// True when `access` may see `event`: it allows external API access, and
/// a user owns it or is assigned to it (or to its process).
fn visible(state: &AppState, access: &Access, event: &CalendarEventRecord) -> Result<bool, Refusal> {
    if !event.spec.allow_external_api_access {
        return Ok(false);
    }
    let Access::User(user) = access else { return Ok(true) };
    let involved = |e: &CalendarEventRecord| {
        e.spec.owner.eq_ignore_ascii_case(user) || e.spec.assignees.iter().any(|a| a.eq_ignore_ascii_case(user))
    };
    if involved(event) {
        return Ok(true);
    }
    let parent = match &event.spec.parent {
        Some(p) => state.store().read(|r| r.calendar_event(p))?,
        None => None,
    };
    Ok(parent.as_ref().is_some_and(involved))
}

/// An event the caller may see, with its tasks, after the calendar moved
/// (`read`: a client's read, which counts as a status read of its tasks' runs).
async fn visible_event(state: &AppState, access: &Access, id: &str, read: bool) -> Result<EventView, Refusal> {
    let engine = state.engine_handle();
    let wanted = id.to_string();
    let view = crate::api::state::blocking(move || engine.calendar_event(&wanted, read)).await?;
    match view {
        Some(view) if visible(state, access, &view.event)? => Ok(view),
        _ => Err(not_found(id)),
    }
}

/// How far an event is, in percent: a process by its tasks that ended, a
/// task 100 once it ended (an assumption: SAP's sample shows 50).
fn progress(event: &CalendarEventRecord, children: &[CalendarEventRecord]) -> u32 {
    if event.status.is_ended() {
        return 100;
    }
    if children.is_empty() {
        return 0;
    }
    let ended = children.iter().filter(|c| c.status.is_ended()).count();
    (ended * 100 / children.len()) as u32
}

fn link(id: &str) -> Value {
    // SAP's samples (9afa17f5, 93a8101e) link to /api/v1/events/<id>.
    json!([{"rel": "event", "href": format!("/api/v1/events/{id}")}])
}

/// The event as GET answers it: SAP's fields (edcc5a16), then what the
/// emulator adds so that a client can follow a process (assumptions).
fn event_body(state: &AppState, view: &EventView) -> Value {
    let e = &view.event;
    let mut body = json!({
        "id": e.id(),
        "name": e.spec.name,
        "description": e.spec.description,
        "utcStartDate": e.spec.start,
        "utcEndDate": e.spec.end,
        "status": e.status.as_str(),
        "progress": progress(e, &view.children),
        "type": e.spec.kind.as_api(),
        "owner": e.spec.owner,
        "assignees": e.spec.assignees,
        "allowExternalApiAccess": e.spec.allow_external_api_access,
    });
    if let Some(parent) = &e.spec.parent {
        body["parentId"] = json!(parent);
    }
    if let Some(ma) = &e.spec.multi_action {
        body["multiActionId"] = json!(state.tenant().object_name(ma));
    }
    if let Some(execution) = &e.execution_id {
        body["executionId"] = json!(execution);
    }
    if e.spec.kind == crate::tenant::EventKind::Process {
        let children: Vec<Value> = view
            .children
            .iter()
            .filter(|c| c.spec.allow_external_api_access)
            .map(|c| {
                let mut child = json!({
                    "id": c.id(),
                    "name": c.spec.name,
                    "type": c.spec.kind.as_api(),
                    "status": c.status.as_str(),
                    "progress": progress(c, &[]),
                    "utcStartDate": c.spec.start,
                    "utcEndDate": c.spec.end,
                });
                if let Some(execution) = &c.execution_id {
                    child["executionId"] = json!(execution);
                }
                child
            })
            .collect();
        body["childEvents"] = Value::Array(children);
    }
    body
}

fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, Refusal> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(bad_request("The request body must be a JSON object")),
    }
}

fn flag(body: &serde_json::Map<String, Value>, name: &str) -> Result<bool, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(bad_request(format!("{name} must be true or false, not {other}"))),
    }
}

fn engine_refusal(id: &str, e: CalendarError) -> Refusal {
    match e {
        CalendarError::NotFound => not_found(id),
        CalendarError::Refused { from, requested } => bad_request(format!(
            "The calendar event {id} is {}: its status cannot be changed to {} (see the status transitions of the \
             Calendar API)",
            from.as_str(),
            requested.as_str()
        )),
        CalendarError::Store(e) => Refusal::Shared(e.into()),
    }
}

/// `GET /api/v1/calendar/events/{eventId}`
#[utoipa::path(
    get,
    path = "/api/v1/calendar/events/{eventId}",
    tag = tags::CALENDAR,
    security(("bearer" = []), ("session" = [])),
    params(("eventId" = String, Path, description = "The calendar event")),
    responses(
        (status = 200, description = "`{\"event\":{id, name, description, utcStartDate, utcEndDate, status, progress, ...}}`", content_type = "application/json"),
        (status = 400, description = "A two-legged client without the Calendar Service (3401)", content_type = "application/json"),
        (status = 401, description = "No valid bearer token", content_type = "application/json"),
        (status = 404, description = "No such event, or it is not open for external API access", content_type = "application/json"),
    ),
)]
pub async fn get_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(event_id): Path<String>,
) -> Result<Response, Refusal> {
    let access = access(&state, &caller)?;
    let view = visible_event(&state, &access, &event_id, true).await?;
    let response = Json(json!({"event": event_body(&state, &view)})).into_response();
    Ok(caller.attach_csrf(response)?)
}

/// `PATCH /api/v1/calendar/events/{eventId}`
#[utoipa::path(
    patch,
    path = "/api/v1/calendar/events/{eventId}",
    tag = tags::CALENDAR,
    security(("bearer" = [], "csrf" = []), ("session" = [], "csrf" = []), ("bearer" = [])),
    params(("eventId" = String, Path, description = "The calendar event")),
    request_body(description = "`{\"status\":\"open\"|\"onHold\"|\"canceled\",\"notify\":true}`", content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 200, description = "`{\"event\":{id, status},\"links\":[...]}`", content_type = "application/json"),
        (status = 400, description = "A bad body, a change SAP's table does not list, or a client without the Calendar Service (3401)", content_type = "application/json"),
        (status = 401, description = "No valid bearer token", content_type = "application/json"),
        (status = 403, description = "A browser-domain write without CSRF token", content_type = "application/json"),
        (status = 404, description = "No such event, or it is not open for external API access", content_type = "application/json"),
    ),
)]
pub async fn patch_event(
    State(state): State<AppState>,
    caller: Caller,
    Path(event_id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let access = access(&state, &caller)?;
    let body = json_body(&body)?;
    let requested = match body.get("status") {
        Some(Value::String(s)) => Requested::parse(s),
        _ => None,
    }
    .ok_or_else(|| bad_request("status must be one of open, onHold, canceled"))?;
    flag(&body, "notify")?;
    visible_event(&state, &access, &event_id, false).await?;
    let engine = state.engine_handle();
    let id = event_id.clone();
    let changed = crate::api::state::blocking(move || engine.patch_calendar_event(&id, requested)).await;
    let event = changed.map_err(|e| engine_refusal(&event_id, e))?;
    let answer = json!({"event": {"id": event.id(), "status": event.status.as_str()}, "links": link(event.id())});
    Ok(Json(answer).into_response())
}

/// `POST /api/v1/calendar/events`
#[utoipa::path(
    post,
    path = "/api/v1/calendar/events",
    tag = tags::CALENDAR,
    security(("bearer" = [], "csrf" = []), ("session" = [], "csrf" = []), ("bearer" = [])),
    request_body(description = "`{\"referenceEventId\":\"...\",\"autoActivate\":true,\"notify\":false}`", content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 201, description = "The copy: `{\"event\":{id, utcStartDate, utcEndDate},\"links\":[...]}`", content_type = "application/json"),
        (status = 400, description = "A bad body, or a client without the Calendar Service (3401)", content_type = "application/json"),
        (status = 401, description = "No valid bearer token", content_type = "application/json"),
        (status = 403, description = "A browser-domain write without CSRF token", content_type = "application/json"),
        (status = 404, description = "No such reference event, or it is not open for external API access", content_type = "application/json"),
    ),
)]
pub async fn copy_event(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Response, Refusal> {
    let access = access(&state, &caller)?;
    let body = json_body(&body)?;
    let Some(Value::String(reference)) = body.get("referenceEventId") else {
        return Err(bad_request("referenceEventId must name the event to copy"));
    };
    let activate = flag(&body, "autoActivate")?;
    flag(&body, "notify")?;
    visible_event(&state, &access, reference, false).await?;
    let engine = state.engine_handle();
    let id = reference.clone();
    let copied = crate::api::state::blocking(move || engine.copy_calendar_event(&id, activate)).await;
    let copy = copied.map_err(|e| engine_refusal(reference, e))?;
    let answer = json!({
        "event": {"id": copy.id(), "utcStartDate": copy.spec.start, "utcEndDate": copy.spec.end},
        "links": link(copy.id()),
    });
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The Calendar API, which both domains serve.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_event, patch_event)).routes(routes!(copy_event))
}
