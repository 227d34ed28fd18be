//! The Data Export API (`/api/v1/dataexport`, OData v4, read only): the
//! providers list ([`administration`]), a provider's service document
//! ([`service`]) and `$metadata` ([`metadata`]), `FactData` ([`facts`]) with
//! `$filter` and `$orderby` (see [`crate::api::odata`]), `$select`, `$top`,
//! `$skip` and server-side paging through `@odata.nextLink` ([`page`]), and
//! master data per dimension (`<Dimension>Master`, [`master`]).
//!
//! [`entity_set`] dispatches `GET /providers/sac/{model}/{set}` on `{set}`;
//! [`entity_sets`] names the sets a model has (its service document and
//! `$metadata` container list them).

mod administration;
mod aggregation;
mod audit;
mod facts;
mod master;
mod metadata;
mod page;
mod service;
mod values;

use std::collections::HashMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

pub use self::administration::providers;
pub use self::service::service;

use self::facts::fact_page;
use self::metadata::metadata_xml;
use self::page::{Page, PageRows, Rows};
use crate::api::odata::{parse_filter, parse_orderby, Columns};
use crate::api::principal::api_principal;
use crate::api::responses::{api_error, internal};
use crate::api::state::AppState;
use crate::store::FactTable;
use crate::tenant::{ModelDef, Role, Tenant};
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

/// The entity sets of a model, in the order its service document lists them.
fn entity_sets(tenant: &Tenant, m: &ModelDef) -> Vec<String> {
    tenant.entity_sets(m)
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
        return metadata_xml(&tenant, m);
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
        match values::columns_of(&tenant, m, &set) {
            Some(c) => (c.keys, c.measures),
            None => {
                return api_error(
                    StatusCode::NOT_FOUND,
                    "404",
                    &format!("The provider {} has no entity set {set}", m.id),
                )
            }
        }
    };
    if let Some(refused) = values::refusal(&state, domain, &headers, m, &set) {
        return refused;
    }
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
        match values::rows(&state, m, &set, filter.as_ref(), &order, select.as_deref()) {
            Ok(rows) => Rows::Values(rows.into_iter().skip(offset as usize).take((take + 1) as usize).collect()),
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
