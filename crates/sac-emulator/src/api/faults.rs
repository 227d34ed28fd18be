//! Counted fault injection.
//!
//! A fault matches requests by path prefix (and method, if given) and fires
//! for the next `times` matching requests, then disappears. There are no
//! random faults: a test must be able to say exactly what goes wrong.
//! Admin paths (`/emulator/...`) are never faulted.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// What to break, as posted to `POST /emulator/faults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Path prefix to match (`/api/v1/csrf`, `/sap/fpa/services/rest/fpa/dataintegration`);
    /// with a `?`, a prefix of path and query (`...dataintegration?action=runScheduledJob`).
    #[serde(default)]
    pub path: Option<String>,
    /// HTTP method to match; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// How many matching requests the fault fires for (default 1).
    #[serde(default)]
    pub times: Option<u32>,
    /// Answer with this status instead of handling the request.
    #[serde(default)]
    pub status: Option<u16>,
    /// `Retry-After` seconds to send with `status`.
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Body to send with `status` (a SAC-shaped JSON error when absent).
    #[serde(default)]
    pub body: Option<String>,
    /// Wait this long before answering.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Close the connection without any answer (the request is not handled).
    #[serde(default)]
    pub drop: bool,
    /// Handle the request, then close the connection instead of answering
    /// (the caller cannot know whether it took effect).
    #[serde(default)]
    pub drop_response: bool,
    /// `csrf`: the session's CSRF token goes stale before the request is
    /// handled; `token`: the bearer token expires before it is checked.
    #[serde(default)]
    pub expire: Option<Expire>,
    /// The next N runs that start fail with `message` (not path-matched).
    #[serde(default)]
    pub fail_runs: Option<u32>,
    /// The next N data-action steps of multi actions fail with `message`.
    #[serde(default)]
    pub fail_data_actions: Option<u32>,
    /// The next run stays out of the schedule's logs for this many log
    /// reads (SAC's logs lag behind the execution); `times` runs (default 1).
    #[serde(default)]
    pub log_lag_reads: Option<u32>,
    /// The emulator process aborts (as under `kill -9`: no cleanup, nothing
    /// committed that was under way) when the next Data Import write has
    /// written this many rows of its transaction. For crash tests.
    #[serde(default)]
    pub crash_after_rows: Option<u64>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expire {
    Csrf,
    Token,
}

/// A fault in force, with how many more times it fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fault {
    #[serde(flatten)]
    pub spec: FaultSpec,
    pub remaining: u32,
}

impl FaultSpec {
    /// Checks that the fault does something and can match.
    pub fn validate(&self) -> Result<(), String> {
        let acts = self.status.is_some()
            || self.delay_ms.is_some()
            || self.drop
            || self.drop_response
            || self.expire.is_some();
        let run_level = [
            self.fail_runs.is_some(),
            self.fail_data_actions.is_some(),
            self.log_lag_reads.is_some(),
            self.crash_after_rows.is_some(),
        ];
        if run_level.iter().any(|b| *b) {
            if acts || self.path.is_some() || run_level.iter().filter(|b| **b).count() > 1 {
                return Err("fail_runs, fail_data_actions, log_lag_reads and crash_after_rows are faults of their own: give one \
                            (with an optional message or times)"
                    .into());
            }
            return Ok(());
        }
        if !acts {
            return Err(
                "a fault needs one of status, delay_ms, drop, drop_response, expire, fail_runs, fail_data_actions, log_lag_reads or crash_after_rows"
                    .into(),
            );
        }
        if self.path.as_deref().is_none_or(|p| !p.starts_with('/')) {
            return Err("a fault needs a path prefix starting with /".into());
        }
        if let Some(status) = self.status {
            if StatusCode::from_u16(status).is_err() || status < 200 {
                return Err(format!("status {status} is not an HTTP status a server can answer with"));
            }
        }
        if self.times == Some(0) {
            return Err("times must be at least 1".into());
        }
        Ok(())
    }

    /// `target` is the path, followed by `?query` when there is one; a fault
    /// path with a `?` matches against the query too.
    pub(crate) fn matches(&self, method: &str, target: &str) -> bool {
        let path = target.split('?').next().unwrap_or(target);
        self.path.as_deref().is_some_and(|p| if p.contains('?') { target.starts_with(p) } else { path.starts_with(p) })
            && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Marker put on a response whose connection the server must drop.
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn validation_explains_what_is_wrong() {
        assert!(spec(r#"{"path":"/api/v1/csrf","status":429,"retry_after":1,"times":3}"#).validate().is_ok());
        assert!(spec(r#"{"fail_runs":2,"message":"source system down"}"#).validate().is_ok());
        assert!(spec(r#"{"path":"/x"}"#).validate().unwrap_err().contains("needs one of"));
        assert!(spec(r#"{"status":500}"#).validate().unwrap_err().contains("path prefix"));
        assert!(spec(r#"{"path":"/x","status":99}"#).validate().is_err());
        assert!(spec(r#"{"path":"/x","status":500,"times":0}"#).validate().is_err());
        assert!(serde_json::from_str::<FaultSpec>(r#"{"path":"/x","stauts":500}"#).is_err());
    }

    #[test]
    fn matching_by_prefix_and_method() {
        let f = spec(r#"{"path":"/api/v1","method":"post","status":500}"#);
        assert!(f.matches("POST", "/api/v1/csrf"));
        assert!(!f.matches("GET", "/api/v1/csrf"));
        assert!(!f.matches("POST", "/sap/fpa"));
        let by_action = spec(r#"{"path":"/s?action=run","status":500}"#);
        assert!(by_action.matches("POST", "/s?action=run&tenant=G"));
        assert!(!by_action.matches("POST", "/s?action=logs&tenant=G"));
        assert!(spec(r#"{"path":"/s","status":500}"#).matches("POST", "/s?action=logs"));
    }
}
