//! Rows of the fidelity table from SAP's Data Import pages (guide pages 52-84): each fact names
//! the page hash it comes from. The demo tenant's SALES_PLAN has the dimensions Version, Date,
//! Part (P0001-P0010), Country and the measures Amount and Quantity.

use serde_json::json;

use super::Auth::Client;
use super::Domain::Api;
use super::*;

const DI: &str = "/api/v1/dataimport";
const FACTS: &str = "/api/v1/dataexport/providers/sac/SALES_PLAN/FactData";

/// A job of SALES_PLAN with these settings; its id is kept as `job`.
fn job_with(settings: &str) -> Step {
    post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), settings).status(201).save("job", "/jobID")
}

fn upload(body: &str) -> Step {
    post_json(Api, Client, &format!("{DI}/jobs/{{job}}"), body)
}

fn upload_csv(query: &str, body: &str) -> Step {
    post(Api, Client, &format!("{DI}/jobs/{{job}}{query}"), Some("text/csv"), body)
}

fn run(body: &str) -> Step {
    post_json(Api, Client, &format!("{DI}/jobs/{{job}}/run"), body)
}

/// Row `Part` in `Country` for July 2026 in the version given (none when empty).
fn row(version: &str, part: &str, amount: &str) -> String {
    let version = if version.is_empty() { String::new() } else { format!(r#""Version":"{version}","#) };
    format!(r#"{{{version}"Date":"202607","Part":"{part}","Country":"DE","Amount":{amount}}}"#)
}

fn exported(filter: &str) -> Step {
    get(Api, Client, &format!("{FACTS}?$filter={filter}"))
}

pub fn facts() -> Vec<Fact> {
    vec![
        fact(
            "d9dc1eb6: an upload with a valid and an invalid row answers with both counts, the refused row with its \
             reason, the validate and run URLs, and stores only the valid row",
            vec![
                job_with("{}"),
                upload(&format!(
                    r#"{{"Data":[{},{{"Version":"public.Plan","Date":"202607","Country":"DE","Amount":1,"Shop":"X"}}]}}"#,
                    row("public.Plan", "P0001", "5")
                ))
                .status(201)
                .json("/totalNumberRowsInCurrentRequest", json!(2))
                .json("/upsertedNumberRows", json!(1))
                .json("/failedNumberRows", json!(1))
                .json("/failedRows/0/row/Shop", json!("X"))
                .json(
                    "/failedRows/0/reason",
                    json!("Row has more column(s) than expected, Row is missing values for primary key(s) - Part"),
                )
                .json("/totalNumberRowsInJob", json!(1))
                .test("/validateJobURL", "the job's validate URL", |v| v.as_str().is_some_and(|u| u.ends_with("/validate")))
                .test("/runJobURL", "the job's run URL", |v| v.as_str().is_some_and(|u| u.ends_with("/run"))),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/validate"), None, "")
                    .status(201)
                    .json("/totalNumberRowsInJob", json!(1))
                    .json("/failedNumberRows", json!(0)),
            ],
        ),
        fact(
            "d9dc1eb6: a row without Version is imported into public.Actual",
            vec![
                job_with("{}"),
                upload(&format!(r#"{{"Data":[{}]}}"#, row("", "P0001", "77"))).status(201).json("/upsertedNumberRows", json!(1)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                exported("Version eq 'public.Actual' and Date eq '202607'").len("/value", 1).json("/value/0/Amount", json!(77.0)),
            ],
        ),
        fact(
            "d9dc1eb6: DefaultValues and a Mapping sent with the rows fill and rename columns for that request",
            vec![
                job_with(r#"{"DefaultValues":{"Country":"FR"}}"#),
                upload(r#"{"Mapping":{"Part":"Bike"},"DefaultValues":{"Country":"DE"},"Data":[{"Version":"public.Plan","Date":"202607","Bike":"P0002","Amount":3}]}"#)
                    .status(201)
                    .json("/upsertedNumberRows", json!(1)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                exported("Version eq 'public.Plan' and Part eq 'P0002'").len("/value", 1).json("/value/0/Country", json!("DE")),
            ],
        ),
        fact(
            "d9dc1eb6: CSV rows with the delimiter the URL names",
            vec![
                job_with("{}"),
                upload_csv("?delimiter=;", "Version;Date;Part;Country;Amount\npublic.Plan;202607;P0003;DE;4\n")
                    .status(201)
                    .json("/upsertedNumberRows", json!(1))
                    .json("/failedNumberRows", json!(0)),
            ],
        ),
        fact(
            "fe6efb8a: ignoreAdditionalColumns stores rows with columns the model lacks, without them",
            vec![
                job_with(r#"{"JobSettings":{"ignoreAdditionalColumns":true}}"#),
                upload_csv("", "Version,Date,Part,Country,Amount,Shop\npublic.Plan,202607,P0004,DE,4,S1\n")
                    .status(201)
                    .json("/upsertedNumberRows", json!(1)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
            ],
        ),
        fact(
            "fe6efb8a: executeWithFailedRows false cancels the write with [2903]; the run's override writes it",
            vec![
                job_with(r#"{"JobSettings":{"executeWithFailedRows":false}}"#),
                upload(&format!(r#"{{"Data":[{},{}]}}"#, row("public.Plan", "P0001", "1"), row("public.Plan", "P9999", "1")))
                    .status(201),
                run("{}").status(400).json("/error/message", json!("One or more failed rows detected. Write cancelled [2903]")),
                run(r#"{"overrideExecuteWithFailedRows":true}"#).status(201).json("/jobStatus", json!("COMPLETED")),
            ],
        ),
        fact(
            "f99e725f: 1011 when no valid row was pushed at all",
            vec![
                job_with("{}"),
                upload(r#"{"Data":[{"Version":"public.Plan","Date":"bad","Part":"P0001","Country":"DE","Amount":1}]}"#)
                    .status(201)
                    .json("/totalNumberRowsInJob", json!(0)),
                run("{}").status(400).body("[1011]"),
            ],
        ),
        fact(
            "f99e725f: 1033 when every row in temporary storage is invalid",
            vec![
                job_with("{}"),
                upload(&format!(r#"{{"Data":[{}]}}"#, row("public.Plan", "P9999", "1"))).status(201),
                run("{}").status(400).body("[1033]"),
            ],
        ),
        fact(
            "f99e725f: 1200 for a content type the service does not take",
            vec![job_with("{}"), post(Api, Client, &format!("{DI}/jobs/{{job}}"), Some("text/plain"), "x").status(400).body("[1200]")],
        ),
        fact(
            "f99e725f: 1202 for rows without Data, 1203 for a request Mapping that is not one",
            vec![
                job_with("{}"),
                upload(r#"{"Rows":[]}"#).status(400).body("[1202]"),
                upload(r#"{"Mapping":["Part"],"Data":[]}"#).status(400).body("[1203]"),
            ],
        ),
        fact(
            "f99e725f: 1706 for a delimiter parameter that is not one character (assumption: the trigger)",
            vec![job_with("{}"), upload_csv("?delimiter=ab", "Version\n").status(400).body("[1706]")],
        ),
        fact(
            "26e872f0: the run answers with jobStatus, the counts and the invalid-rows and status URLs",
            vec![
                job_with("{}"),
                upload(&format!(r#"{{"Data":[{},{}]}}"#, row("public.Plan", "P0001", "1"), row("public.Plan", "P9999", "1")))
                    .status(201),
                run("{}")
                    .status(201)
                    .json("/jobStatus", json!("COMPLETED"))
                    .json("/totalNumberRowsInJob", json!(2))
                    .json("/failedNumberRows", json!(1))
                    .has("/invalidRowsURL")
                    .has("/jobStatusURL"),
            ],
        ),
        fact(
            "a020ece7: the status answers with jobStatus, jobStatusDescription and the counts in additionalInformation",
            vec![
                job_with("{}"),
                upload(&format!(r#"{{"Data":[{}]}}"#, row("public.Plan", "P0001", "1"))).status(201),
                get(Api, Client, &format!("{DI}/jobs/{{job}}/status"))
                    .json("/jobStatus", json!("READY_FOR_DATA"))
                    .has("/jobStatusDescription")
                    .json("/additionalInformation/totalNumberRowsInJob", json!("1"))
                    .json("/additionalInformation/failedNumberRows", json!("0")),
            ],
        ),
        fact(
            "fe6efb8a: pivotOptions read pivoted CSV, one row per pivot column",
            vec![
                job_with(r#"{"JobSettings":{"pivotOptions":{"pivotColumnStart":4,"pivotKeyName":"Date","pivotValueName":"Amount"}}}"#),
                upload_csv("", "Version,Part,Country,202607,202608\npublic.Plan,P0005,DE,10,20\n")
                    .status(201)
                    .json("/upsertedNumberRows", json!(2)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                exported("Version eq 'public.Plan' and Part eq 'P0005' and Date eq '202608'").json("/value/0/Amount", json!(20.0)),
            ],
        ),
        fact(
            "fe6efb8a: dateFormats read a source date column in the format given",
            vec![
                job_with(r#"{"JobSettings":{"dateFormats":{"Date":"DD/MM/YYYY"}}}"#),
                upload_csv("", "Version,Date,Part,Country,Amount\npublic.Plan,15/09/2026,P0006,DE,6\npublic.Plan,2026-09,P0006,DE,6\n")
                    .status(201)
                    .json("/upsertedNumberRows", json!(1))
                    .json("/failedRows/0/reason", json!("Invalid column value for: Date")),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                exported("Version eq 'public.Plan' and Part eq 'P0006'").json("/value/0/Date", json!("202609")),
            ],
        ),
        fact(
            "fe6efb8a: dateFormats only for factData; reverseSignByAccountType not for privateFactData",
            vec![
                post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/privateFactData"), r#"{"JobSettings":{"dateFormats":{"Date":"YYYYMM"}}}"#)
                    .status(400)
                    .body("dateFormats"),
                post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/privateFactData"), r#"{"JobSettings":{"reverseSignByAccountType":true}}"#)
                    .status(400)
                    .body("reverseSignByAccountType"),
                get(Api, Client, &format!("{DI}/models/SALES_PLAN"))
                    .has("/importTypes/0/availableJobSettings/dateFormats")
                    .lacks("/importTypes/1/availableJobSettings/dateFormats"),
            ],
        ),
        fact(
            "fe6efb8a: reverseSignByAccountType flips values on INC accounts, not on EXP ones",
            vec![
                post_json(Api, Client, &format!("{DI}/models/OPEX_PLAN/factData"), r#"{"JobSettings":{"reverseSignByAccountType":true}}"#)
                    .status(201)
                    .save("job", "/jobID"),
                upload(r#"{"Data":[{"Version":"public.Plan","Date":"202607","Account":"RECHARGE","CostCenter":"CC_SALES","Amount":5},{"Version":"public.Plan","Date":"202607","Account":"RENT","CostCenter":"CC_SALES","Amount":7}]}"#)
                    .status(201),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                get(Api, Client, "/api/v1/dataexport/providers/sac/OPEX_PLAN/FactData?$filter=Version eq 'public.Plan' and Date eq '202607' and Account eq 'RECHARGE'")
                    .json("/value/0/Amount", json!(-5.0)),
                get(Api, Client, "/api/v1/dataexport/providers/sac/OPEX_PLAN/FactData?$filter=Version eq 'public.Plan' and Date eq '202607' and Account eq 'RENT'")
                    .json("/value/0/Amount", json!(7.0)),
            ],
        ),
        fact(
            "fe6efb8a: CleanAndReplace clears by Version and the dimensions dimensionScope adds",
            vec![
                job_with(r#"{"JobSettings":{"importMethod":"CleanAndReplace","dimensionScope":["Part"]}}"#),
                upload(&format!(r#"{{"Data":[{}]}}"#, row("public.Actual", "P0002", "1"))).status(201),
                post(Api, Client, &format!("{DI}/jobs/{{job}}/validate"), None, "")
                    .status(201)
                    .json("/additionalInformation/cleanAndReplaceAffectedRows", json!([{"Part": "P0002", "Version": "public.Actual"}])),
            ],
        ),
        fact(
            "fe6efb8a: importMethod DeleteAndUpsert is for currency conversion tables, not models",
            vec![post_json(Api, Client, &format!("{DI}/models/SALES_PLAN/factData"), r#"{"JobSettings":{"importMethod":"DeleteAndUpsert"}}"#)
                .status(400)
                .body("[1006]")],
        ),
        fact(
            "d6a2c679: public dimensions list publicDimensionID, Name, Description and URL",
            vec![get(Api, Client, &format!("{DI}/publicDimensions"))
                .has("/publicDimensions/0/publicDimensionID")
                .has("/publicDimensions/0/publicDimensionName")
                .has("/publicDimensions/0/publicDimensionDescription")
                .has("/publicDimensions/0/publicDimensionURL")],
        ),
        fact(
            "6dc1b04e: a public dimension takes publicDimensionData jobs only; another import type is 1301",
            vec![
                post_json(Api, Client, &format!("{DI}/publicDimensions/ZEPPART_001/publicDimensionData"), "{}").status(201),
                post_json(Api, Client, &format!("{DI}/publicDimensions/ZEPPART_001/masterData"), "{}")
                    .status(400)
                    .body("[1301]"),
            ],
        ),
        fact(
            "d9dc1eb6: a public dimension import overwrites the attributes a row omits (Data Overwrite)",
            vec![
                post_json(Api, Client, &format!("{DI}/publicDimensions/Country/publicDimensionData"), "{}")
                    .status(201)
                    .save("job", "/jobID"),
                upload(r#"{"Data":[{"ID":"DE"}]}"#).status(201).json("/upsertedNumberRows", json!(1)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                get(Api, Client, "/api/v1/dataexport/providers/sac/SALES_PLAN/CountryMaster?$filter=ID eq 'DE'")
                    .json("/value/0/ID", json!("DE"))
                    .test("/value/0", "without a Description", |v| v.get("Description").is_none_or(|d| d == "" || d.is_null())),
            ],
        ),
        fact(
            "9da58613: a one-click import of CSV creates, fills, validates and runs a job in one request",
            vec![
                post(Api, Client, &format!("{DI}/import/SALES_PLAN"), Some("text/csv"), "Version,Date,Part,Country,Amount\npublic.Plan,202610,P0007,DE,3\npublic.Plan,202610,P9999,DE,3\n")
                    .status(201)
                    .json("/jobStatus", json!("COMPLETED"))
                    .test("/jobID", "a job id", |v| v.as_str().is_some_and(|s| s.len() == 36))
                    .has("/jobStatusURL")
                    .json("/additionalInformation/totalNumberRowsInJob", json!("2"))
                    .json("/additionalInformation/failedNumberRows", json!("1")),
                exported("Version eq 'public.Plan' and Date eq '202610'").len("/value", 1),
            ],
        ),
        fact(
            "e11f1829: a one-click import with the import type in the URL takes JobSettings, DefaultValues and Data",
            vec![
                post_json(Api, Client, &format!("{DI}/import/SALES_PLAN/factData"), r#"{"JobSettings":{"importMethod":"Update"},"DefaultValues":{"Country":"DE"},"Data":[{"Version":"public.Plan","Date":"202611","Part":"P0008","Amount":2},{"Date":"202611","Part":"P0008","Amount":4}]}"#)
                    .status(201)
                    .json("/jobStatus", json!("COMPLETED"))
                    .json("/additionalInformation/totalNumberRowsInJob", json!("2")),
                exported("Date eq '202611' and Part eq 'P0008'").len("/value", 2),
                post_json(Api, Client, &format!("{DI}/import/SALES_PLAN/bogusType"), r#"{"Data":[]}"#).status(400).body("[1301]"),
                post_json(Api, Client, &format!("{DI}/import/NOPE/factData"), r#"{"Data":[]}"#).status(404).body("[1704]"),
            ],
        ),
        fact(
            "65d18cdd, 69987b8c, a9c475c7: currency conversion tables listed, with their import type and metadata",
            vec![
                get(Api, Client, &format!("{DI}/currencyConversions"))
                    .json("/currencyConversions/0/currencyConversionID", json!("CPL_CURRENCY_RATES"))
                    .has("/currencyConversions/0/currencyConversionName")
                    .has("/currencyConversions/0/currencyConversionDescription")
                    .has("/currencyConversions/0/currencyConversionURL"),
                get(Api, Client, &format!("{DI}/currencyConversions/CPL_CURRENCY_RATES"))
                    .json("/importTypes", json!(["currencyTable"]))
                    .has("/importTypeUrls/currencyTable")
                    .has("/metadataURL"),
                get(Api, Client, &format!("{DI}/currencyConversions/CPL_CURRENCY_RATES/metadata"))
                    .has("/currencyTable/keys")
                    .json("/currencyTable/columns/5/columnName", json!("validFromDate")),
                get(Api, Client, &format!("{DI}/currencyConversions/NOPE")).status(404),
            ],
        ),
        fact(
            "5b7149de, d9dc1eb6: a currency table job (DeleteAndUpsert) deletes the DeletedData rows and upserts Data",
            vec![
                post_json(Api, Client, &format!("{DI}/currencyConversions/CPL_CURRENCY_RATES"), "{}")
                    .status(201)
                    .has("/JobURL")
                    .save("job", "/JobID"),
                upload(r#"{"DefaultValues":{"toCurr":"USD"},"Data":[{"category":"Actuals","rateType":"Average","rateVersion":"","fromCurr":"JPY","validFromDate":"2026-01-01","rateValue":"0.0067"}],"DeletedData":[{"category":"Actuals","rateType":"Average","rateVersion":"","fromCurr":"GBP","validFromDate":"2026-01-01"},{"fromCurr":"CHF"}]}"#)
                    .status(201)
                    .json("/upsertedNumberRows", json!(1))
                    .json("/totalNumberDeletedRowsInCurrentRequest", json!(2))
                    .json("/failedDeletedDataNumberRows", json!(1))
                    .has("/failedDeletedDataRows/0/reason"),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                get(Api, Client, "/api/v1/dataexport/providers/sac_currency_tables/t.G:CPL_CURRENCY_RATES/CurrencyTable?$filter=fromCurr eq 'JPY'")
                    .len("/value", 1),
                get(Api, Client, "/api/v1/dataexport/providers/sac_currency_tables/t.G:CPL_CURRENCY_RATES/CurrencyTable?$filter=fromCurr eq 'GBP' and category eq 'Actuals'")
                    .len("/value", 0),
            ],
        ),
        fact(
            "5b7149de: DropAndInsert replaces the whole currency table; DeletedData is refused for models",
            vec![
                post_json(Api, Client, &format!("{DI}/currencyConversions/CPL_CURRENCY_RATES"), r#"{"JobSettings":{"importMethod":"DropAndInsert"}}"#)
                    .status(201)
                    .save("job", "/JobID"),
                upload_csv("", "category,rateType,rateVersion,fromCurr,toCurr,validFromDate,rateValue\nActuals,Average,,SEK,USD,2026-03-01,0.095\n")
                    .status(201)
                    .json("/upsertedNumberRows", json!(1)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                get(Api, Client, "/api/v1/dataexport/providers/sac_currency_tables/t.G:CPL_CURRENCY_RATES/CurrencyTable")
                    .len("/value", 1)
                    .json("/value/0/fromCurr", json!("SEK")),
                job_with("{}"),
                upload(&format!(r#"{{"Data":[{}],"DeletedData":[{}]}}"#, row("public.Plan", "P0001", "1"), row("public.Plan", "P0002", "1")))
                    .status(400)
                    .body("[1006]"),
            ],
        ),
        fact(
            "193e547f, 2f0cc22a, b3de11f1: unit tables T006 and T006A listed; T006 takes conversionRates jobs with DeleteAndUpsert only",
            vec![
                get(Api, Client, &format!("{DI}/unitConversions"))
                    .json("/unitConversions/0/unitConversionID", json!("T006"))
                    .json("/unitConversions/1/unitConversionID", json!("T006A")),
                get(Api, Client, &format!("{DI}/unitConversions/T006"))
                    .json("/importTypes/0/importType", json!("conversionRates"))
                    .json("/importTypes/0/availableJobSettings/importMethod", json!(["DeleteAndUpsert"]))
                    .has("/importTypeUrls/conversionRates")
                    .has("/metadataUrl"),
                get(Api, Client, &format!("{DI}/unitConversions/T006A/metadata")).has("/unitDescriptions/keys"),
                post_json(Api, Client, &format!("{DI}/unitConversions/T006"), r#"{"JobSettings":{"importMethod":"DropAndInsert"}}"#)
                    .status(400)
                    .body("[1006]"),
                post_json(Api, Client, &format!("{DI}/unitConversions/T006/unitDescriptions"), "{}").status(400).body("[1301]"),
            ],
        ),
        fact(
            "d9dc1eb6: a T006A job adds descriptions and deletes others by their keys",
            vec![
                post_json(Api, Client, &format!("{DI}/unitConversions/T006A/unitDescriptions"), "{}")
                    .status(201)
                    .save("job", "/JobID"),
                upload(r#"{"Data":[{"SPRAS":"E","MSEHI":"KG","MSEHT":"kgs","MSEHL":"Kilos"}],"DeletedData":[{"SPRAS":"D","MSEHI":"KG"}]}"#)
                    .status(201)
                    .json("/upsertedNumberRows", json!(1))
                    .json("/failedDeletedDataNumberRows", json!(0)),
                run("{}").status(201).json("/jobStatus", json!("COMPLETED")),
                get(Api, Client, "/api/v1/dataexport/providers/sac_unit_conversion/T006A/UnitDescriptions?$filter=MSEHI eq 'KG' and SPRAS eq 'E'")
                    .json("/value/0/MSEHL", json!("Kilos")),
            ],
        ),
    ]
}
