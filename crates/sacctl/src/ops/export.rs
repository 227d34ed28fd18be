//! Rows of a Data Export entity set (a model's facts, a public dimension,
//! a currency or unit conversion table) as CSV or JSON Lines.

use std::io::Write;

use sac_client::dataexport::{EntitySet, FactQuery};
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

/// How the rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowFormat {
    /// A header, then one line per row, separated by this byte.
    Csv { delimiter: u8 },
    /// One JSON object per line, values typed as SAC sent them (numbers
    /// stay numbers), for loaders that want types.
    Jsonl,
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
    export_set(client, &EntitySet::facts(model), query, out, RowFormat::Csv { delimiter: b',' }).await
}

/// Writes the rows of `set` to `out` (stdout when `None`) in `format`;
/// the number of rows. CSV columns are `--select`'s, in its order, else
/// the set's columns in their `$metadata` order. Nothing is written when
/// SAC refuses the query.
pub async fn export_set(
    client: &sac_client::Client,
    set: &EntitySet,
    query: &FactQuery<'_>,
    out: Option<&std::path::Path>,
    format: RowFormat,
) -> Result<u64, Failure> {
    let columns: Vec<String> = match query.select {
        Some(s) => s.split(',').map(|c| c.trim().to_string()).collect(),
        None => client.data_export().columns(set).await?,
    };
    let sink: Box<dyn Write + Send> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let rows = match format {
        RowFormat::Csv { delimiter } => {
            let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(sink);
            let io = |e: csv::Error| {
                if let csv::ErrorKind::Io(io) = e.kind() {
                    crate::output::exit_if_reader_gone(io);
                }
                sac_client::Error::Config(format!("cannot write the CSV: {e}"))
            };
            // The header goes with the first page: a refused query writes nothing.
            let mut header = Some(&columns);
            let rows = client
                .data_export()
                .rows(set, query, |page| {
                    if let Some(columns) = header.take() {
                        writer.write_record(columns).map_err(io)?;
                    }
                    for row in page {
                        writer.write_record(columns.iter().map(|c| cell(row.get(c)))).map_err(io)?;
                    }
                    Ok(())
                })
                .await?;
            writer.flush().map_err(|e| {
                crate::output::exit_if_reader_gone(&e);
                Failure::usage(format!("cannot write the CSV: {e}"))
            })?;
            rows
        }
        RowFormat::Jsonl => {
            let mut sink = sink;
            let io = |e: std::io::Error| {
                crate::output::exit_if_reader_gone(&e);
                sac_client::Error::Config(format!("cannot write the JSON lines: {e}"))
            };
            let rows = client
                .data_export()
                .rows(set, query, |page| {
                    for row in page {
                        // The columns in their order, each as SAC typed it.
                        let ordered: Vec<String> = columns
                            .iter()
                            .filter_map(|c| row.get(c).map(|v| format!("{}:{v}", Value::String(c.clone()))))
                            .collect();
                        writeln!(sink, "{{{}}}", ordered.join(",")).map_err(io)?;
                    }
                    Ok(())
                })
                .await?;
            sink.flush().map_err(|e| {
                crate::output::exit_if_reader_gone(&e);
                Failure::usage(format!("cannot write the JSON lines: {e}"))
            })?;
            rows
        }
    };
    Ok(rows)
}
