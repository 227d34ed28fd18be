//! `sacctl config init` (a commented profile) and `sacctl config show`
//! (every setting, its value and where it comes from; secrets masked).

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Context};
use serde_json::json;

use crate::cli::{ConfigCommand, ConfigInitArgs, ConnectionArgs};
use crate::exit::ExitStatus;
use crate::failure::Failure;
use crate::output::Printer;
use crate::report::finish;
use crate::settings::{self, env, Source};

pub fn config(printer: Printer, command: ConfigCommand) -> Result<ExitStatus, Failure> {
    match command {
        ConfigCommand::Init(args) => init(printer, args),
        ConfigCommand::Show(args) => show(printer, &args),
    }
}

/// One key of a profile: what it is, an example, and where its value may
/// come from when `init` runs (a flag's value, else a variable's).
struct Key {
    name: &'static str,
    help: &'static str,
    example: &'static str,
    var: Option<&'static str>,
}

const KEYS: &[Key] = &[
    Key {
        name: "tenant_url",
        help: "The address of SAC in the browser.",
        example: "https://acme.eu10.hcs.cloud.sap",
        var: Some(env::TENANT_URL),
    },
    Key {
        name: "token_url",
        help: "App Integration > OAuth Clients > Token URL (not the OAuth2SAML one).",
        example: "https://acme.authentication.eu10.hana.ondemand.com/oauth/token",
        var: Some(env::TOKEN_URL),
    },
    Key {
        name: "api_url",
        help: "The direct API domain of the tenant (optional).",
        example: "https://acme.api.eu10.hcs.cloud.sap",
        var: Some(env::API_URL),
    },
    Key {
        name: "tenant_id",
        help: "The X in object ids t.X:MODEL (optional).",
        example: "G",
        var: Some(env::TENANT_ID),
    },
    Key {
        name: "client_id",
        help: "The OAuth client's id.",
        example: "sb-4f0c...|client!b655",
        var: Some(env::CLIENT_ID),
    },
    Key {
        name: "grant",
        help: "client_credentials (default), authorization_code, password or saml2_bearer.",
        example: "authorization_code",
        var: Some(env::GRANT),
    },
    Key { name: "user", help: "The user of the password grant.", example: "JDOE", var: Some(env::USER) },
    Key {
        name: "client_secret_file",
        help: "The client secret: a file holding it, or a command printing it (never the secret itself).",
        example: "/etc/sacctl/client-secret",
        var: Some(env::CLIENT_SECRET_FILE),
    },
    Key {
        name: "client_secret_cmd",
        help: "",
        example: "pass show sac/client-secret",
        var: Some(env::CLIENT_SECRET_CMD),
    },
    Key {
        name: "password_file",
        help: "The password of the password grant, the same way.",
        example: "/etc/sacctl/password",
        var: Some(env::PASSWORD_FILE),
    },
    Key { name: "password_cmd", help: "", example: "pass show sac/jdoe", var: Some(env::PASSWORD_CMD) },
    Key {
        name: "saml_assertion_file",
        help: "The SAML assertion of the saml2_bearer grant (base64), the same way.",
        example: "/run/idp/assertion",
        var: Some(env::SAML_ASSERTION_FILE),
    },
    Key {
        name: "saml_assertion_cmd",
        help: "",
        example: "idp-cli assertion --audience sac",
        var: Some(env::SAML_ASSERTION_CMD),
    },
    Key {
        name: "ca_bundle",
        help: "Extra CA certificates (PEM), e.g. behind a TLS-inspecting proxy.",
        example: "/etc/ssl/corp-root.pem",
        var: Some(env::CA_BUNDLE),
    },
    Key {
        name: "proxy",
        help: "An HTTP(S) proxy (HTTPS_PROXY / NO_PROXY are honoured too).",
        example: "http://proxy.corp:3128",
        var: Some(env::PROXY),
    },
    Key {
        name: "http_timeout",
        help: "Longest wait for one HTTP answer (default 60s).",
        example: "60s",
        var: Some(env::HTTP_TIMEOUT),
    },
];

fn flag_value<'a>(args: &'a ConnectionArgs, key: &str) -> Option<&'a String> {
    match key {
        "tenant_url" => args.tenant_url.as_ref(),
        "api_url" => args.api_url.as_ref(),
        "token_url" => args.token_url.as_ref(),
        "tenant_id" => args.tenant_id.as_ref(),
        "client_id" => args.client_id.as_ref(),
        "grant" => args.grant.as_ref(),
        "user" => args.user.as_ref(),
        _ => None,
    }
}

/// The text of a config file with one commented profile.
pub fn profile_text(profile: &str, args: &ConnectionArgs) -> String {
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let mut text = String::from(
        "# sacctl configuration, written by `sacctl config init`.\n\
         # Flags override SACCTL_* variables, which override this file; `sacctl config show` tells\n\
         # which value applies and where it comes from. Secrets never go in this file: name a file\n\
         # or a command that holds them (*_file, *_cmd), or set SACCTL_CLIENT_SECRET / SACCTL_PASSWORD.\n\
         # More profiles: add [profiles.NAME] tables and pick one with --profile or SACCTL_PROFILE.\n\n",
    );
    text.push_str(&format!("default_profile = {}\n\n", quote(profile)));
    text.push_str(&profile_table(profile, args));
    text
}

/// The `[profiles.NAME]` table of [`profile_text`], its keys commented.
fn profile_table(profile: &str, args: &ConnectionArgs) -> String {
    let quote = |v: &str| toml::Value::String(v.to_string()).to_string();
    let bare = !profile.is_empty() && profile.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let table_key = if bare { profile.to_string() } else { quote(profile) };
    let mut text = format!("[profiles.{table_key}]\n");
    for key in KEYS {
        if !key.help.is_empty() {
            text.push_str(&format!("\n# {}\n", key.help));
        }
        let given = flag_value(args, key.name).cloned().or_else(|| key.var.and_then(settings::var));
        match given {
            Some(value) => text.push_str(&format!("{} = {}\n", key.name, quote(&value))),
            None => text.push_str(&format!("# {} = {}\n", key.name, quote(key.example))),
        }
    }
    text
}

fn init(printer: Printer, args: ConfigInitArgs) -> Result<ExitStatus, Failure> {
    let connection = &args.connection;
    let path = settings::config_path(connection.config.as_deref())
        .ok_or_else(|| Failure::usage("no config directory is known for this user: give --config FILE"))?;
    let named = connection.profile.clone().or_else(|| settings::var(env::PROFILE));
    let profile = named.clone().unwrap_or_else(|| "default".to_string());
    // A named profile joins an existing file; the other profiles stay as
    // they are, byte for byte.
    let existing = match &named {
        Some(_) if path.exists() => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the config file {}", path.display()))
                .map_err(|e| Failure::new(ExitStatus::Usage, e))?,
        ),
        _ => None,
    };
    if existing.is_none() && path.exists() && !args.force {
        let mut failure =
            Failure::usage(format!("the config file {} exists already; nothing was written", path.display()));
        failure.hints.push(
            "`sacctl config show` shows what it holds; --profile NAME adds a profile to it; --force replaces it".into(),
        );
        return Err(failure);
    }
    if std::env::var_os(env::CLIENT_SECRET).is_some_and(|v| !v.is_empty())
        || std::env::var_os(env::PASSWORD).is_some_and(|v| !v.is_empty())
    {
        printer.note("(SACCTL_CLIENT_SECRET / SACCTL_PASSWORD are not written: secrets stay out of the config file)");
    }
    let text = match existing {
        Some(existing) => with_profile(&path, &existing, &profile, connection, args.force)?,
        None => profile_text(&profile, connection),
    };
    write_private(&path, &text)
        .with_context(|| format!("cannot write the config file {}", path.display()))
        .map_err(|e| Failure::new(ExitStatus::Usage, e))?;
    if printer.json() {
        printer.result_json(&finish(json!({"config_file": path, "profile": profile}), ExitStatus::Success, None));
    } else {
        printer.result(&format!("wrote profile {profile:?} to {}", path.display()));
    }
    Ok(ExitStatus::Success)
}

/// `existing`, the text of the config file at `path`, with profile
/// `profile` added at its end; an existing one of that name is taken out
/// first with `force`, else refused. Everything else keeps its text and
/// comments.
fn with_profile(
    path: &Path,
    existing: &str,
    profile: &str,
    args: &ConnectionArgs,
    force: bool,
) -> Result<String, Failure> {
    let mut doc: toml_edit::DocumentMut = existing.parse().map_err(|e| {
        Failure::usage(format!("the config file {} is not valid TOML, nothing was written: {e}", path.display()))
    })?;
    let profiles = doc.get_mut("profiles").and_then(|p| p.as_table_like_mut());
    let present = profiles.as_ref().is_some_and(|p| p.contains_key(profile));
    if present && !force {
        let mut failure = Failure::usage(format!(
            "profile {profile:?} exists already in the config file {}; nothing was written",
            path.display()
        ));
        failure.hints.push("--force replaces that profile (and only it)".into());
        return Err(failure);
    }
    let mut text = if present {
        profiles.expect("present").remove(profile);
        doc.to_string()
    } else {
        existing.to_string()
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&profile_table(profile, args));
    Ok(text)
}

/// Writes `text` to `path` (parents created), owner-only: a profile names
/// where secrets are.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn show(printer: Printer, args: &ConnectionArgs) -> Result<ExitStatus, Failure> {
    let explained = settings::explain(args)?;
    if printer.json() {
        let doc = serde_json::to_value(&explained).map_err(|e| Failure::new(ExitStatus::Usage, anyhow!(e)))?;
        printer.result_json(&finish(doc, ExitStatus::Success, None));
        return Ok(ExitStatus::Success);
    }
    let file = match &explained.config_file {
        Some(path) if explained.config_file_exists => path.display().to_string(),
        Some(path) => format!("{} (not there)", path.display()),
        None => "(none)".into(),
    };
    let mut rows = vec![("config file".to_string(), file, explained.config_file_source.to_string())];
    for shown in std::iter::once(&explained.profile).chain(&explained.settings) {
        let value = shown.value.clone().unwrap_or_else(|| "-".into());
        let source = if shown.source == Source::Unset { String::new() } else { shown.source.to_string() };
        rows.push((shown.name.to_string(), value, source));
    }
    let name_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0).min(60);
    for (name, value, source) in rows {
        let line = format!("{name:name_width$}  {value:value_width$}  {source}");
        printer.result(line.trim_end());
    }
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_text_loads_back_and_keeps_what_was_given() {
        let args = ConnectionArgs {
            tenant_url: Some("https://acme.eu10.hcs.cloud.sap".into()),
            client_id: Some("it's \"quoted\"".into()),
            ..ConnectionArgs::default()
        };
        let text = profile_text("prod", &args);
        let file: settings::ConfigFile = toml::from_str(&text).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("prod"));
        let profile = &file.profiles["prod"];
        assert_eq!(profile.tenant_url.as_deref(), Some("https://acme.eu10.hcs.cloud.sap"));
        assert_eq!(profile.client_id.as_deref(), Some("it's \"quoted\""));
        assert!(text.contains("# client_secret_cmd = \"pass show sac/client-secret\""), "{text}");
        // Every key of a profile is there, set or commented out.
        for key in KEYS {
            assert!(text.contains(&format!("{} = ", key.name)), "{}", key.name);
        }
    }
}
