//! The administration service: its `$metadata` (page `f2dcf405`), the four
//! namespaces (page `8389d04c`, `7a831ba4`) and the providers of each
//! (page `bf520338`).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::json_rows::SetColumns;
use super::metadata;
use super::namespaces::{self, unknown_namespace, NAMESPACES};
use super::page::Window;
use super::provider::{base, reader, request_base};
use super::query::Options;
use super::values::{self, shaped_rows, Listing};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataExportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// The namespace a key segment names: `Namespaces(NamespaceID='sac')` or
/// the short form `Namespaces('sac')`.
fn namespace_key(segment: &str) -> Option<&str> {
    let key = segment.strip_prefix("Namespaces(")?.strip_suffix(')')?;
    let key = key.strip_prefix("NamespaceID=").unwrap_or(key).trim();
    key.strip_prefix('\'')?.strip_suffix('\'')
}

/// `GET /administration/Namespaces`, `…/Namespaces(NamespaceID='sac')` and
/// `…/Namespaces('sac')`.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/{segment}",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(
        ("segment" = String, Path, description = "`$metadata`, `Namespaces`, `Namespaces(NamespaceID='sac')` or `Namespaces('sac')`", example = "Namespaces"),
        ("$format" = Option<String>, Query, description = "`JSON` for `$metadata` as CSDL JSON"),
    ),
    responses(
        (status = 200, description = "The namespaces, or one namespace, OData JSON; or the service's `$metadata` (XML)", content((serde_json::Value = "application/json"), (String = "application/xml"))),
        DataExportRefusals,
        (status = 404, description = "Unknown namespace (1201)", content_type = "application/json"),
    ),
)]
pub async fn namespaces(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    if segment == "$metadata" {
        return metadata::administration_document(Options::parse(raw.as_deref())?.format);
    }
    if let Some(key) = super::subscriptions::subscription_key(&segment) {
        return super::subscriptions::get_one(&state, &caller, &key);
    }
    let context = format!("{}/administration/$metadata", base(&state, caller.domain));
    if segment == "Namespaces" {
        let value: Vec<Value> =
            NAMESPACES.iter().map(|(id, text)| json!({"NamespaceID": id, "Description": text})).collect();
        let list = List { set: "Namespaces", context: format!("{context}#Namespaces"), columns: &NAMESPACE_COLUMNS };
        return list.serve(&state, &caller, raw.as_deref(), &segment, value);
    }
    let key = namespace_key(&segment).ok_or_else(|| unknown_namespace(&segment))?;
    let (id, text) = NAMESPACES.iter().find(|(id, _)| *id == key).ok_or_else(|| unknown_namespace(key))?;
    let body = json!({
        "@odata.context": format!("{context}#Namespaces/$entity"),
        "NamespaceID": id,
        "Description": text,
    });
    caller.attach_csrf(Json(body).into_response())
}

/// `GET /administration/Namespaces(NamespaceID='sac')/Providers` (also
/// `Namespaces('sac')/Providers`), for each namespace. `ServiceURL` ends
/// with `/`, so that `ServiceURL + "FactData"` is a set's URL.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/{namespace}/Providers",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(
        ("namespace" = String, Path, description = "`Namespaces(NamespaceID='sac')`, or another namespace", example = "Namespaces(NamespaceID='sac')"),
        ("$filter" = Option<String>, Query, description = "OData filter on the providers' properties"),
        ("$orderby" = Option<String>, Query, description = "Properties, `asc`/`desc`"),
        ("$select" = Option<String>, Query, description = "Properties to return"),
        ("$top" = Option<i64>, Query, description = "Providers to return"),
        ("$skip" = Option<i64>, Query, description = "Providers to skip"),
        ("$count" = Option<String>, Query, description = "`true` for the count"),
    ),
    responses(
        (status = 200, description = "The providers of the namespace, OData JSON", content_type = "application/json"),
        DataExportRefusals,
        (status = 404, description = "Unknown namespace (1201)", content_type = "application/json"),
    ),
)]
pub async fn providers(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let namespace = namespace_key(&segment).ok_or_else(|| unknown_namespace(&segment))?;
    let tenant = state.tenant();
    let base = base(&state, caller.domain);
    let value: Vec<Value> = namespaces::providers(&tenant, state.store(), namespace)?
        .into_iter()
        .map(|(p, description)| {
            let id = p.id(&tenant);
            // The id in a URL path: `t.G:X` keeps its colon (a valid path character).
            json!({
                "NamespaceID": namespace,
                "ProviderID": id,
                "ProviderName": namespaces::name(&tenant, &p),
                "Description": description,
                "ServiceURL": format!("{base}/providers/{namespace}/{id}/"),
            })
        })
        .collect();
    let list = List {
        set: "Providers",
        context: format!("{base}/administration/$metadata#Providers"),
        columns: &PROVIDER_COLUMNS,
    };
    list.serve(&state, &caller, raw.as_deref(), &format!("{segment}/Providers"), value)
}

const NAMESPACE_COLUMNS: [&str; 2] = ["NamespaceID", "Description"];
const PROVIDER_COLUMNS: [&str; 5] = ["NamespaceID", "ProviderID", "ProviderName", "Description", "ServiceURL"];

/// A list of the administration service, served with the query options
/// page `607f77a6` lists for it: `$select`, `$top`, `$skip`, `pagesize`,
/// `$orderby`, `$filter` (with `tolower`/`toupper`), `$count`, and CSV.
struct List<'a> {
    set: &'a str,
    context: String,
    columns: &'a [&'a str],
}

impl List<'_> {
    fn serve(
        self,
        state: &AppState,
        caller: &Caller,
        raw: Option<&str>,
        segment: &str,
        rows: Vec<Value>,
    ) -> Result<Response, ApiError> {
        let options = Options::parse(raw)?;
        let window = Window::of(&options, state.options().export_page_size as i64);
        let url = format!("{}/administration/{segment}", request_base(state, caller));
        let columns: Vec<String> = self.columns.iter().map(|c| c.to_string()).collect();
        let listing = Listing { set: self.set, context: self.context, url: &url, order: Some(columns.clone()) };
        let known = SetColumns { keys: columns, measures: vec![] };
        let response =
            values::serve(&listing, known, &options, window, |filter, order, _| Ok(shaped_rows(rows, filter, order)))?;
        caller.attach_csrf(response)
    }
}

#[cfg(test)]
mod tests {
    use super::namespace_key;

    #[test]
    fn both_key_forms() {
        assert_eq!(namespace_key("Namespaces(NamespaceID='sac')"), Some("sac"));
        assert_eq!(namespace_key("Namespaces('sac')"), Some("sac"));
        assert_eq!(namespace_key("Namespaces(NamespaceID=sac)"), None);
        assert_eq!(namespace_key("Namespaces"), None);
    }
}
