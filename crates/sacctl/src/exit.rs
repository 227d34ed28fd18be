//! The exit codes of `sacctl`, one place for all of them
//! (documented in `docs/exit-codes.md`).

/// A process exit status with a documented meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: the job or multi action finished as failed.
    JobFailed,
    /// 2: usage or configuration error.
    Usage,
    /// 3: authentication or authorization failed.
    Auth,
    /// 4: target not found.
    NotFound,
    /// 5: timed out waiting; the job is still running.
    Timeout,
    /// 6: finished with warnings or rejected rows.
    Warnings,
    /// 7: refused, a run of this target is already in progress.
    AlreadyRunning,
    /// 8: SAC unreachable or status unknown after the retry budget.
    Unreachable,
    /// 9: cancelled or stopped.
    Cancelled,
    /// 130: interrupted by SIGINT.
    Interrupted,
    /// 143: terminated by SIGTERM.
    Terminated,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::JobFailed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Auth => 3,
            ExitStatus::NotFound => 4,
            ExitStatus::Timeout => 5,
            ExitStatus::Warnings => 6,
            ExitStatus::AlreadyRunning => 7,
            ExitStatus::Unreachable => 8,
            ExitStatus::Cancelled => 9,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
        }
    }

    /// A stable name for the `outcome` field of the JSON documents.
    pub fn outcome(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::JobFailed => "job_failed",
            ExitStatus::Usage => "usage_error",
            ExitStatus::Auth => "auth_failed",
            ExitStatus::NotFound => "not_found",
            ExitStatus::Timeout => "timed_out",
            ExitStatus::Warnings => "warnings",
            ExitStatus::AlreadyRunning => "already_running",
            ExitStatus::Unreachable => "unreachable",
            ExitStatus::Cancelled => "cancelled",
            ExitStatus::Interrupted => "interrupted",
            ExitStatus::Terminated => "terminated",
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}
