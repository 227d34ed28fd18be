//! Chunks of rows as the Data Import API receives them: JSON
//! `{"Data":[{...}]}` or CSV with a header row.
//!
//! Rows are checked when they arrive (`engine::arrival`); a chunk whose rows
//! all passed is stored as it was sent, else only its valid rows are stored,
//! written out again as CSV ([`Chunk::to_csv`]). This module is the one
//! parser of upload, validation and write, so each step sees the same rows
//! in the same order. Parsing a CSV chunk costs one allocation per row (a
//! `csv::StringRecord`), not one per value.

use std::collections::BTreeMap;

use csv::StringRecord;
use sac_types::dataimport::CreateJob;
use serde_json::{json, Value};

use crate::tenant::Row;

enum Records {
    /// Every row carries every column: the values one after the other in
    /// one text, `ends[row * width + col]` where each value ends (two
    /// allocations per chunk, not two per row).
    Csv { text: String, ends: Vec<usize>, width: usize },
    /// A row may lack columns (a key absent or `null`).
    Json(Vec<Vec<Option<String>>>),
}

/// The rows of one chunk.
pub struct Chunk {
    /// Column names, after the job's Mapping renamed them.
    pub columns: Vec<String>,
    /// Column names as sent (what a failed row is shown with).
    source_columns: Vec<String>,
    records: Records,
    /// Values for columns a row lacks (DefaultValues), by column index.
    defaults: BTreeMap<usize, String>,
    /// Rows that could not be read at all, as the upload answer lists them
    /// (they are not staged).
    pub failed: Vec<Value>,
    /// Mapping and DefaultValues sent with a JSON chunk.
    pub overrides: Option<CreateJob>,
    /// The JSON body also has `DeletedData` rows.
    pub has_deleted: bool,
}

/// Why a body cannot be read at all.
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Not JSON, or not CSV.
    Syntax(String),
    /// JSON without a `Data` array of rows.
    NoData(String),
    /// A `Mapping` that is not an object of column names.
    Mapping(String),
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unreadable::Syntax(s) | Unreadable::NoData(s) | Unreadable::Mapping(s) => f.write_str(s),
        }
    }
}

/// The content type a chunk is stored under: CSV keeps its delimiter as a
/// parameter, so that [`parse`] reads the stored body as it was sent.
pub fn csv_content_type(delimiter: u8) -> String {
    if delimiter == b',' {
        "text/csv".into()
    } else {
        format!("text/csv;delimiter={}", delimiter as char)
    }
}

/// The content type parameter that marks a stored chunk of rows to delete
/// (`DeletedData`, SAP help d9dc1eb6), stored next to the job's rows.
const DELETED: &str = ";deleted";

/// The content type a chunk of rows to delete is stored under (CSV).
pub fn deleted_content_type() -> String {
    format!("text/csv{DELETED}")
}

/// True for a stored chunk of rows to delete.
pub fn is_deleted(content_type: &str) -> bool {
    content_type.ends_with(DELETED)
}

/// True for a CSV content type (`text/csv`, with or without parameters).
pub fn is_csv(content_type: &str) -> bool {
    content_type.trim_start().to_ascii_lowercase().starts_with("text/csv")
}

/// Parses a chunk; `Err` says why the whole body cannot be read.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Chunk, Unreadable> {
    if is_csv(content_type) {
        // The delimiter may itself be `;`: it is the one byte after the name.
        let delimiter = content_type
            .find(";delimiter=")
            .and_then(|at| content_type.as_bytes().get(at + ";delimiter=".len()).copied())
            .unwrap_or(b',');
        return parse_csv(body, delimiter);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Unreadable::Syntax(format!("Invalid request body: {e}")))?;
    let data = value
        .get("Data")
        .and_then(Value::as_array)
        .ok_or_else(|| Unreadable::NoData("The body must be {\"Data\":[{...}]} or text/csv".into()))?;
    match value.get("Mapping") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) if m.values().all(|v| v.as_str().is_some_and(|s| !s.trim().is_empty())) => {}
        Some(other) => {
            return Err(Unreadable::Mapping(format!(
                "Mapping must map model columns to the names of source columns, not {other}"
            )))
        }
    }
    let mut chunk = json_rows(data);
    // A chunk's DeletedData rows are read apart (`parse_deleted`).
    chunk.has_deleted = value.get("DeletedData").is_some_and(|d| !d.is_null());
    chunk.overrides = Some(serde_json::from_value(value).unwrap_or_default());
    Ok(chunk)
}

/// The `DeletedData` rows of a JSON body (SAP help d9dc1eb6), if it has them.
pub fn parse_deleted(body: &[u8]) -> Result<Option<Chunk>, Unreadable> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| Unreadable::Syntax(format!("Invalid request body: {e}")))?;
    match value.get("DeletedData") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(rows)) => Ok(Some(json_rows(rows))),
        Some(_) => Err(Unreadable::NoData("DeletedData must be an array of rows like Data".into())),
    }
}

/// JSON rows as a chunk: a column per key any row has.
fn json_rows(data: &[Value]) -> Chunk {
    let mut columns: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = Vec::with_capacity(data.len());
    let mut failed = Vec::new();
    for item in data {
        let Some(object) = item.as_object() else {
            failed.push(json!({"row": item, "reason": "A row must be a JSON object"}));
            continue;
        };
        let mut values: Vec<(usize, String)> = Vec::with_capacity(object.len());
        let mut bad = None;
        for (k, v) in object {
            let text = match v {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => continue,
                _ => {
                    bad = Some(k.clone());
                    continue;
                }
            };
            let i = *index.entry(k.clone()).or_insert_with(|| {
                columns.push(k.clone());
                columns.len() - 1
            });
            values.push((i, text));
        }
        match bad {
            Some(column) => failed.push(json!({"row": item, "reason": format!("Invalid column value for: {column}")})),
            None => rows.push(values),
        }
    }
    let width = columns.len();
    let records = rows
        .into_iter()
        .map(|values| {
            let mut row = vec![None; width];
            for (i, v) in values {
                row[i] = Some(v);
            }
            row
        })
        .collect();
    Chunk {
        source_columns: columns.clone(),
        columns,
        records: Records::Json(records),
        defaults: BTreeMap::new(),
        failed,
        overrides: None,
        has_deleted: false,
    }
}

fn parse_csv(body: &[u8], delimiter: u8) -> Result<Chunk, Unreadable> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).trim(csv::Trim::All).flexible(true).from_reader(body);
    let headers = reader.headers().map_err(|e| Unreadable::Syntax(format!("Invalid CSV: {e}")))?.clone();
    let width = headers.len();
    let mut text = String::with_capacity(body.len());
    let mut ends = Vec::new();
    let mut failed = Vec::new();
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if record.len() == width => {
                for value in record.iter() {
                    text.push_str(value);
                    ends.push(text.len());
                }
            }
            Ok(true) => {
                let row: serde_json::Map<String, Value> =
                    headers.iter().zip(record.iter()).map(|(h, v)| (h.to_string(), Value::String(v.into()))).collect();
                failed.push(json!({"row": row, "reason": "Row has a different number of columns than the header"}))
            }
            Err(e) => return Err(Unreadable::Syntax(format!("Invalid CSV: {e}"))),
        }
    }
    let columns: Vec<String> = headers.iter().map(str::to_string).collect();
    Ok(Chunk {
        source_columns: columns.clone(),
        columns,
        records: Records::Csv { text, ends, width },
        defaults: BTreeMap::new(),
        failed,
        overrides: None,
        has_deleted: false,
    })
}

/// Value `col` of CSV row `row`, if the row has that column.
fn csv_value<'a>(text: &'a str, ends: &[usize], width: usize, row: usize, col: usize) -> Option<&'a str> {
    if col >= width {
        return None;
    }
    let at = row * width + col;
    let start = if at == 0 { 0 } else { ends[at - 1] };
    text.get(start..ends[at])
}

impl Chunk {
    /// Rows staged from this chunk.
    pub fn len(&self) -> usize {
        match &self.records {
            Records::Csv { ends, width, .. } => ends.len().checked_div(*width).unwrap_or(0),
            Records::Json(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Renames source columns to model columns and fills defaults, as the
    /// job's (or the chunk's) Mapping and DefaultValues say.
    pub fn apply_mapping(&mut self, settings: &CreateJob) {
        for (model_column, source_column) in settings.mapping.iter().flatten() {
            if let Some(c) = self.columns.iter_mut().find(|c| *c == source_column) {
                *c = model_column.clone();
            }
        }
        for (column, value) in settings.default_values.iter().flatten() {
            let i = match self.columns.iter().position(|c| c == column) {
                Some(i) => i,
                None => {
                    self.columns.push(column.clone());
                    self.columns.len() - 1
                }
            };
            self.defaults.insert(i, value.clone());
        }
    }

    /// The value of column `col` in row `row`, if the row has one.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        let value = match &self.records {
            Records::Csv { text, ends, width } => csv_value(text, ends, *width, row, col),
            Records::Json(r) => r[row].get(col).and_then(Option::as_deref),
        };
        match value {
            // An empty CSV cell specifies nothing: a default fills it too.
            Some("") | None => self.defaults.get(&col).map(String::as_str).or(value),
            Some(v) => Some(v),
        }
    }

    /// The name column `c` was sent under (empty for a column DefaultValues added).
    pub fn source_column(&self, c: usize) -> &str {
        self.source_columns.get(c).map_or("", String::as_str)
    }

    /// A row as it was sent: source column -> value, without defaults.
    pub fn sent(&self, row: usize) -> Value {
        let value = |c: usize| match &self.records {
            Records::Csv { text, ends, width } => csv_value(text, ends, *width, row, c),
            Records::Json(r) => r[row].get(c).and_then(Option::as_deref),
        };
        let fields = (0..self.source_columns.len())
            .filter_map(|c| Some((self.source_columns[c].clone(), Value::String(value(c)?.to_string()))))
            .collect();
        Value::Object(fields)
    }

    /// Pivoted CSV made plain (job setting `pivotOptions`): the columns from
    /// `start` on (counted from 1) are values of the column `key`, each cell
    /// a value of the column `value`. A row gives one row per non-empty
    /// cell of those columns.
    pub fn unpivot(self, start: usize, key: &str, value: &str) -> Result<Chunk, String> {
        let first = start.saturating_sub(1);
        if start == 0 || first >= self.columns.len() {
            return Err(format!(
                "pivotColumnStart is {start}, but the header has {} columns: name the first pivoted column (counted \
                 from 1)",
                self.columns.len()
            ));
        }
        let mut columns: Vec<String> = self.columns[..first].to_vec();
        columns.push(key.to_string());
        columns.push(value.to_string());
        let mut records = Vec::new();
        for row in 0..self.len() {
            for c in first..self.columns.len() {
                let Some(cell) = self.get(row, c).filter(|v| !v.is_empty()) else { continue };
                let mut out: Vec<Option<String>> = (0..first).map(|f| self.get(row, f).map(str::to_string)).collect();
                out.push(Some(self.columns[c].clone()));
                out.push(Some(cell.to_string()));
                records.push(out);
            }
        }
        Ok(Chunk {
            source_columns: columns.clone(),
            columns,
            records: Records::Json(records),
            defaults: BTreeMap::new(),
            failed: self.failed,
            overrides: self.overrides,
            has_deleted: self.has_deleted,
        })
    }

    /// A row as column -> value (what the invalid-rows answer shows).
    pub fn row(&self, row: usize) -> Row {
        (0..self.columns.len()).filter_map(|c| Some((self.columns[c].clone(), self.get(row, c)?.to_string()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_chunks() {
        let chunk = parse("text/csv", b"Version,Date,Amount\npublic.Actual,202601,1.5\nx,y\n").unwrap();
        assert_eq!(chunk.len(), 1);
        assert_eq!(chunk.get(0, 2), Some("1.5"));
        assert_eq!(chunk.failed.len(), 1);
        let chunk =
            parse("application/json", br#"{"Data":[{"Version":"public.Actual","Amount":2},{"x":[1]},5]}"#).unwrap();
        assert_eq!(chunk.row(0)["Amount"], "2");
        assert_eq!(chunk.failed.len(), 2);
        assert!(parse("application/json", b"{}").is_err());
    }

    #[test]
    fn csv_keeps_its_delimiter_in_the_stored_content_type() {
        for d in [b';', b'\t', b'|', b','] {
            let body = format!("A{0}B\n1{0}2\n", d as char);
            let chunk = parse(&csv_content_type(d), body.as_bytes()).unwrap();
            assert_eq!((chunk.columns.len(), chunk.get(0, 1)), (2, Some("2")), "{}", d as char);
        }
    }

    #[test]
    fn mapping_renames_and_defaults_fill_gaps() {
        let mut chunk =
            parse("application/json", br#"{"Data":[{"V":"a","Amount":1},{"Amount":2,"Date":"x"}]}"#).unwrap();
        let settings: CreateJob =
            serde_json::from_str(r#"{"Mapping":{"Version":"V"},"DefaultValues":{"Date":"202601","Version":"d"}}"#)
                .unwrap();
        chunk.apply_mapping(&settings);
        assert_eq!(
            chunk.row(0),
            Row::from([
                ("Version".into(), "a".into()),
                ("Amount".into(), "1".into()),
                ("Date".into(), "202601".into())
            ])
        );
        assert_eq!(chunk.row(1)["Version"], "d");
        assert_eq!(chunk.row(1)["Date"], "x");
    }
}
