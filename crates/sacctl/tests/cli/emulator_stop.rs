//! `sacctl emulator stop` through the emulator's admin API
//! (`POST /emulator/shutdown`), which every host has, and the signal as the
//! Unix fallback when the API refuses (a wrong or missing admin token).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::SACCTL;

const TOKEN: &str = "stop-test-admin-token";

fn sacctl(dir: &Path, token: Option<&str>) -> Command {
    let mut cmd = Command::new(SACCTL);
    cmd.env_remove("RUST_LOG").env_remove("SACCTL_EMULATOR_ADMIN_TOKEN").env("SACCTL_EMULATOR_DIR", dir);
    if let Some(token) = token {
        cmd.env("SACCTL_EMULATOR_ADMIN_TOKEN", token);
    }
    cmd
}

fn ok(output: Output) -> String {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert_eq!(output.status.code(), Some(0), "stdout: {}\nstderr: {}", text(&output.stdout), text(&output.stderr));
    text(&output.stdout)
}

/// Kills an emulator a failing test leaves behind.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Ok(state) = std::fs::read_to_string(self.0.join("emulator.json")) {
            if let Some(pid) = serde_json::from_str::<serde_json::Value>(&state).ok().and_then(|s| s["pid"].as_u64()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

const BY_API: &str = "stopped: asked through the admin API (POST /emulator/shutdown)";

#[test]
fn stop_goes_through_the_admin_api_and_falls_back_to_the_signal_on_unix() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("emulator");
    let _cleanup = Cleanup(dir.clone());
    let log = || std::fs::read_to_string(dir.join("emulator.log")).unwrap_or_default();

    ok(sacctl(&dir, Some(TOKEN)).args(["emulator", "start", "--detach"]).output().unwrap());
    let stopped = ok(sacctl(&dir, Some(TOKEN)).args(["emulator", "stop"]).output().unwrap());
    assert!(stopped.contains("stopped the emulator"), "{stopped}");
    assert!(!dir.join("emulator.json").exists(), "the emulator cleaned up after itself");
    assert_eq!(log().matches(BY_API).count(), 1, "stopped by the admin API: {}", log());

    // Without the token the admin API refuses; on Unix SIGTERM still stops it.
    ok(sacctl(&dir, Some(TOKEN)).args(["emulator", "start", "--detach"]).output().unwrap());
    let refused = sacctl(&dir, None).args(["emulator", "stop"]).output().unwrap();
    if cfg!(unix) {
        ok(refused);
        assert_eq!(log().matches(BY_API).count(), 1, "the second stop was the signal's: {}", log());
    } else {
        assert_eq!(refused.status.code(), Some(2));
        ok(sacctl(&dir, Some(TOKEN)).args(["emulator", "stop"]).output().unwrap());
    }
    assert!(!dir.join("emulator.json").exists());
}
