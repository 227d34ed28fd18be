//! `sacctl calendar ...`: calendar events through the Calendar API.

use sac_client::calendar::StatusChange;

use super::options::waiting;
use crate::cli::{CalendarChangeArgs, CalendarCommand, WaitArgs};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::calendar::{self, Start};
use crate::output::Printer;

pub async fn calendar(printer: Printer, command: CalendarCommand) -> Result<ExitStatus, Failure> {
    match command {
        CalendarCommand::Show { connection, event_id } => {
            let (_, client) = connect(&connection)?;
            Ok(calendar::show(&client, &event_id).await?.print(printer))
        }
        CalendarCommand::Run(args) => {
            let (settings, client) = connect(&args.connection)?;
            let start = Start { copy: args.copy, notify: args.notify };
            let started = calendar::start(&client, &settings.profile, &args.event_id, start).await?;
            printer.note(&started.note());
            if !args.wait {
                return Ok(started.outcome().print(printer));
            }
            wait_and_print(printer, &client, &settings.profile, &started.event_id, &args.wait_args).await
        }
        CalendarCommand::Wait { connection, event_id, wait_args } => {
            let (settings, client) = connect(&connection)?;
            wait_and_print(printer, &client, &settings.profile, &event_id, &wait_args).await
        }
        CalendarCommand::Hold(args) => change(printer, args, StatusChange::OnHold).await,
        CalendarCommand::Cancel(args) => change(printer, args, StatusChange::Canceled).await,
    }
}

async fn change(printer: Printer, args: CalendarChangeArgs, to: StatusChange) -> Result<ExitStatus, Failure> {
    let (_, client) = connect(&args.connection)?;
    Ok(calendar::change(&client, &args.event_id, to, args.notify).await?.print(printer))
}

async fn wait_and_print(
    printer: Printer,
    client: &sac_client::Client,
    profile: &str,
    event_id: &str,
    wait_args: &WaitArgs,
) -> Result<ExitStatus, Failure> {
    let progress = printer.progress(&format!("calendar event {event_id}"));
    let outcome = calendar::wait(client, profile, event_id, &waiting(wait_args), &progress).await?;
    progress.finish();
    Ok(outcome.print(printer))
}
