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

/// What else an ended execution may be and still mean success (exit 0),
/// beyond `successful`: `--warnings-ok` is in the waiting options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accept {
    /// `--allow-failed-steps`: a `warning` execution whose step failed
    /// (SAC ends an execution `warning` when a later step fails after
    /// earlier ones committed). Implies accepting plain warnings.
    pub failed_steps: bool,
}

/// Waits for execution `execution_id` of `id` to end (or the timeout).
pub async fn wait<R: MaReporter>(
    client: &Client,
    profile: &str,
    id: &str,
    execution_id: &str,
    waiting: &RunWaiting,
    accept: Accept,
    reporter: &R,
) -> Result<Outcome, Failure> {
    let going = going(profile, id, execution_id);
    going.declare();
    let outcome = client.multi_actions().wait(id, execution_id, &waiting.policy(), reporter).await.going(&going)?;
    let (status, timed_out) = match outcome {
        MaOutcome::Finished(s) => (s, false),
        MaOutcome::TimedOut(s) => (s, true),
    };
    let exit = if timed_out { ExitStatus::Timeout } else { exit_for(&status, waiting.warnings_ok(), accept) };
    let resume = going.resume;
    let mut outcome = execution(id, &status, timed_out, exit, timed_out.then_some(resume.as_str()));
    if exit == ExitStatus::Warnings && waiting.warnings_ok() && !accept.failed_steps {
        outcome.notes.push(Note::Always(
            "a step failed: --warnings-ok does not accept that; --allow-failed-steps does (exit 0)".into(),
        ));
    }
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
    let exit = exit_for(&status, false, Accept::default());
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

/// The exit status an execution's state means. A `warning` execution whose
/// step failed exits 6 even with `--warnings-ok`: only `--allow-failed-steps`
/// accepts it (docs/exit-codes.md).
pub fn exit_for(status: &ExecutionStatus, warnings_ok: bool, accept: Accept) -> ExitStatus {
    match status.status {
        MultiActionStatus::Successful => ExitStatus::Success,
        MultiActionStatus::Warning if accept.failed_steps => ExitStatus::Success,
        MultiActionStatus::Warning if warnings_ok && failed_steps(status).is_empty() => ExitStatus::Success,
        MultiActionStatus::Warning => ExitStatus::Warnings,
        MultiActionStatus::Running => ExitStatus::Timeout,
        MultiActionStatus::Failed | MultiActionStatus::Other(_) => ExitStatus::JobFailed,
    }
}

/// The steps that failed while they ran, by name (`details[].stepName`;
/// "a step" when SAC names none).
pub fn failed_steps(status: &ExecutionStatus) -> Vec<String> {
    status
        .execution_result
        .messages
        .iter()
        .filter(|m| m.is_step_failure())
        .map(|m| m.step_name().unwrap_or("a step").to_string())
        .collect()
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
            "failed_steps": failed_steps(status),
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
        let step = m.step_name().map(|s| format!(" step {}:", one_line(s))).unwrap_or_default();
        lines.push(format!("  [{}{code}]{step} {}", one_line(&m.severity), one_line(&m.message)));
        for (severity, text) in m.logs() {
            lines.push(format!("    log [{}] {}", one_line(severity), one_line(text)));
        }
    }
    // An error's own words, then its step's logs (where SAC puts why a step failed).
    let message = status
        .execution_result
        .messages
        .iter()
        .filter(|m| m.severity.eq_ignore_ascii_case("error"))
        .map(|m| {
            let logs: Vec<&str> =
                m.logs().iter().filter(|(s, _)| s.eq_ignore_ascii_case("error")).map(|(_, t)| *t).collect();
            match (m.step_name(), logs.is_empty()) {
                (Some(step), false) => format!("step {step} failed: {}", logs.join("; ")),
                _ => m.message.clone(),
            }
        })
        .reduce(|a, b| format!("{a}; {b}"));
    Outcome { exit, json, lines, notes: Vec::new(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(status: &str, messages: serde_json::Value) -> ExecutionStatus {
        serde_json::from_value(json!({"executionId": "E", "status": status, "executionResult": {"messages": messages}}))
            .unwrap()
    }

    #[test]
    fn exit_codes_per_state() {
        let plain = |s: &str| with(s, json!([]));
        let none = Accept::default();
        let steps = Accept { failed_steps: true };
        assert_eq!(exit_for(&plain("successful"), false, none), ExitStatus::Success);
        assert_eq!(exit_for(&plain("warning"), false, none), ExitStatus::Warnings);
        assert_eq!(exit_for(&plain("warning"), true, none), ExitStatus::Success);
        assert_eq!(exit_for(&plain("running"), false, none), ExitStatus::Timeout);
        assert_eq!(exit_for(&plain("failed"), true, steps), ExitStatus::JobFailed);
        assert_eq!(exit_for(&plain("paused"), false, none), ExitStatus::JobFailed);
    }

    #[test]
    fn warnings_ok_never_accepts_a_failed_step() {
        let step_failed = json!([
            {"severity": "info", "message": "Step 1 ran"},
            {"code": "580001000", "severity": "error", "message": "The step failed",
             "details": [{"stepName": "Copy", "logs": [{"severity": "error", "message": "locked"}]}]}
        ]);
        let warning = with("warning", step_failed);
        assert_eq!(failed_steps(&warning), vec!["Copy"]);
        assert_eq!(exit_for(&warning, true, Accept::default()), ExitStatus::Warnings);
        assert_eq!(exit_for(&warning, false, Accept { failed_steps: true }), ExitStatus::Success);
        // A warning log alone is no failed step.
        let logged = with(
            "warning",
            json!([{"code": "380002000", "severity": "warning", "message": "rows rejected",
            "details": [{"stepName": "Import", "logs": [{"severity": "warning", "message": "1 row rejected"}]}]}]),
        );
        assert!(failed_steps(&logged).is_empty());
        assert_eq!(exit_for(&logged, true, Accept::default()), ExitStatus::Success);
        // An error in a step's logs is a failed step, whatever its code.
        let in_logs = with(
            "warning",
            json!([{"code": "", "severity": "warning", "message": "m",
            "details": [{"logs": [{"severity": "error", "message": "x"}]}]}]),
        );
        assert_eq!(failed_steps(&in_logs), vec!["a step"]);
        let outcome = execution("t.G:MA", &warning, false, ExitStatus::Warnings, None);
        assert_eq!(outcome.json["failed_steps"], json!(["Copy"]));
        assert_eq!(outcome.message.as_deref(), Some("step Copy failed: locked"));
        assert!(outcome.lines.iter().any(|l| l == "    log [error] locked"), "{:?}", outcome.lines);
    }

    #[test]
    fn the_resume_line_quotes_a_hostile_execution_id() {
        let going = going("default", "t.G:MA_LOAD", "$(touch x)");
        assert_eq!(going.resume, "sacctl multiaction wait t.G:MA_LOAD '$(touch x)'");
    }
}
