//! The CLI as an installed tool: completions that source in bash, a man
//! page `man -l` renders, `--version` with the commit, `config init` and
//! `config show`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::SACCTL;

/// sacctl with no SACCTL_* variable of the caller's environment.
fn sacctl(home: &Path) -> Command {
    let mut cmd = Command::new(SACCTL);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("SACCTL_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("HOME", home);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{:?}\nstdout: {}\nstderr: {}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

#[test]
fn bash_completions_source_cleanly_and_complete_subcommands() {
    let script = format!(
        r#"set -e
        source <('{SACCTL}' completions bash)
        complete -p sacctl
        COMP_WORDS=(sacctl sched); COMP_CWORD=1; COMP_LINE="sacctl sched"; COMP_POINT=${{#COMP_LINE}}
        _sacctl sacctl sched sacctl
        printf '%s\n' "${{COMPREPLY[@]}}"
        COMP_WORDS=(sacctl emulator start --det); COMP_CWORD=3; COMP_LINE="sacctl emulator start --det"; COMP_POINT=${{#COMP_LINE}}
        _sacctl sacctl --det start
        printf '%s\n' "${{COMPREPLY[@]}}"
        "#
    );
    let output = Command::new("bash").arg("-c").arg(&script).output().unwrap();
    assert!(output.stderr.is_empty(), "bash said: {}", text(&output.stderr));
    let stdout = ok(output);
    assert!(stdout.contains("-F _sacctl sacctl"), "{stdout}");
    let replies: Vec<&str> = stdout.lines().skip(1).map(str::trim).collect();
    assert!(replies.contains(&"schedule"), "{stdout}");
    assert!(replies.contains(&"--detach"), "{stdout}");
}

#[test]
fn every_shell_gets_completions() {
    let home = tempfile::tempdir().unwrap();
    for (shell, marker) in
        [("zsh", "#compdef sacctl"), ("fish", "complete -c sacctl"), ("powershell", "Register-ArgumentCompleter")]
    {
        let stdout = ok(sacctl(home.path()).args(["completions", shell]).output().unwrap());
        assert!(stdout.contains(marker), "{shell}: {}", &stdout[..stdout.len().min(300)]);
    }
    let bad = sacctl(home.path()).args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_man_page_renders_with_man_without_warnings() {
    let home = tempfile::tempdir().unwrap();
    let page = home.path().join("sacctl.1");
    std::fs::write(&page, ok(sacctl(home.path()).arg("man").output().unwrap())).unwrap();
    let output = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("`man` (Debian package man-db) renders the page: install it, as .ci/run does");
    let stderr = text(&output.stderr);
    let rendered = ok(output);
    assert!(stderr.trim().is_empty(), "man warned: {stderr}");
    for part in
        ["NAME", "SYNOPSIS", "DESCRIPTION", "SUBCOMMANDS", "sacctl-emulator(1)", "ENVIRONMENT", "FILES", "EXIT STATUS"]
    {
        assert!(rendered.contains(part), "{part} in {rendered}");
    }

    // One page per subcommand, for MANPATH.
    let dir = home.path().join("man1");
    ok(sacctl(home.path()).args(["man", "--out-dir"]).arg(&dir).output().unwrap());
    for page in ["sacctl.1", "sacctl-schedule-run.1", "sacctl-emulator-start.1", "sacctl-config-show.1"] {
        assert!(dir.join(page).is_file(), "{page}");
    }
    assert!(std::fs::read_to_string(dir.join("sacctl.1")).unwrap().contains(".SH \"ENVIRONMENT\""));
}

#[test]
fn version_names_the_commit() {
    let home = tempfile::tempdir().unwrap();
    let stdout = ok(sacctl(home.path()).arg("--version").output().unwrap());
    assert!(stdout.starts_with(&format!("sacctl {} (commit ", env!("CARGO_PKG_VERSION"))), "{stdout}");
}

#[test]
fn config_init_writes_a_commented_profile_once_and_show_tells_where_each_value_comes_from() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config").join("sacctl").join("config.toml");
    let init = sacctl(home.path())
        .args(["config", "init", "--profile", "emu", "--client-id", "sacctl-user"])
        .env("SACCTL_TENANT_URL", "http://127.0.0.1:8030")
        .env("SACCTL_CLIENT_SECRET", "do-not-write-me")
        .output()
        .unwrap();
    let stderr = text(&init.stderr);
    assert!(ok(init).contains(&format!("wrote profile \"emu\" to {}", file.display())));
    assert!(stderr.contains("not written"), "{stderr}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("default_profile = \"emu\"") && written.contains("[profiles.emu]"), "{written}");
    assert!(written.contains("tenant_url = \"http://127.0.0.1:8030\"\n"), "{written}");
    assert!(written.contains("client_id = \"sacctl-user\"\n"), "{written}");
    assert!(written.contains("# token_url = "), "{written}");
    assert!(!written.contains("do-not-write-me"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Never over an existing file without --force.
    let again = sacctl(home.path()).args(["config", "init"]).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("exists already") && text(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);

    // show: flag over environment over profile over default; secrets masked.
    let secret_file = home.path().join("secret");
    std::fs::write(&secret_file, "s3cr3t-from-file").unwrap();
    let show = sacctl(home.path())
        .args(["config", "show", "--output", "json", "--token-url", "http://127.0.0.1:8030/oauth/token"])
        .env("SACCTL_CLIENT_ID", "from-env")
        .env("SACCTL_CLIENT_SECRET_FILE", &secret_file)
        .env("SACCTL_PASSWORD", "hunter2-password")
        .output()
        .unwrap();
    let stdout = ok(show);
    assert!(!stdout.contains("s3cr3t-from-file") && !stdout.contains("hunter2-password"), "{stdout}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["config_file"], file.display().to_string());
    assert_eq!(doc["profile"]["value"], "emu");
    assert_eq!(doc["profile"]["source"], serde_json::json!({"kind": "profile", "name": "default_profile"}));
    let setting = |name: &str| doc["settings"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    assert_eq!(setting("tenant_url")["value"], "http://127.0.0.1:8030");
    assert_eq!(setting("tenant_url")["source"]["kind"], "profile");
    assert_eq!(setting("token_url")["source"], serde_json::json!({"kind": "flag", "name": "--token-url"}));
    assert_eq!(setting("client_id")["value"], "from-env");
    assert_eq!(setting("client_id")["source"], serde_json::json!({"kind": "env", "name": "SACCTL_CLIENT_ID"}));
    assert_eq!(setting("client_secret")["value"], format!("read from {}", secret_file.display()));
    assert_eq!(setting("password")["value"], "********");
    assert_eq!(setting("password")["source"]["name"], "SACCTL_PASSWORD");
    assert_eq!(setting("grant")["value"], "client_credentials");
    assert_eq!(setting("grant")["source"]["kind"], "default");
    assert_eq!(setting("api_url")["source"]["kind"], "unset");

    // The human table says the same.
    let table =
        ok(sacctl(home.path()).args(["config", "show"]).env("SACCTL_PASSWORD", "hunter2-password").output().unwrap());
    assert!(!table.contains("hunter2-password"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("tenant_url") && l.contains("config file, key tenant_url")), "{table}");
    assert!(table.lines().any(|l| l.starts_with("password") && l.contains("environment SACCTL_PASSWORD")), "{table}");

    // --force replaces it; the written file resolves as a profile.
    ok(sacctl(home.path()).args(["config", "init", "--force", "--profile", "other"]).output().unwrap());
    assert!(std::fs::read_to_string(&file).unwrap().contains("[profiles.other]"));
    let missing = sacctl(home.path()).args(["config", "show", "--profile", "nope"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("\"nope\" is not in the config file"), "{}", text(&missing.stderr));
}

#[test]
fn config_show_masks_credentials_in_every_url() {
    let home = tempfile::tempdir().unwrap();
    let secrets = ["s3cret-pass", "jdoe-user", "ghp-proxy-token", "sig-value-123"];
    for json in [false, true] {
        let mut cmd = sacctl(home.path());
        cmd.args(["config", "show", "--token-url", "https://idp.example/oauth/token?sig=sig-value-123"])
            .env("SACCTL_TENANT_URL", "https://jdoe-user:s3cret-pass@acme.eu10.hcs.cloud.sap")
            .env("SACCTL_API_URL", "https://jdoe-user@acme.api.eu10.hcs.cloud.sap")
            .env("SACCTL_PROXY", "http://ghp-proxy-token@proxy.corp:3128");
        if json {
            cmd.args(["--output", "json"]);
        }
        let shown = ok(cmd.output().unwrap());
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        assert!(shown.contains("https://********:********@acme.eu10.hcs.cloud.sap"), "{shown}");
        assert!(shown.contains("sig=********"), "{shown}");
    }
}
