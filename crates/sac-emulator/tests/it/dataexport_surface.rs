//! The Data Export API's surface around the facts: paging with `pagesize`
//! and absolute next links, `$count`, CSV, the service document, the
//! namespaces, `$metadata` in both formats and SAC's numbered refusals.

use sac_emulator::{ClockMode, Config};
use serde_json::Value;

use crate::support::*;

const DE: &str = "/api/v1/dataexport";
const SALES: &str = "/api/v1/dataexport/providers/sac/SALES_PLAN";

async fn get_url(emu: &Emu, token: &str, url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = emu.http.get(url).bearer_auth(token).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, r.text().await.unwrap(), headers)
}

async fn get_json(emu: &Emu, token: &str, path: &str) -> (u16, Value) {
    let (status, body, _) = get_url(emu, token, &emu.api(path)).await;
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")))
}

#[tokio::test]
async fn pagesize_pages_through_absolute_links_on_the_host_the_client_used() {
    let emu = start_with(Config { clock: ClockMode::Immediate, export_page_size: 25, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    // Called as localhost (the emulator's URLs say 127.0.0.1): links follow the caller.
    let first = emu.api(&format!("{SALES}/FactData?$filter=Version%20eq%20'public.Actual'&pagesize=7"));
    let mut url = first.replace("127.0.0.1", "localhost");
    assert!(url.contains("localhost"), "{url}");
    let (mut rows, mut sizes) = (Vec::new(), Vec::new());
    loop {
        let (status, body, _) = get_url(&emu, &token, &url).await;
        assert_eq!(status, 200, "{url}: {body}");
        let page: Value = serde_json::from_str(&body).unwrap();
        let value = page["value"].as_array().unwrap();
        sizes.push(value.len());
        rows.extend(value.iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http://localhost:"), "absolute, on the caller's host: {next}");
                assert!(next.contains("pagesize=7") && next.contains("%24filter="), "keeps the options: {next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(sizes, vec![7, 7, 7, 7, 7, 7, 7, 7, 4], "9 pages, the last without a link");
    let keys: std::collections::BTreeSet<String> = rows.iter().map(|r| format!("{}{}", r["Part"], r["Date"])).collect();
    assert_eq!(keys.len(), 60);
    // Exactly a page's worth: no link on the last, full page.
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/FactData?pagesize=60")).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 60);
    assert!(page.get("@odata.nextLink").is_none(), "{}", page["@odata.nextLink"]);
    // $top bounds what pages add up to.
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/FactData?pagesize=4&$top=6&$skiptoken=4")).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert!(page.get("@odata.nextLink").is_none());
    // Master data pages the same way.
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/PartMaster?pagesize=5")).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 5);
    assert!(page["@odata.nextLink"].as_str().unwrap().contains("%24skiptoken=5"));
    for bad in ["pagesize=0", "pagesize=many"] {
        let (status, body) = get_json(&emu, &token, &format!("{SALES}/FactData?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert!(body["error"]["message"].as_str().unwrap().contains("pagesize"), "{body}");
    }
    // A negative page size is SAC's non-blocking 1406 (page dbf30343): the default page size.
    let (status, page) = get_json(&emu, &token, &format!("{SALES}/FactData?pagesize=-3")).await;
    assert_eq!((status, page["value"].as_array().unwrap().len()), (200, 25), "pagesize=-3");
}

#[tokio::test]
async fn count_and_csv() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/FactData?$count=true&$top=0")).await;
    assert_eq!(page["@odata.count"], 60, "{page}");
    assert_eq!(page["value"].as_array().unwrap().len(), 0, "$top=0 counts only");
    let (_, page) =
        get_json(&emu, &token, &format!("{SALES}/FactData?$count=true&$top=3&$filter=Date%20eq%20'202601'")).await;
    assert_eq!((page["@odata.count"].as_i64(), page["value"].as_array().unwrap().len()), (Some(10), 3));
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/PartMaster?$count=true&$top=1")).await;
    assert!(page["@odata.count"].as_i64().unwrap() > 1);
    let (_, page) = get_json(&emu, &token, &format!("{SALES}/FactData?$top=1")).await;
    assert!(page.get("@odata.count").is_none(), "no count unless asked");

    let url = emu.api(&format!("{SALES}/FactData?$format=text/csv&$filter=Date%20eq%20'202601'&$orderby=Part"));
    let (status, csv, headers) = get_url(&emu, &token, &url).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.lines().collect();
    // The model's order, then SAC's nextLink column (page db13b8e7), empty on every row.
    assert_eq!(lines[0], "Version,Date,Part,Country,Amount,Quantity,nextLink", "the model's order");
    assert_eq!(lines.len(), 11);
    assert!(lines[1..].iter().all(|l| l.ends_with(',')), "{lines:?}");
    assert!(lines[1].starts_with("public.Actual,202601,P0001,"), "{}", lines[1]);
    let url = emu.api(&format!("{SALES}/FactData?$format=text/csv&$select=Amount,Version,Date,Part,Country&$top=1"));
    let (_, csv, _) = get_url(&emu, &token, &url).await;
    assert_eq!(csv.lines().next(), Some("Version,Date,Part,Country,Amount,nextLink"));
    let (_, csv, _) = get_url(&emu, &token, &emu.api(&format!("{SALES}/PartMaster?$format=text/csv&pagesize=2"))).await;
    // The set's properties in $metadata order; an empty attribute is an empty cell.
    // Another page follows: one more line, every cell empty but nextLink's.
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[..3], ["ID,Description,Country,nextLink", "P0001,,AT,", "P0002,,IN,"]);
    assert_eq!(lines.len(), 4, "{lines:?}");
    let link = lines[3].strip_prefix(",,,").expect("the link in the last column only");
    assert!(link.starts_with("http://") && link.contains("%24skiptoken=2"), "{link}");
    let (_, next, _) = get_url(&emu, &token, link).await;
    assert_eq!(next.lines().nth(1), Some("P0003,,US,"), "the link reads the next page");
    let (status, _) = get_json(&emu, &token, &format!("{SALES}/FactData?$format=xlsx")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn service_document_namespaces_and_providers() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, providers) = get_json(&emu, &token, &format!("{DE}/administration/Namespaces('sac')/Providers")).await;
    assert_eq!(status, 200);
    let service_url = providers["value"][0]["ServiceURL"].as_str().unwrap().to_string();
    assert!(service_url.ends_with("/providers/sac/SALES_PLAN/"), "{service_url}");
    let (status, _, _) = get_url(&emu, &token, &format!("{service_url}FactData?$top=1")).await;
    assert_eq!(status, 200, "ServiceURL + set name is the set");

    for path in [format!("{SALES}/"), SALES.to_string()] {
        let (status, doc) = get_json(&emu, &token, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(doc["@odata.context"], "$metadata");
        let sets = doc["value"].as_array().unwrap();
        assert_eq!(sets[0], serde_json::json!({"name": "FactData", "url": "FactData"}));
        assert!(sets.iter().any(|s| s["name"] == "PartMaster"));
    }

    let (status, all) = get_json(&emu, &token, &format!("{DE}/administration/Namespaces")).await;
    assert_eq!(status, 200);
    assert_eq!(all["value"][0]["NamespaceID"], "sac");
    for key in ["Namespaces(NamespaceID='sac')", "Namespaces('sac')"] {
        let (status, one) = get_json(&emu, &token, &format!("{DE}/administration/{key}")).await;
        assert_eq!(status, 200, "{key}");
        assert_eq!(one["NamespaceID"], "sac");
        assert!(one["Description"].is_string());
    }
    let (status, _) = get_json(&emu, &token, &format!("{DE}/administration/Namespaces('sap')")).await;
    assert_eq!(status, 404);
    let (status, _) = get_json(&emu, &token, &format!("{DE}/administration/Namespaces('sap')/Providers")).await;
    assert_eq!(status, 404);
    let (status, _) = get_json(&emu, "bad-token", &format!("{DE}/administration/Namespaces")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn metadata_in_xml_and_json_and_unknown_sets() {
    let emu = start().await;
    let token = emu.client_credentials_token().await;
    let (status, xml, headers) = get_url(&emu, &token, &emu.api(&format!("{SALES}/$metadata"))).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().contains("xml"));
    assert!(xml.contains("<EntityType Name=\"FactData\"><Key><PropertyRef Name=\"Version\"/>"), "{xml}");
    assert!(!xml.contains("FactDataType"));
    assert!(xml.contains(
        "<Property Name=\"Part\" Type=\"Edm.String\" Nullable=\"false\" MaxLength=\"256\">\
<Annotation Term=\"Integration.OriginalDataType\"><String>NVARCHAR</String></Annotation></Property>"
    ));
    assert!(xml.contains(
        "<Property Name=\"Amount\" Type=\"Edm.Decimal\" Nullable=\"true\" Precision=\"31\" Scale=\"7\">\
<Annotation Term=\"Integration.OriginalDataType\"><String>DECIMAL</String></Annotation></Property>"
    ));
    assert!(xml.contains("<EntitySet Name=\"PartMaster\" EntityType=\"sac.PartMaster\"/>"));
    let (status, csdl) = get_json(&emu, &token, &format!("{SALES}/$metadata?$format=JSON")).await;
    assert_eq!(status, 200);
    assert_eq!(csdl["$EntityContainer"], "sac.Container");
    assert_eq!(csdl["sac"]["FactData"]["$Key"][0], "Version");
    assert_eq!(csdl["sac"]["FactData"]["Quantity"]["$Type"], "Edm.Decimal");
    assert_eq!(csdl["sac"]["FactData"]["Date"]["$MaxLength"], 6);

    // sacapi asks `<Property>Master` for measures too: a JSON refusal with SAC's number.
    for set in ["AmountMaster", "Nope"] {
        let (status, body) = get_json(&emu, &token, &format!("{SALES}/{set}")).await;
        assert_eq!(status, 404, "{set}");
        assert!(body["error"]["message"].as_str().unwrap().contains("[3707]"), "{body}");
    }
    let (status, _) = get_json(&emu, &token, &format!("{SALES}/FactData?$format=xml")).await;
    assert_eq!(status, 400);
}
