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
/// 404 means the model does not exist.
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

/// The properties of entity type `FactData` in a `$metadata` document, in
/// their order (the model's: dimensions, then measures).
fn fact_properties(xml: &str) -> Option<Vec<String>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    let mut names = Vec::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == b"EntityType" => {
                inside = name_of(&e).as_deref() == Some("FactData")
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

    /// The columns of a model's `FactData` in the model's order, read from
    /// its `$metadata`.
    pub async fn fact_columns(&self, model: &str) -> Result<Vec<String>> {
        let answer = self
            .client
            .api_get_query(BASE, &["providers", "sac", ModelId::of(model).as_str(), "$metadata"], &[])
            .await
            .map_err(query_refusal)?;
        fact_properties(&answer.body).ok_or_else(|| Error::Decode {
            context: "the Data Export API's $metadata".into(),
            problem: "no entity type FactData with its properties".into(),
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
        mut on_page: impl FnMut(Vec<Map<String, Value>>) -> Result<()>,
    ) -> Result<u64> {
        let id = ModelId::of(model);
        let options = [("$filter", query.filter), ("$select", query.select), ("$orderby", query.orderby)];
        let options: Vec<(&str, &str)> = options.iter().filter_map(|(k, v)| v.map(|v| (*k, v))).collect();
        let first = self
            .client
            .api_get_query(BASE, &["providers", "sac", id.as_str(), "FactData"], &options)
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
        assert_eq!(fact_properties(xml), Some(vec!["Version".to_string(), "Amount".to_string()]));
        assert_eq!(fact_properties("<x/>"), None);
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
