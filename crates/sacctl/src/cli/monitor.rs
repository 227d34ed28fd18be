//! `sacctl monitor ...`: SAC's statistics through the Monitoring API.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::connection::ConnectionArgs;

#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// The runs of Data Management schedules (SAC's DM_SCHEDULE statistics), newest first.
    #[command(
        name = "data-management",
        after_help = "Example:\n  sacctl monitor data-management --since 1h --output json\n  \
                      sacctl monitor data-management --schedule F58CA15F78AA9039E200586F05E2BB93 --since 7d"
    )]
    DataManagement(MonitorArgs),
    /// The executions of data actions (SAC's PLANNING_DATA_ACTIONS statistics), newest first.
    #[command(name = "data-actions", after_help = "Example:\n  sacctl monitor data-actions --since 24h")]
    DataActions(MonitorArgs),
}

#[derive(Debug, Args)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Only what started within this long before now (1h, 30m, 7d).
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with_all = ["from", "till"])]
    pub since: Option<Duration>,
    /// Only what started at or after this UTC time (RFC 3339, e.g. 2026-01-31T22:00:00Z).
    #[arg(long, value_parser = parse_time)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only what started at or before this UTC time (RFC 3339).
    #[arg(long, value_parser = parse_time)]
    pub till: Option<chrono::DateTime<chrono::Utc>>,
    /// Only the runs of this data import (schedule) id.
    #[arg(long)]
    pub schedule: Option<String>,
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{e}: give an RFC 3339 time such as 2026-01-31T22:00:00Z"))
}
