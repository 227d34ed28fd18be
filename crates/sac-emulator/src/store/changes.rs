//! Change tracking for the Data Export API's delta subscriptions: a log of
//! every change of a model's facts, numbered in commit order, and the
//! subscriptions that read it.
//!
//! As for Data Audit ([`super::audit`]), the log rows are written by SQLite
//! triggers on the model's fact table, so every writer (Data Import jobs,
//! version copies of multi actions, deletions of CleanAndReplace, anything
//! added later) is covered and each change lands in the same transaction as
//! the fact it describes: a crash keeps both or neither. The log of a model
//! (table `changes:<model>`) and its triggers exist while the model has a
//! subscription; they are created with the first and dropped with the last.
//!
//! A subscription covers the changes after its start point and up to its
//! end point (`seq` numbers of the log). It is open (no end) until it is
//! read the first time; that read closes it at the log's newest change and
//! opens its successor there, in one transaction, so that no change falls
//! between two subscriptions of a chain nor lands in both.

use rusqlite::{params, OptionalExtension, Row};

use super::fact_log::{self, new_column, old_column};
use super::facts::FactTable;
use super::sql::quote;
use super::{Reader, StoreResult, Writer};

/// The subscriptions (all providers). `start_seq`/`end_seq` bound the log
/// range a subscription covers (`end_seq` NULL while open); `initial`
/// marks the first of a chain, whose read is the full load; `next_id`
/// names the successor opened when it was read.
pub(super) const SCHEMA: &str = "
CREATE TABLE subscriptions (
    subscription_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, namespace TEXT NOT NULL,
    provider TEXT NOT NULL, entity_set TEXT NOT NULL, external_id TEXT, chain_id TEXT NOT NULL,
    previous_id TEXT, filter TEXT, selection TEXT, description TEXT, start_time TEXT NOT NULL,
    end_time TEXT, last_accessed TEXT NOT NULL, created_by TEXT NOT NULL,
    start_seq INTEGER NOT NULL, end_seq INTEGER, initial INTEGER NOT NULL, next_id TEXT);
CREATE INDEX subscriptions_by_provider ON subscriptions (provider, seq);
CREATE INDEX subscriptions_by_chain ON subscriptions (chain_id, seq);
";

/// One subscription, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub subscription_id: String,
    pub namespace: String,
    pub provider: String,
    pub entity_set: String,
    pub external_id: Option<String>,
    pub chain_id: String,
    pub previous_id: Option<String>,
    pub filter: Option<String>,
    pub selection: Option<String>,
    pub description: Option<String>,
    pub start_time: String,
    pub end_time: Option<String>,
    pub last_accessed: String,
    pub created_by: String,
    pub start_seq: i64,
    pub end_seq: Option<i64>,
    pub initial: bool,
    pub next_id: Option<String>,
}

/// The net change of one fact over a range of the log: its measures at
/// the start (`None`: it did not exist) and at the end (`None`: deleted).
#[derive(Clone, Debug, PartialEq)]
pub struct NetChange {
    pub dimensions: Vec<String>,
    pub old: Option<Vec<Option<f64>>>,
    pub new: Option<Vec<Option<f64>>>,
}

fn log_name(model: &str) -> String {
    format!("changes:{model}")
}

/// The kind of the change log's triggers (`fact_log`).
const KIND: &str = "changes";

/// The change logs of every model with a fact table (to drop them all).
pub(super) fn tables(r: &Reader<'_>) -> StoreResult<Vec<String>> {
    let mut stmt = r.conn().prepare_cached("SELECT model FROM facts_tables")?;
    let models = stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(models.iter().map(|m| log_name(m)).collect())
}

const COLUMNS: &str = "subscription_id, namespace, provider, entity_set, external_id, chain_id, previous_id, \
     filter, selection, description, start_time, end_time, last_accessed, created_by, start_seq, end_seq, initial, next_id";

fn record(r: &Row<'_>) -> rusqlite::Result<SubscriptionRecord> {
    Ok(SubscriptionRecord {
        subscription_id: r.get(0)?,
        namespace: r.get(1)?,
        provider: r.get(2)?,
        entity_set: r.get(3)?,
        external_id: r.get(4)?,
        chain_id: r.get(5)?,
        previous_id: r.get(6)?,
        filter: r.get(7)?,
        selection: r.get(8)?,
        description: r.get(9)?,
        start_time: r.get(10)?,
        end_time: r.get(11)?,
        last_accessed: r.get(12)?,
        created_by: r.get(13)?,
        start_seq: r.get(14)?,
        end_seq: r.get(15)?,
        initial: r.get(16)?,
        next_id: r.get(17)?,
    })
}

impl Reader<'_> {
    fn has_change_log(&self, model: &str) -> StoreResult<bool> {
        let mut stmt = self.conn().prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
        Ok(stmt.query_row([log_name(model)], |_| Ok(())).optional()?.is_some())
    }

    /// The number of the newest change of a model's log (0 when it has none).
    pub fn change_point(&self, table: &FactTable) -> StoreResult<i64> {
        if !self.has_change_log(&table.model)? {
            return Ok(0);
        }
        // The log's AUTOINCREMENT counter: the newest number even once older rows are pruned.
        let mut stmt = self.conn().prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = ?1")?;
        Ok(stmt.query_row([log_name(&table.model)], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// How many changes a model's log holds (for tests and the bench).
    pub fn change_count(&self, table: &FactTable) -> StoreResult<i64> {
        if !self.has_change_log(&table.model)? {
            return Ok(0);
        }
        let sql = format!("SELECT COUNT(*) FROM {}", quote(&log_name(&table.model)));
        Ok(self.conn().prepare_cached(&sql)?.query_row([], |r| r.get(0))?)
    }

    /// The net change of every fact changed in the log range
    /// `(after, upto]`, in commit order of each fact's last change: its
    /// state before the range's first change of it and after the last. Facts that are back where they
    /// started (created and deleted again, or set back to their values)
    /// are left out.
    pub fn net_changes(&self, table: &FactTable, after: i64, upto: i64) -> StoreResult<Vec<NetChange>> {
        if !self.has_change_log(&table.model)? || upto <= after {
            return Ok(vec![]);
        }
        let log = quote(&log_name(&table.model));
        let keys: Vec<String> = table.dimensions.iter().map(|d| quote(d)).collect();
        let key_list = keys.join(", ");
        let mut columns: Vec<String> = keys.iter().map(|k| format!("f.{k}")).collect();
        columns.extend(["o.old_exists".to_string(), "n.new_exists".to_string()]);
        columns.extend(table.measures.iter().map(|m| format!("o.{}", old_column(m))));
        columns.extend(table.measures.iter().map(|m| format!("n.{}", new_column(m))));
        let sql = format!(
            "WITH f AS (SELECT {key_list}, MIN(seq) AS first, MAX(seq) AS last FROM {log} \
                        WHERE seq > ?1 AND seq <= ?2 GROUP BY {key_list}) \
             SELECT {} FROM f JOIN {log} o ON o.seq = f.first JOIN {log} n ON n.seq = f.last \
             ORDER BY f.last",
            columns.join(", "),
        );
        let (dims, measures) = (table.dimensions.len(), table.measures.len());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![after, upto], |r| {
            let dimensions: Vec<String> = (0..dims).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            let old_exists: bool = r.get(dims)?;
            let new_exists: bool = r.get(dims + 1)?;
            let old: Vec<Option<f64>> = (0..measures).map(|i| r.get(dims + 2 + i)).collect::<Result<_, _>>()?;
            let new: Vec<Option<f64>> =
                (0..measures).map(|i| r.get(dims + 2 + measures + i)).collect::<Result<_, _>>()?;
            Ok(NetChange { dimensions, old: old_exists.then_some(old), new: new_exists.then_some(new) })
        })?;
        let mut changes = Vec::new();
        for change in rows {
            let change = change?;
            if change.old != change.new {
                changes.push(change);
            }
        }
        Ok(changes)
    }

    /// Every fact changed after log number `after`, with its measures as
    /// they were at that point (`None`: it did not exist then), in key
    /// order: what turns the facts of now back into the facts of then.
    #[allow(clippy::type_complexity)]
    pub fn changed_since(
        &self,
        table: &FactTable,
        after: i64,
    ) -> StoreResult<Vec<(Vec<String>, Option<Vec<Option<f64>>>)>> {
        if !self.has_change_log(&table.model)? {
            return Ok(vec![]);
        }
        let log = quote(&log_name(&table.model));
        let keys: Vec<String> = table.dimensions.iter().map(|d| quote(d)).collect();
        let key_list = keys.join(", ");
        let mut columns: Vec<String> = keys.iter().map(|k| format!("f.{k}")).collect();
        columns.push("o.old_exists".to_string());
        columns.extend(table.measures.iter().map(|m| format!("o.{}", old_column(m))));
        let sql = format!(
            "WITH f AS (SELECT {key_list}, MIN(seq) AS first FROM {log} WHERE seq > ?1 GROUP BY {key_list}) \
             SELECT {} FROM f JOIN {log} o ON o.seq = f.first ORDER BY {}",
            columns.join(", "),
            keys.iter().map(|k| format!("f.{k}")).collect::<Vec<_>>().join(", "),
        );
        let (dims, measures) = (table.dimensions.len(), table.measures.len());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map([after], |r| {
                let key: Vec<String> = (0..dims).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                let existed: bool = r.get(dims)?;
                let old: Vec<Option<f64>> = (0..measures).map(|i| r.get(dims + 1 + i)).collect::<Result<_, _>>()?;
                Ok((key, existed.then_some(old)))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn subscription(&self, id: &str) -> StoreResult<Option<SubscriptionRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM subscriptions WHERE subscription_id = ?1");
        Ok(self.conn().prepare_cached(&sql)?.query_row([id], record).optional()?)
    }

    /// Every subscription, or those of one provider, oldest first.
    pub fn subscriptions(&self, provider: Option<&str>) -> StoreResult<Vec<SubscriptionRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM subscriptions WHERE ?1 IS NULL OR provider = ?1 ORDER BY seq");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map([provider], record)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn subscription_count(&self) -> StoreResult<i64> {
        Ok(self.conn().prepare_cached("SELECT COUNT(*) FROM subscriptions")?.query_row([], |r| r.get(0))?)
    }

    /// The subscription of the chain that `external_id` names which has
    /// not been read yet (the chain's last).
    pub fn open_subscription_of(&self, provider: &str, external_id: &str) -> StoreResult<Option<SubscriptionRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE provider = ?1 AND external_id = ?2 AND end_seq IS NULL \
             ORDER BY seq DESC LIMIT 1"
        );
        Ok(self.conn().prepare_cached(&sql)?.query_row([provider, external_id], record).optional()?)
    }

    /// Whether a chain other than `chain_id` uses `external_id`.
    pub fn external_id_taken(&self, external_id: &str) -> StoreResult<bool> {
        let mut stmt = self.conn().prepare_cached("SELECT 1 FROM subscriptions WHERE external_id = ?1 LIMIT 1")?;
        Ok(stmt.query_row([external_id], |_| Ok(())).optional()?.is_some())
    }
}

impl Writer<'_> {
    /// Starts logging the changes of a model's facts (its log and the
    /// triggers that fill it), unless it does already.
    fn track_changes(&self, table: &FactTable) -> StoreResult<()> {
        if self.has_change_log(&table.model)? {
            return Ok(());
        }
        let log = quote(&log_name(&table.model));
        let mut columns = vec![
            "seq INTEGER PRIMARY KEY AUTOINCREMENT".to_string(),
            "old_exists INTEGER NOT NULL".to_string(),
            "new_exists INTEGER NOT NULL".to_string(),
        ];
        columns.extend(fact_log::fact_columns(table));
        self.conn().execute_batch(&format!("CREATE TABLE {log} ({})", columns.join(", ")))?;

        let mut targets = vec!["old_exists".to_string(), "new_exists".to_string()];
        targets.extend(fact_log::fact_targets(table));
        let insert = |key_side: &str, old_side: Option<&str>, new_side: Option<&str>| {
            let mut v = vec![i32::from(old_side.is_some()).to_string(), i32::from(new_side.is_some()).to_string()];
            v.extend(fact_log::fact_values(table, key_side, old_side, new_side));
            format!("INSERT INTO {log} ({}) VALUES ({});", targets.join(", "), v.join(", "))
        };
        fact_log::create_triggers(self.conn(), KIND, table, None, insert)?;
        Ok(())
    }

    /// Stops logging a model's changes and drops its log.
    fn untrack_changes(&self, model: &str) -> StoreResult<()> {
        fact_log::drop_triggers(self.conn(), KIND, model)?;
        self.conn().execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(&log_name(model))))?;
        Ok(())
    }

    /// Stores a new subscription on `table`'s model, starting at the log's
    /// newest change (tracking changes from now on if nothing did); the
    /// record as stored.
    pub fn insert_subscription(
        &self,
        table: &FactTable,
        mut sub: SubscriptionRecord,
    ) -> StoreResult<SubscriptionRecord> {
        self.track_changes(table)?;
        sub.start_seq = self.change_point(table)?;
        let seq: i64 = self
            .conn()
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM subscriptions")?
            .query_row([], |r| r.get(0))?;
        let sql = format!(
            "INSERT INTO subscriptions (seq, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
             ?14, ?15, ?16, ?17, ?18, ?19)"
        );
        self.conn().prepare_cached(&sql)?.execute(params![
            seq,
            sub.subscription_id,
            sub.namespace,
            sub.provider,
            sub.entity_set,
            sub.external_id,
            sub.chain_id,
            sub.previous_id,
            sub.filter,
            sub.selection,
            sub.description,
            sub.start_time,
            sub.end_time,
            sub.last_accessed,
            sub.created_by,
            sub.start_seq,
            sub.end_seq,
            sub.initial,
            sub.next_id,
        ])?;
        Ok(sub)
    }

    /// Reads subscription `id` as of `now`: the first read closes it at the
    /// log's newest change and opens its successor (`successor_id`) there;
    /// later reads find it closed and change nothing. The subscription as
    /// it now is, or `None` when it does not exist.
    pub fn read_subscription(
        &self,
        table: &FactTable,
        id: &str,
        successor_id: &str,
        now: &str,
    ) -> StoreResult<Option<SubscriptionRecord>> {
        let Some(mut sub) = self.subscription(id)? else { return Ok(None) };
        sub.last_accessed = now.to_string();
        if sub.end_seq.is_none() {
            let point = self.change_point(table)?;
            let successor = SubscriptionRecord {
                subscription_id: successor_id.to_string(),
                previous_id: Some(sub.subscription_id.clone()),
                start_time: now.to_string(),
                end_time: None,
                last_accessed: now.to_string(),
                end_seq: None,
                initial: false,
                next_id: None,
                ..sub.clone()
            };
            self.insert_subscription(table, successor)?;
            sub.end_seq = Some(point);
            sub.end_time = Some(now.to_string());
            sub.next_id = Some(successor_id.to_string());
        }
        self.conn()
            .prepare_cached(
                "UPDATE subscriptions SET end_seq = ?2, end_time = ?3, last_accessed = ?4, next_id = ?5 \
                 WHERE subscription_id = ?1",
            )?
            .execute(params![sub.subscription_id, sub.end_seq, sub.end_time, sub.last_accessed, sub.next_id])?;
        Ok(Some(sub))
    }

    /// Deletes the subscriptions `ids`; a model left without any stops
    /// logging its changes, and the others' logs lose the changes no
    /// remaining subscription covers. How many were deleted.
    pub fn delete_subscriptions(&self, ids: &[String]) -> StoreResult<usize> {
        let mut providers = std::collections::BTreeSet::new();
        let mut deleted = 0;
        for id in ids {
            if let Some(sub) = self.subscription(id)? {
                providers.insert(sub.provider);
                deleted += self
                    .conn()
                    .prepare_cached("DELETE FROM subscriptions WHERE subscription_id = ?1")?
                    .execute([id])?;
            }
        }
        for provider in providers {
            let oldest: Option<i64> = self
                .conn()
                .prepare_cached("SELECT MIN(start_seq) FROM subscriptions WHERE provider = ?1")?
                .query_row([&provider], |r| r.get(0))?;
            match oldest {
                None => self.untrack_changes(&provider)?,
                Some(start) if self.has_change_log(&provider)? => {
                    let sql = format!("DELETE FROM {} WHERE seq <= ?1", quote(&log_name(&provider)));
                    self.conn().prepare_cached(&sql)?.execute([start])?;
                }
                Some(_) => {}
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::facts::{write_rows, WriteMode};
    use crate::store::Store;

    fn table() -> FactTable {
        FactTable {
            model: "M'x".into(),
            dimensions: vec!["Version".into(), "Date".into()],
            measures: vec!["Amount".into()],
        }
    }

    fn subscription(id: &str) -> SubscriptionRecord {
        SubscriptionRecord {
            subscription_id: id.into(),
            namespace: "sac".into(),
            provider: "M'x".into(),
            entity_set: "FactData".into(),
            external_id: None,
            chain_id: "chain".into(),
            previous_id: None,
            filter: None,
            selection: None,
            description: None,
            start_time: "t0".into(),
            end_time: None,
            last_accessed: "t0".into(),
            created_by: "JDOE".into(),
            start_seq: 0,
            end_seq: None,
            initial: true,
            next_id: None,
        }
    }

    fn upsert(store: &Store, mode: WriteMode, rows: &[(&str, &str, Option<f64>)]) {
        store.write(|w| write_rows(w, &table(), mode, rows)).unwrap();
    }

    #[test]
    fn a_chain_sees_each_change_once_netted_per_fact() {
        let store = Store::open(None).unwrap();
        let t = table();
        store.write(|w| w.create_fact_table(&t)).unwrap();
        upsert(&store, WriteMode::Update, &[("A", "1", Some(1.0)), ("A", "2", Some(2.0))]);
        assert_eq!(store.read(|r| r.change_count(&t)).unwrap(), 0, "nothing is logged before a subscription");
        store.write(|w| w.insert_subscription(&t, subscription("S1"))).unwrap();
        // The first read of the head closes it: the full load is its answer.
        let s1 = store.write(|w| w.read_subscription(&t, "S1", "S2", "t1")).unwrap().unwrap();
        assert_eq!((s1.end_seq, s1.next_id.as_deref()), (Some(0), Some("S2")));
        upsert(&store, WriteMode::Update, &[("A", "1", Some(5.0)), ("A", "3", Some(3.0))]);
        upsert(&store, WriteMode::Append, &[("A", "1", Some(1.0))]);
        upsert(&store, WriteMode::Update, &[("A", "3", None)]); // no change: not logged
        store.write(|w| w.delete_facts(&t, &[("Date".into(), "2".into())])).unwrap();
        let s2 = store.write(|w| w.read_subscription(&t, "S2", "S3", "t2")).unwrap().unwrap();
        let range = (s2.start_seq, s2.end_seq.unwrap());
        let changes = store.read(|r| r.net_changes(&t, range.0, range.1)).unwrap();
        assert_eq!(
            changes,
            // In commit order of each fact's last change: A|3 (seq 2), A|1 (seq 3), A|2 (seq 4).
            [
                NetChange { dimensions: vec!["A".into(), "3".into()], old: None, new: Some(vec![Some(3.0)]) },
                NetChange {
                    dimensions: vec!["A".into(), "1".into()],
                    old: Some(vec![Some(1.0)]),
                    new: Some(vec![Some(6.0)])
                },
                NetChange { dimensions: vec!["A".into(), "2".into()], old: Some(vec![Some(2.0)]), new: None },
            ]
        );
        // The facts as they were at S2's start, from now: A|1 was 1, A|2 was 2, A|3 did not exist.
        let back = store.read(|r| r.changed_since(&t, range.0)).unwrap();
        let back: Vec<(String, Option<Vec<Option<f64>>>)> = back.into_iter().map(|(k, m)| (k.join("|"), m)).collect();
        assert_eq!(
            back,
            [("A|1".into(), Some(vec![Some(1.0)])), ("A|2".into(), Some(vec![Some(2.0)])), ("A|3".into(), None)]
        );
        // Reading S2 again gives the same range and the same successor.
        upsert(&store, WriteMode::Update, &[("B", "1", Some(1.0))]);
        let again = store.write(|w| w.read_subscription(&t, "S2", "S9", "t3")).unwrap().unwrap();
        assert_eq!((again.start_seq, again.end_seq, again.next_id.as_deref()), (range.0, Some(range.1), Some("S3")));
        assert!(store.read(|r| r.subscription("S9")).unwrap().is_none());
        // The later write is S3's.
        let s3 = store.write(|w| w.read_subscription(&t, "S3", "S4", "t4")).unwrap().unwrap();
        let later = store.read(|r| r.net_changes(&t, s3.start_seq, s3.end_seq.unwrap())).unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].dimensions, ["B", "1"]);
        // Created and deleted within one range: nothing.
        upsert(&store, WriteMode::Update, &[("C", "1", Some(1.0))]);
        store.write(|w| w.delete_facts(&t, &[("Version".into(), "C".into())])).unwrap();
        let s4 = store.write(|w| w.read_subscription(&t, "S4", "S5", "t5")).unwrap().unwrap();
        assert!(store.read(|r| r.net_changes(&t, s4.start_seq, s4.end_seq.unwrap())).unwrap().is_empty());
        // Deleting every subscription drops the log.
        let ids: Vec<String> = ["S1", "S2", "S3", "S4", "S5"].map(String::from).to_vec();
        assert_eq!(store.write(|w| w.delete_subscriptions(&ids)).unwrap(), 5);
        assert_eq!(store.read(|r| r.change_count(&t)).unwrap(), 0);
        upsert(&store, WriteMode::Update, &[("D", "1", Some(1.0))]);
        assert_eq!(store.read(|r| r.change_count(&t)).unwrap(), 0);
    }

    #[test]
    fn a_failed_write_logs_nothing() {
        let store = Store::open(None).unwrap();
        let t = table();
        store.write(|w| w.create_fact_table(&t)).unwrap();
        store.write(|w| w.insert_subscription(&t, subscription("S1"))).unwrap();
        let result: StoreResult<()> = store.write(|w| {
            w.fact_writer(&t, WriteMode::Update)?.write(&["A", "1"], &[Some(1.0)])?;
            Err(crate::store::StoreError::Conflict("stop".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.read(|r| r.change_count(&t)).unwrap(), 0);
        assert_eq!(store.read(|r| r.change_point(&t)).unwrap(), 0);
    }
}
