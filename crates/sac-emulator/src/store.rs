//! Everything the emulator remembers, in SQLite: the tenant description,
//! tokens and sessions (as digests), source rows, dimension members, runs
//! and their rejected rows.
//!
//! In memory by default; with a data directory the database lives in
//! `<dir>/emulator.sqlite3` in WAL mode and survives restarts. One
//! connection behind a mutex is plenty for an emulator and keeps every
//! statement serialised.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension};

use crate::tenant::Row;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, kind TEXT NOT NULL, jti TEXT NOT NULL, client_id TEXT NOT NULL,
    user TEXT, grant_type TEXT NOT NULL, scope TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS auth_codes (
    digest TEXT PRIMARY KEY, client_id TEXT NOT NULL, user TEXT NOT NULL, redirect_uri TEXT,
    challenge TEXT, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, kind TEXT NOT NULL, user TEXT, client_id TEXT, csrf TEXT,
    expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS source_rows (
    source TEXT NOT NULL, object TEXT NOT NULL, seq INTEGER NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (source, object, seq));
CREATE TABLE IF NOT EXISTS members (
    model TEXT NOT NULL, member_id TEXT NOT NULL, attrs TEXT NOT NULL,
    PRIMARY KEY (model, member_id));
CREATE TABLE IF NOT EXISTS runs (
    execution_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, schedule_id TEXT NOT NULL,
    status INTEGER NOT NULL, start_time TEXT NOT NULL, end_time TEXT, user TEXT NOT NULL,
    all_count INTEGER NOT NULL DEFAULT 0, rejected_count INTEGER NOT NULL DEFAULT 0,
    inserted_count INTEGER NOT NULL DEFAULT 0, message TEXT,
    due_at_ms INTEGER, polls_left INTEGER, fail_message TEXT, hidden_reads INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS runs_by_schedule ON runs (schedule_id, seq);
CREATE TABLE IF NOT EXISTS rejections (
    execution_id TEXT NOT NULL, seq INTEGER NOT NULL, source_col TEXT NOT NULL,
    target_col TEXT NOT NULL, issue TEXT NOT NULL, value TEXT NOT NULL, records INTEGER NOT NULL,
    PRIMARY KEY (execution_id, seq));
CREATE TABLE IF NOT EXISTS facts (
    model TEXT NOT NULL, key TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (model, key));
CREATE TABLE IF NOT EXISTS import_jobs (
    job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, model TEXT NOT NULL, import_type TEXT NOT NULL,
    owner TEXT NOT NULL, status TEXT NOT NULL, settings TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0, error TEXT, updated TEXT NOT NULL, due_at_ms INTEGER, polls_left INTEGER);
CREATE TABLE IF NOT EXISTS import_rows (
    job_id TEXT NOT NULL, seq INTEGER NOT NULL, row TEXT NOT NULL, reason TEXT, PRIMARY KEY (job_id, seq));
CREATE TABLE IF NOT EXISTS ma_executions (
    execution_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, multi_action TEXT NOT NULL, status TEXT NOT NULL,
    user TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT, parameters TEXT NOT NULL, messages TEXT NOT NULL,
    due_at_ms INTEGER, polls_left INTEGER);
"#;

/// Tables that hold the tenant's state (everything but the schema).
const STATE_TABLES: [&str; 12] = [
    "import_jobs",
    "import_rows",
    "meta",
    "tokens",
    "auth_codes",
    "sessions",
    "source_rows",
    "members",
    "runs",
    "rejections",
    "facts",
    "ma_executions",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the emulator's database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// What the emulator knows about an issued token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub jti: String,
    pub client_id: String,
    /// `None` for client-credentials tokens (no user context).
    pub user: Option<String>,
    pub grant_type: String,
    pub scope: String,
    /// Unix seconds.
    pub expires_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthCodeRecord {
    pub client_id: String,
    pub user: String,
    pub redirect_uri: Option<String>,
    pub challenge: Option<String>,
    pub expires_at: i64,
    pub used: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    /// Logged in with the login form: the cookie alone authenticates.
    Browser,
    /// Opened by a CSRF fetch with a bearer token: the cookie carries the
    /// CSRF token, the bearer token still authenticates each call.
    Token,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub digest: String,
    pub kind: SessionKind,
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub csrf: Option<String>,
    pub expires_at: i64,
}

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

/// One line of a run's rejection CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub source_col: String,
    pub target_col: String,
    pub issue: String,
    pub value: String,
    pub records: i64,
}

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens the database in `data_dir`, or in memory when `None`.
    pub fn open(data_dir: Option<&Path>) -> StoreResult<Self> {
        let conn = match data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                let conn = Connection::open(dir.join("emulator.sqlite3"))?;
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                conn
            }
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every
        // multi-statement change runs in a transaction), so a poisoned lock
        // is safe to keep using.
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets everything: the state of a fresh emulator.
    pub fn wipe(&self) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in STATE_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self.conn().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    // ---- tokens -------------------------------------------------------

    pub fn insert_token(&self, digest: &str, t: &TokenRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO tokens (digest, kind, jti, client_id, user, grant_type, scope, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![digest, t.kind.as_str(), t.jti, t.client_id, t.user, t.grant_type, t.scope, t.expires_at],
        )?;
        Ok(())
    }

    pub fn token(&self, digest: &str) -> StoreResult<Option<TokenRecord>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT kind, jti, client_id, user, grant_type, scope, expires_at FROM tokens WHERE digest = ?1",
                [digest],
                |r| {
                    let kind: String = r.get(0)?;
                    Ok(TokenRecord {
                        kind: if kind == "refresh" { TokenKind::Refresh } else { TokenKind::Access },
                        jti: r.get(1)?,
                        client_id: r.get(2)?,
                        user: r.get(3)?,
                        grant_type: r.get(4)?,
                        scope: r.get(5)?,
                        expires_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// Makes a token expire at `at` (unix seconds), as an injected fault does.
    pub fn expire_token(&self, digest: &str, at: i64) -> StoreResult<()> {
        self.conn().execute("UPDATE tokens SET expires_at = ?2 WHERE digest = ?1", params![digest, at])?;
        Ok(())
    }

    // ---- authorization codes ------------------------------------------

    pub fn insert_auth_code(&self, digest: &str, c: &AuthCodeRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO auth_codes (digest, client_id, user, redirect_uri, challenge, expires_at, used)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)",
            params![digest, c.client_id, c.user, c.redirect_uri, c.challenge, c.expires_at],
        )?;
        Ok(())
    }

    /// Returns the code and marks it used (codes are single use).
    pub fn take_auth_code(&self, digest: &str) -> StoreResult<Option<AuthCodeRecord>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let code = tx
            .query_row(
                "SELECT client_id, user, redirect_uri, challenge, expires_at, used FROM auth_codes WHERE digest = ?1",
                [digest],
                |r| {
                    Ok(AuthCodeRecord {
                        client_id: r.get(0)?,
                        user: r.get(1)?,
                        redirect_uri: r.get(2)?,
                        challenge: r.get(3)?,
                        expires_at: r.get(4)?,
                        used: r.get::<_, i64>(5)? != 0,
                    })
                },
            )
            .optional()?;
        tx.execute("UPDATE auth_codes SET used = 1 WHERE digest = ?1", [digest])?;
        tx.commit()?;
        Ok(code)
    }

    // ---- sessions -----------------------------------------------------

    pub fn insert_session(&self, s: &SessionRecord) -> StoreResult<()> {
        let kind = match s.kind {
            SessionKind::Browser => "browser",
            SessionKind::Token => "token",
        };
        self.conn().execute(
            "INSERT INTO sessions (digest, kind, user, client_id, csrf, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.digest, kind, s.user, s.client_id, s.csrf, s.expires_at],
        )?;
        Ok(())
    }

    /// The session, if it exists and has not expired at `now`.
    pub fn session(&self, digest: &str, now: i64) -> StoreResult<Option<SessionRecord>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT digest, kind, user, client_id, csrf, expires_at FROM sessions
                 WHERE digest = ?1 AND expires_at > ?2",
                params![digest, now],
                |r| {
                    let kind: String = r.get(1)?;
                    Ok(SessionRecord {
                        digest: r.get(0)?,
                        kind: if kind == "browser" { SessionKind::Browser } else { SessionKind::Token },
                        user: r.get(2)?,
                        client_id: r.get(3)?,
                        csrf: r.get(4)?,
                        expires_at: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }

    /// Slides the idle timeout of a session.
    pub fn touch_session(&self, digest: &str, expires_at: i64) -> StoreResult<()> {
        self.conn().execute("UPDATE sessions SET expires_at = ?2 WHERE digest = ?1", params![digest, expires_at])?;
        Ok(())
    }

    pub fn set_session_csrf(&self, digest: &str, csrf: Option<&str>) -> StoreResult<()> {
        self.conn().execute("UPDATE sessions SET csrf = ?2 WHERE digest = ?1", params![digest, csrf])?;
        Ok(())
    }

    // ---- source rows and members ---------------------------------------

    pub fn replace_source_rows(&self, source: &str, object: &str, rows: &[Row]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM source_rows WHERE source = ?1 AND object = ?2", params![source, object])?;
        insert_source_rows(&tx, source, object, 0, rows)?;
        tx.commit()?;
        Ok(())
    }

    pub fn append_source_rows(&self, source: &str, object: &str, rows: &[Row]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let next: i64 = tx.query_row(
            "SELECT COALESCE(MAX(seq) + 1, 0) FROM source_rows WHERE source = ?1 AND object = ?2",
            params![source, object],
            |r| r.get(0),
        )?;
        insert_source_rows(&tx, source, object, next, rows)?;
        tx.commit()?;
        Ok(())
    }

    pub fn source_rows(&self, source: &str, object: &str) -> StoreResult<Vec<Row>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT fields FROM source_rows WHERE source = ?1 AND object = ?2 ORDER BY seq")?;
        let texts =
            stmt.query_map(params![source, object], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|t| parse_row(t)).collect()
    }

    /// The keys of a model's members.
    pub fn member_ids(&self, model: &str) -> StoreResult<std::collections::HashSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT member_id FROM members WHERE model = ?1")?;
        let ids = stmt.query_map([model], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// Inserts members, or updates the given attributes of existing ones
    /// (attributes a load does not carry keep their values).
    pub fn upsert_members(&self, model: &str, key_attr: &str, rows: &[Row]) -> StoreResult<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO members (model, member_id, attrs) VALUES (?1, ?2, ?3)
                 ON CONFLICT (model, member_id) DO UPDATE SET attrs = json_patch(members.attrs, excluded.attrs)",
            )?;
            for row in rows {
                let id = row.get(key_attr).map(String::as_str).unwrap_or_default();
                stmt.execute(params![model, id, serde_json::to_string(row).expect("rows serialize")])?;
            }
        }
        tx.commit()?;
        Ok(rows.len())
    }

    pub fn member_exists(&self, model: &str, member_id: &str) -> StoreResult<bool> {
        Ok(self
            .conn()
            .query_row("SELECT 1 FROM members WHERE model = ?1 AND member_id = ?2", params![model, member_id], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    pub fn member_count(&self, model: &str) -> StoreResult<i64> {
        Ok(self.conn().query_row("SELECT COUNT(*) FROM members WHERE model = ?1", [model], |r| r.get(0))?)
    }

    /// Members ordered by key, one page.
    pub fn members(&self, model: &str, offset: i64, limit: i64) -> StoreResult<Vec<Row>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT attrs FROM members WHERE model = ?1 ORDER BY member_id LIMIT ?2 OFFSET ?3")?;
        let texts =
            stmt.query_map(params![model, limit, offset], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|t| parse_row(t)).collect()
    }

    // ---- runs ----------------------------------------------------------

    pub fn insert_run(&self, run: &RunRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO runs (execution_id, seq, schedule_id, status, start_time, end_time, user,
                all_count, rejected_count, inserted_count, message, due_at_ms, polls_left, fail_message, hidden_reads)
             VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM runs), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                run.execution_id, run.schedule_id, run.status, run.start_time, run.end_time, run.user,
                run.all_count, run.rejected_count, run.inserted_count, run.message, run.due_at_ms,
                run.polls_left, run.fail_message, run.hidden_reads
            ],
        )?;
        Ok(())
    }

    pub fn update_run(&self, run: &RunRecord) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE runs SET status = ?2, end_time = ?3, all_count = ?4, rejected_count = ?5,
                inserted_count = ?6, message = ?7, due_at_ms = ?8, polls_left = ?9, fail_message = ?10,
                hidden_reads = ?11
             WHERE execution_id = ?1",
            params![
                run.execution_id,
                run.status,
                run.end_time,
                run.all_count,
                run.rejected_count,
                run.inserted_count,
                run.message,
                run.due_at_ms,
                run.polls_left,
                run.fail_message,
                run.hidden_reads
            ],
        )?;
        Ok(())
    }

    pub fn run(&self, execution_id: &str) -> StoreResult<Option<RunRecord>> {
        Ok(self.query_runs("WHERE execution_id = ?1", params![execution_id])?.into_iter().next())
    }

    /// Runs of a schedule, newest first.
    pub fn runs_of(&self, schedule_id: &str) -> StoreResult<Vec<RunRecord>> {
        self.query_runs("WHERE schedule_id = ?1 ORDER BY seq DESC", params![schedule_id])
    }

    /// Every run with the given status, oldest first.
    pub fn runs_with_status(&self, status: i64) -> StoreResult<Vec<RunRecord>> {
        self.query_runs("WHERE status = ?1 ORDER BY seq", params![status])
    }

    fn query_runs(&self, filter: &str, args: impl rusqlite::Params) -> StoreResult<Vec<RunRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT execution_id, schedule_id, status, start_time, end_time, user, all_count,
                rejected_count, inserted_count, message, due_at_ms, polls_left, fail_message, hidden_reads
             FROM runs {filter}"
        ))?;
        let runs = stmt
            .query_map(args, |r| {
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
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(runs)
    }

    pub fn insert_rejections(&self, execution_id: &str, rows: &[Rejection]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO rejections (execution_id, seq, source_col, target_col, issue, value, records)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (seq, r) in rows.iter().enumerate() {
                stmt.execute(params![
                    execution_id,
                    seq as i64,
                    r.source_col,
                    r.target_col,
                    r.issue,
                    r.value,
                    r.records
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn rejections(&self, execution_id: &str) -> StoreResult<Vec<Rejection>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT source_col, target_col, issue, value, records FROM rejections
             WHERE execution_id = ?1 ORDER BY seq",
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

impl Store {
    // ---- facts ---------------------------------------------------------

    /// Inserts fact rows, or updates the columns they carry (measures they
    /// do not carry keep their values).
    pub fn upsert_facts(&self, model: &str, rows: &[(String, Row)]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO facts (model, key, row) VALUES (?1, ?2, ?3)
                 ON CONFLICT (model, key) DO UPDATE SET row = json_patch(facts.row, excluded.row)",
            )?;
            for (key, row) in rows {
                stmt.execute(params![model, key, serde_json::to_string(row).expect("rows serialize")])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Deletes the facts whose columns equal all of `conditions`; returns how many.
    pub fn delete_facts(&self, model: &str, conditions: &[(String, String)]) -> StoreResult<usize> {
        let (filter, args) = fact_filter(model, conditions);
        Ok(self.conn().execute(&format!("DELETE FROM facts {filter}"), rusqlite::params_from_iter(args))?)
    }

    /// Facts ordered by key, one page; `conditions` as in [`Store::delete_facts`].
    pub fn facts(
        &self,
        model: &str,
        conditions: &[(String, String)],
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<Row>> {
        let (filter, args) = fact_filter(model, conditions);
        let mut sql = format!("SELECT row FROM facts {filter}");
        sql.push_str(&format!(" ORDER BY key LIMIT {} OFFSET {}", limit.max(0), offset.max(0)));
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let texts = stmt
            .query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|t| parse_row(t)).collect()
    }

    pub fn fact(&self, model: &str, key: &str) -> StoreResult<Option<Row>> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT row FROM facts WHERE model = ?1 AND key = ?2", params![model, key], |r| r.get(0))
            .optional()?;
        text.map(|t| parse_row(&t)).transpose()
    }

    pub fn fact_count(&self, model: &str) -> StoreResult<i64> {
        Ok(self.conn().query_row("SELECT COUNT(*) FROM facts WHERE model = ?1", [model], |r| r.get(0))?)
    }

    // ---- multi action executions ----------------------------------------

    pub fn insert_ma_execution(&self, e: &MaExecutionRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO ma_executions (execution_id, seq, multi_action, status, user, start_time, end_time,
                parameters, messages, due_at_ms, polls_left)
             VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM ma_executions), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                e.execution_id,
                e.multi_action,
                e.status,
                e.user,
                e.start_time,
                e.end_time,
                e.parameters,
                e.messages,
                e.due_at_ms,
                e.polls_left
            ],
        )?;
        Ok(())
    }

    pub fn update_ma_execution(&self, e: &MaExecutionRecord) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE ma_executions SET status = ?2, end_time = ?3, messages = ?4, due_at_ms = ?5, polls_left = ?6
             WHERE execution_id = ?1",
            params![e.execution_id, e.status, e.end_time, e.messages, e.due_at_ms, e.polls_left],
        )?;
        Ok(())
    }

    pub fn ma_execution(&self, execution_id: &str) -> StoreResult<Option<MaExecutionRecord>> {
        Ok(self.query_ma("WHERE execution_id = ?1", params![execution_id])?.into_iter().next())
    }

    pub fn running_ma_executions(&self) -> StoreResult<Vec<MaExecutionRecord>> {
        self.query_ma("WHERE status = 'running' ORDER BY seq", params![])
    }

    /// The executions of a multi action, newest first.
    pub fn ma_executions_of(&self, multi_action: &str) -> StoreResult<Vec<MaExecutionRecord>> {
        self.query_ma("WHERE multi_action = ?1 ORDER BY seq DESC", params![multi_action])
    }

    fn query_ma(&self, filter: &str, args: impl rusqlite::Params) -> StoreResult<Vec<MaExecutionRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT execution_id, multi_action, status, user, start_time, end_time, parameters, messages,
                due_at_ms, polls_left FROM ma_executions {filter}"
        ))?;
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

impl Store {
    // ---- data import jobs ------------------------------------------------

    pub fn insert_import_job(&self, j: &ImportJobRecord) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO import_jobs (job_id, seq, model, import_type, owner, status, settings, total, failed, error,
                updated, due_at_ms, polls_left)
             VALUES (?1, (SELECT COALESCE(MAX(seq) + 1, 0) FROM import_jobs), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                j.job_id, j.model, j.import_type, j.owner, j.status, j.settings, j.total, j.failed, j.error, j.updated,
                j.due_at_ms, j.polls_left
            ],
        )?;
        Ok(())
    }

    pub fn update_import_job(&self, j: &ImportJobRecord) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE import_jobs SET status = ?2, settings = ?3, total = ?4, failed = ?5, error = ?6, updated = ?7,
                due_at_ms = ?8, polls_left = ?9 WHERE job_id = ?1",
            params![j.job_id, j.status, j.settings, j.total, j.failed, j.error, j.updated, j.due_at_ms, j.polls_left],
        )?;
        Ok(())
    }

    pub fn import_job(&self, job_id: &str) -> StoreResult<Option<ImportJobRecord>> {
        Ok(self.query_jobs("WHERE job_id = ?1", params![job_id])?.into_iter().next())
    }

    /// Jobs of an owner, oldest first.
    pub fn import_jobs_of(&self, owner: &str) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs("WHERE owner = ?1 ORDER BY seq", params![owner])
    }

    /// The newest jobs of every owner.
    pub fn recent_import_jobs(&self, limit: i64) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs("ORDER BY seq DESC LIMIT ?1", params![limit])
    }

    pub fn processing_import_jobs(&self) -> StoreResult<Vec<ImportJobRecord>> {
        self.query_jobs("WHERE status = 'PROCESSING' ORDER BY seq", params![])
    }

    fn query_jobs(&self, filter: &str, args: impl rusqlite::Params) -> StoreResult<Vec<ImportJobRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT job_id, model, import_type, owner, status, settings, total, failed, error, updated, due_at_ms,
                polls_left FROM import_jobs {filter}"
        ))?;
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

    pub fn delete_import_job(&self, job_id: &str) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM import_rows WHERE job_id = ?1", [job_id])?;
        tx.execute("DELETE FROM import_jobs WHERE job_id = ?1", [job_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Appends staged rows to a job; returns the job's row count after.
    pub fn append_import_rows(&self, job_id: &str, rows: &[Row]) -> StoreResult<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let next: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM import_rows WHERE job_id = ?1", [job_id], |r| {
                r.get(0)
            })?;
        {
            let mut stmt = tx.prepare("INSERT INTO import_rows (job_id, seq, row) VALUES (?1, ?2, ?3)")?;
            for (i, row) in rows.iter().enumerate() {
                stmt.execute(params![job_id, next + i as i64, serde_json::to_string(row).expect("rows serialize")])?;
            }
        }
        tx.commit()?;
        Ok(next + rows.len() as i64)
    }

    /// Staged rows of a job with their rejection reason, from `after` (exclusive), at most `limit`.
    pub fn import_rows(&self, job_id: &str, after: i64, limit: i64) -> StoreResult<Vec<(i64, Row, Option<String>)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT seq, row, reason FROM import_rows WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3")?;
        let raw = stmt
            .query_map(params![job_id, after, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(|(seq, text, reason)| Ok((seq, parse_row(&text)?, reason))).collect()
    }

    /// Rejected staged rows of a job, at most `limit`.
    pub fn rejected_import_rows(&self, job_id: &str, limit: i64) -> StoreResult<Vec<(Row, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT row, reason FROM import_rows WHERE job_id = ?1 AND reason IS NOT NULL ORDER BY seq LIMIT ?2",
        )?;
        let raw = stmt
            .query_map(params![job_id, limit], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter().map(|(text, reason)| Ok((parse_row(&text)?, reason))).collect()
    }

    /// Records the validation outcome of staged rows (`None`: valid).
    pub fn set_import_reasons(&self, job_id: &str, reasons: &[(i64, Option<String>)]) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare("UPDATE import_rows SET reason = ?3 WHERE job_id = ?1 AND seq = ?2")?;
            for (seq, reason) in reasons {
                stmt.execute(params![job_id, seq, reason])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// `WHERE model = ? AND json_extract(row, '$."Col"') = ? ...` with its
/// arguments; column names are bound as JSON paths, never spliced into SQL.
fn fact_filter(model: &str, conditions: &[(String, String)]) -> (String, Vec<String>) {
    let mut sql = String::from("WHERE model = ?1");
    let mut args: Vec<String> = vec![model.to_string()];
    for (column, value) in conditions {
        args.push(format!("$.\"{}\"", column.replace('"', "")));
        args.push(value.clone());
        sql.push_str(&format!(" AND json_extract(row, ?{}) = ?{}", args.len() - 1, args.len()));
    }
    (sql, args)
}

fn insert_source_rows(
    tx: &rusqlite::Transaction<'_>,
    source: &str,
    object: &str,
    first_seq: i64,
    rows: &[Row],
) -> StoreResult<()> {
    let mut stmt = tx.prepare("INSERT INTO source_rows (source, object, seq, fields) VALUES (?1, ?2, ?3, ?4)")?;
    for (i, row) in rows.iter().enumerate() {
        let fields = serde_json::to_string(row).expect("rows serialize");
        stmt.execute(params![source, object, first_seq + i as i64, fields])?;
    }
    Ok(())
}

fn parse_row(text: &str) -> StoreResult<Row> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("row {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn members_upsert_by_key() {
        let store = Store::open(None).unwrap();
        store.upsert_members("M", "ID", &[row(&[("ID", "A"), ("Country", "DE")])]).unwrap();
        store.upsert_members("M", "ID", &[row(&[("ID", "A"), ("Country", "FR")]), row(&[("ID", "B")])]).unwrap();
        assert_eq!(store.member_count("M").unwrap(), 2);
        assert_eq!(store.members("M", 0, 10).unwrap()[0]["Country"], "FR");
        assert!(store.member_exists("M", "B").unwrap());
        assert!(!store.member_exists("M", "C").unwrap());
    }

    #[test]
    fn facts_by_key_with_conditions() {
        let store = Store::open(None).unwrap();
        let fact = |v: &str, d: &str, a: &str| (format!("{v}|{d}"), row(&[("Version", v), ("Date", d), ("Amount", a)]));
        store.upsert_facts("M", &[fact("A", "1", "1.5"), fact("A", "2", "2"), fact("P", "1", "3")]).unwrap();
        store.upsert_facts("M", &[fact("A", "1", "9")]).unwrap();
        assert_eq!(store.fact_count("M").unwrap(), 3);
        let actual = store.facts("M", &[("Version".into(), "A".into())], 0, 10).unwrap();
        assert_eq!(actual.len(), 2);
        assert_eq!(actual[0]["Amount"], "9");
        let cond = [("Version".to_string(), "A".to_string()), ("Date".to_string(), "2".to_string())];
        assert_eq!(store.delete_facts("M", &cond).unwrap(), 1);
        assert_eq!(store.fact_count("M").unwrap(), 2);
        // A column name cannot break out of its JSON path.
        assert_eq!(store.delete_facts("M", &[(r#"x") OR 1=1 --"#.into(), "y".into())]).unwrap(), 0);
    }

    #[test]
    fn auth_codes_are_single_use() {
        let store = Store::open(None).unwrap();
        let code = AuthCodeRecord {
            client_id: "c".into(),
            user: "u".into(),
            redirect_uri: None,
            challenge: None,
            expires_at: 10,
            used: false,
        };
        store.insert_auth_code("d", &code).unwrap();
        assert!(!store.take_auth_code("d").unwrap().unwrap().used);
        assert!(store.take_auth_code("d").unwrap().unwrap().used);
        assert!(store.take_auth_code("other").unwrap().is_none());
    }

    #[test]
    fn data_dir_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(Some(dir.path())).unwrap();
            store.set_meta("k", "v").unwrap();
            store.append_source_rows("S", "O", &[row(&[("F", "1")])]).unwrap();
            store.append_source_rows("S", "O", &[row(&[("F", "2")])]).unwrap();
        }
        let store = Store::open(Some(dir.path())).unwrap();
        assert_eq!(store.meta("k").unwrap().as_deref(), Some("v"));
        let rows = store.source_rows("S", "O").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["F"], "2");
    }
}
