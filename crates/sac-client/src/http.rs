//! Sending requests: retries that honour `Retry-After`, and reading SAC's
//! answers into values or typed errors.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use sac_types::error::{is_login_page, ApiErrorBody};
use sac_types::legacy::ErrorBody;
use serde::de::DeserializeOwned;

use crate::config::RetryPolicy;
use crate::error::{Error, Result};

/// Whether a request may be sent again after an answer that leaves its
/// outcome unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads (and read-only POSTs): retried on 429, 5xx and transport errors.
    Safe,
    /// Triggers and other writes: sent again only when the server certainly
    /// did not act on it (429, or a connection that was never made);
    /// otherwise the error goes to the caller, who must find out what
    /// happened before sending anything again.
    Unsafe,
}

/// Statuses that prove the request was not acted on.
///
/// Only 429: a rate limiter refuses before the service sees the request
/// (SAC sends it with `Retry-After`). A 503 proves nothing: on SAC it may
/// come from the approuter before the request reaches the backend, or from
/// the backend (or a gateway timing out in front of it) after the request
/// started its work, and the answer does not say which. So a 503 is an
/// unknown fate, like 500, 502, 504 or a lost answer.
fn not_processed(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
}

fn retryable(status: StatusCode, idempotency: Idempotency) -> bool {
    not_processed(status) || (idempotency == Idempotency::Safe && matches!(status.as_u16(), 500 | 502 | 503 | 504))
}

/// The wait a `Retry-After` header asks for, in either of its forms:
/// seconds, or an HTTP date (a date already past: no wait). None when the
/// header is missing or unreadable (then our own back-off applies).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The pause before attempt `attempt + 1`: the back-off doubles from
/// `base_delay` per attempt up to `max_delay`, and `jitter` (a fraction in
/// [0, 1)) takes up to half of it off, so that clients refused at the same
/// moment spread out instead of coming back together.
fn backoff(policy: &RetryPolicy, attempt: u32, jitter: f64) -> Duration {
    let full = policy.base_delay.saturating_mul(1 << (attempt.max(1) - 1).min(16)).min(policy.max_delay);
    full.mul_f64(1.0 - jitter.clamp(0.0, 1.0) / 2.0)
}

/// Sends the request built by `build`, again when the policy allows.
///
/// Returns the first answer that is not retried (any status), or the
/// transport or availability error once the attempts or the time budget are
/// spent.
pub async fn send(
    policy: &RetryPolicy,
    idempotency: Idempotency,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response> {
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let outcome = send_once(build()).await.map(|mut response| {
            response.extensions_mut().insert(Tries { attempts: attempt, elapsed: started.elapsed() });
            response
        });
        let backoff = backoff(policy, attempt, rand::random::<f64>());
        let out_of_budget = |wait: Duration| attempt >= policy.max_attempts || started.elapsed() + wait > policy.budget;
        match outcome {
            Ok(response) if retryable(response.status(), idempotency) => {
                // A Retry-After beyond the budget ends the retries (the caller sees the 429/503).
                let wait = retry_after(response.headers()).unwrap_or(backoff);
                if out_of_budget(wait) {
                    return Ok(response);
                }
                tracing::info!(status = %response.status(), attempt, wait_ms = wait.as_millis() as u64, url = %response.url(), "retrying");
                tokio::time::sleep(wait).await;
            }
            Ok(response) => return Ok(response),
            Err(e) => {
                let url = e.url().map(|u| without_query(u.as_str())).unwrap_or_default();
                let never_sent = e.is_connect();
                if (idempotency == Idempotency::Unsafe && !never_sent) || out_of_budget(backoff) {
                    return Err(Error::Transport { url, attempts: attempt, source: e.without_url() });
                }
                tracing::info!(error = %e.without_url(), attempt, "retrying after a transport error");
                tokio::time::sleep(backoff).await;
            }
        }
    }
}

/// How many requests an answer took and how long, for honest messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tries {
    pub attempts: u32,
    pub elapsed: Duration,
}

/// Sends one request and logs it at info level (`-v`): method, path,
/// status, time. Never headers, query or body: they may hold secrets.
async fn send_once(request: RequestBuilder) -> reqwest::Result<Response> {
    let (client, request) = request.build_split();
    let request = request?;
    let (method, path) = (request.method().clone(), request.url().path().to_string());
    let began = Instant::now();
    let outcome = client.execute(request).await;
    let ms = began.elapsed().as_millis() as u64;
    match &outcome {
        Ok(response) => tracing::info!("{method} {path} -> {} in {ms} ms", response.status().as_u16()),
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "no connection"
            } else {
                "connection lost"
            };
            tracing::info!("{method} {path} -> no answer in {ms} ms ({why})")
        }
    }
    outcome
}

/// A URL for messages: never its query (which may hold ids, never secrets,
/// but keeps messages short).
pub fn without_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

/// The first characters of a body, for error messages.
pub fn snippet(body: &str) -> String {
    let flat: String = body.chars().take(160).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if body.chars().count() > 160 {
        format!("{flat}...")
    } else {
        flat
    }
}

/// A response read whole: status, headers and body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub endpoint: String,
    /// The requests this answer took (retries included) and their time.
    pub tries: Tries,
}

impl Answer {
    pub async fn read(response: Response) -> Result<Self> {
        let tries = response.extensions().get::<Tries>().copied().unwrap_or(Tries { attempts: 1, ..Tries::default() });
        let status = response.status();
        let headers = response.headers().clone();
        let endpoint = without_query(response.url().as_str());
        let body = response.text().await.map_err(|e| Error::Decode {
            context: endpoint.clone(),
            problem: format!("the body could not be read completely ({e})"),
            snippet: String::new(),
        })?;
        Ok(Answer { status, headers, body, endpoint, tries })
    }

    /// SAC's login page, or a redirect (to the login page or the IdP): the
    /// call was not authenticated for this service.
    pub fn is_login_page(&self) -> bool {
        let content_type = self.headers.get("content-type").and_then(|v| v.to_str().ok());
        self.status.is_redirection() || is_login_page(content_type, &self.body)
    }

    /// The server's time of the answer, from its `Date` header.
    pub fn server_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let date = self.headers.get(reqwest::header::DATE)?.to_str().ok()?;
        chrono::DateTime::parse_from_rfc2822(date).ok().map(|t| t.with_timezone(&chrono::Utc))
    }

    pub fn csrf_required(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
            && self
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("required"))
    }

    /// Parses a successful JSON body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.body).map_err(|e| Error::Decode {
            context: self.endpoint.clone(),
            problem: if self.body.trim().is_empty() { "the body is empty".into() } else { format!("{e}") },
            snippet: snippet(&self.body),
        })
    }

    /// SAC's message in an error body, in any of its shapes.
    pub fn message(&self) -> String {
        if let Ok(e) = serde_json::from_str::<ErrorBody>(&self.body) {
            return e.message;
        }
        if let Ok(e) = serde_json::from_str::<ApiErrorBody>(&self.body) {
            let number = format!("[{}]", e.error.code);
            if e.error.message.ends_with(&number) {
                return e.error.message;
            }
            return format!("{} {number}", e.error.message);
        }
        if let Ok(e) = serde_json::from_str::<sac_types::oauth::OAuthError>(&self.body) {
            return e.error_description.unwrap_or(e.error);
        }
        let text = snippet(self.body.trim());
        if text.is_empty() {
            self.status.canonical_reason().unwrap_or("no message").to_string()
        } else {
            text
        }
    }

    /// SAC's numeric error code, if the body has one (3000, 3401, ...).
    pub fn sac_code(&self) -> Option<u32> {
        if let Ok(e) = serde_json::from_str::<ErrorBody>(&self.body) {
            if e.error_code.is_some() {
                return e.error_code;
            }
        }
        if let Ok(e) = serde_json::from_str::<ApiErrorBody>(&self.body) {
            return e.error.code.parse().ok();
        }
        let message = self.body.as_str();
        ["3000", "3401"]
            .iter()
            .find(|code| message.contains(&format!("Error Code: {code}")) || message.contains(&format!("[{code}]")))
            .and_then(|c| c.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policy_by_status() {
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS, Idempotency::Unsafe));
        assert!(
            !retryable(StatusCode::SERVICE_UNAVAILABLE, Idempotency::Unsafe),
            "a 503 may come after the work began"
        );
        assert!(retryable(StatusCode::SERVICE_UNAVAILABLE, Idempotency::Safe));
        assert!(!retryable(StatusCode::INTERNAL_SERVER_ERROR, Idempotency::Unsafe));
        assert!(retryable(StatusCode::BAD_GATEWAY, Idempotency::Safe));
        assert!(!retryable(StatusCode::NOT_FOUND, Idempotency::Safe));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:28:20 GMT".parse().unwrap());
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(20)));
        h.insert(RETRY_AFTER, "Wed, 21 Oct 2015 07:27:00 GMT".parse().unwrap());
        assert_eq!(retry_after_at(&h, now), Some(Duration::ZERO), "a date already past");
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None, "unreadable: our own back-off applies");
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_takes_at_most_half() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(15),
            ..RetryPolicy::default()
        };
        let full = |attempt| backoff(&policy, attempt, 0.0);
        assert_eq!(full(1), Duration::from_millis(500));
        assert_eq!(full(2), Duration::from_secs(1));
        assert_eq!(full(4), Duration::from_secs(4));
        assert_eq!(full(6), Duration::from_secs(15), "capped at max_delay");
        assert_eq!(full(40), Duration::from_secs(15), "no overflow");
        for attempt in 1..8 {
            let (ceiling, floor) = (full(attempt), full(attempt) / 2);
            assert_eq!(backoff(&policy, attempt, 1.0), floor);
            for _ in 0..100 {
                let pause = backoff(&policy, attempt, rand::random::<f64>());
                assert!(floor <= pause && pause <= ceiling, "attempt {attempt}: {pause:?}");
            }
        }
    }

    #[test]
    fn snippets_are_short_and_flat() {
        assert_eq!(snippet("a\nb"), "a b");
        assert!(snippet(&"x".repeat(500)).ends_with("..."));
    }
}
