//! Where to connect and as whom: the flags every command that talks to
//! SAC takes.

use std::path::PathBuf;

use clap::Args;

/// Where to connect and as whom. Secrets are never flags: they come from
/// SACCTL_CLIENT_SECRET / SACCTL_PASSWORD (or their _FILE / _CMD forms) or
/// the profile's *_file / *_cmd settings. Each flag names its heading
/// itself: a struct-wide `next_help_heading` would also file the flags that
/// follow the flattened struct under "Connection".
#[derive(Debug, Clone, Default, Args)]
pub struct ConnectionArgs {
    /// Profile in the config file [env: SACCTL_PROFILE] (default: "default").
    #[arg(long, help_heading = "Connection")]
    pub profile: Option<String>,
    /// Config file [env: SACCTL_CONFIG] (default: $XDG_CONFIG_HOME/sacctl/config.toml).
    #[arg(long, help_heading = "Connection")]
    pub config: Option<PathBuf>,
    /// Tenant (browser domain) URL [env: SACCTL_TENANT_URL].
    #[arg(long, help_heading = "Connection")]
    pub tenant_url: Option<String>,
    /// Direct API domain URL [env: SACCTL_API_URL].
    #[arg(long, help_heading = "Connection")]
    pub api_url: Option<String>,
    /// Full token endpoint URL [env: SACCTL_TOKEN_URL].
    #[arg(long, help_heading = "Connection")]
    pub token_url: Option<String>,
    /// Tenant id, the X in t.X:MODEL [env: SACCTL_TENANT_ID].
    #[arg(long, help_heading = "Connection")]
    pub tenant_id: Option<String>,
    /// OAuth client id [env: SACCTL_CLIENT_ID].
    #[arg(long, help_heading = "Connection")]
    pub client_id: Option<String>,
    /// client_credentials, authorization_code, password or saml2_bearer [env: SACCTL_GRANT].
    #[arg(long, help_heading = "Connection")]
    pub grant: Option<String>,
    /// User for the password grant [env: SACCTL_USER].
    #[arg(long, help_heading = "Connection")]
    pub user: Option<String>,
    /// Do not read or write the on-disk token cache.
    #[arg(long, help_heading = "Connection")]
    pub no_token_cache: bool,
}
