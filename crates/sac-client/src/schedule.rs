//! Starting a data import schedule and waiting for its run, the way a
//! scheduler needs it: never two triggers for one request, our run told
//! apart from others by evidence, the run id as soon as it is known, and
//! waiting that sees the end at once and stops on the status field alone.

use std::collections::HashSet;
use std::time::Instant;

use sac_types::legacy::{RefreshLog, RunStatus, Schedule};

use crate::attribution::{attribute, overlaps, why_not_ours, Attribution, Evidence};
use crate::error::{Error, Result};
use crate::ids::tenant_of;
use crate::legacy::DataIntegration;
use crate::lock::TriggerLock;
use crate::poll::WaitPolicy;
use crate::report::Reporter;

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

/// Errors after which the trigger may or may not have started a run: a
/// lost or unreadable answer, and every 5xx (a 503 too: it may come from a
/// gateway after the backend began, see [`crate::http`]). Only a 429 or a
/// connection that was never made prove that nothing started, and those
/// the HTTP layer already retried.
fn ambiguous(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => !source.is_connect(),
        Error::Unavailable { status, .. } => *status >= 500,
        Error::Decode { .. } => true,
        _ => false,
    }
}

/// Starts a run of `target` and returns it as soon as it shows in the logs.
///
/// The caller should hold the host's [`TriggerLock`] of the target (and
/// pass it) from before this call until it returns: then no other process
/// of this host can pass the "already running?" check in between, and runs
/// it claimed are never taken for ours. Before the trigger the logs are
/// read: a run in flight is handled as `if_running` says. The trigger is
/// sent once. After an answer that leaves its fate open (timeout,
/// connection lost, any 5xx) only the logs decide whether the run started;
/// the trigger is never sent twice. The new run is told apart from others
/// by [`crate::attribution`]; when that cannot be done, the error says so.
pub async fn start(
    di: &DataIntegration<'_>,
    target: &Target,
    if_running: IfRunning,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
    lock: Option<&TriggerLock>,
) -> Result<RefreshLog> {
    let tenant = tenant_of(&target.model)
        .ok_or_else(|| Error::Config(format!("{:?} is not a model name of the form t.<TENANT>:<ID>", target.model)))?
        .to_string();
    let (mut schedule, mut read_at) = read_schedule(di, target).await?;
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
                (schedule, read_at) = read_schedule(di, target).await?;
            }
            IfRunning::Start => {
                tracing::warn!(execution = %first, "a run is in flight and --if-running start was given: SAC will stop both")
            }
        }
    }
    let mut evidence = Evidence {
        known: schedule.refresh_logs.iter().map(|l| l.execution_id.clone()).collect(),
        user: di.user().await,
        not_before: read_at,
        not_after: None,
    };
    if let Some(lock) = lock {
        evidence.known.extend(lock.claimed());
    }
    let mapping = target.mapping_id.clone().unwrap_or(schedule.mapping_id.clone());
    reporter.triggering();
    let fate_open = match di.trigger(&tenant, &target.schedule_id, Some(&mapping)).await {
        Ok(answered_at) => {
            evidence.not_after = answered_at;
            None
        }
        Err(e) if ambiguous(&e) => {
            tracing::warn!(error = %e, "the trigger's fate is unknown; looking at the logs to learn whether the run started");
            Some(e.to_string())
        }
        Err(e) => return Err(e),
    };
    let run = find_new_run(di, target, &evidence, policy, reporter, fate_open).await?;
    if let Some(lock) = lock {
        lock.claim(&run.execution_id)?;
    }
    Ok(run)
}

/// The schedule of `target` with the server's time of the answer.
async fn read_schedule(
    di: &DataIntegration<'_>,
    target: &Target,
) -> Result<(Schedule, Option<chrono::DateTime<chrono::Utc>>)> {
    let (schedules, at) = di.schedules_dated(&target.model).await?;
    match schedules.iter().position(|s| s.schedule_id == target.schedule_id) {
        Some(found) => Ok((schedules.into_iter().nth(found).expect("found"), at)),
        None => Err(di.no_schedule(&target.model, &target.schedule_id, &schedules).await),
    }
}

/// Reads the logs until the run our trigger started can be named.
async fn find_new_run(
    di: &DataIntegration<'_>,
    target: &Target,
    evidence: &Evidence,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
    fate_open: Option<String>,
) -> Result<RefreshLog> {
    let began = Instant::now();
    loop {
        let read_started = Instant::now();
        // A read that hangs past the grace ends the search like a run that never showed.
        let Some(schedules) = policy.by_deadline(began, policy.appear_grace, di.schedules(&target.model)).await else {
            return Err(Error::TriggerUnknown {
                schedule_id: target.schedule_id.clone(),
                reason: format!(
                    "the logs did not answer within {} s of the trigger{}",
                    policy.appear_grace.as_secs(),
                    fate_open
                        .map(|lost| format!(" (and the trigger's answer was lost or failed: {lost})"))
                        .unwrap_or_default()
                ),
            });
        };
        let schedules = schedules?;
        let runs = runs_of(&schedules, &target.schedule_id).map(|s| s.refresh_logs.as_slice()).unwrap_or_default();
        match attribute(runs, evidence) {
            Attribution::Ours { run, others } => {
                for other in &others {
                    let why = why_not_ours(other, evidence).unwrap_or_default();
                    reporter.other_run(other, &format!("a new run that is not ours ({why})"));
                }
                return Ok(run);
            }
            Attribution::Ambiguous(candidates) => {
                return Err(Error::RunAmbiguous {
                    model: target.model.clone(),
                    schedule_id: target.schedule_id.clone(),
                    candidates,
                })
            }
            Attribution::Missing => {}
        }
        reporter.polled(None, began.elapsed());
        if began.elapsed() >= policy.appear_grace {
            let reason = match fate_open {
                Some(lost) => format!(
                    "the trigger's answer was lost or failed ({lost}) and no new run appeared in the logs within {} s",
                    policy.appear_grace.as_secs()
                ),
                None => format!(
                    "SAC accepted the trigger, but no new run appeared in the logs within {} s",
                    policy.appear_grace.as_secs()
                ),
            };
            return Err(Error::TriggerUnknown { schedule_id: target.schedule_id.clone(), reason });
        }
        policy.sleep_before_next(began, read_started, policy.appear_grace).await;
    }
}

/// Waits for the run `execution_id` of `target` to finish, or for the
/// policy's timeout. The run may be missing from the logs for the grace
/// period; after that, a missing run is `NotFound`. Other runs of the
/// schedule that run while ours runs are reported (SAC stops both).
pub async fn wait(
    di: &DataIntegration<'_>,
    target: &Target,
    execution_id: &str,
    policy: &WaitPolicy,
    reporter: &dyn Reporter,
) -> Result<WaitOutcome> {
    let began = Instant::now();
    let mut reported = HashSet::new();
    let mut last_seen: Option<RefreshLog> = None;
    loop {
        let read_started = Instant::now();
        let Some(schedules) = policy.by_deadline(began, policy.timeout, di.schedules(&target.model)).await else {
            return match last_seen {
                Some(run) => Ok(WaitOutcome::TimedOut(run)),
                None => Err(Error::WaitTimedOut {
                    what: format!("the logs of data import {}", target.schedule_id),
                    waited: policy.timeout,
                }),
            };
        };
        let schedules = schedules?;
        let schedule = runs_of(&schedules, &target.schedule_id).ok_or_else(|| Error::NotFound {
            what: "data import".into(),
            message: format!("model {} has no data import {}", target.model, target.schedule_id),
        })?;
        let run = schedule.refresh_logs.iter().find(|l| l.execution_id == execution_id);
        if let Some(ours) = run {
            for other in schedule.refresh_logs.iter().filter(|o| overlaps(ours, o)) {
                if reported.insert(other.execution_id.clone()) {
                    reporter.other_run(other, "ran while ours ran: SAC stops both runs of a data import that overlap");
                }
            }
        }
        reporter.polled(run, began.elapsed());
        if let Some(run) = run {
            last_seen = Some(run.clone());
        }
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
        policy.sleep_before_next(began, read_started, policy.timeout).await;
    }
}

/// The newest run of a schedule, if any.
pub async fn newest_run(di: &DataIntegration<'_>, target: &Target) -> Result<Option<RefreshLog>> {
    let schedule = di.schedule(&target.model, &target.schedule_id).await?;
    Ok(schedule.refresh_logs.into_iter().next())
}
