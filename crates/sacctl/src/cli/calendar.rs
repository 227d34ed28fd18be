//! `sacctl calendar ...`: calendar events through SAC's Calendar API.

use clap::{Args, Subcommand};

use super::connection::ConnectionArgs;
use super::WaitArgs;

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// An event with its status and progress, and every child event below it.
    #[command(after_help = "Example:\n  sacctl calendar show 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B --output json")]
    Show {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The calendar event id (from the event's URL or details in SAC).
        event_id: String,
    },
    /// Run a process: copy it with its hierarchy and activate the copy (--copy), or open the event again;
    /// with --wait, wait for the whole hierarchy and exit with its outcome.
    #[command(
        after_help = "Example:\n  sacctl calendar run 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B --copy --wait --timeout 2h"
    )]
    Run(CalendarRunArgs),
    /// Wait for an event (a process and its child events) and exit with its outcome.
    #[command(after_help = "Example:\n  sacctl calendar wait 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B --timeout 1h")]
    Wait {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The calendar event id.
        event_id: String,
        #[command(flatten, next_help_heading = "Waiting")]
        wait_args: WaitArgs,
    },
    /// Put an open or running event on hold.
    #[command(after_help = "Example:\n  sacctl calendar hold 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B")]
    Hold(CalendarChangeArgs),
    /// Cancel an open, running or held event.
    #[command(after_help = "Example:\n  sacctl calendar cancel 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B --notify")]
    Cancel(CalendarChangeArgs),
}

#[derive(Debug, Args)]
pub struct CalendarRunArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The calendar event id: the process (or task) to run.
    pub event_id: String,
    /// Copy the event with all its child events (starting today) and activate the copy, instead of opening
    /// the event itself again.
    #[arg(long)]
    pub copy: bool,
    /// Let SAC notify the users of the event and its hierarchy.
    #[arg(long)]
    pub notify: bool,
    /// Wait for the event and all its child events to finish.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten, next_help_heading = "Waiting (with --wait)")]
    pub wait_args: WaitArgs,
}

#[derive(Debug, Args)]
pub struct CalendarChangeArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The calendar event id.
    pub event_id: String,
    /// Let SAC notify the users of the event.
    #[arg(long)]
    pub notify: bool,
}
