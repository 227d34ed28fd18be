//! The entity sets besides `FactData` whose rows are built as JSON objects:
//! `<Dim>Master`, `<Dim>MasterWithHierarchy`, `MasterData`
//! ([`super::master`]), `FactDataAggregation` ([`super::aggregation`]) and
//! `AuditData` ([`super::audit`]). For each: its columns (what `$filter`,
//! `$orderby` and `$select` may name), who may read it, and its rows with
//! `$filter` applied, in `$orderby` order; then [`answer`] serves them with
//! the same `$count`, paging and formats as `FactData`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::json_rows::{cell, sort, SetColumns};
use super::odata::{parse_filter, parse_orderby, Columns};
use super::page::{Page, Rows, Window};
use super::query::{Format, Options};
use super::{aggregation, audit, master};
use crate::api::caller::Caller;
use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::store::filter::Filter;
use crate::store::StoreResult;
use crate::tenant::{ModelDef, Tenant};

/// The columns of `set`, or `None` when the model has no such set.
pub(super) fn columns_of(tenant: &Tenant, m: &ModelDef, set: &str) -> Option<SetColumns> {
    match set {
        "MasterData" => Some(SetColumns { keys: master::master_data_columns(tenant, m), measures: vec![] }),
        "FactDataAggregation" => Some(SetColumns {
            keys: m.dimensions.iter().map(|d| d.name.clone()).collect(),
            measures: m.measures.clone(),
        }),
        "AuditData" => Some(audit::columns(m)),
        _ => tenant.master_set(m, set).map(|s| SetColumns { keys: s.properties(), measures: vec![] }),
    }
}

/// SAC's refusal of a read of `set`, if it refuses it.
pub(super) fn admit(caller: &Caller, m: &ModelDef, set: &str) -> Result<(), ApiError> {
    match set {
        "AuditData" => audit::admit(caller, m),
        _ => Ok(()),
    }
}

/// The rows of `set` that pass `filter`, in `order` (then as read).
/// `select` picks the groups of `FactDataAggregation`.
pub(super) fn rows(
    state: &AppState,
    m: &ModelDef,
    set: &str,
    filter: Option<&Filter>,
    order: &[(String, bool)],
    select: Option<&[String]>,
) -> StoreResult<Vec<Value>> {
    let mut rows = match set {
        "MasterData" => master::master_data_rows(state, m)?,
        // Grouped in SQL, with the filter applied to the facts.
        "FactDataAggregation" => return aggregation::rows(state, m, filter, order, select),
        "AuditData" => audit::rows(state, m)?,
        _ => master::master_rows(state, m, set)?.unwrap_or_default(),
    };
    if let Some(f) = filter {
        rows.retain(|r| f.matches(&|c| cell(r, c)));
    }
    sort(&mut rows, order);
    Ok(rows)
}

/// Who asks for which set of which model, and the set's absolute URL.
pub(super) struct Request<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub m: &'a ModelDef,
    pub set: &'a str,
    pub url: &'a str,
}

/// One page of `set`, whose `columns` [`columns_of`] gave.
pub(super) fn answer(
    req: &Request<'_>,
    columns: SetColumns,
    options: &Options,
    window: Window,
) -> Result<Response, ApiError> {
    admit(req.caller, req.m, req.set)?;
    let known = Columns { dimensions: &columns.keys, measures: &columns.measures };
    let (filter, order) = match (
        options.filter.as_deref().map(|f| parse_filter(f, &known)).transpose(),
        options.orderby.as_deref().map(|o| parse_orderby(o, &known)).transpose(),
    ) {
        (Ok(filter), Ok(order)) => (filter, order.unwrap_or_default()),
        (Err(e), _) | (_, Err(e)) => return Err(ApiError::api(StatusCode::BAD_REQUEST, "400", e)),
    };
    let all: Vec<String> = columns.keys.into_iter().chain(columns.measures).collect();
    if let Some(bad) = options.select.iter().flatten().find(|c| !all.contains(c)) {
        let set = req.set;
        return Err(ApiError::api(
            StatusCode::BAD_REQUEST,
            "400",
            format!("$select names {bad}, which is not a property of {set}"),
        ));
    }
    let selected = rows(req.state, req.m, req.set, filter.as_ref(), &order, options.select.as_deref())?;
    let count = options.count.then_some(selected.len() as i64);
    let page = selected.into_iter().skip(window.offset as usize).take(window.fetch() as usize).collect();
    let mut rows = Rows::Values { columns: all, rows: page };
    let next_link = window.finish(&mut rows, options, req.url);
    let page = Page {
        context: format!("$metadata#{}", req.set),
        next_link,
        count,
        rows: &rows,
        select: options.select.as_deref(),
    };
    Ok(match options.format {
        Some(Format::Csv) => page.csv(),
        _ => page.json(),
    })
}
