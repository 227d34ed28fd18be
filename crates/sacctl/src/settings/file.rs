//! The config file: where it is, what it holds, and why it cannot be
//! used; also where sacctl caches, and how a variable is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::env;

/// The config file: `[profiles.NAME]` tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One profile. Secrets only by file or command.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub tenant_url: Option<String>,
    pub api_url: Option<String>,
    pub token_url: Option<String>,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_file: Option<PathBuf>,
    pub client_secret_cmd: Option<String>,
    pub grant: Option<String>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_cmd: Option<String>,
    pub saml_assertion_file: Option<PathBuf>,
    pub saml_assertion_cmd: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    pub proxy: Option<String>,
    /// Longest wait for one HTTP answer, e.g. "60s".
    pub http_timeout: Option<String>,
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the config file {path}: {message}")]
    File { path: String, message: String },
    #[error("profile {0:?} is not in the config file {1}")]
    NoProfile(String, String),
    #[error("{0}")]
    Missing(String),
    #[error(transparent)]
    Client(#[from] sac_client::Error),
}

/// Where the config file is: `--config`, `SACCTL_CONFIG`, or
/// `$XDG_CONFIG_HOME/sacctl/config.toml`.
pub fn config_path(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(env::CONFIG).map(PathBuf::from))
        .or_else(|| dirs::config_dir().map(|d| d.join("sacctl").join("config.toml")))
}

/// Where tokens are cached: `SACCTL_CACHE_DIR` or `$XDG_CACHE_HOME/sacctl`.
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os(env::CACHE_DIR).map(PathBuf::from).or_else(|| dirs::cache_dir().map(|d| d.join("sacctl")))
}

pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// The rule every secret follows, for messages.
pub const SECRET_RULE: &str =
    "secrets come from a file, a command or the environment, never from the config file itself or a flag";

/// Loads the config file (absent is fine unless it was named explicitly).
pub fn load_file(flag: Option<&Path>) -> Result<(ConfigFile, Option<PathBuf>), SettingsError> {
    let Some(path) = config_path(flag) else {
        return Ok((ConfigFile::default(), None));
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let file: ConfigFile = toml::from_str(&text).map_err(|e| SettingsError::File {
                path: path.display().to_string(),
                message: toml_message(&e, &text),
            })?;
            Ok((file, Some(path)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && flag.is_none() && var(env::CONFIG).is_none() => {
            Ok((ConfigFile::default(), None))
        }
        Err(e) => Err(SettingsError::File { path: path.display().to_string(), message: e.to_string() }),
    }
}

/// Keys that would hold a secret inline (refused: see [`SECRET_RULE`]).
const INLINE_SECRETS: &[&str] = &["client_secret", "password", "saml_assertion", "refresh_token", "access_token"];

/// A config file error that never quotes the file (a line may hold a
/// secret): where it is, what is wrong, and the rule for secrets.
fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let place = e
        .span()
        .map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
            format!("line {line}, column {column}: ")
        })
        .unwrap_or_default();
    let message = e.message().trim();
    match INLINE_SECRETS.iter().find(|key| message.starts_with(&format!("unknown field `{key}`"))) {
        Some(key) => format!(
            "{place}`{key}` is not allowed in the config file: {SECRET_RULE} (`{key}_file`, `{key}_cmd` or SACCTL_{})",
            key.to_ascii_uppercase()
        ),
        // The message names keys and types; never the values.
        None => format!("{place}{}", message.split('\n').next().unwrap_or(message)),
    }
}
