//! The `sacctl` command line: arguments, settings, output and exit codes
//! over the `sac-client` and `sac-emulator` libraries.

pub mod chain;
pub mod cli;
pub mod commands;
pub mod exit;
pub mod logging;
pub mod output;
pub mod report;
pub mod settings;

use clap::Parser;

use crate::exit::ExitStatus;
use crate::report::Going;

/// Parses the command line, runs the command and maps the outcome to an
/// exit code. Errors go to stderr as `error: ...`, their causes, and hints.
pub fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitStatus::Success.into();
            }
            // The arguments did not parse, but a scheduler that asked for
            // JSON still gets its one document.
            if cli::wants_json(std::env::args_os()) {
                let message = e.kind().as_str().unwrap_or("invalid arguments").to_string();
                let mut failure = Failure::usage(format!("{message} (see `sacctl --help`)"));
                failure.hints.push(e.render().to_string().trim().to_string());
                report(&failure, true);
            } else {
                let _ = e.print();
            }
            return ExitStatus::Usage.into();
        }
    };
    logging::init(cli.verbose);
    let json = cli.output == cli::OutputFormat::Json;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let failure =
                Failure::new(ExitStatus::Unreachable, anyhow::anyhow!(e).context("cannot start the async runtime"));
            report(&failure, json);
            return failure.status.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => status.into(),
        Err(failure) => {
            report(&failure, json);
            failure.status.into()
        }
    }
}

/// Prints an error, its causes and its hints on stderr, and the run that
/// may go on with the command that resumes it (also with `--quiet`). With
/// `json`, the error document goes to stdout as well.
#[allow(clippy::print_stderr)]
fn report(failure: &Failure, json: bool) {
    eprintln!("error: {}", failure.error);
    for cause in failure.error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if !failure.hints.is_empty() {
        eprintln!();
        for hint in &failure.hints {
            eprintln!("hint: {hint}");
        }
    }
    if let Some(going) = &failure.going {
        eprintln!("{}", going.note());
    }
    if json {
        output::print_json(&report::failure_json(failure));
    }
}

/// An error together with the exit status it means, what to do about it,
/// and the run, execution or job that may go on without us.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub error: anyhow::Error,
    pub hints: Vec<String>,
    pub going: Option<Going>,
}

impl Failure {
    pub fn new(status: ExitStatus, error: impl Into<anyhow::Error>) -> Self {
        Failure { status, error: error.into(), hints: Vec::new(), going: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(ExitStatus::Usage, anyhow::anyhow!(message.into()))
    }

    /// A signal ended the command (130 or 143).
    pub fn interrupted(status: ExitStatus) -> Self {
        let signal = if status == ExitStatus::Terminated { "SIGTERM" } else { "SIGINT" };
        Failure::new(status, anyhow::anyhow!("stopped by {signal}"))
    }

    /// Names the run that may go on (kept when one is named already).
    pub fn going(mut self, going: &Going) -> Self {
        self.going.get_or_insert_with(|| going.clone());
        self
    }
}

/// Attaches the run that may go on to any error on its way out.
pub trait WithGoing<T> {
    fn going(self, going: &Going) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> WithGoing<T> for Result<T, E> {
    fn going(self, going: &Going) -> Result<T, Failure> {
        self.map_err(|e| e.into().going(going))
    }
}

impl From<sac_client::Error> for Failure {
    fn from(error: sac_client::Error) -> Self {
        use sac_client::ErrorClass;
        let status = match error.class() {
            ErrorClass::Auth => ExitStatus::Auth,
            ErrorClass::NotFound => ExitStatus::NotFound,
            ErrorClass::JobFailed => ExitStatus::JobFailed,
            ErrorClass::AlreadyRunning => ExitStatus::AlreadyRunning,
            ErrorClass::Unreachable => ExitStatus::Unreachable,
            ErrorClass::Usage => ExitStatus::Usage,
        };
        let hints = error.hints();
        Failure { status, error: error.into(), hints, going: None }
    }
}

impl From<settings::SettingsError> for Failure {
    fn from(error: settings::SettingsError) -> Self {
        match error {
            settings::SettingsError::Client(e) => e.into(),
            other => {
                let mut failure = Failure::new(ExitStatus::Usage, other);
                failure
                    .hints
                    .push("docs/quickstart.md shows a complete profile; `sacctl --help` lists the variables".into());
                failure
            }
        }
    }
}
