//! Every kind of fault through the admin API: armed, listed, cleared by
//! `DELETE /emulator/faults`, and no longer firing once cleared.

use reqwest::Method;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::dataimport::{call, fact, new_job};
use crate::support::*;

/// One body per kind the admin API takes, with the kind the listing gives it.
fn every_kind() -> Vec<(&'static str, Value)> {
    vec![
        ("request", json!({"path": "/never/status", "status": 503, "retry_after": 2, "times": 2})),
        ("request", json!({"path": "/never/delay", "method": "GET", "delay_ms": 10})),
        ("request", json!({"path": "/never/drop", "drop": true})),
        ("request", json!({"path": "/never/drop_response", "drop_response": true})),
        ("request", json!({"path": "/never/csrf", "expire": "csrf"})),
        ("request", json!({"path": "/never/token", "expire": "token"})),
        ("fail_runs", json!({"fail_runs": 2, "message": "BW system ZW2 is not reachable"})),
        ("fail_import_runs", json!({"fail_import_runs": 4, "message": "The model SALES_PLAN is locked"})),
        ("fail_data_actions", json!({"fail_data_actions": 1, "message": "version public.Plan is locked"})),
        ("log_lag_reads", json!({"log_lag_reads": 5, "times": 3})),
        ("crash_after_rows", json!({"crash_after_rows": 0})),
    ]
}

/// The listing's entries, request faults and engine faults together.
async fn listed(emu: &Emu) -> Vec<Value> {
    let (status, listing) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!(status, 200);
    let mut all = listing["faults"].as_array().unwrap().clone();
    all.extend(listing["engine_faults"].as_array().unwrap().iter().cloned());
    all
}

#[tokio::test]
async fn every_kind_is_listed_and_cleared() {
    let emu = start().await;
    let kinds = every_kind();
    for (_, body) in &kinds {
        let (status, answer) = emu.admin(Method::POST, "/emulator/faults", Some(body.clone())).await;
        assert_eq!(status, 201, "{body}: {answer}");
    }
    let all = listed(&emu).await;
    assert_eq!(all.len(), kinds.len(), "{all:#?}");
    for (kind, body) in &kinds {
        let found = all.iter().find(|entry| {
            entry["kind"] == *kind && body.as_object().unwrap().iter().all(|(field, value)| entry[field] == *value)
        });
        assert!(found.is_some(), "{body} is not listed as a {kind} fault: {all:#?}");
    }
    let remaining = |field: &str| all.iter().find(|e| !e[field].is_null()).map(|e| e["remaining"].clone());
    assert_eq!(remaining("status"), Some(json!(2)));
    assert_eq!(remaining("fail_runs"), Some(json!(2)));
    assert_eq!(remaining("fail_import_runs"), Some(json!(4)));
    assert_eq!(remaining("log_lag_reads"), Some(json!(3)), "the lag holds for `times` runs");
    assert_eq!(remaining("crash_after_rows"), Some(json!(1)));
    let (_, listing) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!(listing["fail_runs"], json!({"count": 2, "message": "BW system ZW2 is not reachable"}));
    assert_eq!(listing["fail_import_runs"], json!({"count": 4, "message": "The model SALES_PLAN is locked"}));

    let (status, _) = emu.admin(Method::DELETE, "/emulator/faults", None).await;
    assert_eq!(status, 204);
    assert_eq!(listed(&emu).await, Vec::<Value>::new());
    let (_, listing) = emu.admin(Method::GET, "/emulator/faults", None).await;
    let counted = ["fail_runs", "fail_import_runs", "fail_data_actions"].map(|kind| listing[kind].clone());
    assert_eq!(counted, [Value::Null, Value::Null, Value::Null]);

    // The log lag is gone: a new run is in the logs at the first read, and it did not fail.
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    let before = emu.schedule_logs(&token, &session).await["data"][0]["refreshLogs"].as_array().unwrap().len();
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let logs = emu.schedule_logs(&token, &session).await;
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), before + 1, "no log lag: {logs}");
    assert_eq!(emu.newest_run(&token, &session).await["status"], 1, "no injected run failure");

    // The crash and the import failure are gone: an import write of any size
    // goes through (an armed crash_after_rows of 0 would abort this process
    // before the first row).
    let technical = emu.client_credentials_token().await;
    let job = new_job(&emu, &technical, json!({})).await;
    let rows = json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]});
    let (status, body) = call(&emu, &technical, Method::POST, &format!("/jobs/{job}"), Some(rows)).await;
    assert!(status.is_success(), "{status}: {body}");
    let (_, ran) = call(&emu, &technical, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(ran["jobStatus"], "COMPLETED", "{ran}");
}

#[tokio::test]
async fn a_reset_clears_every_kind_too() {
    let emu = start().await;
    for (_, body) in every_kind() {
        emu.post_admin("/emulator/faults", body).await;
    }
    let (status, _) = emu.admin(Method::POST, "/emulator/reset", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(listed(&emu).await, Vec::<Value>::new());
}

/// The rows of SALES_PLAN dated `date` (no seed row is dated 2100).
async fn rows_dated(emu: &Emu, date: &str) -> Vec<Value> {
    let (status, rows) =
        emu.admin(Method::GET, &format!("/emulator/models/t.G:SALES_PLAN/rows?limit=100000&Date={date}"), None).await;
    assert_eq!(status, 200, "{rows}");
    rows["rows"].as_array().unwrap().clone()
}

/// Creates a job with two valid rows dated `date`, runs it, and reads its
/// status until it has ended: the run's answer and the last status.
async fn run_two_rows(emu: &Emu, token: &str, date: &str) -> (Value, Value) {
    let job = new_job(emu, token, json!({})).await;
    let rows = json!({"Data": [
        fact("public.Plan", date, "P0001", "DE", "10"),
        fact("public.Plan", date, "P0002", "FR", "20"),
    ]});
    let (status, body) = call(emu, token, Method::POST, &format!("/jobs/{job}"), Some(rows)).await;
    assert_eq!(status, 201, "{body}");
    let (status, ran) = call(emu, token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(status, 201, "{ran}");
    for _ in 0..5 {
        let (status, read) = call(emu, token, Method::GET, &format!("/jobs/{job}/status"), None).await;
        assert_eq!(status, 200, "{read}");
        if read["jobStatus"] != "PROCESSING" {
            return (ran, read);
        }
    }
    panic!("job {job} still PROCESSING after 5 status reads (the clock counts 1)");
}

#[tokio::test]
async fn fail_import_runs_fails_the_next_job_without_writing_and_leaves_schedule_runs_alone() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 1 }, ..Config::default() }).await;
    let message = "The model SALES_PLAN is locked by another data load";
    emu.post_admin("/emulator/faults", json!({"fail_import_runs": 1, "message": message})).await;

    // A schedule run is not an import job: it neither fails nor takes the firing.
    let user = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&user).await;
    assert_eq!(emu.run_schedule(&user, &session).await.status(), 200);
    let engine = listed(&emu).await;
    assert_eq!(engine.iter().find(|e| e["kind"] == "fail_import_runs").map(|e| e["remaining"].clone()), Some(json!(1)));

    let technical = emu.client_credentials_token().await;
    let (ran, failed) = run_two_rows(&emu, &technical, "210001").await;
    assert_eq!(ran["jobStatus"], "PROCESSING", "the job fails when it is written: {ran}");
    assert_eq!(failed["jobStatus"], "FAILED", "{failed}");
    assert_eq!(failed["error"]["message"], message);
    assert_eq!(
        failed["additionalInformation"]["totalNumberRowsInJob"], "2",
        "as a string, as SAP help a020ece7 shows it"
    );
    assert_eq!(rows_dated(&emu, "210001").await, Vec::<Value>::new(), "a failed job writes no row");
    assert_eq!(listed(&emu).await, Vec::<Value>::new(), "the one firing is used up");

    let (_, completed) = run_two_rows(&emu, &technical, "210002").await;
    assert_eq!(completed["jobStatus"], "COMPLETED", "{completed}");
    assert!(completed["error"].is_null(), "{completed}");
    assert_eq!(rows_dated(&emu, "210002").await.len(), 2);
}
