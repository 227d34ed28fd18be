//! `sacctl import ...`: the Data Import API.

use std::collections::BTreeMap;

use serde_json::json;

use super::csv_out::{csv_out_for, csv_written};
use super::options::waiting;
use crate::cli::{ImportCommand, PushArgs};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::import::settings::{self, JobFlags};
use crate::ops::import::{self, job_exit, job_line, rows::write_rejects, Push};
use crate::output::Printer;
use crate::report::finish;
use crate::signals::{interrupted, CleansUp};
use sac_client::dataimport::Conversion;

pub async fn import(printer: Printer, command: ImportCommand) -> Result<ExitStatus, Failure> {
    match command {
        ImportCommand::Push(args) => push(printer, *args).await,
        ImportCommand::Jobs { connection } => {
            let (_, client) = connect(&connection)?;
            let jobs = client.data_import().jobs().await?;
            if printer.json() {
                printer.result_json(&serde_json::to_value(&jobs).expect("jobs serialize"));
            } else {
                for j in &jobs {
                    printer.result(&format!(
                        "{}  {}  {}  {}  {}",
                        j.job_id, j.model_id, j.import_type, j.status, j.last_updated_time
                    ));
                }
            }
            Ok(ExitStatus::Success)
        }
        ImportCommand::Status { connection, job_id } => {
            let (_, client) = connect(&connection)?;
            let job = client.data_import().status(&job_id).await?;
            if printer.json() {
                printer.result_json(&serde_json::to_value(&job).expect("status serializes"));
            } else {
                printer.result(&job_line(&job_id, &job));
            }
            Ok(job_exit(&job, false))
        }
        ImportCommand::InvalidRows { connection, job_id, out } => {
            csv_out_for(printer, out.as_deref())?;
            let (_, client) = connect(&connection)?;
            let rows = client.data_import().invalid_rows(&job_id).await?;
            if let Some(note) = write_rejects(&rows, out.as_deref())? {
                printer.note(&note);
            }
            if let Some(path) = &out {
                csv_written(printer, path, rows.failed_rows.len() as u64);
            }
            Ok(ExitStatus::Success)
        }
        ImportCommand::Delete { connection, job_id } => {
            let (_, client) = connect(&connection)?;
            client.data_import().delete(&job_id).await?;
            printer.note(&format!("deleted job {job_id}"));
            if printer.json() {
                printer.result_json(&finish(json!({"job_id": job_id, "deleted": true}), ExitStatus::Success, None));
            }
            Ok(ExitStatus::Success)
        }
    }
}

async fn push(printer: Printer, args: PushArgs) -> Result<ExitStatus, Failure> {
    // Every flag is checked before anything is sent (exit 2 with what to write).
    let (method, scope) = settings::clean_and_replace(args.clean_and_replace, args.method, args.scope)?;
    let execute_with_failed_rows = match (args.execute_with_failed_rows, args.no_execute_with_failed_rows) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let job = JobFlags {
        execute_with_failed_rows,
        pivot: args.pivot.as_deref().map(settings::pivot).transpose()?,
        date_formats: settings::date_formats(&pairs(&args.date_formats, "--date-format")?)?,
        reverse_sign: args.reverse_sign,
        delimiter: args.delimiter.as_deref().map(settings::delimiter).transpose()?,
    };
    let is_json = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let (conversion, target) = match (args.currency_table, args.unit_table, args.model) {
        (Some(table), _, _) => (Some(Conversion::Currency), table),
        (_, Some(table), _) => (Some(Conversion::Unit), table),
        (_, _, Some(model)) => (None, model),
        // clap requires one of them.
        (None, None, None) => return Err(Failure::usage("give --model, --currency-table or --unit-table")),
    };
    let import_type = match conversion {
        Some(kind) => {
            settings::check_table(kind, &job, method.as_deref(), &scope, args.ignore_additional_columns)?;
            settings::check(&job, "conversion", is_json)?;
            args.import_type.unwrap_or_default()
        }
        None => {
            if args.deleted_data.is_some() {
                return Err(Failure::usage(
                    "--deleted-data is for conversion tables (--currency-table, --unit-table); a model's rows are \
                     replaced with --clean-and-replace",
                ));
            }
            let import_type = args.import_type.unwrap_or_else(|| "factData".into());
            settings::check(&job, &import_type, is_json)?;
            import_type
        }
    };
    let (settings, client) = connect(&args.connection)?;
    let options = Push {
        model: target,
        import_type,
        conversion,
        deleted_data: args.deleted_data,
        file: args.file,
        mapping: pairs(&args.mappings, "--mapping")?,
        defaults: pairs(&args.defaults, "--default")?,
        method,
        scope,
        chunk_rows: args.chunk_rows,
        parallel: args.parallel,
        max_failed_rows: args.max_failed_rows,
        rejects_out: args.rejects_out,
        dry_run: args.dry_run,
        ignore_additional_columns: args.ignore_additional_columns,
        job,
    };
    let job: std::sync::Mutex<Option<String>> = Default::default();
    let on_job = |id: &str| *job.lock().unwrap_or_else(|e| e.into_inner()) = Some(id.to_string());
    let _cleans_up = CleansUp::hold();
    let waiting = waiting(&args.wait_args);
    let pushing = import::push(printer, &client, &settings.profile, &options, &waiting, &on_job);
    let outcome = tokio::select! {
        outcome = pushing => outcome?,
        status = interrupted() => {
            let job = job.lock().unwrap_or_else(|e| e.into_inner()).clone();
            return Err(import::stopped(printer, &client, job.as_deref(), args.keep_job, status).await);
        }
    };
    Ok(outcome.print(printer))
}

/// `NAME=VALUE` pairs.
fn pairs(items: &[String], flag: &str) -> Result<BTreeMap<String, String>, Failure> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| Failure::usage(format!("{flag} {item:?} must look like NAME=VALUE")))
        })
        .collect()
}
