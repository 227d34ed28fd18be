//! A provider's service document (`…/providers/{namespace}/{id}/`, also
//! without the slash, page `4e4f683c`): its entity sets as `{name, url}`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::metadata::entity_sets;
use super::namespaces::{self, Provider};
use super::provider::reader;
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::ServiceDocument;
use crate::api::openapi::tags;
use crate::api::state::AppState;

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
    responses(ServiceDocument),
)]
pub async fn service_without_slash(
    state: State<AppState>,
    caller: Caller,
    path: Path<(String, String)>,
) -> Result<Response, ApiError> {
    service(state, caller, path).await
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
    responses(ServiceDocument),
)]
pub async fn service(
    State(state): State<AppState>,
    caller: Caller,
    Path((namespace, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let tenant = state.tenant();
    let sets = match namespaces::resolve(&tenant, state.store(), &namespace, &id)? {
        Provider::Model(m) => entity_sets(&tenant, m),
        other => other.entity_sets(),
    };
    let value: Vec<Value> = sets.into_iter().map(|name| json!({"name": name, "url": name})).collect();
    // Relative, as SAC's other answers (`$metadata#FactData`): set URLs
    // resolve against the service root `…/providers/sac/{model}/`.
    caller.attach_csrf(Json(json!({"@odata.context": "$metadata", "value": value})).into_response())
}
