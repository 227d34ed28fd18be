//! The Multi Actions API: user context only, real steps, every outcome.

use reqwest::StatusCode;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::support::*;

const MA: &str = sac_testkit::demo::MULTI_ACTION;

fn body(version: &str) -> Value {
    json!({"parameterValues": [{"parameterId": "TargetVersion", "value": {"memberIds": [version], "hierarchyId": null}}]})
}

async fn start_ma(emu: &Emu, token: &str, body: &Value) -> reqwest::Response {
    emu.http
        .post(emu.api(&format!("/api/v1/multiActions/{MA}/executions")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn status(emu: &Emu, token: &str, execution: &str) -> Value {
    let r = emu
        .http
        .get(emu.api(&format!("/api/v1/multiActions/{MA}/executions/{execution}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

const INVALID_BODY: &str = "Invalid request. Please provide a valid request body.";
const NOT_FOUND: &str = "The resource does not exist or you do not have permission to read it.";

/// The code and text of SAC's one error message in a refusal with `status`
/// (`{"messages":[{"code","severity":"error","message"}]}`, page 80680a8a).
async fn message_of(response: reqwest::Response, status: u16) -> (String, String) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let messages = body["messages"].as_array().unwrap_or_else(|| panic!("no messages: {body}"));
    assert_eq!(messages.len(), 1, "{body}");
    assert_eq!(messages[0]["severity"], "error");
    (messages[0]["code"].as_str().unwrap().into(), messages[0]["message"].as_str().unwrap().into())
}

async fn plan_rows(emu: &Emu, version: &str) -> u64 {
    let rows = emu.get(&format!("/emulator/models/t.G:SALES_PLAN/rows?Version={version}&limit=1000")).await;
    rows.json::<Value>().await.unwrap()["rows"].as_array().unwrap().len() as u64
}

#[tokio::test]
async fn a_user_runs_the_multi_action_and_its_steps_really_run() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 1 }, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    assert_eq!(plan_rows(&emu, "public.Plan").await, 0);
    let started = start_ma(&emu, &token, &body("public.Plan")).await;
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    let started: Value = started.json().await.unwrap();
    let id = started["executionId"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(started.get("status").is_none(), "SAP's answer has the id and the link only (80680a8a): {started}");
    assert_eq!(started["links"][0]["rel"], "STATUS");
    assert_eq!(started["links"][0]["href"], format!("/api/v1/multiActions/{MA}/executions/{id}"));

    let first = status(&emu, &token, id).await;
    assert_eq!(first["status"], "running");
    assert!(
        first["utcStartDate"].as_str().unwrap().ends_with(".000Z")
            || first["utcStartDate"].as_str().unwrap().ends_with('Z')
    );
    let done = status(&emu, &token, id).await;
    assert_eq!(done["status"], "successful", "{done}");
    let messages = done["executionResult"]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert!(messages[0]["message"].as_str().unwrap().contains("imported 89 rows"));
    assert!(messages[1]["message"].as_str().unwrap().contains("copied 60 rows"));
    assert_eq!(plan_rows(&emu, "public.Plan").await, 60);
    // The import step ran the schedule as JDOE: it shows in the schedule's logs.
    let session = emu.csrf_fetch(&token).await;
    assert_eq!(emu.newest_run(&token, &session).await["user"], "JDOE");
}

#[tokio::test]
async fn refusals_of_the_multi_actions_api() {
    let emu = start().await;
    let technical = emu.client_credentials_token().await;
    let refused = start_ma(&emu, &technical, &body("public.Plan")).await;
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.contains("business user"), "{challenge}");
    assert_eq!(refused.text().await.unwrap(), "Unauthorized", "page 80680a8a: the bare text");

    let token = emu.password_token("JDOE").await;
    let no_params = start_ma(&emu, &token, &json!({})).await;
    assert_eq!(message_of(no_params, 400).await, ("599000999".into(), INVALID_BODY.into()));
    let missing = start_ma(&emu, &token, &json!({"parameterValues": []})).await;
    let missing: Value = {
        assert_eq!(missing.status(), 400);
        missing.json().await.unwrap()
    };
    assert_eq!(missing["messages"][0]["code"], "599000999");
    assert_eq!(missing["messages"][0]["message"], "No value was provided for the parameter TargetVersion");
    assert_eq!(missing["messages"][0]["details"][0]["parameterId"], "TargetVersion");
    let unknown_param =
        start_ma(&emu, &token, &json!({"parameterValues": [{"parameterId": "Nope", "value": {"memberIds": ["x"]}}]}))
            .await;
    assert_eq!(message_of(unknown_param, 400).await, ("599000999".into(), INVALID_BODY.into()));
    let malformed = emu
        .http
        .post(emu.api(&format!("/api/v1/multiActions/{MA}/executions")))
        .bearer_auth(&token)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(message_of(malformed, 400).await, ("599000999".into(), INVALID_BODY.into()));
    for id in ["t.G:NOPE", "MULTIACTIONS:t.G:MA_LOAD_ZEPPART", "MA_LOAD_ZEPPART"] {
        let r = emu
            .http
            .post(emu.api(&format!("/api/v1/multiActions/{id}/executions")))
            .bearer_auth(&token)
            .json(&body("public.Plan"))
            .send()
            .await
            .unwrap();
        assert_eq!(message_of(r, 404).await, ("596000996".into(), NOT_FOUND.into()), "{id}");
    }
    let viewer = emu.password_token("VIEWER").await;
    let (code, text) = message_of(start_ma(&emu, &viewer, &body("public.Plan")).await, 403).await;
    assert_eq!(
        (code.as_str(), text.as_str()),
        ("596000998", format!("You are not authorized to execute MULTIACTIONS {MA}").as_str())
    );
    let stranger = emu.password_token("KSMITH").await;
    assert_eq!(message_of(start_ma(&emu, &stranger, &body("public.Plan")).await, 403).await.0, "596000998");
    let no_such = emu
        .http
        .get(emu.api(&format!("/api/v1/multiActions/{MA}/executions/NOPE")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(message_of(no_such, 404).await, ("596000996".into(), NOT_FOUND.into()));
    // On the browser domain the POST needs the CSRF token of the caller's session.
    let browser = emu
        .http
        .post(emu.tenant(&format!("/api/v1/multiActions/{MA}/executions")))
        .bearer_auth(&token)
        .json(&body("public.Plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 403);
    assert_eq!(browser.headers()["x-csrf-token"], "Required");
}

#[tokio::test]
async fn a_wrong_member_fails_the_execution_with_sacs_message() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    let started: Value = start_ma(&emu, &token, &body("public.Budget")).await.json().await.unwrap();
    let done = status(&emu, &token, started["executionId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    let message = &done["executionResult"]["messages"][0];
    assert_eq!(message["code"], "501000515");
    assert_eq!(message["severity"], "error");
    assert_eq!(
        message["message"],
        "Member \"public.Budget\" does not exist in the dimension or selected hierarchy or is hidden."
    );
    assert_eq!(message["details"][0]["parameterId"], "TargetVersion");
}

#[tokio::test]
async fn a_later_step_failing_is_a_warning_a_first_step_failing_is_a_failure() {
    let emu = start().await;
    let token = emu.password_token("JDOE").await;
    emu.post_admin("/emulator/faults", json!({"fail_data_actions": 1, "message": "version public.Forecast is locked"}))
        .await;
    let started: Value = start_ma(&emu, &token, &body("public.Forecast")).await.json().await.unwrap();
    let done = status(&emu, &token, started["executionId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "warning", "{done}");
    let messages = done["executionResult"]["messages"].as_array().unwrap();
    assert_eq!(messages[0]["severity"], "info");
    assert!(messages[0].get("code").is_none(), "no made-up info code: {done}");
    // A step that fails while it runs: a generic error of category 80 (data
    // action 001) whose details carry the step's name and logs (ad2758ce, ff7815c6).
    assert_eq!(messages[1]["severity"], "error");
    assert_eq!(messages[1]["code"], "580001000");
    assert_eq!(messages[1]["details"][0]["stepName"], "Data Action 2");
    assert_eq!(messages[1]["details"][0]["logs"][0]["severity"], "error");
    assert!(messages[1]["details"][0]["logs"][0]["message"].as_str().unwrap().contains("locked"), "{done}");
    assert_eq!(plan_rows(&emu, "public.Forecast").await, 0, "the failed step wrote nothing");

    emu.post_admin("/emulator/faults", json!({"fail_runs": 1, "message": "BW system ZW2 is not reachable"})).await;
    let started: Value = start_ma(&emu, &token, &body("public.Plan")).await.json().await.unwrap();
    let done = status(&emu, &token, started["executionId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    let failed = &done["executionResult"]["messages"][0];
    assert_eq!(failed["code"], "580002000", "data import is task type 002: {done}");
    assert_eq!(failed["details"][0]["stepName"], "Data Import 1");
    assert!(failed["details"][0]["logs"][0]["message"].as_str().unwrap().contains("ZW2 is not reachable"));
    assert_eq!(plan_rows(&emu, "public.Plan").await, 0, "later steps do not run");
}

#[tokio::test]
async fn pinned_executions_are_released() {
    let emu = start_with(Config { clock: ClockMode::Manual, ..Config::default() }).await;
    let token = emu.password_token("JDOE").await;
    let started: Value = start_ma(&emu, &token, &body("public.Plan")).await.json().await.unwrap();
    let id = started["executionId"].as_str().unwrap();
    assert_eq!(status(&emu, &token, id).await["status"], "running");
    emu.post_admin("/emulator/clock/release", json!({"id": id})).await;
    assert_eq!(status(&emu, &token, id).await["status"], "successful");
}
