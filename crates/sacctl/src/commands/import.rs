//! `sacctl import ...`: the Data Import API.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use sac_client::dataimport::{push_csv, rejects_csv, PushOptions};
use sac_client::report::PushReporter;
use sac_types::dataimport::{status, CreateJob, JobSettings, ValidateResult};
use serde_json::{json, Value};

use super::schedule::wait_policy;
use super::{connect, csv_out_for, csv_written};
use crate::cli::{ImportCommand, PushArgs};
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::report::{finish, profile_flag, Going};
use crate::Failure;

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
                printer.result(&format!(
                    "job {job_id}: {} ({} rows, {} failed){}",
                    job.job_status,
                    job.additional_information.total_number_rows_in_job,
                    job.additional_information.failed_number_rows,
                    job.error.as_ref().map(|e| format!(": {}", e.message)).unwrap_or_default()
                ));
            }
            Ok(job_exit(&job, false))
        }
        ImportCommand::InvalidRows { connection, job_id, out } => {
            csv_out_for(printer, out.as_deref())?;
            let (_, client) = connect(&connection)?;
            let rows = client.data_import().invalid_rows(&job_id).await?;
            write_rejects(printer, &rows, out.as_deref())?;
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

/// The exit status a job's status means (5 while it is not finished).
pub(crate) fn job_exit(job: &sac_types::dataimport::JobStatus, warnings_ok: bool) -> ExitStatus {
    match job.job_status.as_str() {
        status::COMPLETED if job.additional_information.failed_number_rows > 0 && !warnings_ok => ExitStatus::Warnings,
        status::COMPLETED => ExitStatus::Success,
        status::FAILED => ExitStatus::JobFailed,
        _ => ExitStatus::Timeout,
    }
}

fn write_rejects(
    printer: Printer,
    rows: &sac_types::dataimport::InvalidRows,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let io =
        |e: std::io::Error| Failure::new(ExitStatus::Usage, anyhow::anyhow!("cannot write the rejected rows: {e}"));
    match out {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(io)?;
            rejects_csv(rows, std::io::BufWriter::new(file)).map_err(io)?;
            printer.note(&format!("{} rejected rows written to {}", rows.failed_rows.len(), path.display()));
        }
        None => rejects_csv(rows, std::io::stdout().lock()).map_err(io)?,
    }
    Ok(())
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

/// The rows of a JSON file (`{"Data":[...]}` or `[...]`) as CSV text.
fn json_to_csv(text: &str, file: &str) -> Result<Vec<u8>, Failure> {
    let bad = |line: usize, column: usize, message: String| {
        Failure::from(sac_client::Error::DataFile {
            file: file.into(),
            line: line as u64,
            column: column as u64,
            message,
        })
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| bad(e.line(), e.column(), format!("not valid JSON: {e}")))?;
    let rows = value
        .get("Data")
        .cloned()
        .unwrap_or(value)
        .as_array()
        .cloned()
        .ok_or_else(|| bad(1, 1, "the file must hold {\"Data\":[{...}]} or [{...}]".into()))?;
    let mut columns: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let object = row.as_object().ok_or_else(|| bad(1, 1, format!("row {} is not an object", i + 1)))?;
        for k in object.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| Failure::usage(e.to_string());
    writer.write_record(&columns).map_err(io)?;
    for row in &rows {
        let record: Vec<String> = columns
            .iter()
            .map(|c| match row.get(c) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            })
            .collect();
        writer.write_record(&record).map_err(io)?;
    }
    writer.into_inner().map_err(|e| Failure::usage(e.to_string()))
}

/// `Version=public.Actual Part=P0001` for each scope tuple.
fn tuples_of(scope: &[Value]) -> Vec<String> {
    scope
        .iter()
        .filter_map(Value::as_object)
        .map(|t| t.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(" "))
        .collect()
}

/// The push's progress: a bar on a terminal, notes otherwise. Keeps the
/// job id and whether the job may write, for a push that stops half-way.
struct PushProgress<'a> {
    /// Told the job id as soon as the job exists (a chain's state file).
    on_job: &'a (dyn Fn(&str) + Send + Sync),
    bar: Option<ProgressBar>,
    started: Instant,
    printer: Printer,
    job: std::sync::Mutex<Option<String>>,
    writing: std::sync::atomic::AtomicBool,
    model: String,
    profile: String,
}

impl PushProgress<'_> {
    /// The job, once created, as it stands: open (nothing written) or writing.
    fn going(&self) -> Option<Going> {
        let job = self.job.lock().expect("not poisoned").clone()?;
        let (model, profile) = (&self.model, profile_flag(&self.profile));
        let going = if self.writing.load(std::sync::atomic::Ordering::SeqCst) {
            Going::new(format!("job {job} writing into {model}"), format!("sacctl import status {job}{profile}"))
        } else {
            Going::new(
                format!("job {job} of {model} (not run: nothing was written; pushing again starts a new job)"),
                format!("sacctl import delete {job}{profile}"),
            )
        };
        Some(going.id("model", model.as_str()).id("job_id", job))
    }

    /// Tells a signal handler about the job as it stands now.
    fn declare(&self) {
        if let Some(going) = self.going() {
            going.declare();
        }
    }
}

impl PushReporter for PushProgress<'_> {
    fn job_created(&self, job_id: &str) {
        (self.on_job)(job_id);
        *self.job.lock().expect("not poisoned") = Some(job_id.to_string());
        self.declare();
    }

    fn uploaded(&self, rows: u64, bytes: u64) {
        let rate = rows as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        match &self.bar {
            Some(bar) => {
                if bar.length().is_some() {
                    bar.set_position(bytes);
                }
                bar.set_message(format!("{rows} rows uploaded, {rate:.0} rows/s"));
            }
            None => tracing::info!(rows, rate, "uploaded"),
        }
    }

    fn phase(&self, text: &str) {
        if text == "writing" {
            self.writing.store(true, std::sync::atomic::Ordering::SeqCst);
            self.declare();
        }
        match &self.bar {
            Some(bar) => bar.set_message(text.to_string()),
            None => tracing::info!("{text}"),
        }
    }

    fn validated(&self, result: &ValidateResult) {
        if let Some(scope) = result
            .additional_information
            .as_ref()
            .and_then(|info| info.get("cleanAndReplaceAffectedRows"))
            .and_then(Value::as_array)
        {
            let tuples = tuples_of(scope);
            let text = format!(
                "warning: CleanAndReplace deletes the existing rows of {} scope(s) before writing: {}",
                tuples.len(),
                tuples.join("; ")
            );
            match &self.bar {
                Some(bar) => bar.suspend(|| self.printer.note(&text)),
                None => self.printer.note(&text),
            }
        }
    }
}

/// The file columns that form a row's key in the model: the model's key
/// columns, through the mapping. Empty (no counting) when the model's
/// metadata cannot be read; the push goes on without it.
async fn key_columns(
    client: &sac_client::Client,
    model: &str,
    import_type: &str,
    mapping: Option<&BTreeMap<String, String>>,
) -> Vec<String> {
    if import_type == "publicDimensionData" {
        return Vec::new();
    }
    let metadata = match client.data_import().metadata(model).await {
        Ok(m) => m,
        Err(e) => {
            tracing::info!(error = %e, "no model metadata: rows repeating a key are not counted");
            return Vec::new();
        }
    };
    let columns = metadata[import_type]["columns"].as_array().cloned().unwrap_or_default();
    columns
        .iter()
        .filter(|c| c["isKey"].as_bool().unwrap_or(false))
        .filter_map(|c| c["columnName"].as_str())
        .map(|target| mapping.and_then(|m| m.get(target)).cloned().unwrap_or_else(|| target.to_string()))
        .collect()
}

async fn push(printer: Printer, args: PushArgs) -> Result<ExitStatus, Failure> {
    let (connection, client) = connect(&args.connection)?;
    let pushed = push_rows(printer, &client, &connection.profile, &args, &|_| {}).await?;
    if printer.json() {
        printer.result_json(&pushed.json);
    } else {
        printer.result(&pushed.line);
    }
    if let Some(resume) = &pushed.resume {
        printer.important(&format!("job {} is still writing; follow it with: {resume}", pushed.job_id));
    }
    if pushed.failed > 0 && args.rejects_out.is_none() {
        printer
            .note(&format!("{} rows were rejected: --rejects-out FILE writes them with their reasons", pushed.failed));
    }
    Ok(pushed.exit)
}

/// What a push did: its exit status, its JSON document and its line.
pub(crate) struct Pushed {
    pub exit: ExitStatus,
    pub json: Value,
    pub line: String,
    pub job_id: String,
    pub failed: u64,
    /// How to follow a job still writing.
    pub resume: Option<String>,
}

/// `import push` without printing its result; `on_job` learns the job id
/// as soon as the job exists.
pub(crate) async fn push_rows(
    printer: Printer,
    client: &sac_client::Client,
    profile: &str,
    args: &PushArgs,
    on_job: &(dyn Fn(&str) + Send + Sync),
) -> Result<Pushed, Failure> {
    let mut mapping = BTreeMap::new();
    for (source, target) in pairs(&args.mappings, "--mapping")? {
        mapping.insert(target, source);
    }
    let defaults = pairs(&args.defaults, "--default")?;
    let settings = CreateJob {
        mapping: (!mapping.is_empty()).then_some(mapping),
        default_values: (!defaults.is_empty()).then_some(defaults),
        job_settings: Some(JobSettings {
            import_method: args.method.clone(),
            dimension_scope: (!args.scope.is_empty()).then(|| args.scope.clone()),
            ignore_additional_columns: args.ignore_additional_columns.then_some(true),
            ..Default::default()
        }),
    };
    let stdin = args.file.as_os_str() == "-";
    let is_json = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(|e| Failure::usage(format!("cannot open {}: {e}", args.file.display())))?;
        if is_json {
            let mut text = String::new();
            std::io::BufReader::new(file)
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", args.file.display())))?;
            let csv = json_to_csv(&text, &args.file.display().to_string())?;
            let len = csv.len() as u64;
            (Box::new(std::io::Cursor::new(csv)), Some(len))
        } else {
            let len = file.metadata().ok().map(|m| m.len());
            (Box::new(std::io::BufReader::with_capacity(1 << 20, file)), len)
        }
    };
    let bar = (!printer.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = match size {
            Some(len) => ProgressBar::new(len).with_style(
                ProgressStyle::with_template("{bar:30} {percent:>3}% {msg} (ETA {eta})").expect("a valid template"),
            ),
            None => ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template")),
        };
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let reporter = PushProgress {
        on_job,
        bar,
        started: Instant::now(),
        printer,
        job: Default::default(),
        writing: Default::default(),
        model: args.model.clone(),
        profile: profile.to_string(),
    };
    let key_columns = key_columns(client, &args.model, &args.import_type, settings.mapping.as_ref()).await;
    let options = PushOptions {
        model: args.model.clone(),
        import_type: args.import_type.clone(),
        settings,
        chunk_rows: args.chunk_rows,
        parallel: args.parallel,
        max_failed_rows: args.max_failed_rows,
        dry_run: args.dry_run,
        wait: wait_policy(&args.wait_args),
        source: if stdin { "standard input".into() } else { args.file.display().to_string() },
        key_columns,
    };
    let data_import = client.data_import();
    let outcome = push_csv(&data_import, input, &options, &reporter).await.map_err(Failure::from);
    if let Some(bar) = &reporter.bar {
        bar.finish_and_clear();
    }
    let outcome = outcome.map_err(|failure| match reporter.going() {
        Some(going) => failure.going(&going),
        None => failure,
    })?;
    if let Some(path) = &args.rejects_out {
        write_rejects(printer, &outcome.invalid_rows, Some(path))?;
    }
    let failed = outcome.validated.failed_number_rows;
    let job_status = outcome.status.as_ref().map(|s| s.job_status.to_string());
    let exit = match (&outcome.stopped, job_status.as_deref()) {
        (Some(_), _) if args.dry_run && args.max_failed_rows.is_none_or(|max| failed <= max) => {
            if failed > 0 && !args.wait_args.warnings_ok {
                ExitStatus::Warnings
            } else {
                ExitStatus::Success
            }
        }
        (Some(_), _) => ExitStatus::JobFailed,
        _ if outcome.timed_out => ExitStatus::Timeout,
        (None, Some(status::COMPLETED)) if failed > 0 && !args.wait_args.warnings_ok => ExitStatus::Warnings,
        (None, Some(status::COMPLETED)) => ExitStatus::Success,
        _ => ExitStatus::JobFailed,
    };
    let error = outcome.status.as_ref().and_then(|s| s.error.as_ref()).map(|e| e.message.clone());
    // Rows that repeat a key become one row in the model: they are not extra rows written.
    let duplicates = outcome.duplicate_keys;
    let written = if job_status.as_deref() == Some(status::COMPLETED) {
        outcome.rows_read.saturating_sub(failed).saturating_sub(duplicates)
    } else {
        0
    };
    let resume = outcome.timed_out.then(|| format!("sacctl import status {}{}", outcome.job_id, profile_flag(profile)));
    let json = finish(
        json!({
            "model": args.model,
            "job_id": outcome.job_id,
            "rows_read": outcome.rows_read,
            "rows_failed": failed,
            "rows_written": written,
            "rows_duplicate_key": duplicates,
            "status": job_status,
            "stopped": outcome.stopped,
            "error": error,
            "timed_out": outcome.timed_out,
            "clean_and_replace_scope": outcome.validated.additional_information.as_ref().and_then(|i| i.get("cleanAndReplaceAffectedRows")),
        }),
        exit,
        resume.as_deref(),
    );
    let end = match (&outcome.stopped, &job_status, &error) {
        (Some(why), _, _) => why.clone(),
        (None, Some(s), Some(e)) => format!("job {s}: {e}"),
        (None, Some(s), None) => format!("job {s}"),
        (None, None, _) => "no status".into(),
    };
    let line = format!(
        "{written} rows written to {} ({} read, {failed} rejected), job {}: {end}",
        args.model, outcome.rows_read, outcome.job_id
    );
    if duplicates > 0 {
        let what = if args.method.as_deref().is_some_and(|m| m.eq_ignore_ascii_case("Append")) {
            "Append adds their values to the row of that key"
        } else {
            "SAC keeps the last"
        };
        printer.note(&format!("{duplicates} rows had a key seen earlier in the file; {what}"));
    }
    Ok(Pushed { exit, json, line, job_id: outcome.job_id, failed, resume })
}
