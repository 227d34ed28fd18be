//! A real `sacctl emulator` process, for what only a process shows: a
//! `kill -9` in the middle of a write, a restart on the same data
//! directory, signals, the command line itself.
//!
//! The first start lets the emulator bind free ports itself (`--port 0`) and
//! reads them back from its `--print-env` lines; a restart asks for those
//! same ports again, so clients holding the URLs reach the new process.
//! (Picking a port by binding and releasing it first would race with every
//! other test that does the same.)

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sac_emulator::Urls;

use crate::Admin;

/// How long a process may take to start or to end: a bound against
/// hanging, not a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct EmulatorProcess {
    sacctl: PathBuf,
    args: Vec<OsString>,
    child: Option<Child>,
    /// Where it answers; the same after [`EmulatorProcess::restart`].
    pub urls: Urls,
}

impl EmulatorProcess {
    /// Starts `sacctl emulator` (the binary at `sacctl`, which tests take
    /// from `env!("CARGO_BIN_EXE_sacctl")`) on free loopback ports, with
    /// `args` added, and waits until it listens.
    pub fn start<S: AsRef<OsStr>>(sacctl: impl AsRef<Path>, args: impl IntoIterator<Item = S>) -> Self {
        let args = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
        let mut process = EmulatorProcess {
            sacctl: sacctl.as_ref().to_path_buf(),
            args,
            child: None,
            urls: Urls { tenant_url: String::new(), api_url: String::new(), token_url: String::new() },
        };
        process.urls = process.spawn(0, 0);
        process
    }

    /// Starts it with its state in `dir` (`--data-dir`), `args` added.
    pub fn start_in<S: AsRef<OsStr>>(sacctl: impl AsRef<Path>, dir: &Path, args: impl IntoIterator<Item = S>) -> Self {
        let data_dir = [OsStr::new("--data-dir"), dir.as_os_str()].map(OsStr::to_os_string);
        let args = data_dir.into_iter().chain(args.into_iter().map(|a| a.as_ref().to_os_string()));
        Self::start(sacctl, args.collect::<Vec<_>>())
    }

    /// Its admin API.
    pub fn admin(&self) -> Admin {
        Admin::new(&self.urls.tenant_url)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether this handle started a process that has not been killed.
    pub fn is_started(&self) -> bool {
        self.child.is_some()
    }

    /// `kill -9`, and waits until the process is gone. Nothing happens
    /// when it was already killed.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills it if it still runs and starts it again with the same
    /// arguments on the same ports (and so the same data directory).
    pub fn restart(&mut self) {
        self.kill();
        let port = |url: &str| url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a URL with a port");
        let urls = self.spawn(port(&self.urls.tenant_url), port(&self.urls.api_url));
        assert_eq!(urls.tenant_url, self.urls.tenant_url, "started again on the same port");
    }

    /// Sends SIGTERM and returns the exit code (a death by signal fails the test).
    pub fn terminate(mut self) -> i32 {
        let pid = self.pid().expect("a running emulator").to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(status.success());
        self.wait_exit().code().expect("exited, not killed")
    }

    /// Waits (a bounded time) for the process to end by itself.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let child = self.child.as_mut().expect("a started emulator");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = child.try_wait().expect("the emulator's status") {
                self.child = None;
                return status;
            }
            assert!(Instant::now() < deadline, "the emulator did not exit within {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the process on these ports (0: any free one) and reads the
    /// URLs it prints once it listens.
    fn spawn(&mut self, port: u16, api_port: u16) -> Urls {
        let mut child = Command::new(&self.sacctl)
            .env_remove("RUST_LOG")
            .env_remove("SACCTL_EMULATOR_ADMIN_TOKEN")
            .args(["emulator", "--port", &port.to_string(), "--api-port", &api_port.to_string(), "--print-env"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sacctl starts");
        // The lines come once both ports listen; a process that fails to
        // start closes its output first, which ends the wait too.
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut value = |name: &str| {
            let line = lines.next().and_then(Result::ok);
            let found = line.as_deref().and_then(|l| l.strip_prefix(name)).and_then(|l| l.strip_prefix('='));
            found.map(str::to_string).unwrap_or_else(|| panic!("the emulator did not start: {line:?} for {name}"))
        };
        let urls = Urls {
            tenant_url: value("SACCTL_TENANT_URL"),
            api_url: value("SACCTL_API_URL"),
            token_url: value("SACCTL_TOKEN_URL"),
        };
        self.child = Some(child);
        urls
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
