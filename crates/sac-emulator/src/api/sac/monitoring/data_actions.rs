//! `planningDataAction` (SAC's PLANNING_DATA_ACTIONS): one line per data
//! action execution, the copy steps of multi actions (through the Multi
//! Actions API, the console or a calendar task) and the data action tasks
//! of the calendar, as the engine records them.
//!
//! The sort keys hold: `type` what started it (`MULTI_ACTION` or
//! `CALENDAR`), `fileName` the model, `description` what it did or why it
//! failed, `userName` who it ran as, `status` `SUCCESSFUL` or `FAILED`,
//! `activity` the data action (a multi action's step reads `MA_ID step N`),
//! `timestamp` its start (all an assumption: SAP names no columns).

use super::Line;
use crate::store::DataActionRunRecord;
use crate::tenant::Tenant;

/// The columns after the sort keys.
pub const COLUMNS: [&str; 6] = ["executionId", "sourceVersion", "targetVersion", "endTime", "rowCount", "origin"];

pub(super) fn line(tenant: &Tenant, run: DataActionRunRecord) -> Line {
    let started_by = match run.started_by.as_str() {
        "calendar" => "CALENDAR",
        _ => "MULTI_ACTION",
    };
    Line::new(vec![
        started_by.into(),
        tenant.object_name(&run.model),
        run.message,
        run.user,
        run.status,
        run.data_action,
        run.start_time,
        run.run_id,
        run.source_version,
        run.target_version,
        run.end_time,
        run.rows.to_string(),
        run.origin,
    ])
}
