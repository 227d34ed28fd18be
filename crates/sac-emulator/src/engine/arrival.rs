//! Rows checked as they arrive (`POST /jobs/{id}`, SAP help d9dc1eb6): SAC
//! checks each row of an upload for its structure (no more columns than the
//! target has, unless `ignoreAdditionalColumns`), its keys (every dimension,
//! or the public dimension's ID, after DefaultValues and the `public.Actual`
//! default of Version) and its types (dates, numbers), answers with the rows
//! that failed and why, and stores only the valid ones. What needs master
//! data (members, versions) is left to validation.
//!
//! A chunk whose rows all passed and needed no rewriting is stored as it was
//! sent, with the Mapping and DefaultValues in force; otherwise its valid
//! rows are stored as CSV with every setting already applied.

use std::collections::BTreeMap;

use sac_types::dataimport::CreateJob;
use serde_json::{json, Value};

use super::conversion_jobs;
use super::import_jobs::Target;
use super::staging::{self, Chunk, Unreadable};
use crate::store::conversions::ConversionRow;
use crate::tenant::DimensionKind;

/// The Version a model row gets when it names none (SAP help d9dc1eb6).
pub const DEFAULT_VERSION: &str = "public.Actual";

/// What an upload leaves to store and to answer.
#[derive(Debug)]
pub struct Arrival {
    /// How the stored body is read again (`staging::parse`).
    pub content_type: String,
    /// Mapping and DefaultValues to apply to the stored body (JSON).
    pub mapping: String,
    pub body: Vec<u8>,
    /// Rows stored.
    pub kept: usize,
    /// Rows refused: `{row, reason}` each.
    pub failed: Vec<Value>,
    /// The request's `DeletedData` rows (conversion tables only).
    pub deleted: Option<Deleted>,
}

/// The rows to delete a request names (`DeletedData`, SAP help d9dc1eb6):
/// stored apart, as CSV, and deleted by key when the job is written.
#[derive(Debug)]
pub struct Deleted {
    pub body: Vec<u8>,
    pub kept: usize,
    pub failed: Vec<Value>,
}

impl Arrival {
    /// Rows of the request: stored and refused.
    pub fn in_request(&self) -> usize {
        self.kept + self.failed.len()
    }
}

/// Why a whole upload was refused.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Body(Unreadable),
    /// `pivotOptions` do not fit the CSV.
    Pivot(String),
    /// The Mapping and DefaultValues in force name columns the target does
    /// not have (the caller says which, as it does at job creation).
    UnknownColumns(CreateJob),
    /// `DeletedData` for a model or public dimension, which do not take it.
    DeletedDataNotTaken,
}

/// The settings in force for one chunk: the job's, with the chunk's own
/// Mapping and DefaultValues taking precedence, and Version defaulting to
/// `public.Actual` for a model.
pub fn chunk_settings(target: &Target<'_>, job: &CreateJob, chunk: &CreateJob) -> CreateJob {
    let mut mapping = job.mapping.clone();
    let mut defaults = job.default_values.clone();
    if chunk.mapping.is_some() {
        mapping = chunk.mapping.clone();
    }
    if chunk.default_values.is_some() {
        defaults = chunk.default_values.clone();
    }
    if let Target::Model(m) = target {
        if let Some(version) = m.dimensions.iter().find(|d| d.kind == DimensionKind::Version) {
            let values = defaults.get_or_insert_with(BTreeMap::new);
            values.entry(version.name.clone()).or_insert_with(|| DEFAULT_VERSION.to_string());
        }
    }
    CreateJob { mapping, default_values: defaults, job_settings: None }
}

/// Parses and checks one upload of a job into `target`.
pub fn check(
    target: &Target<'_>,
    settings: &CreateJob,
    content_type: &str,
    delimiter: u8,
    body: Vec<u8>,
) -> Result<Arrival, Refused> {
    let csv = staging::is_csv(content_type);
    let stored_type = if csv { staging::csv_content_type(delimiter) } else { "application/json".to_string() };
    let mut chunk = staging::parse(&stored_type, &body).map_err(Refused::Body)?;
    let job_settings = settings.job_settings.clone().unwrap_or_default();
    let mut rewrite = false;
    if let (true, Some(pivot)) = (csv, &job_settings.pivot_options) {
        chunk = chunk
            .unpivot(pivot.pivot_column_start, &pivot.pivot_key_name, &pivot.pivot_value_name)
            .map_err(Refused::Pivot)?;
        rewrite = true;
    }
    let in_force = chunk_settings(target, settings, &chunk.overrides.clone().unwrap_or_default());
    let columns = target.columns();
    if in_force.mapping.iter().flatten().any(|(to, _)| !columns.contains(to)) {
        return Err(Refused::UnknownColumns(in_force));
    }
    chunk.apply_mapping(&in_force);
    let rules = Rules::new(target, &chunk, &job_settings);
    rewrite |= rules.dates.iter().any(Option::is_some);
    let mut failed = std::mem::take(&mut chunk.failed);
    let mut keep = vec![true; chunk.len()];
    for (row, kept) in keep.iter_mut().enumerate() {
        let reasons = rules.check(&chunk, row);
        if !reasons.is_empty() {
            *kept = false;
            failed.push(json!({"row": chunk.sent(row), "reason": reasons.join(", ")}));
        }
    }
    let kept = keep.iter().filter(|k| **k).count();
    let deleted = match (chunk.has_deleted, target) {
        (false, _) => None,
        (true, Target::Conversion(_)) => deleted_rows(target, &job_settings, &in_force, &body)?,
        (true, _) => return Err(Refused::DeletedDataNotTaken),
    };
    if !rewrite && kept == chunk.len() && failed.is_empty() {
        let mapping = serde_json::to_string(&in_force).expect("settings serialize");
        return Ok(Arrival { content_type: stored_type, mapping, body, kept, failed, deleted });
    }
    let body = rules.to_csv(&chunk, &keep);
    Ok(Arrival { content_type: staging::csv_content_type(b','), mapping: "{}".into(), body, kept, failed, deleted })
}

/// The `DeletedData` rows of a body, checked by their keys, with the
/// request's Mapping and DefaultValues applied as to its Data.
fn deleted_rows(
    target: &Target<'_>,
    job_settings: &sac_types::dataimport::JobSettings,
    in_force: &CreateJob,
    body: &[u8],
) -> Result<Option<Deleted>, Refused> {
    let Some(mut chunk) = staging::parse_deleted(body).map_err(Refused::Body)? else { return Ok(None) };
    chunk.apply_mapping(in_force);
    let rules = Rules::new(target, &chunk, job_settings);
    let mut failed = std::mem::take(&mut chunk.failed);
    let mut keep = vec![true; chunk.len()];
    for (row, kept) in keep.iter_mut().enumerate() {
        if let Some(reason) = rules.check_deleted(&chunk, row) {
            *kept = false;
            failed.push(json!({"row": chunk.sent(row), "reason": reason}));
        }
    }
    let kept = keep.iter().filter(|k| **k).count();
    Ok(Some(Deleted { body: rules.to_csv(&chunk, &keep), kept, failed }))
}

/// The checks of one chunk, resolved against its columns.
struct Rules<'t> {
    target: &'t Target<'t>,
    ignore_additional: bool,
    /// Per target column: where it stands in the chunk.
    at: Vec<Option<usize>>,
    /// Per target column: the date format to read it with.
    dates: Vec<Option<String>>,
    /// Chunk columns that are not the target's.
    extras: Vec<usize>,
    columns: Vec<String>,
}

impl<'t> Rules<'t> {
    fn new(target: &'t Target<'t>, chunk: &Chunk, settings: &sac_types::dataimport::JobSettings) -> Self {
        let columns = target.columns();
        let at: Vec<Option<usize>> = columns.iter().map(|c| chunk.columns.iter().position(|x| x == c)).collect();
        let extras = (0..chunk.columns.len()).filter(|i| !columns.contains(&chunk.columns[*i])).collect();
        let formats = settings.date_formats.clone().unwrap_or_default();
        let dates = columns
            .iter()
            .zip(&at)
            .map(|(name, c)| {
                let source = c.map(|c| chunk.source_column(c)).unwrap_or_default();
                formats.get(name).or_else(|| formats.get(source)).cloned()
            })
            .collect();
        Rules {
            target,
            ignore_additional: settings.ignore_additional_columns.unwrap_or(false),
            at,
            dates,
            extras,
            columns,
        }
    }

    /// The value of target column `i` in `row`, dates in the model's form.
    /// A date that does not fit its format comes back marked with a leading
    /// NUL, so that it fails the month check (such rows are never stored).
    fn value<'c>(&self, chunk: &'c Chunk, row: usize, i: usize) -> Option<std::borrow::Cow<'c, str>> {
        let raw = chunk.get(row, self.at[i]?)?;
        match &self.dates[i] {
            Some(format) if !raw.is_empty() => {
                Some(read_date(raw, format).map_or(std::borrow::Cow::Owned(format!("\u{0}{raw}")), Into::into))
            }
            _ => Some(raw.into()),
        }
    }

    /// Why `row` cannot be stored (empty when it can).
    fn check(&self, chunk: &Chunk, row: usize) -> Vec<String> {
        let mut reasons = Vec::new();
        if !self.ignore_additional && self.extras.iter().any(|c| chunk.get(row, *c).is_some()) {
            reasons.push("Row has more column(s) than expected".to_string());
        }
        let present = |i: usize| self.value(chunk, row, i).filter(|v| !v.is_empty());
        match self.target {
            Target::Dimension(d) => {
                let key = self.columns.iter().position(|c| c == d.key_attribute()).and_then(present);
                match key {
                    None => reasons.push(format!("Row is missing values for primary key(s) - {}", d.key_attribute())),
                    Some(v) if v.contains(char::is_whitespace) => {
                        reasons.push(format!("Invalid column value for: {}", d.key_attribute()))
                    }
                    Some(_) => {}
                }
                if let Some(i) = self.columns.iter().position(|c| c == NUMERIC_SHIFT) {
                    if present(i).is_some_and(|v| !NUMERIC_SHIFTS.contains(&v.as_ref())) {
                        reasons.push(format!("Invalid column value for: {NUMERIC_SHIFT}"));
                    }
                }
            }
            Target::Conversion(table) => {
                if let Err(problem) = table.check_row(&self.conversion_row(chunk, row, false), false) {
                    reasons.push(conversion_jobs::reason(&problem));
                }
            }
            Target::Model(m) => {
                let missing: Vec<&str> = m
                    .dimensions
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| present(*i).is_none())
                    .map(|(_, d)| d.name.as_str())
                    .collect();
                if !missing.is_empty() {
                    reasons.push(format!("Row is missing values for primary key(s) - {}", missing.join(", ")));
                }
                for (i, d) in m.dimensions.iter().enumerate() {
                    if d.kind == DimensionKind::Date && present(i).is_some_and(|v| !valid_month(&v)) {
                        reasons.push(format!("Invalid column value for: {}", d.name));
                    }
                }
                let dims = m.dimensions.len();
                if (0..m.measures.len()).all(|j| present(dims + j).is_none()) {
                    reasons.push(format!("Row is missing values for measure(s) - {}", m.measures.join(", ")));
                }
                for (j, name) in m.measures.iter().enumerate() {
                    if present(dims + j).is_some_and(|v| v.parse::<f64>().map(|f| !f.is_finite()).unwrap_or(true)) {
                        reasons.push(format!("Invalid column value for: {name}"));
                    }
                }
            }
        }
        reasons
    }

    /// A row of a conversion table job as its table checks it: the target
    /// columns the row has (only the keys with `keys_only`).
    fn conversion_row(&self, chunk: &Chunk, row: usize, keys_only: bool) -> ConversionRow {
        let Target::Conversion(table) = self.target else { return ConversionRow::new() };
        let keys: Vec<&str> = table.columns().iter().filter(|c| c.key).flat_map(|c| [c.name, c.import_name]).collect();
        (0..self.columns.len())
            .filter(|i| !keys_only || keys.contains(&self.columns[*i].as_str()))
            .filter_map(|i| Some((self.columns[i].clone(), Value::String(self.value(chunk, row, i)?.into_owned()))))
            .collect()
    }

    /// Why a row of `DeletedData` cannot be stored: only its keys count.
    fn check_deleted(&self, chunk: &Chunk, row: usize) -> Option<String> {
        let Target::Conversion(table) = self.target else { return None };
        table.check_row(&self.conversion_row(chunk, row, true), false).err().map(|p| conversion_jobs::reason(&p))
    }

    /// The rows to keep as CSV: the target's columns the chunk has, every
    /// setting applied (the stored body needs no mapping any more).
    fn to_csv(&self, chunk: &Chunk, keep: &[bool]) -> Vec<u8> {
        let present: Vec<usize> = (0..self.columns.len()).filter(|i| self.at[*i].is_some()).collect();
        let mut out = csv::Writer::from_writer(Vec::with_capacity(64 * keep.len()));
        let header: Vec<&str> = present.iter().map(|i| self.columns[*i].as_str()).collect();
        out.write_record(&header).expect("CSV into memory");
        let mut record: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(present.len());
        for row in (0..chunk.len()).filter(|r| keep[*r]) {
            record.clear();
            record.extend(present.iter().map(|i| self.value(chunk, row, *i).unwrap_or_default()));
            out.write_record(record.iter().map(|v| v.as_bytes())).expect("CSV into memory");
        }
        out.into_inner().expect("CSV into memory")
    }
}

/// The attribute of an account dimension that holds its scale as a number
/// (SAP help d9dc1eb6: 0 none, 2 percent, -3 thousand, -6 million, -9 billion).
pub const NUMERIC_SHIFT: &str = "numericShift";
const NUMERIC_SHIFTS: [&str; 5] = ["0", "2", "-3", "-6", "-9"];

/// A month as the model keeps it: `YYYYMM`.
pub fn valid_month(value: &str) -> bool {
    value.len() == 6
        && value.chars().all(|c| c.is_ascii_digit())
        && (1900..=2100).contains(&value[..4].parse::<u32>().unwrap_or(0))
        && (1..=12).contains(&value[4..].parse::<u32>().unwrap_or(0))
}

/// A date written as `format` says (`DD`, `MM`, `YYYY`, `YY`; other
/// characters stand for themselves), as the model's month `YYYYMM`; `None`
/// when it does not fit the format (job setting `dateFormats`, SAP help
/// fe6efb8a).
pub fn read_date(value: &str, format: &str) -> Option<String> {
    let (v, f) = (value.as_bytes(), format.to_ascii_uppercase().into_bytes());
    let (mut vi, mut fi) = (0, 0);
    // Year, month, day.
    let mut parts: [Option<u32>; 3] = [None; 3];
    while fi < f.len() {
        let rest = &f[fi..];
        let (n, slot, offset) = if rest.starts_with(b"YYYY") {
            (4, 0, 0)
        } else if rest.starts_with(b"YY") {
            (2, 0, 2000)
        } else if rest.starts_with(b"MM") {
            (2, 1, 0)
        } else if rest.starts_with(b"DD") {
            (2, 2, 0)
        } else {
            if v.get(vi) != Some(&f[fi]) {
                return None;
            }
            vi += 1;
            fi += 1;
            continue;
        };
        let part = v.get(vi..vi + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        parts[slot] = Some(std::str::from_utf8(part).ok()?.parse::<u32>().ok()? + offset);
        vi += n;
        fi += n;
    }
    let [year, month, day] = parts;
    let text = format!("{:04}{:02}", year?, month?);
    let day_fits = day.is_none_or(|d| (1..=31).contains(&d));
    (vi == v.len() && day_fits && valid_month(&text)).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert!(valid_month("202601"));
        assert!(!valid_month("202613"));
        assert!(!valid_month("A02301"));
        assert!(!valid_month("2026-01"));
    }

    #[test]
    fn numeric_shift_takes_only_the_documented_scales() {
        let accounts = crate::tenant::Dimension {
            id: "ACCOUNTS".into(),
            description: String::new(),
            attributes: vec!["ID".into(), "accType".into(), NUMERIC_SHIFT.into()],
            members: vec![],
            hierarchies: vec![],
        };
        let body = br#"{"Data":[{"ID":"A1","numericShift":-3},{"ID":"A2","numericShift":"Thousand"},{"ID":"A3"}]}"#;
        let arrival =
            check(&Target::Dimension(&accounts), &CreateJob::default(), "application/json", b',', body.to_vec())
                .unwrap();
        assert_eq!(arrival.kept, 2, "-3 and no scale at all");
        assert_eq!(arrival.failed.len(), 1);
        assert_eq!(arrival.failed[0]["row"]["ID"], "A2");
        assert_eq!(arrival.failed[0]["reason"], "Invalid column value for: numericShift");
    }

    #[test]
    fn dates_in_the_formats_a_job_names() {
        assert_eq!(read_date("23/05/2026", "DD/MM/YYYY").as_deref(), Some("202605"));
        assert_eq!(read_date("05232026", "MMDDYYYY").as_deref(), Some("202605"));
        assert_eq!(read_date("2026-05", "YYYY-MM").as_deref(), Some("202605"));
        assert_eq!(read_date("23.05.26", "dd.mm.yy").as_deref(), Some("202605"));
        assert_eq!(read_date("23/13/2026", "DD/MM/YYYY"), None);
        assert_eq!(read_date("23/05/2026x", "DD/MM/YYYY"), None);
        assert_eq!(read_date("2026", "YYYY"), None, "no month");
    }
}
