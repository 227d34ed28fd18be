//! What an operation came to, ready to print.

use serde_json::Value;

use crate::exit::ExitStatus;
use crate::output::Printer;

/// A line for stderr after the result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// For people; left out with `--quiet`.
    Info(String),
    /// Printed even with `--quiet` (how to resume a run that goes on).
    Always(String),
}

/// How an operation ended: its exit status, its JSON document (with
/// `outcome`, `exit_code` and, when the job goes on, `resume`), its result
/// for people, and the notes that follow it.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub exit: ExitStatus,
    pub json: Value,
    /// The result in the human format: lines for stdout.
    pub lines: Vec<String>,
    /// Lines for stderr, in order.
    pub notes: Vec<Note>,
    /// SAC's own word on how it ended, in one line (a run's message, a
    /// multi action's errors, a push that did not succeed): what a chain
    /// records as the step's message.
    pub message: Option<String>,
}

impl Outcome {
    /// Prints the result (the document or the lines) on stdout, then the
    /// notes on stderr; the exit status.
    pub fn print(&self, printer: Printer) -> ExitStatus {
        if printer.json() {
            printer.result_json(&self.json);
        } else {
            for line in &self.lines {
                printer.result(line);
            }
        }
        for note in &self.notes {
            match note {
                Note::Info(text) => printer.note(text),
                Note::Always(text) => printer.important(text),
            }
        }
        self.exit
    }
}
