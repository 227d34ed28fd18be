//! The Data Export API's other namespaces and values at their bounds, over HTTP: a tenant file's
//! own currency table (loaded, listed, read, limited), the refusal of values beyond the measures'
//! DECIMAL(31, 7) (never `inf`, never a silent null), and the store's conversion tables as a
//! Data Import job would write them, read back through the API.

use serde_json::{json, Value};

use crate::support::*;

const DE: &str = "/api/v1/dataexport";

async fn get_json(emu: &Emu, token: &str, path: &str) -> (u16, Value) {
    let response = emu.http.get(emu.api(&format!("{DE}{path}"))).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn row(pairs: &[(&str, &str)]) -> sac_emulator::tenant::Row {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The demo tenant with a currency table of its own and two facts too large for DECIMAL(31, 7).
fn tenant() -> sac_emulator::Tenant {
    let mut tenant = sac_emulator::Tenant::demo();
    tenant.currency_tables.push(sac_emulator::tenant::CurrencyTableDef {
        id: "FX_DAILY".into(),
        description: "Daily rates".into(),
        rates: vec![
            row(&[
                ("category", "Actuals"),
                ("rateType", "Closing"),
                ("rateVersion", ""),
                ("fromCurr", "JPY"),
                ("toCurr", "EUR"),
                ("validFrom", "20260102"),
                ("rateValue", "0.0061"),
            ]),
            row(&[
                ("category", "Actuals"),
                ("rateType", "Closing"),
                ("rateVersion", ""),
                ("fromCurr", "JPY"),
                ("toCurr", "EUR"),
                ("validFrom", "20260105"),
                ("rateValue", "0.0062"),
            ]),
        ],
    });
    let opex = tenant.models.iter_mut().find(|m| m.id == "OPEX_PLAN").unwrap();
    for cc in ["CC100", "CC110"] {
        opex.facts.push(row(&[
            ("Version", "public.Plan"),
            ("Date", "202612"),
            ("Account", "RENT"),
            ("CostCenter", cc),
            ("Amount", "1e308"),
        ]));
    }
    tenant
}

#[tokio::test]
async fn a_tenant_files_currency_table_is_listed_read_and_limited() {
    let emu = start().await;
    emu.load_tenant_toml(tenant().to_toml()).await;
    let token = emu.client_credentials_token().await;
    let (_, providers) = get_json(&emu, &token, "/administration/Namespaces('sac_currency_tables')/Providers").await;
    let ids: Vec<&str> =
        providers["value"].as_array().unwrap().iter().map(|p| p["ProviderID"].as_str().unwrap()).collect();
    assert_eq!(ids, ["t.G:CPL_CURRENCY_RATES", "t.G:FX_DAILY"]);
    assert_eq!(providers["value"][1]["Description"], "Daily rates");
    let (status, page) = get_json(&emu, &token, "/providers/sac_currency_tables/FX_DAILY/CurrencyTable").await;
    assert_eq!(status, 200, "{page}");
    let dates: Vec<&str> = page["value"].as_array().unwrap().iter().map(|r| r["validFrom"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-01-02", "2026-01-05"], "YYYYMMDD stored as YYYY-MM-DD");
    let (_, distinct) = get_json(&emu, &token, "/providers/sac_currency_tables/t.G:FX_DAILY/fromCurr___Distinct").await;
    assert_eq!(distinct["value"], json!([{"rate": "t.G:FX_DAILY", "fromCurr": "JPY"}]));
    let (_, metadata) =
        get_json(&emu, &token, "/providers/sac_currency_tables/t.G:FX_DAILY/$metadata?$format=JSON").await;
    let key = &metadata["sac"]["CurrencyTable"]["$Key"];
    assert_eq!(key, &json!(["rate", "category", "rateType", "rateVersion", "fromCurr", "toCurr", "validFrom"]));
    assert_eq!(metadata["sac"]["CurrencyTable"]["rateValue"]["$Type"], "Edm.Decimal");
}

#[tokio::test]
async fn values_beyond_the_measures_type_are_refused_with_4202_never_inf_or_null() {
    let emu = start().await;
    emu.load_tenant_toml(tenant().to_toml()).await;
    let token = emu.client_credentials_token().await;
    let opex = "/providers/sac/OPEX_PLAN";
    // One fact alone is beyond DECIMAL(31, 7): JSON and CSV refuse the page that holds it.
    for format in ["", "&$format=text/csv"] {
        let (status, body) =
            get_json(&emu, &token, &format!("{opex}/FactData?$filter=Version%20eq%20'public.Plan'{format}")).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(body["error"]["code"], "4202", "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("Amount"), "{body}");
    }
    // Their sum overflows a double: refused too, not shown as null.
    let (status, body) = get_json(
        &emu,
        &token,
        &format!("{opex}/FactDataAggregation?$select=Version,Amount&$filter=Version%20eq%20'public.Plan'"),
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (500, Some("4202")), "{body}");
    // Grouped over every version the sum overflows as well; the Actual facts still read, plain digits.
    let (status, page) = get_json(&emu, &token, &format!("{opex}/FactDataAggregation?$select=Version,Amount")).await;
    assert_eq!(status, 500, "the aggregate over every version holds the overflow too: {page}");
    let (status, page) =
        get_json(&emu, &token, &format!("{opex}/FactData?$filter=Version%20eq%20'public.Actual'&$format=text/csv"))
            .await;
    assert_eq!(status, 200);
    let csv = page.as_str().unwrap();
    assert!(!csv.contains("inf") && !csv.contains("e+") && !csv.contains("null"), "{csv}");
}
