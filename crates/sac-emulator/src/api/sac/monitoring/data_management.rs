//! `dataManagement` (SAC's DM_SCHEDULE): one line per run of a Data
//! Management schedule, however it was started (the data integration
//! service, a multi action's import step, a calendar task's multi action),
//! as the engine records them.

use sac_types::legacy::RunStatus;

use super::Line;
use crate::store::RunRecord;
use crate::tenant::{ScheduleDef, Tenant};

/// The columns after the sort keys, so that a line names its run.
pub const COLUMNS: [&str; 7] =
    ["executionId", "scheduleId", "target", "endTime", "allCount", "insertedCount", "rejectedCount"];

fn status_word(status: i64) -> String {
    match RunStatus::from(status) {
        RunStatus::Running => "RUNNING".into(),
        RunStatus::Succeeded => "SUCCEEDED".into(),
        RunStatus::SucceededWithRejects => "SUCCEEDED_WITH_REJECTS".into(),
        RunStatus::Cancelled => "CANCELLED".into(),
        RunStatus::Stopped => "STOPPED".into(),
        RunStatus::Failed => "FAILED".into(),
        RunStatus::Other(code) => code.to_string(),
    }
}

pub(super) fn line(tenant: &Tenant, run: RunRecord) -> Line {
    let schedule = tenant.schedule(&run.schedule_id);
    let of_schedule = |field: fn(&ScheduleDef) -> &str| schedule.map(field).unwrap_or("").to_string();
    let description = run.message.clone().unwrap_or_else(|| {
        format!("{} rows read, {} written, {} rejected", run.all_count, run.inserted_count, run.rejected_count)
    });
    Line::new(vec![
        of_schedule(|s| &s.job_type),
        of_schedule(|s| &s.object),
        description,
        run.user,
        status_word(run.status),
        of_schedule(|s| &s.mapping_name),
        run.start_time,
        run.execution_id,
        run.schedule_id,
        schedule.map(|s| tenant.object_name(&s.target)).unwrap_or_default(),
        run.end_time.unwrap_or_default(),
        run.all_count.to_string(),
        run.inserted_count.to_string(),
        run.rejected_count.to_string(),
    ])
}
