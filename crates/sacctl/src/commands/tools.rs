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
    // clap_complete panics on a write error: render into memory, then write.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "sacctl", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        // A reader that stops early (`sacctl completions bash | head`) is no error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::new(ExitStatus::Usage, anyhow!(e).context("cannot write to stdout")))
        }
        _ => Ok(ExitStatus::Success),
    }
}

/// The man page: clap's sections, then ENVIRONMENT, FILES and EXIT STATUS
/// in place of the plain text after the flags.
fn render_man(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(command);
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    out.write_all(crate::cli::reference::man_sections().as_bytes())?;
    man.render_version_section(out)
}

pub fn man(printer: Printer, args: ManArgs) -> Result<ExitStatus, Failure> {
    let command = Cli::command();
    match args.out_dir {
        None => {
            let mut out = std::io::stdout().lock();
            let written = render_man(command, &mut out).and_then(|()| out.flush());
            if let Err(e) = written {
                // A reader that stops early (`sacctl man | head`) is no error.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(ExitStatus::Success);
                }
                return Err(Failure::new(ExitStatus::Usage, anyhow!(e).context("cannot write the man page to stdout")));
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(command.clone(), &dir))
                // The main page with the sections clap does not write.
                .and_then(|()| render_man(command, &mut std::fs::File::create(dir.join("sacctl.1"))?))
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
            printer.result(&format!("wrote sacctl.1 and a page per subcommand into {}", dir.display()));
        }
    }
    Ok(ExitStatus::Success)
}
