//! The progress of a push: a bar on a terminal, notes otherwise; and the
//! job as it stands, for a push that stops half-way.

use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use sac_client::report::PushReporter;
use sac_types::dataimport::ValidateResult;
use serde_json::Value;

use crate::going::{sacctl_command, Going};
use crate::output::Printer;

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
pub(super) struct PushProgress<'a> {
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

impl<'a> PushProgress<'a> {
    /// The progress of a push of `size` bytes (a spinner when unknown) into
    /// `model`; `on_job` learns the job id as soon as the job exists.
    pub(super) fn new(
        printer: Printer,
        size: Option<u64>,
        model: &str,
        profile: &str,
        on_job: &'a (dyn Fn(&str) + Send + Sync),
    ) -> Self {
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
        PushProgress {
            on_job,
            bar,
            started: Instant::now(),
            printer,
            job: Default::default(),
            writing: Default::default(),
            model: model.to_string(),
            profile: profile.to_string(),
        }
    }

    /// Clears the bar.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// The job, once created, as it stands: open (nothing written) or writing.
    pub(super) fn going(&self) -> Option<Going> {
        let job = self.job.lock().expect("not poisoned").clone()?;
        let (model, profile) = (&self.model, self.profile.as_str());
        let going = if self.writing.load(std::sync::atomic::Ordering::SeqCst) {
            Going::new(format!("job {job} writing into {model}"), sacctl_command(&["import", "status", &job], profile))
        } else {
            Going::new(
                format!("job {job} of {model} (not run: nothing was written; pushing again starts a new job)"),
                sacctl_command(&["import", "delete", &job], profile),
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
