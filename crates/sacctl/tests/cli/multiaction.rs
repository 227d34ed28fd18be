//! `sacctl multiaction ...` against the emulator: outcomes, exit codes, refusals.

use crate::common::*;
use sac_emulator::ClockMode;
use serde_json::{json, Value};

const MA: &str = MULTI_ACTION;
const RUN: &[&str] =
    &["multiaction", "run", MA, "--param", "TargetVersion=public.Plan", "--wait", "--poll-interval", "100ms"];

#[tokio::test(flavor = "multi_thread")]
async fn outcomes_map_to_exit_codes() {
    let env = setup(ClockMode::Polls { polls: 2 }).await;
    let ok = env.run_ok(&[RUN, &["--output", "json"]].concat()).await;
    let doc: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(doc["status"], "successful");
    assert_eq!(doc["messages"].as_array().unwrap().len(), 2);
    assert_eq!(doc["exit_code"], 0);

    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})).await;
    let warning = env.run(RUN).await;
    assert_eq!(code(&warning), 6, "{}", describe(&warning));
    assert!(stdout(&warning).contains("warning") && stdout(&warning).contains("locked"), "{}", describe(&warning));
    // The warning comes from a failed step (the data action, after the
    // import committed): --warnings-ok does not make that a success, only
    // --allow-failed-steps does.
    env.admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})).await;
    let still = env.run(&[RUN, &["--warnings-ok", "--output", "json"]].concat()).await;
    assert_eq!(code(&still), 6, "{}", describe(&still));
    let doc: Value = serde_json::from_slice(&still.stdout).unwrap();
    assert_eq!(doc["failed_steps"], json!(["Data Action 2"]), "{doc}");
    assert_eq!(doc["messages"][1]["details"][0]["logs"][0]["message"], "version public.Plan is locked");
    assert!(stderr(&still).contains("--allow-failed-steps"), "{}", describe(&still));
    env.admin("/emulator/faults", json!({"fail_data_actions": 1})).await;
    let accepted = env.run_ok(&[RUN, &["--allow-failed-steps"]].concat()).await;
    assert!(stdout(&accepted).contains("log [error]"), "{}", describe(&accepted));

    env.admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let failed = env.run(RUN).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    assert!(stdout(&failed).contains("ZW2 is not reachable"));

    let wrong_member = env.run(&["multiaction", "run", MA, "--param", "TargetVersion=public.Budget", "--wait"]).await;
    assert_eq!(code(&wrong_member), 1, "{}", describe(&wrong_member));
    assert!(stdout(&wrong_member).contains("501000515"));
}

#[tokio::test(flavor = "multi_thread")]
async fn status_timeouts_and_refusals() {
    let mut env = setup(ClockMode::Manual).await;
    let started = env.run_ok(&["multiaction", "run", MA, "--param", "TargetVersion=public.Plan"]).await;
    let execution = stdout(&started).trim().to_string();
    assert_eq!(execution.len(), 32);
    let running = env.run(&["multiaction", "status", MA, &execution]).await;
    assert_eq!(code(&running), 5, "still running: {}", describe(&running));
    let timed_out =
        env.run(&["multiaction", "wait", MA, &execution, "--timeout", "500ms", "--poll-interval", "100ms"]).await;
    assert_eq!(code(&timed_out), 5, "{}", describe(&timed_out));
    env.admin("/emulator/clock/release", json!({})).await;
    env.run_ok(&["multiaction", "status", MA, &execution]).await;

    let missing = env.run(&["multiaction", "run", "t.G:NOPE", "--param", "TargetVersion=public.Plan"]).await;
    assert_eq!(code(&missing), 4, "{}", describe(&missing));
    assert!(stderr(&missing).contains("596000996"), "{}", describe(&missing));
    let bad_param = env.run(&["multiaction", "run", MA, "--param", "TargetVersion"]).await;
    assert_eq!(code(&bad_param), 2, "{}", describe(&bad_param));
    let no_param = env.run(&["multiaction", "run", MA]).await;
    assert_eq!(code(&no_param), 2, "{}", describe(&no_param));
    assert!(stderr(&no_param).contains("No value was provided for the parameter TargetVersion [599000999]"));
    assert!(stderr(&no_param).contains("--param NAME=MEMBER"), "the hint: {}", describe(&no_param));
    env.set("SACCTL_USER", "VIEWER");
    let viewer = env.run(RUN).await;
    assert_eq!(code(&viewer), 3, "{}", describe(&viewer));
    assert!(
        stderr(&viewer).contains("596000998") && stderr(&viewer).contains("right to execute"),
        "{}",
        describe(&viewer)
    );

    env.sign_in_as(Who::Technical);
    let technical = env.run(RUN).await;
    assert_eq!(code(&technical), 3, "{}", describe(&technical));
    assert!(stderr(&technical).contains("business user") && stderr(&technical).contains("authorization code"));
}
