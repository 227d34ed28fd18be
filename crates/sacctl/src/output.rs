//! Where output goes: results on stdout (text or JSON), progress and notes
//! on stderr, nothing at all on stderr but errors with `--quiet`.

use std::borrow::Cow;
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

    /// A result line (human format) on stdout, control characters shown
    /// (see [`visible`]).
    pub fn result(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", visible(text));
    }

    /// A JSON result document on stdout.
    pub fn result_json(&self, value: &serde_json::Value) {
        print_json(value);
    }

    /// A note for people, on stderr (not with --quiet).
    #[allow(clippy::print_stderr)]
    pub fn note(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", visible(text));
        }
    }

    /// Something the caller must see even with --quiet (how to resume a
    /// run that goes on without us), on stderr.
    #[allow(clippy::print_stderr)]
    pub fn important(&self, text: &str) {
        eprintln!("{}", visible(text));
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

/// Characters a terminal acts on instead of showing: the C0 controls
/// (ESC starts the sequences that move the cursor, recolour or clear a
/// line; CR returns to its start), DEL, the C1 controls (U+009B is a
/// one-byte CSI) and the bidirectional overrides that reorder what follows.
fn acts_on(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character a terminal would act on shown as an escape
/// (`\x1b`, `\r`, `\u{202e}`), except line feeds and tabs: text from a
/// server (a run's message, an error) cannot repaint a line ("failed" as
/// "succeeded"), move the cursor or reorder what is printed. Human output
/// only; JSON escapes them itself.
pub fn visible(text: &str) -> Cow<'_, str> {
    escaped(text, |c| acts_on(c) && c != '\n' && c != '\t')
}

/// [`visible`] for text from a server put into one line of ours: line
/// feeds and tabs are shown as escapes too, so it cannot add a line.
pub fn one_line(text: &str) -> Cow<'_, str> {
    escaped(text, acts_on)
}

fn escaped(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            _ if !escape(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// Ends the process with exit 0 when `error` says stdout's reader is gone
/// (`sacctl export ... | head`): what it wanted was written, and nothing
/// sacctl holds needs more than the exit (an export only reads).
pub fn exit_if_reader_gone(error: &std::io::Error) {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
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
        let text = one_line(&format!("{}: {text}", self.label)).into_owned();
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
        let text = one_line(&text);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_terminal_acts_on_is_shown_not_done() {
        let repaint = "run 7A8B failed\r\x1b[2K\x1b[32mrun 7A8B succeeded\x1b[0m";
        assert_eq!(visible(repaint), "run 7A8B failed\\r\\x1b[2K\\x1b[32mrun 7A8B succeeded\\x1b[0m");
        assert_eq!(
            visible("csi \u{9b}2J, bidi \u{202e}deliaf\u{202c}, del \x7f"),
            "csi \\u{9b}2J, bidi \\u{202e}deliaf\\u{202c}, del \\x7f"
        );
        assert_eq!(visible("two\nlines\tand a tab"), "two\nlines\tand a tab", "our own lines keep their breaks");
        assert_eq!(one_line("two\nlines\tand a tab"), "two\\nlines\\tand a tab", "server text stays on its line");
        assert!(matches!(visible("plain, ümlaut, 日本"), Cow::Borrowed(_)));
    }
}
