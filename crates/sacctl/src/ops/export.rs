//! Fact data through the Data Export API, as CSV.

use std::io::Write;

use sac_client::dataexport::FactQuery;
use serde_json::Value;

use crate::failure::Failure;

/// A cell: strings as they are, numbers without a useless `.0`.
fn cell(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Writes the rows of `model` as CSV to `out` (stdout when `None`); the
/// number of rows. Columns are `--select`'s, in its order, else the
/// model's columns in the model's order (from its `$metadata`).
pub async fn export(
    client: &sac_client::Client,
    model: &str,
    query: &FactQuery<'_>,
    out: Option<&std::path::Path>,
) -> Result<u64, Failure> {
    let columns: Vec<String> = match query.select {
        Some(s) => s.split(',').map(|c| c.trim().to_string()).collect(),
        None => client.data_export().fact_columns(model).await?,
    };
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut writer = csv::Writer::from_writer(sink);
    let io = |e: csv::Error| sac_client::Error::Config(format!("cannot write the CSV: {e}"));
    // The header goes with the first page: a refused query writes nothing.
    let mut header = Some(&columns);
    let rows = client
        .data_export()
        .fact_data(model, query, |page| {
            if let Some(columns) = header.take() {
                writer.write_record(columns).map_err(io)?;
            }
            for row in page {
                writer.write_record(columns.iter().map(|c| cell(row.get(c)))).map_err(io)?;
            }
            Ok(())
        })
        .await?;
    writer.flush().map_err(|e| Failure::usage(format!("cannot write the CSV: {e}")))?;
    Ok(rows)
}
