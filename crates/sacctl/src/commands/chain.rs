//! `sacctl chain ...`: check, plan and run a chain file (the chain itself
//! is `crate::chain`).

use crate::chain::load::load;
use crate::chain::{plan, run};
use crate::cli::ChainCommand;
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;

pub async fn chain(printer: Printer, command: ChainCommand) -> Result<ExitStatus, Failure> {
    match command {
        ChainCommand::Run(args) => run::run(printer, *args).await,
        ChainCommand::Check(args) => {
            let chain = load(&args)?;
            if printer.json() {
                printer.result_json(&plan::to_json(&chain));
            } else {
                printer.result(&format!("{}: {} steps, no errors", chain.path.display(), chain.steps.len()));
            }
            Ok(ExitStatus::Success)
        }
        ChainCommand::Plan(args) => {
            let chain = load(&args)?;
            if printer.json() {
                printer.result_json(&plan::to_json(&chain));
            } else {
                printer.result(plan::describe(&chain).trim_end());
            }
            Ok(ExitStatus::Success)
        }
    }
}
