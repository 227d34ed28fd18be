//! The Data Export API (`/api/v1/dataexport`, OData v4): providers and
//! fact data, streamed page by page through `@odata.nextLink`.

use reqwest::Method;
use serde_json::{Map, Value};
use url::Url;

use crate::client::Client;
use crate::dataimport::model_id;
use crate::error::{Error, Result};
use crate::http::Idempotency;

const BASE: &str = "/api/v1/dataexport";

pub struct DataExport<'c> {
    client: &'c Client,
}

/// One page of an entity set.
#[derive(Debug, serde::Deserialize)]
struct Page {
    value: Vec<Map<String, Value>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

impl<'c> DataExport<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
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
            )
            .await?;
        Ok(answer.json::<Page>()?.value)
    }

    /// Reads `FactData` of a model, page after page, handing each page to
    /// `on_page`; returns the number of rows. Only `nextLink`s on the same
    /// host are followed (the token never goes elsewhere).
    pub async fn fact_data(
        &self,
        model: &str,
        filter: Option<&str>,
        select: Option<&str>,
        mut on_page: impl FnMut(Vec<Map<String, Value>>) -> Result<()>,
    ) -> Result<u64> {
        let id = model_id(model);
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(f) = filter {
            query.push(("$filter", f));
        }
        if let Some(s) = select {
            query.push(("$select", s));
        }
        let first = self.client.api_get_query(BASE, &["providers", "sac", id, "FactData"], &query).await.map_err(
            |e| match e {
                Error::NotFound { message, .. } => Error::NotFound { what: "model".into(), message },
                other => other,
            },
        )?;
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
            page = self.client.api_get_url(url).await?.json()?;
        }
    }
}
