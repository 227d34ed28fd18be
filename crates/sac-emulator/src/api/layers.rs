//! The request log and the injected faults, as middleware (their data
//! lives in `faults` and `requests`). `mod.rs` layers them on the groups of
//! routes they apply to: faults on SAC's services (never on the emulator's
//! own surface), the log on everything but its own readers and the console
//! (whose live pages poll).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::{DropConnection, Expire, FaultSpec};
use super::requests::{cookie_names, mask_authorization, mask_csrf, mask_query, RequestRecord};
use super::state::{AppState, REQUEST_LOG_CAPACITY};
use crate::auth;
use crate::clock::{now_ms, now_secs, utc_timestamp};
use crate::Domain;

/// Takes one firing of the first fault matching the request, if any.
fn take_matching(state: &AppState, method: &str, path: &str) -> Option<FaultSpec> {
    let mut faults = state.faults();
    let index = faults.iter().position(|f| f.remaining > 0 && f.spec.matches(method, path))?;
    faults[index].remaining -= 1;
    let spec = faults[index].spec.clone();
    if faults[index].remaining == 0 {
        faults.remove(index);
    }
    Some(spec)
}

/// Middleware applying the faults in force to the requests it sees.
pub async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let target = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.clone(),
    };
    let Some(fault) = take_matching(&state, request.method().as_str(), &target) else {
        return next.run(request).await;
    };
    tracing::info!(path, method = %request.method(), ?fault, "injecting fault");
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.drop {
        let mut response = Response::new(Body::empty());
        response.extensions_mut().insert(DropConnection);
        return response;
    }
    if let Some(status) = fault.status {
        return fault_response(&fault, status);
    }
    match fault.expire {
        Some(Expire::Csrf) => {
            if let Some(session) = auth::session_cookie(request.headers()) {
                // The session gets a new token the client does not know yet.
                let fresh = crate::secrets::random_token(24);
                let _ = state.store().set_session_csrf(&crate::secrets::digest(&session), Some(&fresh));
            }
        }
        Some(Expire::Token) => {
            if let Some(token) = auth::bearer(request.headers()) {
                let _ = state.store().expire_token(&crate::secrets::digest(&token), now_secs() - 1);
            }
        }
        None => {}
    }
    let mut response = next.run(request).await;
    if fault.drop_response {
        response.extensions_mut().insert(DropConnection);
    }
    response
}

fn fault_response(fault: &FaultSpec, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = fault.body.clone().unwrap_or_else(|| {
        let reason = status.canonical_reason().unwrap_or("Error");
        serde_json::to_string(&sac_types::error::ApiErrorBody::new(status.as_u16().to_string(), reason))
            .expect("error bodies serialize")
    });
    let mut response = (status, body).into_response();
    let content_type = if fault.body.as_deref().is_some_and(|b| b.trim_start().starts_with('<')) {
        "text/html; charset=utf-8"
    } else {
        "application/json"
    };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(secs) = fault.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Middleware recording the requests it sees in the request log.
pub async fn record(State((state, domain)): State<(AppState, Domain)>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let now = now_ms();
    let mut record = RequestRecord {
        time: utc_timestamp(now),
        at_ms: now,
        domain,
        method: request.method().to_string(),
        query: mask_query(request.uri().query().unwrap_or("")),
        path,
        status: 0,
        duration_ms: 0,
        authorization: mask_authorization(request.headers()),
        csrf: mask_csrf(request.headers()),
        cookies: cookie_names(request.headers()),
    };
    let response = next.run(request).await;
    // A dropped connection answered nothing: status 0.
    let dropped = response.extensions().get::<crate::api::faults::DropConnection>().is_some();
    record.status = if dropped { 0 } else { response.status().as_u16() };
    record.duration_ms = started.elapsed().as_millis() as u64;
    tracing::debug!(method = %record.method, path = %record.path, status = record.status, "request");
    let mut log = state.requests();
    if log.len() == REQUEST_LOG_CAPACITY {
        log.pop_front();
    }
    log.push_back(record);
    response
}
