//! How the library tells its caller about progress: one trait per kind of
//! wait, and [`Silent`] for callers that want none of it. The library never
//! prints; sacctl implements these traits for its spinner and logs.
//!
//! A leaf module: the operations that report (schedule runs, trigger locks,
//! multi actions, pushes) all depend on it, and it on none of them.

use std::path::Path;
use std::time::Duration;

use sac_types::dataimport::ValidateResult;
use sac_types::legacy::RefreshLog;
use sac_types::multiaction::ExecutionStatus;

/// Progress while waiting for a schedule run, for a spinner or a log.
pub trait Reporter: Send + Sync {
    /// After each read of the logs: the run as seen (None: not visible yet).
    fn polled(&self, run: Option<&RefreshLog>, elapsed: Duration);
    /// Another run of the schedule that is not ours started close to our
    /// trigger or ran while ours ran (another host or user: SAC stops both
    /// when they overlap). Reported once per run.
    fn other_run(&self, _run: &RefreshLog, _why: &str) {}
    /// The trigger is about to be sent: from here on a run may have started
    /// whatever happens next (before it, none can have).
    fn triggering(&self) {}
}

/// What waiting for a trigger lock looks like to the caller.
pub trait LockReporter: Send + Sync {
    /// Another process holds the lock; this one waits.
    fn waiting(&self, _path: &Path) {}
}

/// Progress while waiting for a multi action execution.
pub trait MaReporter: Send + Sync {
    fn polled(&self, status: &ExecutionStatus, elapsed: Duration);
}

/// Progress of a push, for a progress bar.
pub trait PushReporter: Send + Sync {
    /// `rows` uploaded so far, `bytes` of the input read so far.
    fn uploaded(&self, rows: u64, bytes: u64);
    /// A new phase: "validating", "writing", ...
    fn phase(&self, text: &str);
    /// The validation's answer (for CleanAndReplace: the scope it will clear).
    fn validated(&self, _result: &ValidateResult) {}
    /// The job exists (so a caller that stops can name it).
    fn job_created(&self, _job_id: &str) {}
}

/// A reporter that reports nothing, for every kind of wait.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn polled(&self, _: Option<&RefreshLog>, _: Duration) {}
}

impl LockReporter for Silent {}

impl MaReporter for Silent {
    fn polled(&self, _: &ExecutionStatus, _: Duration) {}
}

impl PushReporter for Silent {
    fn uploaded(&self, _: u64, _: u64) {}
    fn phase(&self, _: &str) {}
}
