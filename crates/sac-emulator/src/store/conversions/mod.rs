//! Currency conversion tables and the standard unit conversion tables
//! (`T006`, `T006A`, `T006D`, `T006T`): the rows the Data Export API reads
//! (`sac_currency_tables`, `sac_unit_conversion`; guide pages `859c3671`,
//! `03cfa63a`, `10ee4cf2`) and the Data Import API writes (`DeleteAndUpsert`,
//! `DropAndInsert`; pages `5b7149de`, `b3de11f1`, `d9dc1eb6`).
//!
//! Every table has a fixed list of [`Column`]s; a row is a JSON object of
//! those columns, kept in `conversion_rows` under its table and its key (the
//! key columns' values). Rows are checked and normalised by
//! [`ConversionTable::check_row`] before they are written, so what is stored
//! always has the table's shape: text where text is due, numbers where
//! numbers are, dates as `YYYY-MM-DD`.
//!
//! Writes run in the caller's [`Store::write`](super::Store::write)
//! transaction: a job's deletions and upserts ([`Writer::apply_conversion_change`])
//! land together or not at all.

use rusqlite::{params, OptionalExtension};
use serde_json::Value;

mod shapes;

pub use shapes::{Column, ColumnType, ConversionRow, ConversionTable, RowProblem, UnitTable};

use super::{Reader, StoreError, StoreResult, Writer};
use crate::tenant::units::standard_unit_tables;
use crate::tenant::{Row, Tenant};

/// The tables' layout (created by migration 3).
pub(super) const SCHEMA: &str = r#"
CREATE TABLE currency_tables (id TEXT PRIMARY KEY, description TEXT NOT NULL);
CREATE TABLE conversion_rows (
    tbl TEXT NOT NULL, key TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (tbl, key)) WITHOUT ROWID;
"#;

/// The state tables of this module (emptied by a wipe).
pub(super) const TABLES: [&str; 2] = ["currency_tables", "conversion_rows"];
/// A currency table as the tenant lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencyTableInfo {
    /// The id without the `t.X:` prefix, e.g. `CPL_CURRENCY_RATES`.
    pub id: String,
    pub description: String,
}

/// How a Data Import job writes a conversion table (page `5b7149de`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversionWrite {
    /// Deletes the rows named in `deleted` (by key), then upserts `rows`.
    DeleteAndUpsert,
    /// Drops every row of the table, then inserts `rows`.
    DropAndInsert,
}

/// One write of a conversion table: applied in one transaction.
#[derive(Clone, Debug)]
pub struct ConversionChange {
    pub mode: ConversionWrite,
    /// Rows to delete: their key columns count, others are ignored.
    pub deleted: Vec<ConversionRow>,
    /// Rows to upsert or insert.
    pub rows: Vec<ConversionRow>,
}

/// What a write did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConversionCounts {
    /// Rows removed (by `deleted`, or all rows a drop removed).
    pub deleted: usize,
    /// Rows inserted or updated.
    pub written: usize,
    /// Unit groups created in `T006D` for units of a group it lacked.
    pub groups_created: usize,
}

impl Reader<'_> {
    /// The tenant's currency tables, by id.
    pub fn currency_tables(&self) -> StoreResult<Vec<CurrencyTableInfo>> {
        let mut stmt = self.conn().prepare_cached("SELECT id, description FROM currency_tables ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok(CurrencyTableInfo { id: r.get(0)?, description: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn currency_table(&self, id: &str) -> StoreResult<Option<CurrencyTableInfo>> {
        let mut stmt = self.conn().prepare_cached("SELECT id, description FROM currency_tables WHERE id = ?1")?;
        Ok(stmt.query_row([id], |r| Ok(CurrencyTableInfo { id: r.get(0)?, description: r.get(1)? })).optional()?)
    }

    /// Every row of `table`, in key order, each with all its columns.
    pub fn conversion_rows(&self, table: &ConversionTable) -> StoreResult<Vec<ConversionRow>> {
        let mut stmt = self.conn().prepare_cached("SELECT row FROM conversion_rows WHERE tbl = ?1 ORDER BY key")?;
        let texts = stmt.query_map([table.stored_name()], |r| r.get::<_, String>(0))?;
        let mut rows = Vec::new();
        for text in texts {
            rows.push(super::parse_json("stored conversion row", &text?)?);
        }
        Ok(rows)
    }

    fn conversion_row(&self, table: &ConversionTable, key: &str) -> StoreResult<Option<ConversionRow>> {
        let mut stmt = self.conn().prepare_cached("SELECT row FROM conversion_rows WHERE tbl = ?1 AND key = ?2")?;
        let text: Option<String> = stmt.query_row(params![table.stored_name(), key], |r| r.get(0)).optional()?;
        text.map(|t| super::parse_json("stored conversion row", &t)).transpose()
    }
}

impl Writer<'_> {
    /// Writes the tenant's currency tables and SAP's standard unit tables
    /// (at reset, on an empty store).
    pub fn seed_conversions(&self, tenant: &Tenant) -> StoreResult<()> {
        for def in &tenant.currency_tables {
            self.create_currency_table(&def.id, &def.description)?;
            self.upsert_conversion_rows(&ConversionTable::Currency(def.id.clone()), &as_values(&def.rates))?;
        }
        self.seed_standard_units()
    }

    /// Writes SAP's standard unit tables (`T006`, `T006A`, `T006D`, `T006T`).
    pub(in crate::store) fn seed_standard_units(&self) -> StoreResult<()> {
        for (id, list) in standard_unit_tables() {
            let table = UnitTable::from_id(id).expect("the standard tables are known");
            self.upsert_conversion_rows(&ConversionTable::Unit(table), &as_values(&list))?;
        }
        Ok(())
    }

    /// Adds a currency table (or renames one that exists); its rows stay.
    pub fn create_currency_table(&self, id: &str, description: &str) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO currency_tables (id, description) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET description = excluded.description",
            )?
            .execute(params![id, description])?;
        Ok(())
    }

    /// Inserts `rows` or updates the columns they carry on rows of the
    /// same key (columns a row lacks keep their values; a new row gets
    /// their empty values). A `T006` unit of a group `T006D` lacks creates
    /// that group with the unit as its base unit, as SAC does (page
    /// `d9dc1eb6`, the `T006` sample).
    /// A row that does not fit the table is [`StoreError::Conflict`] and
    /// nothing of the transaction is kept; callers check rows first with
    /// [`ConversionTable::check_row`] to reject them one by one.
    pub fn upsert_conversion_rows(
        &self,
        table: &ConversionTable,
        rows: &[ConversionRow],
    ) -> StoreResult<ConversionCounts> {
        let mut counts = ConversionCounts::default();
        for (i, row) in rows.iter().enumerate() {
            let partial = table.check_row(row, false).map_err(|e| invalid(i, e))?;
            let key = table.key_of(&partial);
            let merged = match self.conversion_row(table, &key)? {
                Some(mut stored) => {
                    stored.extend(partial);
                    stored
                }
                None => {
                    let mut full = table.check_row(&partial, true).map_err(|e| invalid(i, e))?;
                    if table.columns().iter().any(|c| c.name == "MANDT") {
                        full.entry("MANDT".into()).and_modify(default_client);
                    }
                    full
                }
            };
            if *table == ConversionTable::Unit(UnitTable::T006) {
                counts.groups_created += self.ensure_unit_group(&merged)?;
            }
            self.put_conversion_row(table, &key, &merged)?;
            counts.written += 1;
        }
        Ok(counts)
    }

    /// Deletes the rows whose keys `rows` name; how many existed.
    pub fn delete_conversion_rows(&self, table: &ConversionTable, rows: &[ConversionRow]) -> StoreResult<usize> {
        let mut stmt = self.conn().prepare_cached("DELETE FROM conversion_rows WHERE tbl = ?1 AND key = ?2")?;
        let mut deleted = 0;
        for (i, row) in rows.iter().enumerate() {
            let keys: ConversionRow = row
                .iter()
                .filter(|(k, _)| table.columns().iter().any(|c| c.key && (c.name == *k || c.import_name == *k)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let keys = table.check_row(&keys, false).map_err(|e| invalid(i, e))?;
            deleted += stmt.execute(params![table.stored_name(), table.key_of(&keys)])?;
        }
        Ok(deleted)
    }

    /// Removes every row of `table`; how many there were.
    pub fn drop_conversion_rows(&self, table: &ConversionTable) -> StoreResult<usize> {
        let mut stmt = self.conn().prepare_cached("DELETE FROM conversion_rows WHERE tbl = ?1")?;
        Ok(stmt.execute([table.stored_name()])?)
    }

    /// One Data Import write: `DeleteAndUpsert` deletes `deleted` then
    /// upserts `rows`; `DropAndInsert` empties the table then inserts
    /// `rows`. All in the caller's transaction.
    pub fn apply_conversion_change(
        &self,
        table: &ConversionTable,
        change: &ConversionChange,
    ) -> StoreResult<ConversionCounts> {
        let deleted = match change.mode {
            ConversionWrite::DeleteAndUpsert => self.delete_conversion_rows(table, &change.deleted)?,
            ConversionWrite::DropAndInsert => self.drop_conversion_rows(table)?,
        };
        let counts = self.upsert_conversion_rows(table, &change.rows)?;
        Ok(ConversionCounts { deleted, ..counts })
    }

    fn put_conversion_row(&self, table: &ConversionTable, key: &str, row: &ConversionRow) -> StoreResult<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO conversion_rows (tbl, key, row) VALUES (?1, ?2, ?3)
                 ON CONFLICT (tbl, key) DO UPDATE SET row = excluded.row",
            )?
            .execute(params![table.stored_name(), key, serde_json::to_string(row).expect("rows serialize")])?;
        Ok(())
    }

    /// Creates the `T006D` group of a unit when it lacks one; 1 if it did.
    fn ensure_unit_group(&self, unit: &ConversionRow) -> StoreResult<usize> {
        let Some(group) = unit.get("DIMID").and_then(Value::as_str).filter(|g| !g.is_empty()) else {
            return Ok(0);
        };
        let groups = ConversionTable::Unit(UnitTable::T006D);
        if self.conversion_row(&groups, group)?.is_some() {
            return Ok(0);
        }
        let base = unit.get("MSEHI").cloned().unwrap_or(Value::Null);
        let row = ConversionRow::from([("DIMID".to_string(), Value::from(group)), ("MSSIE".to_string(), base)]);
        self.upsert_conversion_rows(&groups, &[row])?;
        Ok(1)
    }
}

/// Rows of text as rows of JSON strings (the checks make numbers of them).
fn as_values(list: &[Row]) -> Vec<ConversionRow> {
    list.iter().map(|r| r.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect()).collect()
}

/// A new row's client is SAC's `000` when it names none.
fn default_client(v: &mut Value) {
    if v.as_str().is_some_and(str::is_empty) {
        *v = Value::from("000");
    }
}

fn invalid(index: usize, problem: RowProblem) -> StoreError {
    StoreError::Conflict(format!("conversion row {}: {problem}", index + 1))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Store;

    fn row(v: Value) -> ConversionRow {
        serde_json::from_value(v).unwrap()
    }

    fn rate(from: &str, date: &str, value: f64) -> ConversionRow {
        row(json!({"category": "Actuals", "rateType": "Average", "rateVersion": "", "fromCurr": from,
                   "toCurr": "USD", "validFromDate": date, "rateValue": value.to_string()}))
    }

    #[test]
    fn delete_and_upsert_then_drop_and_insert_in_one_transaction_each() {
        let store = Store::open(None).unwrap();
        let table = ConversionTable::Currency("RATES".into());
        store.write(|w| w.create_currency_table("RATES", "Rates")).unwrap();
        let first = ConversionChange {
            mode: ConversionWrite::DeleteAndUpsert,
            deleted: vec![],
            rows: vec![rate("EUR", "20260101", 1.1), rate("CAD", "2026-01-01", 0.7)],
        };
        let counts = store.write(|w| w.apply_conversion_change(&table, &first)).unwrap();
        assert_eq!((counts.deleted, counts.written), (0, 2));
        let rows = store.read(|r| r.conversion_rows(&table)).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["validFrom"], "2026-01-01");
        assert_eq!(rows[1]["rateValue"], json!(1.1));

        let second = ConversionChange {
            mode: ConversionWrite::DeleteAndUpsert,
            deleted: vec![rate("CAD", "20260101", 0.0)],
            rows: vec![rate("EUR", "20260101", 1.2)],
        };
        let counts = store.write(|w| w.apply_conversion_change(&table, &second)).unwrap();
        assert_eq!((counts.deleted, counts.written), (1, 1));
        let rows = store.read(|r| r.conversion_rows(&table)).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["rateValue"], json!(1.2));

        // A bad row anywhere leaves the table as it was.
        let bad = ConversionChange {
            mode: ConversionWrite::DropAndInsert,
            deleted: vec![],
            rows: vec![rate("GBP", "20260101", 0.9), rate("JPY", "2026-13-01", 150.0)],
        };
        let e = store.write(|w| w.apply_conversion_change(&table, &bad)).unwrap_err();
        assert!(e.to_string().contains("row 2") && e.to_string().contains("not a date"), "{e}");
        assert_eq!(store.read(|r| r.conversion_rows(&table)).unwrap(), rows);

        let good = ConversionChange { rows: vec![rate("GBP", "20260101", 0.9)], ..bad };
        let counts = store.write(|w| w.apply_conversion_change(&table, &good)).unwrap();
        assert_eq!((counts.deleted, counts.written), (1, 1));
        let rows = store.read(|r| r.conversion_rows(&table)).unwrap();
        assert_eq!(rows.iter().map(|r| r["fromCurr"].clone()).collect::<Vec<_>>(), [json!("GBP")]);
    }

    #[test]
    fn a_unit_of_a_new_group_creates_the_group_and_partial_upserts_keep_other_columns() {
        let store = Store::open(None).unwrap();
        let units = ConversionTable::Unit(UnitTable::T006);
        // A new store has SAP's standard units (migration 3): start from empty tables.
        assert!(!store.read(|r| r.conversion_rows(&units)).unwrap().is_empty());
        store
            .write(|w| {
                w.drop_conversion_rows(&units)?;
                w.drop_conversion_rows(&ConversionTable::Unit(UnitTable::T006D))
            })
            .unwrap();
        let abc = row(json!({"MSEHI": "ABC", "DIMID": "DIM01", "ZAEHL": 1, "NENNR": "3", "ADDKO": 12345.6789}));
        let counts = store.write(|w| w.upsert_conversion_rows(&units, &[abc])).unwrap();
        assert_eq!((counts.written, counts.groups_created), (1, 1));
        let stored = store.read(|r| r.conversion_rows(&units)).unwrap();
        assert_eq!(stored[0]["MANDT"], "000");
        assert_eq!(stored[0]["NENNR"], json!(3));
        assert_eq!(stored[0]["KZWOB"], Value::Null);
        assert_eq!(stored[0].len(), units.columns().len());
        let groups = store.read(|r| r.conversion_rows(&ConversionTable::Unit(UnitTable::T006D))).unwrap();
        assert_eq!((groups[0]["DIMID"].clone(), groups[0]["MSSIE"].clone()), (json!("DIM01"), json!("ABC")));

        let update = row(json!({"MSEHI": "ABC", "DECAN": 2}));
        store.write(|w| w.upsert_conversion_rows(&units, &[update])).unwrap();
        let stored = store.read(|r| r.conversion_rows(&units)).unwrap();
        assert_eq!((stored[0]["DECAN"].clone(), stored[0]["NENNR"].clone()), (json!(2), json!(3)));

        let unknown = row(json!({"MSEHI": "XYZ", "COLOUR": "red"}));
        let e = store.write(|w| w.upsert_conversion_rows(&units, &[unknown])).unwrap_err();
        assert!(e.to_string().contains("COLOUR"), "{e}");
        let keyless = row(json!({"DIMID": "DIM01"}));
        let e = store.write(|w| w.upsert_conversion_rows(&units, &[keyless])).unwrap_err();
        assert!(e.to_string().contains("MSEHI"), "{e}");
        let deleted = store.write(|w| w.delete_conversion_rows(&units, &[row(json!({"MSEHI": "ABC"}))])).unwrap();
        assert_eq!(deleted, 1);
        assert!(store.read(|r| r.conversion_rows(&units)).unwrap().is_empty());
    }

    #[test]
    fn the_demo_seed_fits_its_tables() {
        let store = Store::open(None).unwrap();
        store.write(|w| w.seed_conversions(&Tenant::demo())).unwrap();
        let tables = store.read(|r| r.currency_tables()).unwrap();
        assert_eq!(tables[0].id, "CPL_CURRENCY_RATES");
        let rates = store.read(|r| r.conversion_rows(&ConversionTable::Currency(tables[0].id.clone()))).unwrap();
        assert_eq!(rates.len(), 7);
        assert!(rates.iter().all(|r| r["rateValue"].is_number()), "{rates:?}");
        let count = |t| store.read(|r| r.conversion_rows(&ConversionTable::Unit(t))).unwrap().len();
        assert_eq!([UnitTable::T006, UnitTable::T006A, UnitTable::T006D, UnitTable::T006T].map(count), [15, 30, 6, 12]);
    }
}
