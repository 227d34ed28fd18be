//! How runs are reported: state names, exit statuses, JSON documents and
//! one-line summaries. The JSON shapes are documented in docs/output.md.

use sac_types::legacy::{RefreshLog, RunStatus};
use serde_json::{json, Value};

use crate::exit::ExitStatus;

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
pub fn run_json(model: &str, schedule_id: &str, run: &RefreshLog, timed_out: bool, exit: ExitStatus) -> Value {
    let rows = &run.wrangling_and_update_result.data;
    json!({
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
        "exit_code": exit.code(),
    })
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
