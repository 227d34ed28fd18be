//! One module per command.

mod demo;
mod emulator;

use crate::cli::{Cli, Command};
use crate::exit::ExitStatus;
use crate::Failure;

pub async fn run(cli: Cli) -> Result<ExitStatus, Failure> {
    match cli.command {
        Command::Demo => demo::demo().await,
        Command::Emulator(args) => emulator::emulator(args).await,
    }
}
