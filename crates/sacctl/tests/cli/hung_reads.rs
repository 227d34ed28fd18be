//! `--timeout` is a deadline: a status read that hangs (the emulator holds
//! its answer for ten minutes) ends the wait at the deadline with exit 5
//! (still running) and the command that resumes it, not after the request
//! timeout and the retry budget with exit 8.

use std::time::{Duration, Instant};

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::json;

/// Far more than any wait in these tests: the reads must be cut, not answered.
const HANG_MS: u64 = 600_000;
/// A generous bound on a 2 s wait: the deadline, the read at the deadline
/// (1 s) and sacctl's start and exit on a busy machine.
const BOUND: Duration = Duration::from_secs(40);

/// Every matching read hangs from now on.
async fn hang(env: &Env, method: &str, path: &str) {
    env.admin("/emulator/faults", json!({"path": path, "method": method, "delay_ms": HANG_MS, "times": 1000})).await;
}

/// Runs `args` with a short request timeout kept far above the deadline's
/// bound, so only the deadline can end the read in time.
async fn timed(env: &Env, args: &[&str]) -> (std::process::Output, Duration) {
    let began = Instant::now();
    let mut cmd = env.command(args);
    cmd.env("SACCTL_HTTP_TIMEOUT", "300s");
    let output = tokio::time::timeout(BOUND * 2, cmd.output()).await.expect("sacctl ended").unwrap();
    (output, began.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_logs_read_ends_a_schedule_wait_at_its_deadline_with_exit_5() {
    let env = setup(ClockMode::Manual).await;
    let started = env.run_ok(&["schedule", "run", SCHEDULE, "--model", MODEL]).await;
    let execution = stdout(&started).trim().to_string();
    hang(&env, "POST", &format!("{SERVICE}?action=getScheduleLogsByModel")).await;
    let wait = ["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", &execution, "--timeout", "2s"];
    let (output, took) = timed(&env, &wait).await;
    assert_eq!(code(&output), 5, "{}", describe(&output));
    assert!(took < BOUND, "took {took:?}: {}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("gave up waiting after 2.0 s") && err.contains("had not answered"), "{err}");
    assert!(err.contains(&format!("--execution {execution}")), "the resume line: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_status_read_ends_a_multi_action_wait_at_its_deadline_with_exit_5() {
    let env = setup(ClockMode::Manual).await;
    let started = env.run_ok(&["multiaction", "run", MULTI_ACTION, "--param", "TargetVersion=public.Plan"]).await;
    let execution = stdout(&started).trim().to_string();
    // One read answers (the execution is seen running), the later ones hang.
    let seen = env.run(&["multiaction", "status", MULTI_ACTION, &execution]).await;
    assert_eq!(code(&seen), 5, "{}", describe(&seen));
    hang(&env, "GET", "/api/v1/multiActions/").await;
    let wait = ["multiaction", "wait", MULTI_ACTION, &execution, "--timeout", "2s", "--output", "json"];
    let (output, took) = timed(&env, &wait).await;
    assert_eq!(code(&output), 5, "{}", describe(&output));
    assert!(took < BOUND, "took {took:?}: {}", describe(&output));
    let doc = json_doc(&output);
    assert_eq!(doc["outcome"], "timed_out", "{doc}");
    assert!(doc["resume"].as_str().unwrap().contains(&execution), "{doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hung_job_status_read_ends_a_push_at_its_deadline_with_exit_5() {
    let mut env = setup(ClockMode::Manual).await;
    env.sign_in_as(Who::Technical);
    let dir = tempfile::tempdir().unwrap();
    let file = one_fact_row(dir.path());
    // The push's own requests are POSTs; its wait reads the job's status.
    hang(&env, "GET", "/api/v1/dataimport/jobs/").await;
    let push = ["import", "push", "--model", "SALES_PLAN", "--file", &file, "--timeout", "2s"];
    let (output, took) = timed(&env, &push).await;
    assert_eq!(code(&output), 5, "{}", describe(&output));
    assert!(took < BOUND, "took {took:?}: {}", describe(&output));
    assert!(stderr(&output).contains("gave up waiting after 2.0 s"), "{}", describe(&output));
}
