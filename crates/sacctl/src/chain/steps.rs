//! One attempt at one step: the same operations as the step's own sacctl
//! command (`schedule run --wait`, `multiaction run --wait`, `import push`,
//! `export`, `... wait`, see `crate::ops`), with the SAC id reported as
//! soon as it is known, so the state can resume it; or a local program
//! (`super::command`).

use std::time::Duration;

use sac_client::report::Silent;
use sac_client::schedule::{IfRunning, Target};
use sac_client::Client;
use serde_json::{json, Value};

use super::command;
use super::file::{Action, Step};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::import::Push;
use crate::ops::{calendar, export, export_delta, import, multiaction, schedule};
use crate::output::Printer;
use crate::report::finish;
use crate::settings::Settings;

/// How an attempt ended.
#[derive(Debug)]
pub struct Outcome {
    pub exit: ExitStatus,
    /// The step command's JSON document.
    pub result: Option<Value>,
    /// Why it did not succeed, with hints.
    pub message: Option<String>,
}

impl Outcome {
    fn done(exit: ExitStatus, result: Value) -> Self {
        Outcome { exit, result: Some(result), message: None }
    }

    fn failed(failure: Failure) -> Self {
        let mut message = failure.error.to_string();
        for cause in failure.error.chain().skip(1) {
            message.push_str(&format!(": {cause}"));
        }
        for hint in &failure.hints {
            message.push_str(&format!(" (hint: {hint})"));
        }
        Outcome { exit: failure.status, result: None, message: Some(message) }
    }
}

/// A step's outcome is its operation's: the document, and SAC's word as the message.
impl From<crate::ops::outcome::Outcome> for Outcome {
    fn from(done: crate::ops::outcome::Outcome) -> Self {
        Outcome { exit: done.exit, result: Some(done.json), message: done.message }
    }
}

impl From<command::Finished> for Outcome {
    fn from(done: command::Finished) -> Self {
        Outcome { exit: done.exit, result: Some(done.json), message: done.message }
    }
}

/// Where a step's SAC work stands before the attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Start it.
    Fresh,
    /// Wait again for this schedule run or multi action execution.
    Execution(String),
    /// Take up this Data Import API job again.
    Job(String),
}

/// Learns the SAC ids of a step as soon as they exist.
pub trait Recorder: Send + Sync {
    fn execution(&self, id: &str);
    fn job(&self, id: &str);
}

/// The identity a step runs as.
pub struct Identity<'a> {
    pub settings: &'a Settings,
    pub client: &'a Client,
}

/// Runs one attempt of `step`.
pub async fn attempt(step: &Step, who: &Identity<'_>, resume: &Resume, recorder: &dyn Recorder) -> Outcome {
    let result = match &step.action {
        Action::Schedule { schedule, model, mapping, if_running } => {
            run_schedule(
                step,
                who,
                (schedule, model.as_deref(), mapping.as_deref()),
                Some(*if_running),
                resume,
                recorder,
            )
            .await
        }
        Action::WaitSchedule { schedule, model, execution } => {
            let resume = match (resume, execution) {
                (Resume::Execution(id), _) => Resume::Execution(id.clone()),
                (_, Some(id)) => Resume::Execution(id.clone()),
                _ => Resume::Fresh,
            };
            run_schedule(step, who, (schedule, Some(model), None), None, &resume, recorder).await
        }
        Action::MultiAction { id, params, allow_failed_steps } => {
            let execution = match resume {
                Resume::Execution(execution) => Ok(execution.clone()),
                _ => multiaction::start(who.client, &who.settings.profile, id, params).await.map(|s| s.execution_id),
            };
            match execution {
                Ok(execution) => {
                    recorder.execution(&execution);
                    wait_multiaction(step, who, id, &execution, *allow_failed_steps).await
                }
                Err(e) => Err(e),
            }
        }
        Action::WaitMultiAction { id, execution, allow_failed_steps } => {
            recorder.execution(execution);
            wait_multiaction(step, who, id, execution, *allow_failed_steps).await
        }
        Action::Import(push) => run_import(step, who, push, resume, recorder).await,
        Action::Export { model, filter, out, delta: Some(name), .. } => {
            let request = export_delta::DeltaExport { name, model, filter: filter.as_deref(), out };
            match tokio::time::timeout(step.wait.timeout, export_delta::export_delta(who.client, &request)).await {
                Ok(Ok(outcome)) => Ok(Outcome::done(outcome.exit, outcome.json)),
                Ok(Err(e)) => Err(e),
                Err(_) => Ok(Outcome {
                    exit: ExitStatus::Timeout,
                    result: None,
                    message: Some(format!(
                        "the delta export took longer than its timeout, {} (the next run reads the same changes)",
                        humantime::format_duration(step.wait.timeout)
                    )),
                }),
            }
        }
        Action::Export { model, filter, select, out, delta: None } => {
            let query = sac_client::dataexport::FactQuery {
                filter: filter.as_deref(),
                select: select.as_deref(),
                orderby: None,
            };
            let rows =
                tokio::time::timeout(step.wait.timeout, export::export(who.client, model, &query, Some(out))).await;
            match rows {
                Ok(Ok(rows)) => Ok(Outcome::done(
                    ExitStatus::Success,
                    finish(json!({"model": model, "rows": rows, "out": out}), ExitStatus::Success, None),
                )),
                Ok(Err(e)) => Err(e),
                Err(_) => Ok(Outcome {
                    exit: ExitStatus::Timeout,
                    result: None,
                    message: Some(format!(
                        "the export took longer than its timeout, {}",
                        humantime::format_duration(step.wait.timeout)
                    )),
                }),
            }
        }
        Action::Pause(duration) => {
            tokio::time::sleep(*duration).await;
            Ok(Outcome::done(
                ExitStatus::Success,
                finish(json!({"paused_secs": duration.as_secs_f64()}), ExitStatus::Success, None),
            ))
        }
        Action::Calendar { event, copy, notify } => {
            let profile = &who.settings.profile;
            let started = match resume {
                Resume::Execution(id) => Ok(id.clone()),
                _ => calendar::start(who.client, profile, event, calendar::Start { copy: *copy, notify: *notify })
                    .await
                    .map(|s| s.event_id),
            };
            match started {
                Ok(id) => {
                    recorder.execution(&id);
                    // The recorded event is ours (our copy, or opened by us): any end counts.
                    calendar::wait(who.client, profile, &id, &step.wait.waiting(), &Silent).await.map(Into::into)
                }
                Err(e) => Err(e),
            }
        }
        // Nothing to take up again: a program cut off is run again from its start.
        Action::Command(program) => Ok(command::run(&step.name, program, step.wait.timeout).await.into()),
    };
    result.unwrap_or_else(Outcome::failed)
}

/// A schedule step (`if_running` given: start a run) or a wait on one.
async fn run_schedule(
    step: &Step,
    who: &Identity<'_>,
    (schedule_id, model, mapping): (&str, Option<&str>, Option<&str>),
    if_running: Option<IfRunning>,
    resume: &Resume,
    recorder: &dyn Recorder,
) -> Result<Outcome, Failure> {
    let di = who.client.data_integration();
    let target: Target = schedule::resolve_target(&di, who.settings, schedule_id, model, mapping).await?;
    let waiting = step.wait.run_waiting();
    let execution = match (resume, if_running) {
        (Resume::Execution(id), _) => id.clone(),
        (_, Some(if_running)) => {
            schedule::start(&di, who.settings, &target, if_running, &waiting, &Silent).await?.run.execution_id
        }
        // A wait step without an execution: the newest run.
        (_, None) => schedule::newest(&di, &target).await?,
    };
    recorder.execution(&execution);
    Ok(schedule::wait(&di, &who.settings.profile, &target, &execution, &waiting, &Silent).await?.into())
}

async fn wait_multiaction(
    step: &Step,
    who: &Identity<'_>,
    id: &str,
    execution: &str,
    allow_failed_steps: bool,
) -> Result<Outcome, Failure> {
    let waiting = step.wait.run_waiting();
    let accept = multiaction::Accept { failed_steps: allow_failed_steps };
    Ok(multiaction::wait(who.client, &who.settings.profile, id, execution, &waiting, accept, &NoProgress).await?.into())
}

struct NoProgress;

impl sac_client::report::MaReporter for NoProgress {
    fn polled(&self, _: &sac_types::multiaction::ExecutionStatus, _: Duration) {}
}

async fn run_import(
    step: &Step,
    who: &Identity<'_>,
    push: &Push,
    resume: &Resume,
    recorder: &dyn Recorder,
) -> Result<Outcome, Failure> {
    let waiting = step.wait.waiting();
    if let Resume::Job(job_id) = resume {
        if let Some(done) = import::take_up(who.client, &push.model, job_id, &waiting).await? {
            return Ok(done.into());
        }
    }
    // Quiet: steps side by side must not draw progress bars over each other.
    let printer = Printer { format: crate::cli::OutputFormat::Json, quiet: true };
    let on_job = |id: &str| recorder.job(id);
    Ok(import::push(printer, who.client, &who.settings.profile, push, &waiting, &on_job).await?.into())
}
