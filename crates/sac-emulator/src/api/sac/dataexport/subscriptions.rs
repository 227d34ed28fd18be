//! Delta subscriptions of the administration service (SAP Help, REST API
//! guide pages 22-29: `ae359590`, `e06cac8f`, `ddd644e3`, `664821dd`,
//! `88e05fb1`, `2b868a65`, `618dc53d`, `ad3da1cb`): creating one
//! (`POST /administration/Subscriptions`), listing them (all, or one
//! provider's), reading one and deleting one, a chain, an entity set's or a
//! provider's. A subscription is the start of a chain; reading its delta
//! (`delta.rs`) closes it and opens the next one of the chain.
//!
//! Numbered refusals (page `dbf30343`): 1201 unknown namespace, 1204
//! unknown provider, 1215 no such subscription, 1218 external id taken,
//! 1219 a subscription the POST cannot create, 1220/1221 a bad selection,
//! 1223/1224 nothing to delete, 1227 another owner's subscription, 1607 a
//! field that is not a string, 1618 the table is full.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::namespaces::SAC as NAMESPACE;
use super::odata::{parse_filter, Columns};
use super::provider::{base, reader};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::openapi::responses::DataExportRefusals;
use crate::api::openapi::tags;
use crate::api::state::AppState;
use crate::auth::Principal;
use crate::store::{FactTable, SubscriptionRecord};
use crate::tenant::{ModelDef, Tenant};

/// The most subscriptions the tenant keeps (1618). **Assumption**: SAP
/// names the error, not the cap.
pub(super) const MAX_SUBSCRIPTIONS: i64 = 1000;

/// The entity sets a subscription can track.
pub(super) const TRACKED_SETS: [&str; 2] = ["FactData", "FactDataDifference"];

/// A Data Export refusal with SAC's number in its code and message.
pub(super) fn refusal(status: StatusCode, code: u32, message: &str) -> ApiError {
    ApiError::api(status, code.to_string(), format!("{message} [{code}]"))
}

/// Who owns what a caller creates: the user, or the technical client.
pub(super) fn owner(principal: &Principal) -> String {
    principal.user.clone().or_else(|| principal.client_id.clone()).unwrap_or_default()
}

/// 1227 unless `principal` created `sub` (the tenant has no admin users
/// who could act for others).
pub(super) fn check_owner(principal: &Principal, sub: &SubscriptionRecord) -> Result<(), ApiError> {
    if owner(principal) == sub.created_by {
        return Ok(());
    }
    Err(refusal(
        StatusCode::FORBIDDEN,
        1227,
        &format!(
            "Not allowed to interact with subscription {}: it belongs to {}; only its owner may read or delete it",
            sub.subscription_id, sub.created_by
        ),
    ))
}

pub(super) fn unknown_subscription(id: &str) -> ApiError {
    refusal(
        StatusCode::NOT_FOUND,
        1215,
        &format!(
            "Subscription {id} does not exist: check the NamespaceID, ProviderID and SubscriptionID \
             (GET /administration/Subscriptions lists yours)"
        ),
    )
}

/// The model a subscription names: 1201 for another namespace, 1204 for
/// an unknown provider.
pub(super) fn provider_of<'t>(tenant: &'t Tenant, namespace: &str, id: &str) -> Result<&'t ModelDef, ApiError> {
    if namespace != NAMESPACE {
        return Err(refusal(
            StatusCode::NOT_FOUND,
            1201,
            &format!("API provider namespace {namespace} cannot be identified: the namespace is '{NAMESPACE}'"),
        ));
    }
    let bare = tenant.strip_package(id).unwrap_or(id);
    tenant.model(bare).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            1204,
            &format!("Provider {id} not found in namespace {namespace}: GET …/Namespaces('sac')/Providers lists them"),
        )
    })
}

/// The absolute URL that reads subscription `id` of `sub`'s set.
pub(super) fn delta_link(state: &AppState, caller: &Caller, sub: &SubscriptionRecord, id: &str) -> String {
    format!(
        "{}/providers/{NAMESPACE}/{}/{}?deltaid={}",
        base(state, caller.domain),
        sub.provider,
        sub.entity_set,
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    )
}

fn render(state: &AppState, caller: &Caller, sub: &SubscriptionRecord) -> Map<String, Value> {
    let fields = json!({
        "NamespaceID": sub.namespace,
        "ProviderID": sub.provider,
        "EntitySetName": sub.entity_set,
        "SubscriptionID": sub.subscription_id,
        "ExternalID": sub.external_id,
        "ChainID": sub.chain_id,
        "PreviousSubscriptionID": sub.previous_id,
        "Filter": sub.filter,
        "Selection": sub.selection,
        "Description": sub.description,
        "StartTime": sub.start_time,
        "EndTime": sub.end_time,
        "LastAccessed": sub.last_accessed,
        "CurrentDeltaLink": delta_link(state, caller, sub, &sub.subscription_id),
        "Timezone": "UTC",
        "EntityCount": -1,
        "Created_By": sub.created_by,
        "Data_Acquisition_User": sub.created_by,
    });
    let Value::Object(map) = fields else { unreachable!("a JSON object") };
    map
}

fn one(state: &AppState, caller: &Caller, sub: &SubscriptionRecord, status: StatusCode) -> Response {
    let mut body = Map::new();
    body.insert("@odata.context".into(), Value::from("$metadata#Subscriptions"));
    body.extend(render(state, caller, sub));
    (status, Json(Value::Object(body))).into_response()
}

fn list(state: &AppState, caller: &Caller, subs: &[SubscriptionRecord]) -> Response {
    let value: Vec<Value> = subs.iter().map(|s| Value::Object(render(state, caller, s))).collect();
    Json(json!({"@odata.context": "$metadata#Subscriptions", "value": value})).into_response()
}

/// What a new chain tracks.
pub(super) struct NewChain<'a> {
    pub entity_set: &'a str,
    pub external_id: Option<String>,
    pub filter: Option<String>,
    pub selection: Option<String>,
    pub description: Option<String>,
    /// `first-` for a chain opened by POST (as SAP's sample shows).
    pub id_prefix: &'a str,
}

/// Checks what a chain would track (filter, selection, external id, the
/// cap) and opens it: its first subscription, whose read is the full load.
pub(super) fn open_chain(
    state: &AppState,
    principal: &Principal,
    m: &ModelDef,
    chain: NewChain<'_>,
) -> Result<SubscriptionRecord, ApiError> {
    let table = FactTable::of(m);
    let known = Columns { dimensions: &table.dimensions, measures: &table.measures };
    if let Some(filter) = &chain.filter {
        parse_filter(filter, &known).map_err(|e| ApiError::api(StatusCode::BAD_REQUEST, "400", e))?;
    }
    if let Some(selection) = &chain.selection {
        let columns: Vec<&str> = selection.split(',').map(str::trim).collect();
        if let Some(bad) = columns.iter().find(|c| !table.dimensions.iter().chain(&table.measures).any(|k| k == *c)) {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                1220,
                &format!("Invalid column name {bad} in Selection: use the properties of {}", chain.entity_set),
            ));
        }
        let missing: Vec<&str> = table.dimensions.iter().map(String::as_str).filter(|d| !columns.contains(d)).collect();
        if !missing.is_empty() {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                1221,
                &format!("Subscription key columns not selected: add {} to Selection", missing.join(", ")),
            ));
        }
    }
    let now = crate::engine::planning::audit_time(state.engine().now_ms());
    let id = format!("{}{}", chain.id_prefix, crate::secrets::random_uuid());
    let sub = SubscriptionRecord {
        subscription_id: id,
        namespace: NAMESPACE.into(),
        provider: m.id.clone(),
        entity_set: chain.entity_set.into(),
        external_id: chain.external_id,
        chain_id: format!("{NAMESPACE}_{}_{}_{now}", m.id, chain.entity_set),
        previous_id: None,
        filter: chain.filter,
        selection: chain.selection,
        description: chain.description,
        start_time: now.clone(),
        end_time: None,
        last_accessed: now,
        created_by: owner(principal),
        start_seq: 0,
        end_seq: None,
        initial: true,
        next_id: None,
    };
    let stored = state.store().write(|w| {
        if w.subscription_count()? >= MAX_SUBSCRIPTIONS {
            return Ok(Err(1618));
        }
        if let Some(external) = &sub.external_id {
            if w.external_id_taken(external)? {
                return Ok(Err(1218));
            }
        }
        w.insert_subscription(&table, sub.clone()).map(Ok)
    })?;
    match stored {
        Ok(sub) => Ok(sub),
        Err(1618) => Err(refusal(
            StatusCode::BAD_REQUEST,
            1618,
            &format!(
                "Max number of subscriptions allowed in the table has been reached: {MAX_SUBSCRIPTIONS}; \
                 delete subscriptions you no longer read"
            ),
        )),
        Err(_) => Err(refusal(
            StatusCode::BAD_REQUEST,
            1218,
            &format!(
                "External ID {} already exists: choose another one, or read its chain with ?externalid=",
                sub.external_id.unwrap_or_default()
            ),
        )),
    }
}

/// The body of a POST: SAC's fields, each a string (else 1607).
fn body_fields(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        refusal(StatusCode::BAD_REQUEST, 1219, &format!("Subscription can not be created: the body is not JSON ({e})"))
    })?;
    let Value::Object(fields) = value else {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            1219,
            "Subscription can not be created: the body must be a JSON object with NamespaceID, ProviderID and EntitySetName",
        ));
    };
    if let Some((name, _)) = fields.iter().find(|(_, v)| !matches!(v, Value::String(_) | Value::Null)) {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            1607,
            &format!("The value of {name} is not a string: every field of a subscription is a string"),
        ));
    }
    Ok(fields)
}

fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    fields.get(name).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty())
}

/// `POST /administration/Subscriptions` (page `ae359590`): opens a chain.
#[utoipa::path(
    post,
    path = "/api/v1/dataexport/administration/Subscriptions",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    request_body(description = "`NamespaceID`, `ProviderID`, `EntitySetName` (`FactData` or `FactDataDifference`), optional `ExternalID`, `Filter`, `Selection`, `Description`", content = serde_json::Value, content_type = "application/json"),
    responses(
        (status = 201, description = "The subscription (the first of its chain)", content_type = "application/json"),
        (status = 400, description = "A field that is not a string (1607), a bad selection (1220, 1221), an external id in use (1218), a set that cannot be tracked (1219), the table full (1618)", content_type = "application/json"),
        DataExportRefusals,
        (status = 404, description = "Unknown namespace (1201), provider (1204) or entity set (3707)", content_type = "application/json"),
    ),
)]
pub async fn create(State(state): State<AppState>, caller: Caller, body: Bytes) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let principal = caller.service()?;
    let fields = body_fields(&body)?;
    let tenant = state.tenant();
    let namespace = text(&fields, "NamespaceID").unwrap_or_default();
    let provider = text(&fields, "ProviderID").unwrap_or_default();
    let m = provider_of(&tenant, &namespace, &provider)?;
    let entity_set = text(&fields, "EntitySetName").unwrap_or_default();
    if !TRACKED_SETS.contains(&entity_set.as_str()) {
        let known = super::metadata::entity_sets(&tenant, m).contains(&entity_set);
        return Err(match known || entity_set == "FactDataAggregation" {
            true => refusal(
                StatusCode::BAD_REQUEST,
                1219,
                &format!(
                    "Subscription can not be created via POST request for {entity_set}: this emulator tracks FactData and FactDataDifference"
                ),
            ),
            false => ApiError::api(
                StatusCode::NOT_FOUND,
                "3707",
                format!("Entity Set Name {entity_set:?} does not exist in provider {}: use FactData or FactDataDifference [3707]", m.id),
            ),
        });
    }
    let chain = NewChain {
        entity_set: &entity_set,
        external_id: text(&fields, "ExternalID"),
        filter: text(&fields, "Filter"),
        selection: text(&fields, "Selection"),
        description: text(&fields, "Description"),
        id_prefix: "first-",
    };
    let sub = open_chain(&state, &principal, m, chain)?;
    caller.attach_csrf(one(&state, &caller, &sub, StatusCode::CREATED))
}

/// `GET /administration/Subscriptions` (page `e06cac8f`): the caller's
/// subscriptions (**assumption**: another owner's are not listed, as they
/// cannot be read either, 1227).
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/Subscriptions",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, description = "The caller's subscriptions, oldest first", content_type = "application/json"),
        DataExportRefusals,
    ),
)]
pub async fn all(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let me = owner(&caller.service()?);
    let subs: Vec<SubscriptionRecord> =
        state.store().read(|r| r.subscriptions(None))?.into_iter().filter(|s| s.created_by == me).collect();
    caller.attach_csrf(list(&state, &caller, &subs))
}

/// `GET /administration/Providers(NamespaceID='sac',ProviderID='X')/Subscriptions`
/// (page `ad3da1cb`): one provider's subscriptions (the caller's).
#[utoipa::path(
    get,
    path = "/api/v1/dataexport/administration/{namespace}/Subscriptions",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [])),
    params(("namespace" = String, Path, description = "`Providers(NamespaceID='sac',ProviderID='X')`", example = "Providers(NamespaceID='sac',ProviderID='SALES_PLAN')")),
    responses(
        (status = 200, description = "The provider's subscriptions, oldest first", content_type = "application/json"),
        DataExportRefusals,
        (status = 404, description = "Not a provider key (1216), unknown namespace (1201) or provider (1204)", content_type = "application/json"),
    ),
)]
pub async fn of_provider(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let key = segment.strip_prefix("Providers(").and_then(|s| s.strip_suffix(')')).map(key_fields);
    let Some(Some(key)) = key else {
        return Err(refusal(
            StatusCode::NOT_FOUND,
            1216,
            &format!(
                "Subscriptions for {segment} cannot be retrieved: name Providers(NamespaceID='sac',ProviderID='…')"
            ),
        ));
    };
    let tenant = state.tenant();
    let m = provider_of(
        &tenant,
        key.get("NamespaceID").map_or("", String::as_str),
        key.get("ProviderID").map_or("", String::as_str),
    )?;
    let me = owner(&caller.service()?);
    let subs: Vec<SubscriptionRecord> =
        state.store().read(|r| r.subscriptions(Some(&m.id)))?.into_iter().filter(|s| s.created_by == me).collect();
    caller.attach_csrf(list(&state, &caller, &subs))
}

/// The fields of a key predicate `A='x',B='y'` (SAP's pages also show
/// typographic quotes; those are read as quotes too). `None` when it is
/// not one.
pub(super) fn key_fields(predicate: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let mut fields = std::collections::BTreeMap::new();
    let unquote = |v: &str| -> Option<String> {
        let v = v.trim();
        let quotes = ['\'', '\u{2018}', '\u{2019}'];
        let inner = v.strip_prefix(quotes)?.strip_suffix(quotes)?;
        Some(inner.to_string())
    };
    // Values carry no commas (ids and names), so a comma ends a field.
    for part in predicate.split(',') {
        let (name, value) = part.split_once('=')?;
        fields.insert(name.trim().to_string(), unquote(value)?);
    }
    Some(fields)
}

/// A `Subscriptions(NamespaceID=…,ProviderID=…,SubscriptionID=…)` segment.
pub(super) struct SubscriptionKey {
    pub namespace: String,
    pub provider: String,
    pub id: String,
}

pub(super) fn subscription_key(segment: &str) -> Option<SubscriptionKey> {
    let fields = key_fields(segment.strip_prefix("Subscriptions(")?.strip_suffix(')')?)?;
    Some(SubscriptionKey {
        namespace: fields.get("NamespaceID")?.clone(),
        provider: fields.get("ProviderID")?.clone(),
        id: fields.get("SubscriptionID")?.clone(),
    })
}

/// `GET /administration/Subscriptions(NamespaceID=…,ProviderID=…,SubscriptionID=…)`
/// (page `618dc53d`), reached through the administration segment route.
pub(super) fn get_one(state: &AppState, caller: &Caller, key: &SubscriptionKey) -> Result<Response, ApiError> {
    let principal = caller.service()?;
    let tenant = state.tenant();
    let m = provider_of(&tenant, &key.namespace, &key.provider)?;
    let sub = state.store().read(|r| r.subscription(&key.id))?;
    let sub = sub.filter(|s| s.provider == m.id).ok_or_else(|| unknown_subscription(&key.id))?;
    check_owner(&principal, &sub)?;
    caller.attach_csrf(one(state, caller, &sub, StatusCode::OK))
}

/// `DELETE /administration/Subscriptions(…)`: one subscription (pages
/// `ddd644e3`), its chain with `deleteChain=true` (`664821dd`), a
/// provider's subscriptions of one set with `deleteEntitySetName`
/// (`88e05fb1`) or all of a provider's with `SubscriptionID=''`
/// (`2b868a65`); 204. Only the caller's own are deleted.
#[utoipa::path(
    delete,
    path = "/api/v1/dataexport/administration/{segment}",
    tag = tags::DATA_EXPORT,
    security(("bearer" = []), ("session" = [], "csrf" = [])),
    params(
        ("segment" = String, Path, description = "`Subscriptions(NamespaceID='sac',ProviderID='X',SubscriptionID='Y')`; `SubscriptionID=''` for all of the provider's", example = "Subscriptions(NamespaceID='sac',ProviderID='SALES_PLAN',SubscriptionID='')"),
        ("deleteChain" = Option<bool>, Query, description = "`true`: the whole chain of the subscription"),
        ("deleteEntitySetName" = Option<String>, Query, description = "With `SubscriptionID=''`: only the subscriptions of this entity set"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        DataExportRefusals,
        (status = 404, description = "No such subscription (1215), none of the provider (1223) or of the set (1224); unknown namespace (1201) or provider (1204)", content_type = "application/json"),
    ),
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(segment): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    reader(&state, &caller)?;
    let principal = caller.service()?;
    let Some(key) = subscription_key(&segment) else {
        return Err(ApiError::endpoint_not_valid());
    };
    let tenant = state.tenant();
    let m = provider_of(&tenant, &key.namespace, &key.provider)?;
    let mut chain = false;
    let mut entity_set: Option<String> = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "deleteChain" => chain = v.eq_ignore_ascii_case("true"),
            "deleteEntitySetName" => entity_set = Some(v.into_owned()),
            _ => {}
        }
    }
    let me = owner(&principal);
    let mine: Vec<SubscriptionRecord> = state.store().read(|r| r.subscriptions(Some(&m.id)))?;
    let ids: Vec<String> = if !key.id.is_empty() {
        let sub = mine.iter().find(|s| s.subscription_id == key.id).ok_or_else(|| unknown_subscription(&key.id))?;
        check_owner(&principal, sub)?;
        match chain {
            true => mine.iter().filter(|s| s.chain_id == sub.chain_id).map(|s| s.subscription_id.clone()).collect(),
            false => vec![sub.subscription_id.clone()],
        }
    } else {
        let chosen: Vec<String> = mine
            .iter()
            .filter(|s| s.created_by == me && entity_set.as_ref().is_none_or(|e| *e == s.entity_set))
            .map(|s| s.subscription_id.clone())
            .collect();
        if chosen.is_empty() {
            return Err(match &entity_set {
                Some(set) => refusal(
                    StatusCode::NOT_FOUND,
                    1224,
                    &format!(
                        "Cannot carry out deletion, no subscription found for EntitySetName {set} and ProviderID {}",
                        m.id
                    ),
                ),
                None => refusal(
                    StatusCode::NOT_FOUND,
                    1223,
                    &format!("Cannot carry out deletion, no subscription found for the ProviderID {}", m.id),
                ),
            });
        }
        chosen
    };
    state.store().write(|w| w.delete_subscriptions(&ids))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_keys_with_plain_and_typographic_quotes() {
        let key = subscription_key("Subscriptions(NamespaceID='sac',ProviderID='M',SubscriptionID='abc')").unwrap();
        assert_eq!((key.namespace.as_str(), key.provider.as_str(), key.id.as_str()), ("sac", "M", "abc"));
        let key = subscription_key("Subscriptions(NamespaceID='sac', ProviderID='M', SubscriptionID=\u{2019}\u{2019})")
            .unwrap();
        assert_eq!(key.id, "");
        assert!(subscription_key("Subscriptions(NamespaceID='sac')").is_none());
        assert!(subscription_key("Namespaces('sac')").is_none());
    }
}
