//! One module per command group. A command reads its flags, calls the
//! operations (`crate::ops`) or the client, and prints.

mod auth;
mod calendar;
mod chain;
mod config;
mod csv_out;
mod demo;
mod emulator;
mod export;
mod export_delta;
mod import;
mod models;
mod monitor;
mod multiaction;
mod options;
mod schedule;
mod tools;

use crate::cli::{AuthCommand, Cli, Command};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::going::Going;
use crate::output::Printer;
use crate::signals::{interrupted, CleansUp, CLEANUP_LIMIT};

/// Runs a command. SIGINT and SIGTERM end it with 130 or 143, naming the
/// run the command declared as going (see [`Going::declare`]).
pub async fn run(cli: Cli) -> Result<ExitStatus, Failure> {
    if let Command::Emulator(args) = cli.command {
        // A server: it stops cleanly on the signals itself (exit 0).
        return emulator::emulator(Printer { format: cli.output, quiet: cli.quiet }, args).await;
    }
    if let Command::Chain(command) = cli.command {
        // A chain records its steps as interrupted and prints its summary itself.
        return chain::chain(Printer { format: cli.output, quiet: cli.quiet }, command).await;
    }
    let mut work = std::pin::pin!(dispatch(cli));
    tokio::select! {
        result = &mut work => result,
        status = interrupted() => {
            // A command that cleans up after the signal itself ends on its own, in bounded time.
            if CleansUp::held() {
                if let Ok(result) = tokio::time::timeout(CLEANUP_LIMIT, &mut work).await {
                    return result;
                }
            }
            Err(match Going::declared() {
                Some(going) => Failure::interrupted(status).going(&going),
                None => Failure::interrupted(status),
            })
        }
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
        Command::Calendar(command) => calendar::calendar(printer, command).await,
        Command::Monitor(command) => monitor::monitor(printer, command).await,
        Command::Import(command) => import::import(printer, command).await,
        Command::Models(command) => models::models(printer, command).await,
        Command::Chain(command) => chain::chain(printer, command).await,
        Command::Mcp(args) => crate::mcp::serve(args).await,
        Command::Export { command: Some(command), .. } => export_delta::subscriptions(printer, *command).await,
        Command::Export { connection, model, filter, delta: Some(name), out, .. } => {
            let model = model.unwrap_or_default();
            export_delta::export_delta(printer, connection, &name, &model, filter.as_deref(), out).await
        }
        Command::Export { connection, model, other, filter, select, orderby, out, .. } => {
            let query = sac_client::dataexport::FactQuery {
                filter: filter.as_deref(),
                select: select.as_deref(),
                orderby: orderby.as_deref(),
            };
            let target = export::Target::of(model, other.dimension, other.currency_table, other.unit_table);
            export::export(printer, connection, target, &query, (other.format, other.delimiter), out).await
        }
    }
}
