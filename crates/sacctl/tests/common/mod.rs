//! Running `sacctl` against an emulator started in the test.
#![allow(dead_code)]

pub mod process;

use std::path::PathBuf;
use std::process::Output;

use sac_emulator::{ClockMode, Config, RunningEmulator};
use serde_json::Value;
use tokio::process::Command;

pub const MODEL: &str = "t.G:ZEPPART_001";
pub const SCHEDULE: &str = "F58CA15F78AA9039E200586F05E2BB93";
pub const SERVICE: &str = "/sap/fpa/services/rest/fpa/dataintegration";

pub struct Env {
    pub emu: RunningEmulator,
    pub home: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

pub async fn setup(clock: ClockMode) -> Env {
    setup_with(Config { clock, ..Config::default() }).await
}

pub async fn setup_with(config: Config) -> Env {
    let emu = sac_emulator::spawn(config).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let vars = vec![
        ("SACCTL_TENANT_URL", emu.urls.tenant_url.clone()),
        ("SACCTL_API_URL", emu.urls.api_url.clone()),
        ("SACCTL_TOKEN_URL", emu.urls.token_url.clone()),
        ("SACCTL_CLIENT_ID", "sacctl-user".into()),
        ("SACCTL_CLIENT_SECRET", "sacctl-user-secret".into()),
        ("SACCTL_GRANT", "password".into()),
        ("SACCTL_USER", "JDOE".into()),
        ("SACCTL_PASSWORD", "Welcome1!".into()),
        ("SACCTL_RETRY_ATTEMPTS", "3".into()),
    ];
    let vars = vars.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    Env { emu, home, vars }
}

impl Env {
    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sacctl"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(args)
            .kill_on_drop(true);
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    pub async fn admin(&self, path: &str, body: Value) {
        let r = reqwest::Client::new()
            .post(format!("{}{path}", self.emu.urls.tenant_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}");
    }

    pub async fn requests(&self) -> Vec<Value> {
        let log: Value = reqwest::get(format!("{}/emulator/requests", self.emu.urls.tenant_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["requests"].as_array().unwrap().clone()
    }

    /// Forgets the request log (so counts start again from zero).
    pub async fn requests_clear(&self) {
        let r = reqwest::Client::new()
            .delete(format!("{}/emulator/requests", self.emu.urls.tenant_url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
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

/// A CSV file of one valid fact row of `t.G:SALES_PLAN`, in `dir`.
pub fn one_fact_row(dir: &std::path::Path) -> String {
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
