//! The request log behind `GET /emulator/requests`: what reached the
//! emulator and what it answered, with every secret masked.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::state::{AppState, REQUEST_LOG_CAPACITY};
use crate::clock::{now_ms, utc_timestamp};
use crate::Domain;

#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    pub time: String,
    /// The same instant in Unix milliseconds (for measuring, e.g. bench/detect.sh).
    pub at_ms: i64,
    pub domain: Domain,
    pub method: String,
    pub path: String,
    /// The query string with sensitive values replaced by `***`.
    pub query: String,
    pub status: u16,
    pub duration_ms: u64,
    /// `Bearer ***`, `Basic ***` or absent.
    pub authorization: Option<String>,
    /// `fetch`, `***` (a token was sent) or absent.
    pub csrf: Option<String>,
    /// Names of the cookies sent, never their values.
    pub cookies: Vec<String>,
}

/// Query parameters whose values never reach the log.
const SENSITIVE_PARAMS: [&str; 9] = [
    "code",
    "code_verifier",
    "assertion",
    "password",
    "client_secret",
    "refresh_token",
    "access_token",
    "id_token",
    "state",
];

pub fn mask_query(query: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            let value = if SENSITIVE_PARAMS.contains(&k.as_ref()) { "***".into() } else { v.into_owned() };
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn mask_authorization(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().unwrap_or("");
    let scheme = value.split_whitespace().next().unwrap_or("?");
    Some(format!("{scheme} ***"))
}

fn mask_csrf(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-csrf-token")?.to_str().unwrap_or("");
    Some(if value.eq_ignore_ascii_case("fetch") { "fetch".into() } else { "***".into() })
}

fn cookie_names(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split('=').next())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Middleware recording every request but the request log's own reads.
pub async fn record(State((state, domain)): State<(AppState, Domain)>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/emulator/requests") {
        return next.run(request).await;
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_query_values_are_masked() {
        let masked = mask_query("grant_type=password&password=Welcome1!&code=abc&action=runScheduledJob");
        assert_eq!(masked, "grant_type=password&password=***&code=***&action=runScheduledJob");
    }

    #[test]
    fn headers_are_masked() {
        let mut h = HeaderMap::new();
        h.insert("authorization", "Bearer eyJsecret".parse().unwrap());
        h.insert("x-csrf-token", "abcdef".parse().unwrap());
        h.insert("cookie", "JSESSIONID=secret; other=x".parse().unwrap());
        assert_eq!(mask_authorization(&h).unwrap(), "Bearer ***");
        assert_eq!(mask_csrf(&h).unwrap(), "***");
        assert_eq!(cookie_names(&h), vec!["JSESSIONID", "other"]);
    }
}
