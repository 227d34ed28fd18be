//! `sacctl export`: rows of the Data Export API, as CSV or JSON Lines: a
//! model's fact data, a public dimension's members, a currency table's
//! rates or a standard unit table.

use std::path::PathBuf;

use sac_client::dataexport::{EntitySet, FactQuery, CURRENCY_TABLES, PUBLIC_DIMENSIONS};

use super::csv_out::{csv_out_for, csv_written};
use crate::cli::{ConnectionArgs, ExportFormat};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::export::{export_set, RowFormat};
use crate::output::Printer;

/// What is exported (clap makes sure exactly one is given).
#[derive(Debug)]
pub enum Target {
    Model(String),
    Dimension(String),
    CurrencyTable(String),
    UnitTable(String),
}

impl Target {
    pub fn of(
        model: Option<String>,
        dimension: Option<String>,
        currency_table: Option<String>,
        unit_table: Option<String>,
    ) -> Self {
        match (model, dimension, currency_table, unit_table) {
            (_, Some(d), _, _) => Target::Dimension(d),
            (_, _, Some(c), _) => Target::CurrencyTable(c),
            (_, _, _, Some(u)) => Target::UnitTable(u),
            (m, ..) => Target::Model(m.unwrap_or_default()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Target::Model(n) | Target::Dimension(n) | Target::CurrencyTable(n) | Target::UnitTable(n) => n,
        }
    }
}

/// The row format from `--format` and `--delimiter`; a delimiter must be
/// one ASCII character other than a quote or a line break, and only CSV has one.
fn row_format(format: ExportFormat, delimiter: Option<&str>) -> Result<RowFormat, Failure> {
    match (format, delimiter) {
        (ExportFormat::Jsonl, Some(_)) => {
            Err(Failure::usage("--delimiter is for CSV: leave it out with --format jsonl"))
        }
        (ExportFormat::Jsonl, None) => Ok(RowFormat::Jsonl),
        (ExportFormat::Csv, None) => Ok(RowFormat::Csv { delimiter: b',' }),
        (ExportFormat::Csv, Some(d)) => match d.as_bytes() {
            [b] if b.is_ascii() && !matches!(b, b'"' | b'\r' | b'\n') => Ok(RowFormat::Csv { delimiter: *b }),
            _ => Err(Failure::usage(format!(
                "--delimiter {d:?} is not one ASCII character (a quote or a line break cannot separate columns): \
                 give one, e.g. --delimiter ';' or --delimiter $'\\t'"
            ))),
        },
    }
}

pub async fn export(
    printer: Printer,
    connection: ConnectionArgs,
    target: Target,
    query: &FactQuery<'_>,
    (format, delimiter): (ExportFormat, Option<String>),
    out: Option<PathBuf>,
) -> Result<ExitStatus, Failure> {
    let format = row_format(format, delimiter.as_deref())?;
    csv_out_for(printer, out.as_deref())?;
    let (_, client) = connect(&connection)?;
    let export = client.data_export();
    let set = match &target {
        Target::Model(m) => EntitySet::facts(m),
        Target::Dimension(d) => EntitySet::public_dimension(&export.provider_id(PUBLIC_DIMENSIONS, d).await?),
        Target::CurrencyTable(c) => EntitySet::currency_table(&export.provider_id(CURRENCY_TABLES, c).await?),
        Target::UnitTable(u) => EntitySet::unit_table(u)
            .ok_or_else(|| Failure::usage(format!("--unit-table {u} is not a unit conversion table")))?,
    };
    let rows = export_set(&client, &set, query, out.as_deref(), format).await?;
    let name = target.name();
    match &out {
        Some(path) => {
            printer.note(&format!("{rows} rows of {name} written to {}", path.display()));
            csv_written(printer, path, rows);
        }
        None => printer.note(&format!("{rows} rows of {name}")),
    }
    Ok(ExitStatus::Success)
}
