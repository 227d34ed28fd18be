//! What every JSON document has (`outcome`, `exit_code`, `resume`), the
//! document of an exit through an error, and the names of run states.
//! The JSON shapes are documented in docs/output.md.

use sac_types::legacy::RunStatus;
use serde_json::{json, Value};

use crate::exit::ExitStatus;
use crate::failure::Failure;

/// Completes a result document: `outcome`, `exit_code` and, when the run
/// goes on, `resume`.
pub fn finish(mut doc: Value, exit: ExitStatus, resume: Option<&str>) -> Value {
    if let Some(map) = doc.as_object_mut() {
        map.insert("outcome".into(), exit.outcome().into());
        map.insert("exit_code".into(), exit.code().into());
        if let Some(resume) = resume {
            map.insert("resume".into(), resume.into());
        }
    }
    doc
}

/// The document of an exit through an error (3, 5, 7, 8, 130, 143, ...).
pub fn failure_json(failure: &Failure) -> Value {
    let mut doc = json!({
        "error": failure.error.to_string(),
        "causes": failure.error.chain().skip(1).map(|c| c.to_string()).collect::<Vec<_>>(),
        "hints": failure.hints,
    });
    if let (Some(going), Some(map)) = (&failure.going, doc.as_object_mut()) {
        map.extend(going.ids.clone());
    }
    finish(doc, failure.status, failure.going.as_ref().map(|g| g.resume.as_str()))
}

/// A stable name for a run status.
pub fn state(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => "running",
        RunStatus::Succeeded => "succeeded",
        RunStatus::SucceededWithRejects => "succeeded_with_rejects",
        RunStatus::Cancelled => "cancelled",
        RunStatus::Stopped => "stopped",
        RunStatus::Failed => "failed",
        RunStatus::Other(_) => "unknown",
    }
}
