//! The request log, as middleware: `api/mod.rs` layers it on every group
//! of routes but the log's own readers and the console (whose live pages
//! poll). What it keeps is in `requests`.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::requests::{cookie_names, mask_authorization, mask_csrf, mask_query, RequestRecord};
use crate::api::middleware::faults::DropConnection;
use crate::api::state::{AppState, REQUEST_LOG_CAPACITY};
use crate::clock::utc_timestamp;
use crate::Domain;

/// Middleware recording the requests it sees in the request log.
pub async fn record(State((state, domain)): State<(AppState, Domain)>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let now = state.store().clock().now_ms();
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
    let dropped = response.extensions().get::<DropConnection>().is_some();
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
