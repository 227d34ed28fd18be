//! Starting a data import schedule and waiting for its run, the way a
//! scheduler needs it: never two triggers for one request, the run id as
//! soon as it is known, and waiting that stops on the status field alone.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sac_types::legacy::{RefreshLog, RunStatus, Schedule};

use crate::error::{Error, Result};
use crate::legacy::{tenant_of, DataIntegration};

/// What to do when a run of the schedule is already in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfRunning {
    /// Refuse (SAC would stop both runs).
    Fail,
    /// Wait for it to end, then start.
    Wait,
    /// Start anyway (SAC then stops both).
    Start,
}

/// How to poll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitPolicy {
    /// First pause between two reads of the logs.
    pub first_interval: Duration,
    /// The pause grows by half each time up to this.
    pub max_interval: Duration,
    /// Give up waiting after this long (the run goes on).
    pub timeout: Duration,
    /// How long a run may be missing from the logs right after the trigger
    /// (SAC's logs lag behind the execution).
    pub appear_grace: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30 * 60),
            appear_grace: Duration::from_secs(60),
        }
    }
}

impl WaitPolicy {
    fn next_interval(&self, current: Duration) -> Duration {
        current.mul_f64(1.5).min(self.max_interval).max(Duration::from_millis(10))
    }
}

/// Progress while waiting, for a spinner or a log.
pub trait Reporter: Send + Sync {
    /// After each read of the logs: the run as seen (None: not visible yet).
    fn polled(&self, run: Option<&RefreshLog>, elapsed: Duration);
}

/// A reporter that reports nothing.
pub struct Silent;

impl Reporter for Silent {
    fn polled(&self, _: Option<&RefreshLog>, _: Duration) {}
}

/// A schedule to run: its model (for the logs and the tenant id), its id
/// and, if known, its mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub model: String,
    pub schedule_id: String,
    pub mapping_id: Option<String>,
}

/// How a wait ended.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitOutcome {
    /// The run reached a final status.
    Finished(RefreshLog),
    /// The time was up; the run is still going (as last seen).
    TimedOut(RefreshLog),
}

/// Where a run stands, for exit codes.
pub fn is_success(status: RunStatus) -> bool {
    status == RunStatus::Succeeded
}

fn runs_of<'a>(schedules: &'a [Schedule], schedule_id: &str) -> Option<&'a Schedule> {
    schedules.iter().find(|s| s.schedule_id == schedule_id)
}

/// Errors after which the trigger may or may not have reached SAC.
fn ambiguous(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => !source.is_connect(),
        Error::Unavailable { status, .. } => matches!(status, 500 | 502 | 504),
        Error::Decode { .. } => true,
        _ => false,
    }
}

/// Starts a run of `target` and returns it as soon as it shows in the logs.
///
/// Before the trigger the logs are read: a run in flight is handled as
/// `if_running` says. The trigger is sent once. After an answer that leaves
/// its fate open (timeout, connection lost, 500/502/504) the logs decide
/// whether the run started; the trigger is never sent twice.
pub async fn start(
    di: &DataIntegration<'_>,
    target: &Target,
    if_running: IfRunning,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
) -> Result<RefreshLog> {
    let tenant = tenant_of(&target.model)
        .ok_or_else(|| Error::Config(format!("{:?} is not a model name of the form t.<TENANT>:<ID>", target.model)))?
        .to_string();
    let mut schedule = di.schedule(&target.model, &target.schedule_id).await?;
    if let Some(mapping) = &target.mapping_id {
        if *mapping != schedule.mapping_id {
            return Err(Error::Config(format!(
                "data import {} has mapping {}, not {mapping}",
                target.schedule_id, schedule.mapping_id
            )));
        }
    }
    let in_flight: Vec<String> = schedule
        .refresh_logs
        .iter()
        .filter(|l| l.status == RunStatus::Running)
        .map(|l| l.execution_id.clone())
        .collect();
    if let Some(first) = in_flight.first() {
        match if_running {
            IfRunning::Fail => {
                return Err(Error::AlreadyRunning {
                    schedule_id: target.schedule_id.clone(),
                    execution_id: first.clone(),
                })
            }
            IfRunning::Wait => {
                for execution in &in_flight {
                    tracing::info!(execution, "waiting for the run in flight before starting");
                    if let WaitOutcome::TimedOut(log) = wait(di, target, execution, policy, reporter).await? {
                        return Err(Error::AlreadyRunning {
                            schedule_id: target.schedule_id.clone(),
                            execution_id: log.execution_id,
                        });
                    }
                }
                schedule = di.schedule(&target.model, &target.schedule_id).await?;
            }
            IfRunning::Start => {
                tracing::warn!(execution = %first, "a run is in flight and --if-running start was given: SAC will stop both")
            }
        }
    }
    let known: HashSet<String> = schedule.refresh_logs.iter().map(|l| l.execution_id.clone()).collect();
    let mapping = target.mapping_id.clone().unwrap_or(schedule.mapping_id.clone());
    let triggered = di.trigger(&tenant, &target.schedule_id, Some(&mapping)).await;
    let fate_open = match triggered {
        Ok(()) => None,
        Err(e) if ambiguous(&e) => {
            tracing::warn!(error = %e, "the trigger's answer was lost; looking at the logs to learn whether the run started");
            Some(e.to_string())
        }
        Err(e) => return Err(e),
    };
    find_new_run(di, target, &known, policy, reporter, fate_open).await
}

/// Reads the logs until a run that was not there before the trigger shows.
async fn find_new_run(
    di: &DataIntegration<'_>,
    target: &Target,
    known: &HashSet<String>,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
    fate_open: Option<String>,
) -> Result<RefreshLog> {
    let began = Instant::now();
    let mut interval = policy.first_interval.min(Duration::from_millis(500));
    loop {
        let schedules = di.schedules(&target.model).await?;
        // Newest first: the last new one is the one started right after our trigger.
        let new_run = runs_of(&schedules, &target.schedule_id)
            .and_then(|s| s.refresh_logs.iter().rev().find(|l| !known.contains(&l.execution_id)));
        if let Some(run) = new_run {
            return Ok(run.clone());
        }
        reporter.polled(None, began.elapsed());
        if began.elapsed() >= policy.appear_grace {
            let reason = match fate_open {
                Some(lost) => format!(
                    "the trigger's answer was lost ({lost}) and no new run appeared in the logs within {} s",
                    policy.appear_grace.as_secs()
                ),
                None => format!(
                    "SAC accepted the trigger, but no new run appeared in the logs within {} s",
                    policy.appear_grace.as_secs()
                ),
            };
            return Err(Error::TriggerUnknown { schedule_id: target.schedule_id.clone(), reason });
        }
        tokio::time::sleep(interval.min(policy.appear_grace.saturating_sub(began.elapsed()))).await;
        interval = policy.next_interval(interval);
    }
}

/// Waits for the run `execution_id` of `target` to finish, or for the
/// policy's timeout. The run may be missing from the logs for the grace
/// period; after that, a missing run is `NotFound`.
pub async fn wait(
    di: &DataIntegration<'_>,
    target: &Target,
    execution_id: &str,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
) -> Result<WaitOutcome> {
    let began = Instant::now();
    let mut interval = policy.first_interval;
    loop {
        let schedules = di.schedules(&target.model).await?;
        let schedule = runs_of(&schedules, &target.schedule_id).ok_or_else(|| Error::NotFound {
            what: "data import".into(),
            message: format!("model {} has no data import {}", target.model, target.schedule_id),
        })?;
        let run = schedule.refresh_logs.iter().find(|l| l.execution_id == execution_id);
        reporter.polled(run, began.elapsed());
        match run {
            Some(run) if run.status.is_terminal() => return Ok(WaitOutcome::Finished(run.clone())),
            Some(run) if began.elapsed() >= policy.timeout => return Ok(WaitOutcome::TimedOut(run.clone())),
            Some(_) => {}
            None if began.elapsed() >= policy.appear_grace.min(policy.timeout) => {
                return Err(Error::NotFound {
                    what: "execution".into(),
                    message: format!("data import {} has no run {execution_id}", target.schedule_id),
                })
            }
            None => {}
        }
        let remaining = policy.timeout.saturating_sub(began.elapsed());
        tokio::time::sleep(interval.min(remaining).max(Duration::from_millis(10))).await;
        interval = policy.next_interval(interval);
    }
}

/// The newest run of a schedule, if any.
pub async fn newest_run(di: &DataIntegration<'_>, target: &Target) -> Result<Option<RefreshLog>> {
    let schedule = di.schedule(&target.model, &target.schedule_id).await?;
    Ok(schedule.refresh_logs.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_grow_to_the_cap() {
        let policy = WaitPolicy {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(2),
            ..Default::default()
        };
        let second = policy.next_interval(Duration::from_secs(1));
        assert_eq!(second, Duration::from_millis(1500));
        assert_eq!(policy.next_interval(second), Duration::from_secs(2));
    }
}
