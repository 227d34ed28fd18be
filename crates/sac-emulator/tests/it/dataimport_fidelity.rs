//! The Data Import API as SAC documents it: the model's import types and
//! column metadata, public dimensions, job ids, SAP's sample client's job
//! body, the numbered errors 1001-1011 and 1603, the active-job limits, and
//! the login page on the browser domain.

use reqwest::{Method, StatusCode};
use sac_emulator::{ClockMode, Config, ImportLimits};
use serde_json::{json, Value};

use crate::dataimport::{call, fact, new_job, DI};
use crate::support::*;

/// The error code and message of a refusal, after checking it is a 400.
fn refusal(answer: (StatusCode, Value)) -> (String, String) {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    let code = body["error"]["code"].as_str().unwrap().to_string();
    let message = body["error"]["message"].as_str().unwrap().to_string();
    assert!(message.ends_with(&format!("[{code}]")), "the number stands in brackets: {message}");
    (code, message)
}

async fn post_raw(emu: &Emu, token: &str, path: &str, body: &'static str) -> (StatusCode, Value) {
    // No Content-Type, as SAP's sample client sends it.
    let response = emu.http.post(emu.api(&format!("{DI}{path}"))).bearer_auth(token).body(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn model_detail_metadata_and_public_dimensions_have_sacs_shapes() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, model) = call(&emu, &token, Method::GET, "/models/SALES_PLAN", None).await;
    assert_eq!(status, 200);
    let types: Vec<&str> =
        model["importTypes"].as_array().unwrap().iter().map(|t| t["importType"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["factData", "privateFactData"]);
    let settings = &model["importTypes"][0]["availableJobSettings"];
    assert_eq!(settings["importMethod"], json!(["Update", "Append", "CleanAndReplace"]));
    assert_eq!(settings["dimensionScope"], json!(["Version", "Date", "Part", "Country"]));
    let fact_url = model["importTypeUrls"]["factData"].as_str().unwrap();
    assert_eq!(fact_url, emu.api(&format!("{DI}/models/SALES_PLAN/factData")));
    let metadata_url = model["metadataURL"].as_str().unwrap();
    assert_eq!(metadata_url, emu.api(&format!("{DI}/models/SALES_PLAN/metadata")));

    // The URLs work as given.
    let metadata: Value = emu.http.get(metadata_url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let columns = metadata["factData"]["columns"].as_array().unwrap();
    let column = |name: &str| columns.iter().find(|c| c["columnName"] == name).unwrap().clone();
    assert_eq!(column("Date")["propertyType"], "DATE");
    assert_eq!(column("Part")["propertyType"], "PROPERTY");
    assert_eq!(column("Part")["descriptionName"], "Part");
    assert_eq!(column("Version")["maxLength"], 300);
    let amount = column("Amount");
    assert_eq!(
        (amount["columnDataType"].as_str(), amount["precision"].as_u64(), amount["scale"].as_u64()),
        (Some("decimal"), Some(31), Some(7))
    );
    assert_eq!(amount["isKey"], false);
    assert!(column("Part").get("precision").is_none(), "only decimals carry precision and scale");
    let created = emu.http.post(fact_url).bearer_auth(&token).json(&json!({})).send().await.unwrap();
    assert_eq!(created.status(), 201);

    // Public dimensions: the list, one, its metadata.
    let (_, dims) = call(&emu, &token, Method::GET, "/publicDimensions", None).await;
    assert_eq!(dims["publicDimensions"][0]["publicDimensionID"], "ZEPPART_001");
    let (status, dim) = call(&emu, &token, Method::GET, "/publicDimensions/ZEPPART_001", None).await;
    assert_eq!(status, 200, "{dim}");
    assert_eq!(dim["importTypes"][0]["importType"], "publicDimensionData");
    assert!(dim["importTypeUrls"]["publicDimensionData"].as_str().unwrap().ends_with("/publicDimensionData"));
    let (status, dim_metadata) = call(&emu, &token, Method::GET, "/publicDimensions/ZEPPART_001/metadata", None).await;
    assert_eq!(status, 200);
    assert_eq!(dim_metadata["publicDimensionData"]["keys"], json!(["ID"]));
    let attributes = dim_metadata["publicDimensionData"]["columns"].as_array().unwrap();
    assert!(attributes.iter().any(|c| c["columnName"] == "ID" && c["isKey"] == true));
    assert!(attributes.iter().any(|c| c["columnName"] == "Description" && c["isKey"] == false));
    for path in ["/publicDimensions/NOPE", "/publicDimensions/NOPE/metadata", "/publicDimensions/SALES_PLAN"] {
        let (status, _) = call(&emu, &token, Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn job_ids_are_uuids_and_sap_samples_body_creates_a_job() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let job = new_job(&emu, &token, json!({})).await;
    let groups: Vec<usize> = job.split('-').map(str::len).collect();
    assert_eq!(groups, vec![8, 4, 4, 4, 12], "{job}");

    // What sacapi 1.0.1's upload() sends: one object, then stray text (its
    // JobSettings, not even valid JSON), no Content-Type. The first value
    // counts; the stray CleanAndReplace is ignored.
    let body = r#"{ "Mapping": {"Date": "Date", "Part": "Part", "Country": "Country", "Amount": "Amount", "Quantity": "Quantity"} }, "JobSettings": { "importMethod": CleanAndReplace} "#;
    let (status, created) = post_raw(&emu, &token, "/models/SALES_PLAN/factData", body).await;
    assert_eq!(status, 201, "{created}");
    let job = created["jobID"].as_str().unwrap();
    let rows = r#"{ "Data": [{"Version": "public.Plan", "Date": "202609", "Part": "P0001", "Country": "DE", "Amount": "9", "Quantity": "1"}] }"#;
    let (status, uploaded) = post_raw(&emu, &token, &format!("/jobs/{job}"), rows).await;
    assert_eq!(status, 201, "{uploaded}");
    let (_, validated) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/validate"), None).await;
    assert_eq!(validated["failedNumberRows"], 0);
    assert!(validated.get("additionalInformation").is_none(), "Update, not the stray CleanAndReplace: {validated}");
    let (_, done) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED");
    let actual = emu.get("/emulator/models/t.G:SALES_PLAN/rows?limit=100000&Version=public.Actual").await;
    let actual: Value = actual.json().await.unwrap();
    assert!(actual["total"].as_u64().unwrap() > 1, "nothing was cleaned");

    // Only the first value is read: a body that does not start with one is refused.
    let (code, message) = refusal(post_raw(&emu, &token, "/models/SALES_PLAN/factData", "Mapping: {}").await);
    assert_eq!(code, "1006");
    assert!(message.starts_with("Request body is incorrect or missing."), "{message}");
}

#[tokio::test]
async fn numbered_errors_of_job_creation() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let create = |body: Value| {
        let (emu, token) = (&emu, &token);
        async move { call(emu, token, Method::POST, "/models/SALES_PLAN/factData", Some(body)).await }
    };
    assert_eq!(refusal(create(json!([1, 2])).await).0, "1006");
    assert_eq!(refusal(create(json!({"JobSettings": {"importMethod": 5}})).await).0, "1006");
    assert_eq!(refusal(create(json!({"Mapping": ["Part"]})).await).0, "1008");
    assert_eq!(refusal(create(json!({"Mapping": {"Part": 5}})).await).0, "1008");
    assert_eq!(refusal(create(json!({"Mapping": {"Part": ""}})).await).0, "1009");
    let (code, message) = refusal(create(json!({"Mapping": {"Bogus": "X", "Part": "MATERIAL"}})).await);
    assert_eq!(code, "1004");
    assert!(message.contains("on the model. Bogus (the columns"), "only the unknown field is named: {message}");
    let (code, _) =
        refusal(create(json!({"JobSettings": {"importMethod": "CleanAndReplace", "dimensionScope": ["Nope"]}})).await);
    assert_eq!(code, "1004");

    // A CSV body: the import type comes from its header.
    let csv = |text: &'static str| {
        emu.http
            .post(emu.api(&format!("{DI}/models/SALES_PLAN")))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(text)
            .send()
    };
    let created = csv("Version,Date,Part,Country,Amount\npublic.Plan,202601,P0001,DE,1\n").await.unwrap();
    assert_eq!(created.status(), 201);
    let (status, body) = {
        let r = csv("Version,Date,Bicycle\n").await.unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    let (code, message) = refusal((status, body));
    assert_eq!(code, "1005");
    assert!(message.contains("Bicycle, which is not a column of SALES_PLAN"), "{message}");

    // Without an import type in the URL SAC infers it from the Mapping, else 1005.
    let (code, message) = refusal(call(&emu, &token, Method::POST, "/models/SALES_PLAN", Some(json!({}))).await);
    assert_eq!(code, "1005");
    assert!(message.starts_with("Unable to infer import type."), "{message}");
    let (status, created) =
        call(&emu, &token, Method::POST, "/models/SALES_PLAN", Some(json!({"Mapping": {"Part": "MATERIAL"}}))).await;
    assert_eq!(status, 201, "{created}");
    let (_, jobs) = call(&emu, &token, Method::GET, "/jobs", None).await;
    assert_eq!(jobs[0]["importType"], "factData");
    // A Mapping sent with a chunk is checked the same way.
    let job = created["jobID"].as_str().unwrap();
    let chunk = json!({"Mapping": {"Nope": "Part"}, "Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]});
    assert_eq!(refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(chunk)).await).0, "1004");
    assert_eq!(
        refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(json!({"rows": []}))).await).0,
        "1202"
    );
}

#[tokio::test]
async fn numbered_errors_of_the_job_states() {
    let emu = start_with(Config { clock: ClockMode::Polls { polls: 5 }, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;

    // 1011: a run with no valid row writes nothing and fails; the job stays validated.
    let job = new_job(&emu, &token, json!({})).await;
    let (code, message) = refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await);
    assert_eq!(code, "1011");
    assert!(message.starts_with("Temporary storage does not contain valid records."), "{message}");
    let bad = json!({"Data": [fact("public.Nope", "202601", "P0001", "DE", "1"), fact("public.Plan", "209913", "P0001", "DE", "1")]});
    // The bad month is refused on arrival; the unknown version is stored
    // and fails validation: every stored row is invalid, SAC's 1033 (SAP
    // help f99e725f), not 1011 (no valid row pushed at all).
    let (_, uploaded) = call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(bad)).await;
    assert_eq!((uploaded["upsertedNumberRows"].as_u64(), uploaded["failedNumberRows"].as_u64()), (Some(1), Some(1)));
    let (code, message) = refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await);
    assert_eq!(code, "1033");
    assert!(message.starts_with("Every row in temporary storage is invalid."), "{message}");
    let (_, status) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!(status["jobStatus"], "READY_FOR_WRITE");
    assert_eq!(status["additionalInformation"], json!({"totalNumberRowsInJob": "1", "failedNumberRows": "1"}));
    // A valid row later makes the job runnable.
    let good = json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]});
    call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(good.clone())).await;
    let (status, running) = call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!((status.as_u16(), running["jobStatus"].as_str()), (201, Some("PROCESSING")), "{running}");

    // 1010 while it is written, 1001 once it has ended.
    for (method, path, body) in [
        (Method::POST, format!("/jobs/{job}"), Some(good.clone())),
        (Method::POST, format!("/jobs/{job}/validate"), None),
        (Method::POST, format!("/jobs/{job}/run"), None),
    ] {
        let (code, message) = refusal(call(&emu, &token, method, &path, body).await);
        assert_eq!(code, "1010", "{path}");
        assert!(message.starts_with("Request already in progress."), "{message}");
    }
    loop {
        let (_, status) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
        if status["jobStatus"] == "COMPLETED" {
            break;
        }
        assert_eq!(status["jobStatus"], "PROCESSING");
    }
    let (code, message) = refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}"), Some(good)).await);
    assert_eq!(code, "1001");
    assert!(message.starts_with("Request job action is not supported.") && message.contains("COMPLETED"), "{message}");
    assert_eq!(refusal(call(&emu, &token, Method::POST, &format!("/jobs/{job}/run"), None).await).0, "1001");
}

#[tokio::test]
async fn active_jobs_are_limited_per_user_and_per_model() {
    let limits = ImportLimits { active_jobs_per_user: 3, active_jobs_per_model: 2, ..ImportLimits::default() };
    let emu = start_with(Config { clock: ClockMode::Immediate, import_limits: limits, ..Config::default() }).await;
    let client = emu.client_credentials_token().await;
    let user = emu.password_token("JDOE").await;
    let first = new_job(&emu, &client, json!({})).await;
    new_job(&emu, &client, json!({})).await;
    // The model has two open jobs: nobody gets a third.
    let (code, message) =
        refusal(call(&emu, &user, Method::POST, "/models/SALES_PLAN/factData", Some(json!({}))).await);
    assert_eq!(code, "1007");
    assert!(message.starts_with("Current modelID reached limit or maximum number of active jobs."), "{message}");
    // Other targets still take jobs, up to the caller's own limit.
    let (status, _) =
        call(&emu, &client, Method::POST, "/publicDimensions/ZEPPART_001/publicDimensionData", Some(json!({}))).await;
    assert_eq!(status, 201);
    let (code, message) = refusal(
        call(&emu, &client, Method::POST, "/publicDimensions/ZEPPART_001/publicDimensionData", Some(json!({}))).await,
    );
    assert_eq!(code, "1002");
    assert!(message.starts_with("Current user reached limit of maximum number of active jobs."), "{message}");
    // Running or deleting a job frees its place.
    let (status, _) = call(&emu, &client, Method::DELETE, &format!("/jobs/{first}"), None).await;
    assert_eq!(status, 204);
    let freed = new_job(&emu, &user, json!({})).await;
    let rows = json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]});
    call(&emu, &user, Method::POST, &format!("/jobs/{freed}"), Some(rows)).await;
    let (_, done) = call(&emu, &user, Method::POST, &format!("/jobs/{freed}/run"), None).await;
    assert_eq!(done["jobStatus"], "COMPLETED");
    new_job(&emu, &user, json!({})).await;
}

#[tokio::test]
async fn public_apis_on_the_browser_domain_without_a_session_get_the_login_page() {
    let emu = start().await;
    for path in [
        "/api/v1/dataimport/models",
        "/api/v1/dataimport/jobs",
        "/api/v1/dataexport/administration/Namespaces(NamespaceID='sac')/Providers",
        "/api/v1/dataexport/providers/sac/SALES_PLAN/AuditData",
        "/api/v1/multiActions/t.G:MA_PLAN/executions/nope",
    ] {
        let on_tenant = emu.http.get(emu.tenant(path)).send().await.unwrap();
        assert!(is_login_page(on_tenant).await, "{path} on the browser domain");
        let on_api = emu.http.get(emu.api(path)).send().await.unwrap();
        assert_eq!(on_api.status(), 401, "{path} on the API domain");
    }
    let post = emu.http.post(emu.tenant("/api/v1/dataimport/models/SALES_PLAN/factData")).json(&json!({}));
    assert!(is_login_page(post.send().await.unwrap()).await);
    // A bad token is still a 401, on either domain.
    let bad = emu.http.get(emu.tenant("/api/v1/dataimport/models")).bearer_auth("nope").send().await.unwrap();
    assert_eq!(bad.status(), 401);
}

/// SAP's 1603 ("Job ID not found", page hash f99e725f) on every job route,
/// with 404 as the job routes' pages list it; someone else's job keeps the
/// plain 404 that does not tell whether it exists.
#[tokio::test]
async fn an_unknown_job_is_1603_on_every_job_route() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let unknown = "0b3c2a4e-5f60-4711-8a9b-0c1d2e3f4a5b";
    let rows = json!({"Data": [fact("public.Plan", "202601", "P0001", "DE", "1")]});
    let routes = [
        (Method::POST, format!("/jobs/{unknown}"), Some(rows)),
        (Method::POST, format!("/jobs/{unknown}/validate"), None),
        (Method::POST, format!("/jobs/{unknown}/run"), Some(json!({}))),
        (Method::GET, format!("/jobs/{unknown}/status"), None),
        (Method::GET, format!("/jobs/{unknown}/invalidRows"), None),
        (Method::DELETE, format!("/jobs/{unknown}"), None),
    ];
    for (method, path, body) in routes {
        let (status, body) = call(&emu, &token, method.clone(), &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert_eq!(body["error"]["code"], "1603", "{method} {path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("Job ID not found.") && message.ends_with("[1603]"), "{message}");
        assert!(message.contains(unknown), "{message}");
    }

    // A deleted job is unknown from then on.
    let job = new_job(&emu, &token, json!({})).await;
    let (status, _) = call(&emu, &token, Method::DELETE, &format!("/jobs/{job}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = call(&emu, &token, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (404, Some("1603")), "{body}");

    let job = new_job(&emu, &token, json!({})).await;
    let user = emu.password_token("JDOE").await;
    let (status, body) = call(&emu, &user, Method::GET, &format!("/jobs/{job}/status"), None).await;
    assert_eq!((status.as_u16(), body["error"]["code"].as_str()), (403, Some("1012")), "{body}");
}
