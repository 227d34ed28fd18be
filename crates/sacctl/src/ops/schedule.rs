//! Schedule runs (Data Management data imports through the data
//! integration service): start one under the host's trigger lock, wait for
//! it, and what a run means (exit status, JSON document, line).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use sac_client::legacy::DataIntegration;
use sac_client::lock::TriggerLock;
use sac_client::report::{LockReporter, Reporter};
use sac_client::schedule::{self, IfRunning, Target, WaitOutcome};
use sac_types::legacy::{RefreshLog, RunStatus};
use serde_json::{json, Value};

use super::outcome::{Note, Outcome};
use super::wait::RunWaiting;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::going::{sacctl_command, Going};
use crate::report::{finish, state};
use crate::settings::Settings;

/// The target of a schedule command or step: the model, given or read from
/// the schedule's mapping (which needs the tenant id).
pub async fn resolve_target(
    di: &DataIntegration<'_>,
    settings: &Settings,
    schedule_id: &str,
    model: Option<&str>,
    mapping: Option<&str>,
) -> Result<Target, Failure> {
    let model = match (model, mapping, &settings.tenant_id) {
        (Some(model), _, _) => model.to_string(),
        (None, Some(mapping), Some(tenant)) => di.mapping(tenant, mapping).await?.model_name,
        (None, Some(_), None) => {
            return Err(Failure::usage(
                "to find the model from --mapping, the tenant id is needed: give --model t.<TENANT>:<ID>, or --tenant-id (SACCTL_TENANT_ID)",
            ))
        }
        (None, None, _) => return Err(Failure::usage("give --model t.<TENANT>:<ID> (or --mapping with --tenant-id)")),
    };
    Ok(Target { model, schedule_id: schedule_id.to_string(), mapping_id: mapping.map(str::to_string) })
}

/// A run that was started and showed in SAC's logs.
pub struct Started {
    pub run: RefreshLog,
    going: Going,
    schedule_id: String,
    model: String,
}

impl Started {
    pub fn execution_id(&self) -> &str {
        &self.run.execution_id
    }

    /// The note once the run shows (stderr).
    pub fn note(&self) -> String {
        format!(
            "started run {} of data import {} (resume: {})",
            self.run.execution_id, self.schedule_id, self.going.resume
        )
    }

    /// `schedule run` without `--wait`: the run as it started, exit 0.
    pub fn outcome(&self) -> Outcome {
        let json =
            run_json(&self.model, &self.schedule_id, &self.run, false, ExitStatus::Success, Some(&self.going.resume));
        Outcome {
            exit: ExitStatus::Success,
            json,
            lines: vec![self.run.execution_id.clone()],
            notes: Vec::new(),
            message: None,
        }
    }
}

/// Starts a run of `target` under the host's trigger lock of the schedule,
/// taken before the "already running?" check and held until the new run
/// shows in the logs (or the attempt ends): one trigger per schedule per
/// host, however many schedulers fire at once. Until the run shows, its id
/// is not known, and a signal names the logs to read.
pub async fn start<R: Reporter + LockReporter>(
    di: &DataIntegration<'_>,
    settings: &Settings,
    target: &Target,
    if_running: IfRunning,
    waiting: &RunWaiting,
    reporter: &R,
) -> Result<Started, Failure> {
    let unknown = Going::new(
        format!("a run of data import {} (its id is not known yet)", target.schedule_id),
        sacctl_command(
            &["schedule", "logs", "--model", &target.model, "--schedule", &target.schedule_id],
            &settings.profile,
        ),
    )
    .id("model", target.model.clone())
    .id("schedule_id", target.schedule_id.clone());
    unknown.declare();
    let tenant = settings.client.tenant_url.as_str();
    let watch = TriggerWatch { inner: reporter, sent: AtomicBool::new(false) };
    let started = async {
        let lock = TriggerLock::acquire(&lock_dir(), tenant, "schedule", &target.schedule_id, &watch).await?;
        schedule::start(di, target, if_running, &waiting.policy(), &watch, Some(&lock)).await
    }
    .await;
    // Before the trigger was sent no run can have started: an error then
    // names no run that "may still be going on".
    let unknown = watch.sent.load(Ordering::Relaxed).then_some(&unknown);
    let run = started.map_err(|e| start_failure(e, &settings.profile, target, unknown, waiting.warnings_ok()))?;
    let going = going(&settings.profile, target, &run.execution_id);
    going.declare();
    Ok(Started { run, going, schedule_id: target.schedule_id.clone(), model: target.model.clone() })
}

/// A reporter that passes everything on and notes whether the trigger was
/// sent.
struct TriggerWatch<'r, R> {
    inner: &'r R,
    sent: AtomicBool,
}

impl<R: Reporter> Reporter for TriggerWatch<'_, R> {
    fn polled(&self, run: Option<&RefreshLog>, elapsed: std::time::Duration) {
        self.inner.polled(run, elapsed)
    }
    fn other_run(&self, run: &RefreshLog, why: &str) {
        self.inner.other_run(run, why)
    }
    fn triggering(&self) {
        self.sent.store(true, Ordering::Relaxed);
        self.inner.triggering()
    }
}

impl<R: LockReporter> LockReporter for TriggerWatch<'_, R> {
    fn waiting(&self, path: &std::path::Path) {
        self.inner.waiting(path)
    }
}

/// Where the trigger locks live: the cache directory (SACCTL_CACHE_DIR),
/// so every sacctl of this OS user on this host shares them.
fn lock_dir() -> PathBuf {
    crate::settings::cache_dir().unwrap_or_else(|| std::env::temp_dir().join("sacctl")).join("locks")
}

/// The newest run of `target` (for a wait without an execution id).
pub async fn newest(di: &DataIntegration<'_>, target: &Target) -> Result<String, Failure> {
    schedule::newest_run(di, target).await?.map(|r| r.execution_id).ok_or_else(|| {
        Failure::from(sac_client::Error::NotFound {
            what: "run".into(),
            message: format!("data import {} has never run", target.schedule_id),
        })
    })
}

/// Waits for run `execution_id` of `target` to end (or the timeout).
pub async fn wait<R: Reporter>(
    di: &DataIntegration<'_>,
    profile: &str,
    target: &Target,
    execution_id: &str,
    waiting: &RunWaiting,
    reporter: &R,
) -> Result<Outcome, Failure> {
    let going = going(profile, target, execution_id);
    going.declare();
    let policy = waiting.policy();
    let outcome = match schedule::wait(di, target, execution_id, &policy, reporter).await {
        Ok(outcome) => outcome,
        Err(e) if e.class() == sac_client::ErrorClass::NotFound => return Err(schedule_failure(e, target)),
        Err(e) => return Err(Failure::from(e).going(&going)),
    };
    let (run, timed_out) = match outcome {
        WaitOutcome::Finished(run) => (run, false),
        WaitOutcome::TimedOut(run) => (run, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(run.status, waiting.warnings_ok()) };
    let resume = going.resume;
    let json =
        run_json(&target.model, &target.schedule_id, &run, timed_out, exit, timed_out.then_some(resume.as_str()));
    let mut notes = Vec::new();
    let rejected = run.wrangling_and_update_result.data.rejected_count;
    if timed_out {
        notes.push(Note::Always(format!(
            "gave up waiting after {}; run {execution_id} is still running. Resume with: {resume}",
            humantime::format_duration(policy.timeout)
        )));
    } else if rejected > 0 {
        let list = crate::shell::command(["sacctl", "schedule", "rejections", execution_id]);
        notes.push(Note::Info(format!("{rejected} rows were rejected: `{list}` lists them")));
    }
    Ok(Outcome { exit, json, lines: vec![run_line(&run)], notes, message: run.message.clone() })
}

/// The run `execution_id` of `target`, for error documents and notes.
fn going(profile: &str, target: &Target, execution_id: &str) -> Going {
    Going::new(
        format!("run {execution_id} of data import {}", target.schedule_id),
        sacctl_command(
            &["schedule", "wait", &target.schedule_id, "--model", &target.model, "--execution", execution_id],
            profile,
        ),
    )
    .id("model", target.model.clone())
    .id("schedule_id", target.schedule_id.clone())
    .id("execution_id", execution_id)
}

/// A failed start: a run already in flight is named with the command that
/// waits for it; a trigger whose fate is open names the logs to read. When
/// our run cannot be told apart from another one and they all ended the
/// same way (SAC stops both when they overlap), that outcome is the exit
/// status whichever run is ours.
fn start_failure(
    error: sac_client::Error,
    profile: &str,
    target: &Target,
    unknown: Option<&Going>,
    warnings_ok: bool,
) -> Failure {
    use sac_client::{Error, ErrorClass};
    match &error {
        Error::AlreadyRunning { execution_id, .. } => {
            let going = going(profile, target, execution_id);
            let mut failure = Failure::from(error);
            failure.hints = vec![
                format!("wait for it with `{}`", going.resume),
                "or use --if-running wait (start after it) or --if-running start (SAC then stops both runs)".into(),
            ];
            failure.going(&going)
        }
        Error::RunAmbiguous { candidates, .. } => {
            let ends: Vec<Option<ExitStatus>> =
                candidates.iter().map(|r| r.status.is_terminal().then(|| exit_for(r.status, warnings_ok))).collect();
            let shared = ends.first().copied().flatten().filter(|first| ends.iter().all(|e| *e == Some(*first)));
            let mut failure = Failure::from(error);
            if let Some(status) = shared {
                failure.status = status;
                failure.hints.insert(0, format!("all of them ended the same way: exit {}", status.code()));
            }
            match unknown {
                Some(unknown) => failure.going(unknown),
                None => failure,
            }
        }
        Error::TriggerUnknown { schedule_id, .. } if unknown.is_some() => {
            let unknown = unknown.expect("checked");
            let hint = format!(
                "look at `{}` before triggering {schedule_id} again: SAC stops both runs when a second one starts",
                unknown.resume
            );
            let mut failure = Failure::from(error);
            failure.hints = vec![hint];
            failure.going(unknown)
        }
        _ if error.class() == ErrorClass::Unreachable => match unknown {
            Some(unknown) => Failure::from(error).going(unknown),
            None => Failure::from(error),
        },
        _ => schedule_failure(error, target),
    }
}

/// An error of a schedule command; a missing data import or run names the
/// command that lists the model's data imports.
fn schedule_failure(error: sac_client::Error, target: &Target) -> Failure {
    // A missing model keeps its own hint (the models list).
    let not_found = error.class() == sac_client::ErrorClass::NotFound
        && !matches!(&error, sac_client::Error::NotFound { what, .. } if what == "model");
    let mut failure = Failure::from(error);
    if not_found {
        failure.hints = vec![format!(
            "check the id; `sacctl schedule list --model {}` lists the data imports of the model with their last run",
            crate::shell::word(&target.model)
        )];
    }
    failure
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
    let mut doc = run_fields(model, schedule_id, run);
    doc["timed_out"] = timed_out.into();
    finish(doc, exit, resume)
}

/// What SAC's logs say about a run, in the names of the run document (an
/// entry of `schedule history`, the core of `run_json`).
fn run_fields(model: &str, schedule_id: &str, run: &RefreshLog) -> Value {
    let rows = &run.wrangling_and_update_result.data;
    json!({
        "model": model,
        "schedule_id": schedule_id,
        "execution_id": run.execution_id,
        "status": run.status.code(),
        "state": state(run.status),
        "start_time": run.start_time,
        "end_time": run.end_time,
        "user": run.user,
        "rows": {"read": rows.all_count, "rejected": rows.rejected_count, "inserted": rows.inserted_count},
        "message": run.message,
    })
}

/// The newest `limit` runs of `target`, newest first as SAC's logs list
/// them: a list, so its document is a bare array of run entries (no
/// `outcome`/`exit_code`, like the other lists of docs/output.md), exit 0.
pub async fn history(di: &DataIntegration<'_>, target: &Target, limit: usize) -> Result<Outcome, Failure> {
    let schedule = di.schedule(&target.model, &target.schedule_id).await.map_err(|e| schedule_failure(e, target))?;
    let runs: Vec<&RefreshLog> = schedule.refresh_logs.iter().take(limit).collect();
    let json = Value::Array(runs.iter().map(|run| run_fields(&target.model, &target.schedule_id, run)).collect());
    let notes = if runs.is_empty() {
        vec![Note::Info(format!("data import {} has never run", target.schedule_id))]
    } else {
        Vec::new()
    };
    Ok(Outcome {
        exit: ExitStatus::Success,
        json,
        lines: runs.iter().map(|run| run_line(run)).collect(),
        notes,
        message: None,
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
        line.push_str(&format!(": {}", crate::output::one_line(message)));
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
        assert_eq!(exit_for(RunStatus::Cancelled, false), ExitStatus::Cancelled);
        assert_eq!(exit_for(RunStatus::Running, false), ExitStatus::Timeout);
        assert_eq!(exit_for(RunStatus::Failed, true), ExitStatus::JobFailed);
        assert_eq!(exit_for(RunStatus::Other(42), false), ExitStatus::JobFailed);
    }

    #[test]
    fn the_resume_line_quotes_a_hostile_execution_id() {
        let target = Target { model: "t.G:ZEPPART_001".into(), schedule_id: "F58C".into(), mapping_id: None };
        let going = going("default", &target, "7A8B;touch x");
        assert_eq!(going.resume, "sacctl schedule wait F58C --model t.G:ZEPPART_001 --execution '7A8B;touch x'");
        assert_eq!(going.ids["execution_id"], "7A8B;touch x", "the document keeps the id as it is");
    }
}
