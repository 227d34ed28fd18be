//! Pushes through the Data Import API: a CSV or JSON file into a model,
//! a job taken up again, and what a job means (exit status, JSON document,
//! line).

mod input;
mod progress;
mod rejections;
pub mod rows;
pub mod settings;
mod stop;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use sac_client::dataimport::{push_csv, Conversion, PushOptions};
use sac_client::Client;
use sac_types::dataimport::{status, CreateJob, JobSettings, JobStatus};
use serde_json::{json, Value};

use self::progress::PushProgress;
use self::rows::{key_columns, write_rejects};
pub use self::stop::stopped;
use super::outcome::{Note, Outcome};
use super::wait::Waiting;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::going::sacctl_command;
use crate::output::Printer;
use crate::report::finish;

/// What to push, and how (the options of `sacctl import push`, or of a
/// chain's import step).
#[derive(Clone, Debug, PartialEq)]
pub struct Push {
    pub model: String,
    pub import_type: String,
    /// A CSV or JSON file; `-` is standard input.
    pub file: PathBuf,
    /// Source column to model column.
    pub mapping: BTreeMap<String, String>,
    /// Model column to the value of rows that have none.
    pub defaults: BTreeMap<String, String>,
    pub method: Option<String>,
    pub scope: Vec<String>,
    pub chunk_rows: usize,
    pub parallel: usize,
    pub max_failed_rows: Option<u64>,
    pub rejects_out: Option<PathBuf>,
    pub dry_run: bool,
    pub ignore_additional_columns: bool,
    /// The other job settings and the file's delimiter.
    pub job: settings::JobFlags,
    /// A conversion table instead of a model (`model` is its id).
    pub conversion: Option<Conversion>,
    /// A file of rows to delete from the conversion table (`DeletedData`).
    pub deleted_data: Option<PathBuf>,
}

/// The exit status a job's status means (5 while it is not finished).
pub fn job_exit(job: &JobStatus, warnings_ok: bool) -> ExitStatus {
    match job.job_status.as_str() {
        status::COMPLETED if job.additional_information.failed_number_rows > 0 && !warnings_ok => ExitStatus::Warnings,
        status::COMPLETED => ExitStatus::Success,
        status::FAILED => ExitStatus::JobFailed,
        _ => ExitStatus::Timeout,
    }
}

/// How a push ended, as far as its exit status goes.
struct Ended<'a> {
    /// It stopped before the run (`--dry-run`, `--max-failed-rows`, all rows invalid).
    stopped: bool,
    timed_out: bool,
    /// The job's final status, when it ran.
    status: Option<&'a str>,
    /// Rows SAC rejected.
    failed: u64,
}

/// The exit status of a push (docs/output.md): a dry run succeeds (6 with
/// rejected rows) unless it found more invalid rows than allowed; any other
/// stop is a failure; then the job's own status.
fn push_exit(push: &Push, ended: &Ended<'_>, warnings_ok: bool) -> ExitStatus {
    let rejected = if ended.failed > 0 && !warnings_ok { ExitStatus::Warnings } else { ExitStatus::Success };
    match (ended.stopped, ended.status) {
        (true, _) if push.dry_run && push.max_failed_rows.is_none_or(|max| ended.failed <= max) => rejected,
        (true, _) => ExitStatus::JobFailed,
        _ if ended.timed_out => ExitStatus::Timeout,
        (false, Some(status::COMPLETED)) => rejected,
        _ => ExitStatus::JobFailed,
    }
}

/// One line about a job.
pub fn job_line(job_id: &str, job: &JobStatus) -> String {
    format!(
        "job {job_id}: {} ({} rows, {} failed){}",
        job.job_status,
        job.additional_information.total_number_rows_in_job,
        job.additional_information.failed_number_rows,
        job.error.as_ref().map(|e| format!(": {}", crate::output::one_line(&e.message))).unwrap_or_default()
    )
}

/// Takes up job `job_id` of `model` that an earlier attempt left: a job
/// that was started (PROCESSING) is waited for, one that ended is what it
/// is; a job left before its run wrote nothing, so it is deleted and `None`
/// says to push the rows anew.
pub async fn take_up(
    client: &Client,
    model: &str,
    job_id: &str,
    waiting: &Waiting,
) -> Result<Option<Outcome>, Failure> {
    let di = client.data_import();
    let job = di.status(job_id).await?;
    let (job, timed_out) = match job.job_status.as_str() {
        status::PROCESSING => di.wait(job_id, &waiting.policy()).await?,
        status::COMPLETED | status::FAILED => (job, false),
        _ => {
            if let Err(e) = di.delete(job_id).await {
                tracing::warn!(job = %job_id, error = %e, "could not delete the unfinished job");
            }
            return Ok(None);
        }
    };
    let exit = if timed_out { ExitStatus::Timeout } else { job_exit(&job, waiting.warnings_ok) };
    let counts = &job.additional_information;
    let error = job.error.as_ref().map(|e| e.message.clone());
    let json = finish(
        json!({
            "model": model,
            "job_id": job_id,
            "rows_read": counts.total_number_rows_in_job,
            "rows_failed": counts.failed_number_rows,
            "status": job.job_status,
            "error": error,
            "timed_out": timed_out,
        }),
        exit,
        None,
    );
    Ok(Some(Outcome { exit, json, lines: vec![job_line(job_id, &job)], notes: Vec::new(), message: None }))
}

/// Pushes the rows of `push.file` into `push.model`: a job, its chunks,
/// validation, the run, the wait. `printer` shows progress (none when
/// quiet); `on_job` learns the job id as soon as the job exists.
pub async fn push(
    printer: Printer,
    client: &Client,
    profile: &str,
    push: &Push,
    waiting: &Waiting,
    on_job: &(dyn Fn(&str) + Send + Sync),
) -> Result<Outcome, Failure> {
    // The API's mapping goes from model column to source column.
    let mapping: BTreeMap<String, String> = push.mapping.iter().map(|(s, t)| (t.clone(), s.clone())).collect();
    let job_settings = JobSettings {
        import_method: push.method.clone(),
        dimension_scope: (!push.scope.is_empty()).then(|| push.scope.clone()),
        ignore_additional_columns: push.ignore_additional_columns.then_some(true),
        execute_with_failed_rows: push.job.execute_with_failed_rows,
        date_formats: (!push.job.date_formats.is_empty()).then(|| push.job.date_formats.clone()),
        pivot_options: push.job.pivot.clone(),
        reverse_sign_by_account_type: push.job.reverse_sign.then_some(true),
    };
    let settings = CreateJob {
        mapping: (!mapping.is_empty()).then_some(mapping),
        default_values: (!push.defaults.is_empty()).then(|| push.defaults.clone()),
        // No settings given, none sent (a currency job takes none but its method, `5b7149de`).
        job_settings: (job_settings != JobSettings::default()).then_some(job_settings),
    };
    let deleted_data = match &push.deleted_data {
        Some(path) => rows::deleted_rows(path, push.job.delimiter.unwrap_or(b','))?,
        None => Vec::new(),
    };
    let stdin = push.file.as_os_str() == "-";
    let (input, size) = if stdin {
        let input: Box<dyn Read + Send> = Box::new(std::io::stdin());
        (input, None)
    } else {
        // Off the async workers: opening a FIFO blocks until a writer comes,
        // and a signal must still end sacctl meanwhile.
        let file = push.file.clone();
        tokio::task::spawn_blocking(move || input::open(&file))
            .await
            .map_err(|e| Failure::usage(format!("cannot open {}: {e}", push.file.display())))??
    };
    let reporter = PushProgress::new(printer, size, &push.model, profile, on_job);
    // A pivoted file has no column per key dimension: its repeated keys are not counted.
    let key_columns = match (&push.job.pivot, push.conversion) {
        (Some(_), _) | (_, Some(_)) => Vec::new(),
        (None, None) => key_columns(client, &push.model, &push.import_type, settings.mapping.as_ref()).await,
    };
    let options = PushOptions {
        model: push.model.clone(),
        import_type: push.import_type.clone(),
        settings,
        chunk_rows: push.chunk_rows,
        parallel: push.parallel,
        max_failed_rows: push.max_failed_rows,
        dry_run: push.dry_run,
        wait: waiting.policy(),
        source: if stdin { "standard input".into() } else { push.file.display().to_string() },
        key_columns,
        delimiter: push.job.delimiter.unwrap_or(b','),
        conversion: push.conversion,
        deleted_data,
    };
    let outcome = push_csv(&client.data_import(), input, &options, &reporter).await.map_err(Failure::from);
    reporter.finish();
    let outcome = outcome.map_err(|failure| match reporter.going() {
        Some(going) => failure.going(&going),
        None => failure,
    })?;
    let mut notes = Vec::new();
    if let Some(path) = &push.rejects_out {
        let rejected = rejections::all(&outcome.refused_on_arrival, &outcome.invalid_rows);
        notes.extend(write_rejects(&rejected, Some(path))?.map(Note::Info));
    }
    let failed = outcome.failed_rows();
    let rejections = rejections::first(&outcome.refused_on_arrival, &outcome.invalid_rows);
    let job_status = outcome.status.as_ref().map(|s| s.job_status.to_string());
    let ended = Ended {
        stopped: outcome.stopped.is_some(),
        timed_out: outcome.timed_out,
        status: job_status.as_deref(),
        failed,
    };
    let exit = push_exit(push, &ended, waiting.warnings_ok);
    let error = outcome.status.as_ref().and_then(|s| s.error.as_ref()).map(|e| e.message.clone());
    // Rows that repeat a key become one row in the model: they are not extra rows written.
    let duplicates = outcome.duplicate_keys;
    let written = if job_status.as_deref() == Some(status::COMPLETED) {
        outcome.rows_read.saturating_sub(failed).saturating_sub(duplicates)
    } else {
        0
    };
    let resume = outcome.timed_out.then(|| sacctl_command(&["import", "status", &outcome.job_id], profile));
    let scope: Option<&Value> =
        outcome.validated.additional_information.as_ref().and_then(|i| i.get("cleanAndReplaceAffectedRows"));
    let json = finish(
        json!({
            "model": push.model,
            "job_id": outcome.job_id,
            "rows_read": outcome.rows_read,
            "rows_failed": failed,
            "rows_written": written,
            "rows_duplicate_key": duplicates,
            "status": job_status,
            "stopped": outcome.stopped,
            "error": error,
            "timed_out": outcome.timed_out,
            "clean_and_replace_scope": scope,
            "first_rejections": rejections.iter().map(rejections::Rejection::json).collect::<Vec<_>>(),
            "target": push.conversion.map_or("model", |c| c.what()),
            "rows_deleted": outcome.deleted_rows,
            "rows_delete_failed": outcome.failed_deleted_rows,
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
    let target = match push.conversion {
        Some(kind) => format!("{} {}", kind.what(), push.model),
        None => push.model.clone(),
    };
    let deleted = match (push.deleted_data.is_some(), outcome.failed_deleted_rows) {
        (false, _) => String::new(),
        (true, 0) => format!(", {} rows deleted", outcome.deleted_rows),
        (true, n) => format!(", {} rows deleted ({n} refused)", outcome.deleted_rows),
    };
    let line = format!(
        "{written} rows written to {target} ({} read, {failed} rejected{deleted}), job {}: {end}",
        outcome.rows_read, outcome.job_id
    );
    if duplicates > 0 {
        let what = if push.method.as_deref().is_some_and(|m| m.eq_ignore_ascii_case("Append")) {
            "Append adds their values to the row of that key"
        } else {
            "SAC keeps the last"
        };
        notes.push(Note::Info(format!("{duplicates} rows had a key seen earlier in the file; {what}")));
    }
    if let Some(resume) = &resume {
        notes.push(Note::Always(format!("job {} is still writing; follow it with: {resume}", outcome.job_id)));
    }
    if failed > 0 && push.rejects_out.is_none() {
        notes.push(Note::Info(format!(
            "{failed} rows were rejected: --rejects-out FILE writes them with their reasons"
        )));
    }
    let message = (exit != ExitStatus::Success).then(|| line.clone());
    let mut lines = vec![line];
    if !rejections.is_empty() {
        let of = if failed as usize > rejections.len() {
            format!(" (first {} of {failed})", rejections.len())
        } else {
            String::new()
        };
        lines.push(format!("rejected rows{of}:"));
        lines.extend(rejections.iter().map(|r| format!("  {}", r.line())));
    }
    Ok(Outcome { exit, json, lines, notes, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sac_types::dataimport::JobStatus;

    fn job(status: &str, failed: u64) -> JobStatus {
        serde_json::from_value(json!({
            "jobID": "J1",
            "jobStatus": status,
            "additionalInformation": {"totalNumberRowsInJob": 10, "failedNumberRows": failed}
        }))
        .expect("a job status")
    }

    fn push(dry_run: bool, max_failed_rows: Option<u64>) -> Push {
        Push {
            model: "t.G:SALES".into(),
            import_type: "factData".into(),
            file: "facts.csv".into(),
            mapping: BTreeMap::new(),
            defaults: BTreeMap::new(),
            method: None,
            scope: Vec::new(),
            chunk_rows: 10,
            parallel: 1,
            max_failed_rows,
            rejects_out: None,
            dry_run,
            ignore_additional_columns: false,
            job: Default::default(),
            conversion: None,
            deleted_data: None,
        }
    }

    fn ended(stopped: bool, timed_out: bool, status: Option<&str>, failed: u64) -> Ended<'_> {
        Ended { stopped, timed_out, status, failed }
    }

    #[test]
    fn exit_codes_of_a_push() {
        let plain = push(false, None);
        let completed = Some(status::COMPLETED);
        assert_eq!(push_exit(&plain, &ended(false, false, completed, 0), false), ExitStatus::Success);
        assert_eq!(push_exit(&plain, &ended(false, false, completed, 3), false), ExitStatus::Warnings);
        assert_eq!(push_exit(&plain, &ended(false, false, completed, 3), true), ExitStatus::Success);
        assert_eq!(push_exit(&plain, &ended(false, false, Some(status::FAILED), 0), true), ExitStatus::JobFailed);
        assert_eq!(push_exit(&plain, &ended(false, true, Some(status::PROCESSING), 0), false), ExitStatus::Timeout);
        assert_eq!(push_exit(&plain, &ended(false, false, None, 0), false), ExitStatus::JobFailed);
        // Stopped by --max-failed-rows (or all rows invalid): failed, whatever --warnings-ok says.
        assert_eq!(push_exit(&push(false, Some(1)), &ended(true, false, None, 2), true), ExitStatus::JobFailed);
        // A dry run succeeds, with 6 for rejected rows, unless over --max-failed-rows.
        assert_eq!(push_exit(&push(true, None), &ended(true, false, None, 0), false), ExitStatus::Success);
        assert_eq!(push_exit(&push(true, None), &ended(true, false, None, 2), false), ExitStatus::Warnings);
        assert_eq!(push_exit(&push(true, Some(2)), &ended(true, false, None, 2), true), ExitStatus::Success);
        assert_eq!(push_exit(&push(true, Some(1)), &ended(true, false, None, 2), false), ExitStatus::JobFailed);
    }

    #[test]
    fn exit_codes_per_job_status() {
        assert_eq!(job_exit(&job(status::COMPLETED, 0), false), ExitStatus::Success);
        assert_eq!(job_exit(&job(status::COMPLETED, 2), false), ExitStatus::Warnings);
        assert_eq!(job_exit(&job(status::COMPLETED, 2), true), ExitStatus::Success);
        assert_eq!(job_exit(&job(status::FAILED, 0), true), ExitStatus::JobFailed);
        assert_eq!(job_exit(&job(status::PROCESSING, 0), false), ExitStatus::Timeout);
    }
}
