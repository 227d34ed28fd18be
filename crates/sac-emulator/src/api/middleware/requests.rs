//! The request log behind `GET /emulator/requests`: what reached the
//! emulator and what it answered, with every secret masked.

use axum::http::HeaderMap;
use serde::Serialize;

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

pub(crate) fn mask_authorization(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().unwrap_or("");
    let scheme = value.split_whitespace().next().unwrap_or("?");
    Some(format!("{scheme} ***"))
}

pub(crate) fn mask_csrf(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-csrf-token")?.to_str().unwrap_or("");
    Some(if value.eq_ignore_ascii_case("fetch") { "fetch".into() } else { "***".into() })
}

pub(crate) fn cookie_names(headers: &HeaderMap) -> Vec<String> {
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
