//! `sacctl export`: fact data through the Data Export API, as CSV.

use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;

use super::{connect, csv_out_for, csv_written};
use crate::cli::ConnectionArgs;
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::Failure;

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

pub async fn export(
    printer: Printer,
    connection: ConnectionArgs,
    model: String,
    filter: Option<String>,
    select: Option<String>,
    out: Option<PathBuf>,
) -> Result<ExitStatus, Failure> {
    csv_out_for(printer, out.as_deref())?;
    let (_, client) = connect(&connection)?;
    let rows = export_rows(&client, &model, filter.as_deref(), select.as_deref(), out.as_deref()).await?;
    match &out {
        Some(path) => {
            printer.note(&format!("{rows} rows of {model} written to {}", path.display()));
            csv_written(printer, path, rows);
        }
        None => printer.note(&format!("{rows} rows of {model}")),
    }
    Ok(ExitStatus::Success)
}

/// Writes the rows of `model` as CSV to `out` (stdout when `None`); the number of rows.
pub(crate) async fn export_rows(
    client: &sac_client::Client,
    model: &str,
    filter: Option<&str>,
    select: Option<&str>,
    out: Option<&std::path::Path>,
) -> Result<u64, Failure> {
    let sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let mut writer = csv::Writer::from_writer(sink);
    let mut columns: Option<Vec<String>> = select.map(|s| s.split(',').map(|c| c.trim().to_string()).collect());
    let mut header_written = false;
    let io = |e: csv::Error| sac_client::Error::Config(format!("cannot write the CSV: {e}"));
    let rows = client
        .data_export()
        .fact_data(model, filter, select, |page| {
            for row in page {
                let columns = columns.get_or_insert_with(|| row.keys().cloned().collect());
                if !header_written {
                    writer.write_record(columns.iter()).map_err(io)?;
                    header_written = true;
                }
                writer.write_record(columns.iter().map(|c| cell(row.get(c)))).map_err(io)?;
            }
            Ok(())
        })
        .await?;
    writer.flush().map_err(|e| Failure::usage(format!("cannot write the CSV: {e}")))?;
    Ok(rows as u64)
}
