//! `sacctl schedule ...`: Data Management schedules through the data
//! integration service.

use std::path::PathBuf;

use sac_client::legacy::DataIntegration;
use sac_client::lock::TriggerLock;
use sac_client::poll::WaitPolicy;
use sac_client::report::{LockReporter, Reporter};
use sac_client::schedule::{self, IfRunning, Target, WaitOutcome};
use sac_types::legacy::RefreshLog;

use super::{connect, csv_out_for, csv_written};
use crate::cli::{IfRunningArg, RunWaitArgs, ScheduleCommand, ScheduleTarget, WaitArgs};
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::report::{exit_for, profile_flag, run_json, run_line, state, Going};
use crate::settings::Settings;
use crate::Failure;

pub async fn schedule(printer: Printer, command: ScheduleCommand) -> Result<ExitStatus, Failure> {
    match command {
        ScheduleCommand::List { connection, model } => {
            let (_, client) = connect(&connection)?;
            let schedules = client.data_integration().schedules(&model).await?;
            if printer.json() {
                printer.result_json(&serde_json::to_value(&schedules).expect("schedules serialize"));
            } else if schedules.is_empty() {
                printer.note(&format!("model {model} has no data imports (check the name: t.<TENANT>:<ID>)"));
            } else {
                for s in &schedules {
                    let last = s.refresh_logs.first().map(|r| format!("{} at {}", state(r.status), r.start_time));
                    printer.result(&format!(
                        "{}  mapping {}  {}  last run: {}",
                        s.schedule_id,
                        s.mapping_id,
                        s.mapping_name,
                        last.as_deref().unwrap_or("none")
                    ));
                }
            }
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Logs { connection, model, schedule, limit } => {
            let (_, client) = connect(&connection)?;
            let mut schedules = client.data_integration().schedules(&model).await?;
            if let Some(id) = &schedule {
                schedules.retain(|s| s.schedule_id == *id);
                if schedules.is_empty() {
                    return Err(sac_client::Error::NotFound {
                        what: "data import".into(),
                        message: format!("model {model} has no data import {id}"),
                    }
                    .into());
                }
            }
            for s in &mut schedules {
                s.refresh_logs.truncate(limit);
            }
            if printer.json() {
                printer.result_json(&serde_json::to_value(&schedules).expect("schedules serialize"));
            } else {
                for s in &schedules {
                    printer.result(&format!("data import {} ({}):", s.schedule_id, s.mapping_name));
                    if s.refresh_logs.is_empty() {
                        printer.result("  no runs");
                    }
                    for run in &s.refresh_logs {
                        printer.result(&format!("  {}", run_line(run)));
                    }
                }
            }
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Run { connection, target, wait, if_running, wait_args } => {
            let (settings, client) = connect(&connection)?;
            let di = client.data_integration();
            let target = resolve_target(&di, &settings, &target).await?;
            let policy = policy(&wait_args);
            let if_running = match if_running {
                IfRunningArg::Fail => IfRunning::Fail,
                IfRunningArg::Wait => IfRunning::Wait,
                IfRunningArg::Start => IfRunning::Start,
            };
            let progress = printer.progress(&format!("data import {}", target.schedule_id));
            // Until the run shows in the logs, its id is not known: a run may
            // still have started, and the logs tell.
            let unknown = Going::new(
                format!("a run of data import {} (its id is not known yet)", target.schedule_id),
                format!(
                    "sacctl schedule logs --model {} --schedule {}{}",
                    target.model,
                    target.schedule_id,
                    profile_flag(&settings.profile)
                ),
            )
            .id("model", target.model.clone())
            .id("schedule_id", target.schedule_id.clone());
            unknown.declare();
            let started = match start_locked(&di, &settings, &target, if_running, &policy, &progress).await {
                Ok(run) => run,
                Err(e) => return Err(start_failure(e, &settings, &target, &unknown, wait_args.wait.warnings_ok)),
            };
            progress.finish();
            going(&settings, &target, &started.execution_id).declare();
            let resume = resume_command(&settings, &target, &started.execution_id);
            printer.note(&format!(
                "started run {} of data import {} (resume: {resume})",
                started.execution_id, target.schedule_id
            ));
            if !wait {
                if printer.json() {
                    printer.result_json(&run_json(
                        &target.model,
                        &target.schedule_id,
                        &started,
                        false,
                        ExitStatus::Success,
                        Some(&resume),
                    ));
                } else {
                    printer.result(&started.execution_id);
                }
                return Ok(ExitStatus::Success);
            }
            wait_and_report(
                printer,
                &di,
                &settings,
                &target,
                &started.execution_id,
                &policy,
                wait_args.wait.warnings_ok,
            )
            .await
        }
        ScheduleCommand::Wait { connection, target, execution, wait_args } => {
            let (settings, client) = connect(&connection)?;
            let di = client.data_integration();
            let target = resolve_target(&di, &settings, &target).await?;
            let execution = match execution {
                Some(id) => id,
                None => schedule::newest_run(&di, &target).await?.map(|r| r.execution_id).ok_or_else(|| {
                    Failure::from(sac_client::Error::NotFound {
                        what: "run".into(),
                        message: format!("data import {} has never run", target.schedule_id),
                    })
                })?,
            };
            wait_and_report(
                printer,
                &di,
                &settings,
                &target,
                &execution,
                &policy(&wait_args),
                wait_args.wait.warnings_ok,
            )
            .await
        }
        ScheduleCommand::Rejections { connection, execution_id, out } => {
            csv_out_for(printer, out.as_deref())?;
            let (_, client) = connect(&connection)?;
            let csv = client.data_integration().rejections(&execution_id).await?;
            match out {
                Some(path) => {
                    std::fs::write(&path, &csv).map_err(|e| {
                        Failure::new(ExitStatus::Usage, anyhow::anyhow!("cannot write {}: {e}", path.display()))
                    })?;
                    let rows = csv.lines().count().saturating_sub(1);
                    printer.note(&format!("{rows} rejection lines written to {}", path.display()));
                    csv_written(printer, &path, rows as u64);
                }
                None => {
                    use std::io::Write;
                    let _ = std::io::stdout().lock().write_all(csv.as_bytes());
                }
            }
            Ok(ExitStatus::Success)
        }
    }
}

/// Starts a run of `target` under the host's trigger lock of the schedule,
/// taken before the "already running?" check and held until the new run
/// shows in the logs (or the attempt ends): one trigger per schedule per
/// host, however many schedulers fire at once.
pub(crate) async fn start_locked<R: Reporter + LockReporter>(
    di: &DataIntegration<'_>,
    settings: &Settings,
    target: &Target,
    if_running: IfRunning,
    policy: &WaitPolicy,
    reporter: &R,
) -> Result<RefreshLog, sac_client::Error> {
    let tenant = settings.client.tenant_url.as_str();
    let lock = TriggerLock::acquire(&lock_dir(), tenant, "schedule", &target.schedule_id, reporter).await?;
    schedule::start(di, target, if_running, policy, reporter, Some(&lock)).await
}

/// Where the trigger locks live: the cache directory (SACCTL_CACHE_DIR),
/// so every sacctl of this OS user on this host shares them.
fn lock_dir() -> PathBuf {
    crate::settings::cache_dir().unwrap_or_else(|| std::env::temp_dir().join("sacctl")).join("locks")
}

/// How to wait for a schedule run or a multi action execution.
pub(crate) fn policy(args: &RunWaitArgs) -> WaitPolicy {
    WaitPolicy { appear_grace: args.appear_timeout, ..wait_policy(&args.wait) }
}

/// How to wait for a job that is known as soon as it starts (the default
/// grace for appearing does not apply to it).
pub(crate) fn wait_policy(args: &WaitArgs) -> WaitPolicy {
    WaitPolicy {
        min_interval: sac_client::poll::MIN_INTERVAL,
        max_interval: args.poll_interval,
        timeout: args.timeout,
        ..WaitPolicy::default()
    }
}

/// The model of a schedule: given, or read from its mapping.
pub(crate) async fn resolve_target(
    di: &DataIntegration<'_>,
    settings: &Settings,
    target: &ScheduleTarget,
) -> Result<Target, Failure> {
    let model = match (&target.model, &target.mapping, &settings.tenant_id) {
        (Some(model), _, _) => model.clone(),
        (None, Some(mapping), Some(tenant)) => di.mapping(tenant, mapping).await?.model_name,
        (None, Some(_), None) => {
            return Err(Failure::usage(
                "to find the model from --mapping, the tenant id is needed: give --model t.<TENANT>:<ID>, or --tenant-id (SACCTL_TENANT_ID)",
            ))
        }
        (None, None, _) => return Err(Failure::usage("give --model t.<TENANT>:<ID> (or --mapping with --tenant-id)")),
    };
    Ok(Target { model, schedule_id: target.schedule_id.clone(), mapping_id: target.mapping.clone() })
}

fn resume_command(settings: &Settings, target: &Target, execution_id: &str) -> String {
    format!(
        "sacctl schedule wait {} --model {} --execution {execution_id}{}",
        target.schedule_id,
        target.model,
        profile_flag(&settings.profile)
    )
}

/// The run `execution_id` of `target`, for error documents and notes.
fn going(settings: &Settings, target: &Target, execution_id: &str) -> Going {
    Going::new(
        format!("run {execution_id} of data import {}", target.schedule_id),
        resume_command(settings, target, execution_id),
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
    settings: &Settings,
    target: &Target,
    unknown: &Going,
    warnings_ok: bool,
) -> Failure {
    use sac_client::{Error, ErrorClass};
    match &error {
        Error::AlreadyRunning { execution_id, .. } => {
            let going = going(settings, target, execution_id);
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
            failure.going(unknown)
        }
        Error::TriggerUnknown { schedule_id, .. } => {
            let hint = format!(
                "look at `{}` before triggering {schedule_id} again: SAC stops both runs when a second one starts",
                unknown.resume
            );
            let mut failure = Failure::from(error);
            failure.hints = vec![hint];
            failure.going(unknown)
        }
        _ if error.class() == ErrorClass::Unreachable => Failure::from(error).going(unknown),
        _ => schedule_failure(error, target),
    }
}

/// An error of a schedule command; a missing data import or run names the
/// command that lists the model's data imports.
fn schedule_failure(error: sac_client::Error, target: &Target) -> Failure {
    let not_found = error.class() == sac_client::ErrorClass::NotFound;
    let mut failure = Failure::from(error);
    if not_found {
        failure.hints = vec![format!(
            "check the id; `sacctl schedule list --model {}` lists the data imports of the model with their last run",
            target.model
        )];
    }
    failure
}

async fn wait_and_report(
    printer: Printer,
    di: &DataIntegration<'_>,
    settings: &Settings,
    target: &Target,
    execution_id: &str,
    policy: &WaitPolicy,
    warnings_ok: bool,
) -> Result<ExitStatus, Failure> {
    let progress = printer.progress(&format!("data import {}", target.schedule_id));
    let going = going(settings, target, execution_id);
    let resume = going.resume.clone();
    going.declare();
    let outcome = match schedule::wait(di, target, execution_id, policy, &progress).await {
        Ok(outcome) => outcome,
        Err(e) if e.class() == sac_client::ErrorClass::NotFound => return Err(schedule_failure(e, target)),
        Err(e) => return Err(Failure::from(e).going(&going)),
    };
    progress.finish();
    let (run, timed_out) = match outcome {
        WaitOutcome::Finished(run) => (run, false),
        WaitOutcome::TimedOut(run) => (run, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(run.status, warnings_ok) };
    if printer.json() {
        printer.result_json(&run_json(
            &target.model,
            &target.schedule_id,
            &run,
            timed_out,
            exit,
            timed_out.then_some(resume.as_str()),
        ));
    } else {
        printer.result(&run_line(&run));
    }
    if timed_out {
        printer.important(&format!(
            "gave up waiting after {}; run {execution_id} is still running. Resume with: {resume}",
            humantime::format_duration(policy.timeout)
        ));
    } else if run.wrangling_and_update_result.data.rejected_count > 0 {
        printer.note(&format!(
            "{} rows were rejected: `sacctl schedule rejections {execution_id}` lists them",
            run.wrangling_and_update_result.data.rejected_count
        ));
    }
    Ok(exit)
}
