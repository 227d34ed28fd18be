//! `sacctl monitor ...` against the emulator's Monitoring API: the runs
//! just made, as JSON and as a table, filters, and refusals.

use crate::common::*;
use sac_emulator::{ClockMode, Config};
use serde_json::Value;

const RUN: &[&str] = &["schedule", "run", SCHEDULE, "--model", MODEL, "--wait", "--poll-interval", "100ms"];

#[tokio::test(flavor = "multi_thread")]
async fn data_management_lists_the_runs_just_made_with_status_and_row_counts() {
    let mut env = setup(ClockMode::Immediate).await;
    let run = json_doc(&env.run_ok(&[RUN, &["--output", "json"]].concat()).await);
    let execution = run["execution_id"].as_str().unwrap().to_string();

    let listed = json_doc(&env.run_ok(&["monitor", "data-management", "--since", "1h", "--output", "json"]).await);
    let lines = listed.as_array().expect("a list is a bare array");
    let ours: Vec<&Value> = lines.iter().filter(|l| l["executionId"] == execution.as_str()).collect();
    assert_eq!(ours.len(), 1, "{listed:#}");
    assert_eq!(ours[0]["status"], "SUCCEEDED");
    assert_eq!((ours[0]["allCount"].as_i64(), ours[0]["insertedCount"].as_i64()), (Some(89), Some(89)));
    assert_eq!(ours[0]["rejectedCount"], 0);
    assert_eq!(ours[0]["scheduleId"], SCHEDULE);
    assert!(
        lines.iter().all(|l| l["executionId"] != HISTORY_RUN_ID),
        "the demo's old run is outside the last hour: {listed:#}"
    );

    // The table names the run; --schedule keeps only that data import's runs.
    let table = stdout(&env.run_ok(&["monitor", "data-management", "--schedule", SCHEDULE]).await);
    assert!(table.lines().next().unwrap().starts_with("timestamp"), "{table}");
    assert!(table.contains(&execution) && table.contains("SUCCEEDED"), "{table}");
    let other = json_doc(&env.run_ok(&["monitor", "data-management", "--schedule", "NOPE", "--output", "json"]).await);
    assert_eq!(other, Value::Array(vec![]));

    // A range in the future is empty; a range that ends before it starts is refused.
    let later = json_doc(
        &env.run_ok(&["monitor", "data-management", "--from", "2999-01-01T00:00:00Z", "--output", "json"]).await,
    );
    assert_eq!(later, Value::Array(vec![]));
    let backwards = env
        .run(&["monitor", "data-management", "--from", "2026-01-02T00:00:00Z", "--till", "2026-01-01T00:00:00Z"])
        .await;
    assert_eq!(code(&backwards), 2, "{}", describe(&backwards));
    let both = env.run(&["monitor", "data-management", "--since", "1h", "--from", "2026-01-01T00:00:00Z"]).await;
    assert_eq!(code(&both), 2, "{}", describe(&both));
    let bad_time = env.run(&["monitor", "data-management", "--from", "yesterday"]).await;
    assert_eq!(code(&bad_time), 2, "{}", describe(&bad_time));

    // The technical client with the Monitoring API in its access list reads the same lines.
    env.sign_in_as(Who::Technical);
    let technical = json_doc(&env.run_ok(&["monitor", "data-management", "--since", "1h", "--output", "json"]).await);
    assert!(technical.as_array().unwrap().iter().any(|l| l["executionId"] == execution.as_str()), "{technical:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_without_the_monitoring_api_in_its_access_list_is_refused_with_the_fix() {
    let config = Config { tenant: Some(tenant_without_access("Monitoring Service")), ..Config::default() };
    let mut env = setup_with(config).await;
    env.sign_in_as(Who::Technical);
    let refused = env.run(&["monitor", "data-management", "--since", "1h"]).await;
    assert_eq!(code(&refused), 3, "{}", describe(&refused));
    assert!(stderr(&refused).contains("3401") && stderr(&refused).contains("access list"), "{}", describe(&refused));
}

#[tokio::test(flavor = "multi_thread")]
async fn schedule_run_confirms_its_outcome_through_the_monitoring_api() {
    let env = setup(ClockMode::Immediate).await;
    let output = env.run_ok(&[RUN, &["--confirm", "monitoring", "--output", "json"]].concat()).await;
    let doc = json_doc(&output);
    assert_eq!(doc["confirmed"]["by"], "monitoring", "{doc:#}");
    assert_eq!(doc["confirmed"]["status"], "SUCCEEDED");
    assert_eq!(doc["confirmed"]["agrees"], true);
    assert_eq!(doc["confirmed"]["line"]["executionId"], doc["execution_id"]);
    assert_eq!(doc["confirmed"]["line"]["insertedCount"], 89);
    assert!(stderr(&output).contains("the Monitoring API confirms run"), "{}", describe(&output));
    // A failed run is confirmed as failed, and the exit stays the logs' (1).
    env.admin("/emulator/faults", serde_json::json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"}))
        .await;
    let failed = env.run(&[RUN, &["--confirm", "monitoring", "--output", "json"]].concat()).await;
    assert_eq!(code(&failed), 1, "{}", describe(&failed));
    let doc = json_doc(&failed);
    assert_eq!(
        (doc["confirmed"]["status"].as_str(), doc["confirmed"]["agrees"].as_bool()),
        (Some("FAILED"), Some(true))
    );
    // --confirm needs --wait.
    let usage = env.run(&["schedule", "run", SCHEDULE, "--model", MODEL, "--confirm", "monitoring"]).await;
    assert_eq!(code(&usage), 2, "{}", describe(&usage));
}
