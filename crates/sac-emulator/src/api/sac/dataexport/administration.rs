//! The administration service: the namespace `sac` and its providers
//! (the planning models).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::provider::{base, reader, NAMESPACE};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataExportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;

/// What SAC says of its one namespace (**assumption**: the wording).
const NAMESPACE_DESCRIPTION: &str = "SAP Analytics Cloud";

/// The namespace a key segment names: `Namespaces(NamespaceID='sac')` or
/// the short form `Namespaces('sac')`.
fn namespace_key(segment: &str) -> Option<&str> {
    let key = segment.strip_prefix("Namespaces(")?.strip_suffix(')')?;
    let key = key.strip_prefix("NamespaceID=").unwrap_or(key).trim();
    key.strip_prefix('\'')?.strip_suffix('\'')
}

fn unknown_namespace(segment: &str) -> ApiError {
    ApiError::api(
        StatusCode::NOT_FOUND,
        "404",
        format!("Unknown namespace {segment}: the one namespace is Namespaces(NamespaceID='sac')"),
    )
}

/// `GET /administration/Namespaces`, `…/Namespaces(NamespaceID='sac')` and
/// `…/Namespaces('sac')`.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/{segment}",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(("segment" = String, Path, description = "`Namespaces`, `Namespaces(NamespaceID='sac')` or `Namespaces('sac')`", example = "Namespaces")),
    responses(
        (status = 200, description = "The namespaces, or the one namespace, OData JSON", content_type = "application/json"),
        DataExportRefusals,
        (status = 404, description = "Unknown namespace", content_type = "application/json"),
    ),
)]
pub async fn namespaces(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    if let Some(key) = super::subscriptions::subscription_key(&segment) {
        return super::subscriptions::get_one(&state, &caller, &key);
    }
    let context = format!("{}/administration/$metadata", base(&state, caller.domain));
    let body = if segment == "Namespaces" {
        json!({"@odata.context": format!("{context}#Namespaces"), "value": [{"NamespaceID": NAMESPACE, "Description": NAMESPACE_DESCRIPTION}]})
    } else if namespace_key(&segment) == Some(NAMESPACE) {
        json!({
            "@odata.context": format!("{context}#Namespaces/$entity"),
            "NamespaceID": NAMESPACE,
            "Description": NAMESPACE_DESCRIPTION,
        })
    } else {
        return Err(unknown_namespace(&segment));
    };
    caller.attach_csrf(Json(body).into_response())
}

/// `GET /administration/Namespaces(NamespaceID='sac')/Providers` (also
/// `Namespaces('sac')/Providers`). `ServiceURL` ends with `/`, so that
/// `ServiceURL + "FactData"` is a set's URL.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/{namespace}/Providers",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(("namespace" = String, Path, description = "`Namespaces(NamespaceID='sac')`", example = "Namespaces(NamespaceID='sac')")),
    responses(
        (status = 200, description = "The providers (models) of the namespace, OData JSON", content_type = "application/json"),
        DataExportRefusals,
        (status = 404, description = "Unknown namespace", content_type = "application/json"),
    ),
)]
pub async fn providers(
    State(state): State<AppState>,
    caller: Caller,
    Path(namespace): Path<String>,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    if namespace_key(&namespace) != Some(NAMESPACE) {
        return Err(unknown_namespace(&namespace));
    }
    let tenant = state.tenant();
    let base = base(&state, caller.domain);
    let value: Vec<Value> = tenant
        .models
        .iter()
        .map(|m| {
            json!({
                "NamespaceID": NAMESPACE,
                "ProviderID": m.id,
                "ProviderName": m.id,
                "Description": m.description,
                "ServiceURL": format!("{base}/providers/{NAMESPACE}/{}/", m.id),
            })
        })
        .collect();
    let body = json!({"@odata.context": format!("{base}/administration/$metadata#Providers"), "value": value});
    caller.attach_csrf(Json(body).into_response())
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
