//! `sacctl monitor ...`: SAC's statistics through the Monitoring API.

use sac_client::monitoring::StatisticsModel;

use crate::cli::{MonitorArgs, MonitorCommand};
use crate::connect::connect;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::ops::monitor::{self, Listing};
use crate::output::Printer;

pub async fn monitor(printer: Printer, command: MonitorCommand) -> Result<ExitStatus, Failure> {
    let (model, args) = match command {
        MonitorCommand::DataManagement(args) => (StatisticsModel::DataManagement, args),
        MonitorCommand::DataActions(args) => (StatisticsModel::PlanningDataAction, args),
    };
    let listing = listing(model, &args)?;
    let (_, client) = connect(&args.connection)?;
    Ok(monitor::list(&client, &listing).await?.print(printer))
}

fn listing(model: StatisticsModel, args: &MonitorArgs) -> Result<Listing, Failure> {
    match args.since {
        Some(since) => Listing::since(model, since, args.schedule.clone()),
        None => Ok(Listing { model, from: args.from, till: args.till, schedule: args.schedule.clone() }),
    }
}
