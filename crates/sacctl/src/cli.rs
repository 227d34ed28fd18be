//! The command line as clap sees it (no I/O here). Every argument has a
//! help text and every command an example (a test walks the tree).

mod calendar;
mod connection;
mod emulator;
mod export;
mod import;
mod mcp;
mod monitor;
pub mod reference;
mod subscriptions;
mod tools;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::site::doc_url;

pub use calendar::*;
pub use connection::ConnectionArgs;
pub use emulator::*;
pub use export::{ExportFormat, ExportOther};
pub use import::*;
pub use mcp::McpArgs;
pub use monitor::*;
pub use subscriptions::*;
pub use tools::*;

#[derive(Debug, Parser)]
#[command(
    name = "sacctl",
    version = env!("SACCTL_LONG_VERSION"),
    about = "Trigger, watch and feed SAP Analytics Cloud data loads from any scheduler",
    after_help = concat!(
        "Exit codes: 0 ok, 1 job failed, 2 usage/config, 3 auth, 4 not found, 5 timeout (still running),\n\
                  6 warnings/rejected rows, 7 already running, 8 unreachable, 9 cancelled/stopped, 130/143 interrupted.\n\
                  Settings: flags > SACCTL_* environment variables > profile in the config file (`sacctl config show`);\n\
                  `sacctl --help` lists every variable, the files and the exit codes.\n\
                  Documentation: ",
        doc_url!(),
        "\n\n\
                  Example:\n  eval \"$(sacctl emulator start --detach)\"   # a local SAC tenant in the background\n  \
                  sacctl demo                               # the seed scenario end to end"
    ),
    after_long_help = reference::long_help()
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
    #[command(after_help = "Example:\n  sacctl demo")]
    Demo,
    /// Run the SAC emulator: a local tenant with token service, sessions,
    /// data integration service and job engine (in the foreground; `start --detach` for the background).
    Emulator(EmulatorCommandArgs),
    /// Log in as a user (authorization code with PKCE) and keep the refresh token.
    #[command(after_help = "Example:\n  sacctl login --port 8765 --profile prod")]
    Login(LoginArgs),
    /// Forget the cached tokens of a profile.
    #[command(after_help = "Example:\n  sacctl logout --profile prod")]
    Logout(ConnectionArgs),
    /// Check authentication.
    #[command(subcommand, after_help = "Example:\n  sacctl auth doctor --model t.G:ZEPPART_001")]
    Auth(AuthCommand),
    /// Data Management schedules (data imports) through SAC's data integration service.
    #[command(
        subcommand,
        after_help = "Example:\n  sacctl schedule run F58CA15F78AA9039E200586F05E2BB93 --model t.G:ZEPPART_001 --wait"
    )]
    Schedule(ScheduleCommand),
    /// Multi actions through SAC's Multi Actions API (needs a user: authorization_code, password or saml2_bearer).
    #[command(
        subcommand,
        name = "multiaction",
        after_help = "Example:\n  sacctl multiaction run t.G:MA_LOAD_ZEPPART --wait"
    )]
    MultiAction(MultiActionCommand),
    /// Planning processes and tasks through SAC's Calendar API (works with client credentials).
    #[command(
        subcommand,
        after_help = "Example:\n  sacctl calendar run 8E2A6C1F0B3D4E5A9C7B6A5F4E3D2C1B --copy --wait"
    )]
    Calendar(CalendarCommand),
    /// Statistics of schedule runs and data actions through SAC's Monitoring API.
    #[command(subcommand, after_help = "Example:\n  sacctl monitor data-management --since 1h")]
    Monitor(MonitorCommand),
    /// Push rows into models through the Data Import API, and manage its jobs.
    #[command(subcommand, after_help = "Example:\n  sacctl import push --model SALES_PLAN --file rows.csv")]
    Import(ImportCommand),
    /// Models the Data Import API can load.
    #[command(subcommand, after_help = "Example:\n  sacctl models list")]
    Models(ModelsCommand),
    /// Load chains: steps of every kind with dependencies, run in parallel, resumable (docs/chains.md).
    #[command(subcommand, after_help = "Example:\n  sacctl chain run nightly.toml --var DAY=20260131")]
    Chain(ChainCommand),
    /// Serve sacctl's operations to AI assistants over the Model Context Protocol (stdio).
    #[command(
        after_help = "Example:\n  sacctl mcp --read-only\n  sacctl mcp --allow t.G:ZEPPART_001 --allow F58CA15F78AA9039E200586F05E2BB93"
    )]
    Mcp(McpArgs),
    /// Print shell completions for bash, zsh, fish or powershell on stdout.
    #[command(
        after_help = "Example:\n  source <(sacctl completions bash)                      # this bash session\n  \
                            sacctl completions zsh > \"${fpath[1]}/_sacctl\"           # zsh, for good"
    )]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or write one page per command into a directory.
    #[command(after_help = "Example:\n  sacctl man | man -l -\n  sacctl man --out-dir ~/.local/share/man/man1")]
    Man(ManArgs),
    /// Write a commented profile file, or show every setting and where it comes from.
    #[command(subcommand, after_help = "Example:\n  sacctl config init && sacctl config show")]
    Config(ConfigCommand),
    /// Read a model's fact data (or a public dimension, a currency or unit table) through the Data Export API, as CSV or JSON Lines (all pages, streamed).
    #[command(
        after_help = "Example:\n  sacctl export --model SALES_PLAN --filter \"Version eq 'public.Actual'\" --out actual.csv\n  \
                      sacctl export --model SALES_PLAN --filter \"Date ge '202603' and contains(Part,'P00')\" --orderby \"Date desc\"\n  \
                      sacctl export --dimension ZEPPART_001 --format jsonl\n  \
                      sacctl export --currency-table CPL_CURRENCY_RATES --delimiter ';' --out rates.csv\n  \
                      sacctl export --unit-table StandardUnitConversion --filter \"Language eq 'en'\"\n  \
                      sacctl export --model SALES_PLAN --delta nightly --out changes.csv   # first run: all rows; then what changed",
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Export {
        #[command(subcommand)]
        command: Option<Box<ExportCommand>>,
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model id or name (SALES_PLAN, t.G:SALES_PLAN).
        #[arg(long, required_unless_present_any = ["dimension", "currency_table", "unit_table"])]
        model: Option<String>,
        #[command(flatten)]
        other: ExportOther,
        /// Incremental: keep subscription NAME for this model (and filter); the first run writes every row,
        /// later runs only the rows changed and the keys deleted since (column _DELTA: upsert or delete). Needs --out.
        #[arg(long, value_name = "NAME", conflicts_with_all = ["select", "orderby", "dimension", "currency_table", "unit_table", "format", "delimiter"], requires_all = ["out", "model"])]
        delta: Option<String>,
        /// OData filter, e.g. "Version eq 'public.Plan' and Date eq '202601'".
        #[arg(long)]
        filter: Option<String>,
        /// Columns, comma separated (default: all, in the model's order). SAC requires every dimension.
        #[arg(long)]
        select: Option<String>,
        /// OData order, e.g. "Date desc,Part" (default: key order).
        #[arg(long)]
        orderby: Option<String>,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Run a chain: each step when the steps it needs succeeded, side by side up to --parallel.
    #[command(after_help = "Example:\n  sacctl chain run nightly.toml --parallel 2\n  \
                            sacctl chain run nightly.toml --resume nightly.toml.state.json")]
    Run(Box<ChainRunArgs>),
    /// Check a chain file (keys, kinds, needs, cycles, durations, variables) without running it; exit 2 on any error.
    #[command(after_help = "Example:\n  sacctl chain check nightly.toml --var DAY=20260131")]
    Check(ChainFileArgs),
    /// Show the order of a chain's steps and which may run side by side.
    #[command(after_help = "Example:\n  sacctl chain plan nightly.toml")]
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
    #[command(after_help = "Example:\n  sacctl models list --output json")]
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// A model's versions, import types and columns.
    #[command(after_help = "Example:\n  sacctl models show SALES_PLAN")]
    Show {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model id or name (SALES_PLAN, t.G:SALES_PLAN).
        model: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MultiActionCommand {
    /// Start a multi action; with --wait, wait for it and exit with its outcome.
    #[command(
        after_help = "Example:\n  sacctl multiaction run t.G:MA_LOAD_ZEPPART --param Version=public.Plan --wait"
    )]
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
        #[command(flatten, next_help_heading = "Waiting (with --wait)")]
        wait_args: RunWaitArgs,
        /// Exit 0 also when the execution ended `warning` because a step failed (--warnings-ok alone never does).
        #[arg(long)]
        allow_failed_steps: bool,
    },
    /// Show an execution's status and messages (exit 5 while it runs).
    #[command(after_help = "Example:\n  sacctl multiaction status t.G:MA_LOAD_ZEPPART 0f6e1c2d-...")]
    Status {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The multi action, <package>:<object> (e.g. t.G:MA_LOAD_ZEPPART).
        id: String,
        /// The execution id `multiaction run` printed.
        execution_id: String,
    },
    /// Wait for an execution and exit with its outcome.
    #[command(after_help = "Example:\n  sacctl multiaction wait t.G:MA_LOAD_ZEPPART 0f6e1c2d-... --timeout 1h")]
    Wait {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The multi action, <package>:<object> (e.g. t.G:MA_LOAD_ZEPPART).
        id: String,
        /// The execution id `multiaction run` printed.
        execution_id: String,
        #[command(flatten, next_help_heading = "Waiting")]
        wait_args: RunWaitArgs,
        /// Exit 0 also when the execution ended `warning` because a step failed (--warnings-ok alone never does).
        #[arg(long)]
        allow_failed_steps: bool,
    },
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
    #[command(after_help = "Example:\n  sacctl auth status --profile prod")]
    Status(ConnectionArgs),
    /// Walk the whole chain (settings, token, CSRF session, each API) and say what fails and how to fix it.
    #[command(after_help = "Example:\n  sacctl auth doctor --model t.G:ZEPPART_001")]
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// A model to read schedules of (t.X:ID), to check the data integration service.
    #[arg(long)]
    pub model: Option<String>,
    /// A calendar event to read, to check the Calendar API and the event's external API access.
    #[arg(long)]
    pub event: Option<String>,
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

/// How to wait for a job that ends (every command that waits).
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up waiting after this long (exit 5; the run goes on).
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
    /// Longest pause between two status reads (they start 250 ms apart and grow to 5% of the time waited).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub poll_interval: Duration,
    /// Exit 0 instead of 6 when the run finished with rejected rows (or a multi action with a warning).
    #[arg(long)]
    pub warnings_ok: bool,
}

/// Waiting for a schedule run or a multi action execution, which SAC may
/// not list at once after starting it.
#[derive(Debug, Args)]
pub struct RunWaitArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
    /// How long a new run may be missing from SAC's logs (they lag).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub appear_timeout: Duration,
}

/// Where `schedule run --confirm` reads the outcome again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ConfirmArg {
    /// The Monitoring API's statistics of schedule runs.
    Monitoring,
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
    #[command(after_help = "Example:\n  sacctl schedule list --model t.G:ZEPPART_001")]
    List {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model or dimension, t.X:ID.
        #[arg(long)]
        model: String,
    },
    /// The runs of a model's data imports, newest first.
    #[command(after_help = "Example:\n  sacctl schedule logs --model t.G:ZEPPART_001 --limit 3")]
    Logs {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// Model or dimension, t.X:ID.
        #[arg(long)]
        model: String,
        /// Only this data import.
        #[arg(long)]
        schedule: Option<String>,
        /// At most this many runs per data import.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// The recent runs of one data import, newest first.
    #[command(
        after_help = "Example:\n  sacctl schedule history F58CA15F78AA9039E200586F05E2BB93 --model t.G:ZEPPART_001 --limit 5"
    )]
    History {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The data import (schedule) id.
        schedule_id: String,
        /// The model or dimension it loads, t.X:ID.
        #[arg(long)]
        model: String,
        /// At most this many runs.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Start a data import; with --wait, wait for it and exit with its outcome.
    #[command(
        after_help = "Example:\n  sacctl schedule run F58CA15F78AA9039E200586F05E2BB93 --model t.G:ZEPPART_001 --wait --timeout 30m"
    )]
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
        /// With --wait: confirm the outcome through another source too (`monitoring`: the run's line of the
        /// Monitoring API, where the token may read it).
        #[arg(long, value_enum, requires = "wait")]
        confirm: Option<ConfirmArg>,
        #[command(flatten, next_help_heading = "Waiting (with --wait)")]
        wait_args: RunWaitArgs,
    },
    /// Wait for a run (the newest, or --execution) and exit with its outcome.
    #[command(
        after_help = "Example:\n  sacctl schedule wait F58CA15F78AA9039E200586F05E2BB93 --model t.G:ZEPPART_001 --timeout 1h"
    )]
    Wait {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        target: ScheduleTarget,
        /// The run's execution id (default: the newest run).
        #[arg(long)]
        execution: Option<String>,
        #[command(flatten, next_help_heading = "Waiting")]
        wait_args: RunWaitArgs,
    },
    /// The rejected rows of a run, as CSV.
    #[command(after_help = "Example:\n  sacctl schedule rejections 7C5E0D2A... --out rejected.csv")]
    Rejections {
        #[command(flatten)]
        connection: ConnectionArgs,
        /// The run's execution id (`schedule logs` lists them).
        execution_id: String,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every command below `command`, with its path (`sacctl schedule run`).
    fn walk(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        out.push((path.clone(), command.clone()));
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(sub, format!("{path} {}", sub.get_name()), out);
        }
    }

    fn commands() -> Vec<(String, clap::Command)> {
        let mut cli = Cli::command();
        cli.build();
        let mut out = Vec::new();
        walk(&cli, "sacctl".into(), &mut out);
        out
    }

    #[test]
    fn every_argument_has_help_text() {
        let mut missing = Vec::new();
        for (path, command) in commands() {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                if help.trim().is_empty() {
                    missing.push(format!("{path} {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "arguments without help text: {missing:?}");
    }

    #[test]
    fn every_command_has_an_about_and_an_example() {
        let mut missing = Vec::new();
        for (path, command) in commands() {
            let after = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            if !after.contains("Example:\n  ") {
                missing.push(format!("{path}: no example"));
            }
            if path != "sacctl" && command.get_about().is_none() {
                missing.push(format!("{path}: no about"));
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        assert!(commands().len() > 30, "the walk sees the whole tree");
    }

    /// Only the connection flags are filed under "Connection" in `--help`
    /// (a command's own flags that follow the flattened connection flags
    /// once landed there too).
    #[test]
    fn only_connection_flags_are_under_the_connection_heading() {
        let connection = ConnectionArgs::augment_args(clap::Command::new("c"));
        let ids: Vec<String> = connection.get_arguments().map(|a| a.get_id().to_string()).collect();
        let mut misfiled = Vec::new();
        for (path, command) in commands() {
            for arg in command.get_arguments() {
                let under = arg.get_help_heading() == Some("Connection");
                if under != ids.iter().any(|id| id == arg.get_id().as_str()) {
                    misfiled.push(format!("{path} --{}", arg.get_id()));
                }
            }
        }
        assert!(misfiled.is_empty(), "flags under the wrong heading: {misfiled:?}");
    }

    /// Options are grouped by command: only commands that wait for a run
    /// to show in SAC's logs offer --appear-timeout, only commands that
    /// wait offer --timeout / --poll-interval.
    #[test]
    fn wait_options_belong_to_commands_that_wait() {
        let has = |path: &str, id: &str| {
            let (_, command) = commands().into_iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("{path}"));
            let found = command.get_arguments().any(|a| a.get_id() == id);
            found
        };
        assert!(!has("sacctl import push", "appear_timeout"));
        assert!(has("sacctl import push", "timeout"));
        assert!(has("sacctl schedule run", "appear_timeout"));
        assert!(has("sacctl multiaction wait", "appear_timeout"));
        for path in ["sacctl schedule list", "sacctl import status", "sacctl export", "sacctl models list"] {
            assert!(!has(path, "timeout") && !has(path, "poll_interval"), "{path}");
        }
    }

    #[test]
    fn the_clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }
}
