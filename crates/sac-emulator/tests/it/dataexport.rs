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
    assert!(xml.contains("<Property Name=\"Amount\" Type=\"Edm.Decimal\"/>"));

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

    let (_, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$top=3&$select=Part,Amount").await;
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    assert!(page.get("@odata.nextLink").is_none(), "$top=3 is all the client wants");
    assert_eq!(page["value"][0].as_object().unwrap().len(), 2);
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
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$filter=Amount gt 5").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$select=Bogus").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$top=x").await.0, 400);
    assert_eq!(get(&emu, &token, "/providers/sac/SALES_PLAN/FactData?$orderby=Part").await.0, 501);
    assert_eq!(get(&emu, "bad-token", "/providers/sac/SALES_PLAN/FactData").await.0, 401);
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.clients[0].access = vec!["Data Import Service".into()];
    emu.http.post(emu.tenant("/emulator/tenant")).body(tenant.to_toml()).send().await.unwrap();
    let token = emu.client_credentials_token().await;
    let (status, body) = get(&emu, &token, "/providers/sac/SALES_PLAN/FactData").await;
    assert_eq!(status, 400);
    assert!(body.contains("3401"));
    let user = emu.password_token("VIEWER").await;
    assert_eq!(get(&emu, &user, "/providers/sac/SALES_PLAN/FactData").await.0, 200, "users may read");
}
