//! `sacctl chain` against the emulator: order and parallel branches,
//! stop on failure and resume from it, re-attaching to a run still going,
//! and `chain check` errors with file, line and column.

use std::path::PathBuf;

use crate::common::*;
use sac_emulator::{ClockMode, Config, Tenant};
use serde_json::{json, Value};

mod command;
mod multiaction;

/// A chain file in the test's home directory.
fn write_chain(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = env.home.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn step<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["steps"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()
}

/// The demo tenant plus a multi action whose only step is a data action,
/// so `fail_data_actions` makes it fail outright (status `failed`).
fn tenant_with_copy_action() -> Tenant {
    let mut tenant = serde_json::to_value(Tenant::demo()).unwrap();
    tenant["multi_actions"].as_array_mut().unwrap().push(json!({
        "id": "MA_COPY_PLAN",
        "description": "Copy Actual into the target version",
        "parameters": [{"id": "TargetVersion", "version_of": "SALES_PLAN"}],
        "steps": [{"type": "copy_version", "model": "SALES_PLAN", "from": "public.Actual", "to_parameter": "TargetVersion"}],
    }));
    serde_json::from_value(tenant).unwrap()
}

/// master (schedule) -> facts (import) and copy (multi action) side by side -> check (export).
const CHAIN: &str = include_str!("../chains/load.toml");

const FACTS: &str = "Version,Date,Part,Country,Amount,Quantity\npublic.Forecast,202601,P0001,DE,10,1\npublic.Forecast,202602,P0001,DE,20,2\n";

async fn chain_env(clock: ClockMode) -> (Env, PathBuf) {
    let env = setup_with(Config { clock, tenant: Some(tenant_with_copy_action()), ..Config::default() }).await;
    std::fs::write(env.home.path().join("facts.csv"), FACTS).unwrap();
    let chain = write_chain(&env, "load.toml", CHAIN);
    (env, chain)
}

fn started(doc: &Value, name: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(step(doc, name)["started_at"].as_str().unwrap()).unwrap()
}

fn ended(doc: &Value, name: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339(step(doc, name)["ended_at"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn four_steps_with_two_parallel_branches_run_in_order() {
    let (env, chain) = chain_env(ClockMode::Delay { seconds: 1.0 }).await;
    let chain_arg = chain.to_str().unwrap();
    let output = env.run_ok(&["chain", "run", chain_arg, "--output", "json"]).await;
    let doc = json_doc(&output);
    assert_eq!(doc["outcome"], "success");
    assert_eq!(doc["exit_code"], 0);
    let names: Vec<&str> = doc["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["master", "facts", "copy", "check"]);
    for name in names {
        assert_eq!(step(&doc, name)["state"], "succeeded", "{name}: {doc:#}");
    }
    // Each branch starts after master ended; check starts after both ended.
    assert!(started(&doc, "facts") >= ended(&doc, "master"));
    assert!(started(&doc, "copy") >= ended(&doc, "master"));
    assert!(started(&doc, "check") >= ended(&doc, "facts").max(ended(&doc, "copy")));
    // The branches ran side by side: the multi action (1 s on the clock)
    // started before the import ended, as the emulator's request log shows.
    let requests = env.requests().await;
    let position = |pred: &dyn Fn(&Value) -> bool| requests.iter().position(pred).unwrap();
    let ma_start =
        position(&|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("MA_COPY_PLAN/executions"));
    let ma_done =
        requests.iter().rposition(|r| r["path"].as_str().unwrap().contains("MA_COPY_PLAN/executions/")).unwrap();
    let job_run = position(&|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/run"));
    assert!(job_run < ma_done && ma_start < ma_done, "the import ran while the multi action was going");
    assert!(step(&doc, "master")["execution_id"].as_str().unwrap().len() == 32);
    assert!(step(&doc, "facts")["job_id"].is_string());
    assert_eq!(step(&doc, "check")["result"]["rows"], 60, "public.Plan holds the 60 copied rows");
    assert!(std::fs::read_to_string(env.home.path().join("out.csv")).unwrap().lines().count() == 61);
    // The state file next to the chain holds the same document.
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(env.home.path().join("load.state.json")).unwrap()).unwrap();
    assert_eq!(state, doc);
    assert!(stderr(&output).contains("state file:"), "the default state path is printed");
}

/// Runs of the schedule in SAC's logs.
async fn schedule_runs(env: &Env) -> usize {
    let output = env.run(&["schedule", "logs", "--model", MODEL, "--limit", "100", "--output", "json"]).await;
    let logs: Value = serde_json::from_slice(&output.stdout).unwrap();
    logs[0]["refreshLogs"].as_array().unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_multi_action_stops_the_chain_and_resume_reruns_only_it() {
    let (env, chain) = chain_env(ClockMode::Immediate).await;
    let chain_arg = chain.to_str().unwrap();
    let runs_before = schedule_runs(&env).await;
    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})).await;
    let state = env.home.path().join("state.json");
    let state_arg = state.to_str().unwrap();
    let failed = env.run(&["chain", "run", chain_arg, "--state", state_arg, "--output", "json"]).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let doc = json_doc(&failed);
    assert_eq!(doc["outcome"], "job_failed");
    assert_eq!(step(&doc, "master")["state"], "succeeded");
    assert_eq!(step(&doc, "copy")["state"], "failed");
    assert!(step(&doc, "copy")["message"].as_str().unwrap().contains("locked"), "{doc:#}");
    assert_eq!(step(&doc, "check")["state"], "skipped");
    assert!(stderr(&failed).contains(&format!("--resume {state_arg}")), "{}", describe(&failed));
    let facts_job = step(&doc, "facts")["job_id"].clone();
    assert_eq!(schedule_runs(&env).await, runs_before + 1);

    let resumed = env.run_ok(&["chain", "run", chain_arg, "--resume", state_arg, "--output", "json"]).await;
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "master")["resumed"], "done");
    assert_eq!(step(&doc, "master")["attempts"], 0);
    assert_eq!(step(&doc, "facts")["resumed"], "done");
    assert_eq!(step(&doc, "facts")["job_id"], facts_job, "the import was not pushed again");
    assert_eq!(step(&doc, "copy")["state"], "succeeded");
    assert_eq!(step(&doc, "copy")["attempts"], 1);
    assert_eq!(step(&doc, "check")["state"], "succeeded");
    assert_eq!(doc["resumed_from"], state_arg);
    // The master-data run happened once over both runs of the chain; one import job was run.
    assert_eq!(schedule_runs(&env).await, runs_before + 1);
    let requests = env.requests().await;
    let job_runs =
        requests.iter().filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("/run")).count();
    assert_eq!(job_runs, 1);
    let ma_starts = requests
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("MA_COPY_PLAN/executions"))
        .count();
    assert_eq!(ma_starts, 2, "the failed multi action ran again, once");
}

/// master data, then a pause that needs it.
const MASTER_CHAIN: &str = r#"
[step.master]
kind = "schedule"
schedule = "F58CA15F78AA9039E200586F05E2BB93"
model = "t.G:ZEPPART_001"
poll_interval = "100ms"
timeout = "{timeout}"

[step.after]
kind = "wait"
needs = ["master"]
duration = "10ms"
"#;

/// The state of a chain as it stands: the state file, and while the chain
/// runs the changes in its journal (`<state>.journal`, one JSON line per
/// changed step after a header naming the snapshot's `journal`).
async fn read_state(path: &std::path::Path) -> Option<Value> {
    let mut state: Value = serde_json::from_str(&tokio::fs::read_to_string(path).await.ok()?).ok()?;
    let Some(generation) = state.get("journal").cloned() else { return Some(state) };
    let journal = tokio::fs::read_to_string(path.with_extension("json.journal")).await.unwrap_or_default();
    let mut lines = journal.lines().map(serde_json::from_str::<Value>);
    if lines.next().and_then(Result::ok) != Some(json!({"journal": generation})) {
        return Some(state);
    }
    for line in lines.map_while(Result::ok) {
        if let Some(step) = line.get("step") {
            let steps = state["steps"].as_array_mut()?;
            if let Some(known) = steps.iter_mut().find(|s| s["name"] == step["name"]) {
                *known = step.clone();
            }
        } else if let Some(chain) = line.get("chain").and_then(Value::as_object) {
            for (key, value) in chain {
                state[key] = value.clone();
            }
        }
    }
    Some(state)
}

/// Waits until the state file says `check`.
async fn until_state(path: &std::path::Path, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..600 {
        if let Some(state) = read_state(path).await {
            if check(&state) {
                return state;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the state file {} never got there", path.display());
}

/// Runs sacctl; once the state file says `ready`, releases the emulator's clock (all runs end).
async fn run_then_release(
    env: &Env,
    args: &[&str],
    state: &std::path::Path,
    ready: impl Fn(&Value) -> bool,
) -> std::process::Output {
    let run = env.command(args).output();
    let release = async {
        until_state(state, ready).await;
        env.admin("/emulator/clock/release", json!({})).await;
    };
    let (output, ()) = tokio::join!(run, release);
    output.unwrap()
}

/// Starts sacctl in the background, its output discarded.
fn spawn_quiet(env: &Env, args: &[&str]) -> tokio::process::Child {
    env.command(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap()
}

fn master_known(state: &Value) -> bool {
    step(state, "master")["execution_id"].is_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_step_is_waited_for_again_not_started_again() {
    let env = setup(ClockMode::Manual).await;
    let chain = write_chain(&env, "master.toml", MASTER_CHAIN);
    let chain_arg = chain.to_str().unwrap();
    let timed_out = env.run(&["chain", "run", chain_arg, "--var", "timeout=1s", "--output", "json"]).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let doc = json_doc(&timed_out);
    assert_eq!(doc["outcome"], "timed_out");
    assert_eq!(step(&doc, "master")["state"], "timed_out");
    assert_eq!(step(&doc, "after")["state"], "skipped");
    let execution = step(&doc, "master")["execution_id"].as_str().unwrap().to_string();
    assert!(doc["resume"].as_str().unwrap().contains("--var timeout=1s"), "the resume command keeps the variables");

    // Still running: the resumed chain waits for the same run.
    let state = env.home.path().join("master.state.json");
    let resumed = run_then_release(
        &env,
        &["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--var", "timeout=1m", "--output", "json"],
        &state,
        |s| step(s, "master")["resumed"] == "reattached",
    )
    .await;
    assert_eq!(code(&resumed), 0, "{}", describe(&resumed));
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "master")["execution_id"], execution.as_str());
    assert_eq!(step(&doc, "master")["state"], "succeeded");
    assert_eq!(step(&doc, "after")["state"], "succeeded");
    assert_eq!(env.triggers().await, 1, "the data import was started once");

    // A wait step follows a run started elsewhere (the newest); people get a table on stderr.
    let wait = write_chain(
        &env,
        "wait.toml",
        "[step.landed]\nkind = \"wait\"\nschedule = \"F58CA15F78AA9039E200586F05E2BB93\"\nmodel = \"t.G:ZEPPART_001\"\n",
    );
    let waited = env.run_ok(&["chain", "run", wait.to_str().unwrap()]).await;
    assert_eq!(stdout(&waited), "", "results of a chain go to stderr unless --output json");
    let table = stderr(&waited);
    assert!(table.contains("step    kind  state      SAC id"), "{table}");
    assert!(table.contains(&format!("landed  wait  succeeded  {execution}")), "{table}");
    assert!(table.contains("chain ended success (exit 0)"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_or_stopped_chain_resumes_by_reattaching_to_the_run_in_flight() {
    let env = setup(ClockMode::Manual).await;
    let chain = write_chain(&env, "master.toml", MASTER_CHAIN);
    let chain_arg = chain.to_str().unwrap();
    let state = env.home.path().join("master.state.json");
    let state_arg = state.to_str().unwrap();
    let run = ["chain", "run", chain_arg, "--state", state_arg, "--var", "timeout=10m", "--output", "json"];

    // SIGKILL: nothing runs after it, the state file is all that is left.
    let mut child = spawn_quiet(&env, &run);
    let running = until_state(&state, master_known).await;
    child.kill().await.unwrap();
    assert_eq!(step(&running, "master")["state"], "running");
    assert_eq!(running["outcome"], "running");

    // One state file, one chain at a time: a second resume is refused with exit 7.
    let mut first = spawn_quiet(&env, &["chain", "run", chain_arg, "--resume", state_arg]);
    until_state(&state, |s| step(s, "master")["resumed"] == "reattached").await;
    let second = env.run(&["chain", "run", chain_arg, "--resume", state_arg]).await;
    assert_eq!(code(&second), 7, "{}", describe(&second));
    assert!(stderr(&second).contains("another sacctl chain run is using the state file"));
    first.kill().await.unwrap();

    // SIGTERM on the resumed chain: it stops waiting, records the step as
    // interrupted with its run, prints its document and exits 143.
    let mut child = env
        .command(&["chain", "run", chain_arg, "--resume", state_arg, "--output", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once it says it waits again, it listens for signals (it does before any step).
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut err = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        err.push_str(&line);
        err.push('\n');
        if line.contains("waiting again for its SAC run") {
            break;
        }
    }
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let stopped = child.wait_with_output().await.unwrap();
    while let Some(line) = lines.next_line().await.unwrap() {
        err.push_str(&line);
        err.push('\n');
    }
    assert_eq!(code(&stopped), 143, "{}\n{err}", describe(&stopped));
    let doc = json_doc(&stopped);
    assert_eq!(doc["outcome"], "terminated");
    assert_eq!(step(&doc, "master")["state"], "interrupted");
    assert_eq!(step(&doc, "after")["state"], "not_run");
    assert!(err.contains("--resume"), "{err}");

    // Resumed again, it waits for the same run; the run ends when released.
    let resumed =
        run_then_release(&env, &["chain", "run", chain_arg, "--resume", state_arg, "--output", "json"], &state, |s| {
            step(s, "master")["state"] == "running"
        })
        .await;
    assert_eq!(code(&resumed), 0, "{}", describe(&resumed));
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "master")["execution_id"], running_id(&running));
    assert_eq!(step(&doc, "master")["resumed"], "reattached");
    assert_eq!(env.triggers().await, 1, "three runs of the chain, one run of the data import");
}

fn running_id(state: &Value) -> &str {
    step(state, "master")["execution_id"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_and_plan_from_the_command_line() {
    let env = setup(ClockMode::Immediate).await;
    let good = write_chain(&env, "load.toml", CHAIN);
    let checked = env.run_ok(&["chain", "check", good.to_str().unwrap()]).await;
    assert!(stdout(&checked).contains("4 steps, no errors"));
    let plan = env.run(&["chain", "plan", good.to_str().unwrap(), "--output", "json"]).await;
    assert_eq!(json_doc(&plan)["groups"], json!([["master"], ["facts", "copy"], ["check"]]));

    let bad = write_chain(
        &env,
        "bad.toml",
        "[step.a]\nkind = \"schedule\"\nschedule = \"S\"\nmodel = \"t.G:M\"\ntimeout = \"soon\"\nneeds = [\"b\"]\n",
    );
    let path = bad.to_str().unwrap();
    for command in ["check", "plan", "run"] {
        let output = env.run(&["chain", command, path]).await;
        assert_eq!(code(&output), 2, "{command}: {}", describe(&output));
        assert!(stderr(&output).contains(&format!("{path}:5:11: bad duration for `timeout`")), "{}", describe(&output));
        assert!(stderr(&output).contains(&format!("{path}:6:10: step `a` needs `b`")), "{}", describe(&output));
    }
    assert!(!env.home.path().join("bad.state.json").exists(), "a chain with errors does not start");
    let no_var = env.run(&["chain", "check", good.to_str().unwrap(), "--var", "oops"]).await;
    assert_eq!(code(&no_var), 2, "{}", describe(&no_var));
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_bounds_the_steps_running_at_once() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_chain(
        &env,
        "pauses.toml",
        "[step.one]\nkind = \"wait\"\nduration = \"1s\"\n[step.two]\nkind = \"wait\"\nduration = \"1s\"\n",
    );
    let output = env.run_ok(&["chain", "run", chain.to_str().unwrap(), "--parallel", "1", "--output", "json"]).await;
    let doc = json_doc(&output);
    assert!(started(&doc, "two") >= ended(&doc, "one"), "one at a time: {doc:#}");
    // Running the same chain again without --resume after a failure says it starts over.
    let state = env.home.path().join("pauses.state.json");
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    old["exit_code"] = json!(1);
    old["outcome"] = json!("job_failed");
    std::fs::write(&state, old.to_string()).unwrap();
    let again = env.run_ok(&["chain", "run", chain.to_str().unwrap()]).await;
    assert!(stderr(&again).contains("ended job_failed; starting over"), "{}", describe(&again));
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_start_a_failed_run_again() {
    let env = setup(ClockMode::Immediate).await;
    let chain = write_chain(
        &env,
        "retry.toml",
        "[step.master]\nkind = \"schedule\"\nschedule = \"F58CA15F78AA9039E200586F05E2BB93\"\nmodel = \"t.G:ZEPPART_001\"\n\
         poll_interval = \"100ms\"\nretries = 2\nretry_delay = \"10ms\"\n",
    );
    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let output = env.run_ok(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await;
    let doc = json_doc(&output);
    assert_eq!(step(&doc, "master")["attempts"], 2, "one failed run, one good run, no third");
    assert_eq!(env.triggers().await, 2);
    assert!(stderr(&output).contains("attempt 1 ended with exit 1"), "{}", describe(&output));
}

/// Steps as different identities: profiles of the config file, no identity in the environment.
#[tokio::test(flavor = "multi_thread")]
async fn each_step_runs_as_its_profile_and_continue_lets_independent_steps_go_on() {
    let mut env = setup(ClockMode::Immediate).await;
    env.vars.retain(|(k, _)| k.ends_with("_URL"));
    let secrets = env.home.path().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::write(secrets.join("password"), "Welcome1!\n").unwrap();
    std::fs::write(secrets.join("api"), "sacctl-api-secret\n").unwrap();
    let config_dir = env.home.path().join("config").join("sacctl");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "[profiles.default]\nclient_id = \"sacctl-user\"\nclient_secret_cmd = \"echo sacctl-user-secret\"\n\
             grant = \"password\"\nuser = \"JDOE\"\npassword_file = \"{0}/password\"\n\n\
             [profiles.technical]\nclient_id = \"sacctl-api\"\nclient_secret_file = \"{0}/api\"\ngrant = \"client_credentials\"\n",
            secrets.display()
        ),
    )
    .unwrap();
    std::fs::write(env.home.path().join("facts.csv"), FACTS).unwrap();
    let chain = write_chain(
        &env,
        "who.toml",
        r#"
[step.as_user]
kind = "multiaction"
multiaction = "t.G:MA_LOAD_ZEPPART"
params = { TargetVersion = "public.Plan" }
poll_interval = "100ms"

[step.as_technical_client]
kind = "multiaction"
multiaction = "t.G:MA_LOAD_ZEPPART"
params = { TargetVersion = "public.Plan" }
profile = "technical"
on_failure = "continue"

[step.facts]
kind = "import"
needs = ["as_user"]
model = "SALES_PLAN"
file = "facts.csv"
profile = "technical"
poll_interval = "100ms"
"#,
    );
    let output = env.run(&["chain", "run", chain.to_str().unwrap(), "--parallel", "1", "--output", "json"]).await;
    assert_eq!(code(&output), 3, "the worst step: an auth error: {}", describe(&output));
    let doc = json_doc(&output);
    assert_eq!(step(&doc, "as_user")["state"], "succeeded");
    assert_eq!(step(&doc, "as_technical_client")["state"], "failed");
    assert_eq!(step(&doc, "as_technical_client")["exit_code"], 3);
    assert!(step(&doc, "as_technical_client")["message"].as_str().unwrap().contains("business user"), "{doc:#}");
    assert_eq!(step(&doc, "facts")["state"], "succeeded", "on_failure = continue: steps that do not need it go on");
    assert_eq!(step(&doc, "facts")["result"]["rows_written"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_import_waits_for_its_job_instead_of_pushing_again() {
    let env = setup(ClockMode::Manual).await;
    std::fs::write(env.home.path().join("facts.csv"), FACTS).unwrap();
    let chain = write_chain(
        &env,
        "facts.toml",
        "[step.facts]\nkind = \"import\"\nmodel = \"SALES_PLAN\"\nfile = \"facts.csv\"\npoll_interval = \"100ms\"\n",
    );
    let chain_arg = chain.to_str().unwrap();
    let state = env.home.path().join("facts.state.json");
    let mut child = spawn_quiet(&env, &["chain", "run", chain_arg]);
    let running = until_state(&state, |s| step(s, "facts")["job_id"].is_string()).await;
    let job = step(&running, "facts")["job_id"].as_str().unwrap().to_string();
    // Kill it once the job writes (PROCESSING, held by the manual clock).
    let mut processing = false;
    for _ in 0..600 {
        let status = env.run(&["import", "status", &job, "--output", "json"]).await;
        if serde_json::from_slice::<Value>(&status.stdout).is_ok_and(|s| s["jobStatus"] == "PROCESSING") {
            processing = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    assert!(processing, "the job was writing when the chain was killed");

    let resume = ["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--output", "json"];
    let resumed = run_then_release(&env, &resume, &state, |s| step(s, "facts")["resumed"] == "reattached").await;
    assert_eq!(code(&resumed), 0, "{}", describe(&resumed));
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "facts")["job_id"], job.as_str());
    assert_eq!(step(&doc, "facts")["result"]["status"], "COMPLETED");
    let requests = env.requests().await;
    let count = |suffix: &str| {
        requests.iter().filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with(suffix)).count()
    };
    assert_eq!(count("/models/SALES_PLAN/factData"), 1, "one job created");
    assert_eq!(count("/run"), 1, "one job run");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_multi_action_waits_for_its_execution() {
    let env = setup(ClockMode::Manual).await;
    let chain = write_chain(
        &env,
        "ma.toml",
        "[step.copy]\nkind = \"multiaction\"\nmultiaction = \"t.G:MA_LOAD_ZEPPART\"\n\
         params = { TargetVersion = \"public.Plan\" }\npoll_interval = \"100ms\"\ntimeout = \"1s\"\n",
    );
    let chain_arg = chain.to_str().unwrap();
    let timed_out = env.run(&["chain", "run", chain_arg, "--output", "json"]).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let execution = step(&json_doc(&timed_out), "copy")["execution_id"].as_str().unwrap().to_string();
    env.admin("/emulator/clock/release", json!({})).await;
    let state = env.home.path().join("ma.state.json");
    let resumed =
        env.run_ok(&["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--output", "json"]).await;
    let doc = json_doc(&resumed);
    assert_eq!(step(&doc, "copy")["execution_id"], execution.as_str());
    assert_eq!(step(&doc, "copy")["resumed"], "reattached");
    assert_eq!(step(&doc, "copy")["result"]["status"], "successful");
    let starts = env
        .requests()
        .await
        .iter()
        .filter(|r| r["method"] == "POST" && r["path"].as_str().unwrap().ends_with("MA_LOAD_ZEPPART/executions"))
        .count();
    assert_eq!(starts, 1, "the multi action was started once");
}
