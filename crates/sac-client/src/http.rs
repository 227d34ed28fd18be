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

/// How much of an answer sac-client reads before it gives up: one limit per
/// kind of answer, all in this one place. A broken or hostile server (or a
/// proxy) can send an endless body or a gzip bomb; without a limit sacctl
/// would hold it all in memory. The limits count the body as decoded (after
/// gzip), which is what takes memory. Each is far above what SAC sends for
/// that kind of answer and low enough that sacctl stays well under 64 MiB.
///
/// Time is bounded too: the client's request timeout (`request_timeout`,
/// reqwest's total timeout) runs from connecting until the body's last
/// byte, so a body that trickles in forever ends with a timeout error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The token endpoint's answer: a few tokens, some KiB (64 KiB).
    Token,
    /// JSON status answers of the public APIs and the CSRF fetch: a job, an
    /// execution, a list of jobs (4 MiB).
    Status,
    /// Answers that grow with the tenant's data: schedule logs and lists
    /// (`getScheduleLogsByModel`), rejected and invalid rows, Data Export pages and
    /// `$metadata` (32 MiB; SAC pages exports, so a page stays far below).
    Bulk,
}

impl Limit {
    pub const fn bytes(self) -> usize {
        match self {
            Limit::Token => 64 << 10,
            Limit::Status => 4 << 20,
            Limit::Bulk => 32 << 20,
        }
    }

    /// What was being read, for the message.
    pub const fn what(self) -> &'static str {
        match self {
            Limit::Token => "the token answer",
            Limit::Status => "the answer",
            Limit::Bulk => "the answer (logs, rows or an export page)",
        }
    }
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// The body as text, read chunk by chunk and given up on as soon as more
/// than `limit` decoded bytes arrived (never holding more than that plus
/// one chunk). Invalid UTF-8 is replaced, as `Response::text` does.
async fn read_bounded(mut response: Response, limit: usize) -> std::result::Result<String, BodyError> {
    // An announced length over the limit ends it before anything is read;
    // the count below catches the rest (chunked bodies, gzip).
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
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
    /// Reads the whole body, at most `limit`'s bytes of it (see [`Limit`]).
    /// The only place sac-client reads an answer's body.
    pub async fn read(response: Response, limit: Limit) -> Result<Self> {
        let tries = response.extensions().get::<Tries>().copied().unwrap_or(Tries { attempts: 1, ..Tries::default() });
        let status = response.status();
        let headers = response.headers().clone();
        let endpoint = without_query(response.url().as_str());
        let body = read_bounded(response, limit.bytes()).await.map_err(|e| match e {
            BodyError::TooLarge => {
                Error::AnswerTooLarge { what: limit.what(), endpoint: endpoint.clone(), limit: limit.bytes() }
            }
            BodyError::Read(e) => Error::Decode {
                context: endpoint.clone(),
                problem: format!("the body could not be read completely ({e})"),
                snippet: String::new(),
            },
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
        if let Ok(e) = serde_json::from_str::<sac_types::multiaction::MessagesBody>(&self.body) {
            if !e.messages.is_empty() {
                return e.text();
            }
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
        if let Ok(e) = serde_json::from_str::<sac_types::multiaction::MessagesBody>(&self.body) {
            return e.code();
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

    /// Serves one raw HTTP/1.1 answer (`head`, then the pieces of `body`
    /// until it ends or the client hangs up, `pause` between them) and returns
    /// the answer read with `limit` by a client with that request `timeout`.
    async fn read_from(
        head: &'static str,
        body: impl Fn(u64) -> Option<Vec<u8>> + Send + 'static,
        limit: Limit,
        timeout: Duration,
        pause: Duration,
    ) -> Result<Answer> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            socket.write_all(head.as_bytes()).await.unwrap();
            let mut n = 0;
            while let Some(piece) = body(n) {
                n += 1;
                if socket.write_all(&piece).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
            }
        });
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap();
        Answer::read(client.get(url).send().await.unwrap(), limit).await
    }

    const CHUNKED: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";

    /// A chunk of the chunked encoding holding `len` zeros.
    fn zeros(len: usize) -> Vec<u8> {
        let mut chunk = format!("{len:x}\r\n").into_bytes();
        chunk.resize(chunk.len() + len, b'0');
        chunk.extend_from_slice(b"\r\n");
        chunk
    }

    #[tokio::test]
    async fn an_answer_up_to_the_limit_is_read_whole() {
        let limit = Limit::Token.bytes();
        let body = move |n| match n {
            0 => Some(zeros(limit / 2)),
            1 => Some(zeros(limit / 2)),
            2 => Some(b"0\r\n\r\n".to_vec()),
            _ => None,
        };
        let answer = read_from(CHUNKED, body, Limit::Token, Duration::from_secs(10), Duration::ZERO).await.unwrap();
        assert_eq!(answer.body.len(), limit);
    }

    #[tokio::test]
    async fn one_byte_over_the_limit_is_refused() {
        let limit = Limit::Token.bytes();
        let body = move |n| match n {
            0 => Some(zeros(limit)),
            1 => Some(zeros(1)),
            2 => Some(b"0\r\n\r\n".to_vec()),
            _ => None,
        };
        let e = read_from(CHUNKED, body, Limit::Token, Duration::from_secs(10), Duration::ZERO).await.err().unwrap();
        assert!(matches!(e, Error::AnswerTooLarge { limit: 65536, .. }), "{e:?}");
        assert_eq!(e.class(), crate::error::ErrorClass::Unreachable);
        assert!(e.to_string().contains("the token answer") && e.to_string().contains("64 KiB"), "{e}");
    }

    #[tokio::test]
    async fn an_endless_stream_ends_at_the_limit() {
        let e = read_from(CHUNKED, |_| Some(zeros(64 << 10)), Limit::Status, Duration::from_secs(20), Duration::ZERO)
            .await
            .err()
            .unwrap();
        assert!(matches!(e, Error::AnswerTooLarge { limit, .. } if limit == 4 << 20), "{e:?}");
    }

    #[tokio::test]
    async fn a_content_length_over_the_limit_is_refused_before_reading() {
        const HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n";
        // Nothing of the body is sent: only the announced length can refuse it.
        let e = read_from(HEAD, |_| None, Limit::Bulk, Duration::from_secs(10), Duration::ZERO).await.err().unwrap();
        assert!(matches!(e, Error::AnswerTooLarge { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn a_body_that_trickles_ends_with_the_request_timeout() {
        let began = Instant::now();
        let e = read_from(
            CHUNKED,
            |_| Some(zeros(1)),
            Limit::Status,
            Duration::from_millis(700),
            Duration::from_millis(100),
        )
        .await
        .err()
        .unwrap();
        assert!(matches!(e, Error::Decode { .. }) && e.to_string().contains("could not be read completely"), "{e:?}");
        assert!(began.elapsed() < Duration::from_secs(5), "{:?}", began.elapsed());
    }

    #[test]
    fn snippets_are_short_and_flat() {
        assert_eq!(snippet("a\nb"), "a b");
        assert!(snippet(&"x".repeat(500)).ends_with("..."));
    }
}
