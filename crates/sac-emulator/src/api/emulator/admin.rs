//! The admin API under `/emulator/` (tenant port, no authentication; the
//! emulator binds to loopback): health, reset, tenant loading, the run
//! clock and the emulator's time, counted faults, the request log, stored rows and the demo IdP.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::admin::{self, AdminError, TenantFormat};
use crate::api::emulator::faults::{armed_answer, listing, FaultSpec};
use crate::api::openapi::tags;
use crate::api::responses::internal;
use crate::api::state::AppState;
use crate::clock::{utc_timestamp, ClockMode};
use crate::engine::Fault;
use crate::store::{FactQuery, FactTable};
use crate::tenant::Row;

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.into()}))).into_response()
}

fn not_found(message: impl Into<String>) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": message.into()}))).into_response()
}

/// The admin API's answer to a refused operation.
fn refused(error: AdminError) -> Response {
    match error {
        AdminError::Invalid(why) => bad_request(why),
        AdminError::NotFound(why) => not_found(why),
        AdminError::Store(e) => internal(e),
    }
}

/// Parses a JSON body; an empty body counts as `{}`.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Response> {
    let text = if body.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &body[..] };
    serde_json::from_slice(text).map_err(|e| bad_request(format!("invalid JSON body: {e}")))
}

#[utoipa::path(
    get,
    path = "/emulator/health",
    tag = tags::ADMIN,
    responses(
        (status = 200, description = "The emulator is up: tenant letter, clock mode and URLs", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn health(State(state): State<AppState>) -> Response {
    let tenant = state.tenant();
    Json(json!({"status": "ok", "tenant": tenant.letter, "clock": state.clock(), "urls": state.urls()})).into_response()
}

#[utoipa::path(
    post,
    path = "/emulator/reset",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "Back to the seeded tenant, with no runs, jobs or sessions", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn reset(State(state): State<AppState>) -> Response {
    match admin::reset(&state, state.engine()) {
        Ok(letter) => Json(json!({"status": "reset", "tenant": letter})).into_response(),
        Err(e) => refused(e),
    }
}

/// `POST /emulator/shutdown`: stops the emulator as SIGTERM does (open
/// requests finish, the store is released), for hosts without signals.
#[utoipa::path(
    post,
    path = "/emulator/shutdown",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 202, description = "The emulator stops once open requests have finished", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn shutdown(State(state): State<AppState>) -> Response {
    state.request_shutdown();
    (axum::http::StatusCode::ACCEPTED, Json(json!({"status": "stopping"}))).into_response()
}

/// `GET /emulator/tenant`: the tenant in force, secrets masked.
#[utoipa::path(
    get,
    path = "/emulator/tenant",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "The tenant in force, secrets masked", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn get_tenant(State(state): State<AppState>) -> Response {
    Json(admin::tenant(state.engine())).into_response()
}

/// `POST /emulator/tenant`: loads a tenant (`application/toml` or
/// `application/json`, which the admin guard has checked) and makes it what
/// a reset goes back to.
#[utoipa::path(
    post,
    path = "/emulator/tenant",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(
        description = "A tenant definition (docs/emulator.md)",
        content((serde_json::Value = "application/json"), (String = "application/toml")),
    ),
    responses(
        (status = 200, description = "Loaded; a reset goes back to it", content_type = "application/json"),
        (status = 400, description = "Not a valid tenant", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn load_tenant(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_toml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/toml"));
    let format = if is_toml { TenantFormat::Toml } else { TenantFormat::Json };
    match admin::load_tenant(&state, state.engine(), &body, format) {
        Ok(letter) => Json(json!({"status": "loaded", "tenant": letter})).into_response(),
        Err(e) => refused(e),
    }
}

#[utoipa::path(
    post,
    path = "/emulator/clock",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(content = ClockMode, content_type = "application/json"),
    responses(
        (status = 200, description = "The clock mode in force", content_type = "application/json"),
        (status = 400, description = "The body is not what the operation takes", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn set_clock(State(state): State<AppState>, body: Bytes) -> Response {
    let mode: ClockMode = match parse(&body) {
        Ok(m) => m,
        Err(r) => return r,
    };
    match admin::set_clock(state.engine(), mode) {
        Ok(mode) => Json(json!({"clock": mode})).into_response(),
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Advance {
    /// How far to move the emulator's time forward: 1 to 10 years' worth of seconds.
    seconds: i64,
}

#[utoipa::path(
    post,
    path = "/emulator/clock/advance",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(content = Advance, content_type = "application/json"),
    responses(
        (status = 200, description = "The emulator's time now (`now`, UTC) and how far it is ahead of wall time (`offset_seconds`): tokens, sessions and timed runs have aged by that much", content_type = "application/json"),
        (status = 400, description = "`seconds` is missing, not a whole number, not positive or more than ten years", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn advance_clock(State(state): State<AppState>, body: Bytes) -> Response {
    let request: Advance = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let engine = state.engine_handle();
    match crate::api::blocking(move || admin::advance_clock(&engine, request.seconds)).await {
        Ok(time) => {
            Json(json!({"now": utc_timestamp(time.now_ms), "offset_seconds": time.offset_secs})).into_response()
        }
        Err(e) => refused(e),
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Release {
    #[serde(default)]
    id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/emulator/clock/release",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(content = Release, content_type = "application/json", description = "The run to release; all pinned runs when `id` is absent"),
    responses(
        (status = 200, description = "How many runs were released", content_type = "application/json"),
        (status = 400, description = "The body is not what the operation takes", content_type = "application/json"),
        (status = 404, description = "No running run has that execution id", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn release(State(state): State<AppState>, body: Bytes) -> Response {
    let request: Release = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let engine = state.engine_handle();
    match crate::api::blocking(move || admin::release(&engine, request.id.as_deref())).await {
        Ok(released) => Json(json!({"released": released})).into_response(),
        Err(e) => refused(e),
    }
}

#[utoipa::path(
    post,
    path = "/emulator/faults",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(content = FaultSpec, content_type = "application/json"),
    responses(
        (status = 201, description = "The fault is in force", content_type = "application/json"),
        (status = 400, description = "The body is not what the operation takes", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn add_fault(State(state): State<AppState>, body: Bytes) -> Response {
    let spec: FaultSpec = match parse(&body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match Fault::try_from(spec) {
        Ok(fault) => {
            let answer = armed_answer(&fault);
            admin::arm_fault(state.engine(), fault);
            (StatusCode::CREATED, Json(answer)).into_response()
        }
        Err(why) => bad_request(why),
    }
}

#[utoipa::path(
    get,
    path = "/emulator/faults",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "The faults in force, of every kind: request faults under `faults`, the engine's under `engine_faults`, each as posted with `kind` and `remaining`", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn list_faults(State(state): State<AppState>) -> Response {
    Json(listing(&admin::faults(state.engine()))).into_response()
}

#[utoipa::path(
    delete,
    path = "/emulator/faults",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 204, description = "No fault of any kind is in force any more"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn clear_faults(State(state): State<AppState>) -> Response {
    admin::clear_faults(state.engine());
    StatusCode::NO_CONTENT.into_response()
}

#[utoipa::path(
    get,
    path = "/emulator/requests",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "The request log, newest last, secrets masked", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn list_requests(State(state): State<AppState>) -> Response {
    let log: Vec<_> = state.requests().iter().cloned().collect();
    Json(json!({"requests": log})).into_response()
}

#[utoipa::path(
    delete,
    path = "/emulator/requests",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 204, description = "The request log is empty"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn clear_requests(State(state): State<AppState>) -> Response {
    state.requests().clear();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /emulator/models/{id}/rows?offset=0&limit=1000[&Version=public.Plan...]`:
/// the stored members of a dimension (ordered by key) or the fact rows of a
/// planning model (ordered by their dimension values, filtered by any
/// `column=value` given), by `t.G:ID` or bare id.
#[utoipa::path(
    get,
    path = "/emulator/models/{id}/rows",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    params(
        ("id" = String, Path, description = "A model or dimension, `t.G:ID` or bare `ID`"),
        ("offset" = Option<i64>, Query, description = "Rows to skip (default 0)"),
        ("limit" = Option<i64>, Query, description = "Rows to return (default 1000)"),
    ),
    responses(
        (status = 200, description = "Stored rows, ordered; any other query parameter `column=value` filters fact rows, and `total` counts the rows that filter selects", content_type = "application/json"),
        (status = 400, description = "offset or limit is not a whole number", content_type = "application/json"),
        (status = 404, description = "No such model or dimension", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn model_rows(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let tenant = state.tenant();
    let bare = tenant.strip_package(&id).unwrap_or(&id).to_string();
    let is_model = tenant.model(&bare).is_some();
    if !is_model && tenant.dimension(&bare).is_none() {
        return not_found(format!("no model or dimension {id} in tenant {}", tenant.letter));
    }
    let number = |name: &str, default: i64| q.get(name).map(|v| v.parse::<i64>()).unwrap_or(Ok(default));
    let (Ok(offset), Ok(limit)) = (number("offset", 0), number("limit", 1000)) else {
        return bad_request("offset and limit must be whole numbers");
    };
    let (offset, limit) = (offset.max(0), limit.clamp(0, 1_000_000));
    if let Err(e) = state.engine().tick() {
        return internal(e);
    }
    let result = state.store().read(|r| match tenant.model(&bare) {
        Some(model) => {
            let table = FactTable::of(model);
            let filter: Vec<(String, String)> = q
                .iter()
                .filter(|(k, _)| *k != "offset" && *k != "limit")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let query = FactQuery { conditions: &filter, offset, limit, ..Default::default() };
            let rows = r.facts(&table, &query)?.iter().map(|f| f.to_row(&table)).collect();
            // `total` counts the rows the filter selects, not the whole table.
            Ok((r.fact_count_where(&table, &filter)?, rows))
        }
        None => Ok((r.member_count(&bare)?, r.members(&bare, offset, limit)?)),
    });
    match result {
        Ok((total, rows)) => {
            Json(json!({"model": tenant.object_name(&bare), "total": total, "offset": offset, "rows": rows}))
                .into_response()
        }
        Err(e) => internal(e),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SourceRows {
    rows: Vec<Row>,
    /// Replace the object's rows instead of appending.
    #[serde(default)]
    replace: bool,
}

/// `POST /emulator/sources/{source}/{object}/rows`: changes what a source
/// object holds (to make a run reject rows, say).
#[utoipa::path(
    post,
    path = "/emulator/sources/{source}/{object}/rows",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    params(
        ("source" = String, Path, description = "A source system of the tenant"),
        ("object" = String, Path, description = "An object of that source"),
    ),
    request_body(content = SourceRows, content_type = "application/json"),
    responses(
        (status = 200, description = "How many rows the object holds now", content_type = "application/json"),
        (status = 400, description = "Not valid rows for that object", content_type = "application/json"),
        (status = 404, description = "No such source object", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn source_rows(
    State(state): State<AppState>,
    Path((source, object)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let request: SourceRows = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let tenant = state.tenant();
    let Some(def) = tenant.source_object(&source, &object) else {
        return not_found(format!("no source object {source}/{object}"));
    };
    if let Some(bad) = request.rows.iter().flat_map(|r| r.keys()).find(|k| !def.fields.contains(k)) {
        return bad_request(format!("{source}/{object} has no field {bad} (fields: {})", def.fields.join(", ")));
    }
    let written = state.store().write(|w| {
        if request.replace {
            w.replace_source_rows(&source, &object, &request.rows)?;
        } else {
            w.append_source_rows(&source, &object, &request.rows)?;
        }
        w.source_rows(&source, &object)
    });
    match written {
        Ok(rows) => Json(json!({"source": source, "object": object, "rows": rows.len()})).into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AssertionRequest {
    user: String,
    #[serde(default = "default_assertion_secs")]
    lifetime_secs: i64,
}

fn default_assertion_secs() -> i64 {
    300
}

/// The longest lifetime (either way) an assertion may be issued with: a year.
const MAX_ASSERTION_SECS: i64 = 366 * 86_400;

/// `POST /emulator/idp/assertion`: the demo IdP signs an assertion for a user.
#[utoipa::path(
    post,
    path = "/emulator/idp/assertion",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    request_body(content = AssertionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "A signed SAML assertion for the SAML bearer grant, base64 and XML", content_type = "application/json"),
        (status = 400, description = "The body is not what the operation takes", content_type = "application/json"),
        (status = 404, description = "The identity provider knows no such user", content_type = "application/json"),
        (status = 403, description = "Origin names another site", content_type = "application/json"),
        (status = 415, description = "The body is not JSON", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn idp_assertion(State(state): State<AppState>, body: Bytes) -> Response {
    let request: AssertionRequest = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !(-MAX_ASSERTION_SECS..=MAX_ASSERTION_SECS).contains(&request.lifetime_secs) {
        return bad_request(format!(
            "lifetime_secs must be between -{MAX_ASSERTION_SECS} and {MAX_ASSERTION_SECS} (a year; negative for an \
             assertion that has already expired), not {}",
            request.lifetime_secs
        ));
    }
    let tenant = state.tenant();
    if tenant.user(&request.user).is_none() {
        return not_found(format!("the identity provider knows no user {}", request.user));
    }
    let recipient = state.urls().map(|u| u.token_url.clone()).unwrap_or_default();
    let now = state.store().clock().now_utc();
    let xml =
        crate::auth::saml::issue(&state.keys().idp, &tenant, &request.user, request.lifetime_secs, &recipient, now);
    Json(json!({"assertion": STANDARD.encode(&xml), "xml": xml})).into_response()
}

#[utoipa::path(
    get,
    path = "/emulator/idp/metadata",
    tag = tags::ADMIN,
    security((), ("adminToken" = [])),
    responses(
        (status = 200, description = "The demo identity provider: entity id, audience, signature method, public key", content_type = "application/json"),
        (status = 421, description = "The Host does not name the emulator", content_type = "application/json"),
    ),
)]
pub async fn idp_metadata(State(state): State<AppState>) -> Response {
    let tenant = state.tenant();
    Json(json!({
        "entity_id": tenant.idp_entity_id,
        "audience": tenant.sp_entity_id,
        "signature_method": crate::auth::saml::SIGNATURE_METHOD,
        "public_key": crate::auth::saml::public_key(&state.keys().idp),
    }))
    .into_response()
}

/// The admin API's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        health,
        reset,
        get_tenant,
        load_tenant,
        set_clock,
        advance_clock,
        release,
        add_fault,
        list_faults,
        clear_faults,
        list_requests,
        clear_requests,
        model_rows,
        source_rows,
        idp_assertion,
        idp_metadata
    ),
    components(schemas(
        ClockMode,
        Advance,
        Release,
        FaultSpec,
        crate::api::emulator::faults::Expire,
        SourceRows,
        AssertionRequest
    ))
)]
pub(crate) struct Doc;
