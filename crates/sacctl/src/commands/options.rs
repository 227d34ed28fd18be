//! From the wait flags to the operations' options.

use sac_client::schedule::IfRunning;

use crate::cli::{IfRunningArg, RunWaitArgs, WaitArgs};
use crate::ops::wait::{RunWaiting, Waiting};

/// `--timeout`, `--poll-interval`, `--warnings-ok`.
pub fn waiting(args: &WaitArgs) -> Waiting {
    Waiting { timeout: args.timeout, poll_interval: args.poll_interval, warnings_ok: args.warnings_ok }
}

/// The wait flags of a schedule run or multi action execution.
pub fn run_waiting(args: &RunWaitArgs) -> RunWaiting {
    RunWaiting { waiting: waiting(&args.wait), appear_timeout: args.appear_timeout }
}

/// `--if-running`.
pub fn if_running(arg: IfRunningArg) -> IfRunning {
    match arg {
        IfRunningArg::Fail => IfRunning::Fail,
        IfRunningArg::Wait => IfRunning::Wait,
        IfRunningArg::Start => IfRunning::Start,
    }
}
