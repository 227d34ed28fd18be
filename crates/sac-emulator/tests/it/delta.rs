//! Delta subscriptions of the Data Export API over HTTP: chains opened by
//! `Prefer: odata.track-changes` and by POST, delta reads by `deltaid` and
//! `externalid`, `FactDataDifference`, re-reads, listings, deletions and
//! the numbered refusals.

use std::collections::BTreeMap;

use reqwest::Method;
use sac_emulator::{ClockMode, Config};
use serde_json::{json, Value};

use crate::dataimport::{call, fact, new_job};
use crate::support::*;

const DE: &str = "/api/v1/dataexport";

async fn de(emu: &Emu, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = if path.starts_with("http") { path.to_string() } else { emu.api(&format!("{DE}{path}")) };
    let mut request = emu.http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Every page from `url` (absolute); the rows and the last page.
async fn pages(emu: &Emu, token: &str, url: &str) -> (Vec<Value>, Value) {
    let mut url = url.to_string();
    let mut rows = Vec::new();
    loop {
        let (status, page) = de(emu, token, Method::GET, &url, None).await;
        assert_eq!(status, 200, "{page}");
        rows.extend(page["value"].as_array().unwrap().iter().cloned());
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return (rows, page),
        }
    }
}

/// An import job of SALES_PLAN by `method` (`Update`, `Append`) with `rows`, run to its end.
async fn import(emu: &Emu, token: &str, method: &str, rows: Vec<Value>) {
    run_job(emu, token, json!({"JobSettings": {"importMethod": method}}), rows).await;
}

/// A CleanAndReplace of SALES_PLAN scoped to Version and Part: the facts
/// of the parts of `rows` not in `rows` are deleted.
async fn replace_parts(emu: &Emu, token: &str, rows: Vec<Value>) {
    let settings = json!({"JobSettings": {"importMethod": "CleanAndReplace", "dimensionScope": ["Version", "Part"]}});
    run_job(emu, token, settings, rows).await;
}

/// An import job of SALES_PLAN with `settings` and `rows`, run to its end.
async fn run_job(emu: &Emu, token: &str, settings: Value, rows: Vec<Value>) {
    let job = new_job(emu, token, settings).await;
    let (status, body) = call(emu, token, Method::POST, &format!("/jobs/{job}"), Some(json!({"Data": rows}))).await;
    assert_eq!(status, 201, "{body}");
    let (_, ran) = call(emu, token, Method::POST, &format!("/jobs/{job}/run"), None).await;
    assert_eq!(ran["jobStatus"], "COMPLETED", "{ran}");
}

/// The first page of SALES_PLAN's facts read with change tracking.
async fn track_changes(emu: &Emu, token: &str) -> reqwest::Response {
    emu.http
        .get(emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactData")))
        .bearer_auth(token)
        .header("prefer", "odata.track-changes")
        .send()
        .await
        .unwrap()
}

fn key(row: &Value) -> String {
    ["Version", "Date", "Part", "Country"].map(|k| row[k].as_str().unwrap_or("").to_string()).join("|")
}

fn deleted_key(item: &Value) -> String {
    // FactData(Version='v',Date='d',Part='p',Country='c')
    let id = item["id"].as_str().unwrap();
    let inner = id.strip_prefix("FactData(").unwrap().strip_suffix(')').unwrap();
    inner.split(',').map(|p| p.split_once('=').unwrap().1.trim_matches('\'').to_string()).collect::<Vec<_>>().join("|")
}

#[tokio::test]
async fn a_chain_answers_each_change_once_and_a_reread_the_same() {
    let emu = start_with(Config { clock: ClockMode::Immediate, export_page_size: 40, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    // The initial load: plain rows in pages, the last with @odata.deltaLink (page f7feb7c0).
    let first = track_changes(&emu, &token).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["preference-applied"], "odata.track-changes");
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["@odata.context"], "$metadata#FactData");
    let mut copy: BTreeMap<String, Value> = BTreeMap::new();
    for row in first["value"].as_array().unwrap() {
        copy.insert(key(row), row.clone());
    }
    let (rest, last) = pages(&emu, &token, first["@odata.nextLink"].as_str().expect("pages of 40")).await;
    for row in rest {
        copy.insert(key(&row), row);
    }
    let all = emu.rows("SALES_PLAN").await["rows"].as_array().unwrap().len();
    assert_eq!(copy.len(), all);
    let delta_link = last["@odata.deltaLink"].as_str().expect("the last page links the delta").to_string();
    assert!(delta_link.contains("/FactData?deltaid="), "{delta_link}");

    // Three writes: Update (a change and a new fact), Append, CleanAndReplace (deletes).
    import(
        &emu,
        &token,
        "Update",
        vec![fact("public.Actual", "202601", "P0001", "DE", "999"), fact("public.Plan", "202612", "P0001", "DE", "5")],
    )
    .await;
    import(&emu, &token, "Append", vec![fact("public.Plan", "202612", "P0001", "DE", "1")]).await;
    replace_parts(&emu, &token, vec![fact("public.Actual", "202612", "P0002", "IN", "7")]).await;

    // The delta (page b01ea81b): $entity rows and $deletedEntity rows, then @odata.deltalink.
    let (items, last) = pages(&emu, &token, &delta_link).await;
    assert_eq!(last["@odata.context"], "$metadata#FactData/$delta");
    let next = last["@odata.deltalink"].as_str().expect("a new delta link").to_string();
    assert_ne!(next, delta_link);
    let (mut changed, mut deleted) = (0, 0);
    for item in &items {
        match item["@odata.context"].as_str().unwrap() {
            "#FactData/$entity" => {
                changed += 1;
                assert!(item["@odata.id"].as_str().unwrap().starts_with("FactData(Version="), "{item}");
                let mut row = item.as_object().unwrap().clone();
                row.retain(|k, _| !k.starts_with('@'));
                copy.insert(key(item), Value::Object(row));
            }
            "#FactData/$deletedEntity" => {
                deleted += 1;
                assert!(copy.remove(&deleted_key(item)).is_some(), "a deleted fact was in the copy: {item}");
            }
            other => panic!("{other}"),
        }
    }
    assert!(changed >= 3 && deleted >= 5, "{changed} changed, {deleted} deleted");
    let fresh: BTreeMap<String, Value> =
        pages(&emu, &token, &emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactData")))
            .await
            .0
            .into_iter()
            .map(|r| (key(&r), r))
            .collect();
    assert_eq!(copy, fresh, "the full load plus the delta is the model now");
    assert_eq!(fresh["public.Plan|202612|P0001|DE"]["Amount"], 6.0, "Update 5 then Append 1");

    // Read again (a client that failed mid-read): the same changes, the same link.
    let (again, again_last) = pages(&emu, &token, &delta_link).await;
    assert_eq!(again, items);
    assert_eq!(again_last["@odata.deltalink"], next.as_str());

    // Nothing changed since: an empty delta and a new link.
    let (none, none_last) = pages(&emu, &token, &next).await;
    assert!(none.is_empty(), "{none:?}");
    assert_eq!(none_last["@des.entitiesInPage"], "0");
    assert_ne!(none_last["@odata.deltalink"], next.as_str());
}

#[tokio::test]
async fn post_external_id_difference_listing_and_deletion() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let body = json!({
        "NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactDataDifference",
        "ExternalID": "Nightly", "Filter": "Version eq 'public.Actual'", "Description": "actuals"
    });
    let (status, sub) = de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body.clone())).await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["@odata.context"], "$metadata#Subscriptions");
    let id = sub["SubscriptionID"].as_str().unwrap().to_string();
    assert!(id.starts_with("first-"), "{id}");
    assert_eq!(sub["PreviousSubscriptionID"], Value::Null);
    assert!(sub["ChainID"].as_str().unwrap().starts_with("sac_SALES_PLAN_FactDataDifference_"));
    assert_eq!((sub["Timezone"].clone(), sub["EntityCount"].clone()), (json!("UTC"), json!(-1)));
    assert_eq!(sub["Created_By"], "sacctl-api");
    // 1218: the external id is taken.
    let (status, taken) = de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body)).await;
    assert_eq!((status, taken["error"]["code"].clone()), (400, json!("1218")), "{taken}");

    // The first read by external id is the initial load of the actuals.
    let (initial, last) =
        pages(&emu, &token, &emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactDataDifference?externalid=Nightly")))
            .await;
    assert_eq!(initial.len(), 60);
    assert!(last["@odata.deltaLink"].as_str().unwrap().ends_with("?externalid=Nightly"));
    import(
        &emu,
        &token,
        "Append",
        vec![fact("public.Actual", "202601", "P0001", "DE", "2.5"), fact("public.Plan", "202601", "P0001", "DE", "9")],
    )
    .await;
    // FactDataDifference (page ced53741): new less old; the Plan row is outside the filter.
    let (diff, _) =
        pages(&emu, &token, &emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactDataDifference?externalid=Nightly")))
            .await;
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(diff[0]["@odata.context"], "#FactDataDifference/$entity");
    assert_eq!(diff[0]["Amount"], 2.5);
    assert_eq!(diff[0]["Quantity"], 1.0, "Append adds the row's Quantity too");

    // Listing: all, one, per provider (pages e06cac8f, 618dc53d, ad3da1cb): the chain has three now.
    let (_, listed) = de(&emu, &token, Method::GET, "/administration/Subscriptions", None).await;
    let chain: Vec<&Value> = listed["value"].as_array().unwrap().iter().collect();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain[1]["PreviousSubscriptionID"], id.as_str());
    assert_eq!(chain[1]["ChainID"], chain[0]["ChainID"]);
    assert!(chain[0]["EndTime"].is_string() && chain[2]["EndTime"].is_null());
    let one = format!("/administration/Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='{id}')");
    let (status, got) = de(&emu, &token, Method::GET, &one, None).await;
    assert_eq!((status, got["SubscriptionID"].clone()), (200, json!(id)));
    let (_, of_provider) = de(
        &emu,
        &token,
        Method::GET,
        "/administration/Providers(NamespaceID='sac',ProviderID='SALES_PLAN')/Subscriptions",
        None,
    )
    .await;
    assert_eq!(of_provider["value"].as_array().unwrap().len(), 3);
    let (status, none) = de(
        &emu,
        &token,
        Method::GET,
        "/administration/Providers(NamespaceID='sac',ProviderID='OPEX_PLAN')/Subscriptions",
        None,
    )
    .await;
    assert_eq!((status, none["value"].as_array().map(Vec::len)), (200, Some(0)));

    // Another owner may neither read nor delete it (1227).
    let user = emu.password_token("JDOE").await;
    let (status, refused) = de(&emu, &user, Method::GET, &one, None).await;
    assert_eq!((status, refused["error"]["code"].clone()), (403, json!("1227")), "{refused}");
    let by_id = emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactDataDifference?deltaid={id}"));
    assert_eq!(de(&emu, &user, Method::GET, &by_id, None).await.0, 403);

    // Deletion: by entity set with none (1224), then the chain, then none left (1223, 1215).
    let all_of = "/administration/Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='')";
    let (status, e) = de(&emu, &token, Method::DELETE, &format!("{all_of}?deleteEntitySetName=FactData"), None).await;
    assert_eq!((status, e["error"]["code"].clone()), (404, json!("1224")), "{e}");
    assert_eq!(de(&emu, &token, Method::DELETE, &format!("{one}?deleteChain=true"), None).await.0, 204);
    let (status, e) = de(&emu, &token, Method::DELETE, all_of, None).await;
    assert_eq!((status, e["error"]["code"].clone()), (404, json!("1223")), "{e}");
    let (status, e) = de(&emu, &token, Method::GET, &one, None).await;
    assert_eq!((status, e["error"]["code"].clone()), (404, json!("1215")), "{e}");
    let (status, e) = de(&emu, &token, Method::GET, &by_id, None).await;
    assert_eq!((status, e["error"]["code"].clone()), (404, json!("1215")), "{e}");
}

#[tokio::test]
async fn refusals_of_subscription_requests() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let post = |body: Value| {
        let emu = &emu;
        let token = &token;
        async move { de(emu, token, Method::POST, "/administration/Subscriptions", Some(body)).await }
    };
    let cases = [
        (
            json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData", "Filter": 5}),
            400,
            "1607",
        ),
        (json!({"NamespaceID": "xyz", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData"}), 404, "1201"),
        (json!({"NamespaceID": "sac", "ProviderID": "NOPE", "EntitySetName": "FactData"}), 404, "1204"),
        (json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "Bogus"}), 404, "3707"),
        (json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "PartMaster"}), 400, "1219"),
        (
            json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData", "Selection": "Version,Nope"}),
            400,
            "1220",
        ),
        (
            json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData", "Selection": "Version,Amount"}),
            400,
            "1221",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = post(body.clone()).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, Some(code)), "{body} -> {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().ends_with(&format!("[{code}]")), "{answer}");
    }
    // FactDataDifference needs a subscription.
    let (status, _) = de(&emu, &token, Method::GET, "/providers/sac/SALES_PLAN/FactDataDifference", None).await;
    assert_eq!(status, 400);
    // A delta read is JSON in key order.
    let (_, sub) = post(json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData"})).await;
    let id = sub["SubscriptionID"].as_str().unwrap();
    let path = format!("/providers/sac/SALES_PLAN/FactData?deltaid={id}&$format=text/csv");
    assert_eq!(de(&emu, &token, Method::GET, &path, None).await.0, 400);
    // A subscription of one provider read through another: 1215.
    let path = format!("/providers/sac/OPEX_PLAN/FactData?deltaid={id}");
    let (status, e) = de(&emu, &token, Method::GET, &path, None).await;
    assert_eq!((status, e["error"]["code"].clone()), (404, json!("1215")), "{e}");
}

#[tokio::test]
async fn the_subscription_table_is_capped_1618() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let body = json!({"NamespaceID": "sac", "ProviderID": "OPEX_PLAN", "EntitySetName": "FactData"});
    for i in 0..1000 {
        let (status, answer) =
            de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body.clone())).await;
        assert_eq!(status, 201, "subscription {i}: {answer}");
    }
    let (status, full) = de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body.clone())).await;
    assert_eq!((status, full["error"]["code"].clone()), (400, json!("1618")), "{full}");
    assert!(full["error"]["message"].as_str().unwrap().contains("1000"), "{full}");
    // Deleting makes room again.
    let all_of = "/administration/Subscriptions(NamespaceID='sac',ProviderID='OPEX_PLAN',SubscriptionID='')";
    assert_eq!(de(&emu, &token, Method::DELETE, all_of, None).await.0, 204);
    assert_eq!(de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body)).await.0, 201);
}

#[tokio::test]
async fn writes_while_the_full_load_is_read_come_in_the_next_delta_only() {
    let emu = start_with(Config { clock: ClockMode::Immediate, export_page_size: 10, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let before: BTreeMap<String, Value> =
        pages(&emu, &token, &emu.api(&format!("{DE}/providers/sac/SALES_PLAN/FactData")))
            .await
            .0
            .into_iter()
            .map(|r| (key(&r), r))
            .collect();
    let first = track_changes(&emu, &token).await;
    let first: Value = first.json().await.unwrap();
    let mut load: Vec<Value> = first["value"].as_array().unwrap().clone();
    // Between the first page and the rest: a change and a new fact on later pages, and a
    // deletion of a whole part (CleanAndReplace), some of whose facts are on later pages.
    import(
        &emu,
        &token,
        "Update",
        vec![fact("public.Actual", "202606", "P0010", "PL", "1"), fact("public.Actual", "202612", "P0009", "GB", "2")],
    )
    .await;
    replace_parts(&emu, &token, vec![fact("public.Actual", "202612", "P0008", "CA", "3")]).await;
    let (rest, last) = pages(&emu, &token, first["@odata.nextLink"].as_str().unwrap()).await;
    load.extend(rest);
    let load: BTreeMap<String, Value> = load.into_iter().map(|r| (key(&r), r)).collect();
    assert_eq!(load, before, "the full load is the facts as they were when it began");
    // The delta holds the writes: two changed or new, one new of P0008, five P0008 deleted.
    let (items, _) = pages(&emu, &token, last["@odata.deltaLink"].as_str().unwrap()).await;
    let changed = items.iter().filter(|i| i["@odata.context"] == "#FactData/$entity").count();
    let deleted = items.iter().filter(|i| i["@odata.context"] == "#FactData/$deletedEntity").count();
    assert_eq!((changed, deleted), (3, 6), "{items:?}");
}

#[tokio::test]
async fn a_delta_read_far_past_its_end_is_an_empty_page() {
    let emu = start_with(Config { clock: ClockMode::Immediate, ..Config::default() }).await;
    let token = emu.client_credentials_token().await;
    let body = json!({"NamespaceID": "sac", "ProviderID": "SALES_PLAN", "EntitySetName": "FactData"});
    let (_, sub) = de(&emu, &token, Method::POST, "/administration/Subscriptions", Some(body)).await;
    let id = sub["SubscriptionID"].as_str().unwrap();
    let far = format!("/providers/sac/SALES_PLAN/FactData?deltaid={id}&$skiptoken=9223372036854775807");
    let (status, page) = de(&emu, &token, Method::GET, &far, None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["value"], json!([]));
}
