//! The `sacctl` command line: arguments, settings, output and exit codes
//! over the `sac-client` and `sac-emulator` libraries.
//!
//! Each layer uses only those below it (no module uses one above it):
//! - `commands`: one module per command group (`sacctl chain` too): flags
//!   in, output out;
//! - `chain`: chain files, their order, state and run, each step through
//!   the same operation as its command;
//! - `mcp`: the MCP server's tools, each over an `ops` function (`sacctl mcp`);
//! - `ops`: one module per kind of job (schedule runs, multi actions,
//!   imports, exports): start, wait, exit mapping and JSON document;
//! - the leaves: `cli` (clap's types), `settings`, `connect`, `output`,
//!   `report`, `failure`, `going`, `shell`, `signals`, `exit`, `logging`,
//!   `site` (the documentation site's address).

pub mod chain;
pub mod cli;
pub mod commands;
pub mod connect;
pub mod exit;
pub mod failure;
pub mod going;
pub mod logging;
pub mod mcp;
pub mod ops;
pub mod output;
pub mod report;
pub mod settings;
pub mod shell;
pub mod signals;
pub mod site;

use clap::Parser;

use crate::exit::ExitStatus;
use crate::failure::Failure;

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
    if let Err(message) = shell::init() {
        let failure = Failure::usage(message);
        report(&failure, json);
        return failure.status.into();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let failure =
                Failure::new(ExitStatus::Unreachable, anyhow::anyhow!(e).context("cannot start the async runtime"));
            report(&failure, json);
            return failure.status.into();
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // After a signal a blocking task may still wait (a FIFO's open, a
    // lock): the process ends without waiting for it. Otherwise every
    // blocking task (an emulator's last write) finishes first.
    let signalled = matches!(&result, Err(f) if matches!(f.status, ExitStatus::Interrupted | ExitStatus::Terminated));
    if signalled {
        runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    } else {
        drop(runtime);
    }
    match result {
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
    // Errors carry the server's words: shown, never acted on by the terminal.
    let visible = |text: String| output::visible(&text).into_owned();
    eprintln!("error: {}", visible(failure.error.to_string()));
    for cause in failure.error.chain().skip(1) {
        eprintln!("  caused by: {}", visible(cause.to_string()));
    }
    if !failure.hints.is_empty() {
        eprintln!();
        for hint in &failure.hints {
            eprintln!("hint: {}", visible(hint.clone()));
        }
    }
    if let Some(going) = &failure.going {
        eprintln!("{}", visible(going.note()));
    }
    if json {
        output::print_json(&report::failure_json(failure));
    }
}
