//! Where output goes: results on stdout (text or JSON), progress and notes
//! on stderr, nothing at all on stderr but errors with `--quiet`.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sac_client::calendar::{CalendarReporter, Event};
use sac_client::report::{LockReporter, MaReporter, Reporter};
use sac_types::legacy::RefreshLog;
use sac_types::multiaction::ExecutionStatus;

use crate::cli::OutputFormat;

#[derive(Clone, Copy, Debug)]
pub struct Printer {
    pub format: OutputFormat,
    pub quiet: bool,
}

impl Printer {
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// A result line (human format) on stdout.
    pub fn result(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// A JSON result document on stdout.
    pub fn result_json(&self, value: &serde_json::Value) {
        print_json(value);
    }

    /// A note for people, on stderr (not with --quiet).
    #[allow(clippy::print_stderr)]
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Something the caller must see even with --quiet (how to resume a
    /// run that goes on without us), on stderr.
    #[allow(clippy::print_stderr)]
    pub fn important(&self, text: &str) {
        eprintln!("{text}");
    }

    /// A live spinner on stderr while waiting (only on a terminal).
    pub fn progress(&self, label: &str) -> Progress {
        let bar = if self.quiet || !std::io::stderr().is_terminal() {
            None
        } else {
            let bar = ProgressBar::new_spinner();
            bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message(label.to_string());
            Some(bar)
        };
        Progress { bar, label: label.to_string() }
    }
}

/// One JSON document on stdout, pretty-printed.
pub fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", serde_json::to_string_pretty(value).expect("JSON values serialize"));
}

/// Progress of a wait; implements the client's [`Reporter`].
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
}

impl Progress {
    /// Shows `text` (spinner) or logs it (no terminal).
    pub fn set(&self, text: &str) {
        let text = format!("{}: {text}", self.label);
        match &self.bar {
            Some(bar) => bar.set_message(text),
            None => tracing::info!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Reporter for Progress {
    fn polled(&self, run: Option<&RefreshLog>, elapsed: Duration) {
        let secs = elapsed.as_secs();
        self.set(&match run {
            Some(run) => format!("run {} {} ({secs} s)", run.execution_id, crate::report::state(run.status)),
            None => format!("waiting for the run to show in SAC's logs ({secs} s)"),
        });
    }

    /// Another run of the same data import: a warning, even with --quiet
    /// (it may stop ours).
    #[allow(clippy::print_stderr)]
    fn other_run(&self, run: &RefreshLog, why: &str) {
        let by = if run.user.is_empty() { "?" } else { &run.user };
        let text = format!(
            "warning: run {} of this data import ({}, started {} by {by}) {why}",
            run.execution_id,
            crate::report::state(run.status),
            run.start_time
        );
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

impl LockReporter for Progress {
    fn waiting(&self, _lock: &std::path::Path) {
        self.set("another sacctl of this host is starting it; waiting until it sees its run");
    }
}

impl MaReporter for Progress {
    fn polled(&self, status: &ExecutionStatus, elapsed: Duration) {
        self.set(&format!("execution {} {} ({} s)", status.execution_id, status.status.as_str(), elapsed.as_secs()));
    }
}

impl CalendarReporter for Progress {
    fn polled(&self, event: &Event, elapsed: Duration) {
        let progress = event.progress.as_ref().map(|p| format!(", {p}%")).unwrap_or_default();
        self.set(&format!("calendar event {} {}{progress} ({} s)", event.id, event.status(), elapsed.as_secs()));
    }
}
