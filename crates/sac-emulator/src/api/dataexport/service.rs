//! A provider's service document (`…/providers/sac/{model}/`, also
//! without the slash): the entity sets of one model as `{name, url}`.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{entity_sets, model, reader};
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::Domain;

/// `GET /providers/sac/{model}`: [`service`] without the slash (its own
/// handler, for its own OpenAPI operation).
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/providers/{namespace}/{id}",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(
        ("namespace" = String, Path, description = "`sac`", example = "sac"),
        ("id" = String, Path, description = "A model (provider) id", example = "SALES_PLAN"),
    ),
    responses(
        (status = 200, description = "The service document: the model's entity sets", content_type = "application/json"),
        (status = 401, description = "No valid bearer token (API domain), or no user context", content_type = "application/json"),
        (status = 403, description = "The caller may not read it", content_type = "application/json"),
        (status = 404, description = "No such namespace or provider", content_type = "application/json"),
    ),
)]
pub async fn service_without_slash(
    state: State<AppState>,
    domain: Extension<Domain>,
    headers: HeaderMap,
    path: Path<(String, String)>,
) -> Response {
    service(state, domain, headers, path).await
}

/// `GET /providers/sac/{model}/`: the service document.
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/providers/{namespace}/{id}/",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(
        ("namespace" = String, Path, description = "`sac`", example = "sac"),
        ("id" = String, Path, description = "A model (provider) id", example = "SALES_PLAN"),
    ),
    responses(
        (status = 200, description = "The service document: the model's entity sets", content_type = "application/json"),
        (status = 401, description = "No valid bearer token (API domain), or no user context", content_type = "application/json"),
        (status = 403, description = "The caller may not read it", content_type = "application/json"),
        (status = 404, description = "No such namespace or provider", content_type = "application/json"),
    ),
)]
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
        entity_sets(&tenant, m).into_iter().map(|name| json!({"name": name, "url": name})).collect();
    // Relative, as SAC's other answers (`$metadata#FactData`): set URLs
    // resolve against the service root `…/providers/sac/{model}/`.
    crate::api::csrf::attach(
        &state,
        &headers,
        Json(json!({"@odata.context": "$metadata", "value": value})).into_response(),
    )
}
