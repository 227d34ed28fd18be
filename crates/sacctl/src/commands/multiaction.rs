//! `sacctl multiaction ...`: multi actions through the Multi Actions API.

use std::time::Duration;

use sac_client::multiaction::{MaOutcome, Param};
use sac_client::report::MaReporter;
use sac_types::multiaction::{ExecutionStatus, MultiActionStatus};
use serde_json::json;

use super::connect;
use super::schedule::policy;
use crate::cli::MultiActionCommand;
use crate::exit::ExitStatus;
use crate::output::{Printer, Progress};
use crate::report::{finish, profile_flag, Going};
use crate::{Failure, WithGoing};

/// The exit status an execution's state means.
pub fn exit_for(status: &MultiActionStatus, warnings_ok: bool) -> ExitStatus {
    match status {
        MultiActionStatus::Successful => ExitStatus::Success,
        MultiActionStatus::Warning if warnings_ok => ExitStatus::Success,
        MultiActionStatus::Warning => ExitStatus::Warnings,
        MultiActionStatus::Running => ExitStatus::Timeout,
        MultiActionStatus::Failed | MultiActionStatus::Other(_) => ExitStatus::JobFailed,
    }
}

impl MaReporter for Progress {
    fn polled(&self, status: &ExecutionStatus, elapsed: Duration) {
        self.set(&format!("execution {} {} ({} s)", status.execution_id, status.status.as_str(), elapsed.as_secs()));
    }
}

/// The execution `execution_id` of multi action `id`, for error documents and notes.
fn going(profile: &str, id: &str, execution_id: &str) -> Going {
    Going::new(
        format!("execution {execution_id} of multi action {id}"),
        format!("sacctl multiaction wait {id} {execution_id}{}", profile_flag(profile)),
    )
    .id("multi_action", id)
    .id("execution_id", execution_id)
}

/// The JSON document of an execution (docs/output.md).
pub(crate) fn execution_json(
    id: &str,
    status: &ExecutionStatus,
    timed_out: bool,
    exit: ExitStatus,
    resume: Option<&str>,
) -> serde_json::Value {
    finish(
        json!({
            "multi_action": id,
            "execution_id": status.execution_id,
            "status": status.status.as_str(),
            "timed_out": timed_out,
            "start_time": status.utc_start_date,
            "end_time": status.utc_end_date,
            "messages": status.execution_result.messages,
        }),
        exit,
        resume,
    )
}

fn report(
    printer: Printer,
    id: &str,
    status: &ExecutionStatus,
    timed_out: bool,
    exit: ExitStatus,
    resume: Option<&str>,
) {
    if printer.json() {
        printer.result_json(&execution_json(id, status, timed_out, exit, resume));
        return;
    }
    printer.result(&format!(
        "multi action {id} execution {}: {}{}{}",
        status.execution_id,
        status.status.as_str(),
        status.utc_start_date.as_deref().map(|s| format!(", started {s}")).unwrap_or_default(),
        status.utc_end_date.as_deref().map(|s| format!(", ended {s}")).unwrap_or_default(),
    ));
    for m in &status.execution_result.messages {
        let code = if m.code.is_empty() || m.code == "0" { String::new() } else { format!(" {}", m.code) };
        printer.result(&format!("  [{}{code}] {}", m.severity, m.message));
    }
}

pub async fn multiaction(printer: Printer, command: MultiActionCommand) -> Result<ExitStatus, Failure> {
    match command {
        MultiActionCommand::Run { connection, id, params, wait, wait_args } => {
            let params = params.iter().map(|p| Param::parse(p)).collect::<Result<Vec<_>, _>>()?;
            let (settings, client) = connect(&connection)?;
            let ma = client.multi_actions();
            let started = ma.start(&id, &params).await?;
            let going = going(&settings.profile, &id, &started.execution_id);
            printer.note(&format!("started execution {} of {id} (resume: {})", started.execution_id, going.resume));
            if !wait {
                if printer.json() {
                    printer.result_json(&finish(
                        json!({"multi_action": id, "execution_id": started.execution_id, "status": "running"}),
                        ExitStatus::Success,
                        Some(&going.resume),
                    ));
                } else {
                    printer.result(&started.execution_id);
                }
                return Ok(ExitStatus::Success);
            }
            wait_and_report(printer, &client, &id, &going, &policy(&wait_args), wait_args.wait.warnings_ok).await
        }
        MultiActionCommand::Wait { connection, id, execution_id, wait_args } => {
            let (settings, client) = connect(&connection)?;
            let going = going(&settings.profile, &id, &execution_id);
            wait_and_report(printer, &client, &id, &going, &policy(&wait_args), wait_args.wait.warnings_ok).await
        }
        MultiActionCommand::Status { connection, id, execution_id } => {
            let (settings, client) = connect(&connection)?;
            let status = client.multi_actions().status(&id, &execution_id).await?;
            let exit = exit_for(&status.status, false);
            let resume = going(&settings.profile, &id, &execution_id).resume;
            report(printer, &id, &status, false, exit, (exit == ExitStatus::Timeout).then_some(resume.as_str()));
            Ok(exit)
        }
    }
}

async fn wait_and_report(
    printer: Printer,
    client: &sac_client::Client,
    id: &str,
    going: &Going,
    policy: &sac_client::poll::WaitPolicy,
    warnings_ok: bool,
) -> Result<ExitStatus, Failure> {
    let progress = printer.progress(&format!("multi action {id}"));
    let multi_actions = client.multi_actions();
    let execution_id = going.ids["execution_id"].as_str().unwrap_or_default();
    let resume = going.resume.as_str();
    going.declare();
    let outcome = multi_actions.wait(id, execution_id, policy, &progress).await.going(going)?;
    progress.finish();
    let (status, timed_out) = match outcome {
        MaOutcome::Finished(s) => (s, false),
        MaOutcome::TimedOut(s) => (s, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(&status.status, warnings_ok) };
    report(printer, id, &status, timed_out, exit, timed_out.then_some(resume));
    if timed_out {
        printer
            .important(&format!("gave up waiting; execution {execution_id} is still running. Resume with: {resume}"));
    }
    Ok(exit)
}
