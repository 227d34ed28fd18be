//! `sacctl emulator` and `sacctl demo` as a user runs them: real processes,
//! real ports, real signals.

mod common;

use std::process::Command;

use serde_json::{json, Value};

fn sacctl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sacctl"));
    cmd.env_remove("RUST_LOG");
    cmd
}

type Process = common::process::EmulatorProcess;

fn start(args: &[&str]) -> Process {
    Process::start(args)
}

/// Runs an import as JDOE over the API domain and returns the schedule's logs.
fn run_import(p: &Process) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(&p.token_url)
            .basic_auth("sacctl-user", Some("sacctl-user-secret"))
            .form(&[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap();
        let service = format!("{}/sap/fpa/services/rest/fpa/dataintegration", p.api_url);
        let run = http
            .post(format!("{service}?action=runScheduledJob&tenant=G"))
            .bearer_auth(token)
            .json(&json!({"name": "F58CA15F78AA9039E200586F05E2BB93", "mappingId": "F48CA15F78AA9039E200586F05E2BB93"}))
            .send()
            .await
            .unwrap();
        assert_eq!(run.status(), 200);
        http.post(format!("{service}?action=getScheduleLogsByModel&tenant=G"))
            .bearer_auth(token)
            .json(&json!({"jobType": "bpcDataImport", "modelName": "t.G:ZEPPART_001", "mappingId": []}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

#[test]
fn print_env_serves_both_domains_stops_cleanly_on_sigterm_and_keeps_state_in_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let first = start(&["--data-dir", data_dir]);
    assert!(first.token_url.ends_with("/oauth/token"));
    assert_ne!(first.tenant_url, first.api_url);
    let logs = run_import(&first);
    let runs = logs["data"][0]["refreshLogs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["wranglingAndUpdateResult"]["data"]["insertedCount"], 89);
    assert_eq!(first.terminate(), 0);

    let second = start(&["--data-dir", data_dir]);
    let logs = run_import(&second);
    let after = logs["data"][0]["refreshLogs"].as_array().unwrap();
    assert_eq!(after.len(), 3, "the runs before the restart are still there");
    assert_eq!(after[1], runs[0]);
    assert_eq!(second.terminate(), 0);
}

#[test]
fn print_tenant_writes_a_tenant_that_loads_back() {
    let output = sacctl().args(["emulator", "--print-tenant"]).output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let tenant = sac_emulator::Tenant::from_toml(&text).unwrap();
    assert_eq!(tenant, sac_emulator::Tenant::demo());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tenant.toml");
    std::fs::write(&file, text.replace("letter = \"G\"", "letter = \"H\"")).unwrap();
    let p = start(&["--tenant", file.to_str().unwrap()]);
    let health = get_json(&format!("{}/emulator/health", p.tenant_url));
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

/// A GET from a synchronous test.
fn get_json(url: &str) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}
