//! Delta extraction through the Data Export API's subscriptions: open a
//! chain (`POST /administration/Subscriptions`), read a subscription page
//! by page (`FactData?deltaid=`: the full load for the chain's first, then
//! changed rows and deleted keys), list and delete subscriptions.
//!
//! Reading a subscription again gives the same rows and the same link to
//! the next one, so a caller that keeps the id it has not finished reading
//! and moves on only once its output is safe neither loses nor repeats a
//! change.

use reqwest::Method;
use serde_json::{json, Map, Value};
use url::Url;

use crate::client::Body;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{Idempotency, Limit};
use crate::ids::ModelId;

const BASE: &str = "/api/v1/dataexport";

/// The subscription handler (`client.delta()`).
pub struct Delta<'c> {
    client: &'c Client,
}

/// One item of a delta read.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A fact as it is now (new, changed, or every fact of a full load).
    Row(Map<String, Value>),
    /// A fact that is gone: its key, column -> value.
    Deleted(Vec<(String, String)>),
}

/// What one read of a subscription gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeltaRead {
    /// The subscription to read next time (from the delta link).
    pub next_id: String,
    pub rows: u64,
    pub deleted: u64,
}

/// SAC's number in a message (`... [1215]`), if it carries one.
fn sac_number(message: &str) -> Option<u32> {
    let open = message.rfind('[')?;
    let close = open + message[open..].find(']')?;
    message[open + 1..close].parse().ok()
}

/// A refusal of a subscription call, typed: gone (1215, 1223, 1224) and
/// unknown models are `NotFound`, other numbered refusals keep SAC's number.
fn refusal(e: Error) -> Error {
    let (status, message) = match e {
        Error::Rejected { status, message } => (status, message),
        Error::NotFound { message, .. } => (404, message),
        other => return other,
    };
    match sac_number(&message) {
        Some(1215 | 1223 | 1224) => Error::NotFound { what: "subscription".into(), message },
        Some(1204) => Error::NotFound { what: "model".into(), message },
        number => Error::ExportQuery { status, number, message },
    }
}

/// `Key='value'` pairs of `FactData(A='x',B='y')` (quotes doubled inside).
pub fn entity_key(id: &str) -> Option<Vec<(String, String)>> {
    let inner = id.split_once('(')?.1.strip_suffix(')')?;
    let mut pairs = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("='")?;
        let mut value = String::new();
        let mut chars = after.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, n)| *n) == Some('\'') {
                    value.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        pairs.push((name.trim().to_string(), value));
        rest = after[end?..].trim_start_matches(',').trim_start();
    }
    Some(pairs)
}

/// The `deltaid` of a delta link.
fn delta_id(link: &str) -> Option<String> {
    let url = Url::parse(link).ok()?;
    let id = url.query_pairs().find(|(k, _)| k == "deltaid").map(|(_, v)| v.into_owned());
    id
}

impl Client {
    /// Delta extraction (Data Export subscriptions).
    pub fn delta(&self) -> Delta<'_> {
        Delta { client: self }
    }
}

impl Delta<'_> {
    /// Opens a chain of `FactData` subscriptions on `model` (rows that
    /// `filter` selects); the id of its first subscription, whose read is
    /// the full load.
    pub async fn open(&self, model: &str, filter: Option<&str>, description: &str) -> Result<String> {
        let mut body = json!({
            "NamespaceID": "sac",
            "ProviderID": ModelId::of(model).as_str(),
            "EntitySetName": "FactData",
            "Description": description,
        });
        if let Some(filter) = filter {
            body["Filter"] = Value::from(filter);
        }
        let answer = self
            .client
            .api_request(
                Method::POST,
                BASE,
                &["administration", "Subscriptions"],
                Some(Body::Json(&body)),
                Idempotency::Unsafe,
                Limit::Status,
            )
            .await
            .map_err(refusal)?;
        let created: Value = answer.json()?;
        created["SubscriptionID"].as_str().map(str::to_string).ok_or_else(|| Error::Decode {
            context: "the Data Export API's new subscription".into(),
            problem: "no SubscriptionID".into(),
            snippet: created.to_string().chars().take(200).collect(),
        })
    }

    /// Reads subscription `id` of `model`, page after page, handing each
    /// page's items to `on_page`.
    pub async fn read(
        &self,
        model: &str,
        id: &str,
        mut on_page: impl FnMut(Vec<Item>) -> Result<()>,
    ) -> Result<DeltaRead> {
        let first = self
            .client
            .api_get_query(BASE, &["providers", "sac", ModelId::of(model).as_str(), "FactData"], &[("deltaid", id)])
            .await
            .map_err(refusal)?;
        let origin = Url::parse(&first.endpoint).map(|u| u.origin()).map_err(|e| Error::Config(e.to_string()))?;
        let mut page: Value = first.json()?;
        let (mut rows, mut deleted) = (0u64, 0u64);
        loop {
            let mut items = Vec::new();
            for item in page["value"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let Value::Object(object) = item else { continue };
                let context = object.get("@odata.context").and_then(Value::as_str).unwrap_or("");
                if context.ends_with("/$deletedEntity") {
                    let id = object.get("id").and_then(Value::as_str).unwrap_or("");
                    let key = entity_key(id).ok_or_else(|| Error::Decode {
                        context: "the Data Export API's delta".into(),
                        problem: "a deleted entity without a readable id".into(),
                        snippet: id.chars().take(200).collect(),
                    })?;
                    deleted += 1;
                    items.push(Item::Deleted(key));
                } else {
                    let row: Map<String, Value> = object
                        .iter()
                        .filter(|(k, _)| !k.starts_with('@'))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    rows += 1;
                    items.push(Item::Row(row));
                }
            }
            on_page(items)?;
            if let Some(next) = page["@odata.nextLink"].as_str() {
                let url = Url::parse(next).map_err(|e| Error::Decode {
                    context: "the Data Export API".into(),
                    problem: format!("@odata.nextLink is not a URL ({e})"),
                    snippet: next.to_string(),
                })?;
                if url.origin() != origin {
                    return Err(Error::Decode {
                        context: "the Data Export API".into(),
                        problem: "@odata.nextLink points at another host; not following it with the token".into(),
                        snippet: next.to_string(),
                    });
                }
                page = self.client.api_get_url(url).await.map_err(refusal)?.json()?;
                continue;
            }
            // The full load ends with deltaLink (page f7feb7c0), a delta with deltalink (b01ea81b).
            let link = page["@odata.deltalink"].as_str().or_else(|| page["@odata.deltaLink"].as_str()).unwrap_or("");
            let next_id = delta_id(link).ok_or_else(|| Error::Decode {
                context: "the Data Export API's delta".into(),
                problem: "the last page carries no delta link with a deltaid".into(),
                snippet: link.chars().take(200).collect(),
            })?;
            return Ok(DeltaRead { next_id, rows, deleted });
        }
    }

    /// Deletes the chain of subscription `id` of `model`.
    pub async fn delete_chain(&self, model: &str, id: &str) -> Result<()> {
        let segment = format!(
            "Subscriptions(NamespaceID='sac',ProviderID='{}',SubscriptionID='{}')",
            ModelId::of(model).as_str(),
            id
        );
        self.client
            .api_delete_query(BASE, &["administration", &segment], &[("deleteChain", "true")])
            .await
            .map_err(refusal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_deleted_entities() {
        assert_eq!(
            entity_key("FactData(Version='public.Actual',Date='2024''01')"),
            Some(vec![("Version".into(), "public.Actual".into()), ("Date".into(), "2024'01".into())])
        );
        assert_eq!(entity_key("FactData(Version=x)"), None);
        assert_eq!(delta_id("https://h/p/FactData?deltaid=abc-1"), Some("abc-1".into()));
        assert_eq!(sac_number("gone [1215]"), Some(1215));
    }
}
