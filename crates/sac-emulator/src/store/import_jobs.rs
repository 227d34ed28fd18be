//! Data Import API jobs, the chunks of rows uploaded to them (kept as they
//! were sent, never re-encoded row by row) and the rows validation rejected.

use std::collections::HashSet;

use rusqlite::params;

use super::{Reader, StoreError, StoreResult, Writer};
use crate::tenant::Row;

/// A Data Import API job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportJobRecord {
    pub job_id: String,
    /// Object id of the model or public dimension (no package prefix).
    pub model: String,
    pub import_type: String,
    /// Client id (technical) or user the job belongs to.
    pub owner: String,
    /// READY_FOR_DATA, READY_FOR_WRITE, PROCESSING, COMPLETED, FAILED.
    pub status: String,
    /// Mapping, DefaultValues and JobSettings as posted (JSON).
    pub settings: String,
    pub total: i64,
    pub failed: i64,
    pub error: Option<String>,
    pub updated: String,
    pub due_at_ms: Option<i64>,
    pub polls_left: Option<i64>,
}

/// One uploaded request body of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRecord {
    /// The job-wide number of the chunk's first row (rows count from 0).
    pub first_row: i64,
    /// How many rows of the chunk were staged.
    pub rows: i64,
    pub content_type: String,
    /// Mapping and DefaultValues in force for this chunk (JSON).
    pub mapping: String,
    pub body: Vec<u8>,
}

const JOB_COLUMNS: &str =
    "job_id, model, import_type, owner, status, settings, total, failed, error, updated, due_at_ms, polls_left";

impl Reader<'_> {
    pub fn import_job(&self, job_id: &str) -> StoreResult<Option<ImportJobRecord>> {
        Ok(self.query_jobs(&format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE job_id = ?1"), params![job_id])?.pop())
    }

    /// Jobs of an owner, oldest first.
    pub fn import_jobs_of(&self, owner: &str) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs(&format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE owner = ?1 ORDER BY seq"), params![owner])
    }

    /// The newest jobs of every owner.
    pub fn recent_import_jobs(&self, limit: i64) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs(&format!("SELECT {JOB_COLUMNS} FROM import_jobs ORDER BY seq DESC LIMIT ?1"), params![limit])
    }

    /// Jobs of an owner that take data or are validated (not yet run).
    pub fn active_import_jobs_of_owner(&self, owner: &str) -> StoreResult<usize> {
        self.count_active("owner", owner)
    }

    /// Jobs of a model or public dimension that take data or are validated.
    pub fn active_import_jobs_of_model(&self, model: &str) -> StoreResult<usize> {
        self.count_active("model", model)
    }

    fn count_active(&self, column: &str, value: &str) -> StoreResult<usize> {
        let sql = format!(
            "SELECT COUNT(*) FROM import_jobs WHERE {column} = ?1 AND status IN ('READY_FOR_DATA', 'READY_FOR_WRITE')"
        );
        let count: i64 = self.conn().prepare_cached(&sql)?.query_row([value], |r| r.get(0))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    pub fn processing_import_jobs(&self) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs(
            &format!("SELECT {JOB_COLUMNS} FROM import_jobs WHERE status = 'PROCESSING' ORDER BY seq"),
            params![],
        )
    }

    fn query_jobs(&self, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<ImportJobRecord>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let jobs = stmt
            .query_map(args, |r| {
                Ok(ImportJobRecord {
                    job_id: r.get(0)?,
                    model: r.get(1)?,
                    import_type: r.get(2)?,
                    owner: r.get(3)?,
                    status: r.get(4)?,
                    settings: r.get(5)?,
                    total: r.get(6)?,
                    failed: r.get(7)?,
                    error: r.get(8)?,
                    updated: r.get(9)?,
                    due_at_ms: r.get(10)?,
                    polls_left: r.get(11)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(jobs)
    }

    /// Rows every job holds in temporary storage together.
    pub fn staged_rows(&self) -> StoreResult<i64> {
        let mut stmt = self.conn().prepare_cached("SELECT COALESCE(SUM(rows), 0) FROM import_chunks")?;
        Ok(stmt.query_row([], |r| r.get(0))?)
    }

    /// The number of chunks of a job.
    pub fn chunk_count(&self, job_id: &str) -> StoreResult<i64> {
        let mut stmt = self.conn().prepare_cached("SELECT COUNT(*) FROM import_chunks WHERE job_id = ?1")?;
        Ok(stmt.query_row([job_id], |r| r.get(0))?)
    }

    /// Chunk number `index` of a job (chunks count from 0).
    pub fn chunk(&self, job_id: &str, index: i64) -> StoreResult<Option<ChunkRecord>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT first_row, rows, content_type, mapping, body FROM import_chunks WHERE job_id = ?1 AND chunk = ?2",
        )?;
        let mut rows = stmt.query_map(params![job_id, index], |r| {
            Ok(ChunkRecord {
                first_row: r.get(0)?,
                rows: r.get(1)?,
                content_type: r.get(2)?,
                mapping: r.get(3)?,
                body: r.get(4)?,
            })
        })?;
        Ok(rows.next().transpose()?)
    }

    /// The job-wide numbers of the rows validation rejected.
    pub fn rejected_row_numbers(&self, job_id: &str) -> StoreResult<HashSet<i64>> {
        let mut stmt = self.conn().prepare_cached("SELECT row_seq FROM import_rejects WHERE job_id = ?1")?;
        let seqs = stmt.query_map([job_id], |r| r.get::<_, i64>(0))?.collect::<Result<_, _>>()?;
        Ok(seqs)
    }

    /// The members of an account dimension whose `accType` is one of `types`.
    pub fn members_with_account_type(&self, dimension: &str, types: &[&str]) -> StoreResult<HashSet<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT member_id, json_extract(attrs, '$.accType') FROM members WHERE model = ?1")?;
        let rows = stmt
            .query_map([dimension], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .filter(|(_, t)| t.as_deref().is_some_and(|t| types.contains(&t)))
            .map(|(id, _)| id)
            .collect())
    }

    /// Rejected rows of a job with their reason, in row order, at most `limit`.
    pub fn rejected_import_rows(&self, job_id: &str, limit: i64) -> StoreResult<Vec<(Row, String)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT row, reason FROM import_rejects WHERE job_id = ?1 ORDER BY row_seq LIMIT ?2")?;
        let raw = stmt
            .query_map(params![job_id, limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(|(text, reason)| Ok((super::parse_json("rejected row", &text)?, reason))).collect()
    }
}

impl Writer<'_> {
    pub fn insert_import_job(&self, j: &ImportJobRecord) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO import_jobs (job_id, seq, model, import_type, owner, status, settings, total, failed, error,
                    updated, due_at_ms, polls_left)
                 VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM import_jobs), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                    ?11, ?12)",
            )?
            .execute(params![
                j.job_id, j.model, j.import_type, j.owner, j.status, j.settings, j.total, j.failed, j.error, j.updated,
                j.due_at_ms, j.polls_left
            ])?;
        Ok(())
    }

    /// Writes `j` over the stored job, which must still have status
    /// `expected` (else [`StoreError::Conflict`]).
    pub fn update_import_job(&self, j: &ImportJobRecord, expected: &str) -> StoreResult<()> {
        let changed = self
            .conn()
            .prepare_cached(
                "UPDATE import_jobs SET status = ?2, settings = ?3, total = ?4, failed = ?5, error = ?6, updated = ?7,
                    due_at_ms = ?8, polls_left = ?9 WHERE job_id = ?1 AND status = ?10",
            )?
            .execute(params![
                j.job_id,
                j.status,
                j.settings,
                j.total,
                j.failed,
                j.error,
                j.updated,
                j.due_at_ms,
                j.polls_left,
                expected
            ])?;
        match changed {
            1 => Ok(()),
            _ => Err(StoreError::Conflict(format!("job {} is no longer {expected}", j.job_id))),
        }
    }

    pub fn delete_import_job(&self, job_id: &str) -> StoreResult<()> {
        for table in ["import_chunks", "import_rejects", "import_jobs"] {
            self.conn().prepare_cached(&format!("DELETE FROM {table} WHERE job_id = ?1"))?.execute([job_id])?;
        }
        Ok(())
    }

    /// Forgets the uploaded rows of a job that has ended (its rejected rows stay).
    pub fn delete_chunks(&self, job_id: &str) -> StoreResult<()> {
        self.conn().prepare_cached("DELETE FROM import_chunks WHERE job_id = ?1")?.execute([job_id])?;
        Ok(())
    }

    /// Appends a chunk as its next one; returns the job's row count after.
    pub fn append_chunk(&self, job_id: &str, chunk: &ChunkRecord) -> StoreResult<i64> {
        let (index, first_row): (i64, i64) = self
            .conn()
            .prepare_cached("SELECT COUNT(*), COALESCE(SUM(rows), 0) FROM import_chunks WHERE job_id = ?1")?
            .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO import_chunks (job_id, chunk, first_row, rows, content_type, mapping, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![job_id, index, first_row, chunk.rows, chunk.content_type, chunk.mapping, chunk.body])?;
        Ok(first_row + chunk.rows)
    }

    /// Writes members of a public dimension as a Data Import job does
    /// ("Data Overwrite", SAP help d9dc1eb6): a member's attributes become
    /// exactly those of its row; one the row omits is removed.
    pub fn overwrite_members(&self, dimension: &str, key_attr: &str, rows: &[Row]) -> StoreResult<()> {
        let mut stmt = self.conn().prepare_cached(
            "INSERT INTO members (model, member_id, attrs) VALUES (?1, ?2, ?3)
             ON CONFLICT (model, member_id) DO UPDATE SET attrs = excluded.attrs",
        )?;
        for row in rows {
            let id = row.get(key_attr).map(String::as_str).unwrap_or_default();
            stmt.execute(params![dimension, id, serde_json::to_string(row).expect("rows serialize")])?;
        }
        Ok(())
    }

    /// Replaces the validation outcome of a job: the rejected rows with reasons.
    pub fn set_rejected_rows(&self, job_id: &str, rejected: &[(i64, Row, String)]) -> StoreResult<()> {
        self.conn().prepare_cached("DELETE FROM import_rejects WHERE job_id = ?1")?.execute([job_id])?;
        let mut stmt = self
            .conn()
            .prepare_cached("INSERT INTO import_rejects (job_id, row_seq, row, reason) VALUES (?1, ?2, ?3, ?4)")?;
        for (seq, row, reason) in rejected {
            stmt.execute(params![job_id, seq, serde_json::to_string(row).expect("rows serialize"), reason])?;
        }
        Ok(())
    }
}
