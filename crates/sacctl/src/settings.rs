//! Settings: flags over `SACCTL_*` environment variables over the profile
//! in the config file. Secrets come only from the environment, a file or a
//! command, never from a flag (process arguments are visible to everyone).

use std::path::{Path, PathBuf};

use sac_client::config::{parse_host_url, parse_token_url, parse_url, SamlSource};
use sac_client::{ClientConfig, Grant, Secret};

use crate::cli::ConnectionArgs;

pub mod env;
mod explain;
mod file;

pub use explain::{explain, Explained, Shown, Source, MASK};
pub(crate) use file::var;
pub use file::{cache_dir, config_path, load_file, ConfigFile, Profile, SettingsError, SECRET_RULE};

fn read_secret_file(path: &Path, what: &str) -> Result<Secret, SettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SettingsError::Missing(format!("cannot read the {what} file {}: {e}", path.display())))?;
    Ok(Secret::new(text.trim_end_matches(['\n', '\r']).to_string()))
}

fn run_secret_command(command: &str, what: &str) -> Result<Secret, SettingsError> {
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| SettingsError::Missing(format!("cannot run the {what} command: {e}")))?;
    if !output.status.success() {
        return Err(SettingsError::Missing(format!("the {what} command failed ({})", output.status)));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| SettingsError::Missing(format!("the {what} command printed something that is not UTF-8")))?;
    Ok(Secret::new(text.trim_end_matches(['\n', '\r']).to_string()))
}

/// A secret from the environment (its variable, its file variable or its
/// command variable) or else the profile (its file or its command). Two
/// sources at the same level are an error: which one wins would be a guess.
fn secret(
    what: &str,
    var_name: &str,
    file_var: &str,
    cmd_var: &str,
    file: Option<&PathBuf>,
    cmd: Option<&String>,
) -> Result<Option<Secret>, SettingsError> {
    let set_vars: Vec<&str> = [var_name, file_var, cmd_var]
        .into_iter()
        .filter(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
        .collect();
    if set_vars.len() > 1 {
        return Err(SettingsError::Missing(format!(
            "the {what} is given twice, by {}: set only one of them",
            set_vars.join(" and ")
        )));
    }
    if set_vars.is_empty() && file.is_some() && cmd.is_some() {
        return Err(SettingsError::Missing(format!(
            "the profile gives the {what} twice, by a file and a command: keep only one"
        )));
    }
    if let Ok(value) = std::env::var(var_name) {
        if !value.is_empty() {
            return Ok(Some(Secret::new(value)));
        }
    }
    if let Some(path) = var(file_var) {
        return read_secret_file(Path::new(&path), what).map(Some);
    }
    if let Some(command) = var(cmd_var) {
        return run_secret_command(&command, what).map(Some);
    }
    if let Some(path) = file {
        return read_secret_file(path, what).map(Some);
    }
    if let Some(command) = cmd {
        return run_secret_command(command, what).map(Some);
    }
    Ok(None)
}

/// The resolved settings of one invocation.
#[derive(Debug)]
pub struct Settings {
    pub profile: String,
    pub client: ClientConfig,
    pub tenant_id: Option<String>,
    pub config_file: Option<PathBuf>,
}

/// Resolves flags, environment and profile into a client configuration.
pub fn resolve(args: &ConnectionArgs) -> Result<Settings, SettingsError> {
    let (file, config_file) = load_file(args.config.as_deref())?;
    let profile_name = args
        .profile
        .clone()
        .or_else(|| var(env::PROFILE))
        .or(file.default_profile.clone())
        .unwrap_or_else(|| "default".into());
    let profile = match file.profiles.get(&profile_name) {
        Some(p) => p.clone(),
        None if args.profile.is_some() || var(env::PROFILE).is_some() => {
            let where_ = config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none found)".into());
            return Err(SettingsError::NoProfile(profile_name, where_));
        }
        None => Profile::default(),
    };
    let pick = |flag: &Option<String>, var_name: &str, from_profile: &Option<String>| {
        flag.clone().or_else(|| var(var_name)).or_else(|| from_profile.clone())
    };
    let missing = |what: &str, var_name: &str, key: &str| {
        SettingsError::Missing(format!(
            "no {what}: set {var_name}, or `{key}` in profile {profile_name:?} of the config file, or the flag"
        ))
    };
    let tenant_url = pick(&args.tenant_url, env::TENANT_URL, &profile.tenant_url)
        .ok_or_else(|| missing("tenant URL", env::TENANT_URL, "tenant_url"))?;
    let token_url = pick(&args.token_url, env::TOKEN_URL, &profile.token_url)
        .ok_or_else(|| missing("token URL", env::TOKEN_URL, "token_url"))?;
    let client_id = pick(&args.client_id, env::CLIENT_ID, &profile.client_id)
        .ok_or_else(|| missing("OAuth client id", env::CLIENT_ID, "client_id"))?;
    let grant = pick(&args.grant, env::GRANT, &profile.grant).unwrap_or_else(|| "client_credentials".into());
    let grant = Grant::parse(&grant)?;
    let client_secret = secret(
        "client secret",
        env::CLIENT_SECRET,
        env::CLIENT_SECRET_FILE,
        env::CLIENT_SECRET_CMD,
        profile.client_secret_file.as_ref(),
        profile.client_secret_cmd.as_ref(),
    )?
    .ok_or_else(|| {
        SettingsError::Missing(format!(
            "no OAuth client secret: set {}, {} or {}, or client_secret_file / client_secret_cmd in the profile",
            env::CLIENT_SECRET,
            env::CLIENT_SECRET_FILE,
            env::CLIENT_SECRET_CMD
        ))
    })?;
    let mut client = ClientConfig::new(
        parse_host_url(env::TENANT_URL, &tenant_url)?,
        parse_token_url(env::TOKEN_URL, &token_url)?,
        client_id,
        client_secret,
        grant,
    );
    client.api_url =
        pick(&args.api_url, env::API_URL, &profile.api_url).map(|u| parse_host_url(env::API_URL, &u)).transpose()?;
    client.user = pick(&args.user, env::USER, &profile.user);
    if grant == Grant::Password {
        client.password = secret(
            "password",
            env::PASSWORD,
            env::PASSWORD_FILE,
            env::PASSWORD_CMD,
            profile.password_file.as_ref(),
            profile.password_cmd.as_ref(),
        )?;
    }
    if grant == Grant::Saml2Bearer {
        client.saml = var(env::SAML_ASSERTION_FILE)
            .map(|p| SamlSource::File(PathBuf::from(p)))
            .or_else(|| var(env::SAML_ASSERTION_CMD).map(SamlSource::Command))
            .or_else(|| profile.saml_assertion_file.clone().map(SamlSource::File))
            .or_else(|| profile.saml_assertion_cmd.clone().map(SamlSource::Command));
    }
    client.ca_bundle = var(env::CA_BUNDLE).map(PathBuf::from).or(profile.ca_bundle.clone());
    client.proxy = var(env::PROXY).or(profile.proxy.clone()).map(|p| parse_url(env::PROXY, &p)).transpose()?;
    if let Some(attempts) = var(env::RETRY_ATTEMPTS) {
        client.retry.max_attempts =
            attempts.parse::<u32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                SettingsError::Missing(format!("{} must be a number from 1 to 100", env::RETRY_ATTEMPTS))
            })?;
    }
    if let Some(timeout) = var(env::HTTP_TIMEOUT).or(profile.http_timeout.clone()) {
        client.request_timeout = humantime::parse_duration(&timeout).map_err(|e| {
            SettingsError::Missing(format!("{} / http_timeout is not a duration like 60s ({e})", env::HTTP_TIMEOUT))
        })?;
    }
    client.cache_dir = if args.no_token_cache { None } else { cache_dir() };
    client.profile = profile_name.clone();
    client.validate()?;
    Ok(Settings {
        profile: profile_name,
        client,
        tenant_id: pick(&args.tenant_id, env::TENANT_ID, &profile.tenant_id),
        config_file,
    })
}
