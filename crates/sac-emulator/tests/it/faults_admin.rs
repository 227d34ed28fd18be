//! Every kind of fault through the admin API: armed, listed, cleared by
//! `DELETE /emulator/faults`, and no longer firing once cleared.

use reqwest::Method;
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
    assert_eq!(remaining("log_lag_reads"), Some(json!(3)), "the lag holds for `times` runs");
    assert_eq!(remaining("crash_after_rows"), Some(json!(1)));
    let (_, listing) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!(listing["fail_runs"], json!({"count": 2, "message": "BW system ZW2 is not reachable"}));

    let (status, _) = emu.admin(Method::DELETE, "/emulator/faults", None).await;
    assert_eq!(status, 204);
    assert_eq!(listed(&emu).await, Vec::<Value>::new());
    let (_, listing) = emu.admin(Method::GET, "/emulator/faults", None).await;
    assert_eq!((listing["fail_runs"].clone(), listing["fail_data_actions"].clone()), (Value::Null, Value::Null));

    // The log lag is gone: a new run is in the logs at the first read, and it did not fail.
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    let before = emu.schedule_logs(&token, &session).await["data"][0]["refreshLogs"].as_array().unwrap().len();
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let logs = emu.schedule_logs(&token, &session).await;
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), before + 1, "no log lag: {logs}");
    assert_eq!(emu.newest_run(&token, &session).await["status"], 1, "no injected run failure");

    // The crash is gone: an import write of any size goes through (an armed
    // crash_after_rows of 0 would abort this process before the first row).
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
