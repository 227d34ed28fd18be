//! The administration service: the providers (models) of the `sac`
//! namespace.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{base, reader, NAMESPACE};
use crate::api::responses::api_error;
use crate::api::state::AppState;
use crate::Domain;

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
