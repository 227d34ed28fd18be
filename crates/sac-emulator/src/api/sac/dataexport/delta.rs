//! Delta reads of `FactData` and `FactDataDifference` (SAP Help, REST API
//! guide pages 35 `f7feb7c0`, 37 `ced53741`, 42 `b01ea81b`, 43 `8bcc3e62`;
//! changelog 1.3.0 on page 15 `3e0b2f1f`):
//!
//! - `Prefer: odata.track-changes` opens a chain and answers its first
//!   read: the full load, plain `$metadata#FactData` rows, the last page
//!   with an `@odata.deltaLink` to the chain's next subscription;
//! - `?deltaid=ID` reads subscription ID: the full load if it is the first
//!   of its chain, else `$metadata#FactData/$delta` with one `$entity` per
//!   fact changed (or created) and one `$deletedEntity` per fact gone since
//!   the previous subscription, its last page with `@odata.deltalink`;
//! - `?externalid=X` reads the chain's subscription that was not read yet.
//!
//! The first read of a subscription closes it and opens the next one in
//! the same transaction ([`crate::store::changes`]); reading it again
//! answers the same changes and the same link, so a client that failed
//! mid-read reads it again and neither loses nor repeats a change.
//! `FactDataDifference` answers each changed fact's measures as new value
//! less old value (an absent value counts as 0).

use std::time::Instant;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

use super::facts::fact_page;
use super::odata::{parse_filter, Columns};
use super::page::Window;
use super::query::{Format, Options};
use super::subscriptions::{check_owner, open_chain, unknown_subscription, NewChain};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::facts::FactRow;
use crate::store::filter::{Cell, Filter};
use crate::store::{FactTable, NetChange};
use crate::tenant::ModelDef;

/// How a request reads a delta, if it does.
enum Delta {
    Track,
    Id(String),
    External(String),
}

fn option<'o>(options: &'o Options, name: &str) -> Option<&'o str> {
    options.kept.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Whether the request `Prefer`s `odata.track-changes`.
fn tracks(caller: &Caller) -> bool {
    caller
        .headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("odata.track-changes")))
}

fn delta_of(caller: &Caller, options: &Options) -> Option<Delta> {
    if let Some(id) = option(options, "deltaid") {
        return Some(Delta::Id(id.to_string()));
    }
    if let Some(id) = option(options, "externalid") {
        return Some(Delta::External(id.to_string()));
    }
    tracks(caller).then_some(Delta::Track)
}

/// Whether `FactData` request asks for a delta (else it is a plain read).
pub(super) fn asks(caller: &Caller, options: &Options) -> bool {
    delta_of(caller, options).is_some()
}

/// One item of a delta answer.
enum Item {
    Changed(Vec<String>, Vec<Option<f64>>),
    Deleted(Vec<String>),
}

/// `GET …/FactData` or `…/FactDataDifference` as a delta read. `url` is
/// the set's absolute URL.
pub(super) fn answer(
    state: &AppState,
    caller: &Caller,
    m: &ModelDef,
    set: &str,
    options: &Options,
    url: &str,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let principal = caller.service()?;
    let Some(delta) = delta_of(caller, options) else {
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            format!(
                "{set} is read through a subscription: send Prefer: odata.track-changes to open one, or ?deltaid= to read one"
            ),
        ));
    };
    if options.format == Some(Format::Csv) || options.orderby.is_some() || options.top.is_some() || options.skip > 0 {
        // **Assumption**: SAP documents delta answers as JSON, in its own order and whole.
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            "A delta read answers JSON in commit order, page after page: leave out $format=text/csv, $orderby, $top and $skip",
        ));
    }
    let table = FactTable::of(m);
    let sub_id = match &delta {
        Delta::Id(id) => id.clone(),
        Delta::External(external) => state
            .store()
            .read(|r| r.open_subscription_of(&m.id, external))?
            .map(|s| s.subscription_id)
            .ok_or_else(|| unknown_subscription(&format!("with ExternalID {external}")))?,
        Delta::Track => {
            let chain = NewChain {
                entity_set: set,
                external_id: None,
                filter: options.filter.clone(),
                selection: options.select.as_ref().map(|s| s.join(",")),
                description: None,
                id_prefix: "",
            };
            open_chain(state, &principal, m, chain)?.subscription_id
        }
    };
    let known = state.store().read(|r| r.subscription(&sub_id))?;
    let known =
        known.filter(|s| s.provider == m.id && s.entity_set == set).ok_or_else(|| unknown_subscription(&sub_id))?;
    check_owner(&principal, &known)?;
    let now = crate::engine::planning::audit_time(state.engine().now_ms());
    let successor = crate::secrets::random_uuid();
    let sub = state
        .store()
        .write(|w| w.read_subscription(&table, &sub_id, &successor, &now))?
        .ok_or_else(|| unknown_subscription(&sub_id))?;
    let columns = Columns { dimensions: &table.dimensions, measures: &table.measures };
    let filter = match &sub.filter {
        Some(text) => Some(parse_filter(text, &columns).map_err(|e| ApiError::api(StatusCode::BAD_REQUEST, "400", e))?),
        None => None,
    };
    let window = Window::of(options, state.options().export_page_size as i64);
    let next_page = |skiptoken: i64| -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in options.kept.iter().filter(|(k, _)| !matches!(k.as_str(), "deltaid" | "externalid")) {
            query.append_pair(k, v);
        }
        query.append_pair("deltaid", &sub.subscription_id);
        query.append_pair("$skiptoken", &skiptoken.to_string());
        format!("{url}?{}", query.finish())
    };
    let next_id = sub.next_id.clone().unwrap_or_default();
    let delta_link = match &delta {
        Delta::External(external) => format!(
            "{}?externalid={}",
            url,
            url::form_urlencoded::byte_serialize(external.as_bytes()).collect::<String>()
        ),
        _ => format!("{url}?deltaid={}", url::form_urlencoded::byte_serialize(next_id.as_bytes()).collect::<String>()),
    };
    let selected = |name: &str| sub.selection.as_deref().is_none_or(|s| s.split(',').any(|c| c.trim() == name));
    if sub.initial {
        let point = sub.end_seq.unwrap_or(sub.start_seq);
        let rows = load_page(state, m, &sub.subscription_id, filter.as_ref(), point, window)?;
        let more = rows.len() as i64 > window.take;
        let mut body = Map::new();
        body.insert("@odata.context".into(), Value::from("$metadata#FactData"));
        let value: Vec<Value> =
            rows.iter().take(window.take as usize).map(|r| Value::Object(fact_object(&table, r, &selected))).collect();
        body.insert("value".into(), Value::Array(value));
        match more {
            true => {
                body.insert("@odata.nextLink".into(), Value::from(next_page(window.offset.saturating_add(window.take))))
            }
            // Page 35's spelling.
            false => body.insert("@odata.deltaLink".into(), Value::from(delta_link)),
        };
        return Ok(finish(body, caller));
    }
    let end = sub.end_seq.unwrap_or(sub.start_seq);
    let changes = state.store().read(|r| r.net_changes(&table, sub.start_seq, end))?;
    let items: Vec<Item> = changes.into_iter().filter_map(|c| item(&table, filter.as_ref(), set, c)).collect();
    let from = (window.offset.max(0) as usize).min(items.len());
    let to = (from + window.take as usize).min(items.len());
    let mut entities = 0;
    let value: Vec<Value> = items[from..to]
        .iter()
        .map(|item| {
            let mut row = Map::new();
            match item {
                Item::Changed(dims, measures) => {
                    entities += 1;
                    row.insert("@odata.context".into(), Value::from(format!("#{set}/$entity")));
                    row.insert("@odata.id".into(), Value::from(entity_id(set, &table, dims)));
                    let fact = FactRow { dimensions: dims.clone(), measures: measures.clone() };
                    row.extend(fact_object(&table, &fact, &selected));
                }
                Item::Deleted(dims) => {
                    row.insert("@odata.context".into(), Value::from(format!("#{set}/$deletedEntity")));
                    row.insert("id".into(), Value::from(entity_id(set, &table, dims)));
                }
            }
            Value::Object(row)
        })
        .collect();
    let mut body = Map::new();
    body.insert("@odata.context".into(), Value::from(format!("$metadata#{set}/$delta")));
    body.insert("value".into(), Value::Array(value));
    match to < items.len() {
        true => body.insert("@odata.nextLink".into(), Value::from(next_page(to as i64))),
        // Pages 42 and 43 spell it this way.
        false => body.insert("@odata.deltalink".into(), Value::from(delta_link)),
    };
    // Page 42: the page's entities and the time taken, as strings.
    body.insert("@des.entitiesInPage".into(), Value::from(entities.to_string()));
    body.insert("@des.processingTimeInMilliseconds".into(), Value::from(started.elapsed().as_millis().to_string()));
    Ok(finish(body, caller))
}

/// Up to `take + 1` facts of the full load from position `offset`: the
/// facts as they were at log number `point` (where the subscription was
/// closed), so that a change made while the load is read page by page is
/// not in it but in the next delta, once. The facts changed since are put
/// back as they were; pages continue after the previous page's last key
/// (kept per subscription), else skip `offset` rows of the whole load.
fn load_page(
    state: &AppState,
    m: &ModelDef,
    sub_id: &str,
    filter: Option<&Filter>,
    point: i64,
    window: Window,
) -> crate::store::StoreResult<Vec<FactRow>> {
    let table = FactTable::of(m);
    let moved = state.store().read(|r| r.changed_since(&table, point))?;
    if moved.is_empty() {
        // Nothing changed since the point: the facts of now are the facts of then.
        let text = format!("{sub_id}\u{0}");
        return fact_page(state, m, (&text, filter), &[], window.offset, window.take);
    }
    let cursor_text = format!("{sub_id}\u{1}");
    let cursor = state.export_cursors().take(&m.id, &cursor_text, window.offset);
    let want = window.take + 1;
    let extra = want.saturating_add(moved.len() as i64);
    let (skip, limit) = match &cursor {
        Some(_) => (0, extra),
        None => (window.offset, window.offset.saturating_add(extra)),
    };
    let query = crate::store::FactQuery { filter, after: cursor.as_deref(), limit, ..Default::default() };
    let current = state.store().read(|r| r.facts(&table, &query))?;
    let moved_keys: std::collections::HashSet<&Vec<String>> = moved.iter().map(|(k, _)| k).collect();
    let mut rows: Vec<FactRow> = current.into_iter().filter(|r| !moved_keys.contains(&r.dimensions)).collect();
    for (key, was) in &moved {
        let Some(measures) = was else { continue };
        if cursor.as_ref().is_some_and(|c| key <= c) {
            continue;
        }
        let row = FactRow { dimensions: key.clone(), measures: measures.clone() };
        if filter.is_none_or(|f| f.matches(&|c: &str| row.cell(&table, c))) {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| a.dimensions.cmp(&b.dimensions));
    let mut rows: Vec<FactRow> = rows.into_iter().skip(skip as usize).take(want as usize).collect();
    if let Some(last) = usize::try_from(window.take).ok().and_then(|t| t.checked_sub(1)).and_then(|i| rows.get(i)) {
        state.export_cursors().put(
            &m.id,
            &cursor_text,
            window.offset.saturating_add(window.take),
            last.dimensions.clone(),
        );
    }
    rows.truncate(want as usize);
    Ok(rows)
}

fn finish(body: Map<String, Value>, caller: &Caller) -> Response {
    let mut response = Json(Value::Object(body)).into_response();
    response.headers_mut().insert("odata-version", HeaderValue::from_static("4.0"));
    if tracks(caller) {
        response.headers_mut().insert("preference-applied", HeaderValue::from_static("odata.track-changes"));
    }
    response
}

/// A fact as a JSON object: dimensions as strings, measures as numbers,
/// only the `selected` columns.
fn fact_object(table: &FactTable, row: &FactRow, selected: &impl Fn(&str) -> bool) -> Map<String, Value> {
    let mut object = Map::new();
    for (name, value) in table.dimensions.iter().zip(&row.dimensions) {
        object.insert(name.clone(), Value::from(value.clone()));
    }
    for (name, value) in table.measures.iter().zip(&row.measures) {
        if selected(name) {
            object.insert(name.clone(), value.map(Value::from).unwrap_or(Value::Null));
        }
    }
    object
}

/// `FactData(Version='public.Actual',Date='202401')`: the key predicate.
fn entity_id(set: &str, table: &FactTable, dims: &[String]) -> String {
    let parts: Vec<String> =
        table.dimensions.iter().zip(dims).map(|(d, v)| format!("{d}='{}'", v.replace('\'', "''"))).collect();
    format!("{set}({})", parts.join(","))
}

/// What a net change is to a reader of `filter`'s rows: a changed row if
/// the fact is in the filter now, a deleted one if it was and is no longer
/// (gone, or moved out by a measure), nothing otherwise.
fn item(table: &FactTable, filter: Option<&Filter>, set: &str, change: NetChange) -> Option<Item> {
    let passes = |measures: &Option<Vec<Option<f64>>>| -> bool {
        let Some(measures) = measures else { return false };
        let row = FactRow { dimensions: change.dimensions.clone(), measures: measures.clone() };
        filter.is_none_or(|f| f.matches(&|c: &str| -> Option<Cell<'_>> { row.cell(table, c) }))
    };
    let (was, is) = (passes(&change.old), passes(&change.new));
    match (was, is) {
        (_, true) => {
            let new = change.new.clone().unwrap_or_default();
            let measures = match set {
                "FactDataDifference" => {
                    let old = change.old.clone().filter(|_| was).unwrap_or_else(|| vec![None; new.len()]);
                    new.iter()
                        .zip(&old)
                        .map(|(n, o)| match (n, o) {
                            (None, None) => None,
                            _ => Some(round(n.unwrap_or(0.0) - o.unwrap_or(0.0))),
                        })
                        .collect()
                }
                _ => new,
            };
            Some(Item::Changed(change.dimensions, measures))
        }
        (true, false) => Some(Item::Deleted(change.dimensions)),
        (false, false) => None,
    }
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
