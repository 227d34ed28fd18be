//! `sacctl export subscriptions …`: the named delta subscriptions that
//! `sacctl export --delta NAME` keeps.

use clap::Subcommand;

use super::connection::ConnectionArgs;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The named delta subscriptions kept here (`export --delta NAME`).
    #[command(
        subcommand,
        after_help = "Example:\n  sacctl export subscriptions list\n  sacctl export subscriptions delete nightly"
    )]
    Subscriptions(SubscriptionsCommand),
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionsCommand {
    /// List them: name, model, filter and the subscription read next.
    #[command(after_help = "Example:\n  sacctl export subscriptions list --output json")]
    List,
    /// Delete one: its subscription chain in SAC, then its state here.
    #[command(after_help = "Example:\n  sacctl export subscriptions delete nightly")]
    Delete {
        #[command(flatten)]
        connection: Box<ConnectionArgs>,
        /// The name given to `export --delta`.
        name: String,
    },
}
