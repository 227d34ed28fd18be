//! The job settings of a push beyond the import method (SAP's guide, Data
//! Import job settings, `fe6efb8a`): flags read and checked here, before
//! anything is sent, so that a wrong one is a usage error (exit 2) with
//! what to write instead.

use std::collections::BTreeMap;

use sac_client::dataimport::Conversion;
use sac_types::dataimport::PivotOptions;

use crate::failure::Failure;

/// The job settings and the file's delimiter, as flags give them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobFlags {
    /// `executeWithFailedRows`: `None` leaves SAC's default (true).
    pub execute_with_failed_rows: Option<bool>,
    pub pivot: Option<PivotOptions>,
    /// File column to its date format (`dateFormats`).
    pub date_formats: BTreeMap<String, String>,
    /// `reverseSignByAccountType`.
    pub reverse_sign: bool,
    /// The byte between the file's fields; `None` is a comma.
    pub delimiter: Option<u8>,
}

/// `--pivot START:KEY:VALUE`: the 1-based column where pivoted columns
/// start, the dimension their names are members of, the measure of their cells.
pub fn pivot(text: &str) -> Result<PivotOptions, Failure> {
    let wrong = |why: &str| {
        Failure::usage(format!(
            "--pivot {text:?}: {why}; write START:KEY:VALUE, e.g. --pivot 3:Date:Amount (columns 3 and after are \
             months of Date, each cell an Amount)"
        ))
    };
    let parts: Vec<&str> = text.split(':').map(str::trim).collect();
    let [start, key, value] = parts.as_slice() else {
        return Err(wrong("it needs three parts separated by ':'"));
    };
    let start: usize = start.parse().map_err(|_| wrong(&format!("START {start:?} is not a column number")))?;
    if start < 1 {
        return Err(wrong("START counts columns from 1"));
    }
    if key.is_empty() || value.is_empty() {
        return Err(wrong("KEY (the pivoted dimension) and VALUE (the measure) must not be empty"));
    }
    Ok(PivotOptions { pivot_column_start: start, pivot_key_name: key.to_string(), pivot_value_name: value.to_string() })
}

/// `--date-format COL=FMT` pairs: a format is made of the letters D, M, Y
/// (and Q, W) with `/ - . _` or spaces between them, as SAP's examples
/// (`DD/MM/YYYY`, `DDMMYYYY`, `MMYYYY`).
pub fn date_formats(pairs: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Failure> {
    for (column, format) in pairs {
        let allowed = |c: char| "DMYQW".contains(c.to_ascii_uppercase()) || "/-._ ".contains(c);
        if format.is_empty() || !format.chars().all(allowed) || !format.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(Failure::usage(format!(
                "--date-format {column}={format:?}: a format is made of DD, MM, YYYY (and Q, W) with / - . or \
                 spaces between, e.g. --date-format {column}=DD/MM/YYYY"
            )));
        }
    }
    Ok(pairs.clone())
}

/// `--delimiter`: one character, or `tab`.
pub fn delimiter(text: &str) -> Result<u8, Failure> {
    let byte = match text {
        "tab" | "TAB" | "\\t" | "\t" => b'\t',
        _ if text.len() == 1 => text.as_bytes()[0],
        _ => 0,
    };
    if byte == 0 || byte == b'"' || byte == b'\n' || byte == b'\r' || byte.is_ascii_alphanumeric() || !byte.is_ascii() {
        return Err(Failure::usage(format!(
            "--delimiter {text:?}: give one character that is not a letter, digit or quote (e.g. ';', '|') or `tab`"
        )));
    }
    Ok(byte)
}

/// The settings that SAP documents for some import types only (`fe6efb8a`):
/// date formats for factData, reversed signs for factData and
/// masterFactData; pivoting and delimiters are about CSV files.
pub fn check(flags: &JobFlags, import_type: &str, is_json: bool) -> Result<(), Failure> {
    if !flags.date_formats.is_empty() && import_type != "factData" {
        return Err(Failure::usage(format!(
            "--date-format is a setting of factData jobs only (SAP's job settings); this push is {import_type}"
        )));
    }
    if flags.reverse_sign && !matches!(import_type, "factData" | "masterFactData") {
        return Err(Failure::usage(format!(
            "--reverse-sign is a setting of factData and masterFactData jobs only; this push is {import_type}"
        )));
    }
    if is_json && (flags.pivot.is_some() || flags.delimiter.is_some()) {
        return Err(Failure::usage("--pivot and --delimiter are about CSV files; this file is JSON"));
    }
    Ok(())
}

/// `--clean-and-replace DIM,...` is CleanAndReplace with that scope: with
/// `--method` another method, or `--scope` too, the push would say two things.
pub fn clean_and_replace(
    dims: Vec<String>,
    method: Option<String>,
    scope: Vec<String>,
) -> Result<(Option<String>, Vec<String>), Failure> {
    if dims.is_empty() {
        return Ok((method, scope));
    }
    if method.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case("CleanAndReplace")) {
        return Err(Failure::usage(format!(
            "--clean-and-replace is the CleanAndReplace method; leave out --method {}",
            method.unwrap_or_default()
        )));
    }
    if !scope.is_empty() {
        return Err(Failure::usage("--clean-and-replace names the scope itself; leave out --scope"));
    }
    if dims.iter().any(|d| d.trim().is_empty()) {
        return Err(Failure::usage("--clean-and-replace DIM,...: a dimension name is empty"));
    }
    Ok((Some("CleanAndReplace".into()), dims.into_iter().map(|d| d.trim().to_string()).collect()))
}

/// What a conversion table takes (SAP's guide, pages 52, 67, 71): the
/// methods DeleteAndUpsert (the default) and, for currency tables,
/// DropAndInsert; no model settings (pivot, date formats, signs, a clean
/// scope); a currency job takes no other job setting, a unit job
/// executeWithFailedRows and ignoreAdditionalColumns too.
pub fn check_table(
    kind: Conversion,
    flags: &JobFlags,
    method: Option<&str>,
    scope: &[String],
    ignore_additional_columns: bool,
) -> Result<(), Failure> {
    let methods: &[&str] = match kind {
        Conversion::Currency => &["DeleteAndUpsert", "DropAndInsert"],
        Conversion::Unit => &["DeleteAndUpsert"],
    };
    if let Some(m) = method.filter(|m| !methods.contains(m)) {
        return Err(Failure::usage(format!("--method {m}: a {} takes {}", kind.what(), methods.join(" or "))));
    }
    let model_only = [
        ("--pivot", flags.pivot.is_some()),
        ("--date-format", !flags.date_formats.is_empty()),
        ("--reverse-sign", flags.reverse_sign),
        ("--scope or --clean-and-replace", !scope.is_empty()),
    ];
    let unit_only = [
        ("--[no-]execute-with-failed-rows", flags.execute_with_failed_rows.is_some()),
        ("--ignore-additional-columns", ignore_additional_columns),
    ];
    let refused = model_only
        .iter()
        .chain(unit_only.iter().filter(|_| kind == Conversion::Currency))
        .find(|(_, given)| *given)
        .map(|(flag, _)| *flag);
    match refused {
        Some(flag) => Err(Failure::usage(format!("{flag} is not a setting of a {} job", kind.what()))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails<T: std::fmt::Debug>(r: Result<T, Failure>, part: &str) {
        let e = r.expect_err("refused");
        assert_eq!(e.status, crate::exit::ExitStatus::Usage);
        assert!(format!("{:#}", e.error).contains(part), "{:#}", e.error);
    }

    #[test]
    fn pivot_reads_start_key_and_value() {
        let p = pivot("3:Date:Costs").unwrap();
        assert_eq!(
            (p.pivot_column_start, p.pivot_key_name.as_str(), p.pivot_value_name.as_str()),
            (3, "Date", "Costs")
        );
        fails(pivot("3:Date"), "three parts");
        fails(pivot("x:Date:Costs"), "not a column number");
        fails(pivot("0:Date:Costs"), "from 1");
        fails(pivot("3::Costs"), "must not be empty");
    }

    #[test]
    fn delimiters_and_date_formats() {
        assert_eq!(delimiter(";").unwrap(), b';');
        assert_eq!(delimiter("tab").unwrap(), b'\t');
        fails(delimiter("ab"), "one character");
        fails(delimiter("\""), "quote");
        let pairs = |f: &str| BTreeMap::from([("Day".to_string(), f.to_string())]);
        assert!(date_formats(&pairs("DD/MM/YYYY")).is_ok());
        assert!(date_formats(&pairs("MMYYYY")).is_ok());
        fails(date_formats(&pairs("%d.%m.%Y")), "DD/MM/YYYY");
        fails(date_formats(&pairs("")), "format");
    }

    #[test]
    fn settings_per_import_type_and_clean_and_replace() {
        let dated = JobFlags { date_formats: BTreeMap::from([("D".into(), "YYYYMM".into())]), ..Default::default() };
        assert!(check(&dated, "factData", false).is_ok());
        fails(check(&dated, "privateFactData", false), "factData jobs only");
        let signed = JobFlags { reverse_sign: true, ..Default::default() };
        assert!(check(&signed, "masterFactData", false).is_ok());
        fails(check(&signed, "publicDimensionData", false), "masterFactData");
        fails(check(&JobFlags { delimiter: Some(b';'), ..Default::default() }, "factData", true), "CSV");
        assert_eq!(
            clean_and_replace(vec!["Version".into(), " Date".into()], None, vec![]).unwrap(),
            (Some("CleanAndReplace".into()), vec!["Version".into(), "Date".into()])
        );
        fails(clean_and_replace(vec!["Date".into()], Some("Append".into()), vec![]), "leave out --method");
        fails(clean_and_replace(vec!["Date".into()], None, vec!["Part".into()]), "leave out --scope");
    }

    #[test]
    fn conversion_tables_take_their_methods_and_no_model_settings() {
        let none = JobFlags::default();
        assert!(check_table(Conversion::Currency, &none, Some("DropAndInsert"), &[], false).is_ok());
        fails(check_table(Conversion::Unit, &none, Some("DropAndInsert"), &[], false), "DeleteAndUpsert");
        fails(check_table(Conversion::Currency, &none, Some("Update"), &[], false), "DeleteAndUpsert or DropAndInsert");
        let pivot = JobFlags { pivot: Some(pivot("2:A:B").unwrap()), ..Default::default() };
        fails(check_table(Conversion::Unit, &pivot, None, &[], false), "--pivot is not a setting");
        let strict = JobFlags { execute_with_failed_rows: Some(false), ..Default::default() };
        assert!(check_table(Conversion::Unit, &strict, None, &[], true).is_ok());
        fails(check_table(Conversion::Currency, &strict, None, &[], false), "currency conversion table job");
    }
}
