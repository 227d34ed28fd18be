//! The Data Export API (`/api/v1/dataexport`, OData v4): providers, a
//! model's fact columns (from `$metadata`) and fact data, streamed page by
//! page through `@odata.nextLink`.

use quick_xml::events::{BytesStart, Event};
use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Idempotency, Limit};
use crate::ids::ModelId;

const BASE: &str = "/api/v1/dataexport";

pub struct DataExport<'c> {
    client: &'c Client,
}

/// What to read of `FactData`: OData `$filter`, `$select` and `$orderby`,
/// passed to SAC as given.
#[derive(Clone, Copy, Debug, Default)]
pub struct FactQuery<'a> {
    pub filter: Option<&'a str>,
    pub select: Option<&'a str>,
    pub orderby: Option<&'a str>,
}

/// The namespace of public dimensions (changelog `644d83e8`, 1.2.0).
pub const PUBLIC_DIMENSIONS: &str = "sac_public_dimensions";
/// The namespace of currency conversion tables.
pub const CURRENCY_TABLES: &str = "sac_currency_tables";

/// An entity set of any namespace (page `4e4f683c`): the namespace
/// (`sac`, `sac_currency_tables`, `sac_public_dimensions`,
/// `sac_unit_conversion`), the provider's id and the set's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitySet {
    pub namespace: String,
    pub provider: String,
    pub set: String,
}

impl EntitySet {
    /// A model's `FactData`.
    pub fn facts(model: &str) -> Self {
        EntitySet { namespace: "sac".into(), provider: ModelId::of(model).as_str().to_string(), set: "FactData".into() }
    }

    /// A public dimension's members (`PublicDimensionData`, page `b0dae84e`);
    /// `provider` as [`DataExport::provider_id`] found it.
    pub fn public_dimension(provider: &str) -> Self {
        EntitySet { namespace: PUBLIC_DIMENSIONS.into(), provider: provider.into(), set: "PublicDimensionData".into() }
    }

    /// A currency table's rates (`CurrencyTable`, page `859c3671`);
    /// `provider` as [`DataExport::provider_id`] found it.
    pub fn currency_table(provider: &str) -> Self {
        EntitySet { namespace: CURRENCY_TABLES.into(), provider: provider.into(), set: "CurrencyTable".into() }
    }

    /// A standard unit table (`T006`, `T006A`, `T006D`, `T006T`) or the
    /// simplified `StandardUnitConversion` (pages `03cfa63a`, `91794c97`);
    /// `None` for another name.
    pub fn unit_table(table: &str) -> Option<Self> {
        let set = match table {
            "T006" | "StandardUnitConversion" => "ConversionRates",
            "T006A" => "UnitDescriptions",
            "T006D" => "UnitGroups",
            "T006T" => "GroupDescriptions",
            _ => return None,
        };
        Some(EntitySet { namespace: "sac_unit_conversion".into(), provider: table.into(), set: set.into() })
    }

    /// The entity type that describes the set's rows in `$metadata`.
    fn type_name(&self) -> &str {
        &self.set
    }
}

/// One page of an entity set.
#[derive(Debug, serde::Deserialize)]
struct Page {
    value: Vec<Map<String, Value>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// SAC's number in a message (`... [1402]`), if it carries one.
fn sac_number(message: &str) -> Option<u32> {
    let open = message.rfind('[')?;
    let close = open + message[open..].find(']')?;
    message[open + 1..close].parse().ok()
}

/// The Data Export API's refusals of a query, typed: a 400 (or a 404
/// carrying `[3707]`, no such entity set) is the query's fault; another
/// 404 means the model (or other provider) does not exist.
fn query_refusal(e: Error) -> Error {
    match e {
        Error::Rejected { status: 400, message } => {
            Error::ExportQuery { status: 400, number: sac_number(&message), message }
        }
        Error::NotFound { message, .. } if sac_number(&message) == Some(3707) => {
            Error::ExportQuery { status: 404, number: Some(3707), message }
        }
        Error::NotFound { message, .. } => Error::NotFound { what: "model".into(), message },
        other => other,
    }
}

fn name_of(element: &BytesStart<'_>) -> Option<String> {
    element.try_get_attribute("Name").ok()??.unescape_value().ok().map(|v| v.into_owned())
}

/// The properties of entity type `name` in a `$metadata` document, in
/// their order.
fn type_properties(xml: &str, name: &str) -> Option<Vec<String>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    let mut names = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"EntityType" => {
                inside = name_of(&e).as_deref() == Some(name)
            }
            Event::Start(e) | Event::Empty(e) if inside && e.local_name().as_ref() == b"Property" => {
                names.push(name_of(&e)?)
            }
            Event::End(e) if inside && e.local_name().as_ref() == b"EntityType" => return Some(names),
            Event::Eof => return None,
            _ => {}
        }
    }
}

// The handler is reached through the client (`client.data_export()`); the
// accessor lives here so that `client.rs` needs no handler.
impl Client {
    /// The Data Export API.
    pub fn data_export(&self) -> DataExport<'_> {
        DataExport::new(self)
    }
}

impl<'c> DataExport<'c> {
    fn new(client: &'c Client) -> Self {
        DataExport { client }
    }

    /// The models (providers) of namespace `sac`.
    pub async fn providers(&self) -> Result<Vec<Map<String, Value>>> {
        let answer = self
            .client
            .api_request(
                Method::GET,
                BASE,
                &["administration", "Namespaces(NamespaceID='sac')", "Providers"],
                None,
                Idempotency::Safe,
                Limit::Status,
            )
            .await?;
        Ok(answer.json::<Page>()?.value)
    }

    /// The providers of `namespace` (page `bf520338`).
    pub async fn providers_of(&self, namespace: &str) -> Result<Vec<Map<String, Value>>> {
        let segment = format!("Namespaces(NamespaceID='{namespace}')");
        let answer = self
            .client
            .api_request(
                Method::GET,
                BASE,
                &["administration", &segment, "Providers"],
                None,
                Idempotency::Safe,
                Limit::Status,
            )
            .await?;
        Ok(answer.json::<Page>()?.value)
    }

    /// The provider id of `name` in `namespace`: a full id (`t.G:NAME`)
    /// as given, a bare name looked up among the namespace's providers by
    /// id or name (SAC's ids of these namespaces carry the tenant prefix).
    pub async fn provider_id(&self, namespace: &str, name: &str) -> Result<String> {
        if name.contains(':') {
            return Ok(name.to_string());
        }
        let providers = self.providers_of(namespace).await?;
        let field = |p: &Map<String, Value>, f: &str| p.get(f).and_then(Value::as_str).map(str::to_string);
        providers
            .iter()
            .find(|p| {
                field(p, "ProviderID").as_deref() == Some(name) || field(p, "ProviderName").as_deref() == Some(name)
            })
            .and_then(|p| field(p, "ProviderID"))
            .ok_or_else(|| Error::NotFound {
                what: "provider".into(),
                message: format!(
                    "{name} is not a provider of {namespace} (it has: {})",
                    providers.iter().filter_map(|p| field(p, "ProviderName")).collect::<Vec<_>>().join(", ")
                ),
            })
    }

    /// The columns of a model's `FactData` in the model's order, read from
    /// its `$metadata`.
    pub async fn fact_columns(&self, model: &str) -> Result<Vec<String>> {
        self.columns(&EntitySet::facts(model)).await
    }

    /// The columns of an entity set in their `$metadata` order.
    pub async fn columns(&self, set: &EntitySet) -> Result<Vec<String>> {
        let answer = self
            .client
            .api_get_query(BASE, &["providers", &set.namespace, &set.provider, "$metadata"], &[])
            .await
            .map_err(query_refusal)?;
        type_properties(&answer.body, set.type_name()).ok_or_else(|| Error::Decode {
            context: "the Data Export API's $metadata".into(),
            problem: format!("no entity type {} with its properties", set.type_name()),
            snippet: answer.body.chars().take(200).collect(),
        })
    }

    /// Reads `FactData` of a model, page after page, handing each page to
    /// `on_page`; returns the number of rows. Only `nextLink`s on the same
    /// host are followed (the token never goes elsewhere).
    pub async fn fact_data(
        &self,
        model: &str,
        query: &FactQuery<'_>,
        on_page: impl FnMut(Vec<Map<String, Value>>) -> Result<()>,
    ) -> Result<u64> {
        self.rows(&EntitySet::facts(model), query, on_page).await
    }

    /// Reads any entity set page after page, as [`Self::fact_data`] does.
    pub async fn rows(
        &self,
        set: &EntitySet,
        query: &FactQuery<'_>,
        mut on_page: impl FnMut(Vec<Map<String, Value>>) -> Result<()>,
    ) -> Result<u64> {
        let options = [("$filter", query.filter), ("$select", query.select), ("$orderby", query.orderby)];
        let options: Vec<(&str, &str)> = options.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect();
        let first = self
            .client
            .api_get_query(BASE, &["providers", &set.namespace, &set.provider, &set.set], &options)
            .await
            .map_err(query_refusal)?;
        let origin = Url::parse(&first.endpoint).map(|u| u.origin()).map_err(|e| Error::Config(e.to_string()))?;
        let mut page: Page = first.json()?;
        let mut rows = 0u64;
        loop {
            rows += page.value.len() as u64;
            let next = page.next_link.take();
            on_page(std::mem::take(&mut page.value))?;
            let Some(next) = next else { return Ok(rows) };
            let url = Url::parse(&next).map_err(|e| Error::Decode {
                context: "the Data Export API".into(),
                problem: format!("@odata.nextLink is not a URL ({e})"),
                snippet: next.clone(),
            })?;
            if url.origin() != origin {
                return Err(Error::Decode {
                    context: "the Data Export API".into(),
                    problem: "@odata.nextLink points at another host; not following it with the token".into(),
                    snippet: next,
                });
            }
            page = self.client.api_get_url(url).await.map_err(query_refusal)?.json()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_properties_in_document_order() {
        let xml = r#"<edmx:Edmx xmlns:edmx="x"><edmx:DataServices><Schema xmlns="y" Namespace="sac">
<EntityType Name="MasterData"><Key><PropertyRef Name="m"/></Key><Property Name="m" Type="Edm.String"/></EntityType>
<EntityType Name="FactData"><Key><PropertyRef Name="Version"/></Key>
<Property Name="Version" Type="Edm.String"><Annotation Term="Integration.OriginalDataType"><String>NVARCHAR</String></Annotation></Property>
<Property Name="Amount" Type="Edm.Decimal"/></EntityType></Schema></edmx:DataServices></edmx:Edmx>"#;
        assert_eq!(type_properties(xml, "FactData"), Some(vec!["Version".to_string(), "Amount".to_string()]));
        assert_eq!(type_properties("<x/>", "FactData"), None);
        assert_eq!(type_properties(xml, "MasterData"), Some(vec!["m".to_string()]));
    }

    #[test]
    fn refusals_carry_sac_numbers() {
        let e = query_refusal(Error::Rejected { status: 400, message: "add Date [1402]".into() });
        assert!(matches!(e, Error::ExportQuery { number: Some(1402), .. }), "{e:?}");
        let e = query_refusal(Error::NotFound { what: "resource".into(), message: "no set X [3707]".into() });
        assert!(matches!(e, Error::ExportQuery { status: 404, number: Some(3707), .. }), "{e:?}");
        let e = query_refusal(Error::NotFound { what: "resource".into(), message: "no provider".into() });
        assert!(matches!(e, Error::NotFound { ref what, .. } if what == "model"), "{e:?}");
        assert_eq!(sac_number("bad filter"), None);
    }
}
