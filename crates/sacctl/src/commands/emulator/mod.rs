//! `sacctl emulator`: runs the SAC emulator in the foreground
//! (`foreground`), or in the background as a service (`service`).

mod foreground;
mod service;
mod shell;
pub(crate) mod state;

use self::foreground::foreground;
use crate::cli::{EmulatorCommand, EmulatorCommandArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;

pub async fn emulator(printer: Printer, args: EmulatorCommandArgs) -> Result<ExitStatus, Failure> {
    match args.command {
        None => foreground(args.run).await,
        Some(EmulatorCommand::Start(start)) if start.detach => service::start(printer, *start).await,
        Some(EmulatorCommand::Start(start)) => foreground(start.run).await,
        Some(EmulatorCommand::Env(args)) => service::env(printer, args),
        Some(EmulatorCommand::Status(args)) => service::status(printer, args).await,
        Some(EmulatorCommand::Stop(args)) => service::stop(printer, args).await,
    }
}
