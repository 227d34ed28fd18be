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
