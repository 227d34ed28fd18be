//! The emulator as a background service, as a user drives it from a shell:
//! `eval "$(sacctl emulator start --detach)"`, `sacctl emulator env`,
//! `status`, `stop`. Real processes on free loopback ports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::common::{SACCTL, SCHEDULE};

fn sacctl(dir: &Path) -> Command {
    let mut cmd = Command::new(SACCTL);
    cmd.env_remove("RUST_LOG").env_remove("SACCTL_EMULATOR_ADMIN_TOKEN").env("SACCTL_EMULATOR_DIR", dir);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Kills whatever emulator a data directory names when a test ends, so a
/// failing test leaves no process behind.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(state) = std::fs::read_to_string(self.0.join("emulator.json")) {
            if let Some(pid) = serde_json::from_str::<Value>(&state).ok().and_then(|s| s["pid"].as_u64()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

fn state(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("emulator.json")).unwrap()).unwrap()
}

fn health(url: &str) -> reqwest::Result<Value> {
    reqwest::blocking::get(format!("{url}/emulator/health"))?.error_for_status()?.json()
}

fn assert_code(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "stdout: {}\nstderr: {}", text(&output.stdout), text(&output.stderr));
}

#[test]
fn eval_start_detach_then_env_status_stop_in_a_real_shell() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    // One shell: eval the settings, use them with a real command, print them back.
    let script = format!(
        r#"set -e
        eval "$('{SACCTL}' emulator start --detach --data-dir '{dir}' --host 0.0.0.0 --job-duration 0s)"
        SACCTL_CLIENT_ID=sacctl-user SACCTL_CLIENT_SECRET=sacctl-user-secret SACCTL_GRANT=password \
          SACCTL_USER=JDOE SACCTL_PASSWORD='Welcome1!' SACCTL_CACHE_DIR='{cache}' \
          '{SACCTL}' schedule run {SCHEDULE} --model "t.$SACCTL_TENANT_ID:ZEPPART_001" --wait --output json
        printf 'tenant=%s\napi=%s\ntoken=%s\ndir=%s\n' "$SACCTL_TENANT_URL" "$SACCTL_API_URL" "$SACCTL_TOKEN_URL" "$SACCTL_EMULATOR_DIR"
        "#,
        dir = dir.display(),
        cache = home.path().join("cache").display(),
    );
    let output = Command::new("sh").arg("-c").arg(&script).env_remove("SACCTL_EMULATOR_DIR").output().unwrap();
    assert_code(&output, 0);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("\"insertedCount\": 89") || stdout.contains("\"inserted\": 89"), "{stdout}");
    let printed = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {stdout}"))
            .to_string()
    };
    let tenant_url = printed("tenant");
    // --host 0.0.0.0 listens everywhere; the URLs name loopback, which a client can reach.
    assert!(tenant_url.starts_with("http://127.0.0.1:"), "{tenant_url}");
    assert!(printed("api").starts_with("http://127.0.0.1:"));
    assert_eq!(printed("token"), format!("{tenant_url}/oauth/token"));
    assert_eq!(printed("dir"), dir.display().to_string());
    assert_eq!(health(&tenant_url).unwrap()["tenant"], "G");

    // The data directory and the files in it are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for file in ["emulator.json", "emulator.log", "emulator.sqlite3"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
    }

    // `env` prints the same settings again, found by SACCTL_EMULATOR_DIR.
    let env = sacctl(&dir).args(["emulator", "env"]).output().unwrap();
    assert_code(&env, 0);
    let env = text(&env.stdout);
    assert!(env.contains(&format!("export SACCTL_TENANT_URL='{tenant_url}'\n")), "{env}");
    assert!(env.contains("export SACCTL_TENANT_ID='G'\n"), "{env}");
    let fish = sacctl(&dir).args(["emulator", "env", "--shell", "fish"]).output().unwrap();
    assert!(text(&fish.stdout).contains(&format!("set -gx SACCTL_TENANT_URL '{tenant_url}'\n")));

    let status = sacctl(&dir).args(["emulator", "status", "--output", "json"]).output().unwrap();
    assert_code(&status, 0);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["healthy"], true);
    let pid = state(&dir)["pid"].as_u64().unwrap();
    assert_eq!(status["emulator"]["pid"], pid);

    // A second one on the same data directory is refused, naming the first.
    let again = sacctl(&dir).args(["emulator", "start", "--detach"]).output().unwrap();
    assert_code(&again, 7);
    assert!(text(&again.stderr).contains(&format!("pid {pid}")), "{}", text(&again.stderr));

    let stop = sacctl(&dir).args(["emulator", "stop"]).output().unwrap();
    assert_code(&stop, 0);
    assert!(text(&stop.stdout).contains(&format!("stopped the emulator (pid {pid}")), "{}", text(&stop.stdout));
    assert!(health(&tenant_url).is_err(), "nothing answers after stop");
    assert!(!dir.join("emulator.json").exists());

    // Nothing runs any more: a clear error, exit 4, for each of them.
    for command in ["stop", "env", "status"] {
        let output = sacctl(&dir).args(["emulator", command]).output().unwrap();
        assert_code(&output, 4);
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("no emulator runs with the data directory") && stderr.contains("start --detach"),
            "{stderr}"
        );
    }
}

#[test]
fn a_killed_emulator_leaves_a_stale_state_file_that_is_recognised_and_replaced() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    let start = sacctl(&dir).args(["emulator", "start", "--detach", "--job-duration", "0s"]).output().unwrap();
    assert_code(&start, 0);
    let first = state(&dir);
    let killed = Command::new("kill").args(["-9", &first["pid"].to_string()]).status().unwrap();
    assert!(killed.success());
    // The OS drops the lock with the process; until then it counts as running.
    loop {
        let env = sacctl(&dir).args(["emulator", "env"]).output().unwrap();
        if env.status.code() == Some(4) {
            let stderr = text(&env.stderr);
            assert!(stderr.contains(&format!("pid {} had stopped without cleaning up", first["pid"])), "{stderr}");
            break;
        }
        assert_code(&env, 0);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!dir.join("emulator.json").exists(), "the stale file is removed");

    // A new one starts on the same directory, on new free ports, with the state kept.
    let start = sacctl(&dir).args(["emulator", "start", "--detach", "--output", "json"]).output().unwrap();
    assert_code(&start, 0);
    let doc: Value = serde_json::from_slice(&start.stdout).unwrap();
    assert_ne!(doc["emulator"]["pid"], first["pid"]);
    assert_eq!(health(doc["emulator"]["tenant_url"].as_str().unwrap()).unwrap()["tenant"], "G");
    assert_code(&sacctl(&dir).args(["emulator", "stop"]).output().unwrap(), 0);
}

#[test]
fn a_foreground_emulator_with_a_data_dir_is_found_and_stopped_too() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    let mut foreground = sacctl(&dir)
        .args(["emulator", "--port", "0", "--api-port", "0", "--print-env", "--data-dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(foreground.stdout.take().unwrap()), &mut first).unwrap();
    // --print-env keeps its KEY=VALUE lines for programs that read them.
    let tenant_url = first.trim().strip_prefix("SACCTL_TENANT_URL=").unwrap().to_string();
    let env = sacctl(&dir).args(["emulator", "env", "--shell", "powershell"]).output().unwrap();
    assert_code(&env, 0);
    assert!(text(&env.stdout).contains(&format!("$env:SACCTL_TENANT_URL = '{tenant_url}'")), "{}", text(&env.stdout));
    assert_code(&sacctl(&dir).args(["emulator", "stop"]).output().unwrap(), 0);
    assert_eq!(foreground.wait().unwrap().code(), Some(0), "SIGTERM stops it cleanly");
}

#[test]
fn mistakes_are_told_before_anything_starts() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    let bad =
        sacctl(&dir).args(["emulator", "start", "--detach", "--tenant", "/nonexistent/tenant.toml"]).output().unwrap();
    assert_code(&bad, 2);
    assert!(
        text(&bad.stderr).contains("cannot read the tenant file /nonexistent/tenant.toml"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!dir.join("emulator.json").exists());

    let print = sacctl(&dir).args(["emulator", "start", "--detach", "--print-env"]).output().unwrap();
    assert_code(&print, 2);
    let shell = sacctl(&dir).args(["emulator", "start", "--shell", "fish"]).output().unwrap();
    assert_code(&shell, 2);
    assert!(text(&shell.stderr).contains("--detach"), "{}", text(&shell.stderr));

    // A port in use: the emulator's own message, not a timeout.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let output = sacctl(&dir).args(["emulator", "start", "--detach", "--port", &port]).output().unwrap();
    assert_code(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("stopped before it was ready") && stderr.contains("--port"), "{stderr}");
    assert!(stderr.contains("emulator.log"), "{stderr}");
}

/// A data directory others may write in could have its files swapped (a
/// link at the database makes the emulator overwrite the link's target):
/// refused with exit 2 and what to do, before anything is written in it.
#[cfg(unix)]
#[test]
fn a_data_directory_others_may_write_in_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = sacctl(&dir).args(["emulator", "start", "--detach", "--data-dir"]).arg(&dir).output().unwrap();
    assert_code(&output, 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("refusing the data directory {}", dir.display())), "{stderr}");
    assert!(stderr.contains(&format!("chmod 700 {}", dir.display())), "{stderr}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing was written in it");

    // A link at the log (the first file `start` writes) is refused too.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let target = home.path().join("precious");
    std::fs::write(&target, "precious").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("emulator.log")).unwrap();
    let output = sacctl(&dir).args(["emulator", "start", "--detach", "--data-dir"]).arg(&dir).output().unwrap();
    assert_code(&output, 2);
    assert!(text(&output.stderr).contains("emulator.log is a symbolic link"), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
}

/// The admin token reaches the background emulator by its environment: it
/// guards the admin API there and never shows in the process's arguments.
#[test]
fn the_admin_token_goes_to_the_background_emulator_but_not_into_its_arguments() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    let secret = "tok-5ecret-for-the-admin-api";
    let start = sacctl(&dir).args(["emulator", "start", "--detach", "--admin-token", secret]).output().unwrap();
    assert_code(&start, 0);
    assert!(!text(&start.stdout).contains(secret) && !text(&start.stderr).contains(secret));
    let found = state(&dir);
    let tenant_url = found["tenant_url"].as_str().unwrap();
    let requests = format!("{tenant_url}/emulator/requests");
    let http = reqwest::blocking::Client::new();
    let without = http.get(&requests).send().unwrap().status();
    assert!(without == 401 || without == 403, "{without}");
    assert_eq!(http.get(&requests).bearer_auth(secret).send().unwrap().status(), 200);
    #[cfg(target_os = "linux")]
    {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", found["pid"])).unwrap();
        let cmdline = text(&cmdline).replace('\0', " ");
        assert!(cmdline.contains("emulator") && cmdline.contains("--data-dir"), "{cmdline}");
        assert!(!cmdline.contains(secret), "{cmdline}");
    }
    assert!(!std::fs::read_to_string(dir.join("emulator.json")).unwrap().contains(secret));
    assert_code(&sacctl(&dir).args(["emulator", "stop"]).output().unwrap(), 0);
}
