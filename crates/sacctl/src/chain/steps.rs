//! One attempt at one step: the same library calls and the same outcome
//! mapping as the step's own sacctl command (`schedule run --wait`,
//! `multiaction run --wait`, `import push`, `export`, `... wait`), with the
//! SAC id reported as soon as it is known, so the state can resume it.

use std::time::Duration;

use sac_client::poll::WaitPolicy;
use sac_client::report::Silent;
use sac_client::schedule::{self, Target, WaitOutcome};
use sac_client::{multiaction::MaOutcome, Client};
use sac_types::dataimport::status;
use serde_json::{json, Value};

use super::file::{Action, ImportAction, Step};
use crate::cli::{ConnectionArgs, PushArgs, RunWaitArgs, ScheduleTarget, WaitArgs};
use crate::commands::{export, import, multiaction, schedule as schedule_cmd};
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::report::{exit_for, finish, run_json};
use crate::settings::Settings;
use crate::Failure;

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
        let message = result["message"].as_str().map(str::to_string);
        Outcome { exit, result: Some(result), message }
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
    pub connection: &'a ConnectionArgs,
}

fn policy(step: &Step) -> WaitPolicy {
    schedule_cmd::policy(&wait_args(step))
}

fn wait_args(step: &Step) -> RunWaitArgs {
    RunWaitArgs {
        wait: WaitArgs {
            timeout: step.wait.timeout,
            poll_interval: step.wait.poll_interval,
            warnings_ok: step.wait.warnings_ok,
        },
        appear_timeout: step.wait.appear_timeout,
    }
}

/// Runs one attempt of `step`.
pub async fn attempt(step: &Step, who: &Identity<'_>, resume: &Resume, recorder: &dyn Recorder) -> Outcome {
    let result = match &step.action {
        Action::Schedule { schedule, model, mapping, if_running } => {
            let target =
                ScheduleTarget { schedule_id: schedule.clone(), model: model.clone(), mapping: mapping.clone() };
            run_schedule(step, who, &target, Some(*if_running), resume, recorder).await
        }
        Action::WaitSchedule { schedule, model, execution } => {
            let target = ScheduleTarget { schedule_id: schedule.clone(), model: Some(model.clone()), mapping: None };
            let resume = match (resume, execution) {
                (Resume::Execution(id), _) => Resume::Execution(id.clone()),
                (_, Some(id)) => Resume::Execution(id.clone()),
                _ => Resume::Fresh,
            };
            run_schedule(step, who, &target, None, &resume, recorder).await
        }
        Action::MultiAction { id, params } => {
            let execution = match resume {
                Resume::Execution(execution) => Ok(execution.clone()),
                _ => who.client.multi_actions().start(id, params).await.map(|s| s.execution_id).map_err(Failure::from),
            };
            match execution {
                Ok(execution) => {
                    recorder.execution(&execution);
                    wait_multiaction(step, who, id, &execution).await
                }
                Err(e) => Err(e),
            }
        }
        Action::WaitMultiAction { id, execution } => {
            recorder.execution(execution);
            wait_multiaction(step, who, id, execution).await
        }
        Action::Import(action) => run_import(step, who, action, resume, recorder).await,
        Action::Export { model, filter, select, out } => {
            let rows = tokio::time::timeout(
                step.wait.timeout,
                export::export_rows(
                    who.client,
                    model,
                    &sac_client::dataexport::FactQuery {
                        filter: filter.as_deref(),
                        select: select.as_deref(),
                        orderby: None,
                    },
                    Some(out),
                ),
            )
            .await;
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
    };
    result.unwrap_or_else(Outcome::failed)
}

async fn run_schedule(
    step: &Step,
    who: &Identity<'_>,
    target: &ScheduleTarget,
    if_running: Option<schedule::IfRunning>,
    resume: &Resume,
    recorder: &dyn Recorder,
) -> Result<Outcome, Failure> {
    let di = who.client.data_integration();
    let target: Target = schedule_cmd::resolve_target(&di, who.settings, target).await?;
    let policy = policy(step);
    let execution = match (resume, if_running) {
        (Resume::Execution(id), _) => id.clone(),
        (_, Some(if_running)) => {
            schedule_cmd::start_locked(&di, who.settings, &target, if_running, &policy, &Silent).await?.execution_id
        }
        // A wait step without an execution: the newest run.
        (_, None) => schedule::newest_run(&di, &target).await?.map(|r| r.execution_id).ok_or_else(|| {
            Failure::from(sac_client::Error::NotFound {
                what: "run".into(),
                message: format!("data import {} has never run", target.schedule_id),
            })
        })?,
    };
    recorder.execution(&execution);
    let (run, timed_out) = match schedule::wait(&di, &target, &execution, &policy, &Silent).await? {
        WaitOutcome::Finished(run) => (run, false),
        WaitOutcome::TimedOut(run) => (run, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(run.status, step.wait.warnings_ok) };
    Ok(Outcome::done(exit, run_json(&target.model, &target.schedule_id, &run, timed_out, exit, None)))
}

async fn wait_multiaction(step: &Step, who: &Identity<'_>, id: &str, execution: &str) -> Result<Outcome, Failure> {
    let outcome = who.client.multi_actions().wait(id, execution, &policy(step), &NoProgress).await?;
    let (status, timed_out) = match outcome {
        MaOutcome::Finished(s) => (s, false),
        MaOutcome::TimedOut(s) => (s, true),
    };
    let exit =
        if timed_out { ExitStatus::Timeout } else { multiaction::exit_for(&status.status, step.wait.warnings_ok) };
    let mut outcome = Outcome::done(exit, multiaction::execution_json(id, &status, timed_out, exit, None));
    outcome.message = status
        .execution_result
        .messages
        .iter()
        .filter(|m| m.severity.eq_ignore_ascii_case("error"))
        .map(|m| m.message.clone())
        .reduce(|a, b| format!("{a}; {b}"));
    Ok(outcome)
}

struct NoProgress;

impl sac_client::report::MaReporter for NoProgress {
    fn polled(&self, _: &sac_types::multiaction::ExecutionStatus, _: Duration) {}
}

async fn run_import(
    step: &Step,
    who: &Identity<'_>,
    action: &ImportAction,
    resume: &Resume,
    recorder: &dyn Recorder,
) -> Result<Outcome, Failure> {
    let di = who.client.data_import();
    if let Resume::Job(job_id) = resume {
        // A job that was started (PROCESSING) or ended is taken up again; a
        // job the earlier attempt left before its run wrote nothing: it is
        // deleted and the rows are pushed anew.
        let job = di.status(job_id).await?;
        let job = match job.job_status.as_str() {
            status::PROCESSING => Some(di.wait(job_id, &policy(step)).await?),
            status::COMPLETED | status::FAILED => Some((job, false)),
            _ => {
                if let Err(e) = di.delete(job_id).await {
                    tracing::warn!(job = %job_id, error = %e, "could not delete the unfinished job");
                }
                None
            }
        };
        if let Some((job, timed_out)) = job {
            let exit = if timed_out { ExitStatus::Timeout } else { import::job_exit(&job, step.wait.warnings_ok) };
            let counts = &job.additional_information;
            return Ok(Outcome::done(
                exit,
                finish(
                    json!({
                        "model": action.model,
                        "job_id": job_id,
                        "rows_read": counts.total_number_rows_in_job,
                        "rows_failed": counts.failed_number_rows,
                        "status": job.job_status,
                        "error": job.error.as_ref().map(|e| e.message.clone()),
                        "timed_out": timed_out,
                    }),
                    exit,
                    None,
                ),
            ));
        }
    }
    let pair = |items: &std::collections::BTreeMap<String, String>| {
        items.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>()
    };
    let args = PushArgs {
        connection: who.connection.clone(),
        model: action.model.clone(),
        import_type: action.import_type.clone(),
        file: action.file.clone(),
        mappings: pair(&action.mapping),
        defaults: pair(&action.defaults),
        method: action.method.clone(),
        scope: action.scope.clone(),
        chunk_rows: action.chunk_rows,
        parallel: action.parallel,
        max_failed_rows: action.max_failed_rows,
        rejects_out: action.rejects_out.clone(),
        dry_run: action.dry_run,
        ignore_additional_columns: action.ignore_additional_columns,
        wait_args: wait_args(step).wait,
    };
    // Quiet: steps side by side must not draw progress bars over each other.
    let printer = Printer { format: crate::cli::OutputFormat::Json, quiet: true };
    let pushed = import::push_rows(printer, who.client, &who.settings.profile, &args, &|id| recorder.job(id)).await?;
    let mut outcome = Outcome::done(pushed.exit, pushed.json);
    if outcome.exit != ExitStatus::Success {
        outcome.message = Some(pushed.line);
    }
    Ok(outcome)
}
