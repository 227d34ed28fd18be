//! `sacctl schedule ...`: Data Management schedules through the data
//! integration service.

use sac_client::legacy::DataIntegration;
use sac_client::schedule::Target;

use super::csv_out::{csv_out_for, csv_written};
use super::options::{self, run_waiting};
use crate::cli::{ScheduleCommand, ScheduleTarget};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::schedule::{self, run_line};
use crate::ops::wait::RunWaiting;
use crate::output::Printer;
use crate::report::state;
use crate::settings::Settings;

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
            let di = client.data_integration();
            let mut schedules = di.schedules(&model).await?;
            if let Some(id) = &schedule {
                if !schedules.iter().any(|s| s.schedule_id == *id) {
                    return Err(di.no_schedule(&model, id, &schedules).await.into());
                }
                schedules.retain(|s| s.schedule_id == *id);
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
        ScheduleCommand::History { connection, schedule_id, model, limit } => {
            let (_, client) = connect(&connection)?;
            let target = Target { model, schedule_id, mapping_id: None };
            Ok(schedule::history(&client.data_integration(), &target, limit).await?.print(printer))
        }
        ScheduleCommand::Run { connection, target, wait, if_running, confirm, wait_args } => {
            let (settings, client) = connect(&connection)?;
            let di = client.data_integration();
            let target = resolve(&di, &settings, &target).await?;
            let waiting = run_waiting(&wait_args);
            let progress = printer.progress(&format!("data import {}", target.schedule_id));
            let started =
                schedule::start(&di, &settings, &target, options::if_running(if_running), &waiting, &progress).await?;
            progress.finish();
            printer.note(&started.note());
            if !wait {
                return Ok(started.outcome().print(printer));
            }
            if confirm.is_none() {
                return wait_and_print(printer, &di, &settings, &target, started.execution_id(), &waiting).await;
            }
            let progress = printer.progress(&format!("data import {}", target.schedule_id));
            let mut outcome =
                schedule::wait(&di, &settings.profile, &target, started.execution_id(), &waiting, &progress).await?;
            progress.finish();
            crate::ops::monitor::confirm(&client, &mut outcome).await;
            Ok(outcome.print(printer))
        }
        ScheduleCommand::Wait { connection, target, execution, wait_args } => {
            let (settings, client) = connect(&connection)?;
            let di = client.data_integration();
            let target = resolve(&di, &settings, &target).await?;
            let execution = match execution {
                Some(id) => id,
                None => schedule::newest(&di, &target).await?,
            };
            wait_and_print(printer, &di, &settings, &target, &execution, &run_waiting(&wait_args)).await
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

/// The schedule and model the flags name.
async fn resolve(di: &DataIntegration<'_>, settings: &Settings, target: &ScheduleTarget) -> Result<Target, Failure> {
    schedule::resolve_target(di, settings, &target.schedule_id, target.model.as_deref(), target.mapping.as_deref())
        .await
}

/// Waits for a run with a spinner, then prints how it ended.
async fn wait_and_print(
    printer: Printer,
    di: &DataIntegration<'_>,
    settings: &Settings,
    target: &Target,
    execution_id: &str,
    waiting: &RunWaiting,
) -> Result<ExitStatus, Failure> {
    let progress = printer.progress(&format!("data import {}", target.schedule_id));
    let outcome = schedule::wait(di, &settings.profile, target, execution_id, waiting, &progress).await?;
    progress.finish();
    Ok(outcome.print(printer))
}
