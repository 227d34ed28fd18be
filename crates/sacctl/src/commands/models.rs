//! `sacctl models ...`: what the Data Import API can load into.

use std::collections::BTreeMap;

use sac_types::dataimport::{Column, ColumnSet, ModelDetail};
use serde_json::{json, Value};

use crate::cli::ModelsCommand;
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;

pub async fn models(printer: Printer, command: ModelsCommand) -> Result<ExitStatus, Failure> {
    match command {
        ModelsCommand::List { connection } => {
            let (_, client) = connect(&connection)?;
            let models = client.data_import().models().await?;
            if printer.json() {
                printer.result_json(&serde_json::to_value(&models).expect("models serialize"));
            } else {
                for m in &models {
                    printer.result(&format!("{}  {}  {}", m.model_id, m.model_name, m.model_description));
                }
            }
        }
        ModelsCommand::Show { connection, model } => {
            let (_, client) = connect(&connection)?;
            let di = client.data_import();
            let mut detail = di.model(&model).await?;
            if detail.model_id.is_empty() {
                // SAC's answer need not name the model it describes.
                detail.model_id = sac_client::ids::ModelId::of(&model).to_string();
            }
            let metadata = di.metadata(&model).await?;
            if printer.json() {
                printer.result_json(&json!({"model": detail, "metadata": metadata}));
            } else {
                for line in describe(&detail, &metadata) {
                    printer.result(&line);
                }
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// The model as `models show` prints it: versions, import types with the
/// job settings each takes, and the columns of each import type.
fn describe(detail: &ModelDetail, metadata: &Value) -> Vec<String> {
    let mut lines = vec![format!("{} ({})", detail.model_id, detail.model_description)];
    let versions: Vec<&str> = detail.versions.iter().map(|v| v.id.as_str()).collect();
    lines.push(format!("versions: {}", versions.join(", ")));
    lines.push(format!("import types: {}", detail.import_type_names().join(", ")));
    for t in &detail.import_types {
        if let Some(settings) = t.available_job_settings.as_object().filter(|s| !s.is_empty()) {
            let names: Vec<&str> = settings.keys().map(String::as_str).collect();
            lines.push(format!("  {} job settings: {}", t.import_type, names.join(", ")));
            for (name, values) in settings {
                let values = match values {
                    Value::Array(items) => items
                        .iter()
                        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                let flag = flag_of(name).map(|f| format!("  ({f})")).unwrap_or_default();
                lines.push(format!("    {name:<26} {values}{flag}"));
            }
        }
    }
    let sets: BTreeMap<String, ColumnSet> = serde_json::from_value(metadata.clone()).unwrap_or_default();
    for import_type in detail.import_type_names() {
        let Some(set) = sets.get(import_type) else { continue };
        lines.push(format!("columns of {import_type}:"));
        lines.extend(set.columns.iter().map(column_line));
    }
    lines
}

/// The `import push` flag of a job setting (SAP's guide, `fe6efb8a`).
fn flag_of(setting: &str) -> Option<&'static str> {
    Some(match setting {
        "importMethod" => "--method",
        "dimensionScope" => "--scope, --clean-and-replace",
        "executeWithFailedRows" => "--[no-]execute-with-failed-rows",
        "ignoreAdditionalColumns" => "--ignore-additional-columns",
        "dateFormats" => "--date-format COL=FMT",
        "reverseSignByAccountType" => "--reverse-sign",
        "pivotOptions" => "--pivot START:KEY:VALUE",
        _ => return None,
    })
}

/// `  Amount       decimal(31,7)         PROPERTY  "Amount"`.
fn column_line(c: &Column) -> String {
    let data_type = match (c.precision, c.scale, c.max_length) {
        (Some(p), Some(s), _) => format!("{}({p},{s})", c.column_data_type),
        (_, _, Some(n)) => format!("{}({n})", c.column_data_type),
        _ => c.column_data_type.clone(),
    };
    let description = match c.description_name.as_deref() {
        Some(d) if d != c.column_name => format!("  \"{d}\""),
        _ => String::new(),
    };
    format!(
        "  {:<12} {:<14} {:<4} {}{description}",
        c.column_name,
        data_type,
        if c.is_key { "key" } else { "" },
        c.property_type.as_deref().unwrap_or("")
    )
    .trim_end()
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_import_types_settings_and_typed_columns() {
        let detail: ModelDetail = serde_json::from_value(json!({
            "modelID": "M", "modelDescription": "Sales",
            "versions": [{"id": "public.Actual", "description": "Actual"}],
            "importTypes": [{"importType": "factData",
                "availableJobSettings": {"importMethod": ["Update", "Append"], "dimensionScope": ["Version"]}}],
            "importTypeUrls": {"factData": "u"}, "metadataURL": "m"
        }))
        .unwrap();
        let metadata = json!({"factData": {"keys": ["Date"], "columns": [
            {"columnName": "Date", "columnDataType": "string", "maxLength": 256, "isKey": true,
             "propertyType": "DATE", "descriptionName": "Date"},
            {"columnName": "Amount", "columnDataType": "decimal", "maxLength": 32, "precision": 31, "scale": 7,
             "isKey": false, "propertyType": "PROPERTY", "descriptionName": "Sales amount"}
        ]}});
        assert_eq!(
            describe(&detail, &metadata),
            vec![
                "M (Sales)",
                "versions: public.Actual",
                "import types: factData",
                "  factData job settings: dimensionScope, importMethod",
                "    dimensionScope             Version  (--scope, --clean-and-replace)",
                "    importMethod               Update, Append  (--method)",
                "columns of factData:",
                "  Date         string(256)    key  DATE",
                "  Amount       decimal(31,7)       PROPERTY  \"Sales amount\"",
            ]
        );
    }
}
