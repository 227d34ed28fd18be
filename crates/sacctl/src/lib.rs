//! The `sacctl` command line: argument parsing, output and exit codes over
//! the `sac-emulator` (and, later, `sac-client`) libraries.

pub mod cli;
pub mod commands;
pub mod exit;

use clap::Parser;

use crate::exit::ExitStatus;

/// Parses the command line, runs the command and maps the outcome to an
/// exit code. Errors are printed on stderr as `error: ...` with their causes.
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
            report(&anyhow::anyhow!(e).context("cannot start the async runtime"));
            return ExitStatus::Unreachable.into();
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => status.into(),
        Err(failure) => {
            report(&failure.error);
            failure.status.into()
        }
    }
}

/// Logs go to stderr; `-v` shows info, `-vv` debug, `RUST_LOG` overrides.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,hyper=warn",
        _ => "debug,hyper=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Prints an error and its causes on stderr.
#[allow(clippy::print_stderr)]
fn report(error: &anyhow::Error) {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// An error together with the exit status it means.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(status: ExitStatus, error: impl Into<anyhow::Error>) -> Self {
        Failure { status, error: error.into() }
    }
}
