//! The faults in force: what to break, one variant per kind, and the one
//! list that holds every armed fault with how many more times it fires.
//!
//! Request faults act on matching HTTP requests (the middleware takes
//! them); the other kinds act inside the engine (a run, an import job, a
//! data-action step, a log read, an import write). They share one list so
//! that listing and clearing cannot forget a kind. A new kind is a new
//! variant of [`Fault`]: the matches on it below, in the admin API's wire
//! format and in the console show where it must be handled.
//!
//! There are no random faults: a test must be able to say exactly what goes wrong.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// Something the emulator is told to break, as armed through the admin API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Matching requests are delayed, refused, dropped or handled with stale credentials.
    Request(RequestFault),
    /// The next runs and import jobs that start fail with the message.
    FailRuns(Counted),
    /// The next Data Import jobs that are written fail with the message,
    /// writing none of their rows; schedule runs are not touched.
    FailImportRuns(Counted),
    /// The next data-action steps of multi actions fail with the message.
    FailDataActions(Counted),
    /// The next `runs` runs stay out of the schedule's logs for `reads` log
    /// reads (SAC's logs lag behind the execution).
    LogLag { reads: u32, runs: u32 },
    /// The process aborts (as under `kill -9`) when the next Data Import
    /// write has written this many rows of its transaction.
    CrashAfterRows { rows: u64 },
}

/// A failure that fires `count` times with `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub count: u32,
    pub message: String,
}

/// A fault on the requests whose method and path (and query) match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFault {
    /// Path prefix; with a `?`, a prefix of path and query.
    pub path: String,
    /// Any method when absent.
    pub method: Option<String>,
    /// How many matching requests it fires for (at least 1).
    pub times: u32,
    /// Wait this long before the answer.
    pub delay_ms: Option<u64>,
    pub answer: Answer,
}

/// What a faulted request gets after the delay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The connection closes without any answer; the request is not handled.
    Drop,
    /// This status instead of handling the request (a SAC-shaped JSON error when `body` is absent).
    Status { status: u16, retry_after: Option<u64>, body: Option<String> },
    /// The request is handled, with a credential made stale first, and the
    /// connection is closed instead of answering when `drop_response` is set.
    Handle { expire: Option<Expire>, drop_response: bool },
}

/// Which credential goes stale before a request is handled: `csrf` the
/// session's CSRF token, `token` the bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expire {
    Csrf,
    Token,
}

impl Fault {
    /// The name of the fault's kind, as the listing tags it.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Request(_) => "request",
            Fault::FailRuns(_) => "fail_runs",
            Fault::FailImportRuns(_) => "fail_import_runs",
            Fault::FailDataActions(_) => "fail_data_actions",
            Fault::LogLag { .. } => "log_lag_reads",
            Fault::CrashAfterRows { .. } => "crash_after_rows",
        }
    }

    /// How many times the fault fires once armed (0: arming it disarms its kind).
    fn firings(&self) -> u32 {
        match self {
            Fault::Request(f) => f.times,
            Fault::FailRuns(c) | Fault::FailImportRuns(c) | Fault::FailDataActions(c) => c.count,
            Fault::LogLag { reads, runs } => {
                if *reads == 0 {
                    0
                } else {
                    *runs
                }
            }
            Fault::CrashAfterRows { .. } => 1,
        }
    }

    /// Whether arming `self` replaces an armed `other`: the engine's kinds
    /// have one slot each, request faults pile up.
    fn replaces(&self, other: &Fault) -> bool {
        match self {
            Fault::Request(_) => false,
            Fault::FailRuns(_)
            | Fault::FailImportRuns(_)
            | Fault::FailDataActions(_)
            | Fault::LogLag { .. }
            | Fault::CrashAfterRows { .. } => std::mem::discriminant(self) == std::mem::discriminant(other),
        }
    }
}

impl RequestFault {
    /// `target` is the path, followed by `?query` when there is one; a fault
    /// path with a `?` matches against the query too.
    pub fn matches(&self, method: &str, target: &str) -> bool {
        let path = target.split('?').next().unwrap_or(target);
        let by_path =
            if self.path.contains('?') { target.starts_with(&self.path) } else { path.starts_with(&self.path) };
        by_path && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// A fault in force, with how many more times it fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Armed {
    pub fault: Fault,
    pub remaining: u32,
}

/// Every fault in force, in the order they were armed.
#[derive(Default)]
pub struct Faults {
    armed: Mutex<Vec<Armed>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Vec<Armed>> {
        self.armed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Puts `fault` in force. An engine fault replaces the armed one of its
    /// kind; one that would never fire (a count of 0) just disarms it.
    pub fn arm(&self, fault: Fault) {
        let mut armed = self.lock();
        armed.retain(|a| !fault.replaces(&a.fault));
        let remaining = fault.firings();
        if remaining > 0 {
            armed.push(Armed { fault, remaining });
        }
    }

    /// The faults in force.
    pub fn list(&self) -> Vec<Armed> {
        self.lock().clone()
    }

    /// Disarms every fault, of every kind.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Takes one firing of the first armed fault `pick` accepts (each
    /// `take_` picks its own kind; the others pass by).
    fn take<T>(&self, pick: impl Fn(&Fault) -> Option<T>) -> Option<T> {
        let mut armed = self.lock();
        let (index, value) = armed.iter().enumerate().find_map(|(i, a)| pick(&a.fault).map(|v| (i, v)))?;
        armed[index].remaining -= 1;
        if armed[index].remaining == 0 {
            armed.remove(index);
        }
        Some(value)
    }

    /// The first request fault matching the request, taken once.
    pub(crate) fn take_request(&self, method: &str, target: &str) -> Option<RequestFault> {
        self.take(|f| if let Fault::Request(r) = f { r.matches(method, target).then(|| r.clone()) } else { None })
    }

    /// The message of an injected run (or import job) failure, if one is due.
    pub(crate) fn take_run_failure(&self) -> Option<String> {
        self.take(|f| if let Fault::FailRuns(c) = f { Some(c.message.clone()) } else { None })
    }

    /// The message of an injected failure of the Data Import job being
    /// written, if one is due: its own kind first, else a run failure.
    pub(crate) fn take_import_run_failure(&self) -> Option<String> {
        self.take(|f| if let Fault::FailImportRuns(c) = f { Some(c.message.clone()) } else { None })
            .or_else(|| self.take_run_failure())
    }

    /// The message of an injected data-action failure, if one is due.
    pub(crate) fn take_data_action_failure(&self) -> Option<String> {
        self.take(|f| if let Fault::FailDataActions(c) = f { Some(c.message.clone()) } else { None })
    }

    /// The number of log reads the next run stays out of the logs.
    pub(crate) fn take_log_lag(&self) -> i64 {
        let reads = self.take(|f| if let Fault::LogLag { reads, .. } = f { Some(*reads) } else { None });
        reads.map(i64::from).unwrap_or(0)
    }

    /// The row count at which the job write that starts now aborts the process.
    pub(crate) fn take_crash_after_rows(&self) -> Option<u64> {
        self.take(|f| if let Fault::CrashAfterRows { rows } = f { Some(*rows) } else { None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str, method: Option<&str>, times: u32) -> Fault {
        Fault::Request(RequestFault {
            path: path.into(),
            method: method.map(str::to_string),
            times,
            delay_ms: None,
            answer: Answer::Status { status: 500, retry_after: None, body: None },
        })
    }

    #[test]
    fn matching_by_prefix_and_method() {
        let Fault::Request(f) = request("/api/v1", Some("post"), 1) else { unreachable!() };
        assert!(f.matches("POST", "/api/v1/csrf"));
        assert!(!f.matches("GET", "/api/v1/csrf"));
        assert!(!f.matches("POST", "/sap/fpa"));
        let Fault::Request(by_action) = request("/s?action=run", None, 1) else { unreachable!() };
        assert!(by_action.matches("POST", "/s?action=run&tenant=G"));
        assert!(!by_action.matches("POST", "/s?action=logs&tenant=G"));
        let Fault::Request(by_path) = request("/s", None, 1) else { unreachable!() };
        assert!(by_path.matches("POST", "/s?action=logs"));
    }

    #[test]
    fn engine_kinds_replace_request_faults_pile_up_and_all_clear() {
        let faults = Faults::default();
        faults.arm(request("/a", None, 2));
        faults.arm(request("/a", None, 1));
        faults.arm(Fault::FailRuns(Counted { count: 3, message: "first".into() }));
        faults.arm(Fault::FailRuns(Counted { count: 1, message: "second".into() }));
        faults.arm(Fault::FailImportRuns(Counted { count: 1, message: "locked".into() }));
        faults.arm(Fault::LogLag { reads: 2, runs: 1 });
        faults.arm(Fault::CrashAfterRows { rows: 0 });
        let remaining: Vec<_> = faults.list().iter().map(|a| (a.fault.kind(), a.remaining)).collect();
        assert_eq!(
            remaining,
            [
                ("request", 2),
                ("request", 1),
                ("fail_runs", 1),
                ("fail_import_runs", 1),
                ("log_lag_reads", 1),
                ("crash_after_rows", 1)
            ]
        );
        // An import job takes its own kind first, then a run failure; a run never takes an import's.
        assert_eq!(faults.take_import_run_failure().as_deref(), Some("locked"));
        assert_eq!(faults.take_import_run_failure().as_deref(), Some("second"));
        assert_eq!(faults.take_run_failure(), None);
        faults.arm(Fault::FailImportRuns(Counted { count: 1, message: "locked".into() }));
        assert_eq!(faults.take_run_failure(), None);
        assert_eq!(faults.take_request("GET", "/a/b").map(|r| r.times), Some(2));
        faults.arm(Fault::LogLag { reads: 0, runs: 1 });
        assert!(faults.list().iter().all(|a| a.fault.kind() != "log_lag_reads"), "0 reads disarms");
        faults.clear();
        assert_eq!(faults.list(), []);
        assert_eq!((faults.take_log_lag(), faults.take_crash_after_rows()), (0, None));
    }
}
