//! `sacctl calendar ...` against the emulator's Calendar API, with client
//! credentials only: the demo process copied and run with its multi action
//! task (whose import shows in the schedule's history and the Monitoring
//! API), failing tasks and their exit codes, reopening, hold and cancel,
//! timeouts, refusals, and the chain step.

use crate::common::*;
use sac_emulator::{ClockMode, Config};
use sac_testkit::demo::{CALENDAR_PROCESS_ID as PROCESS, CALENDAR_PROCESS_NAME, CALENDAR_TASK_ID};
use serde_json::{json, Value};

/// A bound, so that a broken wait fails the test instead of hanging it (never a timed assertion).
const BOUND: &[&str] = &["--timeout", "60s"];
const RUN: &[&str] = &[
    "calendar",
    "run",
    PROCESS,
    "--copy",
    "--wait",
    "--poll-interval",
    "100ms",
    "--timeout",
    "60s",
    "--output",
    "json",
];

async fn technical(clock: ClockMode) -> Env {
    let mut env = setup(clock).await;
    env.sign_in_as(Who::Technical);
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_process_copied_and_run_with_client_credentials_loads_and_reports_every_child() {
    let mut env = technical(ClockMode::Delay { seconds: 0.5 }).await;
    let shown = json_doc(&env.run_ok(&["calendar", "show", PROCESS, "--output", "json"]).await);
    assert_eq!((shown["name"].as_str(), shown["status"].as_str()), (Some(CALENDAR_PROCESS_NAME), Some("inactive")));
    assert_eq!(shown["children"][0]["event_id"], CALENDAR_TASK_ID);

    let output = env.run_ok(RUN).await;
    let doc = json_doc(&output);
    let copy = doc["event_id"].as_str().unwrap().to_string();
    assert_ne!(copy, PROCESS, "a copy ran: {doc:#}");
    assert_eq!((doc["status"].as_str(), doc["exit_code"].as_i64()), (Some("successful"), Some(0)), "{doc:#}");
    assert_eq!(doc["timed_out"], false);
    let children = doc["children"].as_array().unwrap();
    assert_eq!(children.len(), 1, "{doc:#}");
    let task = &children[0];
    assert_ne!(task["event_id"], CALENDAR_TASK_ID, "the task was copied with its process");
    assert_eq!((task["parent_id"].as_str(), task["type"].as_str()), (Some(copy.as_str()), Some("multiActionTask")));
    assert_eq!(task["status"], "successful");
    assert!(task["details"]["executionId"].is_string(), "the task names its multi action execution: {task:#}");
    assert!(stderr(&output).contains(&format!("copied calendar event {PROCESS} to {copy}")), "{}", describe(&output));
    // The template stays as it was.
    assert_eq!(json_doc(&env.run_ok(&["calendar", "show", PROCESS, "--output", "json"]).await)["status"], "inactive");

    // The task's import shows in the schedule's history (as the event's owner) ...
    env.sign_in_as(Who::Planner);
    let history = json_doc(&env.run_ok(&["schedule", "history", SCHEDULE, "--model", MODEL, "--output", "json"]).await);
    let run = &history[0];
    assert_eq!((run["state"].as_str(), run["user"].as_str()), (Some("succeeded"), Some("JDOE")), "{history:#}");
    assert_eq!(run["rows"]["inserted"], 89);
    // ... and in the Monitoring API, read with client credentials.
    env.sign_in_as(Who::Technical);
    let lines = json_doc(&env.run_ok(&["monitor", "data-management", "--since", "1h", "--output", "json"]).await);
    let line = lines.as_array().unwrap().iter().find(|l| l["executionId"] == run["execution_id"]);
    let line = line.unwrap_or_else(|| panic!("the import run in the statistics: {lines:#}"));
    assert_eq!((line["status"].as_str(), line["insertedCount"].as_i64()), (Some("SUCCEEDED"), Some(89)));
    // The task's copy step (a data action of the multi action) shows in the data actions' statistics,
    // into the version the task's parameter names.
    let actions = json_doc(&env.run_ok(&["monitor", "data-actions", "--since", "1h", "--output", "json"]).await);
    let copies: Vec<&Value> =
        actions.as_array().unwrap().iter().filter(|l| l["targetVersion"] == "public.Forecast").collect();
    assert_eq!(copies.len(), 1, "{actions:#}");
    assert_eq!((copies[0]["status"].as_str(), copies[0]["rowCount"].as_i64()), (Some("SUCCESSFUL"), Some(60)));
    assert!(copies[0]["activity"].as_str().unwrap().starts_with("MA_LOAD_ZEPPART"), "{actions:#}");

    // The human format: the process, then its task indented.
    let human = env.run_ok(&["calendar", "show", &copy]).await;
    let text = stdout(&human);
    assert!(text.lines().next().unwrap().contains(&copy) && text.contains("  multiActionTask"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_multi_action_task_exits_as_its_process_ended() {
    let env = technical(ClockMode::Immediate).await;
    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let failed = env.run(RUN).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let doc = json_doc(&failed);
    assert_eq!((doc["status"].as_str(), doc["children"][0]["status"].as_str()), (Some("failed"), Some("failed")));
    assert_eq!(doc["outcome"], "job_failed");

    // The import committed, the copy step failed: the task ends with a warning, the process partially successful.
    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Forecast is locked"}))
        .await;
    let partly = env.run(RUN).await;
    assert_eq!(code(&partly), 6, "{}", describe(&partly));
    assert_eq!(json_doc(&partly)["status"], "partiallySuccessful");
    env.admin("/emulator/faults", json!({"fail_data_actions": 1})).await;
    let accepted = env.run(&[RUN, &["--warnings-ok"]].concat()).await;
    assert_eq!(code(&accepted), 0, "--warnings-ok: {}", describe(&accepted));
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_holding_and_canceling_follow_the_guide_s_table() {
    let env = technical(ClockMode::Manual).await;
    // Opening the template itself (no --copy): inactive -> open; it waits for the due time.
    let started = env.run_ok(&["calendar", "run", PROCESS, "--output", "json"]).await;
    assert_eq!(json_doc(&started)["event_id"], PROCESS);
    // Open already: a second start is refused (exit 7), naming how to wait for it.
    let again = env.run(&["calendar", "run", PROCESS]).await;
    assert_eq!(code(&again), 7, "{}", describe(&again));
    assert!(stderr(&again).contains(&format!("sacctl calendar wait {PROCESS}")), "{}", describe(&again));
    // On hold, then canceled; a canceled event cannot be held (not in the table: exit 2, nothing sent).
    let held = json_doc(&env.run_ok(&["calendar", "hold", PROCESS, "--output", "json"]).await);
    assert_eq!(held["status"], "onHold", "{held:#}");
    let canceled = json_doc(&env.run_ok(&["calendar", "cancel", PROCESS, "--output", "json"]).await);
    assert_eq!((canceled["previous_status"].as_str(), canceled["status"].as_str()), (Some("onHold"), Some("canceled")));
    env.requests_clear().await;
    let refused = env.run(&["calendar", "hold", PROCESS]).await;
    assert_eq!(code(&refused), 2, "{}", describe(&refused));
    assert!(stderr(&refused).contains("canceled"), "{}", describe(&refused));
    let patches = env.requests().await.into_iter().filter(|r| r["method"] == "PATCH").count();
    assert_eq!(patches, 0, "a change the table does not allow is not sent");
    // Canceled events may be opened again; a wait that times out says how to resume (exit 5).
    let timed_out = env
        .run(&[
            "calendar",
            "run",
            PROCESS,
            "--wait",
            "--timeout",
            "500ms",
            "--poll-interval",
            "100ms",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let doc = json_doc(&timed_out);
    assert_eq!(doc["resume"], format!("sacctl calendar wait {PROCESS}"));
    assert_eq!(doc["timed_out"], true);
    // Unknown events: exit 4, with what may hide one.
    let missing = env.run(&["calendar", "show", "NO_SUCH_EVENT"]).await;
    assert_eq!(code(&missing), 4, "{}", describe(&missing));
    assert!(stderr(&missing).contains("Allow External API Access"), "{}", describe(&missing));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_that_timed_out_is_resumed_by_calendar_wait() {
    let env = technical(ClockMode::Manual).await;
    let started = json_doc(&env.run_ok(&["calendar", "run", PROCESS, "--copy", "--output", "json"]).await);
    let copy = started["event_id"].as_str().unwrap().to_string();
    assert_eq!(started["copy_of"], PROCESS);
    assert_eq!(started["resume"], format!("sacctl calendar wait {copy}"));
    env.admin("/emulator/clock/release", json!({})).await;
    let waited = env
        .run_ok(&[&["calendar", "wait", &copy, "--poll-interval", "100ms", "--output", "json"], BOUND].concat())
        .await;
    assert_eq!(json_doc(&waited)["status"], "successful");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_the_calendar_service_is_refused_with_the_fix_and_doctor_names_the_paths() {
    let config = Config { tenant: Some(tenant_without_access("Calendar Service")), ..Config::default() };
    let mut env = setup_with(config).await;
    env.sign_in_as(Who::Technical);
    let refused = env.run(&["calendar", "run", PROCESS, "--copy", "--wait"]).await;
    assert_eq!(code(&refused), 3, "{}", describe(&refused));
    assert!(
        stderr(&refused).contains("3401") && stderr(&refused).contains("Calendar Events"),
        "{}",
        describe(&refused)
    );
    let doctor = json_doc(&env.run(&["auth", "doctor", "--output", "json"]).await);
    assert_eq!(doctor["capabilities"]["run_calendar_events"], false, "{doctor:#}");
    assert_eq!(doctor["capabilities"]["paths"], json!(["data_import"]));

    // The demo's technical client may use the Calendar: doctor says so, and reads a given event.
    let env = technical(ClockMode::Immediate).await;
    let doctor = env.run(&["auth", "doctor", "--event", PROCESS, "--output", "json"]).await;
    let doc = json_doc(&doctor);
    assert_eq!(doc["capabilities"]["paths"], json!(["calendar", "data_import"]), "{doc:#}");
    assert_eq!(doc["capabilities"]["read_statistics"], true);
    let calendar = doc["checks"].as_array().unwrap().iter().find(|c| c["check"] == "calendar").unwrap();
    assert!(calendar["detail"].as_str().unwrap().contains(CALENDAR_PROCESS_NAME), "{calendar}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_step_runs_the_process_and_records_its_event() {
    let env = technical(ClockMode::Delay { seconds: 0.3 }).await;
    let chain = env.home.path().join("month.toml");
    std::fs::write(
        &chain,
        format!("[step.month]\nkind = \"calendar\"\nevent = \"{PROCESS}\"\ncopy = true\npoll_interval = \"100ms\"\ntimeout = \"60s\"\n"),
    )
    .unwrap();
    let output = env.run(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await;
    assert_eq!(code(&output), 0, "{}", describe(&output));
    let doc = json_doc(&output);
    let step: &Value = &doc["steps"][0];
    assert_eq!((step["kind"].as_str(), step["state"].as_str()), (Some("calendar"), Some("succeeded")), "{doc:#}");
    let event = step["execution_id"].as_str().unwrap();
    assert_ne!(event, PROCESS, "the copy is recorded, so --resume waits for it");
    assert_eq!(step["result"]["event_id"], event);
    assert_eq!(step["result"]["children"][0]["status"], "successful");

    // A failing task fails the step (exit 1).
    env.admin("/emulator/faults", json!({"fail_runs": 1})).await;
    let failed = env.run(&["chain", "run", chain.to_str().unwrap(), "--output", "json"]).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
}

/// The requests the emulator received with `method` on a path starting with `prefix`.
async fn received(env: &Env, method: &str, prefix: &str) -> usize {
    let requests = env.requests().await;
    requests.iter().filter(|r| r["method"] == method && r["path"].as_str().unwrap_or("").starts_with(prefix)).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_whose_answer_is_lost_is_never_sent_again() {
    let env = technical(ClockMode::Immediate).await;
    // The copy is made, its answer lost: nobody can find the copy (no list of events), so exit 8, one POST.
    let lost = json!({"path": "/api/v1/calendar/events", "method": "POST", "drop_response": true, "times": 1});
    env.admin("/emulator/faults", lost).await;
    env.requests_clear().await;
    let copy = env.run(RUN).await;
    assert_eq!(code(&copy), 8, "{}", describe(&copy));
    assert!(stderr(&copy).contains("before copying again"), "{}", describe(&copy));
    assert_eq!(received(&env, "POST", "/api/v1/calendar/events").await, 1, "the copy is not sent again");

    // The opening is made, its answer lost: sacctl reads the event, sees it open and waits for it; one PATCH.
    let lost = json!({"path": format!("/api/v1/calendar/events/{PROCESS}"), "method": "PATCH", "drop_response": true, "times": 1});
    env.admin("/emulator/faults", lost).await;
    env.requests_clear().await;
    let opened = env
        .run(&[
            "calendar",
            "run",
            PROCESS,
            "--wait",
            "--poll-interval",
            "100ms",
            "--timeout",
            "60s",
            "--output",
            "json",
        ])
        .await;
    assert_eq!(code(&opened), 0, "{}", describe(&opened));
    assert_eq!(json_doc(&opened)["status"], "successful");
    assert_eq!(received(&env, "PATCH", "/api/v1/calendar/events/").await, 1, "the opening is not sent again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_chain_step_is_resumed_by_waiting_for_its_copy_not_by_copying_again() {
    let env = technical(ClockMode::Manual).await;
    let chain = env.home.path().join("month.toml");
    let text = format!(
        "[step.month]\nkind = \"calendar\"\nevent = \"{PROCESS}\"\ncopy = true\npoll_interval = \"100ms\"\n\
         timeout = \"500ms\"\n"
    );
    std::fs::write(&chain, text).unwrap();
    let chain_arg = chain.to_str().unwrap();
    let timed_out = env.run(&["chain", "run", chain_arg, "--output", "json"]).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    let doc = json_doc(&timed_out);
    let copy = doc["steps"][0]["execution_id"].as_str().unwrap().to_string();

    env.admin("/emulator/clock/release", json!({})).await;
    let state = env.home.path().join("month.state.json");
    let resumed = env.run(&["chain", "run", chain_arg, "--resume", state.to_str().unwrap(), "--output", "json"]).await;
    assert_eq!(code(&resumed), 0, "{}", describe(&resumed));
    let doc = json_doc(&resumed);
    assert_eq!(doc["steps"][0]["execution_id"], copy.as_str(), "{doc:#}");
    assert_eq!(doc["steps"][0]["resumed"], "reattached");
    assert_eq!(doc["steps"][0]["result"]["status"], "successful");
    assert_eq!(received(&env, "POST", "/api/v1/calendar/events").await, 1, "one copy across the two runs");
}
