//! The commands about sacctl itself: completions, man page, config file.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::connection::ConnectionArgs;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write sacctl.1 and one page per subcommand (sacctl-schedule-run.1, ...) into this directory instead.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented profile to the config file: the values given by flags and SACCTL_* variables,
    /// every other setting commented out.
    #[command(
        after_help = "Example:\n  sacctl config init --profile prod --tenant-url https://acme.eu10.hcs.cloud.sap\n  \
                            eval \"$(sacctl emulator start --detach)\" && sacctl config init --profile emulator"
    )]
    Init(ConfigInitArgs),
    /// Every setting's value and where it comes from (flag, environment, profile, default); secrets masked.
    #[command(after_help = "Example:\n  sacctl config show --profile prod\n  sacctl config show --output json")]
    Show(ConnectionArgs),
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Replace the config file if it exists.
    #[arg(long)]
    pub force: bool,
}
