//! The JSON contract: with `--output json` every exit prints exactly one
//! JSON document on stdout (outcome, exit code, the run when known, the
//! command that resumes it); without it, the run and its resume command
//! reach stderr even with `--quiet` whenever a run may go on.

use std::process::Output;
use std::time::Duration;

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::{json, Value};

const RUN: &[&str] =
    &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "100ms", "--output", "json"];

/// The one JSON document on stdout; fails when there is none or more.
pub fn one_document(output: &Output) -> Value {
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", describe(output)));
    assert_eq!(docs.len(), 1, "exactly one document: {}", describe(output));
    let doc = docs.into_iter().next().unwrap();
    assert_eq!(doc["exit_code"], code(output), "{}", describe(output));
    assert!(doc["outcome"].is_string(), "{}", describe(output));
    doc
}

/// Waits until the emulator has served `n` log reads (the run is being waited for).
async fn until_log_reads(env: &Env, n: usize) {
    for _ in 0..100 {
        let reads = env
            .requests()
            .await
            .iter()
            .filter(|r| r["query"].as_str().unwrap_or_default().contains("getScheduleLogsByModel"))
            .count();
        if reads >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the waiter never read the logs {n} times");
}

/// Runs `args` and, once the run is waited for, runs `during`.
async fn run_while<F: std::future::Future<Output = ()>>(
    env: &Env,
    args: &[&str],
    during: impl FnOnce(u32) -> F,
) -> Output {
    env.requests_clear().await;
    let child = spawn(env, args);
    let pid = child.id().unwrap();
    until_log_reads(env, 3).await;
    during(pid).await;
    child.wait_with_output().await.unwrap()
}

fn spawn(env: &Env, args: &[&str]) -> tokio::process::Child {
    env.command(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
}

fn kill(signal: &str, pid: u32) {
    assert!(std::process::Command::new("kill").args([signal, &pid.to_string()]).status().unwrap().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_exit_of_a_run_prints_one_document_naming_the_run_and_its_resume() {
    let env = setup(ClockMode::Manual).await;

    // 5: timed out, the run goes on.
    let timed_out = env.run(&[RUN, &["--timeout", "500ms"]].concat()).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let doc = one_document(&timed_out);
    let running = doc["execution_id"].as_str().unwrap().to_string();
    assert_eq!(doc["outcome"], "timed_out");
    assert_eq!(
        doc["resume"],
        format!("sacctl schedule wait {SCHEDULE} --model {MODEL} --execution {running}").as_str()
    );

    // 7: refused, naming the run in flight and how to wait for it.
    let refused = env.run(RUN).await;
    assert_eq!(code(&refused), 7, "{}", describe(&refused));
    let doc = one_document(&refused);
    assert_eq!(doc["outcome"], "already_running");
    assert_eq!(doc["execution_id"], running.as_str());
    assert!(doc["resume"].as_str().unwrap().contains(&format!("--execution {running}")));
    assert!(doc["error"].as_str().unwrap().contains("already in progress"));

    // 130 and 143 while waiting.
    for (signal, expected, outcome) in [("-INT", 130, "interrupted"), ("-TERM", 143, "terminated")] {
        let args = ["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", &running, "--output", "json"];
        let output = run_while(&env, &args, |pid| async move { kill(signal, pid) }).await;
        assert_eq!(code(&output), expected, "{}", describe(&output));
        let doc = one_document(&output);
        assert_eq!(doc["outcome"], outcome);
        assert_eq!(doc["execution_id"], running.as_str());
        assert!(doc["resume"].as_str().unwrap().contains(&running));
    }

    // 9: a second run started anyway stops both; the first waiter sees it.
    let args = ["schedule", "wait", SCHEDULE, "--model", MODEL, "--execution", &running, "--poll-interval", "100ms"];
    let args = [&args[..], &["--output", "json"]].concat();
    let stopped = run_while(&env, &args, |_| async {
        env.run_ok(&["schedule", "run", SCHEDULE, "--model", MODEL, "--if-running", "start"]).await;
    })
    .await;
    assert_eq!(code(&stopped), 9, "{}", describe(&stopped));
    assert_eq!(one_document(&stopped)["outcome"], "cancelled");

    // 3: the run cannot even be looked for.
    let mut wrong = setup(ClockMode::Manual).await;
    wrong.set("SACCTL_PASSWORD", "wrong");
    let auth = wrong.run(RUN).await;
    assert_eq!(code(&auth), 3, "{}", describe(&auth));
    let doc = one_document(&auth);
    assert_eq!(doc["outcome"], "auth_failed");
    assert!(doc["hints"].as_array().is_some_and(|h| !h.is_empty()));
    assert!(doc.get("execution_id").is_none(), "no run was started");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tenant_gone_mid_wait_still_names_the_run_on_stdout_and_on_stderr_with_quiet() {
    for json_output in [true, false] {
        let mut env = setup(ClockMode::Manual).await;
        env.set("SACCTL_RETRY_ATTEMPTS", "2");
        let mut args = vec!["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "100ms"];
        args.push(if json_output { "--output=json" } else { "--quiet" });
        let child = spawn(&env, &args);
        until_log_reads(&env, 3).await;
        let run = env.requests().await;
        assert!(run.iter().any(|r| r["query"].as_str().unwrap_or_default().contains("runScheduledJob")));
        let logs: Value = env
            .command(&["schedule", "logs", "--model", MODEL, "--limit", "1", "--output", "json"])
            .output()
            .await
            .map(|o| serde_json::from_slice(&o.stdout).unwrap())
            .unwrap();
        let execution = logs[0]["refreshLogs"][0]["executionId"].as_str().unwrap().to_string();
        env.emu.shutdown().await;
        let output = child.wait_with_output().await.unwrap();
        assert_eq!(code(&output), 8, "{}", describe(&output));
        let resume = format!("sacctl schedule wait {SCHEDULE} --model {MODEL} --execution {execution}");
        if json_output {
            let doc = one_document(&output);
            assert_eq!(doc["outcome"], "unreachable");
            assert_eq!(doc["execution_id"], execution.as_str());
            assert_eq!(doc["resume"], resume.as_str());
        } else {
            assert!(stdout(&output).is_empty(), "{}", describe(&output));
            assert!(stderr(&output).contains(&resume), "{}", describe(&output));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_actions_and_pushes_name_their_execution_or_job_when_stopped() {
    let env = setup(ClockMode::Manual).await;
    const MA: &str = MULTI_ACTION;
    let args = [
        "multiaction",
        "run",
        MA,
        "--param",
        "TargetVersion=public.Plan",
        "--wait",
        "--poll-interval",
        "100ms",
        "--output",
        "json",
    ];
    let child = spawn(&env, &args);
    for _ in 0..100 {
        let polls =
            env.requests().await.iter().filter(|r| r["path"].as_str().unwrap().contains("/executions/")).count();
        if polls >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    kill("-TERM", child.id().unwrap());
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(code(&output), 143, "{}", describe(&output));
    let doc = one_document(&output);
    let execution = doc["execution_id"].as_str().unwrap_or_else(|| panic!("{}", describe(&output)));
    assert_eq!(doc["resume"], format!("sacctl multiaction wait {MA} {execution}").as_str());
    env.admin("/emulator/clock/release", json!({})).await;

    // A push whose write outlasts --timeout names its job and how to follow it.
    let dir = tempfile::tempdir().unwrap();
    let file = one_fact_row(dir.path());
    let push = env
        .run(&[
            "import",
            "push",
            "--model",
            "SALES_PLAN",
            "--file",
            &file,
            "--output",
            "json",
            "--timeout",
            "300ms",
            "--poll-interval",
            "100ms",
        ])
        .await;
    assert_eq!(code(&push), 5, "the job is pinned by the manual clock: {}", describe(&push));
    let doc = one_document(&push);
    let job = doc["job_id"].as_str().unwrap();
    assert_eq!(doc["resume"], format!("sacctl import status {job}").as_str());
    assert!(stderr(&push).contains(&format!("sacctl import status {job}")), "{}", describe(&push));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_usage_errors_and_csv_commands_print_one_document() {
    let env = setup(ClockMode::Immediate).await;
    let demo = env.run_ok(&["demo", "--output", "json"]).await;
    let doc = one_document(&demo);
    assert_eq!(doc["schedule_run"]["rows"]["inserted"], 89);
    assert_eq!(doc["supported_path"]["export"]["rows"], 2);

    let unknown_flag = env.run(&["schedule", "run", "--output", "json", "--bogus"]).await;
    assert_eq!(code(&unknown_flag), 2, "{}", describe(&unknown_flag));
    assert_eq!(one_document(&unknown_flag)["outcome"], "usage_error");

    let export = env.run(&["export", "--model", "SALES_PLAN", "--output", "json"]).await;
    assert_eq!(code(&export), 2, "CSV needs --out with --output json: {}", describe(&export));
    assert!(one_document(&export)["error"].as_str().unwrap().contains("--out"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan.csv");
    let export =
        env.run(&["export", "--model", "SALES_PLAN", "--output", "json", "--out", out.to_str().unwrap()]).await;
    assert_eq!(code(&export), 0, "{}", describe(&export));
    let doc = one_document(&export);
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    assert_eq!(doc["rows"].as_u64().unwrap() + 1, lines, "rows and the header line");
}
