//! How long and how often to wait for a job in SAC.

use std::time::Duration;

use sac_client::poll::WaitPolicy;

/// How to wait for a job (`--timeout`, `--poll-interval`, `--warnings-ok`,
/// or a chain step's keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub timeout: Duration,
    pub poll_interval: Duration,
    /// Rejected rows or warnings still mean success (exit 0, not 6).
    pub warnings_ok: bool,
}

impl Waiting {
    /// The policy for a job that is known as soon as it starts (a Data
    /// Import job: the grace for appearing does not apply to it).
    pub fn policy(&self) -> WaitPolicy {
        WaitPolicy {
            min_interval: sac_client::poll::MIN_INTERVAL,
            max_interval: self.poll_interval,
            timeout: self.timeout,
            ..WaitPolicy::default()
        }
    }
}

/// How to wait for a schedule run or a multi action execution, which may
/// take a while to show in SAC (`--appear-timeout`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunWaiting {
    pub waiting: Waiting,
    pub appear_timeout: Duration,
}

impl RunWaiting {
    pub fn policy(&self) -> WaitPolicy {
        WaitPolicy { appear_grace: self.appear_timeout, ..self.waiting.policy() }
    }

    pub fn warnings_ok(&self) -> bool {
        self.waiting.warnings_ok
    }
}
