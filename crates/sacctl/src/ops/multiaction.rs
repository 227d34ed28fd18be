//! Multi action executions through the Multi Actions API: start one, wait
//! for it, look at it, and what an execution means (exit status, JSON
//! document, lines).

use sac_client::multiaction::{MaOutcome, Param};
use sac_client::report::MaReporter;
use sac_client::Client;
use sac_types::multiaction::{ExecutionStatus, MultiActionStatus};
use serde_json::json;

use super::outcome::{Note, Outcome};
use super::wait::RunWaiting;
use crate::exit::ExitStatus;
use crate::failure::{Failure, WithGoing};
use crate::going::{sacctl_command, Going};
use crate::output::one_line;
use crate::report::finish;

/// An execution that was started.
pub struct Started {
    pub execution_id: String,
    going: Going,
    id: String,
}

impl Started {
    /// The note once it started (stderr).
    pub fn note(&self) -> String {
        format!("started execution {} of {} (resume: {})", self.execution_id, self.id, self.going.resume)
    }

    /// `multiaction run` without `--wait`: exit 0, the execution id.
    pub fn outcome(&self) -> Outcome {
        let json = finish(
            json!({"multi_action": self.id, "execution_id": self.execution_id, "status": "running"}),
            ExitStatus::Success,
            Some(&self.going.resume),
        );
        Outcome {
            exit: ExitStatus::Success,
            json,
            lines: vec![self.execution_id.clone()],
            notes: Vec::new(),
            message: None,
        }
    }
}

/// Starts an execution of multi action `id`.
pub async fn start(client: &Client, profile: &str, id: &str, params: &[Param]) -> Result<Started, Failure> {
    let started = client.multi_actions().start(id, params).await?;
    let going = going(profile, id, &started.execution_id);
    Ok(Started { execution_id: started.execution_id, going, id: id.to_string() })
}

/// Waits for execution `execution_id` of `id` to end (or the timeout).
pub async fn wait<R: MaReporter>(
    client: &Client,
    profile: &str,
    id: &str,
    execution_id: &str,
    waiting: &RunWaiting,
    reporter: &R,
) -> Result<Outcome, Failure> {
    let going = going(profile, id, execution_id);
    going.declare();
    let outcome = client.multi_actions().wait(id, execution_id, &waiting.policy(), reporter).await.going(&going)?;
    let (status, timed_out) = match outcome {
        MaOutcome::Finished(s) => (s, false),
        MaOutcome::TimedOut(s) => (s, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(&status.status, waiting.warnings_ok()) };
    let resume = going.resume;
    let mut outcome = execution(id, &status, timed_out, exit, timed_out.then_some(resume.as_str()));
    if timed_out {
        outcome.notes.push(Note::Always(format!(
            "gave up waiting; execution {execution_id} is still running. Resume with: {resume}"
        )));
    }
    Ok(outcome)
}

/// `multiaction status`: the execution as it stands (5 while it runs).
pub async fn status(client: &Client, profile: &str, id: &str, execution_id: &str) -> Result<Outcome, Failure> {
    let status = client.multi_actions().status(id, execution_id).await?;
    let exit = exit_for(&status.status, false);
    let resume = going(profile, id, execution_id).resume;
    Ok(execution(id, &status, false, exit, (exit == ExitStatus::Timeout).then_some(resume.as_str())))
}

/// The execution `execution_id` of multi action `id`, for error documents and notes.
fn going(profile: &str, id: &str, execution_id: &str) -> Going {
    Going::new(
        format!("execution {execution_id} of multi action {id}"),
        sacctl_command(&["multiaction", "wait", id, execution_id], profile),
    )
    .id("multi_action", id)
    .id("execution_id", execution_id)
}

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

/// An execution as an outcome: its document (docs/output.md), a line for
/// it and one per message, and its errors as the message.
fn execution(id: &str, status: &ExecutionStatus, timed_out: bool, exit: ExitStatus, resume: Option<&str>) -> Outcome {
    let json = finish(
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
    );
    let mut lines = vec![format!(
        "multi action {id} execution {}: {}{}{}",
        status.execution_id,
        status.status.as_str(),
        status.utc_start_date.as_deref().map(|s| format!(", started {s}")).unwrap_or_default(),
        status.utc_end_date.as_deref().map(|s| format!(", ended {s}")).unwrap_or_default(),
    )];
    for m in &status.execution_result.messages {
        let code = if m.code.is_empty() || m.code == "0" { String::new() } else { format!(" {}", m.code) };
        lines.push(format!("  [{}{code}] {}", one_line(&m.severity), one_line(&m.message)));
    }
    let message = status
        .execution_result
        .messages
        .iter()
        .filter(|m| m.severity.eq_ignore_ascii_case("error"))
        .map(|m| m.message.clone())
        .reduce(|a, b| format!("{a}; {b}"));
    Outcome { exit, json, lines, notes: Vec::new(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_per_state() {
        assert_eq!(exit_for(&MultiActionStatus::Successful, false), ExitStatus::Success);
        assert_eq!(exit_for(&MultiActionStatus::Warning, false), ExitStatus::Warnings);
        assert_eq!(exit_for(&MultiActionStatus::Warning, true), ExitStatus::Success);
        assert_eq!(exit_for(&MultiActionStatus::Running, false), ExitStatus::Timeout);
        assert_eq!(exit_for(&MultiActionStatus::Failed, true), ExitStatus::JobFailed);
        assert_eq!(exit_for(&MultiActionStatus::Other("paused".into()), false), ExitStatus::JobFailed);
    }

    #[test]
    fn the_resume_line_quotes_a_hostile_execution_id() {
        let going = going("default", "t.G:MA_LOAD", "$(touch x)");
        assert_eq!(going.resume, "sacctl multiaction wait t.G:MA_LOAD '$(touch x)'");
    }
}
