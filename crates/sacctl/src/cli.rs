//! The command line as clap sees it (no I/O here).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "sacctl",
    version,
    about = "Trigger, watch and feed SAP Analytics Cloud data loads from any scheduler",
    after_help = "Exit codes: 0 ok, 1 job failed, 2 usage/config, 3 auth, 4 not found, 5 timeout (still running),\n\
                  6 warnings/rejected rows, 7 already running, 8 unreachable, 9 cancelled/stopped, 130/143 interrupted.\n\
                  Settings: flags > SACCTL_* environment variables > profile in the config file. See docs/quickstart.md."
)]
pub struct Cli {
    /// More logs on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Results as text or JSON (on stdout either way; progress goes to stderr).
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub output: OutputFormat,
    /// No progress or notes on stderr (errors are still shown).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Whether raw arguments ask for `--output json` (for the one document
/// that reports arguments clap could not parse).
pub fn wants_json(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    args.iter().any(|a| a == "--output=json") || args.windows(2).any(|w| w[0] == "--output" && w[1] == "json")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the seed scenario end to end against an embedded emulator.
    Demo,
    /// Run the SAC emulator: a local tenant with token service, sessions,
    /// data integration service and job engine.
    Emulator(EmulatorArgs),
    /// Log in as a user (authorization code with PKCE) and keep the refresh token.
    Login(LoginArgs),
    /// Forget the cached tokens of a profile.
    Logout(ConnectionArgs),
    /// Check authentication.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Data Management schedules (data imports) through SAC's data integration service.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Multi actions through SAC's Multi Actions API (needs a user: authorization_code, password or saml2_bearer).
    #[command(subcommand, name = "multiaction")]
    MultiAction(MultiActionCommand),
    /// Push rows into models through the Data Import API, and manage its jobs.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Models the Data Import API can load.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Load chains: steps of every kind with dependencies, run in parallel, resumable (docs/chains.md).
    #[command(subcommand)]
    Chain(ChainCommand),
    /// Read a model's fact data through the Data Export API, as CSV (all pages, streamed).
    Export {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model id or name (SALES_PLAN, t.G:SALES_PLAN).
        #[arg(long)]
        model: String,
        /// OData filter, e.g. "Version eq 'public.Plan' and Date eq '202601'".
        #[arg(long)]
        filter: Option<String>,
        /// Columns, comma separated (default: all).
        #[arg(long)]
        select: Option<String>,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Run a chain: each step when the steps it needs succeeded, side by side up to --parallel.
    Run(Box<ChainRunArgs>),
    /// Check a chain file (keys, kinds, needs, cycles, durations, variables) without running it; exit 2 on any error.
    Check(ChainFileArgs),
    /// Show the order of a chain's steps and which may run side by side.
    Plan(ChainFileArgs),
}

#[derive(Debug, Args)]
pub struct ChainFileArgs {
    /// The chain file (TOML).
    pub file: PathBuf,
    /// A variable's value, NAME=VALUE (over the file's [vars]); repeat.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ChainRunArgs {
    #[command(flatten)]
    pub chain: ChainFileArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Write the state of each step to this file as the chain goes (default: <chain>.state.json next to the chain file).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Resume from this state file: skip steps that succeeded, wait again for runs still going, run the rest.
    #[arg(long, value_name = "STATE")]
    pub resume: Option<PathBuf>,
    /// Steps running at once, at most.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub parallel: u16,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// The models, with their ids.
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// A model's versions, import types and columns.
    Show {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model id or name (SALES_PLAN, t.G:SALES_PLAN).
        model: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Stream a CSV (or JSON) file into a model: create a job, upload in chunks, validate, run, wait.
    Push(Box<PushArgs>),
    /// The jobs of this identity.
    Jobs {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// A job's status.
    Status {
        #[command(flatten)]
        connection: ConnectionArgs,
        job_id: String,
    },
    /// A job's rejected rows with their reason, as CSV.
    InvalidRows {
        #[command(flatten)]
        connection: ConnectionArgs,
        job_id: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Delete a job.
    Delete {
        #[command(flatten)]
        connection: ConnectionArgs,
        job_id: String,
    },
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Model id or name (SALES_PLAN, t.G:SALES_PLAN), or a public dimension with --type publicDimensionData.
    #[arg(long)]
    pub model: String,
    /// factData, privateFactData or publicDimensionData.
    #[arg(long = "type", default_value = "factData")]
    pub import_type: String,
    /// The rows: a CSV file with a header line (streamed), a JSON file ({"Data":[...]} or [...], read whole), or - for CSV on stdin.
    #[arg(long)]
    pub file: PathBuf,
    /// Source column to model column, SRC=DST; repeat.
    #[arg(long = "mapping", value_name = "SRC=DST")]
    pub mappings: Vec<String>,
    /// A value for a column the file does not have, DIM=VALUE; repeat.
    #[arg(long = "default", value_name = "DIM=VALUE")]
    pub defaults: Vec<String>,
    /// Update (default), Append or CleanAndReplace.
    #[arg(long)]
    pub method: Option<String>,
    /// Dimensions CleanAndReplace clears by, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub scope: Vec<String>,
    /// Rows per upload request.
    #[arg(long, default_value_t = 50_000)]
    pub chunk_rows: usize,
    /// Upload requests in flight at once.
    #[arg(long, default_value_t = 2)]
    pub parallel: usize,
    /// Stop before writing (and write nothing) when more rows than this are invalid.
    #[arg(long)]
    pub max_failed_rows: Option<u64>,
    /// Write the rejected rows with their reason to this CSV file.
    #[arg(long)]
    pub rejects_out: Option<PathBuf>,
    /// Validate only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Drop columns the model does not have instead of rejecting the rows.
    #[arg(long)]
    pub ignore_additional_columns: bool,
    #[command(flatten)]
    pub wait_args: WaitArgs,
}

#[derive(Debug, Subcommand)]
pub enum MultiActionCommand {
    /// Start a multi action; with --wait, wait for it and exit with its outcome.
    Run {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The multi action, <package>:<object> (e.g. t.G:MA_LOAD_ZEPPART).
        id: String,
        /// A parameter value, NAME=MEMBER[,MEMBER]; repeat for each parameter.
        #[arg(long = "param", value_name = "NAME=MEMBER[,MEMBER]")]
        params: Vec<String>,
        /// Wait for the execution to finish.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Show an execution's status and messages (exit 5 while it runs).
    Status {
        #[command(flatten)]
        connection: ConnectionArgs,
        id: String,
        execution_id: String,
    },
    /// Wait for an execution and exit with its outcome.
    Wait {
        #[command(flatten)]
        connection: ConnectionArgs,
        id: String,
        execution_id: String,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
}

/// Where to connect and as whom. Secrets are never flags: they come from
/// SACCTL_CLIENT_SECRET / SACCTL_PASSWORD (or their _FILE / _CMD forms) or
/// the profile's *_file / *_cmd settings.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Profile in the config file [env: SACCTL_PROFILE] (default: "default").
    #[arg(long)]
    pub profile: Option<String>,
    /// Config file [env: SACCTL_CONFIG] (default: $XDG_CONFIG_HOME/sacctl/config.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Tenant (browser domain) URL [env: SACCTL_TENANT_URL].
    #[arg(long)]
    pub tenant_url: Option<String>,
    /// Direct API domain URL [env: SACCTL_API_URL].
    #[arg(long)]
    pub api_url: Option<String>,
    /// Full token endpoint URL [env: SACCTL_TOKEN_URL].
    #[arg(long)]
    pub token_url: Option<String>,
    /// Tenant id, the X in t.X:MODEL [env: SACCTL_TENANT_ID].
    #[arg(long)]
    pub tenant_id: Option<String>,
    /// OAuth client id [env: SACCTL_CLIENT_ID].
    #[arg(long)]
    pub client_id: Option<String>,
    /// client_credentials, authorization_code, password or saml2_bearer [env: SACCTL_GRANT].
    #[arg(long)]
    pub grant: Option<String>,
    /// User for the password grant [env: SACCTL_USER].
    #[arg(long)]
    pub user: Option<String>,
    /// Do not read or write the on-disk token cache.
    #[arg(long)]
    pub no_token_cache: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Loopback port for the redirect (0: any free port; the OAuth client must allow it).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Only print the URL to open; do not start a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the browser.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Show the cached login of a profile.
    Status(ConnectionArgs),
    /// Walk the whole chain (settings, token, CSRF session, each API) and say what fails and how to fix it.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A model to read schedules of (t.X:ID), to check the data integration service.
    #[arg(long)]
    pub model: Option<String>,
}

/// Which schedule, and of which model.
#[derive(Debug, Args)]
pub struct ScheduleTarget {
    /// The data import (schedule) id.
    pub schedule_id: String,
    /// The model or dimension it loads, t.X:ID (found from --mapping when omitted).
    #[arg(long)]
    pub model: Option<String>,
    /// The mapping id (checked; read from the logs when omitted).
    #[arg(long)]
    pub mapping: Option<String>,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up waiting after this long (exit 5; the run goes on).
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Longest pause between two status reads (they start 250 ms apart and grow to 5% of the time waited).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
    /// How long a new run may be missing from SAC's logs (they lag).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub appear_timeout: Duration,
    /// Exit 0 instead of 6 when the run finished with rejected rows (or a multi action with a warning).
    #[arg(long)]
    pub warnings_ok: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IfRunningArg {
    /// Refuse with exit 7 (SAC would stop both runs).
    Fail,
    /// Wait for the run in flight, then start.
    Wait,
    /// Start anyway (SAC stops both).
    Start,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// The data imports of a model, with their last run.
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model or dimension, t.X:ID.
        #[arg(long)]
        model: String,
    },
    /// The runs of a model's data imports, newest first.
    Logs {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[arg(long)]
        model: String,
        /// Only this data import.
        #[arg(long)]
        schedule: Option<String>,
        /// At most this many runs per data import.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Start a data import; with --wait, wait for it and exit with its outcome.
    Run {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        target: ScheduleTarget,
        /// Wait for the run to finish.
        #[arg(long)]
        wait: bool,
        /// What to do when a run of this data import is already in flight.
        #[arg(long, value_enum, default_value = "fail")]
        if_running: IfRunningArg,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Wait for a run (the newest, or --execution) and exit with its outcome.
    Wait {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        target: ScheduleTarget,
        /// The run's execution id (default: the newest run).
        #[arg(long)]
        execution: Option<String>,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// The rejected rows of a run, as CSV.
    Rejections {
        #[command(flatten)]
        connection: ConnectionArgs,
        execution_id: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn admin_token(value: &str) -> Result<sac_emulator::AdminToken, String> {
    sac_emulator::AdminToken::new(value).ok_or_else(|| "the admin token must not be empty".to_string())
}

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Port of the browser domain and token service (0: any free port).
    #[arg(long, default_value_t = 8030)]
    pub port: u16,
    /// Port of the direct API domain (0: any free port).
    #[arg(long, default_value_t = 8031)]
    pub api_port: u16,
    /// Address to listen on. Loopback by default: without --admin-token the admin API has no authentication.
    /// Admin requests must name this host or a loopback name in `Host`.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// A secret every admin API request (`/emulator/...`, health excepted) must send, as
    /// `Authorization: Bearer TOKEN` or `x-emulator-admin-token: TOKEN`; for shared machines.
    /// Prefer the environment variable: a flag's value shows in the process list.
    #[arg(
        long,
        env = "SACCTL_EMULATOR_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN",
        value_parser = admin_token
    )]
    pub admin_token: Option<sac_emulator::AdminToken>,
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
    /// Rows allowed in one Data Import upload request.
    #[arg(long, default_value_t = 100_000)]
    pub import_max_rows: usize,
    /// Bytes allowed in one Data Import request body.
    #[arg(long, default_value_t = 64 << 20)]
    pub import_max_bytes: usize,
    /// Rows per page of the Data Export API.
    #[arg(long, default_value_t = 10_000)]
    pub export_page_size: usize,
    /// Print SACCTL_TENANT_URL, SACCTL_API_URL and SACCTL_TOKEN_URL on stdout once ready.
    #[arg(long)]
    pub print_env: bool,
    /// Print the demo tenant as TOML (a starting point for --tenant) and exit.
    #[arg(long)]
    pub print_tenant: bool,
}
