//! A push stopped by SIGTERM or SIGINT while it uploads: the job it opened
//! is deleted before sacctl exits (it holds nothing written, and open jobs
//! count against SAC's limits per user and model), unless `--keep-job`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::{json, Value};

/// The jobs of the technical client, as `sacctl import jobs` lists them.
async fn jobs(env: &Env) -> Vec<Value> {
    let listed = env.run_ok(&["import", "jobs", "--output", "json"]).await;
    json_doc(&listed).as_array().expect("a list of jobs").clone()
}

/// Runs a push whose uploads hang, sends `signal` once its job exists, and
/// returns how sacctl ended, its stderr, the job's id and the time from
/// the signal to the end.
async fn push_stopped_by(env: &Env, file: &str, signal: &str, extra: &[&str]) -> (i32, String, String, Duration) {
    env.admin_api().clear_faults().await;
    let hang = json!({"path": "/api/v1/dataimport/jobs/", "method": "POST", "delay_ms": 600_000, "times": 1000});
    env.admin("/emulator/faults", hang).await;
    let args = [&["import", "push", "--model", "SALES_PLAN", "--file", file][..], extra].concat();
    let mut child = env.command(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let began = Instant::now();
    let job = loop {
        if let Some(job) = jobs(env).await.first() {
            break job["jobID"].as_str().expect("a job id").to_string();
        }
        assert!(began.elapsed() < Duration::from_secs(60), "the push never opened its job");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The upload of the first chunk is on its way and hangs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args([signal, &pid]).status().unwrap().success());
    let signalled = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait()).await.expect("sacctl ended").unwrap();
    let took = signalled.elapsed();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
    env.admin_api().clear_faults().await;
    (status.code().unwrap_or(-1), stderr, job, took)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_mid_push_deletes_its_job_unless_keep_job() {
    let mut env = setup(ClockMode::Immediate).await;
    env.sign_in_as(Who::Technical);
    let dir = tempfile::tempdir().unwrap();
    let file = one_fact_row(dir.path());

    let (code, stderr, job, took) = push_stopped_by(&env, &file, "-TERM", &[]).await;
    assert_eq!(code, 143, "{stderr}");
    assert!(stderr.contains(&format!("deleted job {job}")), "{stderr}");
    assert!(took < Duration::from_secs(30), "the clean-up is bounded: {took:?}");
    assert!(jobs(&env).await.is_empty(), "the job is gone from the API");

    let (code, stderr, _, _) = push_stopped_by(&env, &file, "-INT", &[]).await;
    assert_eq!(code, 130, "{stderr}");
    assert!(jobs(&env).await.is_empty(), "SIGINT deletes it too");

    let (code, stderr, job, _) = push_stopped_by(&env, &file, "-TERM", &["--keep-job"]).await;
    assert_eq!(code, 143, "{stderr}");
    let left: Vec<String> = jobs(&env).await.iter().map(|j| j["jobID"].as_str().unwrap().to_string()).collect();
    assert_eq!(left, std::slice::from_ref(&job), "--keep-job keeps it");
    assert!(stderr.contains(&format!("sacctl import delete {job}")), "how to delete it: {stderr}");
}

/// `--file` a FIFO no one writes to: opening it blocks until a writer
/// comes, and SIGINT/SIGTERM must still end sacctl (no job was opened).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_signal_ends_a_push_blocked_opening_a_fifo() {
    let mut env = setup(ClockMode::Immediate).await;
    env.sign_in_as(Who::Technical);
    let dir = tempfile::tempdir().unwrap();
    for (name, signal, expected) in [("rows.csv", "-INT", 130), ("rows.json", "-TERM", 143)] {
        let fifo = dir.path().join(name);
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let args = ["import", "push", "--model", "SALES_PLAN", "--file", fifo.to_str().unwrap()];
        let mut child = env.command(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let pid = child.id().unwrap().to_string();
        assert!(std::process::Command::new("kill").args([signal, &pid]).status().unwrap().success());
        let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await;
        let Ok(status) = status else {
            let _ = child.kill().await;
            panic!("{name}: sacctl did not end on {signal} while opening the FIFO");
        };
        let mut stderr = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
        assert_eq!(status.unwrap().code(), Some(expected), "{name}: {stderr}");
        assert!(jobs(&env).await.is_empty(), "no job was opened");
    }
}
