//! The Data Import API: the job lifecycle, real validation and writing,
//! the import methods, limits and refusals.

use reqwest::{Method, StatusCode};
use sac_emulator::ImportLimits;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::support::*;

pub(crate) const DI: &str = "/api/v1/dataimport";

pub(crate) async fn call(
    emu: &Emu,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = emu.http.request(method, emu.api(&format!("{DI}{path}"))).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub(crate) fn fact(version: &str, date: &str, part: &str, country: &str, amount: &str) -> Value {
    json!({"Version": version, "Date": date, "Part": part, "Country": country, "Amount": amount, "Quantity": "1"})
}

async fn facts(emu: &Emu, filter: &str) -> Vec<Value> {
    let rows: Value =
        emu.get(&format!("/emulator/models/t.G:SALES_PLAN/rows?limit=100000&{filter}")).await.json().await.unwrap();
    rows["rows"].as_array().unwrap().clone()
}

pub(crate) async fn new_job(emu: &Emu, token: &str, settings: Value) -> String {
    let (status, created) = call(emu, token, Method::POST, "/models/SALES_PLAN/factData", Some(settings)).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["jobURL"].as_str().unwrap().ends_with(&format!("/jobs/{}", created["jobID"].as_str().unwrap())));
    created["jobID"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_job_lifecycle_validates_and_writes_for_real() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, models) = call(&emu, &token, Method::GET, "/models", None).await;
    assert_eq!(status, 200);
    assert_eq!(models["models"][0]["modelID"], "SALES_PLAN");
    let (_, model) = call(&emu, &token, Method::GET, "/models/t.G:SALES_PLAN", None).await;
    assert!(model["versions"].as_array().unwrap().iter().any(|v| v["id"] == "public.Plan"));
    let (_, metadata) = call(&emu, &token, Method::GET, "/models/SALES_PLAN/metadata", None).await;
    assert_eq!(metadata["factData"]["keys"], json!(["Version", "Date", "Part", "Country"]));

    let job = new_job(&emu, &token, json!({"JobSettings": {"importMethod": "Update"}})).await;
    let rows = json!({"Data": [
        fact("public.Plan", "202607", "P0001", "DE", "100.5"),
        fact("public.Plan", "202607", "P0002", "FR", "200"),
        fact("public.Plan", "A02301", "P0003", "US", "300"),
        fact("public.Plan", "202607", "P9999", "US", "400"),
        fact("public.Plan", "202607", "P0004", "US", "lots"),
    ]});
    let (status, uploaded) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(rows)).await;
    assert_eq!(status, 201, "{uploaded}");
    // Structure, keys and types are checked on arrival: the bad date and
    // the amount that is no number are refused and not stored.
    assert_eq!(uploaded["totalNumberRowsInCurrentRequest"], 5);
    assert_eq!(uploaded["upsertedNumberRows"], 3);
    assert_eq!(uploaded["failedNumberRows"], 2);
    assert_eq!(uploaded["totalNumberRowsInJob"], 3);
    let refused: Vec<(&str, &str)> = uploaded["failedRows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"]["Part"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        refused,
        vec![("P0003", "Invalid column value for: Date"), ("P0004", "Invalid column value for: Amount")]
    );
    // Members are checked by validation.
    let (status, validated) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/validate"), None).await;
    assert_eq!(status, 201);
    assert_eq!(validated["jobStatus"], "READY_FOR_WRITE");
    assert_eq!(validated["failedNumberRows"], 1);
    assert!(validated["invalidRowsURL"].as_str().unwrap().ends_with("/invalidRows"));
    let (_, invalid) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/invalidRows"), None).await;
    let reasons: Vec<&str> =
        invalid["failedRows"].as_array().unwrap().iter().map(|r| r["_REJECTION_REASON"].as_str().unwrap()).collect();
    assert_eq!(reasons, vec!["Invalid column value for: Part"]);
    assert!(facts(&emu, "Version=public.Plan").await.is_empty(), "nothing written before run");

    let (status, running) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(status, 201);
    assert_eq!(running["jobStatus"], "COMPLETED", "immediate clock");
    let (_, done) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!(done["additionalInformation"], json!({"totalNumberRowsInJob": "3", "failedNumberRows": "1"}));
    let plan = facts(&emu, "Version=public.Plan").await;
    assert_eq!(plan.len(), 2);
    assert!(plan.iter().any(|r| r["Part"] == "P0001" && r["Amount"] == "100.5"));

    let (status, _) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"Data": []}))).await;
    assert_eq!(status, 400, "no data after the run");
    let (_, jobs) = call(&emu, &token, Method::GET, "/jobs", None).await;
    assert_eq!(jobs[0]["jobID"], job.as_str());
    assert_eq!(jobs[0]["status"], "COMPLETED");
    assert_eq!(jobs[0]["owner"], "sacctl-api");
    let (status, _) = call(&emu, &token, Method::DELETE, &format!("/jobs/{job}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn csv_with_mapping_and_defaults_and_async_processing() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 1 }, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let job = new_job(
        &emu,
        &token,
        json!({"Mapping": {"Part": "MATERIAL", "Amount": "REVENUE"}, "DefaultValues": {"Version": "public.Forecast"}}),
    )
    .await;
    let csv = "Date,MATERIAL,Country,REVENUE,Quantity\n202608,P0005,IT,50,5\n202608,P0006,ES,60,6\n";
    let uploaded = emu
        .http
        .post(emu.api(&format!("{DI}/jobs/{job}")))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);
    let (_, running) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), Some(json!({}))).await;
    assert_eq!(running["jobStatus"], "PROCESSING");
    let (_, first) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!(first["jobStatus"], "PROCESSING");
    let (_, second) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!(second["jobStatus"], "COMPLETED");
    let forecast = facts(&emu, "Version=public.Forecast").await;
    assert_eq!(forecast.len(), 2);
    assert!(forecast.iter().any(|r| r["Part"] == "P0005" && r["Amount"] == "50"));
}

#[tokio::test]
async fn failed_rows_stop_the_job_when_asked_and_methods_write_as_named() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let strict = new_job(&emu, &token, json!({"JobSettings": {"executeWithFailedRows": false}})).await;
    call(&emu, &token, Method::POST, &format!("/jobs/{strict}"), Some(json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1"), fact("public.Nope", "202601", "P0001", "DE", "1")]}))).await;
    // SAP help fe6efb8a: the write is cancelled with [2903], the job stays
    // validated, and the run's override writes it after all.
    let (status, cancelled) = call(&emu, &token, Method::POST, &format!("/jobs/{strict}/run"), None).await;
    assert_eq!(status, 400, "{cancelled}");
    assert_eq!(cancelled["error"]["message"], "One or more failed rows detected. Write cancelled [2903]");
    assert_eq!(cancelled["error"]["code"].as_str().unwrap().len(), 36, "an incident id: {cancelled}");
    assert!(facts(&emu, "Version=public.Plan").await.is_empty(), "nothing written");
    let (_, still) = call(&emu, &token, Method::GET, &format!("/jobs/{strict}/status"), None).await;
    assert_eq!(still["jobStatus"], "READY_FOR_WRITE");
    let (status, forced) = call(
        &emu,
        &token,
        Method::POST,
        &format!("/jobs/{strict}/run"),
        Some(json!({"overrideExecuteWithFailedRows": true})),
    )
    .await;
    assert_eq!((status.as_u16(), forced["jobStatus"].as_str()), (201, Some("COMPLETED")), "{forced}");
    assert_eq!(facts(&emu, "Version=public.Plan").await.len(), 1, "the valid row written");

    // Append adds to what is there.
    let before: f64 = facts(&emu, "Version=public.Actual&Part=P0001&Date=202601").await[0]["Amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let append = new_job(&emu, &token, json!({"JobSettings": {"importMethod": "Append"}})).await;
    call(
        &emu,
        &token,
        Method::POST,
        &format!("/jobs/{append}"),
        Some(json!({"Data": [fact("public.Actual", "202601", "P0001", "AT", "10")]})),
    )
    .await;
    call(&emu, &token, Method::POST, &format!("/jobs/{append}/run"), None).await;
    let after: f64 = facts(&emu, "Version=public.Actual&Part=P0001&Date=202601").await[0]["Amount"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((after - before - 10.0).abs() < 1e-9, "{before} + 10 = {after}");

    // CleanAndReplace deletes only within its scope.
    let actual_before = facts(&emu, "Version=public.Actual").await.len();
    let replace = new_job(
        &emu,
        &token,
        json!({"JobSettings": {"importMethod": "CleanAndReplace", "dimensionScope": ["Version", "Part"]}}),
    )
    .await;
    call(
        &emu,
        &token,
        Method::POST,
        &format!("/jobs/{replace}"),
        Some(json!({"Data": [fact("public.Actual", "202612", "P0002", "IN", "7")]})),
    )
    .await;
    let (_, validated) = call(&emu, &token, Method::POST, &format!("/jobs/{replace}/validate"), None).await;
    assert_eq!(
        validated["additionalInformation"]["cleanAndReplaceAffectedRows"],
        json!([{"Part": "P0002", "Version": "public.Actual"}])
    );
    call(&emu, &token, Method::POST, &format!("/jobs/{replace}/run"), None).await;
    let p2 = facts(&emu, "Version=public.Actual&Part=P0002").await;
    assert_eq!(p2.len(), 1, "P0002's six months replaced by one row");
    assert_eq!(p2[0]["Date"], "202612");
    assert_eq!(facts(&emu, "Version=public.Actual").await.len(), actual_before - 5, "other parts untouched");

    // An injected failure fails the job at write time.
    emu.post_admin("/emulator/faults", json!({"fail_runs": 1, "message": "write conflict"})).await;
    let doomed = new_job(&emu, &token, json!({})).await;
    call(
        &emu,
        &token,
        Method::POST,
        &format!("/jobs/{doomed}"),
        Some(json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]})),
    )
    .await;
    let (_, failed) = call(&emu, &token, Method::POST, &format!("/jobs/{doomed}/run"), None).await;
    assert_eq!(failed["jobStatus"], "FAILED");
    assert_eq!(failed["error"]["message"], "write conflict");
}

#[tokio::test]
async fn public_dimension_master_data() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, created) =
        call(&emu, &token, Method::POST, "/publicDimensions/ZEPPART_001/publicDimensionData", Some(json!({}))).await;
    assert_eq!(status, 201, "{created}");
    let job = created["jobID"].as_str().unwrap();
    call(
        &emu,
        &token,
        Method::POST,
        &format!("/jobs/{job}"),
        Some(json!({"Data": [{"ID": "P0100", "Description": "New part", "Country": "NL"}, {"ID": ""}]})),
    )
    .await;
    let (_, done) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED");
    assert_eq!(done["failedNumberRows"], 0, "the row without ID was refused on arrival");
    assert_eq!(emu.rows(MODEL).await["total"], 90);
}

#[tokio::test]
async fn refusals_limits_and_csrf() {
    let emu = start_with(Config {
        clock: ClockMode::Immediate,
        import_limits: ImportLimits { max_rows_per_request: 3, max_body_bytes: 600, ..ImportLimits::default() },
        ..Config::default()
    })
    .await;
    // A technical client without the Data Import Service access: 3401.
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.clients[0].access = vec!["Data Export Service".into()];
    emu.load_tenant_toml(tenant.to_toml()).await;
    let token = emu.client_credentials_token().await;
    let (status, body) = call(&emu, &token, Method::GET, "/models", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "3401");
    assert!(body["error"]["message"].as_str().unwrap().contains("OAuth Client is not allowed to interact with API"));
    emu.post_admin("/emulator/reset", json!({})).await;
    emu.load_tenant_toml(sac_emulator::Tenant::demo().to_toml()).await;

    let token = emu.client_credentials_token().await;
    let (status, body) = call(&emu, &token, Method::POST, "/models/NOPE/factData", Some(json!({}))).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (404, Some("1704")), "{body}");
    let (status, body) = call(&emu, &token, Method::POST, "/models/SALES_PLAN/masterData", Some(json!({}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = call(
        &emu,
        &token,
        Method::POST,
        "/models/SALES_PLAN/factData",
        Some(json!({"JobSettings": {"importMethod": "Replace"}})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) =
        call(&emu, &token, Method::POST, "/models/SALES_PLAN/factData", Some(json!({"Mapping": {"Bogus": "X"}}))).await;
    assert_eq!(status, 400);
    let job = new_job(&emu, &token, json!({})).await;
    let four: Vec<Value> = (1..=4).map(|i| fact("public.Plan", "202601", &format!("P000{i}"), "DE", "1")).collect();
    let (status, body) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"Data": four}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "1201");
    assert!(body["error"]["message"].as_str().unwrap().contains("at most 3 rows"));
    let big = "x".repeat(700);
    let (status, body) =
        call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"Data": [{"Version": big}]}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "1201");
    let (status, body) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"rows": []}))).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (400, Some("1202")), "{body}");

    // Jobs belong to their owner.
    let user = emu.password_token("JDOE").await;
    let (status, body) = call(&emu, &user, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("1012")), "{body}");
    let viewer = emu.password_token("VIEWER").await;
    let (status, _) = call(&emu, &viewer, Method::POST, "/models/SALES_PLAN/factData", Some(json!({}))).await;
    assert_eq!(status, 403);

    // Browser domain: writes need the CSRF token, which any GET on the service hands out.
    let create = |csrf: Option<(String, String)>| {
        let mut r =
            emu.http.post(emu.tenant(&format!("{DI}/models/SALES_PLAN/factData"))).bearer_auth(&token).json(&json!({}));
        if let Some((token, cookie)) = csrf {
            r = r.header("x-csrf-token", token).header("cookie", cookie);
        }
        r.send()
    };
    let refused = create(None).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-csrf-token"], "Required");
    let fetch = emu.api_csrf_fetch(&token, &format!("{DI}/models")).await;
    let csrf = fetch.headers()["x-csrf-token"].to_str().unwrap().to_string();
    let cookie = set_cookie(fetch.headers()).unwrap();
    assert_eq!(create(Some((csrf, cookie))).await.unwrap().status(), 201);
}

#[tokio::test]
async fn append_sums_rows_of_one_key_within_one_chunk() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let job = new_job(&emu, &token, json!({"JobSettings": {"importMethod": "Append"}})).await;
    let row = fact("public.Forecast", "202601", "P0001", "DE", "1.5");
    call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"Data": [row, row, row]}))).await;
    let (_, done) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED", "{done}");
    let stored = facts(&emu, "Version=public.Forecast").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["Amount"], "4.5", "three appends of 1.5 in one chunk");
    assert_eq!(stored[0]["Quantity"], "3");
}
