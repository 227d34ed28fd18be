//! The admin API's wire format of faults: the flat JSON that
//! `POST /emulator/faults` takes (scripts, docs and tests post it), checked
//! and turned into a typed [`Fault`], and the listing of the faults in
//! force in the same style. What each kind does is in `engine::faults`.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use crate::engine::faults::Expire;
use crate::engine::faults::{Answer, Armed, Counted, Fault, RequestFault};

/// What to break, as posted to `POST /emulator/faults`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The next N Data Import jobs that are run end FAILED with `message`,
    /// writing none of their rows (schedule runs are not touched).
    #[serde(default)]
    pub fail_import_runs: Option<u32>,
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
    /// The failure message of `fail_runs`, `fail_import_runs` and
    /// `fail_data_actions` (a SAC-like default when absent).
    #[serde(default)]
    pub message: Option<String>,
}

/// The message of a `fail_runs` fault posted without one.
const RUN_FAILURE: &str = "The data import failed: the source system did not answer";
/// The message of a `fail_import_runs` fault posted without one.
const IMPORT_RUN_FAILURE: &str =
    "The data could not be written to the model: the target model is locked by another data load";
/// The message of a `fail_data_actions` fault posted without one.
const DATA_ACTION_FAILURE: &str = "The data action failed: the target version is locked";

impl FaultSpec {
    /// Checks that the fault does something and can match.
    fn validate(&self) -> Result<(), String> {
        let acts = self.status.is_some()
            || self.delay_ms.is_some()
            || self.drop
            || self.drop_response
            || self.expire.is_some();
        let run_level = [
            self.fail_runs.is_some(),
            self.fail_import_runs.is_some(),
            self.fail_data_actions.is_some(),
            self.log_lag_reads.is_some(),
            self.crash_after_rows.is_some(),
        ];
        if run_level.iter().any(|b| *b) {
            if acts || self.path.is_some() || run_level.iter().filter(|b| **b).count() > 1 {
                return Err(
                    "fail_runs, fail_import_runs, fail_data_actions, log_lag_reads and crash_after_rows are faults \
                     of their own: give one (with an optional message or times)"
                        .into(),
                );
            }
            return Ok(());
        }
        if !acts {
            return Err(
                "a fault needs one of status, delay_ms, drop, drop_response, expire, fail_runs, fail_import_runs, \
                 fail_data_actions, log_lag_reads or crash_after_rows"
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
}

impl TryFrom<FaultSpec> for Fault {
    type Error = String;

    /// The typed fault a valid body asks for. Of a request fault's answers
    /// the first that applies wins: `drop`, then `status`, then handling the
    /// request (after `expire`, and with `drop_response`).
    fn try_from(spec: FaultSpec) -> Result<Fault, String> {
        spec.validate()?;
        let counted = |count: u32, default: &str| Counted {
            count,
            message: spec.message.clone().unwrap_or_else(|| default.into()),
        };
        if let Some(count) = spec.fail_runs {
            return Ok(Fault::FailRuns(counted(count, RUN_FAILURE)));
        }
        if let Some(count) = spec.fail_import_runs {
            return Ok(Fault::FailImportRuns(counted(count, IMPORT_RUN_FAILURE)));
        }
        if let Some(count) = spec.fail_data_actions {
            return Ok(Fault::FailDataActions(counted(count, DATA_ACTION_FAILURE)));
        }
        if let Some(reads) = spec.log_lag_reads {
            return Ok(Fault::LogLag { reads, runs: spec.times.unwrap_or(1) });
        }
        if let Some(rows) = spec.crash_after_rows {
            return Ok(Fault::CrashAfterRows { rows });
        }
        let answer = if spec.drop {
            Answer::Drop
        } else if let Some(status) = spec.status {
            Answer::Status { status, retry_after: spec.retry_after, body: spec.body }
        } else {
            Answer::Handle { expire: spec.expire, drop_response: spec.drop_response }
        };
        Ok(Fault::Request(RequestFault {
            path: spec.path.unwrap_or_default(),
            method: spec.method,
            times: spec.times.unwrap_or(1),
            delay_ms: spec.delay_ms,
            answer,
        }))
    }
}

impl From<&Fault> for FaultSpec {
    /// The body that arms `fault`.
    fn from(fault: &Fault) -> FaultSpec {
        let none = FaultSpec::default();
        match fault {
            Fault::Request(r) => {
                let request = FaultSpec {
                    path: Some(r.path.clone()),
                    method: r.method.clone(),
                    times: Some(r.times),
                    delay_ms: r.delay_ms,
                    ..none
                };
                match &r.answer {
                    Answer::Drop => FaultSpec { drop: true, ..request },
                    Answer::Status { status, retry_after, body } => {
                        FaultSpec { status: Some(*status), retry_after: *retry_after, body: body.clone(), ..request }
                    }
                    Answer::Handle { expire, drop_response } => {
                        FaultSpec { expire: *expire, drop_response: *drop_response, ..request }
                    }
                }
            }
            Fault::FailRuns(c) => FaultSpec { fail_runs: Some(c.count), message: Some(c.message.clone()), ..none },
            Fault::FailImportRuns(c) => {
                FaultSpec { fail_import_runs: Some(c.count), message: Some(c.message.clone()), ..none }
            }
            Fault::FailDataActions(c) => {
                FaultSpec { fail_data_actions: Some(c.count), message: Some(c.message.clone()), ..none }
            }
            Fault::LogLag { reads, runs } => FaultSpec { log_lag_reads: Some(*reads), times: Some(*runs), ..none },
            Fault::CrashAfterRows { rows } => FaultSpec { crash_after_rows: Some(*rows), ..none },
        }
    }
}

/// A fault in force as listed: its kind, the body that armed it, and how
/// many more times it fires.
#[derive(Serialize)]
struct Listed {
    kind: &'static str,
    #[serde(flatten)]
    spec: FaultSpec,
    remaining: u32,
}

impl From<&Armed> for Listed {
    fn from(armed: &Armed) -> Listed {
        Listed { kind: armed.fault.kind(), spec: FaultSpec::from(&armed.fault), remaining: armed.remaining }
    }
}

/// A counted failure as the listing names it (`fail_runs`,
/// `fail_import_runs`, `fail_data_actions`) and as arming one answers.
#[derive(Serialize)]
struct Remaining<'a> {
    count: u32,
    message: &'a str,
}

/// `GET /emulator/faults`: the request faults under `faults`, the engine's
/// under `engine_faults`, and the counted failures under their own names too.
pub fn listing(armed: &[Armed]) -> Value {
    let (request, engine): (Vec<&Armed>, Vec<&Armed>) =
        armed.iter().partition(|a| matches!(a.fault, Fault::Request(_)));
    fn counted(a: &Armed) -> Option<Remaining<'_>> {
        match &a.fault {
            Fault::FailRuns(c) | Fault::FailImportRuns(c) | Fault::FailDataActions(c) => {
                Some(Remaining { count: a.remaining, message: &c.message })
            }
            Fault::Request(_) | Fault::LogLag { .. } | Fault::CrashAfterRows { .. } => None,
        }
    }
    let first = |kind: &str| engine.iter().filter(|a| a.fault.kind() == kind).find_map(|a| counted(a));
    json!({
        "faults": request.iter().map(|a| Listed::from(*a)).collect::<Vec<_>>(),
        "engine_faults": engine.iter().map(|a| Listed::from(*a)).collect::<Vec<_>>(),
        "fail_runs": first("fail_runs"),
        "fail_import_runs": first("fail_import_runs"),
        "fail_data_actions": first("fail_data_actions"),
    })
}

/// The answer to `POST /emulator/faults` once `fault` is armed (it replaced
/// any armed engine fault of its kind; a count of 0 disarmed it).
pub fn armed_answer(fault: &Fault) -> Value {
    match fault {
        Fault::Request(r) => {
            serde_json::to_value(Listed { kind: fault.kind(), spec: FaultSpec::from(fault), remaining: r.times })
                .unwrap_or_default()
        }
        Fault::FailRuns(c) | Fault::FailImportRuns(c) | Fault::FailDataActions(c) => {
            let in_force = (c.count > 0).then_some(Remaining { count: c.count, message: &c.message });
            json!({ fault.kind(): in_force })
        }
        Fault::LogLag { reads, runs } => json!({"log_lag_reads": reads, "runs": runs}),
        Fault::CrashAfterRows { rows } => json!({"crash_after_rows": rows}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: &str) -> Result<Fault, String> {
        Fault::try_from(serde_json::from_str::<FaultSpec>(json).unwrap())
    }

    #[test]
    fn validation_explains_what_is_wrong() {
        assert!(fault(r#"{"path":"/api/v1/csrf","status":429,"retry_after":1,"times":3}"#).is_ok());
        assert!(fault(r#"{"fail_runs":2,"message":"source system down"}"#).is_ok());
        assert!(fault(r#"{"path":"/x"}"#).unwrap_err().contains("needs one of"));
        assert!(fault(r#"{"status":500}"#).unwrap_err().contains("path prefix"));
        assert!(fault(r#"{"path":"/x","status":99}"#).is_err());
        assert!(fault(r#"{"path":"/x","status":500,"times":0}"#).is_err());
        assert!(fault(r#"{"fail_runs":1,"log_lag_reads":2}"#).unwrap_err().contains("of their own"));
        assert!(fault(r#"{"fail_import_runs":1,"path":"/x"}"#).unwrap_err().contains("of their own"));
        assert!(serde_json::from_str::<FaultSpec>(r#"{"path":"/x","stauts":500}"#).is_err());
    }

    #[test]
    fn every_kind_goes_back_to_the_body_that_armed_it() {
        for body in [
            r#"{"path":"/api/v1/csrf","method":"GET","times":3,"status":429,"retry_after":1}"#,
            r#"{"path":"/s?action=run","times":1,"delay_ms":300,"drop":true}"#,
            r#"{"path":"/s","times":2,"expire":"csrf","drop_response":true}"#,
            r#"{"fail_runs":2,"message":"down"}"#,
            r#"{"fail_import_runs":3,"message":"model locked"}"#,
            r#"{"fail_data_actions":1,"message":"locked"}"#,
            r#"{"log_lag_reads":3,"times":2}"#,
            r#"{"crash_after_rows":0}"#,
        ] {
            let spec: FaultSpec = serde_json::from_str(body).unwrap();
            assert_eq!(FaultSpec::from(&Fault::try_from(spec.clone()).unwrap()), spec, "{body}");
        }
        let defaulted = fault(r#"{"fail_runs":1}"#).unwrap();
        assert_eq!(defaulted, Fault::FailRuns(Counted { count: 1, message: RUN_FAILURE.into() }));
        let defaulted = fault(r#"{"fail_import_runs":1}"#).unwrap();
        assert_eq!(defaulted, Fault::FailImportRuns(Counted { count: 1, message: IMPORT_RUN_FAILURE.into() }));
    }
}
