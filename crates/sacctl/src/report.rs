//! How runs are reported: state names, exit statuses, JSON documents and
//! one-line summaries. The JSON shapes are documented in docs/output.md.

use sac_types::legacy::{RefreshLog, RunStatus};
use serde_json::{json, Value};

use crate::exit::ExitStatus;
use crate::Failure;

/// A run, execution or job that may go on in SAC without us: what an error
/// document and the stderr note name, and the command that resumes it.
#[derive(Clone, Debug, Default)]
pub struct Going {
    /// Ids for the JSON document (`model`, `schedule_id`, `execution_id`, `job_id`, ...).
    pub ids: serde_json::Map<String, Value>,
    /// For people: "run X of data import Y".
    pub what: String,
    /// The command that picks it up again, as it can be run.
    pub resume: String,
}

impl Going {
    pub fn new(what: impl Into<String>, resume: impl Into<String>) -> Self {
        Going { ids: Default::default(), what: what.into(), resume: resume.into() }
    }

    pub fn id(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.ids.insert(key.into(), value.into());
        self
    }

    /// Makes this what a signal reports from now on (one command runs per
    /// process, so one slot is enough).
    pub fn declare(&self) {
        *DECLARED.lock().unwrap_or_else(|e| e.into_inner()) = Some(self.clone());
    }

    /// What may go on now, as last declared.
    pub fn declared() -> Option<Going> {
        DECLARED.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The line for stderr (printed even with `--quiet`).
    pub fn note(&self) -> String {
        format!("{} may still be going on in SAC; resume with: {}", self.what, self.resume)
    }
}

/// The run a signal would leave going, see [`Going::declare`].
static DECLARED: std::sync::Mutex<Option<Going>> = std::sync::Mutex::new(None);

/// ` --profile NAME` unless it is the default profile, for resume commands.
pub fn profile_flag(profile: &str) -> String {
    if profile == "default" {
        String::new()
    } else {
        format!(" --profile {profile}")
    }
}

/// Completes a result document: `outcome`, `exit_code` and, when the run
/// goes on, `resume`.
pub fn finish(mut doc: Value, exit: ExitStatus, resume: Option<&str>) -> Value {
    if let Some(map) = doc.as_object_mut() {
        map.insert("outcome".into(), exit.outcome().into());
        map.insert("exit_code".into(), exit.code().into());
        if let Some(resume) = resume {
            map.insert("resume".into(), resume.into());
        }
    }
    doc
}

/// The document of an exit through an error (3, 5, 7, 8, 130, 143, ...).
pub fn failure_json(failure: &Failure) -> Value {
    let mut doc = json!({
        "error": failure.error.to_string(),
        "causes": failure.error.chain().skip(1).map(|c| c.to_string()).collect::<Vec<_>>(),
        "hints": failure.hints,
    });
    if let (Some(going), Some(map)) = (&failure.going, doc.as_object_mut()) {
        map.extend(going.ids.clone());
    }
    finish(doc, failure.status, failure.going.as_ref().map(|g| g.resume.as_str()))
}

/// A stable name for a run status.
pub fn state(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "running",
        RunStatus::Succeeded => "succeeded",
        RunStatus::SucceededWithRejects => "succeeded_with_rejects",
        RunStatus::Cancelled => "cancelled",
        RunStatus::Stopped => "stopped",
        RunStatus::Failed => "failed",
        RunStatus::Other(_) => "unknown",
    }
}

/// The exit status a finished run means.
pub fn exit_for(status: RunStatus, warnings_ok: bool) -> ExitStatus {
    match status {
        RunStatus::Succeeded => ExitStatus::Success,
        RunStatus::SucceededWithRejects if warnings_ok => ExitStatus::Success,
        RunStatus::SucceededWithRejects => ExitStatus::Warnings,
        RunStatus::Cancelled | RunStatus::Stopped => ExitStatus::Cancelled,
        // Still running is only reported after a timeout.
        RunStatus::Running => ExitStatus::Timeout,
        // Failed, and any status code SAC may add that we do not know.
        RunStatus::Failed | RunStatus::Other(_) => ExitStatus::JobFailed,
    }
}

/// The JSON document of a run.
pub fn run_json(
    model: &str,
    schedule_id: &str,
    run: &RefreshLog,
    timed_out: bool,
    exit: ExitStatus,
    resume: Option<&str>,
) -> Value {
    let rows = &run.wrangling_and_update_result.data;
    let doc = json!({
        "model": model,
        "schedule_id": schedule_id,
        "execution_id": run.execution_id,
        "status": run.status.code(),
        "state": state(run.status),
        "timed_out": timed_out,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "user": run.user,
        "rows": {"read": rows.all_count, "rejected": rows.rejected_count, "inserted": rows.inserted_count},
        "message": run.message,
    });
    finish(doc, exit, resume)
}

/// One line about a run.
pub fn run_line(run: &RefreshLog) -> String {
    let rows = &run.wrangling_and_update_result.data;
    let mut line = format!(
        "run {} {}: {} rows inserted ({} read, {} rejected), started {} by {}",
        run.execution_id,
        state(run.status),
        rows.inserted_count,
        rows.all_count,
        rows.rejected_count,
        run.start_time,
        if run.user.is_empty() { "?" } else { &run.user }
    );
    if let Some(end) = &run.end_time {
        line.push_str(&format!(", ended {end}"));
    }
    if let Some(message) = &run.message {
        line.push_str(&format!(": {message}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_per_status() {
        assert_eq!(exit_for(RunStatus::Succeeded, false), ExitStatus::Success);
        assert_eq!(exit_for(RunStatus::SucceededWithRejects, false), ExitStatus::Warnings);
        assert_eq!(exit_for(RunStatus::SucceededWithRejects, true), ExitStatus::Success);
        assert_eq!(exit_for(RunStatus::Stopped, false), ExitStatus::Cancelled);
        assert_eq!(exit_for(RunStatus::Failed, true), ExitStatus::JobFailed);
        assert_eq!(exit_for(RunStatus::Other(42), false), ExitStatus::JobFailed);
    }
}
