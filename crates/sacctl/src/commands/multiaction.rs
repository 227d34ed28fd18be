//! `sacctl multiaction ...`: multi actions through the Multi Actions API.

use sac_client::multiaction::Param;

use super::options::run_waiting;
use crate::cli::MultiActionCommand;
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::multiaction::{self, Accept};
use crate::output::Printer;

pub async fn multiaction(printer: Printer, command: MultiActionCommand) -> Result<ExitStatus, Failure> {
    match command {
        MultiActionCommand::Run { connection, id, params, wait, wait_args, allow_failed_steps } => {
            let params = params.iter().map(|p| Param::parse(p)).collect::<Result<Vec<_>, _>>()?;
            let (settings, client) = connect(&connection)?;
            let started = multiaction::start(&client, &settings.profile, &id, &params).await?;
            printer.note(&started.note());
            if !wait {
                return Ok(started.outcome().print(printer));
            }
            let accept = Accept { failed_steps: allow_failed_steps };
            wait_and_print(printer, &client, &settings.profile, &id, &started.execution_id, &wait_args, accept).await
        }
        MultiActionCommand::Wait { connection, id, execution_id, wait_args, allow_failed_steps } => {
            let (settings, client) = connect(&connection)?;
            let accept = Accept { failed_steps: allow_failed_steps };
            wait_and_print(printer, &client, &settings.profile, &id, &execution_id, &wait_args, accept).await
        }
        MultiActionCommand::Status { connection, id, execution_id } => {
            let (settings, client) = connect(&connection)?;
            Ok(multiaction::status(&client, &settings.profile, &id, &execution_id).await?.print(printer))
        }
    }
}

async fn wait_and_print(
    printer: Printer,
    client: &sac_client::Client,
    profile: &str,
    id: &str,
    execution_id: &str,
    wait_args: &crate::cli::RunWaitArgs,
    accept: Accept,
) -> Result<ExitStatus, Failure> {
    let progress = printer.progress(&format!("multi action {id}"));
    let outcome =
        multiaction::wait(client, profile, id, execution_id, &run_waiting(wait_args), accept, &progress).await?;
    progress.finish();
    Ok(outcome.print(printer))
}
