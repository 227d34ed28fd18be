//! Running `sacctl` against an emulator started in the test.

use std::path::{Path, PathBuf};
use std::process::Output;

use sac_emulator::{ClockMode, Config, RunningEmulator, Urls};
use sac_testkit::demo::{API_CLIENT, PASSWORD, PLANNER, USER_CLIENT};
pub use sac_testkit::demo::{HISTORY_RUN_ID, MAPPING_ID, MULTI_ACTION, PARTS_MODEL as MODEL, SCHEDULE_ID as SCHEDULE};
pub use sac_testkit::{Admin, EmulatorProcess};
pub use sac_types::legacy::SERVICE_PATH as SERVICE;
use serde_json::Value;
use tokio::process::Command;

/// The `sacctl` binary these tests run.
pub const SACCTL: &str = env!("CARGO_BIN_EXE_sacctl");

/// Who `sacctl` signs in as.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// JDOE with the password grant of the interactive client.
    Planner,
    /// The technical client `sacctl-api` (client credentials).
    Technical,
}

/// The `SACCTL_*` settings that point `sacctl` at an emulator as `who`.
pub fn profile(urls: &Urls, who: Who) -> Vec<(String, String)> {
    let mut vars = vec![
        ("SACCTL_TENANT_URL", urls.tenant_url.clone()),
        ("SACCTL_API_URL", urls.api_url.clone()),
        ("SACCTL_TOKEN_URL", urls.token_url.clone()),
    ];
    vars.extend(credentials(who));
    vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn credentials(who: Who) -> Vec<(&'static str, String)> {
    match who {
        Who::Planner => vec![
            ("SACCTL_CLIENT_ID", USER_CLIENT.0.into()),
            ("SACCTL_CLIENT_SECRET", USER_CLIENT.1.into()),
            ("SACCTL_GRANT", "password".into()),
            ("SACCTL_USER", PLANNER.into()),
            ("SACCTL_PASSWORD", PASSWORD.into()),
        ],
        Who::Technical => vec![
            ("SACCTL_CLIENT_ID", API_CLIENT.0.into()),
            ("SACCTL_CLIENT_SECRET", API_CLIENT.1.into()),
            ("SACCTL_GRANT", "client_credentials".into()),
        ],
    }
}

/// `sacctl` with nothing of the caller's environment but `PATH`, its home,
/// configuration and token cache under `home`.
pub fn sacctl_in(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(SACCTL);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"));
    cmd
}

pub struct Env {
    pub emu: RunningEmulator,
    pub home: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

pub async fn setup(clock: ClockMode) -> Env {
    setup_with(Config { clock, ..Config::default() }).await
}

/// An emulator (immediate clock, Data Export pages of 7 rows) and a
/// profile of the technical client `sacctl-api` (Data Export access).
pub async fn technical_exporter() -> Env {
    let mut env = setup_with(Config { clock: ClockMode::Immediate, export_page_size: 7, ..Config::default() }).await;
    env.sign_in_as(Who::Technical);
    env
}

pub async fn setup_with(config: Config) -> Env {
    let emu = sac_testkit::start_with(config).await;
    let home = tempfile::tempdir().unwrap();
    let mut vars = profile(&emu.urls, Who::Planner);
    vars.push(("SACCTL_RETRY_ATTEMPTS".into(), "3".into()));
    Env { emu, home, vars }
}

impl Env {
    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
    }

    /// Signs in as `who` from now on (the client, its grant and, for the
    /// planner, the user and password).
    pub fn sign_in_as(&mut self, who: Who) {
        for (key, value) in credentials(who) {
            self.set(key, &value);
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::from(sacctl_in(self.home.path()));
        cmd.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))).args(args).kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    /// Runs `sacctl` with `args`, which must exit 0.
    pub async fn run_ok(&self, args: &[&str]) -> Output {
        let output = self.run(args).await;
        assert_eq!(code(&output), 0, "sacctl {}: {}", args.join(" "), describe(&output));
        output
    }

    /// The emulator's admin API.
    pub fn admin_api(&self) -> Admin {
        Admin::new(&self.emu.urls.tenant_url)
    }

    /// `POST` to the admin API, which must succeed.
    pub async fn admin(&self, path: &str, body: Value) {
        self.admin_api().post(path, &body).await;
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.admin_api().requests().await
    }

    /// Forgets the request log (so counts start again from zero).
    pub async fn requests_clear(&self) {
        self.admin_api().clear_requests().await;
    }

    pub async fn triggers(&self) -> usize {
        self.requests()
            .await
            .iter()
            .filter(|r| r["query"].as_str().unwrap().contains("runScheduledJob") && r["status"] == 200)
            .count()
    }

    pub fn cache_file(&self) -> PathBuf {
        self.home.path().join("cache").join("sacctl").join("tokens-default.json")
    }
}

/// The browser of a `sacctl login` that pipes its stderr: opens the URL the
/// login prints and returns the page it ends on. (An emulator with
/// `auto_approve_user` signs the user in and redirects to the login's
/// loopback.)
pub async fn sign_in_in_the_browser(login: &mut tokio::process::Child) -> String {
    let stderr = login.stderr.take().expect("the login's stderr piped");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stderr));
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("the login URL is printed");
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    // The rest of stderr is read on, so the login never writes to a closed pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    reqwest::get(&url).await.unwrap().text().await.unwrap()
}

/// A CSV file of one valid fact row of `t.G:SALES_PLAN`, in `dir`.
pub fn one_fact_row(dir: &Path) -> String {
    let file = dir.join("facts.csv");
    std::fs::write(&file, "Version,Date,Part,Country,Amount,Quantity\npublic.Plan,202601,P0001,AT,1,1\n").unwrap();
    file.to_str().unwrap().to_string()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn describe(output: &Output) -> String {
    format!("exit {:?}\n--- stdout\n{}\n--- stderr\n{}", output.status.code(), stdout(output), stderr(output))
}

/// The one JSON document on stdout.
pub fn json_doc(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(output)))
}

/// The demo tenant with `service` taken off the technical client's access
/// list (SAC then refuses it that API with 3401).
pub fn tenant_without_access(service: &str) -> sac_emulator::Tenant {
    let mut tenant = sac_emulator::Tenant::demo();
    for client in tenant.clients.iter_mut().filter(|c| c.id == API_CLIENT.0) {
        client.access.retain(|a| a != service);
    }
    tenant
}
