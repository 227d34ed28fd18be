//! A real `sacctl emulator` process on free loopback ports (`--job-duration
//! 0s`), the URLs it printed, and ways to stop it: SIGTERM, `kill -9`.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct EmulatorProcess {
    pub child: Child,
    pub tenant_url: String,
    pub api_url: String,
    pub token_url: String,
}

impl EmulatorProcess {
    /// Starts `sacctl emulator` with `args` added and waits for its URLs.
    pub fn start<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sacctl"))
            .env_remove("RUST_LOG")
            .args(["emulator", "--port", "0", "--api-port", "0", "--print-env", "--job-duration", "0s"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut value = |name: &str| {
            let line = lines.next().expect("an env line").unwrap();
            line.strip_prefix(&format!("{name}=")).unwrap_or_else(|| panic!("{line}")).to_string()
        };
        let (tenant_url, api_url, token_url) =
            (value("SACCTL_TENANT_URL"), value("SACCTL_API_URL"), value("SACCTL_TOKEN_URL"));
        EmulatorProcess { child, tenant_url, api_url, token_url }
    }

    /// Sends SIGTERM and returns the exit code (a death by signal fails the test).
    pub fn terminate(mut self) -> i32 {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        self.wait_exit().code().expect("exited, not killed")
    }

    /// `kill -9`, and waits until the process is gone.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        self.wait_exit();
    }

    /// Waits (at most 30 s) for the process to end.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the emulator did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
