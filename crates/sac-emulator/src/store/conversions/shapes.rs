//! The shapes of the conversion tables: which tables there are
//! ([`UnitTable`], [`ConversionTable`]), their [`Column`]s with types,
//! lengths and keys (pages `859c3671`, `03cfa63a`, `10ee4cf2`, `3108077b`),
//! and how a row given by a client is checked and normalised against them
//! ([`ConversionTable::check_row`]). A leaf: it uses nothing of the store.

use std::collections::BTreeMap;

use serde_json::Value;

/// One row of a conversion table: column -> value (text, number or null).
pub type ConversionRow = BTreeMap<String, Value>;

/// A standard unit conversion table, as `sac_unit_conversion` names its providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitTable {
    /// Units and their conversion rates to the group's SI unit.
    T006,
    /// Unit descriptions, per language.
    T006A,
    /// Unit groups (dimensions) and their base unit.
    T006D,
    /// Group descriptions, per language.
    T006T,
}

impl UnitTable {
    pub const ALL: [UnitTable; 4] = [UnitTable::T006, UnitTable::T006A, UnitTable::T006D, UnitTable::T006T];

    /// The provider id (`T006`, ...).
    pub fn id(self) -> &'static str {
        match self {
            UnitTable::T006 => "T006",
            UnitTable::T006A => "T006A",
            UnitTable::T006D => "T006D",
            UnitTable::T006T => "T006T",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The table's one entity set (page `03cfa63a`).
    pub fn entity_set(self) -> &'static str {
        match self {
            UnitTable::T006 => "ConversionRates",
            UnitTable::T006A => "UnitDescriptions",
            UnitTable::T006D => "UnitGroups",
            UnitTable::T006T => "GroupDescriptions",
        }
    }

    /// What the table holds, as the provider's description.
    pub fn description(self) -> &'static str {
        match self {
            UnitTable::T006 => "T006 - Conversion Rates",
            UnitTable::T006A => "T006A - Unit Descriptions",
            UnitTable::T006D => "T006D - Unit Groups",
            UnitTable::T006T => "T006T - Group Descriptions",
        }
    }
}

/// A table of this module: a currency table (by its id without the `t.X:`
/// prefix) or a standard unit table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConversionTable {
    Currency(String),
    Unit(UnitTable),
}

/// A column's type, as the metadata of both APIs names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Text of at most `max_length` characters.
    Text,
    /// A whole number.
    Integer,
    /// A decimal number.
    Decimal,
    /// A date, stored as `YYYY-MM-DD`; `YYYYMMDD` is accepted.
    Date,
}

/// One column of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// The name in exported rows.
    pub name: &'static str,
    /// The name a Data Import body uses (differs only for the currency
    /// table's `validFromDate`, page `d9dc1eb6`'s samples).
    pub import_name: &'static str,
    pub data_type: ColumnType,
    /// For text; the digits of a number.
    pub max_length: u32,
    pub key: bool,
    /// May hold null (unit tables' optional indicators); otherwise a
    /// missing value is `""` or `0`.
    pub nullable: bool,
}

const fn col(name: &'static str, data_type: ColumnType, max_length: u32, key: bool) -> Column {
    Column { name, import_name: name, data_type, max_length, key, nullable: false }
}
const fn opt(name: &'static str, max_length: u32) -> Column {
    Column { name, import_name: name, data_type: ColumnType::Text, max_length, key: false, nullable: true }
}
use ColumnType::{Date, Decimal, Integer, Text};

/// A currency table's columns (page `859c3671`); the exported `rate`
/// column is the table's id and is not stored.
const CURRENCY: [Column; 7] = [
    col("category", Text, 20, true),
    col("rateType", Text, 20, true),
    col("rateVersion", Text, 256, true),
    col("fromCurr", Text, 5, true),
    col("toCurr", Text, 5, true),
    Column { import_name: "validFromDate", ..col("validFrom", Date, 10, true) },
    col("rateValue", Decimal, 31, false),
];

/// `T006` (page `03cfa63a`); the Data Import samples delete by `MSEHI` alone.
const T006: [Column; 23] = [
    col("MANDT", Text, 3, false),
    col("MSEHI", Text, 6, true),
    opt("KZEX3", 1),
    opt("KZEX6", 1),
    col("ANDEC", Integer, 5, false),
    opt("KZKEH", 1),
    opt("KZWOB", 1),
    opt("KZ1EH", 1),
    opt("KZ2EH", 1),
    col("DIMID", Text, 6, false),
    col("ZAEHL", Integer, 10, false),
    col("NENNR", Integer, 10, false),
    col("EXP10", Integer, 5, false),
    col("ADDKO", Decimal, 9, false),
    col("EXPON", Integer, 5, false),
    col("DECAN", Integer, 5, false),
    opt("ISOCODE", 3),
    opt("PRIMARY", 1),
    col("TEMP_VALUE", Decimal, 16, false),
    opt("TEMP_UNIT", 6),
    opt("FAMUNIT", 1),
    col("PRESS_VAL", Decimal, 16, false),
    opt("PRESS_UNIT", 6),
];

/// `T006A` (pages `03cfa63a`, `10ee4cf2`); keyed by `SPRAS` and `MSEHI`
/// as the Data Import metadata shows (page `3108077b`).
const T006A: [Column; 8] = [
    col("MANDT", Text, 3, false),
    col("SPRAS", Text, 2, true),
    col("LANGUAGE", Text, 5, false),
    col("MSEHI", Text, 6, true),
    col("MSEH3", Text, 3, false),
    col("MSEH6", Text, 6, false),
    col("MSEHT", Text, 10, false),
    col("MSEHL", Text, 30, false),
];

/// `T006D` (page `03cfa63a`).
const T006D: [Column; 12] = [
    col("MANDT", Text, 3, false),
    col("DIMID", Text, 6, true),
    col("LENG", Integer, 3, false),
    col("MASS", Integer, 3, false),
    col("TIMEX", Integer, 3, false),
    col("ECURR", Integer, 3, false),
    col("TEMP", Integer, 3, false),
    col("MOLQU", Integer, 3, false),
    col("LIGHT", Integer, 3, false),
    col("MSSIE", Text, 6, false),
    opt("TEMP_DEP", 1),
    opt("PRESS_DEP", 1),
];

/// `T006T` (page `03cfa63a`, listed there as the group descriptions).
const T006T: [Column; 5] = [
    col("MANDT", Text, 3, false),
    col("SPRAS", Text, 2, true),
    col("LANGUAGE", Text, 5, false),
    col("DIMID", Text, 6, true),
    col("TXDIM", Text, 20, false),
];

/// Why a row cannot be written (the Data Import layer rejects the row with it).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error("the key column {0} has no value")]
    MissingKey(&'static str),
    #[error("the column {0} is not part of this table")]
    UnknownColumn(String),
    #[error("the value of {column} is not a number: {value}")]
    NotANumber { column: &'static str, value: String },
    #[error("the value of {column} is not a date (YYYY-MM-DD or YYYYMMDD): {value}")]
    NotADate { column: &'static str, value: String },
    #[error("the value of {column} is longer than {max} characters")]
    TooLong { column: &'static str, max: u32 },
}

impl ConversionTable {
    pub fn columns(&self) -> &'static [Column] {
        match self {
            ConversionTable::Currency(_) => &CURRENCY,
            ConversionTable::Unit(UnitTable::T006) => &T006,
            ConversionTable::Unit(UnitTable::T006A) => &T006A,
            ConversionTable::Unit(UnitTable::T006D) => &T006D,
            ConversionTable::Unit(UnitTable::T006T) => &T006T,
        }
    }

    /// The names of the key columns, in order.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns().iter().filter(|c| c.key).map(|c| c.name)
    }

    /// The `tbl` value of the table's rows.
    pub(super) fn stored_name(&self) -> String {
        match self {
            ConversionTable::Currency(id) => format!("currency:{id}"),
            ConversionTable::Unit(t) => format!("unit:{}", t.id()),
        }
    }

    /// `row` in the table's shape: columns found by their export or import
    /// name, numbers from numbers or numeric text, dates as `YYYY-MM-DD`;
    /// with `complete`, columns it lacks get their empty value (`""`, `0`,
    /// or null where allowed). Key columns must be present and, except for
    /// the currency table's text keys (which SAC allows empty), non-empty.
    pub fn check_row(&self, row: &ConversionRow, complete: bool) -> Result<ConversionRow, RowProblem> {
        let columns = self.columns();
        for name in row.keys() {
            if !columns.iter().any(|c| c.name == name || c.import_name == name) {
                return Err(RowProblem::UnknownColumn(name.clone()));
            }
        }
        let mut out = ConversionRow::new();
        for c in columns {
            let given = row.get(c.name).or_else(|| row.get(c.import_name));
            let value = match given {
                None | Some(Value::Null) if c.key => return Err(RowProblem::MissingKey(c.name)),
                None if !complete => continue,
                None | Some(Value::Null) => empty(c),
                Some(v) => normalise(c, v)?,
            };
            let blank_key = value.as_str().is_some_and(str::is_empty) && c.key;
            if blank_key && (matches!(self, ConversionTable::Unit(_)) || c.data_type == Date) {
                return Err(RowProblem::MissingKey(c.name));
            }
            out.insert(c.name.to_string(), value);
        }
        Ok(out)
    }

    /// The stored key of a checked row.
    pub(super) fn key_of(&self, row: &ConversionRow) -> String {
        let values: Vec<&str> = self.keys().map(|k| row.get(k).and_then(Value::as_str).unwrap_or("")).collect();
        values.join("\u{1f}")
    }
}

fn empty(c: &Column) -> Value {
    match c.data_type {
        _ if c.nullable => Value::Null,
        Text | Date => Value::String(String::new()),
        Integer | Decimal => Value::from(0),
    }
}

fn normalise(c: &Column, v: &Value) -> Result<Value, RowProblem> {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match c.data_type {
        Text => {
            if text.chars().count() > c.max_length as usize {
                return Err(RowProblem::TooLong { column: c.name, max: c.max_length });
            }
            Ok(Value::String(text))
        }
        Integer | Decimal => {
            let bad = || RowProblem::NotANumber { column: c.name, value: text.clone() };
            let trimmed = text.trim();
            if c.data_type == Integer {
                if let Ok(n) = trimmed.parse::<i64>() {
                    return Ok(Value::from(n));
                }
            }
            let n: f64 = trimmed.parse().map_err(|_| bad())?;
            if !n.is_finite() {
                return Err(bad());
            }
            if c.data_type == Integer && n.fract() == 0.0 && n.abs() < 9.0e15 {
                return Ok(Value::from(n as i64));
            }
            if c.data_type == Integer {
                return Err(bad());
            }
            serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(bad)
        }
        Date => {
            let bad = || RowProblem::NotADate { column: c.name, value: text.clone() };
            let digits: String = text.chars().filter(|ch| *ch != '-').collect();
            let dashed_ok = text.len() == 8 || (text.len() == 10 && &text[4..5] == "-" && &text[7..8] == "-");
            if digits.len() != 8 || !digits.chars().all(|ch| ch.is_ascii_digit()) || !dashed_ok {
                return Err(bad());
            }
            let (y, m, d) = (&digits[..4], &digits[4..6], &digits[6..]);
            let (month, day): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
            if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
                return Err(bad());
            }
            Ok(Value::String(format!("{y}-{m}-{d}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn row(v: Value) -> ConversionRow {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn numbers_and_lengths_are_checked() {
        let units = ConversionTable::Unit(UnitTable::T006);
        let e = units.check_row(&row(json!({"MSEHI": "A", "ZAEHL": "1.5"})), false).unwrap_err();
        assert!(matches!(e, RowProblem::NotANumber { column: "ZAEHL", .. }), "{e}");
        let e = units.check_row(&row(json!({"MSEHI": "A", "ADDKO": "1e400"})), false).unwrap_err();
        assert!(matches!(e, RowProblem::NotANumber { column: "ADDKO", .. }), "{e}");
        let e = units.check_row(&row(json!({"MSEHI": "TOOLONG"})), false).unwrap_err();
        assert_eq!(e, RowProblem::TooLong { column: "MSEHI", max: 6 });
    }
}
