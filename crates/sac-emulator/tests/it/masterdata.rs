//! The Data Export API's master data and derived sets: `<Dim>Master` with
//! Description and attributes, `<Dim>MasterWithHierarchy`, `MasterData`,
//! `FactDataAggregation`, and `AuditData` written by the engine's own
//! fact writes.

use reqwest::Method;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::support::*;

const DE: &str = "/api/v1/dataexport/providers/sac";

async fn get(emu: &Emu, token: &str, path: &str) -> (u16, Value) {
    let r = emu.http.get(emu.api(&format!("{DE}{path}"))).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn values(body: &Value) -> Vec<Value> {
    body["value"].as_array().unwrap_or_else(|| panic!("no value in {body}")).clone()
}

#[tokio::test]
async fn master_sets_carry_description_attributes_and_the_type_markers() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (_, versions) = get(&emu, &token, "/SALES_PLAN/VersionMaster").await;
    let versions = values(&versions);
    assert_eq!(versions[0], json!({"ID": "public.Actual", "Description": "Actual", "VERSION": "Actual"}));
    let (_, dates) = get(&emu, &token, "/SALES_PLAN/DateMaster").await;
    let dates = values(&dates);
    assert_eq!(dates.len(), 12, "the model's time range, not only months with facts");
    assert_eq!(dates[0], json!({"ID": "202601", "Description": "Jan 2026", "DATE": "202601"}));
    let (_, countries) = get(&emu, &token, "/SALES_PLAN/CountryMaster?$filter=ID eq 'DE'").await;
    assert_eq!(values(&countries), [json!({"ID": "DE", "Description": "Germany"})]);
    let (_, parts) = get(&emu, &token, "/SALES_PLAN/PartMaster?$top=1").await;
    let part = &values(&parts)[0];
    assert_eq!(part["ID"], "P0001");
    assert_eq!(part["Description"], "", "no description loaded: empty, but present");
    assert!(part["Country"].is_string());
    let (_, accounts) = get(&emu, &token, "/OPEX_PLAN/AccountMaster?$orderby=ID desc").await;
    let accounts = values(&accounts);
    assert_eq!(accounts[0], json!({"ID": "TRAVEL", "Description": "Travel", "accType": "EXP"}));
    // A measure is not a dimension: no master set (sacapi asks for it and reads JSON).
    let (status, body) = get(&emu, &token, "/SALES_PLAN/AmountMaster").await;
    assert_eq!(status, 404);
    assert!(body.is_object(), "an error in JSON: {body}");
}

#[tokio::test]
async fn hierarchies_show_the_parent_only_with_hierarchy() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, tree) = get(&emu, &token, "/OPEX_PLAN/CostCenterMasterWithHierarchy").await;
    assert_eq!(status, 200, "{tree}");
    let tree = values(&tree);
    assert_eq!(tree.len(), 6);
    let by_id = |id: &str| tree.iter().find(|r| r["ID"] == id).unwrap().clone();
    assert_eq!(by_id("CC100")["H1_PARENTID"], "CC_ADMIN");
    assert_eq!(by_id("CC_ADMIN")["H1_PARENTID"], "CC_ALL");
    assert!(by_id("CC_ALL").get("H1_PARENTID").is_none(), "the top has no parent column");
    let (_, flat) = get(&emu, &token, "/OPEX_PLAN/CostCenterMaster").await;
    assert!(values(&flat).iter().all(|r| r.get("H1_PARENTID").is_none() && r.get("H1").is_none()));
    let (status, _) = get(&emu, &token, "/SALES_PLAN/PartMasterWithHierarchy").await;
    assert_ne!(status, 200, "Part has no hierarchy");
    let (_, service) = get(&emu, &token, "/OPEX_PLAN").await;
    let names: Vec<&str> = service["value"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"CostCenterMasterWithHierarchy"));
    assert!(names.contains(&"MasterData") && names.contains(&"FactDataAggregation"));
    assert!(!names.contains(&"AuditData"), "auditing is off for OPEX_PLAN");
    assert!(!names.contains(&"AccountMasterWithHierarchy"));
}

#[tokio::test]
async fn master_data_joins_the_facts_with_their_members() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, body) = get(&emu, &token, "/SALES_PLAN/MasterData").await;
    assert_eq!(status, 200, "{body}");
    let rows = values(&body);
    assert_eq!(rows.len(), 10, "ten parts, each in one country, hold facts");
    assert_eq!(rows[0]["Part.ID"], "P0001");
    assert!(rows[0]["Country.ID"].is_string());
    assert!(rows[0]["Country.Description"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(rows[0].get("Version.ID").is_none(), "only generic and account dimensions");
    let (_, body) = get(&emu, &token, "/OPEX_PLAN/MasterData?$top=1").await;
    let row = &values(&body)[0];
    assert_eq!(row["Account.accType"], "EXP");
    assert!(row["CostCenter.Description"].is_string());
}

#[tokio::test]
async fn fact_data_aggregation_groups_by_the_selected_columns() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (_, facts) = get(&emu, &token, "/SALES_PLAN/FactData").await;
    let facts = values(&facts);
    let total: f64 = facts.iter().map(|r| r["Amount"].as_f64().unwrap()).sum();
    let (status, body) = get(&emu, &token, "/SALES_PLAN/FactDataAggregation?$select=Version,Amount").await;
    assert_eq!(status, 200, "{body}");
    let rows = values(&body);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["Version"], "public.Actual");
    assert!((rows[0]["Amount"].as_f64().unwrap() - total).abs() < 1e-6);
    assert!(rows[0].get("Quantity").is_none() && rows[0].get("Part").is_none());

    let (_, body) = get(
        &emu,
        &token,
        "/SALES_PLAN/FactDataAggregation?$select=Date,Quantity&$filter=Part eq 'P0001' or Part eq 'P0002'&$orderby=Date desc",
    )
    .await;
    let rows = values(&body);
    assert_eq!(rows.len(), 6, "six months");
    assert_eq!(rows[0]["Date"], "202606");
    let expected: f64 = facts
        .iter()
        .filter(|r| r["Date"] == "202606" && (r["Part"] == "P0001" || r["Part"] == "P0002"))
        .map(|r| r["Quantity"].as_f64().unwrap())
        .sum();
    assert!(expected > 0.0);
    assert_eq!(rows[0]["Quantity"].as_f64().unwrap(), expected);
    let (status, _) = get(&emu, &token, "/SALES_PLAN/FactDataAggregation?$select=Nope").await;
    assert_eq!(status, 400);
}

async fn import(emu: &Emu, token: &str, rows: Value) {
    let di = |path: &str| emu.api(&format!("/api/v1/dataimport{path}"));
    let send = |method: Method, url: String, body: Option<Value>| {
        let mut r = emu.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    let created: Value =
        send(Method::POST, di("/models/SALES_PLAN/factData"), Some(json!({}))).await.unwrap().json().await.unwrap();
    let job = created["jobID"].as_str().unwrap().to_string();
    assert_eq!(
        send(Method::POST, di(&format!("/jobs/{job}")), Some(json!({"Data": rows}))).await.unwrap().status(),
        201
    );
    assert_eq!(send(Method::POST, di(&format!("/jobs/{job}/validate")), None).await.unwrap().status(), 201);
    let run: Value = send(Method::POST, di(&format!("/jobs/{job}/run")), None).await.unwrap().json().await.unwrap();
    assert_eq!(run["jobStatus"], "COMPLETED", "{run}");
}

#[tokio::test]
async fn audit_data_shows_the_emulators_own_writes_with_before_and_after() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let (status, body) = get(&emu, &token, "/SALES_PLAN/AuditData").await;
    assert_eq!((status, values(&body).len()), (200, 0), "the seed facts are not changes");

    // One new fact and one changed fact (P0001 DE 202601 is seeded).
    let (_, seeded) = get(&emu, &token, "/SALES_PLAN/FactData?$filter=Part eq 'P0001' and Date eq '202601'").await;
    let seeded = values(&seeded)[0].clone();
    import(
        &emu,
        &token,
        json!([
            {"Version": "public.Actual", "Date": "202601", "Part": "P0001", "Country": seeded["Country"], "Amount": "5000"},
            {"Version": "public.Plan", "Date": "202607", "Part": "P0001", "Country": "DE", "Amount": "10557.33", "Quantity": "3"},
        ]),
    )
    .await;
    let (_, body) = get(&emu, &token, "/SALES_PLAN/AuditData").await;
    let rows = values(&body);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let changed = rows.iter().find(|r| r["Version"] == "public.Actual").unwrap();
    assert_eq!(changed["Audit_User"], "sacctl-api");
    assert!(changed["Audit_Time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(changed["Audit_Old_Amount"], seeded["Amount"]);
    assert_eq!(changed["Audit_New_Amount"], 5000.0);
    assert_eq!(changed["Audit_Flag_Amount"], 1);
    assert_eq!(changed["Audit_Old_Quantity"], changed["Audit_New_Quantity"], "Quantity kept");
    assert_eq!(changed["Audit_Flag_Quantity"], 0);
    let new = rows.iter().find(|r| r["Version"] == "public.Plan").unwrap();
    assert_eq!(new["Audit_Old_Amount"], Value::Null);
    assert_eq!(new["Audit_New_Amount"], 10557.33);
    assert_eq!(new["Audit_Delta_Amount"], 10557.33);
    assert_eq!(new["Audit_Flag_Amount"], 2);

    // A multi action's copy of Actual into Plan is logged as the user who ran it.
    let user = emu.password_token("JDOE").await;
    let started = emu
        .http
        .post(emu.api("/api/v1/multiActions/t.G:MA_LOAD_ZEPPART/executions"))
        .bearer_auth(&user)
        .json(&json!({"parameterValues": [{"parameterId": "TargetVersion", "value": {"memberIds": ["public.Plan"], "hierarchyId": null}}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let (_, body) = get(&emu, &token, "/SALES_PLAN/AuditData?$filter=Audit_User eq 'JDOE'").await;
    let by_jdoe = values(&body);
    // The Plan row written above is deleted, then the 60 Actual rows are copied in.
    assert_eq!(by_jdoe.len(), 61, "{}", by_jdoe.len());
    assert_eq!(by_jdoe.iter().filter(|r| r["Audit_Flag_Amount"] == 3).count(), 1);

    // Only technical clients read AuditData; a model without auditing answers [3905].
    let (status, _) = get(&emu, &user, "/SALES_PLAN/AuditData").await;
    assert_eq!(status, 403);
    let (status, body) = get(&emu, &token, "/OPEX_PLAN/AuditData").await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("[3905]"), "{body}");
}
