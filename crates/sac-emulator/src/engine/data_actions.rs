//! The record of a data action execution (a multi action's copy step or a
//! calendar task's data action), shared by both. A leaf: it uses no other
//! job kind of the engine.

use super::planning::audit_time;
use crate::secrets::random_id;
use crate::store::DataActionRunRecord;

/// The status of a data action run that copied its rows.
pub const SUCCESSFUL: &str = "SUCCESSFUL";
/// The status of one that failed (an injected `fail_data_actions`, a model gone).
pub const FAILED: &str = "FAILED";

/// The record of one data action execution: which copy, by whom, when, how
/// it went (rows copied, or why not), and what started it.
pub fn data_action_run(
    data_action: &str,
    (model, from, to): (&str, &str, &str),
    user: &str,
    now: i64,
    outcome: Result<i64, String>,
    (started_by, origin): (&str, &str),
) -> DataActionRunRecord {
    let (status, rows, message) = match outcome {
        Ok(rows) => (SUCCESSFUL, rows, format!("Copied {rows} rows of {model} from {from} to {to}")),
        Err(why) => (FAILED, 0, why),
    };
    DataActionRunRecord {
        run_id: random_id(),
        data_action: data_action.into(),
        model: model.into(),
        source_version: from.into(),
        target_version: to.into(),
        status: status.into(),
        user: user.into(),
        start_time: audit_time(now),
        end_time: audit_time(now),
        rows,
        message,
        started_by: started_by.into(),
        origin: origin.into(),
    }
}
