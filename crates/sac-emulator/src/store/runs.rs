//! Runs of data import schedules and the rejected rows of each run.

use rusqlite::types::ToSql;
use rusqlite::{params, params_from_iter};

use super::sql::placeholders;

use super::{Reader, StoreError, StoreResult, Writer};

/// One run of a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRecord {
    pub execution_id: String,
    pub schedule_id: String,
    pub status: i64,
    pub start_time: String,
    pub end_time: Option<String>,
    pub user: String,
    pub all_count: i64,
    pub rejected_count: i64,
    pub inserted_count: i64,
    pub message: Option<String>,
    /// When a timed run finishes (unix ms); `None` for poll-counted or pinned runs.
    pub due_at_ms: Option<i64>,
    /// How many more log reads see the run running; `None` unless poll-counted.
    pub polls_left: Option<i64>,
    /// Set when an injected fault makes the run fail at its end.
    pub fail_message: Option<String>,
    /// How many more log reads do not show the run yet (SAC's logs lag).
    pub hidden_reads: i64,
}

/// One line of a run's rejection CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub source_col: String,
    pub target_col: String,
    pub issue: String,
    pub value: String,
    pub records: i64,
}

const RUN_COLUMNS: &str = "execution_id, schedule_id, status, start_time, end_time, user, all_count,
    rejected_count, inserted_count, message, due_at_ms, polls_left, fail_message, hidden_reads";

/// How many columns [`RUN_COLUMNS`] names.
const RUN_VALUES: usize = 14;

/// A run's values in the order of [`RUN_COLUMNS`], for inserts and updates alike.
fn run_values(run: &RunRecord) -> [&dyn ToSql; RUN_VALUES] {
    [
        &run.execution_id,
        &run.schedule_id,
        &run.status,
        &run.start_time,
        &run.end_time,
        &run.user,
        &run.all_count,
        &run.rejected_count,
        &run.inserted_count,
        &run.message,
        &run.due_at_ms,
        &run.polls_left,
        &run.fail_message,
        &run.hidden_reads,
    ]
}

fn run_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        execution_id: r.get(0)?,
        schedule_id: r.get(1)?,
        status: r.get(2)?,
        start_time: r.get(3)?,
        end_time: r.get(4)?,
        user: r.get(5)?,
        all_count: r.get(6)?,
        rejected_count: r.get(7)?,
        inserted_count: r.get(8)?,
        message: r.get(9)?,
        due_at_ms: r.get(10)?,
        polls_left: r.get(11)?,
        fail_message: r.get(12)?,
        hidden_reads: r.get(13)?,
    })
}

impl Reader<'_> {
    pub fn run(&self, execution_id: &str) -> StoreResult<Option<RunRecord>> {
        Ok(self
            .query_runs(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE execution_id = ?1"), params![execution_id])?
            .pop())
    }

    /// Runs of a schedule, newest first.
    pub fn runs_of(&self, schedule_id: &str) -> StoreResult<Vec<RunRecord>> {
        self.query_runs(
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE schedule_id = ?1 ORDER BY seq DESC"),
            params![schedule_id],
        )
    }

    /// Every run, newest first.
    pub fn all_runs(&self) -> StoreResult<Vec<RunRecord>> {
        self.query_runs(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY seq DESC"), params![])
    }

    /// Every run with the given status, oldest first.
    pub fn runs_with_status(&self, status: i64) -> StoreResult<Vec<RunRecord>> {
        self.query_runs(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE status = ?1 ORDER BY seq"), params![status])
    }

    fn query_runs(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<RunRecord>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let runs = stmt.query_map(args, run_from)?.collect::<Result<Vec<_>, _>>()?;
        Ok(runs)
    }

    pub fn rejections(&self, execution_id: &str) -> StoreResult<Vec<Rejection>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT source_col, target_col, issue, value, records FROM rejections WHERE execution_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map([execution_id], |r| {
                Ok(Rejection {
                    source_col: r.get(0)?,
                    target_col: r.get(1)?,
                    issue: r.get(2)?,
                    value: r.get(3)?,
                    records: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Writer<'_> {
    pub fn insert_run(&self, run: &RunRecord) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO runs (seq, {RUN_COLUMNS}) VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM runs), {})",
            placeholders(RUN_VALUES)
        );
        self.conn().prepare_cached(&sql)?.execute(params_from_iter(run_values(run)))?;
        Ok(())
    }

    /// Writes `run` over the stored run, which must still have status
    /// `expected` (else [`StoreError::Conflict`] and the caller's
    /// transaction rolls back).
    pub fn update_run(&self, run: &RunRecord, expected: i64) -> StoreResult<()> {
        let sql = format!(
            "UPDATE runs SET ({RUN_COLUMNS}) = ({}) WHERE execution_id = ?1 AND status = ?{}",
            placeholders(RUN_VALUES),
            RUN_VALUES + 1
        );
        let values = run_values(run).into_iter().chain([&expected as &dyn ToSql]);
        let changed = self.conn().prepare_cached(&sql)?.execute(params_from_iter(values))?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(format!("run {} is no longer in status {expected}", run.execution_id))),
        }
    }

    pub fn insert_rejections(&self, execution_id: &str, rows: &[Rejection]) -> StoreResult<()> {
        let mut stmt = self.conn().prepare_cached(
            "INSERT INTO rejections (execution_id, seq, source_col, target_col, issue, value, records)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (seq, r) in rows.iter().enumerate() {
            stmt.execute(params![execution_id, seq as i64, r.source_col, r.target_col, r.issue, r.value, r.records])?;
        }
        Ok(())
    }
}
