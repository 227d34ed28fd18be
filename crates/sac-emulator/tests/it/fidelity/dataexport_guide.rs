//! Facts of the Data Export pages of SAP's guide (pages 14-51) beyond `facts.rs`: the four
//! namespaces and their providers, currency tables, public dimensions, unit conversion tables,
//! CSV options, query options and the numbered errors of page dbf30343. Each row names the
//! page hash it comes from. The demo tenant has the currency table CPL_CURRENCY_RATES (7 rates:
//! EUR twice and GBP, CHF, ZAR in Actuals; EUR and GBP in Planning) and SAP's standard units
//! (15 units in 6 groups, texts in English and German).

use serde_json::{json, Value};

use super::facts::{ADMIN, FACTS, PROVIDER};
use super::Auth::Client;
use super::Domain::Api;
use super::*;

const PROVIDERS: &str = "/api/v1/dataexport/providers";
const CURRENCY: &str = "/api/v1/dataexport/providers/sac_currency_tables/t.G:CPL_CURRENCY_RATES";
const PARTS: &str = "/api/v1/dataexport/providers/sac_public_dimensions/t.G:ZEPPART_001";

fn namespace_ids(v: &Value) -> bool {
    let ids: Vec<&str> = v.as_array().into_iter().flatten().filter_map(|n| n["NamespaceID"].as_str()).collect();
    ids == ["sac", "sac_currency_tables", "sac_public_dimensions", "sac_unit_conversion"]
}

fn unit_providers(v: &Value) -> bool {
    let ids: Vec<&str> = v.as_array().into_iter().flatten().filter_map(|n| n["ProviderID"].as_str()).collect();
    ["StandardUnitConversion", "T006", "T006A", "T006D", "T006T"].iter().all(|id| ids.contains(id))
}

/// Every row has exactly `rate`, `fromCurr` and `toCurr`, and no pair twice.
fn distinct_pairs(v: &Value) -> bool {
    let rows = v.as_array().cloned().unwrap_or_default();
    let mut pairs: Vec<String> = rows
        .iter()
        .filter(|r| r.as_object().is_some_and(|o| o.len() == 3 && o.contains_key("rate")))
        .map(|r| format!("{}>{}", r["fromCurr"], r["toCurr"]))
        .collect();
    let all = pairs.len() == rows.len();
    pairs.sort();
    pairs.dedup();
    all && pairs.len() == rows.len() && rows.len() == 4
}

fn ends_with(v: &Value, suffix: &str) -> bool {
    v.as_str().is_some_and(|s| s.ends_with(suffix))
}

fn currency_service_url(v: &Value) -> bool {
    ends_with(v, "/api/v1/dataexport/providers/sac_currency_tables/t.G:CPL_CURRENCY_RATES/")
}

fn unit_context(v: &Value) -> bool {
    ends_with(v, "/api/v1/dataexport/providers/sac_unit_conversion/T006/$metadata#ConversionRates")
        && v.as_str().is_some_and(|s| s.starts_with("http"))
}

fn unit_description_context(v: &Value) -> bool {
    ends_with(v, "/providers/sac_unit_conversion/T006A/$metadata#UnitDescriptions")
}

fn public_dimension_context(v: &Value) -> bool {
    ends_with(v, "/providers/sac_public_dimensions/t.G%3AZEPPART_001/$metadata#PublicDimensionData")
}

/// The kilogram is the base unit of mass: its English row says so, with its group's text.
fn kilogram_is_base(v: &Value) -> bool {
    v.as_array().into_iter().flatten().any(|r| {
        r["UnitOfMeasurement"] == "KG"
            && r["Language"] == "en"
            && r["IsBaseUnitInGroup"] == "X"
            && r["GroupIDText"] == "Mass"
            && r["Numerator"].is_number()
    })
}

fn is_number(v: &Value) -> bool {
    v.is_number()
}

pub fn facts() -> Vec<Fact> {
    vec![
        // ---- namespaces and providers (pages 8389d04c, 7a831ba4, bf520338; changelog 644d83e8)
        fact(
            "Namespaces lists sac, sac_currency_tables, sac_public_dimensions, sac_unit_conversion (8389d04c, 644d83e8)",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces")).test("/value", "the four namespaces", namespace_ids)],
        ),
        fact(
            "/administration/$metadata describes Namespaces and Providers, XML or $format=JSON (f2dcf405, 644d83e8 1.3.1)",
            vec![
                get(Api, Client, &format!("{ADMIN}/$metadata"))
                    .header("content-type", "application/xml")
                    .body("<EntityType Name=\"Providers\"><Key><PropertyRef Name=\"NamespaceID\"/><PropertyRef Name=\"ProviderID\"/></Key>")
                    .body("<Property Name=\"ProviderID\" Type=\"Edm.String\" Nullable=\"false\""),
                get(Api, Client, &format!("{ADMIN}/$metadata?$format=JSON"))
                    .json("/sac/Namespaces/$Key", json!(["NamespaceID"]))
                    .json("/sac/Container/Providers/$Type", json!("sac.Providers")),
            ],
        ),
        fact(
            "Namespaces(NamespaceID='sac_unit_conversion') is one namespace with its description (7a831ba4)",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac_unit_conversion')"))
                .json("/NamespaceID", json!("sac_unit_conversion"))
                .json("/Description", json!("SAC Unit Conversion"))],
        ),
        fact(
            "an unknown namespace is 1201, in the administration service and under providers (dbf30343)",
            vec![
                get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='nope')/Providers"))
                    .status(404)
                    .json("/error/code", json!("1201")),
                get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='nope')")).status(404).body("[1201]"),
                get(Api, Client, &format!("{PROVIDERS}/nope/SALES_PLAN/FactData")).status(404).body("[1201]"),
            ],
        ),
        fact(
            "a known namespace with an unknown provider is 1204 (dbf30343)",
            vec![
                get(Api, Client, &format!("{PROVIDERS}/sac/NOPE/FactData")).status(404).json("/error/code", json!("1204")),
                get(Api, Client, &format!("{PROVIDERS}/sac_currency_tables/t.G:NOPE/CurrencyTable"))
                    .status(404)
                    .body("[1204]"),
                get(Api, Client, &format!("{PROVIDERS}/sac_unit_conversion/T999/")).status(404).body("[1204]"),
            ],
        ),
        fact(
            "the administration lists take $filter (toupper too), $select, $top, $orderby and $count (607f77a6)",
            vec![
                get(Api, Client, &format!("{ADMIN}/Namespaces?$filter=toupper(NamespaceID)%20eq%20'SAC'"))
                    .len("/value", 1)
                    .json("/value/0/NamespaceID", json!("sac")),
                get(
                    Api,
                    Client,
                    &format!("{ADMIN}/Namespaces(NamespaceID='sac_unit_conversion')/Providers?$select=ProviderID&$orderby=ProviderID%20desc&$top=2&$count=true"),
                )
                .json("/@odata.count", json!(5))
                .json("/value", json!([{"ProviderID": "T006T"}, {"ProviderID": "T006D"}])),
            ],
        ),
        fact(
            "the currency tables are providers t.G:<id> of sac_currency_tables with a ServiceURL (bf520338, 859c3671)",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac_currency_tables')/Providers"))
                .json("/value/0/ProviderID", json!("t.G:CPL_CURRENCY_RATES"))
                .json("/value/0/NamespaceID", json!("sac_currency_tables"))
                .test("/value/0/ServiceURL", "the provider's URL", currency_service_url)],
        ),
        fact(
            "public dimensions are providers t.G:<id>, named without the prefix, described '<id> - <text>' (644d83e8 1.2.0)",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac_public_dimensions')/Providers"))
                .test("/value", "ZEPPART_001 among them", |v| {
                    v.as_array().into_iter().flatten().any(|p| {
                        p["ProviderID"] == "t.G:ZEPPART_001"
                            && p["ProviderName"] == "ZEPPART_001"
                            && p["Description"].as_str().is_some_and(|d| d.starts_with("ZEPPART_001 - "))
                    })
                })],
        ),
        fact(
            "the unit conversion tables and StandardUnitConversion are providers of sac_unit_conversion (03cfa63a, 91794c97)",
            vec![get(Api, Client, &format!("{ADMIN}/Namespaces(NamespaceID='sac_unit_conversion')/Providers"))
                .test("/value", "T006, T006A, T006D, T006T and StandardUnitConversion", unit_providers)],
        ),
        // ---- currency tables (pages 859c3671, 8fa6971e)
        fact(
            "CurrencyTable: rate (the table's id), category, rateType, rateVersion, fromCurr, toCurr, validFrom, rateValue (859c3671)",
            vec![get(Api, Client, &format!("{CURRENCY}/CurrencyTable"))
                .json("/@odata.context", json!("$metadata#CurrencyTable"))
                .len("/value", 7)
                .json("/value/0/rate", json!("t.G:CPL_CURRENCY_RATES"))
                .json("/value/0/validFrom", json!("2026-01-01"))
                .test("/value/0/rateValue", "a number", is_number)
                .has("/value/0/rateVersion")],
        ),
        fact(
            "the currency table's service document names CurrencyTable (4e4f683c)",
            vec![get(Api, Client, &format!("{CURRENCY}/"))
                .json("/@odata.context", json!("$metadata"))
                .json("/value", json!([{"name": "CurrencyTable", "url": "CurrencyTable"}]))],
        ),
        fact(
            "toCurr___fromCurr___Distinct gives rate and those columns, each combination once, as CurrencyTable (8fa6971e)",
            vec![get(Api, Client, &format!("{CURRENCY}/toCurr___fromCurr___Distinct"))
                .json("/@odata.context", json!("$metadata#CurrencyTable"))
                .test("/value", "4 distinct pairs of rate, fromCurr, toCurr", distinct_pairs)],
        ),
        fact(
            "a limiter that is not a column of the table is 1401; a set the provider lacks is 3707 (dbf30343)",
            vec![
                get(Api, Client, &format!("{CURRENCY}/colour___Distinct")).status(400).body("[1401]"),
                get(Api, Client, &format!("{CURRENCY}/FactData")).status(404).body("[3707]"),
            ],
        ),
        fact(
            "$filter, $orderby and $select work on CurrencyTable like on FactData (607f77a6)",
            vec![get(
                Api,
                Client,
                &format!("{CURRENCY}/CurrencyTable?$filter=fromCurr%20eq%20'EUR'%20and%20rateValue%20gt%201.09&$select=fromCurr,rateValue"),
            )
            .len("/value", 1)
            .json("/value/0", json!({"fromCurr": "EUR", "rateValue": 1.1}))],
        ),
        // ---- public dimensions (page b0dae84e; changelog 644d83e8 1.2.0)
        fact(
            "PublicDimensionData: the members with ID and Description, an absolute context with the id encoded (b0dae84e, 644d83e8)",
            vec![get(Api, Client, &format!("{PARTS}/PublicDimensionData?$top=2"))
                .test("/@odata.context", "…/t.G%3AZEPPART_001/$metadata#PublicDimensionData", public_dimension_context)
                .json("/value/0/ID", json!("P0001"))
                .has("/value/0/Description")
                .json("/@des.entitiesInPage", json!("2"))],
        ),
        fact(
            "a public dimension's service document and $metadata name PublicDimensionData keyed by ID (644d83e8 1.2.0)",
            vec![
                get(Api, Client, &format!("{PARTS}/"))
                    .json("/value", json!([{"name": "PublicDimensionData", "url": "PublicDimensionData"}])),
                get(Api, Client, &format!("{PARTS}/$metadata"))
                    .body("<EntityType Name=\"PublicDimensionData\"><Key><PropertyRef Name=\"ID\"/></Key>"),
            ],
        ),
        // ---- unit conversion (pages 03cfa63a, 10ee4cf2, 91794c97, eb90ae27)
        fact(
            "T006/ConversionRates: SAP's columns, an absolute context (03cfa63a)",
            vec![get(Api, Client, &format!("{PROVIDERS}/sac_unit_conversion/T006/ConversionRates?$filter=MSEHI%20eq%20'KG'"))
                .test("/@odata.context", "the provider's absolute $metadata#ConversionRates", unit_context)
                .json("/value/0/MANDT", json!("000"))
                .json("/value/0/DIMID", json!("MASS"))
                .json("/value/0/ISOCODE", json!("KGM"))
                .json("/value/0/KZWOB", Value::Null)
                .test("/value/0/ZAEHL", "a number", is_number)],
        ),
        fact(
            "T006A/UnitDescriptions: per language, SPRAS and LANGUAGE (10ee4cf2)",
            vec![get(
                Api,
                Client,
                &format!("{PROVIDERS}/sac_unit_conversion/T006A/UnitDescriptions?$filter=MSEHI%20eq%20'BAG'&$orderby=LANGUAGE%20desc"),
            )
            .test("/@odata.context", "…/T006A/$metadata#UnitDescriptions", unit_description_context)
            .len("/value", 2)
            .json("/value/0/LANGUAGE", json!("en"))
            .json("/value/0/SPRAS", json!("E"))
            .json("/value/0/MSEHL", json!("Bag"))],
        ),
        fact(
            "StandardUnitConversion/ConversionRates: one row per unit and language, group text and base unit (91794c97)",
            vec![get(Api, Client, &format!("{PROVIDERS}/sac_unit_conversion/StandardUnitConversion/ConversionRates"))
                .json("/@odata.context", json!("$metadata#ConversionRates"))
                .len("/value", 30)
                .test("/value", "KG the base of Mass, in English", kilogram_is_base)],
        ),
        // ---- CSV (page db13b8e7; changelog 644d83e8 1.2.1)
        fact(
            "CSV ends each line with the nextLink column; a last line carries the next page's link (db13b8e7)",
            vec![get(Api, Client, &format!("{FACTS}?$format=text/csv&pagesize=2"))
                .header("content-type", "text/csv")
                .body("Version,Date,Part,Country,Amount,Quantity,nextLink\n")
                .body("\n,,,,,,http")
                .body("%24skiptoken=2")],
        ),
        fact(
            "delimiter=! separates CSV columns with ! (644d83e8 1.2.1, db13b8e7)",
            vec![get(Api, Client, &format!("{PROVIDERS}/sac_currency_tables/t.G:CPL_CURRENCY_RATES/CurrencyTable?$format=text/csv&delimiter=!&$top=1"))
                .body("rate!category!rateType!rateVersion!fromCurr!toCurr!validFrom!rateValue!nextLink\n")
                .body("t.G:CPL_CURRENCY_RATES!Actuals!Average!!")],
        ),
        // ---- query options and errors (pages 607f77a6, dbf30343)
        fact(
            "$orderby with a direction other than asc or desc is 1405 (dbf30343)",
            vec![get(Api, Client, &format!("{FACTS}?$orderby=Date%20down")).status(400).json("/error/code", json!("1405"))],
        ),
        fact(
            "$select naming a column the set lacks is 1401 (dbf30343)",
            vec![
                get(Api, Client, &format!("{FACTS}?$select=Nope")).status(400).json("/error/code", json!("1401")),
                get(Api, Client, &format!("{PROVIDER}/PartMaster?$select=Colour")).status(400).body("[1401]"),
            ],
        ),
        fact(
            "a negative pagesize is the non-blocking 1406: the default page size is used (dbf30343)",
            vec![get(Api, Client, &format!("{FACTS}?pagesize=-5&$top=3")).len("/value", 3)],
        ),
        fact(
            "$filter tolower(...) and toupper(...) compare a text property in another case (607f77a6)",
            vec![
                get(Api, Client, &format!("{FACTS}?$filter=toupper(Part)%20eq%20'P0003'%20and%20tolower(Country)%20eq%20'us'"))
                    .len("/value", 6),
                get(Api, Client, &format!("{FACTS}?$filter=tolower(Part)%20eq%20'P0003'")).len("/value", 0),
                get(Api, Client, &format!("{FACTS}?$filter=tolower(Amount)%20eq%20'1'")).status(400).body("is a number"),
            ],
        ),
        fact(
            "MasterWithHierarchy rows carry <H>_PREVID (the sibling before) and <H>_ORDERID (place among siblings) (f6165921)",
            vec![get(
                Api,
                Client,
                "/api/v1/dataexport/providers/sac/OPEX_PLAN/CostCenterMasterWithHierarchy?$filter=ID%20eq%20'CC110'%20or%20ID%20eq%20'CC100'",
            )
            .len("/value", 2)
            .json("/value/0/H1_PARENTID", json!("CC_ADMIN"))
            .json("/value/0/H1_PREVID", json!(""))
            .json("/value/0/H1_ORDERID", json!("1"))
            .json("/value/1/H1_PREVID", json!("CC100"))
            .json("/value/1/H1_ORDERID", json!("2"))],
        ),
        fact(
            "pages carry @des.entitiesInPage and @des.processingTimeInMilliseconds as strings (b01ea81b, 644d83e8)",
            vec![get(Api, Client, &format!("{FACTS}?$top=3"))
                .json("/@des.entitiesInPage", json!("3"))
                .test("/@des.processingTimeInMilliseconds", "digits", |v| {
                    v.as_str().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                })],
        ),
    ]
}
