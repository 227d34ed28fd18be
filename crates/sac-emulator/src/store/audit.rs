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

use rusqlite::params;

use super::facts::{quote, FactTable};
use super::{parse_json, Reader, StoreResult, Writer};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, time TEXT NOT NULL, user TEXT NOT NULL,
    dimensions TEXT NOT NULL, old TEXT NOT NULL, new TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_rows_by_model ON audit_rows (model, seq);
CREATE TABLE IF NOT EXISTS audit_context (user TEXT NOT NULL, time TEXT NOT NULL);
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

/// `'text'` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn trigger_names(model: &str) -> [String; 3] {
    ["insert", "update", "delete"].map(|what| quote(&format!("audit_{what}:{model}")))
}

impl Writer<'_> {
    /// Switches the Data Audit of a model's facts on (creates the triggers)
    /// or off (drops them and forgets the model's log, as SAC does).
    pub fn set_audit(&self, table: &FactTable, on: bool) -> StoreResult<()> {
        let [insert, update, delete] = trigger_names(&table.model);
        for name in [&insert, &update, &delete] {
            self.conn().execute_batch(&format!("DROP TRIGGER IF EXISTS {name}"))?;
        }
        if !on {
            self.conn().prepare_cached("DELETE FROM audit_rows WHERE model = ?1")?.execute([&table.model])?;
            return Ok(());
        }
        let facts = quote(&format!("facts:{}", table.model));
        let model = literal(&table.model);
        let row = |side: &str, columns: &[String]| -> String {
            let cells: Vec<String> = columns.iter().map(|c| format!("{side}.{}", quote(c))).collect();
            format!("json_array({})", cells.join(", "))
        };
        let nulls = format!("json_array({})", vec!["NULL"; table.measures.len()].join(", "));
        let log = |dims: String, old: &str, new: &str| {
            format!(
                "INSERT INTO audit_rows (model, time, user, dimensions, old, new) \
                 SELECT {model}, time, user, {dims}, {old}, {new} FROM audit_context;"
            )
        };
        let in_context = "EXISTS (SELECT 1 FROM audit_context)";
        let (new_dims, old_dims) = (row("NEW", &table.dimensions), row("OLD", &table.dimensions));
        let (new_measures, old_measures) = (row("NEW", &table.measures), row("OLD", &table.measures));
        self.conn().execute_batch(&format!(
            "CREATE TRIGGER {insert} AFTER INSERT ON {facts} WHEN {in_context} BEGIN {} END;
             CREATE TRIGGER {delete} AFTER DELETE ON {facts} WHEN {in_context} BEGIN {} END;",
            log(new_dims.clone(), &nulls, &new_measures),
            log(old_dims, &old_measures, &nulls),
        ))?;
        if !table.measures.is_empty() {
            let changed: Vec<String> =
                table.measures.iter().map(|m| format!("OLD.{c} IS NOT NEW.{c}", c = quote(m))).collect();
            self.conn().execute_batch(&format!(
                "CREATE TRIGGER {update} AFTER UPDATE ON {facts} WHEN {in_context} AND ({}) BEGIN {} END;",
                changed.join(" OR "),
                log(new_dims, &old_measures, &new_measures),
            ))?;
        }
        Ok(())
    }

    /// Runs `f` with Data Audit logging its fact changes as made by `user`
    /// at `time` (UTC, RFC 3339 with milliseconds).
    pub fn with_audit<T>(&self, user: &str, time: &str, f: impl FnOnce(&Self) -> StoreResult<T>) -> StoreResult<T> {
        self.conn().prepare_cached("DELETE FROM audit_context")?.execute([])?;
        self.conn()
            .prepare_cached("INSERT INTO audit_context (user, time) VALUES (?1, ?2)")?
            .execute(params![user, time])?;
        let value = f(self);
        self.conn().prepare_cached("DELETE FROM audit_context")?.execute([])?;
        value
    }
}

impl Reader<'_> {
    /// A model's logged changes, oldest first, one page.
    pub fn audit_records(&self, model: &str, offset: i64, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT time, user, dimensions, old, new FROM audit_rows WHERE model = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3",
        )?;
        let raw = stmt
            .query_map(params![model, limit.max(0), offset.max(0)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<Vec<(String, String, String, String, String)>, _>>()?;
        raw.into_iter()
            .map(|(time, user, dims, old, new)| {
                Ok(AuditRecord {
                    time,
                    user,
                    dimensions: parse_json("audit key", &dims)?,
                    old: parse_json("audit values", &old)?,
                    new: parse_json("audit values", &new)?,
                })
            })
            .collect()
    }

    pub fn audit_count(&self, model: &str) -> StoreResult<i64> {
        let mut stmt = self.conn().prepare_cached("SELECT COUNT(*) FROM audit_rows WHERE model = ?1")?;
        Ok(stmt.query_row([model], |r| r.get(0))?)
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
        assert_eq!(store.read(|r| r.audit_count("M'x")).unwrap(), 0);
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
        let records = store.read(|r| r.audit_records("M'x", 0, 10)).unwrap();
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
        assert_eq!(store.read(|r| r.audit_count("M'x")).unwrap(), 3);
        // Switching auditing off drops the log.
        store.write(|w| w.set_audit(&t, false)).unwrap();
        assert_eq!(store.read(|r| r.audit_count("M'x")).unwrap(), 0);
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
        assert_eq!(store.read(|r| r.audit_count("M'x")).unwrap(), 0);
    }
}
