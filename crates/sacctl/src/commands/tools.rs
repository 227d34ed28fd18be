//! `sacctl completions` and `sacctl man`: generated from the same clap
//! tree that parses the command line, so they never drift from it.

use std::io::Write;

use anyhow::{anyhow, Context};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;

pub fn completions(args: CompletionsArgs) -> Result<ExitStatus, Failure> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "sacctl", &mut out);
    out.flush().map_err(|e| Failure::new(ExitStatus::Usage, anyhow!(e).context("cannot write to stdout")))?;
    Ok(ExitStatus::Success)
}

pub fn man(printer: Printer, args: ManArgs) -> Result<ExitStatus, Failure> {
    let command = Cli::command();
    match args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut out)
                .and_then(|()| out.flush())
                .context("cannot write the man page to stdout")
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(command, &dir))
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
            printer.result(&format!("wrote sacctl.1 and a page per subcommand into {}", dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}
