//! The seed's story, walked as its readers walked it, with each way in.

use reqwest::Method;
use sac_emulator::{ClockMode, Config};
use sac_types::legacy::{Envelope, RunScheduledJobData, RunStatus, Schedule};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn token_csrf_logs_run_poll_done_with_89_rows_in_the_dimension() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 2 }, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;

    // The tenant starts as the story does: one earlier run, 89 rows.
    let logs: Envelope<Vec<Schedule>> = serde_json::from_value(emu.schedule_logs(&token, &session).await).unwrap();
    assert_eq!(logs.status, 200);
    let schedule = &logs.data[0];
    assert_eq!(schedule.schedule_id, SCHEDULE);
    assert_eq!(schedule.mapping_id, MAPPING);
    assert_eq!(schedule.model_name, MODEL);
    assert_eq!(schedule.refresh_logs.len(), 1);
    assert_eq!(schedule.refresh_logs[0].wrangling_and_update_result.data.inserted_count, 89);

    let response = emu.run_schedule(&token, &session).await;
    assert_eq!(response.status(), 200);
    let started: Envelope<RunScheduledJobData> = response.json().await.unwrap();
    assert_eq!(started.status, 200);
    assert_eq!(started.data.schedule_id, SCHEDULE);

    // Two polls see it running, the third sees it done.
    for _ in 0..2 {
        let run = emu.newest_run(&token, &session).await;
        assert_eq!(run["status"], 5, "{run}");
        assert!(run["endTime"].is_null());
    }
    let run = emu.newest_run(&token, &session).await;
    assert_eq!(run["status"], RunStatus::Succeeded.code(), "{run}");
    assert_eq!(run["user"], "JDOE");
    assert_eq!(
        run["wranglingAndUpdateResult"]["data"],
        json!({"allCount": 89, "rejectedCount": 0, "insertedCount": 89})
    );
    assert!(run["startTime"].as_str().unwrap().ends_with('Z'), "UTC timestamps");
    assert!(run["endTime"].as_str().unwrap().ends_with('Z'));

    let rows = emu.rows(MODEL).await;
    assert_eq!(rows["total"], 89);
    let members = rows["rows"].as_array().unwrap();
    assert_eq!(members[0]["ID"], "P0001");
    assert_eq!(members[88]["ID"], "P0089");
    assert!(members.iter().all(|m| m["Country"].as_str().is_some_and(|c| c.len() == 2)));
}

#[tokio::test]
async fn timed_runs_finish_without_polls() {
    let emu = start_with(Config { clock: ClockMode::Delay { seconds: 0.3 }, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    emu.run_schedule(&token, &session).await;
    assert_eq!(emu.newest_run(&token, &session).await["status"], 5);
    let mut status = 5;
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = emu.newest_run(&token, &session).await["status"].as_i64().unwrap();
        if status != 5 {
            break;
        }
    }
    assert_eq!(status, 1);
}

#[tokio::test]
async fn saml_bearer_user_runs_the_import() {
    let emu = start().await;
    let assertion = emu.post_admin("/emulator/idp/assertion", json!({"user": "JDOE"})).await;
    let token = emu
        .token(
            USER_CLIENT,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:saml2-bearer"),
                ("assertion", assertion["assertion"].as_str().unwrap()),
            ],
        )
        .await;
    assert!(token.refresh_token.is_some());
    let session = emu.csrf_fetch(&token.access_token).await;
    assert_eq!(emu.run_schedule(&token.access_token, &session).await.status(), 200);
    assert_eq!(emu.newest_run(&token.access_token, &session).await["status"], 1);
}

#[tokio::test]
async fn browser_login_session_runs_the_import_without_any_token() {
    let emu = start().await;
    // The login page sends browsers to the approuter, which sends them to the form.
    let redirect = emu.get("/approuter/v1/redirect?url=%2F").await;
    assert_eq!(redirect.status(), 302);
    assert!(redirect.headers()["location"].to_str().unwrap().starts_with("/login?url="));
    let login = emu
        .http
        .post(emu.tenant("/login?url=%2F"))
        .form(&[("username", "JDOE"), ("password", "Welcome1!")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303);
    let cookie = set_cookie(login.headers()).unwrap();
    let home = emu.http.get(emu.tenant("/")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Signed in as <b>JDOE</b>"), "{home}");

    let fetch = emu
        .http
        .get(emu.tenant("/sap/fpa/services/rest/epm/session?action=logon"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "fetch")
        .send()
        .await
        .unwrap();
    assert_eq!(fetch.status(), 200);
    assert!(set_cookie(fetch.headers()).is_none(), "the browser session is reused");
    let session = Session { csrf: fetch.headers()["x-csrf-token"].to_str().unwrap().into(), cookie };
    let run = emu.legacy("runScheduledJob", None, Some(&session), &json!({"scheduleId": SCHEDULE})).await;
    assert_eq!(run.status(), 200);
    let logs = emu
        .legacy(
            "getScheduleLogsByModel",
            None,
            Some(&session),
            &json!({"jobType":"bpcDataImport","modelName":MODEL,"mappingId":[]}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(logs["data"][0]["refreshLogs"][0]["status"], 1);
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn api_domain_takes_user_tokens_without_csrf() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    let base = emu.api(sac_types::legacy::SERVICE_PATH);
    let run = emu.legacy_at(&base, "runScheduledJob", Some(&token), None, &json!({"scheduleId": SCHEDULE})).await;
    assert_eq!(run.status(), 200);
    let (status, _) = emu.admin(Method::GET, "/emulator/health", None).await;
    assert_eq!(status, 200);
}
