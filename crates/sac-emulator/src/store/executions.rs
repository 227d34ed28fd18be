//! Executions of multi actions.

use rusqlite::types::ToSql;
use rusqlite::{params, params_from_iter};

use super::sql::placeholders;

use super::{Reader, StoreError, StoreResult, Writer};

/// One execution of a multi action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaExecutionRecord {
    pub execution_id: String,
    pub multi_action: String,
    /// `running`, `successful`, `warning` or `failed`.
    pub status: String,
    pub user: String,
    pub start_time: String,
    pub end_time: Option<String>,
    /// The `parameterValues` as posted (JSON).
    pub parameters: String,
    /// `executionResult.messages` (JSON array).
    pub messages: String,
    pub due_at_ms: Option<i64>,
    pub polls_left: Option<i64>,
}

const COLUMNS: &str =
    "execution_id, multi_action, status, user, start_time, end_time, parameters, messages, due_at_ms, polls_left";

/// How many columns [`COLUMNS`] names.
const VALUES: usize = 10;

/// An execution's values in the order of [`COLUMNS`], for inserts and updates alike.
fn values(e: &MaExecutionRecord) -> [&dyn ToSql; VALUES] {
    [
        &e.execution_id,
        &e.multi_action,
        &e.status,
        &e.user,
        &e.start_time,
        &e.end_time,
        &e.parameters,
        &e.messages,
        &e.due_at_ms,
        &e.polls_left,
    ]
}

impl Reader<'_> {
    pub fn ma_execution(&self, execution_id: &str) -> StoreResult<Option<MaExecutionRecord>> {
        Ok(self
            .query_ma(&format!("SELECT {COLUMNS} FROM ma_executions WHERE execution_id = ?1"), params![execution_id])?
            .pop())
    }

    pub fn running_ma_executions(&self) -> StoreResult<Vec<MaExecutionRecord>> {
        self.query_ma(&format!("SELECT {COLUMNS} FROM ma_executions WHERE status = 'running' ORDER BY seq"), params![])
    }

    /// The executions of a multi action, newest first.
    pub fn ma_executions_of(&self, multi_action: &str) -> StoreResult<Vec<MaExecutionRecord>> {
        self.query_ma(
            &format!("SELECT {COLUMNS} FROM ma_executions WHERE multi_action = ?1 ORDER BY seq DESC"),
            params![multi_action],
        )
    }

    fn query_ma(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<MaExecutionRecord>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt
            .query_map(args, |r| {
                Ok(MaExecutionRecord {
                    execution_id: r.get(0)?,
                    multi_action: r.get(1)?,
                    status: r.get(2)?,
                    user: r.get(3)?,
                    start_time: r.get(4)?,
                    end_time: r.get(5)?,
                    parameters: r.get(6)?,
                    messages: r.get(7)?,
                    due_at_ms: r.get(8)?,
                    polls_left: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Writer<'_> {
    pub fn insert_ma_execution(&self, e: &MaExecutionRecord) -> StoreResult<()> {
        let sql = format!(
            "INSERT INTO ma_executions (seq, {COLUMNS})
             VALUES ((SELECT COALESCE(MAX(seq) + 1, 0) FROM ma_executions), {})",
            placeholders(VALUES)
        );
        self.conn().prepare_cached(&sql)?.execute(params_from_iter(values(e)))?;
        Ok(())
    }

    /// Writes `e` over the stored execution, which must still have status
    /// `expected` (else [`StoreError::Conflict`]).
    pub fn update_ma_execution(&self, e: &MaExecutionRecord, expected: &str) -> StoreResult<()> {
        let sql = format!(
            "UPDATE ma_executions SET ({COLUMNS}) = ({}) WHERE execution_id = ?1 AND status = ?{}",
            placeholders(VALUES),
            VALUES + 1
        );
        let values = values(e).into_iter().chain([&expected as &dyn ToSql]);
        let changed = self.conn().prepare_cached(&sql)?.execute(params_from_iter(values))?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(format!("execution {} is no longer {expected}", e.execution_id))),
        }
    }
}
