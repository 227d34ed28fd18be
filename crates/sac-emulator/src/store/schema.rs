//! The database's layout as a list of migrations (`rusqlite_migration`,
//! which counts them in `PRAGMA user_version`): a fresh database runs them
//! all, a data directory written by an older emulator runs those it lacks,
//! one written by a newer emulator is refused. A change of layout is a new
//! migration at the end of [`migrations`]; never edit one that has shipped.

use std::path::Path;

use rusqlite::{Connection, Transaction};
use rusqlite_migration::{HookError, HookResult, Migrations, M};

use super::facts::{FactTable, WriteMode};
use super::{audit, conversions, facts, Reader, StoreError, StoreResult, Writer};
use crate::tenant::Row;

/// Version 1, the first emulators' layout: facts as JSON rows of one table,
/// an import job's rows in `import_rows`. Those emulators never set
/// `user_version` (it reads 0), and the statements are `IF NOT EXISTS`, so
/// on their databases this migration changes nothing and the next one runs.
const V1: &str = r#"
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

/// Version 2: an import job's uploads kept as the chunks that were sent
/// (version 1's rows become one JSON chunk per job, row numbers kept) and its
/// rejected rows on their own; indexes by status. The facts move to typed
/// tables in [`typed_facts`].
const V1_TO_V2: &str = r#"
CREATE TABLE import_chunks (
    job_id TEXT NOT NULL, chunk INTEGER NOT NULL, first_row INTEGER NOT NULL, rows INTEGER NOT NULL,
    content_type TEXT NOT NULL, mapping TEXT NOT NULL, body BLOB NOT NULL, PRIMARY KEY (job_id, chunk));
CREATE TABLE import_rejects (
    job_id TEXT NOT NULL, row_seq INTEGER NOT NULL, row TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (job_id, row_seq));
INSERT INTO import_chunks (job_id, chunk, first_row, rows, content_type, mapping, body)
    SELECT job_id, 0, 0, COUNT(*), 'application/json', '{}', CAST(json_object('Data', json_group_array(json(row))) AS BLOB)
    FROM (SELECT job_id, row FROM import_rows ORDER BY job_id, seq) GROUP BY job_id;
INSERT INTO import_rejects (job_id, row_seq, row, reason)
    SELECT job_id, seq, row, reason FROM import_rows WHERE reason IS NOT NULL;
DROP TABLE import_rows;
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX import_jobs_by_status ON import_jobs (status);
CREATE INDEX ma_executions_by_status ON ma_executions (status);
"#;

/// Version 3: the planning calendar's events (each with its definition as
/// JSON, its status and the job its latest start began) and one line per
/// data action execution (of multi actions and calendar tasks), which the
/// Monitoring API's `planningDataAction` lists.
const V2_TO_V3: &str = r#"
CREATE TABLE calendar_events (
    event_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, parent_id TEXT, status TEXT NOT NULL, spec TEXT NOT NULL,
    execution_id TEXT, copied_from TEXT);
CREATE INDEX calendar_events_by_status ON calendar_events (status);
CREATE INDEX calendar_events_by_parent ON calendar_events (parent_id);
CREATE TABLE data_action_runs (
    run_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, data_action TEXT NOT NULL, model TEXT NOT NULL,
    source_version TEXT NOT NULL, target_version TEXT NOT NULL, status TEXT NOT NULL, user TEXT NOT NULL,
    start_time TEXT NOT NULL, end_time TEXT NOT NULL, rows INTEGER NOT NULL, message TEXT NOT NULL,
    started_by TEXT NOT NULL, origin TEXT NOT NULL);
"#;

/// Every layout in order; the database's version is how many have run.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up_with_hook(V1_TO_V2, typed_facts),
        M::up(V2_TO_V3),
        // Version 4: currency conversion and unit conversion tables.
        M::up(conversions::SCHEMA),
    ])
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = 4;

/// Brings the database to [`SCHEMA_VERSION`], in one transaction; refuses
/// one written by a newer emulator (`dir` names it in the error).
pub(super) fn migrate(conn: &mut Connection, dir: Option<&Path>) -> StoreResult<()> {
    let found: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        let path = dir.map(|d| d.display().to_string()).unwrap_or_default();
        return Err(StoreError::NewerSchema { path, found });
    }
    migrations().to_latest(conn).map_err(StoreError::Migration)
}

/// Version 1 kept every fact as a JSON row of one `facts` table; version 2
/// has a typed table per planning model, shaped by the tenant stored in
/// `meta` (read loosely, so that a tenant of that time still reads).
fn typed_facts(tx: &Transaction<'_>) -> HookResult {
    let w = Writer { reader: Reader { conn: tx } };
    move_facts(&w).map_err(|e| match e {
        StoreError::Sqlite(e) => HookError::RusqliteError(e),
        other => HookError::Hook(other.to_string()),
    })
}

fn move_facts(w: &Writer<'_>) -> StoreResult<()> {
    w.conn().execute_batch(facts::REGISTRY_SCHEMA)?;
    w.conn().execute_batch(audit::SCHEMA)?;
    let tenant: serde_json::Value = match w.meta("tenant")? {
        Some(json) => super::parse_json("stored tenant", &json)?,
        None => serde_json::Value::Null,
    };
    let names = |list: &serde_json::Value, field: Option<&str>| -> Vec<String> {
        let items = list.as_array().into_iter().flatten();
        items.filter_map(|v| field.map_or(v, |f| &v[f]).as_str().map(str::to_string)).collect()
    };
    for model in tenant["models"].as_array().into_iter().flatten() {
        let Some(id) = model["id"].as_str() else { continue };
        let table = FactTable {
            model: id.to_string(),
            dimensions: names(&model["dimensions"], Some("name")),
            measures: names(&model["measures"], None),
        };
        w.create_fact_table(&table)?;
        let rows: Vec<String> = {
            let mut stmt = w.conn().prepare("SELECT row FROM facts WHERE model = ?1 ORDER BY key")?;
            let rows = stmt.query_map([id], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut writer = w.fact_writer(&table, WriteMode::Update)?;
        for text in rows {
            let row: Row = super::parse_json("stored fact", &text)?;
            let dims: Vec<&str> =
                table.dimensions.iter().map(|d| row.get(d).map(String::as_str).unwrap_or("")).collect();
            let measures: Vec<Option<f64>> =
                table.measures.iter().map(|m| row.get(m).and_then(|v| v.parse().ok())).collect();
            writer.write(&dims, &measures)?;
        }
    }
    w.conn().execute_batch("DROP TABLE facts")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FactQuery, Store};

    #[test]
    fn the_migrations_are_well_formed() {
        migrations().validate().unwrap();
    }

    /// A data directory as version 1 left it: no `user_version`, facts as
    /// JSON rows, an import job's rows (one rejected) in `import_rows`.
    fn version_1_directory() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("emulator.sqlite3")).unwrap();
        conn.execute_batch(V1).unwrap();
        let tenant = serde_json::json!({"letter": "G", "models": [
            {"id": "SALES", "dimensions": [{"name": "Version"}, {"name": "Part"}], "measures": ["Amount"]}
        ]});
        conn.execute("INSERT INTO meta (key, value) VALUES ('tenant', ?1)", [tenant.to_string()]).unwrap();
        conn.execute_batch(
            r#"INSERT INTO facts VALUES ('SALES', 'public.Actual|P2', '{"Version":"public.Actual","Part":"P2","Amount":"2.5"}');
               INSERT INTO facts VALUES ('SALES', 'public.Actual|P1', '{"Version":"public.Actual","Part":"P1"}');
               INSERT INTO import_jobs (job_id, seq, model, import_type, owner, status, settings, updated)
                   VALUES ('J1', 1, 'SALES', 'factData', 'sacctl-api', 'READY_FOR_WRITE', '{}', '2026-01-01');
               INSERT INTO import_rows VALUES ('J1', 0, '{"Part":"P1"}', NULL);
               INSERT INTO import_rows VALUES ('J1', 1, '{"Part":"XX"}', 'unknown member XX');"#,
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_version_1_directory_is_migrated() {
        let dir = version_1_directory();
        let store = Store::open(Some(dir.path())).unwrap();
        let table = FactTable {
            model: "SALES".into(),
            dimensions: vec!["Version".into(), "Part".into()],
            measures: vec!["Amount".into()],
        };
        let all = FactQuery { limit: 10, ..Default::default() };
        let facts = store.read(|r| r.facts(&table, &all)).unwrap();
        let facts: Vec<_> = facts.iter().map(|f| (f.dimensions[1].as_str(), f.measures[0])).collect();
        assert_eq!(facts, [("P1", None), ("P2", Some(2.5))]);
        let chunk = store.read(|r| r.chunk("J1", 0)).unwrap().expect("the rows became a chunk");
        assert_eq!((chunk.first_row, chunk.rows, chunk.content_type.as_str()), (0, 2, "application/json"));
        let body: serde_json::Value = serde_json::from_slice(&chunk.body).unwrap();
        assert_eq!(body, serde_json::json!({"Data": [{"Part": "P1"}, {"Part": "XX"}]}));
        let rejected = store.read(|r| r.rejected_import_rows("J1", 10)).unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].1, "unknown member XX");
        let version: usize =
            store.read(|r| Ok(r.conn().pragma_query_value(None, "user_version", |v| v.get(0))?)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        store.release_lock();
        drop(store);
        drop(Store::open(Some(dir.path())).expect("a migrated directory opens again"));
    }

    #[test]
    fn a_directory_of_a_newer_emulator_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(Some(dir.path())).unwrap());
        let conn = Connection::open(dir.path().join("emulator.sqlite3")).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        drop(conn);
        let refused = Store::open(Some(dir.path())).err().expect("refused").to_string();
        assert!(
            refused.contains("newer emulator") && refused.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
            "{refused}"
        );
    }
}
