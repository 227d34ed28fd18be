//! What `sacctl --help` and the man page say beyond the flags: every
//! `SACCTL_*` variable, the files sacctl reads and writes, the exit codes.
//! One table each, so help, man page and the test that checks them agree.

use crate::site::doc_url;

/// `(variable, what it sets)`, every variable sacctl reads.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("SACCTL_PROFILE", "the profile of the config file to use (default: default_profile, else \"default\")"),
    ("SACCTL_CONFIG", "the config file to read instead of the default one"),
    ("SACCTL_TENANT_URL", "the tenant's address, scheme and host only (https://acme.eu10.hcs.cloud.sap)"),
    ("SACCTL_API_URL", "the tenant's API domain for the public APIs (https://acme.api.eu10.hcs.cloud.sap)"),
    ("SACCTL_TOKEN_URL", "the OAuth client's Token URL from App Integration, ending in /oauth/token"),
    ("SACCTL_TENANT_ID", "the tenant id (the X of t.X:MODEL) where a command needs it"),
    ("SACCTL_CLIENT_ID", "the OAuth client id"),
    ("SACCTL_CLIENT_SECRET", "the OAuth client secret itself"),
    ("SACCTL_CLIENT_SECRET_FILE", "a file whose first line is the client secret"),
    ("SACCTL_CLIENT_SECRET_CMD", "a command that prints the client secret"),
    ("SACCTL_GRANT", "client_credentials (default), password, saml2_bearer or authorization_code"),
    ("SACCTL_USER", "the SAC user of the password grant"),
    ("SACCTL_PASSWORD", "that user's password (or SACCTL_PASSWORD_FILE, SACCTL_PASSWORD_CMD)"),
    ("SACCTL_PASSWORD_FILE", "a file whose first line is the password"),
    ("SACCTL_PASSWORD_CMD", "a command that prints the password"),
    ("SACCTL_SAML_ASSERTION_FILE", "a file holding the SAML assertion of the saml2_bearer grant"),
    ("SACCTL_SAML_ASSERTION_CMD", "a command that prints the SAML assertion"),
    ("SACCTL_CA_BUNDLE", "a PEM file of CA certificates to trust besides the system's"),
    ("SACCTL_PROXY", "an HTTP(S) proxy for every request (else HTTPS_PROXY, NO_PROXY apply)"),
    ("SACCTL_RETRY_ATTEMPTS", "attempts per request, 1 to 100 (default 6)"),
    ("SACCTL_HTTP_TIMEOUT", "the time one request may take, e.g. 60s"),
    ("SACCTL_CACHE_DIR", "where tokens and trigger locks are kept"),
    ("SACCTL_SHELL", "the shell printed command lines are for: posix or powershell"),
    ("SACCTL_EMULATOR_DIR", "the emulator's data directory"),
    ("SACCTL_EMULATOR_ADMIN_TOKEN", "the token of the emulator's admin API"),
];

/// `(file, what sacctl does with it)`.
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/sacctl/config.toml",
        "the profiles (read; `sacctl config init` writes it). macOS: ~/Library/Application Support/sacctl/, \
         Windows: %APPDATA%\\sacctl\\",
    ),
    (
        "$XDG_CACHE_HOME/sacctl/tokens-PROFILE.json",
        "the tokens of a profile, owner-only (SACCTL_CACHE_DIR moves it). macOS: ~/Library/Caches/sacctl/, \
         Windows: %LOCALAPPDATA%\\sacctl\\",
    ),
    ("$XDG_CACHE_HOME/sacctl/locks/", "one trigger lock per target, shared by every sacctl of this user"),
    (
        "$XDG_STATE_HOME/sacctl/emulator/",
        "the emulator's data and state file (SACCTL_EMULATOR_DIR moves it); it keeps its data between starts",
    ),
];

/// `(code, meaning)`, as docs/exit-codes.md gives them.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "the job or multi action failed"),
    ("2", "usage or configuration error"),
    ("3", "authentication or authorization failed"),
    ("4", "target not found"),
    ("5", "timed out waiting; the job is still running"),
    ("6", "finished with warnings or rejected rows"),
    ("7", "refused: a run of this target is already in progress"),
    ("8", "SAC unreachable, or the outcome is unknown"),
    ("9", "cancelled or stopped"),
    ("130, 143", "interrupted by SIGINT / SIGTERM; the job keeps running"),
];

/// The text after the flags in `sacctl --help`.
pub fn long_help() -> String {
    let mut text = String::from(
        "Settings: flags > SACCTL_* environment variables > profile in the config file (`sacctl config show`).\n",
    );
    let mut section = |title: &str, rows: &[(&str, &str)]| {
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        text.push_str(&format!("\n{title}:\n"));
        for (key, what) in rows {
            text.push_str(&format!("  {key:width$}  {what}\n"));
        }
    };
    section("Environment", ENVIRONMENT);
    section("Files", FILES);
    section("Exit status", EXIT_STATUS);
    text.push_str(&format!("\nDocumentation: {} (exit codes: {})\n", crate::site::URL, doc_url!("exit-codes")));
    text.push_str(
        "\nExample:\n  eval \"$(sacctl emulator start --detach)\"   # a local SAC tenant in the background (bash, zsh)\n  \
         sacctl emulator start --detach --shell powershell | Invoke-Expression   # the same in PowerShell\n  \
         sacctl demo                               # the seed scenario end to end",
    );
    text
}

/// The man page's ENVIRONMENT, FILES and EXIT STATUS sections, in roff.
pub fn man_sections() -> String {
    let mut roff = String::new();
    for (title, rows) in [("ENVIRONMENT", ENVIRONMENT), ("FILES", FILES), ("EXIT STATUS", EXIT_STATUS)] {
        roff.push_str(&format!(".SH \"{title}\"\n"));
        for (key, what) in rows {
            roff.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(key), escape(what)));
        }
    }
    roff.push_str(&format!(
        ".SH \"SEE ALSO\"\nThe documentation site: {}\n.br\nEvery exit code and what a scheduler should do with it: {}\n",
        escape(crate::site::URL),
        escape(doc_url!("exit-codes"))
    ));
    roff
}

/// Text as roff prints it: backslashes and dashes escaped, no line that
/// starts with a control character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roff_escapes_dashes_and_backslashes() {
        assert_eq!(escape("a-b\\c"), "a\\-b\\ec");
        assert_eq!(escape(".x"), "\\&.x");
    }
}
