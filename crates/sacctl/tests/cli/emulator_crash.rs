//! The emulator's writes under crashes and races: real `sacctl emulator`
//! processes on a `--data-dir`, killed (`kill -9`, or the `crash_after_rows`
//! fault that aborts the process in the middle of a write) and started
//! again on the same directory. Every row must be applied exactly once and
//! the job's status must tell the truth.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sac_testkit::demo::API_CLIENT;
use serde_json::{json, Value};

use crate::common::*;

type Emulator = EmulatorProcess;

fn start(dir: &Path) -> Emulator {
    EmulatorProcess::start_in(SACCTL, dir, ["--job-duration", "0s"])
}

/// A technical client's token (Data Import and Data Export services).
async fn token(emu: &Emulator) -> String {
    sac_testkit::access_token(&emu.urls.token_url, API_CLIENT, &[("grant_type", "client_credentials")]).await
}

/// `n` fact rows of SALES_PLAN in version public.Forecast (which holds no
/// seed facts), each with its own key and Amount 1.
fn forecast_rows(n: usize) -> String {
    let countries: Vec<&str> = sac_emulator::tenant::ISO_COUNTRIES.split_whitespace().collect();
    let mut csv = String::from("Version,Date,Part,Country,Amount\n");
    for i in 0..n {
        let month = i / (89 * countries.len());
        let (part, country) = (i % 89 + 1, countries[(i / 89) % countries.len()]);
        csv.push_str(&format!("public.Forecast,{}{:02},P{part:04},{country},1\n", 2030 + month / 12, month % 12 + 1));
    }
    csv
}

/// Creates an Append job and uploads `csv` in chunks; returns the job id.
async fn staged_append_job(http: &reqwest::Client, emu: &Emulator, token: &str, csv: &str) -> String {
    let base = format!("{}/api/v1/dataimport", emu.urls.api_url);
    let created: Value = http
        .post(format!("{base}/models/SALES_PLAN/factData"))
        .bearer_auth(token)
        .json(&json!({"JobSettings": {"importMethod": "Append"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = created["jobID"].as_str().unwrap().to_string();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    for chunk in rows.chunks(50_000) {
        let body = format!("{header}\n{}\n", chunk.join("\n"));
        let answer = http
            .post(format!("{base}/jobs/{job}"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
    }
    job
}

/// Waits until the job has ended, or is found open (a crash before the run
/// took effect leaves it taking data); returns its status answer.
async fn final_status(http: &reqwest::Client, emu: &Emulator, token: &str, job: &str) -> Value {
    let url = format!("{}/api/v1/dataimport/jobs/{job}/status", emu.urls.api_url);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status: Value = http.get(&url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        let ended = ["COMPLETED", "FAILED", "READY_FOR_DATA", "READY_FOR_WRITE"];
        if ended.contains(&status["jobStatus"].as_str().unwrap_or_default()) {
            return status;
        }
        assert!(Instant::now() < deadline, "the job did not end: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The stored public.Forecast facts.
async fn forecast_facts(emu: &Emulator) -> Vec<Value> {
    emu.admin().rows("SALES_PLAN", "&Version=public.Forecast").await
}

/// The AuditData rows of public.Forecast, every page followed: each
/// written row once, as Data Audit logs it in the write's own transaction.
async fn forecast_audit_rows(http: &reqwest::Client, emu: &Emulator, token: &str) -> usize {
    let mut url = Some(format!(
        "{}/api/v1/dataexport/providers/sac/SALES_PLAN/AuditData?$filter=Version eq 'public.Forecast'",
        emu.urls.api_url
    ));
    let mut rows = 0;
    while let Some(next) = url {
        let page: Value = http.get(&next).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        let value = page["value"].as_array().unwrap_or_else(|| panic!("AuditData answered {page}"));
        assert!(value.iter().all(|r| r["Audit_New_Amount"] == 1.0 && r["Audit_Flag_Amount"] == 2));
        rows += value.len();
        url = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    rows
}

/// How a write is interrupted.
#[derive(Clone, Copy, Debug)]
enum Crash {
    /// The `crash_after_rows` fault aborts the process after this many rows.
    AfterRows(u64),
    /// `kill -9` this long after the run was requested.
    KillAfter(Duration),
}

/// Stages `n` rows, runs the job, crashes the emulator during the write,
/// starts it again on the same directory and checks what was written.
async fn crash_during_write(n: usize, crash: Crash) {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let mut emu = start(dir.path());
    let token = token(&emu).await;
    let job = staged_append_job(&http, &emu, &token, &forecast_rows(n)).await;
    if let Crash::AfterRows(rows) = crash {
        emu.admin().fault(&json!({"crash_after_rows": rows})).await;
    }
    let run = http.post(format!("{}/api/v1/dataimport/jobs/{job}/run", emu.urls.api_url)).bearer_auth(&token).send();
    match crash {
        Crash::AfterRows(_) => {
            assert!(run.await.is_err(), "{crash:?}: the process died before it answered");
            assert!(!emu.wait_exit().success());
        }
        Crash::KillAfter(delay) => {
            let pending = tokio::spawn(run);
            tokio::time::sleep(delay).await;
            emu.kill();
            let _ = pending.await;
        }
    }
    drop(emu);

    let emu = start(dir.path());
    let token = self::token(&emu).await;
    let status = final_status(&http, &emu, &token, &job).await;
    let facts = forecast_facts(&emu).await;
    let (stored, not_once) = (facts.len(), facts.iter().filter(|r| r["Amount"] != "1").count());
    assert_eq!(not_once, 0, "{crash:?}: every row written exactly once (Amount 1)");
    match status["jobStatus"].as_str() {
        Some("COMPLETED") => assert_eq!(stored, n, "{crash:?}: COMPLETED means every row is in"),
        _ => assert_eq!(stored, 0, "{crash:?}: a job that did not complete wrote nothing: {status}"),
    }
    let audited = forecast_audit_rows(&http, &emu, &token).await;
    assert_eq!(audited, stored, "{crash:?}: one audit row per written row, none for a write that was undone");
    if let Crash::AfterRows(_) = crash {
        // The crash hit a job that was running: it is written after the restart.
        assert_eq!(status["jobStatus"], "COMPLETED", "{crash:?}: {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_point_of_a_write_applies_every_row_once() {
    let n = 30_000;
    for crash in [Crash::AfterRows(0), Crash::AfterRows(n as u64 / 2), Crash::AfterRows(n as u64)] {
        crash_during_write(n, crash).await;
    }
    for delay in [100, 400] {
        crash_during_write(n, Crash::KillAfter(Duration::from_millis(delay))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_with_a_data_dir_sums_right() {
    // The race this guards against: the run handler and the clock's tick
    // both writing the same job (every row appended twice).
    let dir = tempfile::tempdir().unwrap();
    let emu = start(dir.path());
    let file = dir.path().join("facts.csv");
    std::fs::File::create(&file).unwrap().write_all(forecast_rows(100_000).as_bytes()).unwrap();
    let push = || {
        let output = sacctl_in(dir.path())
            .envs(profile(&emu.urls, Who::Technical))
            .args(["--quiet", "import", "push", "--model", "SALES_PLAN", "--method", "Append", "--file"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    };
    push();
    push();
    let rows = forecast_facts(&emu).await;
    assert_eq!(rows.len(), 100_000);
    let wrong: Vec<&Value> = rows.iter().filter(|r| r["Amount"] != "2").take(3).collect();
    assert!(wrong.is_empty(), "two appends of 1 make 2 everywhere: {wrong:?}");
}

#[test]
fn a_second_emulator_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = start(dir.path());
    let second = Command::new(SACCTL)
        .args(["emulator", "--port", "0", "--api-port", "0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another emulator"), "{stderr}");
}
