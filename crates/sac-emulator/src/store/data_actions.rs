//! Executions of data actions: the copy steps of multi actions and the data
//! action tasks of the calendar, one line each, as the Monitoring API's
//! `planningDataAction` lists them.

use rusqlite::params;

use super::{Reader, StoreResult, Writer};

/// One execution of a data action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataActionRunRecord {
    pub run_id: String,
    /// The data action (a multi action's step `MA_ID step N`, or a calendar task's data action id).
    pub data_action: String,
    pub model: String,
    pub source_version: String,
    pub target_version: String,
    /// `SUCCESSFUL` or `FAILED`.
    pub status: String,
    pub user: String,
    pub start_time: String,
    pub end_time: String,
    pub rows: i64,
    pub message: String,
    /// `multiAction` or `calendar`.
    pub started_by: String,
    /// The multi action execution or calendar event that ran it.
    pub origin: String,
}

const COLUMNS: &str = "run_id, data_action, model, source_version, target_version, status, user, start_time, \
    end_time, rows, message, started_by, origin";

impl Reader<'_> {
    /// Every data action execution, oldest first.
    pub fn data_action_runs(&self) -> StoreResult<Vec<DataActionRunRecord>> {
        let mut stmt = self.conn().prepare_cached(&format!("SELECT {COLUMNS} FROM data_action_runs ORDER BY seq"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DataActionRunRecord {
                    run_id: r.get(0)?,
                    data_action: r.get(1)?,
                    model: r.get(2)?,
                    source_version: r.get(3)?,
                    target_version: r.get(4)?,
                    status: r.get(5)?,
                    user: r.get(6)?,
                    start_time: r.get(7)?,
                    end_time: r.get(8)?,
                    rows: r.get(9)?,
                    message: r.get(10)?,
                    started_by: r.get(11)?,
                    origin: r.get(12)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Writer<'_> {
    pub fn insert_data_action_run(&self, d: &DataActionRunRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(&format!(
                "INSERT INTO data_action_runs (seq, {COLUMNS})
                 VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM data_action_runs),
                         ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ))?
            .execute(params![
                d.run_id,
                d.data_action,
                d.model,
                d.source_version,
                d.target_version,
                d.status,
                d.user,
                d.start_time,
                d.end_time,
                d.rows,
                d.message,
                d.started_by,
                d.origin
            ])?;
        Ok(())
    }
}
