//! A provider's service document: the entity sets of one model.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{base, entity_sets, model, reader, NAMESPACE};
use crate::api::state::AppState;
use crate::Domain;

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
    let value: Vec<Value> = entity_sets(&tenant, m)
        .into_iter()
        .map(|name| json!({"name": name, "kind": "EntitySet", "url": name}))
        .collect();
    let url = format!("{}/providers/{NAMESPACE}/{}", base(&state, domain), m.id);
    Json(json!({"@odata.context": format!("{url}/$metadata"), "value": value})).into_response()
}
