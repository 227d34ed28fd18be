//! The data integration service's actions, errors, and the job engine behind them.

use reqwest::StatusCode;
use sac_emulator::{ClockMode, Config};
use sac_types::legacy::{Envelope, ErrorBody, Mapping};
use serde_json::{json, Value};

use crate::support::*;

async fn signed_in(emu: &Emu) -> (String, Session) {
    let token = emu.password_token("JDOE").await;
    let session = emu.csrf_fetch(&token).await;
    (token, session)
}

async fn error_body(response: reqwest::Response, status: u16) -> ErrorBody {
    assert_eq!(response.status().as_u16(), status);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    response.json().await.unwrap()
}

#[tokio::test]
async fn malformed_bodies_unknown_actions_and_ids_get_sac_shaped_errors() {
    let emu = start().await;
    let (token, session) = signed_in(&emu).await;
    let raw = |action: &str, body: &'static str| {
        emu.http
            .post(emu.tenant(&format!("{}?action={action}&tenant=G", sac_types::legacy::SERVICE_PATH)))
            .bearer_auth(&token)
            .header("x-csrf-token", &session.csrf)
            .header("cookie", &session.cookie)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let e = error_body(raw("getScheduleLogsByModel", "{not json").await.unwrap(), 400).await;
    assert!(e.message.contains("Invalid request body"), "{}", e.message);
    let e = error_body(raw("runScheduledJob", "{}").await.unwrap(), 400).await;
    assert!(e.message.contains("scheduleId"), "{}", e.message);
    let e = error_body(raw("runScheduledJob", "").await.unwrap(), 400).await;
    assert_eq!(e.status, 400);
    let e = error_body(emu.legacy("dropAllModels", Some(&token), Some(&session), &json!({})).await, 400).await;
    assert_eq!(e.message, "Unknown action: dropAllModels");
    let e = error_body(emu.legacy("createMapping", Some(&token), Some(&session), &json!({})).await, 400).await;
    assert!(e.message.contains("Data Management"));
    let e = error_body(
        emu.legacy("runScheduledJob", Some(&token), Some(&session), &json!({"scheduleId": "NOPE"})).await,
        404,
    )
    .await;
    assert!(e.message.contains("NOPE"));
    let e = error_body(
        emu.legacy(
            "runScheduledJob",
            Some(&token),
            Some(&session),
            &json!({"scheduleId": SCHEDULE, "mappingId": "OTHER"}),
        )
        .await,
        400,
    )
    .await;
    assert!(e.message.contains("OTHER"));
    let e = error_body(
        emu.legacy("getMappingById", Some(&token), Some(&session), &json!({"mappingId": "NOPE"})).await,
        404,
    )
    .await;
    assert!(e.message.contains("NOPE"));

    // Missing action, and a missing tenant (a 200 that does nothing).
    let no_action = emu
        .http
        .post(emu.tenant(&format!("{}?tenant=G", sac_types::legacy::SERVICE_PATH)))
        .bearer_auth(&token)
        .header("x-csrf-token", &session.csrf)
        .header("cookie", &session.cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(no_action, 400).await.message, "Missing query parameter: action");
    let no_tenant = emu
        .http
        .post(emu.tenant(&format!("{}?action=runScheduledJob", sac_types::legacy::SERVICE_PATH)))
        .bearer_auth(&token)
        .header("x-csrf-token", &session.csrf)
        .header("cookie", &session.cookie)
        .json(&json!({"scheduleId": SCHEDULE}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_tenant.status(), 200);
    assert_eq!(no_tenant.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(
        emu.schedule_logs(&token, &session).await["data"][0]["refreshLogs"].as_array().unwrap().len(),
        1,
        "nothing ran"
    );

    // GET is not how the service is called.
    let get = emu.get(sac_types::legacy::SERVICE_PATH).await;
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn mapping_by_id_describes_the_import() {
    let emu = start().await;
    let (token, session) = signed_in(&emu).await;
    let response = emu.legacy("getMappingById", Some(&token), Some(&session), &json!({"mappingId": MAPPING})).await;
    let mapping: Envelope<Mapping> = response.json().await.unwrap();
    assert_eq!(mapping.data.schedule_id, SCHEDULE);
    assert_eq!(mapping.data.model_name, MODEL);
    assert_eq!(mapping.data.source.connection_name, "ZW2_IMPORT");
    assert_eq!(mapping.data.source.object_name, "ZEPPART");
    assert!(mapping.data.columns.iter().any(|c| c.source == "COUNTRY" && c.target == "Country"));
}

#[tokio::test]
async fn viewers_read_logs_but_may_not_run() {
    let emu = start().await;
    let token = emu.password_token("VIEWER").await;
    let session = emu.csrf_fetch(&token).await;
    assert_eq!(emu.schedule_logs(&token, &session).await["status"], 200);
    let e = error_body(emu.run_schedule(&token, &session).await, 403).await;
    assert!(e.message.contains("VIEWER"));
}

#[tokio::test]
async fn rows_with_unknown_countries_are_rejected_with_reasons() {
    let emu = start().await;
    let (token, session) = signed_in(&emu).await;
    emu.post_admin(
        "/emulator/sources/ZW2_IMPORT/ZEPPART/rows",
        json!({"rows": [{"ZEPPART": "P0090", "COUNTRY": "XX"}, {"ZEPPART": "P0091", "COUNTRY": "XX"}, {"ZEPPART": "", "COUNTRY": "DE"}]}),
    )
    .await;
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let run = emu.newest_run(&token, &session).await;
    assert_eq!(run["status"], 2, "done with rejects: {run}");
    assert_eq!(
        run["wranglingAndUpdateResult"]["data"],
        json!({"allCount": 92, "rejectedCount": 3, "insertedCount": 89})
    );
    assert_eq!(emu.rows(MODEL).await["total"], 89, "rejected rows are not written");

    let id = run["executionId"].as_str().unwrap();
    let csv = emu
        .http
        .get(emu.tenant(&format!("/wrangling/api/dm/executions/{id}/rejections?app=SAC")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Source,Target,Issue,Value,Records");
    assert!(
        lines.contains(&"COUNTRY,Country,\"Invalid member: \"\"XX\"\" does not exist in dimension Country\",XX,2"),
        "{text}"
    );
    assert!(lines.iter().any(|l| l.starts_with("ZEPPART,ID,The member ID is empty")), "{text}");

    let missing = emu
        .http
        .get(emu.tenant("/wrangling/api/dm/executions/NOPE/rejections?app=SAC"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let anonymous = emu.get(&format!("/wrangling/api/dm/executions/{id}/rejections")).await;
    assert!(is_login_page(anonymous).await);
}

#[tokio::test]
async fn a_second_run_while_one_is_in_flight_stops_both() {
    let emu = start_with(Config { clock: ClockMode::Manual, ..Config::default() }).await;
    let (token, session) = signed_in(&emu).await;
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let first = emu.newest_run(&token, &session).await;
    assert_eq!(first["status"], 5, "pinned running");
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    let logs = emu.schedule_logs(&token, &session).await;
    let runs = logs["data"][0]["refreshLogs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["status"], 4);
    assert_eq!(runs[1]["status"], 4);
    assert_eq!(runs[1]["executionId"], first["executionId"]);
    assert!(runs[0]["message"].as_str().unwrap().contains("Stopped"));
    assert_eq!(runs[2]["status"], 1, "the historic run is untouched");
}

#[tokio::test]
async fn pinned_runs_finish_when_released_and_injected_failures_fail_runs() {
    let emu = start_with(Config { clock: ClockMode::Manual, ..Config::default() }).await;
    let (token, session) = signed_in(&emu).await;
    emu.run_schedule(&token, &session).await;
    let run = emu.newest_run(&token, &session).await;
    let (status, _) = emu.admin(reqwest::Method::POST, "/emulator/clock/release", Some(json!({"id": "NOPE"}))).await;
    assert_eq!(status, 404);
    let released = emu.post_admin("/emulator/clock/release", json!({"id": run["executionId"]})).await;
    assert_eq!(released["released"], 1);
    assert_eq!(emu.newest_run(&token, &session).await["status"], 1);

    emu.post_admin("/emulator/clock", json!({"mode": "immediate"})).await;
    emu.post_admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    emu.run_schedule(&token, &session).await;
    let failed = emu.newest_run(&token, &session).await;
    assert_eq!(failed["status"], 6, "{failed}");
    assert_eq!(failed["message"], "BW system ZW2 is not reachable");
    assert_eq!(failed["wranglingAndUpdateResult"]["data"]["insertedCount"], 0);
    emu.run_schedule(&token, &session).await;
    assert_eq!(emu.newest_run(&token, &session).await["status"], 1, "the fault was counted: one run only");
}

#[tokio::test]
async fn runs_can_lag_behind_in_the_logs() {
    let emu = start().await;
    let (token, session) = signed_in(&emu).await;
    emu.post_admin("/emulator/faults", json!({"log_lag_reads": 2})).await;
    assert_eq!(emu.run_schedule(&token, &session).await.status(), 200);
    for _ in 0..2 {
        let logs = emu.schedule_logs(&token, &session).await;
        assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), 1, "not in the logs yet");
    }
    let logs = emu.schedule_logs(&token, &session).await;
    assert_eq!(logs["data"][0]["refreshLogs"].as_array().unwrap().len(), 2);
    assert_eq!(logs["data"][0]["refreshLogs"][0]["status"], 1);
}

/// Garbage in never gives a 500: every endpoint that takes a body answers
/// bad input with a 4xx in SAC's shape.
#[tokio::test]
async fn garbage_bodies_never_give_a_server_error() {
    let emu = start().await;
    let (token, session) = signed_in(&emu).await;
    let technical = emu.client_credentials_token().await;
    let job = emu.create_sales_job(&technical).await;
    let bodies: [&[u8]; 8] =
        [b"", b"{", b"[]", b"null", b"{\"Data\":5}", b"\xff\xfe\x00", b"{\"parameterValues\":[{}]}", b"a,b\n\"x"];
    let service = sac_types::legacy::SERVICE_PATH;
    let targets: Vec<(String, &str, &str)> = vec![
        (emu.tenant(&format!("{service}?action=getScheduleLogsByModel&tenant=G")), "legacy", "application/json"),
        (emu.tenant(&format!("{service}?action=runScheduledJob&tenant=G")), "legacy", "application/json"),
        (emu.tenant(&format!("{service}?action=getMappingById&tenant=G")), "legacy", "application/json"),
        (emu.api("/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions"), "user", "application/json"),
        (emu.api("/api/v1/dataimport/models/SALES_PLAN/factData"), "technical", "application/json"),
        (emu.api(&format!("/api/v1/dataimport/jobs/{job}")), "technical", "application/json"),
        (emu.api(&format!("/api/v1/dataimport/jobs/{job}")), "technical", "text/csv"),
        (emu.tenant("/oauth/token"), "none", "application/x-www-form-urlencoded"),
        (emu.tenant("/emulator/faults"), "none", "application/json"),
        (emu.tenant("/emulator/clock"), "none", "application/json"),
        (emu.tenant("/emulator/tenant"), "none", "text/plain"),
        (emu.tenant("/emulator/idp/assertion"), "none", "application/json"),
    ];
    for (url, who, content_type) in &targets {
        for body in bodies {
            let mut request = emu.http.post(url).header("content-type", *content_type).body(body.to_vec());
            request = match *who {
                "legacy" => {
                    request.bearer_auth(&token).header("x-csrf-token", &session.csrf).header("cookie", &session.cookie)
                }
                "user" => request.bearer_auth(&token),
                "technical" => request.bearer_auth(&technical),
                _ => request,
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            assert!(!status.is_server_error(), "{url} with {:?} gave {status}", String::from_utf8_lossy(body));
        }
    }
}
