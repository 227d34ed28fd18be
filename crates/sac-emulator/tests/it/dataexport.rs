//! The Data Export API: providers, metadata, paged and filtered fact data, master data.

use sac_emulator::{ClockMode, Config};
use serde_json::Value;

use crate::support::*;

const DE: &str = "/api/v1/dataexport";

async fn get(emu: &Emu, token: &str, path: &str) -> (u16, String) {
    let r = emu.http.get(emu.api(&format!("{DE}{path}"))).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn providers_metadata_and_paged_fact_data() {
    let emu = start_with(Config { clock: ClockMode::Immediate, export_page_size: 25, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let (status, body) = get(&emu, &token, "/administration/Namespaces(NamespaceID='sac')/Providers").await;
    assert_eq!(status, 200, "{body}");
    let providers: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(providers["value"][0]["ProviderID"], "SALES_PLAN");
    let (status, xml) = get(&emu, &token, "/providers/sac/SALES_PLAN/$metadata").await;
    assert_eq!(status, 200);
    assert!(xml.contains("<EntityType Name=\"FactData\">"));

    // 60 Actual rows in pages of 25: follow @odata.nextLink.
    let mut url = emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactData?$filter=Version eq 'public.Actual'"));
    let mut rows = Vec::new();
    let mut pages = 0;
    loop {
        let page: Value = emu.http.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        pages += 1;
        rows.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!((rows.len(), pages), (60, 3));
    assert!(rows[0]["Amount"].is_number());
    let keys: std::collections::BTreeSet<String> = rows.iter().map(|r| format!("{}{}", r["Part"], r["Date"])).collect();
    assert_eq!(keys.len(), 60, "no row twice across pages");

    let (_, body) =
        get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$top=3&$select=Version,Date,Part,Country,Amount").await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    assert!(page.get("@odata.nextLink").is_none(), "$top=3 is all the client wants");
    assert_eq!(page["value"][0].as_object().unwrap().len(), 5, "Quantity is not selected");
    let (_, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/PartMaster").await;
    let parts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parts["value"][0]["ID"], "P0001");
    let (_, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/VersionMaster").await;
    assert!(body.contains("public.Forecast"));
}

#[tokio::test]
async fn refusals() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    assert_eq!(get(&emu, &token, "/providers/sac/NOPE/FactData").await.0, 404);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/Nope").await.0, 404);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$filter=Amount gt '5'").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$select=Bogus").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$top=x").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$orderby=Bogus").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$apply=x").await.0, 501);
    assert_eq!(get(&emu, "bad-token", "/providers/sac/SALES_PLAN/FactData").await.0, 401);
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.clients[0].access = vec!["Data Import Service".into()];
    emu.load_tenant_toml(tenant.to_toml()).await;
    let token = emu.client_credentials_token().await;
    let (status, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/FactData").await;
    assert_eq!(status, 400);
    assert!(body.contains("3401"));
    let user = emu.password_token("VIEWER").await;
    assert_eq!(get(&emu, &user, "/providers/sac/SALES_PLAN/FactData").await.0, 200, "users may read");
}

/// Every row of a FactData query, following `@odata.nextLink`.
async fn all_rows(emu: &Emu, token: &str, query: &str) -> Vec<Value> {
    let mut url = emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactData?{query}"));
    let mut rows = Vec::new();
    loop {
        let response = emu.http.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let page: Value = response.json().await.unwrap();
        rows.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return rows,
        }
    }
}

#[tokio::test]
async fn filters_orderby_and_select() {
    let emu = start_with(Config { clock: ClockMode::Immediate, export_page_size: 25, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let count = |filter: &'static str| {
        let (emu, token) = (&emu, &token);
        async move { all_rows(emu, token, &format!("$filter={filter}")).await.len() }
    };
    // `or` used to answer 200 with no rows.
    assert_eq!(count("Version eq 'public.Actual' or Version eq 'public.Plan'").await, 60);
    assert_eq!(count("Date eq '202601' or Date eq '202602'").await, 20);
    assert_eq!(count("Version eq 'public.Actual' and (Date eq '202601' or Date eq '202602')").await, 20);
    assert_eq!(count("not (Date le '202603') and startswith(Part, 'P000')").await, 27);
    assert_eq!(count("contains(Part, '10') and endswith(Date, '06')").await, 1);
    assert_eq!(count("Date ge '202602' and Date lt '202604' and Part ne 'P0001'").await, 18);
    let (high, low) = (count("Amount gt 1500").await, count("not (Amount gt 1500)").await);
    assert_eq!(high + low, 60, "a measure filter and its negation cover every row");
    assert!(high > 0 && low > 0);

    // Several columns, mixed directions, across pages of 25 (offset paging).
    let rows = all_rows(&emu, &token, "$orderby=Date desc,Part asc").await;
    assert_eq!(rows.len(), 60);
    let keys: Vec<(String, String)> =
        rows.iter().map(|r| (r["Date"].as_str().unwrap().into(), r["Part"].as_str().unwrap().into())).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(keys, sorted);
    assert_eq!(keys[0], ("202606".to_string(), "P0001".to_string()));
    let by_amount = all_rows(&emu, &token, "$orderby=Amount desc&$filter=Date eq '202601'").await;
    let amounts: Vec<f64> = by_amount.iter().map(|r| r["Amount"].as_f64().unwrap()).collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");

    // $select without every key column: SAC's 1402.
    let (status, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$select=Part,Amount").await;
    assert_eq!(status, 400);
    assert!(body.contains("[1402]") && body.contains("Version, Date, Country"), "{body}");
    // Filter refusals say what is wrong.
    let (status, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$filter=Version eq 'x' or").await;
    assert_eq!(status, 400);
    assert!(body.contains("ends where it expects a condition"), "{body}");
    // Master data filters with the same grammar.
    let (_, body) =
        get(&emu, &token, "/providers/sac/SALES_PLAN/PartMaster?$filter=ID eq 'P0001' or ID eq 'P0002'").await;
    let parts: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(parts["value"].as_array().unwrap().len(), 2, "{body}");
}

/// A `$filter` nested thousands deep, a thousand `or` terms or thousands of
/// `$orderby` keys once overflowed the stack (the whole emulator aborted) or
/// answered 500. Each is now a 400 saying what is over the bound, and the
/// emulator keeps answering.
#[tokio::test]
async fn hostile_queries_are_refused_and_the_emulator_lives_on() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let set = "/providers/sac/SALES_PLAN/FactData";
    let deep = format!("{}Version eq 'public.Actual'{}", "(".repeat(3_000), ")".repeat(3_000));
    let nots = format!("{}Version eq 'public.Actual'", "not ".repeat(1_500));
    let ors = vec!["Version eq 'public.Actual'"; 1_000].join(" or ");
    let keys = vec!["Date"; 2_500].join(",");
    for (query, says) in [
        (format!("$filter={deep}"), "deeper than"),
        (format!("$filter={nots}"), "deeper than"),
        (format!("$filter={ors}"), "more than 200 conditions"),
        (format!("$orderby={keys}"), "Date twice"),
    ] {
        let url = reqwest::Url::parse_with_params(&emu.api(&format!("{DE}{set}")), [(query.split_once('=').unwrap())])
            .unwrap();
        let r = emu.http.get(url).bearer_auth(&token).send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_eq!(status, 400, "{says}: {body}");
        assert!(body.contains(says), "{says}: {body}");
    }
    let (status, body) = get(&emu, &token, &format!("{set}?$top=1")).await;
    assert_eq!(status, 200, "still answering: {body}");
}
