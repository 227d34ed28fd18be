//! Two hosts triggering the same data import: two `sacctl` processes with
//! separate cache directories, so sacctl's trigger lock (one per host)
//! cannot order them. What keeps the second from starting a second run
//! (which SAC would answer by stopping both) is SAC's evidence: the logs
//! show the first run in flight, so the second exits 7 naming it, or,
//! asked to wait for the newest run, attaches to it. Triggers that race
//! within SAC's log lag are the scheduler's to prevent (reliability.md,
//! "Double triggers across hosts").

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::json;

/// `sacctl` as host `name` runs it: its own cache directory (trigger locks,
/// claims, tokens).
fn on_host(env: &Env, name: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = env.command(args);
    cmd.env("SACCTL_CACHE_DIR", env.home.path().join(name));
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_host_refuses_or_attaches_and_never_starts_a_second_run() {
    let env = setup(ClockMode::Manual).await;
    let run = ["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "200ms", "--output", "json"];
    let first = on_host(&env, "host-a", &run).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();

    // Host A's run is in SAC's logs and running (the clock is manual).
    let began = Instant::now();
    let running = loop {
        let history = ["schedule", "history", SCHEDULE, "--model", MODEL, "--limit", "1", "--output", "json"];
        let runs = json_doc(&on_host(&env, "host-c", &history).output().await.unwrap());
        let newest = runs.as_array().and_then(|r| r.first()).filter(|r| r["state"] == "running");
        if let Some(run) = newest {
            break run["execution_id"].as_str().unwrap().to_string();
        }
        assert!(began.elapsed() < Duration::from_secs(60), "host A's run never showed: {runs}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Host B triggers the same data import: refused, naming A's run.
    let refused = on_host(&env, "host-b", &run).output().await.unwrap();
    assert_eq!(code(&refused), 7, "{}", describe(&refused));
    let doc = json_doc(&refused);
    assert_eq!(doc["outcome"], "already_running", "{doc}");
    assert!(doc["resume"].as_str().unwrap().contains(&running), "{doc}");

    // Host B waits for the newest run instead: it attaches to A's.
    let attach = ["schedule", "wait", SCHEDULE, "--model", MODEL, "--poll-interval", "200ms", "--output", "json"];
    let attached = on_host(&env, "host-b", &attach).output();
    let release = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        env.admin("/emulator/clock/release", json!({})).await;
    };
    let (attached, ()) = tokio::join!(attached, release);
    let attached = attached.unwrap();
    let first = first.wait_with_output().await.unwrap();
    assert_eq!(json_doc(&attached)["execution_id"], running.as_str(), "{}", describe(&attached));
    assert_eq!(json_doc(&first)["execution_id"], running.as_str(), "{}", describe(&first));
    assert_eq!(code(&first), code(&attached), "both saw the one run end the same way");
    assert_eq!(env.triggers().await, 1, "one trigger reached SAC");
}
