//! Chunks of rows as the Data Import API receives them: JSON
//! `{"Data":[{...}]}` or CSV with a header row.
//!
//! A chunk is stored as it was sent and parsed again when the job is
//! validated and written; this module is the one parser all three steps
//! share, so each step sees the same rows in the same order. Parsing a CSV
//! chunk costs one allocation per row (a `csv::StringRecord`), not one per
//! value.

use std::collections::BTreeMap;

use csv::StringRecord;
use sac_types::dataimport::{CreateJob, REJECTION_REASON};
use serde_json::{json, Value};

use crate::tenant::Row;

enum Records {
    /// Every row carries every column.
    Csv(Vec<StringRecord>),
    /// A row may lack columns (a key absent or `null`).
    Json(Vec<Vec<Option<String>>>),
}

/// The rows of one chunk.
pub struct Chunk {
    /// Column names, after the job's Mapping renamed them.
    pub columns: Vec<String>,
    records: Records,
    /// Values for columns a row lacks (DefaultValues), by column index.
    defaults: BTreeMap<usize, String>,
    /// Rows that could not be read at all, as the upload answer lists them
    /// (they are not staged).
    pub failed: Vec<Value>,
    /// Mapping and DefaultValues sent with a JSON chunk.
    pub overrides: Option<CreateJob>,
}

/// Parses a chunk; `Err` says why the whole body cannot be read.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Chunk, String> {
    if content_type.starts_with("text/csv") {
        return parse_csv(body);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| format!("Invalid request body: {e}"))?;
    let data = value.get("Data").and_then(Value::as_array).ok_or("The body must be {\"Data\":[{...}]} or text/csv")?;
    let mut columns: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = Vec::with_capacity(data.len());
    let mut failed = Vec::new();
    for item in data {
        let Some(object) = item.as_object() else {
            failed.push(json!({"row": item, REJECTION_REASON: "A row must be a JSON object"}));
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
            Some(column) => {
                failed.push(json!({"row": item, REJECTION_REASON: format!("Invalid column value for: {column}")}))
            }
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
    let overrides: CreateJob = serde_json::from_value(value).unwrap_or_default();
    Ok(Chunk {
        columns,
        records: Records::Json(records),
        defaults: BTreeMap::new(),
        failed,
        overrides: Some(overrides),
    })
}

fn parse_csv(body: &[u8]) -> Result<Chunk, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(body);
    let headers = reader.headers().map_err(|e| format!("Invalid CSV: {e}"))?.clone();
    let mut records = Vec::new();
    let mut failed = Vec::new();
    let mut record = StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if record.len() == headers.len() => records.push(record.clone()),
            Ok(true) => failed
                .push(json!({"row": record.iter().collect::<Vec<_>>(), REJECTION_REASON: "Wrong number of columns"})),
            Err(e) => return Err(format!("Invalid CSV: {e}")),
        }
    }
    Ok(Chunk {
        columns: headers.iter().map(str::to_string).collect(),
        records: Records::Csv(records),
        defaults: BTreeMap::new(),
        failed,
        overrides: None,
    })
}

impl Chunk {
    /// Rows staged from this chunk.
    pub fn len(&self) -> usize {
        match &self.records {
            Records::Csv(r) => r.len(),
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
            Records::Csv(r) => r[row].get(col),
            Records::Json(r) => r[row].get(col).and_then(Option::as_deref),
        };
        value.or_else(|| self.defaults.get(&col).map(String::as_str))
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
