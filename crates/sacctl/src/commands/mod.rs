//! One module per command group.

mod auth;
mod config;
mod demo;
mod emulator;
pub(crate) mod export;
pub(crate) mod import;
mod models;
pub(crate) mod multiaction;
pub(crate) mod schedule;
mod tools;

use sac_client::Client;

use crate::cli::{AuthCommand, Cli, Command, ConnectionArgs};
use crate::exit::ExitStatus;
use crate::output::Printer;
use crate::report::Going;
use crate::settings::{self, Settings};
use crate::Failure;

/// Runs a command. SIGINT and SIGTERM end it with 130 or 143, naming the
/// run the command declared as going (see [`Going::declare`]).
pub async fn run(cli: Cli) -> Result<ExitStatus, Failure> {
    if let Command::Emulator(args) = cli.command {
        // A server: it stops cleanly on the signals itself (exit 0).
        return emulator::emulator(Printer { format: cli.output, quiet: cli.quiet }, args).await;
    }
    if let Command::Chain(command) = cli.command {
        // A chain records its steps as interrupted and prints its summary itself.
        return crate::chain::chain(Printer { format: cli.output, quiet: cli.quiet }, command).await;
    }
    tokio::select! {
        result = dispatch(cli) => result,
        status = interrupted() => Err(match Going::declared() {
            Some(going) => Failure::interrupted(status).going(&going),
            None => Failure::interrupted(status),
        }),
    }
}

async fn dispatch(cli: Cli) -> Result<ExitStatus, Failure> {
    let printer = Printer { format: cli.output, quiet: cli.quiet };
    match cli.command {
        Command::Demo => demo::demo(printer).await,
        Command::Emulator(args) => emulator::emulator(printer, args).await,
        Command::Completions(args) => tools::completions(args),
        Command::Man(args) => tools::man(printer, args),
        Command::Config(command) => config::config(printer, command),
        Command::Login(args) => auth::login(printer, args).await,
        Command::Logout(args) => auth::logout(printer, args).await,
        Command::Auth(AuthCommand::Status(args)) => auth::status(printer, args).await,
        Command::Auth(AuthCommand::Doctor(args)) => auth::doctor(printer, args).await,
        Command::Schedule(command) => schedule::schedule(printer, command).await,
        Command::MultiAction(command) => multiaction::multiaction(printer, command).await,
        Command::Import(command) => import::import(printer, command).await,
        Command::Models(command) => models::models(printer, command).await,
        Command::Chain(command) => crate::chain::chain(printer, command).await,
        Command::Export { connection, model, filter, select, orderby, out } => {
            let query = sac_client::dataexport::FactQuery {
                filter: filter.as_deref(),
                select: select.as_deref(),
                orderby: orderby.as_deref(),
            };
            export::export(printer, connection, model, &query, out).await
        }
    }
}

/// Resolves the settings and builds a client.
pub(crate) fn connect(args: &ConnectionArgs) -> Result<(Settings, Client), Failure> {
    let settings = settings::resolve(args)?;
    let client = Client::new(settings.client.clone())?;
    Ok((settings, client))
}

/// CSV results go to stdout, or to `--out`; with `--output json` stdout
/// holds the one JSON document, so the CSV needs `--out`.
fn csv_out_for(printer: Printer, out: Option<&std::path::Path>) -> Result<(), Failure> {
    if printer.json() && out.is_none() {
        return Err(Failure::usage(
            "this command writes CSV; with --output json give --out FILE (the CSV goes there, the JSON document to stdout)",
        ));
    }
    Ok(())
}

/// The document of a CSV written to a file.
fn csv_written(printer: Printer, path: &std::path::Path, rows: u64) {
    if printer.json() {
        printer.result_json(&crate::report::finish(
            serde_json::json!({"file": path.display().to_string(), "rows": rows}),
            ExitStatus::Success,
            None,
        ));
    }
}

/// Completes on SIGINT (130) or SIGTERM (143).
pub(crate) async fn interrupted() -> ExitStatus {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => ExitStatus::Interrupted,
            _ = term.recv() => ExitStatus::Terminated,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        ExitStatus::Interrupted
    }
}
