//! Delta subscriptions of the Data Export API (REST API guide pages 22-29, 35, 37, 42, 43, 51;
//! changelog 1.3.0): one row per documented fact, each citing its page's hash.

use serde_json::{json, Value};

use super::facts::{ADMIN, DI, FACTS, PROVIDER};
use super::Auth::Client;
use super::Domain::Api;
use super::*;

const SUBS: &str = "/api/v1/dataexport/administration/Subscriptions";
const OPEN: &str = r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData","ExternalID":"Nightly","Filter":"Part eq 'P0001'"}"#;
const ONE: &str =
    "/api/v1/dataexport/administration/Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='{sub}')";
const ALL_OF_PROVIDER: &str =
    "/api/v1/dataexport/administration/Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='')";
/// Actual P0001 in June rewritten, and through CleanAndReplace by Version and Part the
/// other five months of Actual P0001 deleted.
const REPLACE: &str = r#"{"JobSettings":{"importMethod":"CleanAndReplace","dimensionScope":["Version","Part"]}}"#;
const JUNE: &str =
    r#"{"Data":[{"Version":"public.Actual","Date":"202606","Part":"P0001","Country":"AT","Amount":1,"Quantity":1}]}"#;

fn open() -> Step {
    post_json(Api, Client, SUBS, OPEN).status(201).save("sub", "/SubscriptionID")
}

/// The steps of a CleanAndReplace job that writes [`JUNE`].
fn replace_p0001() -> Vec<Step> {
    vec![
        post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), REPLACE).status(201).save("job", "/jobID"),
        post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), JUNE).status(201),
        post(Api, Client, &format!("{DI}/jobs/{{job}}/run"), None, "").status(201),
    ]
}

fn counts(v: &Value, context: &str) -> usize {
    v.as_array().map_or(0, |a| a.iter().filter(|e| e["@odata.context"] == context).count())
}

/// One June row changed, five months deleted.
fn one_changed_five_deleted(v: &Value) -> bool {
    counts(v, "#FactData/$entity") == 1 && counts(v, "#FactData/$deletedEntity") == 5
}

fn deleted_ids_are_keys(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.iter()
            .filter(|e| e["@odata.context"] == "#FactData/$deletedEntity")
            .all(|e| e["id"].as_str().is_some_and(|id| id.starts_with("FactData(Version='public.Actual',Date='2026")))
    })
}

fn is_chain_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("sac_SALES_PLAN_FactData_20"))
}

fn links_deltaid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("http") && s.contains("/FactData?deltaid="))
}

pub fn facts() -> Vec<Fact> {
    vec![
        fact(
            "POST administration/Subscriptions opens a chain: its id, ChainID sac_<provider>_<set>_<time>, no previous subscription, a CurrentDeltaLink (ae359590)",
            vec![post_json(Api, Client, SUBS, OPEN)
                .status(201)
                .json("/@odata.context", json!("$metadata#Subscriptions"))
                .json("/EntitySetName", json!("FactData"))
                .json("/ExternalID", json!("Nightly"))
                .json("/PreviousSubscriptionID", Value::Null)
                .json("/Timezone", json!("UTC"))
                .json("/EntityCount", json!(-1))
                .test("/ChainID", "a chain id", is_chain_id)
                .test("/CurrentDeltaLink", "a deltaid link", links_deltaid)],
        ),
        fact(
            "GET administration/Subscriptions lists them (e06cac8f); GET Subscriptions(NamespaceID,ProviderID,SubscriptionID) reads one (618dc53d); Providers(...)/Subscriptions lists a provider's (ad3da1cb)",
            vec![
                open(),
                get(Api, Client, SUBS).len("/value", 1).json("/value/0/ProviderID", json!("SALES_PLAN")),
                get(Api, Client, ONE).json("/Filter", json!("Part eq 'P0001'")),
                get(Api, Client, &format!("{ADMIN}/Providers(NamespaceID='sac',ProviderID='SALES_PLAN')/Subscriptions"))
                    .len("/value", 1),
            ],
        ),
        fact(
            "Prefer: odata.track-changes on FactData answers the rows with an @odata.deltaLink (f7feb7c0)",
            vec![get(Api, Client, FACTS)
                .with("prefer", "odata.track-changes")
                .json("/@odata.context", json!("$metadata#FactData"))
                .len("/value", 60)
                .test("/@odata.deltaLink", "a deltaid link", links_deltaid)],
        ),
        fact(
            "FactData?deltaid= answers $metadata#FactData/$delta: $entity rows, $deletedEntity ids, @odata.deltalink, @des.entitiesInPage (b01ea81b)",
            [
                vec![
                    open(),
                    get(Api, Client, &format!("{FACTS}?deltaid={{sub}}")).len("/value", 6).save("next", "/@odata.deltaLink"),
                ],
                replace_p0001(),
                vec![get(Api, Client, "{next}")
                    .json("/@odata.context", json!("$metadata#FactData/$delta"))
                    .test("/value", "one row changed, five deleted", one_changed_five_deleted)
                    .test("/value", "deleted rows named by their keys", deleted_ids_are_keys)
                    .json("/@des.entitiesInPage", json!("1"))
                    .has("/@odata.deltalink")],
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        fact(
            "FactData?externalid= reads the chain's subscription not read yet; its delta link names the external id (8bcc3e62)",
            vec![
                open(),
                get(Api, Client, &format!("{FACTS}?externalid=Nightly")).len("/value", 6).test(
                    "/@odata.deltaLink",
                    "an externalid link",
                    |v| v.as_str().is_some_and(|s| s.ends_with("?externalid=Nightly")),
                ),
                get(Api, Client, &format!("{FACTS}?externalid=Nightly"))
                    .json("/@odata.context", json!("$metadata#FactData/$delta"))
                    .len("/value", 0),
            ],
        ),
        fact(
            "FactDataDifference needs Prefer: odata.track-changes or a deltaid; its delta rows hold new less old (ced53741, changelog 1.3.0)",
            [
                vec![
                    get(Api, Client, &format!("{PROVIDER}/FactDataDifference")).status(400),
                    get(Api, Client, &format!("{PROVIDER}/FactDataDifference?$filter=Part eq 'P0001' and Date eq '202606'"))
                        .with("prefer", "odata.track-changes")
                        .len("/value", 1)
                        .save("next", "/@odata.deltaLink"),
                ],
                replace_p0001(),
                vec![get(Api, Client, "{next}")
                    .json("/@odata.context", json!("$metadata#FactDataDifference/$delta"))
                    .json("/value/0/@odata.context", json!("#FactDataDifference/$entity"))
                    .test("/value/0/Amount", "a difference (1 less the old value)", |v| v.as_f64().is_some_and(|d| d < 0.0))],
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        fact(
            "DELETE Subscriptions(...) answers 204 (ddd644e3); deleteChain=true (664821dd), deleteEntitySetName (88e05fb1) and SubscriptionID='' (2b868a65) delete several",
            vec![
                open(),
                delete(Api, Client, &format!("{ONE}?deleteChain=true")).status(204),
                get(Api, Client, SUBS).len("/value", 0),
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData"}"#)
                    .status(201),
                delete(Api, Client, &format!("{ALL_OF_PROVIDER}?deleteEntitySetName=FactData")).status(204),
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData"}"#)
                    .status(201)
                    .save("sub", "/SubscriptionID"),
                delete(Api, Client, ONE).status(204),
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData"}"#)
                    .status(201),
                delete(Api, Client, ALL_OF_PROVIDER).status(204),
                get(Api, Client, SUBS).len("/value", 0),
            ],
        ),
        fact(
            "Numbered refusals of subscriptions: 1201, 1204, 1607, 1218, 1220, 1221, 1215, 1223, 1224 (dbf30343)",
            vec![
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"x","ProviderID":"SALES_PLAN","EntitySetName":"FactData"}"#)
                    .status(404)
                    .json("/error/code", json!("1201")),
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"sac","ProviderID":"NOPE","EntitySetName":"FactData"}"#)
                    .status(404)
                    .json("/error/code", json!("1204")),
                post_json(Api, Client, SUBS, r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData","Filter":1}"#)
                    .status(400)
                    .json("/error/code", json!("1607")),
                post_json(
                    Api,
                    Client,
                    SUBS,
                    r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData","Selection":"Version,Bogus"}"#,
                )
                .status(400)
                .json("/error/code", json!("1220")),
                post_json(
                    Api,
                    Client,
                    SUBS,
                    r#"{"NamespaceID":"sac","ProviderID":"SALES_PLAN","EntitySetName":"FactData","Selection":"Version,Amount"}"#,
                )
                .status(400)
                .json("/error/code", json!("1221")),
                get(Api, Client, &format!("{FACTS}?deltaid=nope")).status(404).json("/error/code", json!("1215")),
                delete(Api, Client, ALL_OF_PROVIDER).status(404).json("/error/code", json!("1223")),
                open(),
                post_json(Api, Client, SUBS, OPEN).status(400).json("/error/code", json!("1218")).body("[1218]"),
                delete(Api, Client, &format!("{ALL_OF_PROVIDER}?deleteEntitySetName=FactDataDifference"))
                    .status(404)
                    .json("/error/code", json!("1224")),
            ],
        ),
    ]
}
