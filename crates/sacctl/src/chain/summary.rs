//! How a chain ended: the worst of its steps' exit statuses, and the
//! summary table for stderr.

use super::state::{ChainState, StepStatus};
use crate::exit::ExitStatus;

/// How bad an exit status is for a chain, from 0 (success) up; the chain
/// ends with the worst status of its steps (docs/exit-codes.md).
pub fn severity(exit: ExitStatus) -> u8 {
    match exit {
        ExitStatus::Success => 0,
        ExitStatus::Warnings => 1,
        ExitStatus::Timeout => 2,
        ExitStatus::AlreadyRunning => 3,
        ExitStatus::Cancelled => 4,
        ExitStatus::JobFailed => 5,
        ExitStatus::NotFound => 6,
        ExitStatus::Unreachable => 7,
        ExitStatus::Auth => 8,
        ExitStatus::Usage => 9,
        ExitStatus::Terminated => 10,
        ExitStatus::Interrupted => 11,
    }
}

/// The worst of some exit statuses (success when there are none).
pub fn worst(exits: impl IntoIterator<Item = ExitStatus>) -> ExitStatus {
    exits.into_iter().max_by_key(|e| severity(*e)).unwrap_or(ExitStatus::Success)
}

/// The summary table of a chain run (for stderr).
pub fn summary(state: &ChainState) -> String {
    let mut rows = vec![["step", "kind", "state", "SAC id", "tries", "time", "exit"].map(String::from).to_vec()];
    for st in &state.steps {
        let seconds = match (&st.started_at, &st.ended_at) {
            (Some(a), Some(b)) => chrono::DateTime::parse_from_rfc3339(b)
                .ok()
                .zip(chrono::DateTime::parse_from_rfc3339(a).ok())
                .map(|(b, a)| format!("{}s", (b - a).num_seconds())),
            _ => None,
        };
        let state_name = match st.resumed.as_deref() {
            Some("done") => "succeeded (earlier)".to_string(),
            Some("reattached") => format!("{} (re-attached)", st.state.name()),
            _ => st.state.name().to_string(),
        };
        rows.push(vec![
            st.name.clone(),
            st.kind.clone(),
            state_name,
            st.execution_id.clone().or_else(|| st.job_id.clone()).unwrap_or_else(|| "-".into()),
            st.attempts.to_string(),
            seconds.unwrap_or_else(|| "-".into()),
            st.exit_code.map_or("-".into(), |c| c.to_string()),
        ]);
    }
    let widths: Vec<usize> =
        (0..rows[0].len()).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for st in state.steps.iter().filter(|s| s.state != StepStatus::Succeeded) {
        if let Some(message) = &st.message {
            out.push_str(&format!("{}: {message}\n", st.name));
        }
    }
    out.push_str(&format!(
        "chain ended {} (exit {}); state in {}",
        state.outcome,
        state.exit_code.unwrap_or(0),
        state.state_file.display()
    ));
    out
}
