//! Fact data of planning models: one table per model, created from the
//! tenant description, with a TEXT column per dimension (together the
//! primary key, so rows are stored and read in key order) and a REAL column
//! per measure (NULL where a row carries no value).
//!
//! Identifiers come from the tenant description and are always quoted;
//! values are always bound, never pasted into SQL.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, CachedStatement, OptionalExtension};

use super::filter::{Cell, Filter};
use super::sql::placeholders;
use super::sql::quote;
use super::{Reader, StoreResult, Writer};
use crate::tenant::{ModelDef, Row};

/// Which models have a fact table, and its shape.
pub(super) const REGISTRY_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS facts_tables (model TEXT PRIMARY KEY, dimensions TEXT NOT NULL, measures TEXT NOT NULL);";

/// The names of every fact table.
pub(super) fn tables(r: &Reader<'_>) -> StoreResult<Vec<String>> {
    let mut stmt = r.conn().prepare_cached("SELECT model FROM facts_tables")?;
    let models = stmt.query_map([], |row| row.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(models.iter().map(|m| table_name(m)).collect())
}

fn table_name(model: &str) -> String {
    format!("facts:{model}")
}

/// The shape of a model's fact table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactTable {
    pub model: String,
    pub dimensions: Vec<String>,
    pub measures: Vec<String>,
}

/// How a write treats a key that already holds a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Measures the row carries replace the stored ones; others are kept.
    Update,
    /// Measures the row carries are added to the stored ones.
    Append,
}

/// Which facts to read: `column = value` conditions and a `filter` (all
/// must hold), in key order or in `order` (column, descending?) then key
/// order, rows after a key (seek paging, key order only) or after skipping
/// `offset` rows, at most `limit`.
#[derive(Clone, Debug, Default)]
pub struct FactQuery<'a> {
    pub conditions: &'a [(String, String)],
    pub filter: Option<&'a Filter>,
    pub order: &'a [(String, bool)],
    pub after: Option<&'a [String]>,
    pub offset: i64,
    pub limit: i64,
}

/// A stored fact: dimension values in the model's order, then measures.
#[derive(Clone, Debug, PartialEq)]
pub struct FactRow {
    pub dimensions: Vec<String>,
    pub measures: Vec<Option<f64>>,
}

impl FactTable {
    pub fn of(model: &ModelDef) -> Self {
        FactTable {
            model: model.id.clone(),
            dimensions: model.dimensions.iter().map(|d| d.name.clone()).collect(),
            measures: model.measures.clone(),
        }
    }

    fn table(&self) -> String {
        quote(&table_name(&self.model))
    }

    fn has_column(&self, column: &str) -> bool {
        self.dimensions.iter().chain(&self.measures).any(|c| c == column)
    }

    fn key_list(&self) -> String {
        self.dimensions.iter().map(|d| quote(d)).collect::<Vec<_>>().join(", ")
    }

    fn column_list(&self) -> String {
        self.dimensions.iter().chain(&self.measures).map(|c| quote(c)).collect::<Vec<_>>().join(", ")
    }

    /// `WHERE` for `conditions`, or `None` when one names no column of the
    /// table (such a condition matches no row).
    fn filter(&self, conditions: &[(String, String)], first_param: usize) -> Option<String> {
        let mut clauses = Vec::new();
        for (i, (column, _)) in conditions.iter().enumerate() {
            if !self.has_column(column) {
                return None;
            }
            clauses.push(format!("{} = ?{}", quote(column), first_param + i));
        }
        Some(clauses.join(" AND "))
    }
}

impl FactRow {
    /// The cell of `column`, for evaluating a [`Filter`] in memory.
    pub fn cell<'r>(&'r self, table: &FactTable, column: &str) -> Option<Cell<'r>> {
        if let Some(i) = table.dimensions.iter().position(|d| d == column) {
            return Some(Cell::Text(&self.dimensions[i]));
        }
        table.measures.iter().position(|m| m == column).map(|i| Cell::Number(self.measures[i]))
    }

    /// The row as column -> text (measures without float noise; absent
    /// measures left out).
    pub fn to_row(&self, table: &FactTable) -> Row {
        let mut row: Row = table.dimensions.iter().cloned().zip(self.dimensions.iter().cloned()).collect();
        for (name, value) in table.measures.iter().zip(&self.measures) {
            if let Some(v) = value {
                row.insert(name.clone(), format_number(*v));
            }
        }
        row
    }
}

/// A number as SAC shows it: at most the measures' scale of 7 decimals
/// (`DECIMAL(31, 7)`, their `$metadata`), so no float noise
/// (`0.30000000000000004` -> `0.3`), whole numbers without a decimal point,
/// never an exponent and never `inf`: a value too large to round to 7
/// decimals is written whole, all its digits (callers refuse what is
/// beyond the measures' precision first, see [`fits_measure`]).
pub fn format_number(value: f64) -> String {
    let scaled = (value * 1e7).round();
    if !scaled.is_finite() || value.abs() >= 1e15 {
        return format!("{:.0}", value);
    }
    let rounded = scaled / 1e7;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// Whether `value` fits a measure, `DECIMAL(31, 7)`: finite, with at most
/// 24 digits before the point.
pub fn fits_measure(value: f64) -> bool {
    value.is_finite() && value.abs() < 1e24
}

impl Reader<'_> {
    /// Facts in key order, one page.
    pub fn facts(&self, table: &FactTable, q: &FactQuery<'_>) -> StoreResult<Vec<FactRow>> {
        let Some(filter) = table.filter(q.conditions, 1) else { return Ok(vec![]) };
        // An unknown name in quotes would be a string literal to SQLite: a
        // filter naming no column of the table matches no row.
        if q.filter.is_some_and(|f| !f.columns().iter().all(|c| table.has_column(c))) {
            return Ok(vec![]);
        }
        let mut clauses: Vec<String> = Some(filter).filter(|f| !f.is_empty()).into_iter().collect();
        let mut args: Vec<SqlValue> = q.conditions.iter().map(|(_, v)| SqlValue::Text(v.clone())).collect();
        if let Some(f) = q.filter {
            clauses.push(f.to_sql(&mut args));
        }
        if let Some(key) = q.after {
            let first = args.len() + 1;
            let marks: Vec<String> = (0..table.dimensions.len()).map(|i| format!("?{}", first + i)).collect();
            clauses.push(format!("({}) > ({})", table.key_list(), marks.join(", ")));
            args.extend(key.iter().map(|k| SqlValue::Text(k.clone())));
        }
        let where_clause = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let order: Vec<String> = q
            .order
            .iter()
            .filter(|(c, _)| table.has_column(c))
            .map(|(c, desc)| format!("{} {}", quote(c), if *desc { "DESC" } else { "ASC" }))
            .chain(std::iter::once(table.key_list()))
            .collect();
        let sql = format!(
            "SELECT {} FROM {}{where_clause} ORDER BY {} LIMIT {} OFFSET {}",
            table.column_list(),
            table.table(),
            order.join(", "),
            q.limit.max(0),
            q.offset.max(0)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let (dims, measures) = (table.dimensions.len(), table.measures.len());
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args), |r| {
                let mut row = FactRow { dimensions: Vec::with_capacity(dims), measures: Vec::with_capacity(measures) };
                for i in 0..dims {
                    row.dimensions.push(r.get(i)?);
                }
                for i in 0..measures {
                    row.measures.push(r.get(dims + i)?);
                }
                Ok(row)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many facts `filter` selects (all without one): what `$count`
    /// answers, whatever page is read.
    pub fn fact_count_matching(&self, table: &FactTable, filter: Option<&Filter>) -> StoreResult<i64> {
        if filter.is_some_and(|f| !f.columns().iter().all(|c| table.has_column(c))) {
            return Ok(0);
        }
        let mut args = Vec::new();
        let where_clause = filter.map(|f| format!(" WHERE {}", f.to_sql(&mut args))).unwrap_or_default();
        let mut stmt = self.conn().prepare_cached(&format!("SELECT COUNT(*) FROM {}{where_clause}", table.table()))?;
        Ok(stmt.query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
    }

    /// How many facts have every `column = value` of `conditions`, as
    /// [`Reader::facts`] selects them (a condition naming no column of the
    /// table matches nothing).
    pub fn fact_count_where(&self, table: &FactTable, conditions: &[(String, String)]) -> StoreResult<i64> {
        let Some(filter) = table.filter(conditions, 1) else { return Ok(0) };
        let where_clause = if filter.is_empty() { String::new() } else { format!(" WHERE {filter}") };
        let args = conditions.iter().map(|(_, v)| SqlValue::Text(v.clone()));
        let mut stmt = self.conn().prepare_cached(&format!("SELECT COUNT(*) FROM {}{where_clause}", table.table()))?;
        Ok(stmt.query_row(rusqlite::params_from_iter(args), |r| r.get(0))?)
    }

    pub fn fact_count(&self, table: &FactTable) -> StoreResult<i64> {
        let mut stmt = self.conn().prepare_cached(&format!("SELECT COUNT(*) FROM {}", table.table()))?;
        Ok(stmt.query_row([], |r| r.get(0)).optional()?.unwrap_or(0))
    }

    /// The distinct values of one dimension column, sorted.
    pub fn fact_values(&self, table: &FactTable, column: &str) -> StoreResult<Vec<String>> {
        if !table.dimensions.iter().any(|d| d == column) {
            return Ok(vec![]);
        }
        let c = quote(column);
        let mut stmt =
            self.conn().prepare_cached(&format!("SELECT DISTINCT {c} FROM {} ORDER BY {c}", table.table()))?;
        let values = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(values)
    }
}

impl Writer<'_> {
    /// Creates the model's table (and registers it) unless it exists.
    pub fn create_fact_table(&self, table: &FactTable) -> StoreResult<()> {
        let mut columns: Vec<String> = table.dimensions.iter().map(|d| format!("{} TEXT NOT NULL", quote(d))).collect();
        columns.extend(table.measures.iter().map(|m| format!("{} REAL", quote(m))));
        self.conn().execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {} ({}, PRIMARY KEY ({})) WITHOUT ROWID",
            table.table(),
            columns.join(", "),
            table.key_list()
        ))?;
        self.conn()
            .prepare_cached("INSERT OR REPLACE INTO facts_tables (model, dimensions, measures) VALUES (?1, ?2, ?3)")?
            .execute(params![
                table.model,
                serde_json::to_string(&table.dimensions).expect("names serialize"),
                serde_json::to_string(&table.measures).expect("names serialize")
            ])?;
        Ok(())
    }

    /// A prepared upsert into the model's table, for many rows.
    pub fn fact_writer(&self, table: &FactTable, mode: WriteMode) -> StoreResult<FactWriter<'_>> {
        let marks = placeholders(table.dimensions.len() + table.measures.len());
        let on_conflict = if table.measures.is_empty() {
            "DO NOTHING".to_string()
        } else {
            let sets: Vec<String> = table
                .measures
                .iter()
                .map(|m| {
                    let m = quote(m);
                    match mode {
                        WriteMode::Update => format!("{m} = COALESCE(excluded.{m}, {m})"),
                        WriteMode::Append => format!(
                            "{m} = CASE WHEN excluded.{m} IS NULL THEN {m} ELSE round(COALESCE({m}, 0) + excluded.{m}, 6) END"
                        ),
                    }
                })
                .collect();
            format!("DO UPDATE SET {}", sets.join(", "))
        };
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {on_conflict}",
            table.table(),
            table.column_list(),
            marks,
            table.key_list()
        );
        Ok(FactWriter { stmt: self.conn().prepare_cached(&sql)?, dimensions: table.dimensions.len() })
    }

    /// Deletes the facts whose columns equal all of `conditions`; returns how many.
    pub fn delete_facts(&self, table: &FactTable, conditions: &[(String, String)]) -> StoreResult<usize> {
        let Some(filter) = table.filter(conditions, 1) else { return Ok(0) };
        let where_clause = if filter.is_empty() { String::new() } else { format!(" WHERE {filter}") };
        let mut stmt = self.conn().prepare_cached(&format!("DELETE FROM {}{where_clause}", table.table()))?;
        Ok(stmt.execute(rusqlite::params_from_iter(conditions.iter().map(|(_, v)| v)))?)
    }

    /// Replaces the rows where `column = to` by copies of the rows where
    /// `column = from`; returns how many were copied.
    pub fn copy_facts(&self, table: &FactTable, column: &str, from: &str, to: &str) -> StoreResult<usize> {
        if !table.dimensions.iter().any(|d| d == column) {
            return Ok(0);
        }
        if from == to {
            let c = quote(column);
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {c} = ?1", table.table());
            let n: i64 = self.conn().prepare_cached(&sql)?.query_row([from], |r| r.get(0))?;
            return Ok(n as usize);
        }
        self.delete_facts(table, &[(column.to_string(), to.to_string())])?;
        let select: Vec<String> = table
            .dimensions
            .iter()
            .chain(&table.measures)
            .map(|c| if c == column { "?1".into() } else { quote(c) })
            .collect();
        let sql = format!(
            "INSERT INTO {t} ({cols}) SELECT {sel} FROM {t} WHERE {c} = ?2",
            t = table.table(),
            cols = table.column_list(),
            sel = select.join(", "),
            c = quote(column)
        );
        Ok(self.conn().prepare_cached(&sql)?.execute(params![to, from])?)
    }
}

/// An upsert prepared once and run for each row of a write.
pub struct FactWriter<'c> {
    stmt: CachedStatement<'c>,
    dimensions: usize,
}

impl FactWriter<'_> {
    /// Writes one fact: `dimensions` in the table's order, then `measures`.
    pub fn write(&mut self, dimensions: &[&str], measures: &[Option<f64>]) -> StoreResult<()> {
        debug_assert_eq!(dimensions.len(), self.dimensions);
        for (i, value) in dimensions.iter().enumerate() {
            self.stmt.raw_bind_parameter(i + 1, value)?;
        }
        for (i, value) in measures.iter().enumerate() {
            self.stmt.raw_bind_parameter(self.dimensions + i + 1, value)?;
        }
        self.stmt.raw_execute()?;
        Ok(())
    }
}

/// Writes rows `(version, date, amount)` to a table of two dimensions and
/// one measure (the store's tests share it).
#[cfg(test)]
pub(super) fn write_rows(
    w: &Writer<'_>,
    table: &FactTable,
    mode: WriteMode,
    rows: &[(&str, &str, Option<f64>)],
) -> StoreResult<()> {
    let mut writer = w.fact_writer(table, mode)?;
    for (v, d, a) in rows {
        writer.write(&[v, d], &[*a])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn table() -> FactTable {
        FactTable {
            model: "M\"x".into(),
            dimensions: vec!["Version".into(), "Date".into()],
            measures: vec!["Amount".into()],
        }
    }

    fn write(store: &Store, mode: WriteMode, rows: &[(&str, &str, Option<f64>)]) {
        store
            .write(|w| {
                w.create_fact_table(&table())?;
                write_rows(w, &table(), mode, rows)
            })
            .unwrap();
    }

    #[test]
    fn update_append_filter_seek_copy() {
        let store = Store::open(None).unwrap();
        let t = table();
        write(&store, WriteMode::Update, &[("A", "1", Some(1.5)), ("A", "2", Some(2.0)), ("P", "1", Some(3.0))]);
        write(&store, WriteMode::Update, &[("A", "1", Some(9.0)), ("A", "2", None)]);
        write(&store, WriteMode::Append, &[("A", "2", Some(0.1)), ("A", "2", Some(0.2))]);
        store
            .read(|r| {
                assert_eq!(r.fact_count(&t)?, 3);
                let only_a = Filter::Compare {
                    column: "Version".into(),
                    op: crate::store::filter::Op::Eq,
                    value: crate::store::filter::Literal::Text("A".into()),
                };
                assert_eq!(r.fact_count_matching(&t, Some(&only_a))?, 2);
                assert_eq!(r.fact_count_matching(&t, None)?, 3);
                let cond = [("Version".to_string(), "A".to_string())];
                let actual = r.facts(&t, &FactQuery { conditions: &cond, limit: 10, ..Default::default() })?;
                assert_eq!(actual.len(), 2);
                assert_eq!(actual[0].measures, vec![Some(9.0)]);
                assert_eq!(actual[1].to_row(&t)["Amount"], "2.3");
                let key = actual[0].dimensions.clone();
                let after = r.facts(&t, &FactQuery { after: Some(&key), limit: 10, ..Default::default() })?;
                assert_eq!(after.len(), 2);
                assert_eq!(after[0].dimensions, vec!["A", "2"]);
                // A condition on an unknown column matches nothing, whatever it says.
                let evil = [("x\") OR 1=1 --".to_string(), "y".to_string())];
                assert!(r.facts(&t, &FactQuery { conditions: &evil, limit: 10, ..Default::default() })?.is_empty());
                Ok(())
            })
            .unwrap();
        let copied = store.write(|w| w.copy_facts(&t, "Version", "A", "P")).unwrap();
        assert_eq!(copied, 2);
        assert_eq!(store.read(|r| r.fact_values(&t, "Version")).unwrap(), vec!["A", "P"]);
        assert_eq!(store.read(|r| r.fact_count(&t)).unwrap(), 4);
    }

    #[test]
    fn numbers_add_up_cleanly() {
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(0.1234567), "0.1234567");
        assert_eq!(format_number(-2.5e20), "-250000000000000000000");
        assert!(!format_number(1e308).contains("inf") && !format_number(f64::MAX).contains('e'));
        assert!(fits_measure(-9.9e23) && !fits_measure(1e24) && !fits_measure(f64::INFINITY));
    }
}
