//! `sacctl export`'s options beyond a model's facts: the other Data Export
//! namespaces (public dimensions, currency and unit conversion tables) and
//! how rows are written.

use clap::{Args, ValueEnum};

/// What `sacctl export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

/// Another entity set than a model's facts, and the output's format.
#[derive(Debug, Args)]
pub struct ExportOther {
    /// A public dimension's members instead of a model's facts (ZEPPART_001 or t.G:ZEPPART_001).
    #[arg(long, conflicts_with_all = ["model", "currency_table", "unit_table"])]
    pub dimension: Option<String>,
    /// A currency conversion table's rates (CPL_CURRENCY_RATES or t.G:CPL_CURRENCY_RATES).
    #[arg(long, conflicts_with_all = ["model", "unit_table"])]
    pub currency_table: Option<String>,
    /// A standard unit conversion table, or the simplified StandardUnitConversion view.
    #[arg(long, conflicts_with = "model", value_parser = ["T006", "T006A", "T006D", "T006T", "StandardUnitConversion"])]
    pub unit_table: Option<String>,
    /// csv (a header, then one line per row) or jsonl (one JSON object per line, numbers as numbers).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// The CSV column separator, one ASCII character (default ",").
    #[arg(long)]
    pub delimiter: Option<String>,
}
