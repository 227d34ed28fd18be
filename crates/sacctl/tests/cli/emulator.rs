//! `sacctl emulator` and `sacctl demo` as a user runs them: real processes,
//! real ports, real signals.

use std::process::Command;

use sac_testkit::demo::{PASSWORD, PLANNER, USER_CLIENT};
use serde_json::{json, Value};

use crate::common::*;

fn sacctl() -> Command {
    let mut cmd = Command::new(SACCTL);
    cmd.env_remove("RUST_LOG");
    cmd
}

/// `sacctl emulator` with runs that finish at once, `args` added.
fn start(args: &[&str]) -> EmulatorProcess {
    EmulatorProcess::start(SACCTL, [&["--job-duration", "0s"], args].concat())
}

/// Runs an import as JDOE over the API domain and returns the schedule's logs.
async fn run_import(p: &EmulatorProcess) -> Value {
    let http = reqwest::Client::new();
    let password = [("grant_type", "password"), ("username", PLANNER), ("password", PASSWORD)];
    let token = &sac_testkit::access_token(&p.urls.token_url, USER_CLIENT, &password).await;
    let service = format!("{}{SERVICE}", p.urls.api_url);
    let run = http
        .post(format!("{service}?action=runScheduledJob&tenant=G"))
        .bearer_auth(token)
        .json(&json!({"name": SCHEDULE, "mappingId": MAPPING_ID}))
        .send()
        .await
        .unwrap();
    assert_eq!(run.status(), 200);
    http.post(format!("{service}?action=getScheduleLogsByModel&tenant=G"))
        .bearer_auth(token)
        .json(&json!({"jobType": "bpcDataImport", "modelName": MODEL, "mappingId": []}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn print_env_serves_both_domains_stops_cleanly_on_sigterm_and_keeps_state_in_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let first = start(&["--data-dir", data_dir]);
    assert!(first.urls.token_url.ends_with("/oauth/token"));
    assert_ne!(first.urls.tenant_url, first.urls.api_url);
    let logs = run_import(&first).await;
    let runs = logs["data"][0]["refreshLogs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["wranglingAndUpdateResult"]["data"]["insertedCount"], 89);
    assert_eq!(first.terminate(), 0);

    let second = start(&["--data-dir", data_dir]);
    let logs = run_import(&second).await;
    let after = logs["data"][0]["refreshLogs"].as_array().unwrap();
    assert_eq!(after.len(), 3, "the runs before the restart are still there");
    assert_eq!(after[1], runs[0]);
    assert_eq!(second.terminate(), 0);
}

#[tokio::test]
async fn print_tenant_writes_a_tenant_that_loads_back() {
    let output = sacctl().args(["emulator", "--print-tenant"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let tenant = sac_emulator::Tenant::from_toml(&text).unwrap();
    assert_eq!(tenant, sac_emulator::Tenant::demo());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.toml");
    std::fs::write(&file, text.replace("letter = \"G\"", "letter = \"H\"")).unwrap();
    let p = start(&["--tenant", file.to_str().unwrap()]);
    let health = p.admin().get("/emulator/health").await;
    assert_eq!(health["tenant"], "H");
    assert_eq!(p.terminate(), 0);
}

#[test]
fn bad_tenant_files_and_busy_ports_are_configuration_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.toml");
    std::fs::write(&file, "letter = \"G\"\n[[schedules]]\nschedule_id = \"S\"\n").unwrap();
    let output = sacctl().args(["emulator", "--port", "0", "--api-port", "0", "--tenant"]).arg(&file).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot use the tenant file"), "{stderr}");

    let missing = sacctl().args(["emulator", "--tenant", "/nonexistent/tenant.toml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let output = sacctl().args(["emulator", "--port", &port, "--api-port", "0"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--port") && stderr.contains("0 for any free one"), "{stderr}");

    let usage = sacctl().args(["emulator", "--job-duration", "soon"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    let unknown = sacctl().arg("frobnicate").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn demo_imports_89_rows() {
    let output = sacctl().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("89 rows imported into t.G:ZEPPART_001"), "{stdout}");
    assert!(stdout.contains("multi action t.G:MA_LOAD_ZEPPART: successful"), "{stdout}");
    assert!(
        stdout.contains("2 fact rows pushed into t.G:SALES_PLAN (1 rejected); Data Export reads back 2"),
        "{stdout}"
    );
    assert!(stderr.contains("runScheduledJob"), "progress goes to stderr: {stderr}");
}
