//! The `sacctl` command line: arguments, settings, output and exit codes
//! over the `sac-client` and `sac-emulator` libraries.

pub mod cli;
pub mod commands;
pub mod exit;
pub mod output;
pub mod report;
pub mod settings;

use clap::Parser;

use crate::exit::ExitStatus;

/// Parses the command line, runs the command and maps the outcome to an
/// exit code. Errors go to stderr as `error: ...`, their causes, and hints.
pub fn main() -> std::process::ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitStatus::Success,
                _ => ExitStatus::Usage,
            }
            .into();
        }
    };
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            report(&Failure::new(
                ExitStatus::Unreachable,
                anyhow::anyhow!(e).context("cannot start the async runtime"),
            ));
            return ExitStatus::Unreachable.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => status.into(),
        Err(failure) => {
            report(&failure);
            failure.status.into()
        }
    }
}

/// Logs go to stderr; `-v` shows info, `-vv` debug, `RUST_LOG` overrides.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,hyper=warn,reqwest=warn",
        _ => "debug,hyper=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Prints an error, its causes and its hints on stderr.
#[allow(clippy::print_stderr)]
fn report(failure: &Failure) {
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
}

/// An error together with the exit status it means and what to do about it.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub error: anyhow::Error,
    pub hints: Vec<String>,
}

impl Failure {
    pub fn new(status: ExitStatus, error: impl Into<anyhow::Error>) -> Self {
        Failure { status, error: error.into(), hints: Vec::new() }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(ExitStatus::Usage, anyhow::anyhow!(message.into()))
    }
}

impl From<sac_client::Error> for Failure {
    fn from(error: sac_client::Error) -> Self {
        use sac_client::ErrorClass;
        let status = match error.class() {
            ErrorClass::Auth => ExitStatus::Auth,
            ErrorClass::NotFound => ExitStatus::NotFound,
            ErrorClass::AlreadyRunning => ExitStatus::AlreadyRunning,
            ErrorClass::Unreachable => ExitStatus::Unreachable,
            ErrorClass::Usage => ExitStatus::Usage,
        };
        let hints = error.hints();
        Failure { status, error: error.into(), hints }
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
