//! The Data Export API (`/api/v1/dataexport`, OData v4, read only): the
//! providers list, a provider's service document and `$metadata`, `FactData`
//! with `$filter` and `$orderby` (see [`crate::api::odata`]), `$select`,
//! `$top`, `$skip` and server-side paging through `@odata.nextLink`, and
//! master data per dimension (`<Dimension>Master`).

use std::collections::HashMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::api::odata::{parse_filter, parse_orderby, Columns};
use crate::api::principal::api_principal;
use crate::api::responses::{api_error, escape, internal};
use crate::api::state::AppState;
use crate::store::facts::FactRow;
use crate::store::filter::{Cell, Filter};
use crate::store::{FactQuery, FactTable};
use crate::tenant::{DimensionKind, ModelDef, Role, Tenant};
use crate::Domain;

const NAMESPACE: &str = "sac";

/// Any user of the tenant, or a technical client with the Data Export
/// Service in its access list (else SAC's 3401).
fn reader(state: &AppState, domain: Domain, headers: &HeaderMap) -> Result<(), Response> {
    let principal = api_principal(state, domain, headers)?;
    let tenant = state.tenant();
    match principal.user {
        None => {
            let client_id = principal.client_id.unwrap_or_default();
            if tenant.client(&client_id).is_some_and(|c| c.access.iter().any(|a| a == "Data Export Service")) {
                Ok(())
            } else {
                Err(api_error(
                    StatusCode::BAD_REQUEST,
                    "3401",
                    "OAuth Client is not allowed to interact with API [3401]",
                ))
            }
        }
        Some(user) => match tenant.user(&user) {
            Some(u) if u.in_tenant && matches!(u.role, Role::Planner | Role::Viewer) => Ok(()),
            _ => Err(api_error(
                StatusCode::FORBIDDEN,
                "403",
                &format!("User {user} does not exist in tenant {}", tenant.letter),
            )),
        },
    }
}

fn base(state: &AppState, domain: Domain) -> String {
    format!("{}/api/v1/dataexport", state.domain_url(domain))
}

fn model<'t>(tenant: &'t Tenant, namespace: &str, id: &str) -> Result<&'t ModelDef, Response> {
    let bare = tenant.strip_package(id).unwrap_or(id);
    match (namespace == NAMESPACE, tenant.model(bare)) {
        (true, Some(m)) => Ok(m),
        _ => Err(api_error(StatusCode::NOT_FOUND, "404", &format!("The provider {namespace}/{id} does not exist"))),
    }
}

/// `GET /administration/Namespaces(NamespaceID='sac')/Providers`
pub async fn providers(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path(namespace): Path<String>,
) -> Response {
    if let Err(r) = reader(&state, domain, &headers) {
        return r;
    }
    if namespace != "Namespaces(NamespaceID='sac')" {
        return api_error(
            StatusCode::NOT_FOUND,
            "404",
            &format!("Unknown namespace {namespace}: use Namespaces(NamespaceID='sac')"),
        );
    }
    let tenant = state.tenant();
    let base = base(&state, domain);
    let value: Vec<Value> = tenant
        .models
        .iter()
        .map(|m| {
            json!({
                "NamespaceID": NAMESPACE,
                "ProviderID": m.id,
                "ProviderName": m.id,
                "Description": m.description,
                "ServiceURL": format!("{base}/providers/{NAMESPACE}/{}", m.id),
            })
        })
        .collect();
    let body = json!({"@odata.context": format!("{base}/administration/$metadata#Providers"), "value": value});
    crate::api::csrf::attach(&state, &headers, Json(body).into_response())
}

fn entity_sets(m: &ModelDef) -> Vec<String> {
    std::iter::once("FactData".to_string()).chain(m.dimensions.iter().map(|d| format!("{}Master", d.name))).collect()
}

/// `GET /providers/sac/{model}`: the service document.
pub async fn service(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path((namespace, id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = reader(&state, domain, &headers) {
        return r;
    }
    let tenant = state.tenant();
    let m = match model(&tenant, &namespace, &id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let value: Vec<Value> =
        entity_sets(m).into_iter().map(|name| json!({"name": name, "kind": "EntitySet", "url": name})).collect();
    let url = format!("{}/providers/{NAMESPACE}/{}", base(&state, domain), m.id);
    Json(json!({"@odata.context": format!("{url}/$metadata"), "value": value})).into_response()
}

/// `GET /providers/sac/{model}/{set}`: `$metadata`, `FactData` or `<Dim>Master`.
pub async fn entity_set(
    State(state): State<AppState>,
    Extension(domain): Extension<Domain>,
    headers: HeaderMap,
    Path((namespace, id, set)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(r) = reader(&state, domain, &headers) {
        return r;
    }
    let tenant = state.tenant();
    let m = match model(&tenant, &namespace, &id) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let url = format!("{}/providers/{NAMESPACE}/{}/{set}", base(&state, domain), m.id);
    if set == "$metadata" {
        return metadata_xml(m);
    }
    if let Some(unknown) = q.keys().find(|k| {
        k.starts_with('$')
            && !["$filter", "$orderby", "$select", "$top", "$skip", "$skiptoken", "$format", "$count"]
                .contains(&k.as_str())
    }) {
        return api_error(StatusCode::NOT_IMPLEMENTED, "501", &format!("The query option {unknown} is not supported"));
    }
    let number =
        |name: &str| q.get(name).map(|v| v.parse::<i64>().map_err(|_| format!("{name} must be a whole number")));
    let (top, skip, token) =
        match (number("$top").transpose(), number("$skip").transpose(), number("$skiptoken").transpose()) {
            (Ok(top), Ok(skip), Ok(token)) => (top, skip.unwrap_or(0), token.unwrap_or(0)),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return api_error(StatusCode::BAD_REQUEST, "400", &e),
        };
    let (keys, measures): (Vec<String>, Vec<String>) = if set == "FactData" {
        (m.dimensions.iter().map(|d| d.name.clone()).collect(), m.measures.clone())
    } else {
        (vec!["ID".into()], vec![])
    };
    let known = Columns { dimensions: &keys, measures: &measures };
    let (filter, order) = match (
        q.get("$filter").map(|f| parse_filter(f, &known)).transpose(),
        q.get("$orderby").map(|o| parse_orderby(o, &known)).transpose(),
    ) {
        (Ok(filter), Ok(order)) => (filter, order.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => return api_error(StatusCode::BAD_REQUEST, "400", &e),
    };
    let select: Option<Vec<String>> = q.get("$select").map(|s| s.split(',').map(|c| c.trim().to_string()).collect());
    if let Some(bad) = select.iter().flatten().find(|c| !keys.contains(c) && !measures.contains(c)) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "400",
            &format!("$select names {bad}, which is not a property of {set}"),
        );
    }
    if let Some(select) = select.as_ref().filter(|_| set == "FactData") {
        let missing: Vec<&str> = keys.iter().filter(|k| !select.contains(k)).map(String::as_str).collect();
        if !missing.is_empty() {
            return api_error(
                StatusCode::BAD_REQUEST,
                "1402",
                &format!("$select must contain every key column of FactData; add {} [1402]", missing.join(", ")),
            );
        }
    }
    let page = state.options().export_page_size as i64;
    let offset = skip + token;
    // $top bounds what the client wants in all; the server pages within it.
    let wanted = top.map(|t| (t - token).max(0)).unwrap_or(i64::MAX);
    let take = wanted.min(page);
    let mut rows = if set == "FactData" {
        let text = q.get("$filter").map(String::as_str).unwrap_or("");
        match fact_page(&state, m, (text, filter.as_ref()), &order, offset, take) {
            Ok(rows) => Rows::Facts(FactTable::of(m), rows),
            Err(e) => return internal(e),
        }
    } else {
        match master_rows(&state, m, &set) {
            Ok(Some(rows)) => Rows::Values(
                rows.into_iter()
                    .filter(|r| {
                        filter.as_ref().is_none_or(|f| f.matches(&|c| r.get(c).and_then(Value::as_str).map(Cell::Text)))
                    })
                    .skip(offset as usize)
                    .take((take + 1) as usize)
                    .collect(),
            ),
            Ok(None) => {
                return api_error(
                    StatusCode::NOT_FOUND,
                    "404",
                    &format!("The provider {} has no entity set {set}", m.id),
                )
            }
            Err(e) => return internal(e),
        }
    };
    let more = rows.len() as i64 > take && wanted > take;
    rows.truncate(take as usize);
    let mut next_link = None;
    if more {
        let kept: Vec<String> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .filter(|(k, _)| k != "$skiptoken")
            .map(|(k, v)| format!("{}={}", k, url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect();
        let next =
            format!("{url}?{}{}$skiptoken={}", kept.join("&"), if kept.is_empty() { "" } else { "&" }, token + take);
        next_link = Some(next);
    }
    let body = Page {
        context: format!("$metadata#{set}"),
        next_link,
        value: PageRows { rows: &rows, select: select.as_deref() },
    };
    let mut response = Json(body).into_response();
    response.headers_mut().insert("odata-version", HeaderValue::from_static("4.0"));
    response
}

/// Up to `take + 1` facts from position `offset` (the extra one tells
/// whether another page follows). A page that continues the previous one
/// seeks past that page's last key instead of skipping `offset` rows, so
/// that every page costs what the first one does. Pages in an `$orderby`
/// order skip `offset` rows (the cursors hold keys, which say nothing about
/// a position in another order). `filter` is the `$filter` text (what the
/// cursors are kept by) and its parsed form.
fn fact_page(
    state: &AppState,
    m: &ModelDef,
    (text, filter): (&str, Option<&Filter>),
    order: &[(String, bool)],
    offset: i64,
    take: i64,
) -> crate::store::StoreResult<Vec<FactRow>> {
    let table = FactTable::of(m);
    let seek = order.is_empty();
    let cursor = if seek { state.export_cursors().take(&m.id, text, offset) } else { None };
    let query = match &cursor {
        Some(key) => FactQuery { filter, after: Some(key), offset: 0, limit: take + 1, ..Default::default() },
        None => FactQuery { filter, order, offset, limit: take + 1, ..Default::default() },
    };
    let rows = state.store().read(|r| r.facts(&table, &query))?;
    let last_of_page = usize::try_from(take).ok().and_then(|t| t.checked_sub(1)).and_then(|i| rows.get(i));
    if let Some(last) = last_of_page.filter(|_| seek) {
        state.export_cursors().put(&m.id, text, offset + take, last.dimensions.clone());
    }
    Ok(rows)
}

/// The rows of a page: facts as stored, or master data already in JSON.
enum Rows {
    Facts(FactTable, Vec<FactRow>),
    Values(Vec<Value>),
}

impl Rows {
    fn len(&self) -> usize {
        match self {
            Rows::Facts(_, rows) => rows.len(),
            Rows::Values(rows) => rows.len(),
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Rows::Facts(_, rows) => rows.truncate(n),
            Rows::Values(rows) => rows.truncate(n),
        }
    }
}

/// An OData page; its keys in the order the answer has always had (sorted,
/// as a JSON object's keys are serialised).
#[derive(Serialize)]
struct Page<'a> {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: PageRows<'a>,
}

/// The rows of a page as JSON objects with `$select`'s columns (all when
/// absent), keys sorted. Facts are written straight from the stored
/// values, dimensions as strings and measures as numbers (null when absent),
/// without building a JSON tree per row.
struct PageRows<'a> {
    rows: &'a Rows,
    select: Option<&'a [String]>,
}

impl Serialize for PageRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let wanted = |name: &str| self.select.is_none_or(|s| s.iter().any(|c| c == name));
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        match self.rows {
            Rows::Facts(table, rows) => {
                // (name, Ok(dimension index) | Err(measure index)), sorted by name.
                let mut columns: Vec<(&str, Result<usize, usize>)> = Vec::new();
                columns.extend(table.dimensions.iter().enumerate().map(|(i, n)| (n.as_str(), Ok(i))));
                columns.extend(table.measures.iter().enumerate().map(|(i, n)| (n.as_str(), Err(i))));
                columns.retain(|(name, _)| wanted(name));
                columns.sort_by(|a, b| a.0.cmp(b.0));
                struct Fact<'r>(&'r [(&'r str, Result<usize, usize>)], &'r FactRow);
                impl Serialize for Fact<'_> {
                    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                        let mut map = serializer.serialize_map(Some(self.0.len()))?;
                        for (name, at) in self.0 {
                            match at {
                                Ok(i) => map.serialize_entry(name, &self.1.dimensions[*i])?,
                                Err(i) => map.serialize_entry(name, &self.1.measures[*i])?,
                            }
                        }
                        map.end()
                    }
                }
                for row in rows {
                    seq.serialize_element(&Fact(&columns, row))?;
                }
            }
            Rows::Values(rows) => {
                for row in rows {
                    match row.as_object() {
                        Some(object) if self.select.is_some() => {
                            let kept: Map<String, Value> =
                                object.iter().filter(|(k, _)| wanted(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                            seq.serialize_element(&kept)?;
                        }
                        _ => seq.serialize_element(row)?,
                    }
                }
            }
        }
        seq.end()
    }
}

fn master_rows(state: &AppState, m: &ModelDef, set: &str) -> crate::store::StoreResult<Option<Vec<Value>>> {
    let Some(dim) = set.strip_suffix("Master").and_then(|name| m.dimensions.iter().find(|d| d.name == name)) else {
        return Ok(None);
    };
    let ids: Vec<String> = match (dim.kind, &dim.members_of) {
        (DimensionKind::Version, _) => m.versions.clone(),
        (DimensionKind::Generic, Some(members)) => {
            let mut ids: Vec<String> = state.store().read(|r| r.member_ids(members))?.into_iter().collect();
            ids.sort();
            ids
        }
        _ => state.store().read(|r| r.fact_values(&FactTable::of(m), &dim.name))?,
    };
    Ok(Some(ids.into_iter().map(|id| json!({"ID": id})).collect()))
}

fn metadata_xml(m: &ModelDef) -> Response {
    let mut properties = String::new();
    for d in &m.dimensions {
        properties
            .push_str(&format!("<Property Name=\"{}\" Type=\"Edm.String\" Nullable=\"false\"/>", escape(&d.name)));
    }
    for name in &m.measures {
        properties.push_str(&format!("<Property Name=\"{}\" Type=\"Edm.Decimal\"/>", escape(name)));
    }
    let keys: String = m.dimensions.iter().map(|d| format!("<PropertyRef Name=\"{}\"/>", escape(&d.name))).collect();
    let sets: String = entity_sets(m)
        .iter()
        .map(|s| {
            let ty = if s == "FactData" { "FactDataType" } else { "MasterType" };
            format!("<EntitySet Name=\"{s}\" EntityType=\"sap.{}.{ty}\"/>", escape(&m.id))
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\
<edmx:DataServices><Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"sap.{id}\">\
<EntityType Name=\"FactDataType\"><Key>{keys}</Key>{properties}</EntityType>\
<EntityType Name=\"MasterType\"><Key><PropertyRef Name=\"ID\"/></Key><Property Name=\"ID\" Type=\"Edm.String\" Nullable=\"false\"/></EntityType>\
<EntityContainer Name=\"Container\">{sets}</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>",
        id = escape(&m.id)
    );
    let mut response = xml.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    response
}
