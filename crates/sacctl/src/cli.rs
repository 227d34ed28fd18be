//! The command line as clap sees it (no I/O here).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sacctl",
    version,
    about = "Trigger, watch and feed SAP Analytics Cloud data loads from any scheduler",
    after_help = "Exit codes: 0 ok, 1 job failed, 2 usage/config, 3 auth, 4 not found, 5 timeout (still running),\n\
                  6 warnings/rejected rows, 7 already running, 8 unreachable, 9 cancelled, 130/143 interrupted.\n\
                  See docs/exit-codes.md."
)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the seed scenario end to end against an embedded emulator.
    Demo,
    /// Run the SAC emulator: a local tenant with token service, sessions,
    /// data integration service and job engine.
    Emulator(EmulatorArgs),
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port of the browser domain and token service (0: any free port).
    #[arg(long, default_value_t = 8030)]
    pub port: u16,
    /// Port of the direct API domain (0: any free port).
    #[arg(long, default_value_t = 8031)]
    pub api_port: u16,
    /// Address to listen on. Loopback by default: the admin API has no authentication.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Keep state in DIR/emulator.sqlite3 across restarts (default: in memory).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Load this tenant description (TOML) instead of the demo tenant.
    #[arg(long, value_name = "FILE")]
    pub tenant: Option<PathBuf>,
    /// Approve /oauth/authorize as this user without showing the login form.
    #[arg(long, value_name = "USER")]
    pub auto_approve_user: Option<String>,
    /// How long a run takes (e.g. 2s, 500ms, 0s for immediate).
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub job_duration: Duration,
    /// Lifetime of access tokens (default: the tenant's, 3599s for the demo).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub token_lifetime: Option<Duration>,
    /// Print SACCTL_TENANT_URL, SACCTL_API_URL and SACCTL_TOKEN_URL on stdout once ready.
    #[arg(long)]
    pub print_env: bool,
    /// Print the demo tenant as TOML (a starting point for --tenant) and exit.
    #[arg(long)]
    pub print_tenant: bool,
}
