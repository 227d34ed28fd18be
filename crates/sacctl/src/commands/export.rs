//! `sacctl export`: fact data through the Data Export API, as CSV.

use std::path::PathBuf;

use sac_client::dataexport::FactQuery;

use super::csv_out::{csv_out_for, csv_written};
use crate::cli::ConnectionArgs;
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::export::export as export_rows;
use crate::output::Printer;

pub async fn export(
    printer: Printer,
    connection: ConnectionArgs,
    model: String,
    query: &FactQuery<'_>,
    out: Option<PathBuf>,
) -> Result<ExitStatus, Failure> {
    csv_out_for(printer, out.as_deref())?;
    let (_, client) = connect(&connection)?;
    let rows = export_rows(&client, &model, query, out.as_deref()).await?;
    match &out {
        Some(path) => {
            printer.note(&format!("{rows} rows of {model} written to {}", path.display()));
            csv_written(printer, path, rows);
        }
        None => printer.note(&format!("{rows} rows of {model}")),
    }
    Ok(ExitStatus::Success)
}
