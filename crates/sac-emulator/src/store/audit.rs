//! Data Audit: every change of an audited model's facts, with who made it,
//! when, and each measure before and after (what `AuditData` shows).
//!
//! The rows are written by SQLite triggers on the model's fact table, so
//! they land in the same transaction as the change they describe: a crash
//! keeps both or neither, and a write that is redone after a restart is
//! logged once. The triggers fire only inside [`Writer::with_audit`], which
//! names the user and time for the changes it makes; writes outside it
//! (the seed facts) are not logged, as SAC logs from the moment auditing
//! is switched on.

use rusqlite::{params, OptionalExtension};

use super::fact_log::{self, new_column, old_column};
use super::facts::FactTable;
use super::sql::quote;
use super::{Reader, StoreResult, Writer};

/// Who changed facts when: one row per [`Writer::with_audit`]; the logged
/// rows of each audited model (table `audit:<model>`, typed like its fact
/// table: the key, then every measure before and after) name their batch.
/// `audit_context` holds the batch of the write under way, inside its
/// transaction only.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_batches (
    batch INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_context (batch INTEGER NOT NULL);
";

/// One logged change of one fact: its key, and every measure before
/// (`None`: the fact did not exist or had no value) and after (`None`:
/// deleted or no value).
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    pub time: String,
    pub user: String,
    pub dimensions: Vec<String>,
    pub old: Vec<Option<f64>>,
    pub new: Vec<Option<f64>>,
}

fn table_name(model: &str) -> String {
    format!("audit:{model}")
}

/// The kind of the audit log's triggers (`fact_log`).
const KIND: &str = "audit";

/// The audit tables of every model with a fact table (to drop them all).
pub(super) fn tables(r: &Reader<'_>) -> StoreResult<Vec<String>> {
    let mut stmt = r.conn().prepare_cached("SELECT model FROM facts_tables")?;
    let models = stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(models.iter().map(|m| table_name(m)).collect())
}

impl Writer<'_> {
    /// Switches the Data Audit of a model's facts on (creates its log and
    /// the triggers that fill it) or off (drops both: SAC removes the audit
    /// data when auditing is switched off).
    pub fn set_audit(&self, table: &FactTable, on: bool) -> StoreResult<()> {
        fact_log::drop_triggers(self.conn(), KIND, &table.model)?;
        let log = quote(&table_name(&table.model));
        if !on {
            self.conn().execute_batch(&format!("DROP TABLE IF EXISTS {log}"))?;
            return Ok(());
        }
        let mut columns = vec!["seq INTEGER PRIMARY KEY".to_string(), "batch INTEGER NOT NULL".to_string()];
        columns.extend(fact_log::fact_columns(table));
        self.conn().execute_batch(&format!("CREATE TABLE IF NOT EXISTS {log} ({})", columns.join(", ")))?;

        let mut targets = vec!["batch".to_string()];
        targets.extend(fact_log::fact_targets(table));
        let values = |key_side: &str, old_side: Option<&str>, new_side: Option<&str>| {
            let mut v = vec!["batch".to_string()];
            v.extend(fact_log::fact_values(table, key_side, old_side, new_side));
            format!("INSERT INTO {log} ({}) SELECT {} FROM audit_context;", targets.join(", "), v.join(", "))
        };
        let in_context = "EXISTS (SELECT 1 FROM audit_context)";
        fact_log::create_triggers(self.conn(), KIND, table, Some(in_context), values)?;
        Ok(())
    }

    /// Runs `f` with Data Audit logging its fact changes as made by `user`
    /// at `time` (UTC, RFC 3339 with milliseconds).
    pub fn with_audit<T>(&self, user: &str, time: &str, f: impl FnOnce(&Self) -> StoreResult<T>) -> StoreResult<T> {
        self.conn()
            .prepare_cached("INSERT INTO audit_batches (user, time) VALUES (?1, ?2)")?
            .execute(params![user, time])?;
        let batch = self.conn().last_insert_rowid();
        self.conn().prepare_cached("DELETE FROM audit_context")?.execute([])?;
        self.conn().prepare_cached("INSERT INTO audit_context (batch) VALUES (?1)")?.execute([batch])?;
        let value = f(self);
        self.conn().prepare_cached("DELETE FROM audit_context")?.execute([])?;
        value
    }
}

impl Reader<'_> {
    fn has_audit_table(&self, table: &FactTable) -> StoreResult<bool> {
        let mut stmt = self.conn().prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
        Ok(stmt.query_row([table_name(&table.model)], |_| Ok(())).optional()?.is_some())
    }

    /// A model's logged changes, oldest first, one page (none when its
    /// auditing is off).
    pub fn audit_records(&self, table: &FactTable, offset: i64, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        if !self.has_audit_table(table)? {
            return Ok(vec![]);
        }
        let mut columns = vec!["b.time".to_string(), "b.user".to_string()];
        columns.extend(table.dimensions.iter().map(|d| format!("a.{}", quote(d))));
        columns.extend(table.measures.iter().map(|m| format!("a.{}", old_column(m))));
        columns.extend(table.measures.iter().map(|m| format!("a.{}", new_column(m))));
        let sql = format!(
            "SELECT {} FROM {} a JOIN audit_batches b ON b.batch = a.batch ORDER BY a.seq LIMIT ?1 OFFSET ?2",
            columns.join(", "),
            quote(&table_name(&table.model))
        );
        let (dims, measures) = (table.dimensions.len(), table.measures.len());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let records = stmt
            .query_map(params![limit.max(0), offset.max(0)], |r| {
                Ok(AuditRecord {
                    time: r.get(0)?,
                    user: r.get(1)?,
                    dimensions: (0..dims).map(|i| r.get(2 + i)).collect::<Result<_, _>>()?,
                    old: (0..measures).map(|i| r.get(2 + dims + i)).collect::<Result<_, _>>()?,
                    new: (0..measures).map(|i| r.get(2 + dims + measures + i)).collect::<Result<_, _>>()?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    pub fn audit_count(&self, table: &FactTable) -> StoreResult<i64> {
        if !self.has_audit_table(table)? {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&table_name(&table.model)));
        Ok(self.conn().prepare_cached(&sql)?.query_row([], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::facts::WriteMode;
    use crate::store::Store;

    fn table() -> FactTable {
        FactTable {
            model: "M'x".into(),
            dimensions: vec!["Version".into(), "Date".into()],
            measures: vec!["Amount".into(), "Qty".into()],
        }
    }

    #[test]
    fn changes_inside_with_audit_are_logged_with_before_and_after() {
        let store = Store::open(None).unwrap();
        let t = table();
        store
            .write(|w| {
                w.create_fact_table(&t)?;
                w.set_audit(&t, true)?;
                // Outside with_audit (seed): not logged.
                w.fact_writer(&t, WriteMode::Update)?.write(&["A", "1"], &[Some(1.0), Some(2.0)])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.read(|r| r.audit_count(&t)).unwrap(), 0);
        store
            .write(|w| {
                w.with_audit("JDOE", "2026-11-28T00:00:00.000Z", |w| {
                    let mut writer = w.fact_writer(&t, WriteMode::Update)?;
                    writer.write(&["A", "1"], &[Some(5.0), None])?; // update Amount only
                    writer.write(&["A", "1"], &[Some(5.0), None])?; // no change: not logged
                    writer.write(&["A", "2"], &[Some(3.0), None])?; // insert
                    drop(writer);
                    w.delete_facts(&t, &[("Date".into(), "2".into())])?; // delete
                    Ok(())
                })
            })
            .unwrap();
        let records = store.read(|r| r.audit_records(&t, 0, 10)).unwrap();
        assert_eq!(records.len(), 3, "{records:?}");
        assert_eq!(records[0].user, "JDOE");
        assert_eq!(records[0].dimensions, ["A", "1"]);
        assert_eq!(
            (records[0].old.clone(), records[0].new.clone()),
            (vec![Some(1.0), Some(2.0)], vec![Some(5.0), Some(2.0)])
        );
        assert_eq!((records[1].old.clone(), records[1].new.clone()), (vec![None, None], vec![Some(3.0), None]));
        assert_eq!((records[2].old.clone(), records[2].new.clone()), (vec![Some(3.0), None], vec![None, None]));
        // The context ends with with_audit: later writes are not logged.
        store.write(|w| w.fact_writer(&t, WriteMode::Update)?.write(&["P", "1"], &[Some(1.0), None])).unwrap();
        assert_eq!(store.read(|r| r.audit_count(&t)).unwrap(), 3);
        // Switching auditing off drops the log.
        store.write(|w| w.set_audit(&t, false)).unwrap();
        assert_eq!(store.read(|r| r.audit_count(&t)).unwrap(), 0);
    }

    #[test]
    fn a_failed_write_logs_nothing() {
        let store = Store::open(None).unwrap();
        let t = table();
        store.write(|w| w.create_fact_table(&t).and_then(|_| w.set_audit(&t, true))).unwrap();
        let result: StoreResult<()> = store.write(|w| {
            w.with_audit("JDOE", "t", |w| {
                w.fact_writer(&t, WriteMode::Update)?.write(&["A", "1"], &[Some(1.0), None])?;
                Err(crate::store::StoreError::Conflict("stop".into()))
            })
        });
        assert!(result.is_err());
        assert_eq!(store.read(|r| r.audit_count(&t)).unwrap(), 0);
    }
}
