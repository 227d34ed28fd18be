//! `sacctl schedule run` under races and faults, as real processes against
//! the emulator: one trigger per schedule per host however many schedulers
//! fire at once, a trigger whose fate is unknown never sent again, and our
//! run told apart from another host's by evidence.

use std::process::{Output, Stdio};
use std::time::Duration;

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::{json, Value};

fn trigger_path() -> String {
    format!("{SERVICE}?action=runScheduledJob")
}

/// The runs of the demo schedule that tests started.
async fn new_runs(env: &Env) -> Vec<Value> {
    let logs = env.run_ok(&["schedule", "logs", "--model", MODEL, "--schedule", SCHEDULE, "--output", "json"]).await;
    let doc: Value = serde_json::from_slice(&logs.stdout).unwrap();
    doc[0]["refreshLogs"].as_array().unwrap().iter().filter(|r| r["executionId"] != HISTORY_RUN_ID).cloned().collect()
}

async fn trigger_posts(env: &Env) -> Vec<Value> {
    env.requests().await.into_iter().filter(|r| r["query"].as_str().unwrap().contains("runScheduledJob")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_schedulers_firing_at_once_start_one_run() {
    // The trigger takes 300 ms (the window that let all ten through before),
    // and runs stay in flight until released.
    let env = setup(ClockMode::Manual).await;
    env.admin("/emulator/faults", json!({"path": trigger_path(), "delay_ms": 300, "times": 10})).await;
    let run = ["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms"];
    let processes: Vec<tokio::task::JoinHandle<Output>> = (0..10)
        .map(|_| {
            let child = env.command(&run).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            tokio::spawn(async move { child.wait_with_output().await.unwrap() })
        })
        .collect();
    // Nine see the run in flight and exit 7 while it runs; then it is released.
    let mut finished = 0;
    for _ in 0..600 {
        finished = processes.iter().filter(|p| p.is_finished()).count();
        if finished >= 9 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(finished, 9, "nine processes ended while the run was in flight");
    env.admin("/emulator/clock/release", json!({})).await;
    let mut outputs = Vec::new();
    for p in processes {
        outputs.push(p.await.unwrap());
    }

    let runs = new_runs(&env).await;
    assert_eq!(runs.len(), 1, "exactly one run: {runs:?}");
    let run_id = runs[0]["executionId"].as_str().unwrap().to_string();
    assert_eq!(runs[0]["status"], 1, "and SAC did not stop it");
    assert_eq!(trigger_posts(&env).await.len(), 1, "one trigger sent");
    let winners: Vec<&Output> = outputs.iter().filter(|o| code(o) == 0).collect();
    assert_eq!(winners.len(), 1, "{}", outputs.iter().map(describe).collect::<Vec<_>>().join("\n"));
    assert!(stdout(winners[0]).contains(&run_id), "the winner names the run: {}", describe(winners[0]));
    let refused: Vec<&Output> = outputs.iter().filter(|o| code(o) == 7).collect();
    assert_eq!(refused.len(), 9, "{}", outputs.iter().map(describe).collect::<Vec<_>>().join("\n"));
    for output in refused {
        assert!(stderr(output).contains(&run_id), "exit 7 names the run in flight: {}", describe(output));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_to_the_trigger_is_never_followed_by_a_second_post() {
    let env = setup(ClockMode::Immediate).await;
    env.admin("/emulator/faults", json!({"path": trigger_path(), "status": 503, "times": 5})).await;
    let output = env
        .run(&[
            "schedule",
            "run",
            SCHEDULE,
            "--model",
            MODEL,
            "--wait",
            "--poll-interval",
            "200ms",
            "--appear-timeout",
            "2s",
        ])
        .await;
    assert_eq!(code(&output), 8, "{}", describe(&output));
    let err = stderr(&output);
    assert!(err.contains("unknown whether data import") && err.contains("503"), "{err}");
    assert!(err.contains("sacctl schedule logs"), "the hint says where to look first: {err}");
    let posts = trigger_posts(&env).await;
    assert_eq!(posts.len(), 1, "one POST, never a second: {posts:?}");
    assert_eq!(posts[0]["status"], 503);
    assert!(new_runs(&env).await.is_empty(), "and indeed nothing started");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hosts_starting_the_same_schedule_together_are_told_not_guessed() {
    let env = setup(ClockMode::Manual).await;
    // Our trigger takes 3 s; "another host" (its own cache and lock
    // directory) starts the schedule while ours is on its way.
    env.admin("/emulator/faults", json!({"path": trigger_path(), "delay_ms": 3000, "times": 1})).await;
    let ours = env
        .command(&["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ours = tokio::spawn(async move { ours.wait_with_output().await.unwrap() });
    // Our check before the trigger is done once its read shows in the log.
    for _ in 0..300 {
        let reads = env.requests().await;
        if reads.iter().any(|r| r["query"].as_str().unwrap().contains("getScheduleLogsByModel")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other_host = tempfile::tempdir().unwrap();
    let theirs = env
        .command(&["schedule", "run", SCHEDULE, "--model", MODEL])
        .env("SACCTL_CACHE_DIR", other_host.path())
        .output()
        .await
        .unwrap();
    assert_eq!(code(&theirs), 0, "the other host started its run: {}", describe(&theirs));
    let their_run = stdout(&theirs).trim().to_string();

    let ours = ours.await.unwrap();
    let runs = new_runs(&env).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == 4), "SAC stopped both: {runs:?}");
    assert!(runs.iter().any(|r| r["executionId"] == their_run.as_str()));
    // Both runs fit our trigger (same user, both started while it was on
    // its way): sacctl says so, and exits with what both runs came to.
    assert_eq!(code(&ours), 9, "{}", describe(&ours));
    let err = stderr(&ours);
    assert!(err.contains("cannot be told"), "{err}");
    for run in &runs {
        assert!(err.contains(run["executionId"].as_str().unwrap()), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_holder_killed_with_sigkill_leaves_no_stale_lock() {
    let env = setup(ClockMode::Immediate).await;
    // The holder's check before the trigger hangs for 3 s: it holds the lock.
    let logs = format!("{SERVICE}?action=getScheduleLogsByModel");
    env.admin("/emulator/faults", json!({"path": logs, "delay_ms": 3000, "times": 1})).await;
    let run = ["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms"];
    let mut holder = env.command(&run).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let locks = env.home.path().join("cache").join("sacctl").join("locks");
    let held = |path: &std::path::Path| {
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        matches!(file.try_lock(), Err(std::fs::TryLockError::WouldBlock))
    };
    let mut holding = false;
    for _ in 0..300 {
        let lock_files: Vec<_> = std::fs::read_dir(&locks)
            .map(|d| {
                d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension() == Some("lock".as_ref())).collect()
            })
            .unwrap_or_default();
        if lock_files.iter().any(|p| held(p)) {
            holding = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(holding, "the first process took the lock");
    holder.start_kill().unwrap();
    holder.wait().await.unwrap();

    // The OS let go of the lock with the process: the next one goes ahead.
    env.run_ok(&run).await;
    assert_eq!(new_runs(&env).await.len(), 1, "the killed process never triggered; the next one did, once");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_if_running_wait_concurrent_schedulers_take_turns() {
    let env = setup(ClockMode::Delay { seconds: 1.0 }).await;
    env.admin("/emulator/faults", json!({"path": trigger_path(), "delay_ms": 300, "times": 3})).await;
    let run =
        ["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--if-running", "wait", "--poll-interval", "200ms"];
    let processes: Vec<_> = (0..3).map(|_| env.run(&run)).collect();
    let outputs = futures_util::future::join_all(processes).await;
    for output in &outputs {
        assert_eq!(code(output), 0, "{}", describe(output));
    }
    let runs = new_runs(&env).await;
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(runs.iter().all(|r| r["status"] == 1), "one after the other, none stopped: {runs:?}");
    let mut named: Vec<String> = outputs.iter().map(stdout).collect();
    named.sort();
    named.dedup();
    assert_eq!(named.len(), 3, "each names its own run: {named:?}");
}
