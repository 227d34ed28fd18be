//! The table: one row per fact. The demo tenant's SALES_PLAN holds 60 Actual rows, parts
//! P0001-P0010 (each with one country: P0001 AT, P0002 IN, P0003 US, P0004 CH, P0005 BR, P0006 FR,
//! P0007 BE, P0008 CA, P0009 GB, P0010 PL), months 202601-202606.

use serde_json::{json, Value};

use super::Auth::{Basic, Client, Session};
use super::Domain::{Api, Tenant};
use super::*;

pub const FACTS: &str = "/api/v1/dataexport/providers/sac/SALES_PLAN/FactData";
pub const PROVIDER: &str = "/api/v1/dataexport/providers/sac/SALES_PLAN";
pub const ADMIN: &str = "/api/v1/dataexport/administration";
pub const DI: &str = "/api/v1/dataimport";
pub const FORM: &str = "application/x-www-form-urlencoded";
pub const INVALID_ROW: &str =
    r#"{"Data":[{"Version":"public.Plan","Date":"202607","Part":"P9999","Country":"AT","Amount":5.5,"Quantity":2}]}"#;

pub fn facts(filter: &str) -> String {
    format!("{FACTS}?$filter={filter}")
}

fn is_string(v: &Value) -> bool {
    v.is_string()
}

fn is_number(v: &Value) -> bool {
    v.is_number()
}

fn has_id_and_description(v: &Value) -> bool {
    v.get("ID").is_some_and(Value::is_string) && v.get("Description").is_some_and(Value::is_string)
}

/// Dates of the rows, in order, are 202606, 202606, ...: `$orderby=Date desc`.
fn parts_desc_in_june(v: &Value) -> bool {
    let rows = v.as_array().cloned().unwrap_or_default();
    let got: Vec<(&str, &str)> =
        rows.iter().map(|r| (r["Date"].as_str().unwrap_or(""), r["Part"].as_str().unwrap_or(""))).collect();
    got == [("202606", "P0010"), ("202606", "P0009"), ("202606", "P0008")]
}

pub const VALID_ROW: &str =
    r#"{"Data":[{"Version":"public.Plan","Date":"202607","Part":"P0001","Country":"AT","Amount":5.5,"Quantity":2}]}"#;

/// The row VALID_ROW wrote: created (flag 2), by a user, at a time, old value none, new 5.5.
fn lists_audited_write(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.iter().any(|e| {
            e["Part"] == "P0001"
                && e["Date"] == "202607"
                && e["Version"] == "public.Plan"
                && e["Audit_User"].as_str().is_some_and(|u| !u.is_empty())
                && e["Audit_Time"].as_str().is_some_and(|t| !t.is_empty())
                && e["Audit_Old_Amount"].is_null()
                && e["Audit_New_Amount"] == 5.5
                && e["Audit_Delta_Amount"] == 5.5
                && e["Audit_Flag_Amount"] == 2
        })
    })
}

/// Members of an account dimension carry accType.
fn accounts_have_acc_type(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(|m| m.get("accType").is_some_and(Value::is_string)))
}

fn is_absolute_url(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
}

fn ends_with_slash(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.ends_with("/SALES_PLAN/"))
}

fn lists_sac(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().any(|n| n["NamespaceID"] == "sac"))
}

fn lists_fact_data_set(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().any(|s| s["name"] == "FactData" && s["url"] == "FactData"))
}

/// What SAP's sacapi 1.0.1 `upload()` sends to create a job: one JSON object, then stray text.
const SACAPI_JOB_BODY: &str = r#"{ "Mapping": {"Date": "Date", "Part": "Part", "Country": "Country", "Amount": "Amount", "Quantity": "Quantity"} }, "JobSettings": { "importMethod": Update} "#;

fn is_uuid(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Creates a fact data job of SALES_PLAN as the technical client; saves its id as `job`.
fn create_sales_job() -> Step {
    post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), "{}").status(201).save("job", "/jobID")
}

pub fn all() -> Vec<Fact> {
    vec![
        // ---- Data Export: $filter (SAP Help "Additional Query Options"; Stocker part 3)
        fact(
            "$filter or keeps the rows of both sides",
            vec![get(Api, Client, &facts("Part eq 'P0003' or Part eq 'P0004'")).len("/value", 12)],
        ),
        fact(
            "$filter ge and le",
            vec![get(Api, Client, &facts("Date ge '202603' and Date le '202604'")).len("/value", 20)],
        ),
        fact(
            "$filter gt and lt",
            vec![
                get(Api, Client, &facts("Part gt 'P0008'")).len("/value", 12),
                get(Api, Client, &facts("Part lt 'P0002'")).len("/value", 6),
            ],
        ),
        fact("$filter ne", vec![get(Api, Client, &facts("Country ne 'AT'")).len("/value", 54)]),
        fact(
            "$filter parentheses and not",
            vec![get(Api, Client, &facts("(Part eq 'P0001' or Part eq 'P0002') and not (Date eq '202601')"))
                .len("/value", 10)],
        ),
        fact(
            "$filter contains, startswith, endswith",
            vec![
                get(Api, Client, &facts("contains(Part,'001')")).len("/value", 12),
                get(Api, Client, &facts("startswith(Country,'C')")).len("/value", 12),
                get(Api, Client, &facts("endswith(Part,'5')")).len("/value", 6),
            ],
        ),
        // ---- $orderby (SAP Help query options; sacapi setFilterOrderBy)
        fact(
            "$orderby on several columns, asc/desc",
            vec![get(Api, Client, &format!("{FACTS}?$orderby=Date desc,Part desc&$top=3")).test(
                "/value",
                "June's P0010, P0009, P0008",
                parts_desc_in_june,
            )],
        ),
        // ---- $select (SAP Help query options; SAC-MCP notes)
        fact(
            "$select on FactData must name every key column, else 400 [1402]",
            vec![
                get(Api, Client, &format!("{FACTS}?$select=Part,Amount")).status(400).body("[1402]"),
                get(Api, Client, &format!("{FACTS}?$select=Version,Date,Part,Country,Amount&$top=1"))
                    .len("/value", 1)
                    .lacks("/value/0/Quantity"),
            ],
        ),
        // ---- master data (SAP Help 97fa992f)
        fact(
            "<Dim>Master members carry ID and Description",
            vec![
                get(Api, Client, &format!("{PROVIDER}/PartMaster")).test(
                    "/value/0",
                    "a member with ID and Description",
                    has_id_and_description,
                ),
                get(Api, Client, &format!("{PROVIDER}/CountryMaster")).test(
                    "/value/0",
                    "a member with ID and Description",
                    has_id_and_description,
                ),
            ],
        ),
        fact(
            "version members carry VERSION, date members DATE",
            vec![
                get(Api, Client, &format!("{PROVIDER}/VersionMaster"))
                    .has("/value/0/VERSION")
                    .has("/value/0/Description"),
                get(Api, Client, &format!("{PROVIDER}/DateMaster")).has("/value/0/DATE"),
            ],
        ),
        // ---- what already matched
        fact(
            "Providers fields",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac')/Providers"))
                .json("/value/0/ProviderID", json!("SALES_PLAN"))
                .json("/value/0/ProviderName", json!("SALES_PLAN"))
                .json("/value/0/NamespaceID", json!("sac"))
                .has("/value/0/Description")
                .has("/value/0/ServiceURL")],
        ),
        fact(
            "fact rows: dimensions as strings, measures as numbers",
            vec![get(Api, Client, &format!("{FACTS}?$top=1"))
                .test("/value/0/Part", "a string", is_string)
                .test("/value/0/Date", "a string", is_string)
                .test("/value/0/Amount", "a number", is_number)
                .test("/value/0/Quantity", "a number", is_number)],
        ),
        fact(
            "Data Import upload, validate, invalidRows and status shapes; jobID; 201 create, 204 delete",
            vec![
                post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), "{}")
                    .status(201)
                    .has("/jobURL")
                    .save("job", "/jobID"),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), INVALID_ROW)
                    .status(201)
                    .json("/totalNumberRowsInCurrentRequest", json!(1))
                    .has("/upsertedNumberRows")
                    .has("/failedNumberRows")
                    .has("/failedRows")
                    .has("/totalNumberRowsInJob")
                    .has("/validateJobURL")
                    .has("/runJobURL"),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/validate"), None, "")
                    .status(201)
                    .json("/failedNumberRows", json!(1))
                    .has("/jobStatus")
                    .has("/totalNumberRowsInJob")
                    .has("/jobStatusURL")
                    .save("invalid", "/invalidRowsURL"),
                get(Api, Client, "{invalid}")
                    .json("/failedRows/0/Part", json!("P9999"))
                    .has("/failedRows/0/_REJECTION_REASON"),
                get(Api, Client, &format!("{DI}/jobs/{{job}}/status"))
                    .has("/jobID")
                    .has("/jobStatus")
                    .has("/additionalInformation/totalNumberRowsInJob"),
                delete(Api, Client, &format!("{DI}/jobs/{{job}}")).status(204),
            ],
        ),
        fact(
            "CSRF from /api/v1/csrf and from GET /dataimport/models with x-csrf-token: fetch",
            vec![
                get(Tenant, Client, "/api/v1/csrf")
                    .with("x-csrf-token", "fetch")
                    .header("x-csrf-token", "")
                    .header("set-cookie", "JSESSIONID="),
                get(Tenant, Client, &format!("{DI}/models"))
                    .with("x-csrf-token", "fetch")
                    .header("x-csrf-token", "")
                    .header("set-cookie", "JSESSIONID="),
            ],
        ),
        fact(
            "browser domain POST without CSRF: 403 x-csrf-token: Required; with it and its cookie: 201",
            vec![
                post_json(Tenant, Client, &format!("{DI}/models/SALES_PLAN/factData"), "{}")
                    .status(403)
                    .header("x-csrf-token", "Required"),
                post_json(Tenant, Session, &format!("{DI}/models/SALES_PLAN/factData"), "{}").status(201).has("/jobID"),
            ],
        ),
        fact(
            "token service: client credentials by HTTP Basic, XSUAA's answer",
            vec![post(
                Tenant,
                Basic("sacctl-api", "sacctl-api-secret"),
                "/oauth/token",
                Some(FORM),
                "grant_type=client_credentials",
            )
            .json("/token_type", json!("bearer"))
            .json("/expires_in", json!(3599))
            .has("/access_token")
            .has("/jti")],
        ),
        fact(
            "direct API domain without a token: 401 JSON, no login page",
            vec![get(Api, Auth::None, FACTS).status(401).header("content-type", "application/json").has("/error")],
        ),
        fact(
            "account members carry accType",
            vec![get(Api, Client, "/api/v1/dataexport/providers/sac/OPEX_PLAN/AccountMaster").test(
                "/value",
                "members with accType",
                accounts_have_acc_type,
            )],
        ),
        fact(
            "<Dim>MasterWithHierarchy where the tenant defines a hierarchy",
            vec![
                get(Api, Client, "/api/v1/dataexport/providers/sac/OPEX_PLAN/CostCenterMasterWithHierarchy")
                    .has("/value/0/ID")
                    .body("H1_PARENTID"),
                get(Api, Client, &format!("{PROVIDER}/PartMasterWithHierarchy")).status(404),
            ],
        ),
        fact(
            "MasterData: facts joined with master data",
            vec![get(Api, Client, &format!("{PROVIDER}/MasterData?$top=1"))
                .json("/value/0/Part.ID", json!("P0001"))
                .json("/value/0/Country.ID", json!("AT"))
                .json("/value/0/Country.Description", json!("Austria"))],
        ),
        fact(
            "FactDataAggregation grouped by the $select columns",
            vec![get(Api, Client, &format!("{PROVIDER}/FactDataAggregation?$select=Part,Amount"))
                .len("/value", 10)
                .json("/value/0", json!({"Part": "P0001", "Amount": 6747.21}))],
        ),
        fact(
            "AuditData shows the emulator's own writes",
            vec![
                post(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), Some("application/json"), "{}")
                    .status(201)
                    .save("job", "/jobID"),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), VALID_ROW)
                    .status(201)
                    .json("/failedNumberRows", json!(0)),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/run"), None, "").status(201),
                get(Api, Client, &format!("{PROVIDER}/AuditData")).test(
                    "/value",
                    "a list with the written row",
                    lists_audited_write,
                ),
                get(Api, Client, "/api/v1/dataexport/providers/sac/OPEX_PLAN/AuditData").status(400).body("[3905]"),
            ],
        ),
        fact(
            "pagesize sets the page size; absolute @odata.nextLink on every page but the last",
            vec![
                get(Api, Client, &format!("{FACTS}?pagesize=25"))
                    .len("/value", 25)
                    .test("/@odata.nextLink", "an absolute URL", is_absolute_url)
                    .save("next", "/@odata.nextLink"),
                get(Api, Client, "{next}").len("/value", 25).save("next", "/@odata.nextLink"),
                get(Api, Client, "{next}").len("/value", 10).lacks("/@odata.nextLink"),
            ],
        ),
        fact(
            "$count=true gives @odata.count; with $top=0 only the count",
            vec![get(Api, Client, &format!("{FACTS}?$count=true&$top=0"))
                .json("/@odata.count", json!(60))
                .len("/value", 0)],
        ),
        fact(
            "$format=text/csv on FactData and master data",
            vec![
                get(Api, Client, &format!("{FACTS}?$format=text/csv&$top=1"))
                    .header("content-type", "text/csv")
                    .body("P0001"),
                get(Api, Client, &format!("{PROVIDER}/PartMaster?$format=text/csv"))
                    .header("content-type", "text/csv")
                    .body("P0089"),
            ],
        ),
        fact(
            "$format=JSON on $metadata gives CSDL JSON",
            vec![get(Api, Client, &format!("{PROVIDER}/$metadata?$format=JSON"))
                .header("content-type", "application/json")
                .body("\"FactData\"")
                .body("\"$Kind\"")],
        ),
        fact(
            "$metadata: entity types FactData and MasterData, facets, native-type annotation",
            vec![get(Api, Client, &format!("{PROVIDER}/$metadata"))
                .body("<EntityType Name=\"FactData\">")
                .body("<EntityType Name=\"MasterData\">")
                .body("MaxLength=\"")
                .body("Precision=\"")
                .body("Scale=\"")
                .body("Integration.OriginalDataType")],
        ),
        fact(
            "service document at …/providers/sac/{model}/",
            vec![get(Api, Client, &format!("{PROVIDER}/")).test("/value", "a list with FactData", lists_fact_data_set)],
        ),
        fact(
            "ServiceURL in Providers ends with /",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac')/Providers")).test(
                "/value/0/ServiceURL",
                "ending in /SALES_PLAN/",
                ends_with_slash,
            )],
        ),
        fact(
            "Namespaces, Namespaces(NamespaceID='sac') and Namespaces('sac')",
            vec![
                get(Api, Client, &format!("{ADMIN}/Namespaces")).test("/value", "a list with sac", lists_sac),
                get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac')"))
                    .json("/NamespaceID", json!("sac"))
                    .has("/Description"),
                get(Api, Client, &format!("{ADMIN}/Namespaces('sac')"))
                    .json("/NamespaceID", json!("sac"))
                    .has("/Description"),
            ],
        ),
        fact(
            "unknown entity set: 404 with [3707]",
            vec![get(Api, Client, &format!("{PROVIDER}/Nope")).status(404).body("[3707]")],
        ),
        // ---- paging (SAP Help "Pagination of Exported Data")
        // ---- $count (SAC-MCP notes)
        // ---- $format (SAP Help f7feb7c0, 8fa26259)
        // ---- $metadata (Stocker part 2; DataHub connector fixture)
        // ---- entity sets (SAP Help 78009df9)
        // ---- service document and providers (SAP Help 4e4f683c, bf520338)
        // ---- administration (SAP Help 7a831ba4)
        // ---- errors (SAC-MCP notes)
        // ---- Data Import (SAP Help ed2baf9c, f99e725f; DataHub)
        fact(
            "GET /models/{id}: importTypes as objects, importTypeUrls, metadataURL",
            vec![get(Api, Client, &format!("{DI}/models/SALES_PLAN"))
                .json("/importTypes/0/importType", json!("factData"))
                .has("/importTypes/0/availableJobSettings")
                .has("/importTypeUrls")
                .has("/metadataURL")],
        ),
        fact(
            "job ids in UUID form",
            vec![post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), "{}")
                .status(201)
                .test("/jobID", "a UUID", is_uuid)],
        ),
        fact(
            "job creation reads the first JSON value of sacapi's body, without Content-Type (assumption)",
            vec![post(Tenant, Session, &format!("{DI}/models/SALES_PLAN/factData"), None, SACAPI_JOB_BODY)
                .status(201)
                .has("/jobID")],
        ),
        fact(
            "1006: a body that is not JSON",
            vec![post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), "not json")
                .status(400)
                .body("1006")],
        ),
        fact(
            "1004: a Mapping to a field the model does not have",
            vec![post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), r#"{"Mapping":{"Nope":"Nope"}}"#)
                .status(400)
                .body("1004")],
        ),
        fact(
            "1001: an action the job's state does not allow (upload after the run)",
            vec![
                create_sales_job(),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), VALID_ROW).status(201),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/run"), None, "").status(201),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), VALID_ROW).status(400).body("1001"),
            ],
        ),
        fact(
            "1033 (f99e725f): a run whose stored rows all fail validation fails",
            vec![
                create_sales_job(),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), INVALID_ROW).status(201),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}/run"), r#"{"overrideExecuteWithFailedRows":true}"#)
                    .status(400)
                    .body("1033"),
            ],
        ),
        fact(
            "1005: no import type in the URL and no Mapping to infer it from",
            vec![
                post_json(Api, Client, &format!("{DI}/models/SALES_PLAN"), "{}").status(400).body("[1005]"),
                post_json(Api, Client, &format!("{DI}/models/SALES_PLAN"), r#"{"Mapping":{"Part":"Part"}}"#)
                    .status(201)
                    .has("/jobID"),
            ],
        ),
        fact("1007: a model's limit of active jobs (10, assumption)", {
            let create = || post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), "{}");
            let mut steps: Vec<Step> = (0..10).map(|_| create().status(201)).collect();
            steps.push(create().status(400).body("[1007]"));
            steps
        }),
        fact("1002: a client's limit of active jobs (20, assumption)", {
            let create = |model: &str| post_json(Api, Client, &format!("{DI}/models/{model}/factData"), "{}");
            let mut steps: Vec<Step> = (0..10).map(|_| create("SALES_PLAN").status(201)).collect();
            steps.extend((0..10).map(|_| create("OPEX_PLAN").status(201)));
            // 20 active jobs of this client: a 21st, on a public dimension (no model limit), is refused.
            steps.push(
                post_json(Api, Client, &format!("{DI}/publicDimensions/ZEPPART_001/publicDimensionData"), "{}")
                    .status(400)
                    .body("[1002]"),
            );
            steps
        }),
        fact(
            "1010: upload, validate or run while the job is PROCESSING",
            vec![
                post_json(Tenant, Auth::None, "/emulator/clock", r#"{"mode":"manual"}"#),
                create_sales_job(),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), VALID_ROW).status(201),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/run"), None, "")
                    .status(201)
                    .json("/jobStatus", json!("PROCESSING")),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/run"), None, "").status(400).body("[1010]"),
                post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), VALID_ROW).status(400).body("[1010]"),
            ],
        ),
        fact(
            "public dimensions: GET /publicDimensions/{id} and /metadata",
            vec![
                get(Api, Client, &format!("{DI}/publicDimensions/ZEPPART_001")),
                get(Api, Client, &format!("{DI}/publicDimensions/ZEPPART_001/metadata")),
            ],
        ),
        // ---- token service and browser domain
        fact(
            "wrong client secret: 401 unauthorized / Bad credentials",
            vec![post(
                Tenant,
                Basic("sacctl-api", "wrong"),
                "/oauth/token",
                Some(FORM),
                "grant_type=client_credentials",
            )
            .status(401)
            .json("/error", json!("unauthorized"))
            .json("/error_description", json!("Bad credentials"))],
        ),
        fact(
            "public APIs on the browser domain without a session: the HTML login page, 200",
            vec![
                get(Tenant, Auth::None, FACTS)
                    .header("content-type", "text/html")
                    .body(sac_types::error::LOGIN_PAGE_MARKER),
                get(Tenant, Auth::None, &format!("{DI}/models"))
                    .header("content-type", "text/html")
                    .body(sac_types::error::LOGIN_PAGE_MARKER),
            ],
        ),
    ]
}
