//! Data Import jobs into currency and unit conversion tables (guide pages
//! 65-74; the tables and their write API are `store::conversions`): which
//! tables take imports under which import type and method, and a row's
//! reason for being refused.

use sac_types::dataimport::CreateJob;

use crate::store::conversions::{ConversionTable, ConversionWrite, RowProblem, UnitTable};
use crate::tenant::Tenant;

/// The import type of a currency conversion table (SAP help 69987b8c).
pub const CURRENCY_IMPORT_TYPE: &str = "currencyTable";

/// The unit tables the Data Import API lists, with their import types:
/// the guide's list (193e547f) shows T006 and T006A, its samples name their
/// import types (d9dc1eb6: "T006 - conversionRates", "T006A -
/// unitDescriptions"). T006D and T006T are not listed (assumption: SAC
/// fills T006D itself when a T006 unit names a new group).
pub const UNIT_TABLES: [(UnitTable, &str); 2] =
    [(UnitTable::T006, "conversionRates"), (UnitTable::T006A, "unitDescriptions")];

/// The import methods of currency tables (default first; SAP help fe6efb8a, 5b7149de).
pub const CURRENCY_METHODS: [&str; 2] = ["DeleteAndUpsert", "DropAndInsert"];
/// The import methods of unit tables (SAP help 2f0cc22a lists one).
pub const UNIT_METHODS: [&str; 1] = ["DeleteAndUpsert"];

/// The currency table `id` names (`t.G:ID` or bare), if the tenant has it.
pub fn currency_table(tenant: &Tenant, id: &str) -> Option<ConversionTable> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    tenant.currency_tables.iter().find(|c| c.id == bare).map(|c| ConversionTable::Currency(c.id.clone()))
}

/// The unit table `id` names, if the Data Import API takes imports into it.
pub fn unit_table(id: &str) -> Option<ConversionTable> {
    UNIT_TABLES.iter().find(|(t, _)| t.id() == id).map(|(t, _)| ConversionTable::Unit(*t))
}

/// The id a job names its table by.
pub fn table_id(table: &ConversionTable) -> &str {
    match table {
        ConversionTable::Currency(id) => id,
        ConversionTable::Unit(t) => t.id(),
    }
}

/// The one import type a table takes.
pub fn import_type(table: &ConversionTable) -> &'static str {
    match table {
        ConversionTable::Currency(_) => CURRENCY_IMPORT_TYPE,
        ConversionTable::Unit(t) => UNIT_TABLES.iter().find(|(u, _)| u == t).map_or("", |(_, name)| name),
    }
}

/// The import methods a table takes, its default first.
pub fn methods(table: &ConversionTable) -> &'static [&'static str] {
    match table {
        ConversionTable::Currency(_) => &CURRENCY_METHODS,
        ConversionTable::Unit(_) => &UNIT_METHODS,
    }
}

/// The columns a body may name: each column's import name, and its export
/// name where that differs (the currency table's `validFrom`).
pub fn columns(table: &ConversionTable) -> Vec<String> {
    let mut names: Vec<String> = table.columns().iter().map(|c| c.import_name.to_string()).collect();
    names.extend(table.columns().iter().filter(|c| c.name != c.import_name).map(|c| c.name.to_string()));
    names
}

/// How a job writes its table.
pub fn write_mode(settings: &CreateJob) -> ConversionWrite {
    match settings.job_settings.as_ref().and_then(|s| s.import_method.as_deref()) {
        Some("DropAndInsert") => ConversionWrite::DropAndInsert,
        _ => ConversionWrite::DeleteAndUpsert,
    }
}

/// A refused row's reason, in the words of SAP's upload sample (d9dc1eb6).
pub fn reason(problem: &RowProblem) -> String {
    match problem {
        RowProblem::MissingKey(column) => format!("Row is missing values for primary key(s) - {column}"),
        RowProblem::UnknownColumn(_) => "Row has more column(s) than expected".to_string(),
        RowProblem::NotANumber { column, .. }
        | RowProblem::NotADate { column, .. }
        | RowProblem::TooLong { column, .. } => format!("Invalid column value for: {column}"),
    }
}
