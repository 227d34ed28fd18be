//! Every setting with its value and where it comes from, for `sacctl
//! config show`: the same order as [`super::resolve`] (flag, then
//! `SACCTL_*` variable, then the profile, then the default). Secrets are
//! never read or shown: only where they would come from.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::env;
use super::file::{cache_dir, config_path, load_file, var, Profile, SettingsError};
use crate::cli::ConnectionArgs;

/// Where a value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Source {
    /// A command-line flag, e.g. `--tenant-url`.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// A key of the profile in the config file.
    Profile(String),
    /// The built-in default.
    Default,
    /// Not set anywhere.
    Unset,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(name) => write!(f, "environment {name}"),
            Source::Profile(key) => write!(f, "config file, key {key}"),
            Source::Default => f.write_str("default"),
            Source::Unset => f.write_str("not set"),
        }
    }
}

/// One setting as shown.
#[derive(Clone, Debug, Serialize)]
pub struct Shown {
    pub name: &'static str,
    pub value: Option<String>,
    pub source: Source,
}

/// The whole picture.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub config_file: Option<PathBuf>,
    pub config_file_exists: bool,
    pub config_file_source: Source,
    pub profile: Shown,
    pub settings: Vec<Shown>,
}

/// What a secret's value is replaced by.
pub const MASK: &str = "********";

fn flag_name(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

/// flag > environment > profile > default, for a plain setting.
fn layered(
    name: &'static str,
    flag: Option<&String>,
    var_name: &str,
    profile: Option<&String>,
    default: Option<&str>,
) -> Shown {
    let (value, source) = if let Some(v) = flag {
        (Some(v.clone()), Source::Flag(flag_name(name)))
    } else if let Some(v) = var(var_name) {
        (Some(v), Source::Env(var_name.to_string()))
    } else if let Some(v) = profile {
        (Some(v.clone()), Source::Profile(name.to_string()))
    } else if let Some(v) = default {
        (Some(v.to_string()), Source::Default)
    } else {
        (None, Source::Unset)
    };
    Shown { name, value, source }
}

/// A secret: the variable itself (masked), its file variable (the path),
/// its command variable (masked: a command line may embed a secret), then
/// the profile's file or command.
fn secret(
    name: &'static str,
    [var_name, file_var, cmd_var]: [&str; 3],
    file: Option<&PathBuf>,
    cmd: Option<&String>,
) -> Shown {
    let by_command = format!("printed by a command ({MASK})");
    let (value, source) = if !var_name.is_empty() && std::env::var_os(var_name).is_some_and(|v| !v.is_empty()) {
        (Some(MASK.to_string()), Source::Env(var_name.to_string()))
    } else if let Some(path) = var(file_var) {
        (Some(format!("read from {path}")), Source::Env(file_var.to_string()))
    } else if var(cmd_var).is_some() {
        (Some(by_command), Source::Env(cmd_var.to_string()))
    } else if let Some(path) = file {
        (Some(format!("read from {}", path.display())), Source::Profile(format!("{name}_file")))
    } else if cmd.is_some() {
        (Some(by_command), Source::Profile(format!("{name}_cmd")))
    } else {
        (None, Source::Unset)
    };
    Shown { name, value, source }
}

/// Query parameters whose value is a credential.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "secret",
    "client_secret",
    "password",
    "pwd",
    "key",
    "sig",
    "signature",
    "code",
    "assertion",
];

/// A value as `config show` may print it: a URL's credentials masked, both
/// its user and password (`https://********:********@host`: a user part
/// alone is often a token) and the values of query parameters that carry
/// secrets (`?access_token=********`). Anything else is as it is. A value
/// that looks like a URL but does not parse has everything before the `@`
/// of its host part masked.
pub fn masked(value: &str) -> String {
    let Ok(mut url) = url::Url::parse(value) else {
        return masked_by_hand(value);
    };
    if url.cannot_be_a_base() {
        return masked_by_hand(value);
    }
    let mut changed = false;
    if !url.username().is_empty() {
        let _ = url.set_username(MASK);
        changed = true;
    }
    if url.password().is_some() {
        let _ = url.set_password(Some(MASK));
        changed = true;
    }
    let secret_param = |key: &str| SECRET_PARAMS.iter().any(|s| key.eq_ignore_ascii_case(s));
    if url.query_pairs().any(|(k, _)| secret_param(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret_param(&k) { MASK.to_string() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        changed = true;
    }
    if changed {
        url.to_string()
    } else {
        value.to_string()
    }
}

/// `scheme://user:pass@host...` that the URL parser refused: what stands
/// before the last `@` of the host part is masked.
fn masked_by_hand(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else {
        return value.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{MASK}{}", &rest[at..]),
        None => value.to_string(),
    }
}

/// Explains the settings these flags, the environment and the config file give.
pub fn explain(args: &ConnectionArgs) -> Result<Explained, SettingsError> {
    let (file, found) = load_file(args.config.as_deref())?;
    let config_file = found.clone().or_else(|| config_path(args.config.as_deref()));
    let config_file_source = if args.config.is_some() {
        Source::Flag("--config".into())
    } else if var(env::CONFIG).is_some() {
        Source::Env(env::CONFIG.into())
    } else if config_file.is_some() {
        Source::Default
    } else {
        Source::Unset
    };
    let mut profile =
        layered("profile", args.profile.as_ref(), env::PROFILE, file.default_profile.as_ref(), Some("default"));
    if let Source::Profile(key) = &mut profile.source {
        *key = "default_profile".into();
    }
    let profile_name = profile.value.clone().unwrap_or_else(|| "default".into());
    let p = match file.profiles.get(&profile_name) {
        Some(p) => p.clone(),
        None if matches!(profile.source, Source::Flag(_) | Source::Env(_)) => {
            let where_ = found.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none found)".into());
            return Err(SettingsError::NoProfile(profile_name, where_));
        }
        None => Profile::default(),
    };
    let ca_bundle = p.ca_bundle.as_ref().map(|p| p.display().to_string());
    let proxy = p.proxy.clone();
    let mut settings = vec![
        layered("tenant_url", args.tenant_url.as_ref(), env::TENANT_URL, p.tenant_url.as_ref(), None),
        layered("api_url", args.api_url.as_ref(), env::API_URL, p.api_url.as_ref(), None),
        layered("token_url", args.token_url.as_ref(), env::TOKEN_URL, p.token_url.as_ref(), None),
        layered("tenant_id", args.tenant_id.as_ref(), env::TENANT_ID, p.tenant_id.as_ref(), None),
        layered("client_id", args.client_id.as_ref(), env::CLIENT_ID, p.client_id.as_ref(), None),
        secret(
            "client_secret",
            [env::CLIENT_SECRET, env::CLIENT_SECRET_FILE, env::CLIENT_SECRET_CMD],
            p.client_secret_file.as_ref(),
            p.client_secret_cmd.as_ref(),
        ),
        layered("grant", args.grant.as_ref(), env::GRANT, p.grant.as_ref(), Some("client_credentials")),
        layered("user", args.user.as_ref(), env::USER, p.user.as_ref(), None),
        secret(
            "password",
            [env::PASSWORD, env::PASSWORD_FILE, env::PASSWORD_CMD],
            p.password_file.as_ref(),
            p.password_cmd.as_ref(),
        ),
        secret(
            "saml_assertion",
            ["", env::SAML_ASSERTION_FILE, env::SAML_ASSERTION_CMD],
            p.saml_assertion_file.as_ref(),
            p.saml_assertion_cmd.as_ref(),
        ),
        layered("ca_bundle", None, env::CA_BUNDLE, ca_bundle.as_ref(), None),
        layered("proxy", None, env::PROXY, proxy.as_ref(), None),
        layered("http_timeout", None, env::HTTP_TIMEOUT, p.http_timeout.as_ref(), Some("60s")),
        layered("retry_attempts", None, env::RETRY_ATTEMPTS, None, Some("6")),
    ];
    // Any value may be a URL with credentials in it (tenant_url too), or name one.
    for shown in &mut settings {
        shown.value = shown.value.as_deref().map(masked);
    }
    settings.push(if args.no_token_cache {
        Shown { name: "token_cache", value: Some("off".into()), source: Source::Flag("--no-token-cache".into()) }
    } else {
        let dir = cache_dir().map(|d| d.display().to_string());
        let source = if var(env::CACHE_DIR).is_some() { Source::Env(env::CACHE_DIR.into()) } else { Source::Default };
        Shown { name: "token_cache", value: dir, source }
    });
    let exists = config_file.as_deref().is_some_and(Path::exists);
    Ok(Explained { config_file, config_file_exists: exists, config_file_source, profile, settings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(
            masked("https://jdoe:s3cret@acme.eu10.hcs.cloud.sap"),
            "https://********:********@acme.eu10.hcs.cloud.sap/"
        );
        assert_eq!(masked("http://ghp_token123@proxy.corp:3128"), "http://********@proxy.corp:3128/");
        assert_eq!(
            masked("https://idp.example/oauth/token?client_id=me&client_secret=s3cret&sig=abc"),
            "https://idp.example/oauth/token?client_id=me&client_secret=********&sig=********"
        );
        assert_eq!(masked("https://jdoe:s3cret@ho st/x"), "https://********@ho st/x", "a URL that does not parse");
        for plain in
            ["https://acme.eu10.hcs.cloud.sap", "60s", "G", "sb-4f0c|client!b655", "/etc/ssl/corp.pem", "jdoe@corp"]
        {
            assert_eq!(masked(plain), plain);
        }
        for secret in ["s3cret", "ghp_token123", "abc"] {
            for value in ["https://jdoe:s3cret@h", "http://ghp_token123@h:1", "https://h/?sig=abc"] {
                assert!(!masked(value).contains(secret), "{value}");
            }
        }
    }
}
