//! The rows of a push: a JSON file as CSV, the key columns that tell
//! repeated keys, and the rejected rows as CSV.

use std::collections::BTreeMap;
use std::path::Path;

use sac_client::dataimport::rejects_csv;
use serde_json::Value;

use crate::exit::ExitStatus;
use crate::failure::Failure;

/// The rows of a JSON file (`{"Data":[...]}` or `[...]`) as CSV text.
pub fn json_to_csv(text: &str, file: &str) -> Result<Vec<u8>, Failure> {
    let bad = |line: usize, column: usize, message: String| {
        Failure::from(sac_client::Error::DataFile {
            file: file.into(),
            line: line as u64,
            column: column as u64,
            message,
        })
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| bad(e.line(), e.column(), format!("not valid JSON: {e}")))?;
    let rows = value
        .get("Data")
        .cloned()
        .unwrap_or(value)
        .as_array()
        .cloned()
        .ok_or_else(|| bad(1, 1, "the file must hold {\"Data\":[{...}]} or [{...}]".into()))?;
    let mut columns: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let object = row.as_object().ok_or_else(|| bad(1, 1, format!("row {} is not an object", i + 1)))?;
        for k in object.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Failure::usage(e.to_string());
    writer.write_record(&columns).map_err(io)?;
    for row in &rows {
        let record: Vec<String> = columns
            .iter()
            .map(|c| match row.get(c) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&record).map_err(io)?;
    }
    writer.into_inner().map_err(|e| Failure::usage(e.to_string()))
}

/// The file columns that form a row's key in the model: the model's key
/// columns, through the mapping. Empty (no counting) when the model's
/// metadata cannot be read; the push goes on without it.
pub async fn key_columns(
    client: &sac_client::Client,
    model: &str,
    import_type: &str,
    mapping: Option<&BTreeMap<String, String>>,
) -> Vec<String> {
    if import_type == "publicDimensionData" {
        return Vec::new();
    }
    let metadata = match client.data_import().metadata(model).await {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(error = %e, "no model metadata: rows repeating a key are not counted");
            return Vec::new();
        }
    };
    let columns = metadata[import_type]["columns"].as_array().cloned().unwrap_or_default();
    columns
        .iter()
        .filter(|c| c["isKey"].as_bool().unwrap_or(false))
        .filter_map(|c| c["columnName"].as_str())
        .map(|target| mapping.and_then(|m| m.get(target)).cloned().unwrap_or_else(|| target.to_string()))
        .collect()
}

/// The rows of a `--deleted-data` file: JSON (`{"DeletedData":[...]}`,
/// `{"Data":[...]}` or `[...]`) by its extension, else CSV with `delimiter`
/// (every value a string, as SAP's examples send them, `d9dc1eb6`).
pub fn deleted_rows(path: &Path, delimiter: u8) -> Result<Vec<Value>, Failure> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    let bad = |line: u64, message: String| {
        Failure::from(sac_client::Error::DataFile { file: name.clone(), line, column: 1, message })
    };
    let rows: Vec<Value> = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        let value: Value =
            serde_json::from_str(&text).map_err(|e| bad(e.line() as u64, format!("not valid JSON: {e}")))?;
        let list = value.get("DeletedData").or_else(|| value.get("Data")).cloned().unwrap_or(value);
        list.as_array()
            .cloned()
            .ok_or_else(|| bad(1, "the file must hold {\"DeletedData\":[{...}]} or [{...}]".into()))?
    } else {
        let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).from_reader(text.as_bytes());
        let header = reader.headers().map_err(|e| bad(1, format!("the CSV is malformed: {e}")))?.clone();
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| bad(i as u64 + 2, format!("the CSV is malformed: {e}")))?;
            let row: serde_json::Map<String, Value> =
                header.iter().zip(record.iter()).map(|(k, v)| (k.to_string(), Value::from(v))).collect();
            rows.push(Value::Object(row));
        }
        rows
    };
    if let Some(i) = rows.iter().position(|r| !r.is_object()) {
        return Err(bad(1, format!("row {} to delete is not an object", i + 1)));
    }
    if rows.is_empty() {
        return Err(bad(1, "there are no rows to delete".into()));
    }
    Ok(rows)
}

/// Writes the rejected rows (their columns, then `_REJECTION_REASON`) to
/// `out`, or stdout; the note for people when they went to a file.
pub fn write_rejects(rows: &sac_types::dataimport::InvalidRows, out: Option<&Path>) -> Result<Option<String>, Failure> {
    let io =
        |e: std::io::Error| Failure::new(ExitStatus::Usage, anyhow::anyhow!("cannot write the rejected rows: {e}"));
    match out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(io)?;
            rejects_csv(rows, std::io::BufWriter::new(file)).map_err(io)?;
            Ok(Some(format!("{} rejected rows written to {}", rows.failed_rows.len(), path.display())))
        }
        None => {
            rejects_csv(rows, std::io::stdout().lock()).map_err(io)?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_rows_read_from_csv_or_json() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("gone.csv");
        std::fs::write(&csv, "fromCurr;toCurr;validFromDate\nCAD;EUR;20221231\n").unwrap();
        let rows = deleted_rows(&csv, b';').unwrap();
        assert_eq!(rows, vec![serde_json::json!({"fromCurr": "CAD", "toCurr": "EUR", "validFromDate": "20221231"})]);
        let json = dir.path().join("gone.json");
        std::fs::write(&json, r#"{"DeletedData":[{"MSEHI":"XYZ"}]}"#).unwrap();
        assert_eq!(deleted_rows(&json, b',').unwrap()[0]["MSEHI"], "XYZ");
        std::fs::write(&json, "[]").unwrap();
        assert!(deleted_rows(&json, b',').is_err(), "no rows to delete");
        std::fs::write(&json, "[1]").unwrap();
        assert!(deleted_rows(&json, b',').is_err(), "not an object");
    }
}
