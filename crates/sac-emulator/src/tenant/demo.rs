//! The demo tenant of the design contract: tenant `G`, users `JDOE` and
//! `VIEWER`, BW InfoObject `ZEPPART` with 89 records, the ZEPPART import
//! schedule, the planning model `SALES_PLAN` and the multi action
//! `MA_LOAD_ZEPPART`.

use super::*;

/// The tenant letter: ids of the tenant's objects read `t.G:NAME`.
pub const TENANT: &str = "G";
/// The ZEPPART import schedule and its mapping.
pub const SCHEDULE_ID: &str = "F58CA15F78AA9039E200586F05E2BB93";
pub const MAPPING_ID: &str = "F48CA15F78AA9039E200586F05E2BB93";
/// The schedule's one run in the seeded history, before anything started.
pub const HISTORY_RUN_ID: &str = "E1A0C3F2B5D74E6A9C8B7A6F5E4D3C21";
/// The dimension the schedule loads, as stored and as clients name it.
pub const PARTS_DIMENSION: &str = "ZEPPART_001";
pub const PARTS_MODEL: &str = "t.G:ZEPPART_001";
/// The planning model of parts and countries.
pub const SALES_MODEL: &str = "SALES_PLAN";
/// The multi action, as stored and as clients name it.
pub const MULTI_ACTION_ID: &str = "MA_LOAD_ZEPPART";
pub const MULTI_ACTION: &str = "t.G:MA_LOAD_ZEPPART";
/// The technical client (Data Import and Data Export services): id, secret.
pub const API_CLIENT: (&str, &str) = ("sacctl-api", "sacctl-api-secret");
/// The interactive client (user grants): id, secret.
pub const USER_CLIENT: (&str, &str) = ("sacctl-user", "sacctl-user-secret");
/// The planner every user grant signs in as, and the demo users' password.
pub const PLANNER: &str = "JDOE";
pub const VIEWER: &str = "VIEWER";
pub const PASSWORD: &str = "Welcome1!";

impl Tenant {
    /// The demo tenant of the design contract.
    pub fn demo() -> Self {
        let countries: Vec<Row> = ISO_COUNTRIES.split_whitespace().map(country_row).collect();
        let zeppart_rows: Vec<Row> = (1..=89).map(zeppart_row).collect();
        let interactive_redirects = vec!["http://127.0.0.1:*".to_string(), "http://localhost:*".to_string()];
        Tenant {
            letter: TENANT.into(),
            access_token_secs: DEFAULT_ACCESS_TOKEN_SECS,
            refresh_token_secs: DEFAULT_REFRESH_TOKEN_SECS,
            idp_entity_id: default_idp_entity(),
            sp_entity_id: default_sp_entity(),
            clients: vec![
                OAuthClient {
                    id: API_CLIENT.0.into(),
                    secret: API_CLIENT.1.into(),
                    purpose: Purpose::Api,
                    grants: vec!["client_credentials".into()],
                    access: vec!["Data Import Service".into(), "Data Export Service".into()],
                    redirect_uris: vec![],
                },
                OAuthClient {
                    id: USER_CLIENT.0.into(),
                    secret: USER_CLIENT.1.into(),
                    purpose: Purpose::Interactive,
                    grants: vec![
                        "authorization_code".into(),
                        "refresh_token".into(),
                        "password".into(),
                        "saml2_bearer".into(),
                    ],
                    access: vec![],
                    redirect_uris: interactive_redirects,
                },
            ],
            users: vec![
                User {
                    id: PLANNER.into(),
                    password: PASSWORD.into(),
                    display_name: "John Doe".into(),
                    in_tenant: true,
                    role: Role::Planner,
                },
                User {
                    id: VIEWER.into(),
                    password: PASSWORD.into(),
                    display_name: "Vera Viewer".into(),
                    in_tenant: true,
                    role: Role::Viewer,
                },
                User {
                    id: "KSMITH".into(),
                    password: PASSWORD.into(),
                    display_name: "Kurt Smith (IdP only, no SAC user)".into(),
                    in_tenant: false,
                    role: Role::Planner,
                },
            ],
            sources: vec![SourceSystem {
                name: "ZW2_IMPORT".into(),
                kind: "SAP BW (Including BW/4HANA)".into(),
                system: "ZW2".into(),
                objects: vec![SourceObject {
                    name: "ZEPPART".into(),
                    fields: vec!["ZEPPART".into(), "COUNTRY".into()],
                    rows: zeppart_rows,
                }],
            }],
            dimensions: vec![
                Dimension {
                    id: PARTS_DIMENSION.into(),
                    description: "Parts (from BW InfoObject ZEPPART)".into(),
                    attributes: vec!["ID".into(), "Description".into(), "Country".into()],
                    members: vec![],
                    hierarchies: vec![],
                },
                Dimension {
                    id: "Country".into(),
                    description: "Countries (ISO 3166 alpha-2)".into(),
                    attributes: vec!["ID".into(), "Description".into()],
                    members: countries,
                    hierarchies: vec![],
                },
                Dimension {
                    id: "OPEX_ACCOUNT".into(),
                    description: "Operating expense accounts".into(),
                    attributes: vec!["ID".into(), "Description".into(), "accType".into()],
                    members: opex_accounts(),
                    hierarchies: vec![],
                },
                Dimension {
                    id: "CostCenter".into(),
                    description: "Cost centers (parent-child hierarchy H1)".into(),
                    attributes: vec!["ID".into(), "Description".into(), "H1".into()],
                    members: cost_centers(),
                    hierarchies: vec!["H1".into()],
                },
            ],
            schedules: vec![ScheduleDef {
                schedule_id: SCHEDULE_ID.into(),
                mapping_id: MAPPING_ID.into(),
                mapping_name: "ZW2_IMPORT ZEPPART".into(),
                target: PARTS_DIMENSION.into(),
                source: "ZW2_IMPORT".into(),
                object: "ZEPPART".into(),
                job_type: default_job_type(),
                columns: BTreeMap::from([
                    ("ID".to_string(), "ZEPPART".to_string()),
                    ("Country".to_string(), "COUNTRY".to_string()),
                ]),
                checks: BTreeMap::from([("Country".to_string(), "Country".to_string())]),
            }],
            history: vec![PastRun {
                schedule_id: SCHEDULE_ID.into(),
                execution_id: HISTORY_RUN_ID.into(),
                user: PLANNER.into(),
                start_time: "2020-11-13T09:15:02Z".into(),
                end_time: "2020-11-13T09:15:40Z".into(),
            }],
            models: vec![
                ModelDef {
                    id: SALES_MODEL.into(),
                    description: "Sales planning by part and country".into(),
                    dimensions: vec![
                        dimension("Version", DimensionKind::Version, None),
                        ModelDimension {
                            date_range: Some(("202601".into(), "202612".into())),
                            ..dimension("Date", DimensionKind::Date, None)
                        },
                        dimension("Part", DimensionKind::Generic, Some(PARTS_DIMENSION)),
                        dimension("Country", DimensionKind::Generic, Some("Country")),
                    ],
                    measures: vec!["Amount".into(), "Quantity".into()],
                    versions: vec!["public.Actual".into(), "public.Plan".into(), "public.Forecast".into()],
                    facts: sales_facts(),
                    audit: true,
                },
                ModelDef {
                    id: "OPEX_PLAN".into(),
                    description: "Operating expenses by account and cost center".into(),
                    dimensions: vec![
                        dimension("Version", DimensionKind::Version, None),
                        ModelDimension {
                            date_range: Some(("202601".into(), "202612".into())),
                            ..dimension("Date", DimensionKind::Date, None)
                        },
                        dimension("Account", DimensionKind::Account, Some("OPEX_ACCOUNT")),
                        dimension("CostCenter", DimensionKind::Generic, Some("CostCenter")),
                    ],
                    measures: vec!["Amount".into()],
                    versions: vec!["public.Actual".into(), "public.Plan".into()],
                    facts: opex_facts(),
                    audit: false,
                },
            ],
            multi_actions: vec![MultiActionDef {
                id: MULTI_ACTION_ID.into(),
                description: "Load ZEPPART from BW, then copy Actual into the target version".into(),
                parameters: vec![MultiActionParameter { id: "TargetVersion".into(), version_of: SALES_MODEL.into() }],
                steps: vec![
                    MultiActionStep::DataImport { schedule_id: SCHEDULE_ID.into() },
                    MultiActionStep::CopyVersion {
                        model: SALES_MODEL.into(),
                        from: "public.Actual".into(),
                        to_parameter: "TargetVersion".into(),
                    },
                ],
            }],
            currency_tables: vec![units::demo_currency_table()],
        }
    }
}

fn dimension(name: &str, kind: DimensionKind, members_of: Option<&str>) -> ModelDimension {
    ModelDimension { name: name.into(), kind, members_of: members_of.map(Into::into), date_range: None }
}

fn row(pairs: &[(&str, &str)]) -> Row {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A country member; the countries the demo parts come from have a name.
fn country_row(code: &str) -> Row {
    const NAMES: [(&str, &str); 20] = [
        ("DE", "Germany"),
        ("US", "United States"),
        ("FR", "France"),
        ("GB", "United Kingdom"),
        ("IT", "Italy"),
        ("ES", "Spain"),
        ("NL", "Netherlands"),
        ("AT", "Austria"),
        ("CH", "Switzerland"),
        ("BE", "Belgium"),
        ("PL", "Poland"),
        ("SE", "Sweden"),
        ("JP", "Japan"),
        ("CN", "China"),
        ("IN", "India"),
        ("BR", "Brazil"),
        ("CA", "Canada"),
        ("AU", "Australia"),
        ("MX", "Mexico"),
        ("ZA", "South Africa"),
    ];
    match NAMES.iter().find(|(c, _)| *c == code) {
        Some((_, name)) => row(&[("ID", code), ("Description", name)]),
        None => row(&[("ID", code)]),
    }
}

/// Accounts of the OPEX model with SAC's account types (EXP expense, INC income).
fn opex_accounts() -> Vec<Row> {
    [
        ("TRAVEL", "Travel", "EXP"),
        ("RENT", "Rent", "EXP"),
        ("SALARIES", "Salaries", "EXP"),
        ("RECHARGE", "Recharges", "INC"),
    ]
    .iter()
    .map(|(id, text, acc)| row(&[("ID", id), ("Description", text), ("accType", acc)]))
    .collect()
}

/// Cost centers in one parent-child hierarchy `H1`: CC_ALL at the top.
fn cost_centers() -> Vec<Row> {
    [
        ("CC_ALL", "All cost centers", ""),
        ("CC_ADMIN", "Administration", "CC_ALL"),
        ("CC_SALES", "Sales", "CC_ALL"),
        ("CC100", "Finance", "CC_ADMIN"),
        ("CC110", "HR", "CC_ADMIN"),
        ("CC200", "Field sales", "CC_SALES"),
    ]
    .iter()
    .map(|(id, text, parent)| row(&[("ID", id), ("Description", text), ("H1", parent)]))
    .collect()
}

/// Actual expenses of the leaf cost centers, January to March 2026.
fn opex_facts() -> Vec<Row> {
    let mut facts = Vec::new();
    for (i, cc) in ["CC100", "CC110", "CC200"].iter().enumerate() {
        for (j, account) in ["TRAVEL", "RENT", "SALARIES"].iter().enumerate() {
            for month in 1..=3 {
                let amount = format!("{}", 500 * (i + 1) + 100 * j + 10 * month);
                facts.push(row(&[
                    ("Version", "public.Actual"),
                    ("Date", &format!("2026{month:02}")),
                    ("Account", account),
                    ("CostCenter", cc),
                    ("Amount", &amount),
                ]));
            }
        }
    }
    facts
}

/// Actual sales of the first ten parts in their countries, January to June 2026.
fn sales_facts() -> Vec<Row> {
    let mut facts = Vec::new();
    for part in 1..=10 {
        let country = zeppart_row(part)["COUNTRY"].clone();
        for month in 1..=6 {
            facts.push(Row::from([
                ("Version".to_string(), "public.Actual".to_string()),
                ("Date".to_string(), format!("2026{month:02}")),
                ("Part".to_string(), format!("P{part:04}")),
                ("Country".to_string(), country.clone()),
                ("Amount".to_string(), format!("{}.{:02}", 1000 + part * 100 + month * 7, (part * month) % 100)),
                ("Quantity".to_string(), (10 + part * month).to_string()),
            ]));
        }
    }
    facts
}

/// Record `n` (1-based) of the demo InfoObject ZEPPART: key `P000n` and a
/// country that cycles deterministically through twenty real ISO codes.
fn zeppart_row(n: usize) -> Row {
    const COUNTRIES: [&str; 20] = [
        "DE", "US", "FR", "GB", "IT", "ES", "NL", "AT", "CH", "BE", "PL", "SE", "JP", "CN", "IN", "BR", "CA", "AU",
        "MX", "ZA",
    ];
    Row::from([
        ("ZEPPART".to_string(), format!("P{n:04}")),
        ("COUNTRY".to_string(), COUNTRIES[(n * 7) % COUNTRIES.len()].to_string()),
    ])
}

/// ISO 3166-1 alpha-2 codes (249 officially assigned).
pub const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_facing_ids_name_the_stored_objects_of_tenant_g() {
        assert_eq!(PARTS_MODEL, format!("t.{TENANT}:{PARTS_DIMENSION}"));
        assert_eq!(MULTI_ACTION, format!("t.{TENANT}:{MULTI_ACTION_ID}"));
        let demo = Tenant::demo();
        assert!(demo.dimensions.iter().any(|d| d.id == PARTS_DIMENSION));
        assert!(demo.multi_actions.iter().any(|m| m.id == MULTI_ACTION_ID));
    }
}
