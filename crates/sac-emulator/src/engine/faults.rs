//! Counted failures that act inside the engine (not on a request): the next
//! N runs or import jobs fail, the next N data-action steps fail, the next
//! runs stay out of the logs for some reads. Set through the admin API.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

/// A counted failure: the next `count` runs (or data-action steps) fail with `message`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailRuns {
    pub count: u32,
    pub message: String,
}

#[derive(Default)]
pub struct Failures {
    fail_runs: Mutex<Option<FailRuns>>,
    fail_data_actions: Mutex<Option<FailRuns>>,
    /// (runs left, log reads each stays hidden)
    log_lag: Mutex<Option<(u32, u32)>>,
    /// Abort the process when the next job write has written this many rows.
    crash_after_rows: Mutex<Option<u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes one firing of a counted failure.
fn take(slot: &mut Option<FailRuns>) -> Option<String> {
    let f = slot.as_mut()?;
    f.count = f.count.saturating_sub(1);
    let message = f.message.clone();
    if f.count == 0 {
        *slot = None;
    }
    Some(message)
}

impl Failures {
    pub fn set_fail_runs(&self, value: Option<FailRuns>) {
        *lock(&self.fail_runs) = value;
    }

    pub fn set_fail_data_actions(&self, value: Option<FailRuns>) {
        *lock(&self.fail_data_actions) = value;
    }

    pub fn set_log_lag(&self, value: Option<(u32, u32)>) {
        *lock(&self.log_lag) = value;
    }

    pub fn set_crash_after_rows(&self, rows: Option<u64>) {
        *lock(&self.crash_after_rows) = rows;
    }

    /// The row count at which the job write that starts now aborts the process.
    pub(crate) fn take_crash_after_rows(&self) -> Option<u64> {
        lock(&self.crash_after_rows).take()
    }

    pub fn fail_runs(&self) -> Option<FailRuns> {
        lock(&self.fail_runs).clone()
    }

    pub fn fail_data_actions(&self) -> Option<FailRuns> {
        lock(&self.fail_data_actions).clone()
    }

    pub fn clear(&self) {
        self.set_fail_runs(None);
        self.set_fail_data_actions(None);
        self.set_log_lag(None);
        self.set_crash_after_rows(None);
    }

    /// The message of an injected run (or import job) failure, if one is due.
    pub(crate) fn take_run_failure(&self) -> Option<String> {
        take(&mut lock(&self.fail_runs))
    }

    /// The message of an injected data-action failure, if one is due.
    pub(crate) fn take_data_action_failure(&self) -> Option<String> {
        take(&mut lock(&self.fail_data_actions))
    }

    /// The number of log reads the next run stays out of the logs.
    pub(crate) fn take_log_lag(&self) -> i64 {
        let mut lag = lock(&self.log_lag);
        match lag.as_mut() {
            Some((count, reads)) if *count > 0 => {
                *count -= 1;
                let reads = *reads;
                if *count == 0 {
                    *lag = None;
                }
                i64::from(reads)
            }
            _ => 0,
        }
    }
}
