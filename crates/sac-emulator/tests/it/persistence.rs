//! `--data-dir`: stop, start again, nothing lost.

use sac_emulator::{ClockMode, Config};

use crate::support::*;

#[tokio::test]
async fn runs_rows_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        || Config { data_dir: Some(dir.path().to_path_buf()), clock: ClockMode::Immediate, ..Config::default() };
    let emu = start_with(config()).await;
    let tokens =
        emu.token(USER_CLIENT, &[("grant_type", "password"), ("username", "JDOE"), ("password", "Welcome1!")]).await;
    let session = emu.csrf_fetch(&tokens.access_token).await;
    emu.post_admin(
        "/emulator/sources/ZW2_IMPORT/ZEPPART/rows",
        serde_json::json!({"rows": [{"ZEPPART": "P0100", "COUNTRY": "FR"}]}),
    )
    .await;
    emu.run_schedule(&tokens.access_token, &session).await;
    let run = emu.newest_run(&tokens.access_token, &session).await;
    assert_eq!(run["wranglingAndUpdateResult"]["data"]["insertedCount"], 90);
    emu.emu.stop().await;

    let emu = start_with(config()).await;
    // The same token and session still work: the tenant was not reseeded.
    let logs = emu.schedule_logs(&tokens.access_token, &session).await;
    let runs = logs["data"][0]["refreshLogs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0], run);
    let rows = emu.rows(MODEL).await;
    assert_eq!(rows["total"], 90);
    assert!(rows["rows"].as_array().unwrap().iter().any(|r| r["ID"] == "P0100" && r["Country"] == "FR"));
    assert!(dir.path().join("emulator.sqlite3").exists());
}

#[tokio::test]
async fn a_run_in_flight_at_shutdown_finishes_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = |clock| Config { data_dir: Some(dir.path().to_path_buf()), clock, ..Config::default() };
    let emu = start_with(config(ClockMode::Manual)).await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.run_schedule(&token, &session).await;
    assert_eq!(emu.newest_run(&token, &session).await["status"], 5);
    emu.emu.stop().await;

    let emu = start_with(config(ClockMode::Manual)).await;
    assert_eq!(emu.newest_run(&token, &session).await["status"], 5, "still pinned");
    emu.post_admin("/emulator/clock/release", serde_json::json!({})).await;
    assert_eq!(emu.newest_run(&token, &session).await["status"], 1);
}

#[tokio::test]
async fn a_calendar_task_in_flight_at_shutdown_ends_after_the_restart_and_its_process_with_it() {
    use sac_testkit::demo::CALENDAR_PROCESS_ID;
    use serde_json::{json, Value};
    let dir = tempfile::tempdir().unwrap();
    let config = || Config { data_dir: Some(dir.path().to_path_buf()), clock: ClockMode::Manual, ..Config::default() };
    let emu = start_with(config()).await;
    let token = emu.client_credentials_token().await;
    let copy = json!({"referenceEventId": CALENDAR_PROCESS_ID, "autoActivate": true});
    let created = emu.http.post(emu.api("/api/v1/calendar/events")).bearer_auth(&token).json(&copy).send().await;
    let id = created.unwrap().json::<Value>().await.unwrap()["event"]["id"].as_str().unwrap().to_string();
    let read = |emu: &Emu, token: &str| {
        let request = emu.http.get(emu.api(&format!("/api/v1/calendar/events/{id}"))).bearer_auth(token.to_string());
        async move { request.send().await.unwrap().json::<Value>().await.unwrap()["event"].clone() }
    };
    assert_eq!(read(&emu, &token).await["childEvents"][0]["status"], "inProgress");
    emu.emu.stop().await;

    let emu = start_with(config()).await;
    let before = read(&emu, &token).await;
    assert_eq!(
        (before["status"].as_str(), before["childEvents"][0]["status"].as_str()),
        (Some("inProgress"), Some("inProgress"))
    );
    emu.post_admin("/emulator/clock/release", json!({})).await;
    let after = read(&emu, &token).await;
    assert_eq!(
        (after["status"].as_str(), after["childEvents"][0]["status"].as_str()),
        (Some("successful"), Some("successful"))
    );
}
