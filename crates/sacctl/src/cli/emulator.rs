//! `sacctl emulator`: in the foreground, or as a background service
//! (`start --detach`, `env`, `status`, `stop`).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

/// Where the background service's data directory is by default, and the
/// variable `start --detach` exports so `env`/`stop` find it again.
pub const EMULATOR_DIR_ENV: &str = "SACCTL_EMULATOR_DIR";

/// `sacctl emulator [FLAGS]` runs in the foreground; its subcommands
/// manage one running in the background.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Example:\n  sacctl emulator --port 0 --api-port 0 --print-env    # foreground, free ports\n  \
                  eval \"$(sacctl emulator start --detach)\"            # background, settings in this shell\n  \
                  sacctl emulator stop"
)]
pub struct EmulatorCommandArgs {
    #[command(subcommand)]
    pub command: Option<EmulatorCommand>,
    #[command(flatten)]
    pub run: EmulatorArgs,
}

#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Start the emulator; with --detach in the background, printing the settings to eval once it is healthy.
    #[command(after_help = "Example:\n  eval \"$(sacctl emulator start --detach)\"\n  \
                            sacctl emulator start --detach --shell fish | source\n  \
                            sacctl emulator start --detach --shell powershell | Invoke-Expression")]
    Start(Box<StartArgs>),
    /// Print the settings of the emulator running in the background again, to eval.
    #[command(after_help = "Example:\n  eval \"$(sacctl emulator env)\"")]
    Env(EnvArgs),
    /// Whether an emulator runs with this data directory and answers (exit 0), with its pid and URLs.
    #[command(after_help = "Example:\n  sacctl emulator status --data-dir /data")]
    Status(LocateArgs),
    /// Stop the emulator running in the background (through its admin API, on Unix else SIGTERM; waits until it has stopped).
    #[command(after_help = "Example:\n  sacctl emulator stop")]
    Stop(StopArgs),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub run: EmulatorArgs,
    /// Run in the background: wait until it is healthy, print the settings for the shell, and return.
    #[arg(long)]
    pub detach: bool,
    /// The syntax of the printed settings (with --detach; default: powershell on Windows, else sh).
    #[arg(long, value_enum, default_value = DEFAULT_SHELL, requires = "detach")]
    pub shell: ShellSyntax,
    /// How long to wait for it to become healthy (with --detach).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, requires = "detach")]
    pub ready_timeout: Duration,
}

/// Which emulator: the one keeping its state in this directory.
#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Its data directory [env: SACCTL_EMULATOR_DIR] (default: $XDG_STATE_HOME/sacctl/emulator).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub locate: LocateArgs,
    /// The syntax of the printed settings (default: powershell on Windows, else sh).
    #[arg(long, value_enum, default_value = DEFAULT_SHELL)]
    pub shell: ShellSyntax,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub locate: LocateArgs,
    /// How long to wait for it to stop after SIGTERM (open requests finish first).
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

/// The shell a Windows user types into, and elsewhere a POSIX one.
const DEFAULT_SHELL: &str = if cfg!(windows) { "powershell" } else { "sh" };

/// How the settings are written for a shell to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShellSyntax {
    /// `export NAME='value'` (sh, bash, zsh, dash, ksh).
    Sh,
    /// `set -gx NAME 'value'`.
    Fish,
    /// `$env:NAME = 'value'`.
    Powershell,
}

fn admin_token(value: &str) -> Result<sac_emulator::AdminToken, String> {
    sac_emulator::AdminToken::new(value).ok_or_else(|| "the admin token must not be empty".to_string())
}

/// The emulator's own settings (foreground and `start`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Emulator")]
pub struct EmulatorArgs {
    /// Port of the browser domain and token service (default 8030; with --detach any free one; 0: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Port of the direct API domain (default 8031; with --detach any free one; 0: any free port).
    #[arg(long)]
    pub api_port: Option<u16>,
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
    /// Keep state in DIR/emulator.sqlite3 across restarts (default: in memory; with --detach
    /// $SACCTL_EMULATOR_DIR or $XDG_STATE_HOME/sacctl/emulator).
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
    /// Print SACCTL_TENANT_URL, SACCTL_API_URL and SACCTL_TOKEN_URL lines on stdout once ready, for a
    /// program that reads them while the emulator runs (for your shell: `eval "$(sacctl emulator start --detach)"`).
    #[arg(long)]
    pub print_env: bool,
    /// Print the demo tenant as TOML (a starting point for --tenant) and exit.
    #[arg(long)]
    pub print_tenant: bool,
}

impl EmulatorArgs {
    /// The arguments that start a foreground emulator with these settings,
    /// except the admin token (it goes by the environment, never argv).
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec!["emulator".into()];
        let mut push = |flag: &str, value: std::ffi::OsString| {
            args.push(flag.into());
            args.push(value);
        };
        push("--port", self.port.unwrap_or(8030).to_string().into());
        push("--api-port", self.api_port.unwrap_or(8031).to_string().into());
        push("--host", self.host.clone().into());
        if let Some(dir) = &self.data_dir {
            push("--data-dir", dir.clone().into());
        }
        if let Some(tenant) = &self.tenant {
            push("--tenant", tenant.clone().into());
        }
        if let Some(user) = &self.auto_approve_user {
            push("--auto-approve-user", user.into());
        }
        push("--job-duration", humantime::format_duration(self.job_duration).to_string().into());
        if let Some(lifetime) = self.token_lifetime {
            push("--token-lifetime", humantime::format_duration(lifetime).to_string().into());
        }
        push("--import-max-rows", self.import_max_rows.to_string().into());
        push("--import-max-bytes", self.import_max_bytes.to_string().into());
        push("--export-page-size", self.export_page_size.to_string().into());
        if self.print_env {
            args.push("--print-env".into());
        }
        if self.print_tenant {
            args.push("--print-tenant".into());
        }
        args
    }
}
