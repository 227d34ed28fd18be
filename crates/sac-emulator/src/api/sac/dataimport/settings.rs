//! The job settings of SAP's page "api/v1/dataimport" (hash fe6efb8a):
//! which import types take each one, what `GET /models/{id}` advertises, and
//! the refusal of a setting an import type does not take.

use sac_types::dataimport::{errors, CreateJob, JobSettings};
use serde_json::{json, Value};

use crate::api::error::ApiError;
use crate::engine::arrival::read_date;
use crate::engine::conversion_jobs;
use crate::engine::import_jobs::Target;
use crate::tenant::DimensionKind;

/// The import methods of models and public dimensions; `Update` is the default.
const MODEL_METHODS: [&str; 3] = ["Update", "Append", "CleanAndReplace"];

/// Whether `import_type` takes the setting `name`. The guide limits
/// `dateFormats` to factData and `reverseSignByAccountType` to factData and
/// masterFactData; it names no limit for the others, which every type takes
/// (`pivotOptions` only where rows go to a fact table: assumption).
pub(super) fn allows(import_type: &str, name: &str) -> bool {
    match name {
        // Conversion tables take only the settings their detail lists (2f0cc22a).
        _ if import_type == conversion_jobs::CURRENCY_IMPORT_TYPE
            || conversion_jobs::UNIT_TABLES.iter().any(|(_, t)| *t == import_type) =>
        {
            false
        }
        "dateFormats" => import_type == "factData",
        "reverseSignByAccountType" => matches!(import_type, "factData" | "masterFactData"),
        "pivotOptions" => matches!(import_type, "factData" | "privateFactData" | "masterFactData"),
        _ => true,
    }
}

/// The settings a job of `import_type` into `target` takes, with the values
/// each may have (the `availableJobSettings` of `GET /models/{id}`).
pub(super) fn available(target: &Target<'_>, import_type: &str) -> Value {
    let dimensions: Vec<String> = match target {
        Target::Model(m) => m.dimensions.iter().map(|d| d.name.clone()).collect(),
        Target::Dimension(d) => d.attributes.clone(),
        // SAP help 2f0cc22a: the unit table's settings.
        Target::Conversion(t) => {
            return json!({
                "importMethod": conversion_jobs::methods(t),
                "executeWithFailedRows": [true, false],
                "ignoreAdditionalColumns": [true, false],
            })
        }
    };
    let mut settings = json!({
        "importMethod": MODEL_METHODS,
        "dimensionScope": dimensions,
        "executeWithFailedRows": [true, false],
        "ignoreAdditionalColumns": [true, false],
    });
    if let Target::Model(m) = target {
        let dates: Vec<&str> =
            m.dimensions.iter().filter(|d| d.kind == DimensionKind::Date).map(|d| d.name.as_str()).collect();
        for (name, value) in [
            ("dateFormats", json!(dates)),
            ("reverseSignByAccountType", json!([true, false])),
            ("pivotOptions", json!(["pivotColumnStart", "pivotKeyName", "pivotValueName"])),
        ] {
            if allows(import_type, name) {
                settings[name] = value;
            }
        }
    }
    settings
}

/// The names of the settings a job creation gave.
fn given(s: &JobSettings) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (name, set) in [
        ("dateFormats", s.date_formats.is_some()),
        ("reverseSignByAccountType", s.reverse_sign_by_account_type.is_some()),
        ("pivotOptions", s.pivot_options.is_some()),
    ] {
        if set {
            names.push(name);
        }
    }
    names
}

/// SAC's refusal of settings a job of `import_type` into `target` cannot
/// have: a setting its type does not take, an import method it does not
/// have, a pivot or date format that cannot be read. 1006 ("request body is
/// incorrect") for each (assumption: the guide names no code), 1004 for a
/// pivot column the target does not have.
pub(super) fn check(target: &Target<'_>, import_type: &str, settings: &CreateJob) -> Result<(), ApiError> {
    let Some(s) = &settings.job_settings else { return Ok(()) };
    let methods: &[&str] = match target {
        Target::Conversion(t) => conversion_jobs::methods(t),
        _ => &MODEL_METHODS,
    };
    let method = s.import_method.as_deref().unwrap_or(methods[0]);
    if !methods.contains(&method) {
        return Err(ApiError::numbered(
            errors::BAD_BODY,
            &format!(
                "importMethod {method} is not one of {} for {}: DeleteAndUpsert and DropAndInsert are for \
                 conversion tables, the others for models and public dimensions.",
                methods.join(", "),
                target.id()
            ),
        ));
    }
    if let Some(name) = given(s).into_iter().find(|n| !allows(import_type, n)) {
        return Err(ApiError::numbered(
            errors::BAD_BODY,
            &format!("The job setting {name} is not available for the import type {import_type}."),
        ));
    }
    for (column, format) in s.date_formats.iter().flatten() {
        let sample = format
            .to_ascii_uppercase()
            .replace("YYYY", "2026")
            .replace("YY", "26")
            .replace("MM", "01")
            .replace("DD", "15");
        if read_date(&sample, format).is_none() {
            return Err(ApiError::numbered(
                errors::BAD_BODY,
                &format!("dateFormats.{column} is {format:?}: write it with YYYY (or YY), MM and optionally DD."),
            ));
        }
    }
    if let Some(p) = &s.pivot_options {
        if p.pivot_column_start == 0 || p.pivot_key_name.is_empty() || p.pivot_value_name.is_empty() {
            return Err(ApiError::numbered(
                errors::BAD_BODY,
                "pivotOptions needs pivotColumnStart (from 1), pivotKeyName and pivotValueName.",
            ));
        }
        let columns = target.columns();
        let unknown: Vec<&str> = [&p.pivot_key_name, &p.pivot_value_name]
            .into_iter()
            .filter(|c| !columns.contains(c))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::numbered(
                errors::UNKNOWN_TARGET_FIELD,
                &format!("pivotOptions name {}, not a column of {}.", unknown.join(", "), target.id()),
            ));
        }
    }
    Ok(())
}
