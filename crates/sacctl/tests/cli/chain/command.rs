//! `command` steps: local programs in a chain beside SAC steps. Their
//! output reaches sacctl's stderr under the step's name, a failure or a
//! timeout stops what needs them, a resume runs them again, and they never
//! see sacctl's secrets.

use super::{step, write_chain};
use crate::common::*;
use sac_emulator::ClockMode;
use sac_testkit::demo::{PASSWORD, USER_CLIENT};

/// The master data load that needs the step `extract`.
const MASTER: &str = r#"
[step.master]
kind = "schedule"
needs = ["extract"]
schedule = "F58CA15F78AA9039E200586F05E2BB93"
model = "t.G:ZEPPART_001"
poll_interval = "100ms"
"#;

/// A chain file of `steps` and [`MASTER`] in the test's home directory.
fn write_with_master(env: &Env, name: &str, steps: &str) -> std::path::PathBuf {
    write_chain(env, name, &format!("{steps}{MASTER}"))
}

/// A program before the master data, and a notification after it.
const MIXED: &str = r#"
[vars]
system = "BWP"

[step.extract]
kind = "command"
run = ["sh", "-c", "echo extracting from $1; env; echo warning: 2 rows skipped >&2", "sh", "{system}"]
env = { BW_SYSTEM = "{system}", SACCTL_USER = "passed on on purpose" }

[step.notify]
kind = "command"
needs = ["master"]
run = ["sh", "-c", "pwd"]
workdir = "out"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_command_runs_before_and_after_a_schedule_step_without_sacctl_secrets() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_with_master(&env, "mixed.toml", MIXED);
    std::fs::create_dir(env.home.path().join("out")).unwrap();
    let output = env.run_ok(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await;
    // stdout holds the one document, nothing of the programs.
    let doc = json_doc(&output);
    assert_eq!(doc["outcome"], "success");
    for name in ["extract", "master", "notify"] {
        assert_eq!(step(&doc, name)["state"], "succeeded", "{name}: {doc:#}");
    }
    assert!(step(&doc, "master")["execution_id"].is_string());
    let extract = &step(&doc, "extract")["result"];
    assert_eq!(extract["program_exit_code"], 0);
    assert_eq!(extract["stderr_tail"], serde_json::json!(["warning: 2 rows skipped"]));
    assert_eq!(env.triggers().await, 1);

    let err = stderr(&output);
    assert!(err.contains("[extract] extracting from BWP\n"), "variables reach the argv, no shell reads them: {err}");
    assert!(err.contains("[extract] warning: 2 rows skipped\n"), "{err}");
    assert!(err.contains("[extract] BW_SYSTEM=BWP\n"), "`env` is set: {err}");
    assert!(err.contains("[extract] SACCTL_USER=passed on on purpose\n"), "`env` wins: {err}");
    // Settings that are no secret pass through; secrets do not.
    assert!(err.contains(&format!("[extract] SACCTL_TENANT_URL={}\n", env.emu.urls.tenant_url)), "{err}");
    assert!(!err.contains("SACCTL_CLIENT_SECRET") && !err.contains(USER_CLIENT.1), "{err}");
    assert!(!err.contains("SACCTL_PASSWORD") && !err.contains(&format!("={PASSWORD}")), "{err}");
    let out_dir = std::fs::canonicalize(env.home.path().join("out")).unwrap();
    assert!(err.contains(&format!("[notify] {}\n", out_dir.display())), "workdir is relative to the chain: {err}");
}

/// A program that fails until `ready` exists (the master data needs it).
const GATED: &str = r#"
[step.extract]
kind = "command"
run = ["sh", "-c", "test -f ready && exit 0; echo the BW system is down >&2; exit 3"]
retries = 1
retry_delay = "10ms"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_stops_what_needs_it_and_a_resume_runs_it_again() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_with_master(&env, "gated.toml", GATED);
    let chain_arg = chain.to_str().unwrap();
    let failed = env.run(&["chain", "run", chain_arg, "--output", "json"]).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let doc = json_doc(&failed);
    let extract = step(&doc, "extract");
    assert_eq!(extract["state"], "failed");
    assert_eq!(extract["exit_code"], 1);
    assert_eq!(extract["attempts"], 2, "a non-zero exit is retried as a failed SAC run is");
    assert_eq!(extract["result"]["program_exit_code"], 3);
    assert_eq!(extract["result"]["stderr_tail"], serde_json::json!(["the BW system is down"]));
    let message = extract["message"].as_str().unwrap();
    assert!(message.contains("exited with code 3") && message.contains("the BW system is down"), "{message}");
    assert_eq!(step(&doc, "master")["state"], "skipped");
    assert_eq!(env.triggers().await, 0, "no SAC run started");

    std::fs::write(env.home.path().join("ready"), "").unwrap();
    let state = env.home.path().join("gated.state.json");
    let resumed =
        env.run_ok(&["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--output", "json"]).await;
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "extract")["state"], "succeeded");
    assert_eq!(step(&doc, "extract")["attempts"], 1);
    assert_eq!(step(&doc, "master")["state"], "succeeded");
    assert_eq!(env.triggers().await, 1);
}

/// A program that outlives its timeout, with a child of its own (the master data needs it).
#[cfg(target_os = "linux")]
const SLOW: &str = r#"
[step.extract]
kind = "command"
run = ["sh", "-c", "sleep 60 & echo $! > sleeper.pid; echo started; wait"]
timeout = "{timeout}"
"#;

/// Whether `pid` is a live process (a zombie waiting for its reaper is not).
#[cfg(target_os = "linux")]
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_command_past_its_timeout_is_killed_with_its_children() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_with_master(&env, "slow.toml", SLOW);
    let begun = std::time::Instant::now();
    let timed_out =
        env.run(&["chain", "run", chain.to_str().unwrap(), "--var", "timeout=1s", "--output", "json"]).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    assert!(begun.elapsed() < std::time::Duration::from_secs(30), "the chain did not wait for the program");
    let doc = json_doc(&timed_out);
    assert_eq!(doc["outcome"], "timed_out");
    let extract = step(&doc, "extract");
    assert_eq!(extract["state"], "timed_out");
    assert_eq!(extract["result"]["timed_out"], true);
    assert!(extract["message"].as_str().unwrap().contains("was killed"), "{doc:#}");
    assert_eq!(step(&doc, "master")["state"], "skipped");
    assert!(stderr(&timed_out).contains("[extract] started\n"));
    let sleeper = std::fs::read_to_string(env.home.path().join("sleeper.pid")).unwrap();
    assert_gone(sleeper.trim()).await;
    assert_eq!(env.triggers().await, 0);
}

/// Waits a moment for `pid` to end; fails if it does not.
#[cfg(target_os = "linux")]
async fn assert_gone(pid: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while alive(pid) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!alive(pid), "the program's own child {pid} was killed too");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_chain_kills_its_program_and_a_resume_runs_it_again() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_with_master(&env, "slow.toml", SLOW);
    let chain_arg = chain.to_str().unwrap();
    let pid_file = env.home.path().join("sleeper.pid");
    let child = env
        .command(&["chain", "run", chain_arg, "--var", "timeout=10m", "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&pid_file).is_ok_and(|pid| pid.ends_with('\n')) {
        assert!(std::time::Instant::now() < deadline, "the program never started");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let stopped = child.wait_with_output().await.unwrap();
    assert_eq!(code(&stopped), 143, "{}", describe(&stopped));
    let doc = json_doc(&stopped);
    assert_eq!(step(&doc, "extract")["state"], "interrupted");
    assert_eq!(step(&doc, "extract")["message"], "the chain was interrupted; its program was killed");
    let first = std::fs::read_to_string(&pid_file).unwrap();
    assert_gone(first.trim()).await;

    // Nothing to re-attach to: the resume starts the program again.
    std::fs::remove_file(&pid_file).unwrap();
    let state = env.home.path().join("slow.state.json");
    let resume = ["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--var", "timeout=1s"];
    let resumed = env.run(&[&resume[..], &["--output", "json"]].concat()).await;
    assert_eq!(code(&resumed), 5, "{}", describe(&resumed));
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "extract")["attempts"], 1);
    assert_eq!(step(&doc, "extract")["resumed"], serde_json::Value::Null, "not re-attached");
    assert!(pid_file.exists(), "the program ran again");
}
